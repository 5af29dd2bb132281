#include "metrics/prometheus.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iterator>

#include "formats/json_string.h"

namespace lakestream::metrics {
namespace {

// A label value with Prometheus' escapes: backslash, double quote, line feed. The page is
// UTF-8, which a parser may insist on: other bytes (a path's) become U+FFFD.
void AppendLabelValue(std::string* out, std::string_view value) {
  const std::string valid = IsValidUtf8(value) ? std::string() : ToValidUtf8(value);
  const std::string_view v = valid.empty() ? value : std::string_view(valid);
  for (char c : v) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '"') {
      out->append("\\\"");
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
}

// {a="x",b="y"} of `first` then `more`, escaped; "" for none.
std::string LabelText(const Labels& first, const Labels& more) {
  std::string out;
  for (const Labels* set : {&first, &more}) {
    for (const auto& [name, value] : *set) {
      out += out.empty() ? '{' : ',';
      out += name;
      out += "=\"";
      AppendLabelValue(&out, value);
      out += '"';
    }
  }
  if (!out.empty()) out += '}';
  return out;
}

Status Errno(const std::string& what) { return Status::Unavailable(what + ": " + std::strerror(errno)); }

}  // namespace

PrometheusText::PrometheusText(const Labels& labels) : labels_(labels), label_text_(LabelText(labels, {})) {}

void PrometheusText::Header(std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void PrometheusText::Sample(std::string_view name, std::string_view type, std::string_view help,
                            std::string_view value) {
  Header(name, type, help);
  fmt::format_to(std::back_inserter(out_), "{}{} {}\n", name, label_text_, value);
}

void PrometheusText::Counter(std::string_view name, std::string_view help, uint64_t value) {
  Sample(name, "counter", help, std::to_string(value));
}

void PrometheusText::Gauge(std::string_view name, std::string_view help, int64_t value) {
  Sample(name, "gauge", help, std::to_string(value));
}

void PrometheusText::Gauges(std::string_view name, std::string_view help,
                            const std::vector<std::pair<Labels, int64_t>>& samples) {
  if (samples.empty()) return;
  Header(name, "gauge", help);
  for (const auto& [more, value] : samples) {
    fmt::format_to(std::back_inserter(out_), "{}{} {}\n", name, LabelText(labels_, more), value);
  }
}

Result<std::unique_ptr<Server>> Server::Start(const std::string& address, int port,
                                               std::function<std::string()> body) {
  if (port < 0 || port > 65535) {
    return Status::InvalidArgument(fmt::format("--metrics-port must be 0..65535, got {}", port));
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, address.c_str(), &sa.sin_addr) != 1) {
    return Status::InvalidArgument(
        fmt::format("--metrics-bind must be an IPv4 address (127.0.0.1, or 0.0.0.0 for every interface), got '{}'",
                    address));
  }
  std::unique_ptr<Server> s(new Server());
  s->address_ = address;
  s->body_ = std::move(body);
  s->listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s->listen_fd_ < 0) return Errno("cannot open the metrics socket");
  const int one = 1;
  setsockopt(s->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(s->listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    const int err = errno;
    return Status::FailedPrecondition(fmt::format("cannot serve metrics on {}:{}: {}{}", address, port,
                                                  std::strerror(err),
                                                  err == EADDRINUSE ? " (choose another --metrics-port)" : ""));
  }
  if (listen(s->listen_fd_, 16) != 0) return Errno("cannot listen on the metrics socket");
  socklen_t len = sizeof sa;
  getsockname(s->listen_fd_, reinterpret_cast<sockaddr*>(&sa), &len);
  s->port_ = ntohs(sa.sin_port);
  if (pipe2(s->wake_, O_CLOEXEC) != 0) return Errno("cannot create the metrics server's pipe");
  s->thread_ = std::thread([raw = s.get()] { raw->Serve(); });
  return s;
}

Server::~Server() {
  if (thread_.joinable()) {
    const char b = 1;
    (void)!write(wake_[1], &b, 1);
    thread_.join();
  }
  for (int fd : {listen_fd_, wake_[0], wake_[1]}) {
    if (fd >= 0) close(fd);
  }
}

// One thread serves up to kMaxConnections connections at once, each non-blocking with one
// deadline for its whole request and answer: a client that sends slowly, or nothing, holds
// neither the others nor the job's shutdown (the wake pipe ends the loop at once).
void Server::Serve() {
  using Clock = std::chrono::steady_clock;
  constexpr size_t kMaxConnections = 16;
  constexpr size_t kMaxRequest = 8192;
  constexpr auto kRequestTime = std::chrono::seconds(2);
  struct Connection {
    int fd;
    Clock::time_point deadline;
    std::string data;  // the request as read, then the response to send
    size_t sent = 0;
    bool answering = false;
  };
  std::vector<Connection> conns;
  std::vector<pollfd> fds;
  Clock::time_point accept_again{};  // after accept failed for want of descriptors or memory
  auto answer = [this](Connection& c) {
    c.data = Respond(c.data);
    c.sent = 0;
    c.answering = true;
  };
  for (;;) {
    const Clock::time_point now = Clock::now();
    fds.clear();
    fds.push_back({wake_[0], POLLIN, 0});
    const bool accepting = conns.size() < kMaxConnections && now >= accept_again;
    fds.push_back({accepting ? listen_fd_ : -1, POLLIN, 0});
    // Wake up for the first deadline, and when accepting may resume after a failure.
    Clock::time_point wake_at = now < accept_again ? accept_again : Clock::time_point::max();
    for (const Connection& c : conns) {
      fds.push_back({c.fd, static_cast<short>(c.answering ? POLLOUT : POLLIN), 0});
      wake_at = std::min(wake_at, c.deadline);
    }
    int timeout_ms = -1;
    if (wake_at != Clock::time_point::max()) {
      timeout_ms = static_cast<int>(std::max<int64_t>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(wake_at - now).count() + 1));
    }
    if (poll(fds.data(), fds.size(), timeout_ms) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents != 0) break;
    const size_t polled = conns.size();
    if ((fds[1].revents & POLLIN) != 0) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd >= 0) {
        conns.push_back({fd, Clock::now() + kRequestTime, {}, 0, false});
      } else if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        accept_again = Clock::now() + std::chrono::milliseconds(100);  // the queued client waits
      }
    }
    const Clock::time_point after = Clock::now();
    for (size_t i = 0; i < polled; ++i) {
      Connection& c = conns[i];
      const short revents = fds[i + 2].revents;
      bool done = false;
      if (!c.answering && (revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        char buf[2048];
        const ssize_t n = recv(c.fd, buf, sizeof buf, 0);
        if (n > 0) {
          c.data.append(buf, static_cast<size_t>(n));
          // The request line and headers, up to the blank line (a body is not read).
          if (c.data.find("\r\n\r\n") != std::string::npos || c.data.find("\n\n") != std::string::npos ||
              c.data.size() >= kMaxRequest) {
            answer(c);
          }
        } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
          if (c.data.empty()) {
            done = true;
          } else {
            answer(c);
          }
        }
      }
      if (!done && c.answering && (revents & (POLLOUT | POLLHUP | POLLERR)) != 0) {
        const ssize_t n = send(c.fd, c.data.data() + c.sent, c.data.size() - c.sent, MSG_NOSIGNAL);
        if (n > 0) c.sent += static_cast<size_t>(n);
        if (c.sent == c.data.size() || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
          done = true;
        }
      }
      if (!done && after >= c.deadline) {
        // Out of time: a request that came in part is answered as it is (one more
        // deadline to send it); silence, or an answer not taken, ends the connection.
        if (!c.answering && !c.data.empty()) {
          answer(c);
          c.deadline = after + kRequestTime;
        } else {
          done = true;
        }
      }
      if (done) {
        close(c.fd);
        c.fd = -1;
      }
    }
    std::erase_if(conns, [](const Connection& c) { return c.fd < 0; });
  }
  for (const Connection& c : conns) close(c.fd);
}

std::string Server::Respond(const std::string& request) {
  const std::string_view line = std::string_view(request).substr(0, request.find_first_of("\r\n"));
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  const std::string_view method = line.substr(0, sp1);
  std::string_view target = sp1 == std::string_view::npos ? std::string_view() : line.substr(sp1 + 1, sp2 - sp1 - 1);
  target = target.substr(0, target.find('?'));
  int code = 200;
  std::string reason = "OK", type = "text/plain; charset=utf-8", body, allow;
  if (method != "GET" && method != "HEAD") {
    code = 405, reason = "Method Not Allowed", body = "only GET and HEAD\n";
    allow = "Allow: GET, HEAD\r\n";  // RFC 9110: a 405 names the methods that are allowed
  } else if (target == "/metrics") {
    type = "text/plain; version=0.0.4; charset=utf-8";
    body = body_();
  } else if (target == "/") {
    body = "lakestream: Prometheus metrics at /metrics\n";
  } else {
    code = 404, reason = "Not Found", body = "not found: the metrics are at /metrics\n";
  }
  std::string response = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}Connection: close\r\n\r\n", code, reason,
      type, body.size(), allow);
  if (method != "HEAD") response += body;
  return response;
}

}  // namespace lakestream::metrics
