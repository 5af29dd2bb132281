// Status and Result<T>: lakestream's one error style on the data path.
//
// A Status carries a code that tells the caller what to do next, and a message
// that tells a person where it happened and what to do. Exceptions are used only
// at start-up for bad configuration; bad records are data (see stream/), never a
// Status that ends the job.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <variant>

namespace lakestream {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the caller's input is wrong: fix it, do not retry
  kNotFound,            // a named thing does not exist
  kFailedPrecondition,  // the system is not in a state for this call: do not retry blindly
  kUnavailable,         // transient (broker down, timeout): retrying the same call may work
  kDataLoss,            // persisted state is corrupt or inconsistent
  kIoError,             // the operating system refused a file operation
  kInternal,            // a bug in lakestream
};

const char* StatusCodeName(StatusCode code);

// OK is a null pointer: returning, moving and testing an OK status (the data path's
// usual case, once or more per record) costs a pointer, not a string.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message)
      : state_(code == StatusCode::kOk ? nullptr : new State{code, std::move(message)}) {}
  Status(const Status& other) : state_(other.state_ ? new State(*other.state_) : nullptr) {}
  Status& operator=(const Status& other) {
    if (this != &other) state_.reset(other.state_ ? new State(*other.state_) : nullptr);
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  // An IoError from errno: "cannot <what> '<path>': <strerror>".
  static Status FromErrno(int err, std::string_view what, std::string_view path);

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  const std::string& message() const;
  // "<CodeName>: <message>", for logs.
  std::string ToString() const;

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  std::unique_ptr<State> state_;
};

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace lakestream

#define LS_CONCAT_INNER(a, b) a##b
#define LS_CONCAT(a, b) LS_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function if it is not OK.
#define LS_RETURN_NOT_OK(expr)                     \
  do {                                             \
    ::lakestream::Status _ls_st = (expr);          \
    if (!_ls_st.ok()) return _ls_st;               \
  } while (false)

// Declares `lhs` from a Result<T>, or returns its Status.
#define LS_ASSIGN_OR_RETURN(lhs, expr) LS_ASSIGN_OR_RETURN_IMPL(LS_CONCAT(_ls_r, __LINE__), lhs, expr)
#define LS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
