#include "process/topic_guard.h"

#include <fmt/format.h>

#include "core/console.h"

namespace lakestream::process {

std::unique_ptr<TopicGuard> TopicGuard::Start(const std::vector<std::string>& topics, DescribeFn describe,
                                              std::function<void(const std::string&)> warn) {
  if (!warn) warn = [](const std::string& text) { StderrConsole().Write("lakestream: warning: " + text + "\n"); };
  std::unique_ptr<TopicGuard> guard(new TopicGuard(std::move(describe), std::move(warn)));
  for (const std::string& topic : topics) {
    const Clock::time_point began = Clock::now();
    Result<std::optional<std::string>> id = guard->describe_(topic);
    if (!id.ok()) {
      guard->seen_[topic] = Seen{};
      continue;
    }
    if (!id->has_value()) {
      guard->active_ = false;  // the library cannot tell
      guard->seen_.clear();
      break;
    }
    guard->seen_[topic] = Seen{std::move(**id), began};
  }
  return guard;
}

Status TopicGuard::Check(const std::string& topic, Clock::time_point read_before) {
  if (!active_) return Status::Ok();
  std::lock_guard lock(mu_);
  auto it = seen_.find(topic);
  if (it == seen_.end()) return Status::Ok();  // not a topic the job started on
  Seen& seen = it->second;
  if (seen.checked >= read_before) return Status::Ok();
  const Clock::time_point began = Clock::now();
  Result<std::optional<std::string>> id = describe_(topic);
  if (!id.ok() && id.status().code() == StatusCode::kNotFound) {
    return Status::FailedPrecondition(fmt::format(
        "topic '{}' was deleted while the job ran: what was read since the last commit is not committed", topic));
  }
  if (!id.ok()) {
    if (!warned_) {
      warn_(fmt::format("cannot check that topic '{}' is still the one this job started on ({}); committing without "
                        "that check while the cluster does not answer",
                        topic, id.status().message()));
      warned_ = true;
    }
    seen.checked = began;  // the commits waiting for this check do not wait again
    return Status::Ok();
  }
  warned_ = false;
  if (id->has_value() && !seen.id.empty() && **id != seen.id) {
    return Status::DataLoss(fmt::format(
        "topic '{}' was deleted and created again while the job ran (its id was {}, now {}): the consumer went on at "
        "the old topic's offsets, past records of the new one it never read, so nothing read since the last commit "
        "is committed",
        topic, seen.id, **id));
  }
  if (id->has_value()) seen.id = **id;
  seen.checked = began;
  return Status::Ok();
}

}  // namespace lakestream::process
