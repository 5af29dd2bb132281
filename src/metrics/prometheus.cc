#include "metrics/prometheus.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <iterator>

namespace lakestream::metrics {
namespace {

// A label value with Prometheus' escapes: backslash, double quote, line feed.
void AppendLabelValue(std::string* out, std::string_view v) {
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
  s->listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
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

void Server::Serve() {
  pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
  while (true) {
    fds[0].revents = fds[1].revents = 0;
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int conn = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    Answer(conn);
    close(conn);
  }
}

void Server::Answer(int conn) {
  timeval timeout{2, 0};
  setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  // The request line and headers, up to the blank line (a body is not read).
  std::string request;
  char buf[2048];
  while (request.find("\r\n\r\n") == std::string::npos && request.find("\n\n") == std::string::npos &&
         request.size() < 8192) {
    const ssize_t n = recv(conn, buf, sizeof buf, 0);
    if (n <= 0) {
      if (request.empty()) return;
      break;
    }
    request.append(buf, static_cast<size_t>(n));
  }
  const std::string_view line = std::string_view(request).substr(0, request.find_first_of("\r\n"));
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  const std::string_view method = line.substr(0, sp1);
  std::string_view target = sp1 == std::string_view::npos ? std::string_view() : line.substr(sp1 + 1, sp2 - sp1 - 1);
  target = target.substr(0, target.find('?'));
  int code = 200;
  std::string reason = "OK", type = "text/plain; charset=utf-8", body;
  if (method != "GET" && method != "HEAD") {
    code = 405, reason = "Method Not Allowed", body = "only GET\n";
  } else if (target == "/metrics") {
    type = "text/plain; version=0.0.4; charset=utf-8";
    body = body_();
  } else if (target == "/") {
    body = "lakestream: Prometheus metrics at /metrics\n";
  } else {
    code = 404, reason = "Not Found", body = "not found: the metrics are at /metrics\n";
  }
  std::string response = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", code, reason, type,
      body.size());
  if (method != "HEAD") response += body;
  size_t sent = 0;
  while (sent < response.size()) {
    const ssize_t n = send(conn, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

}  // namespace lakestream::metrics
