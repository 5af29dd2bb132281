// Prometheus metrics for the long-running commands (`process`, `load --watch`): samples in
// Prometheus' text exposition format (0.0.4), served on GET /metrics by a small HTTP server.
//
// The server is for a scraper on the same host or network: it answers one request per
// connection (HTTP/1.0 or 1.1, `Connection: close`), up to 16 connections at once on one
// thread, each with 2 s to send its request (at most 8 KiB are read) and 2 s to take the
// answer; it binds to 127.0.0.1 unless told otherwise.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/status.h"

namespace lakestream::metrics {

// name="value" pairs put on every sample (e.g. group, pipeline).
using Labels = std::vector<std::pair<std::string, std::string>>;

// A page of metrics, one sample each, every sample with the same labels.
class PrometheusText {
 public:
  explicit PrometheusText(const Labels& labels);
  void Counter(std::string_view name, std::string_view help, uint64_t value);
  void Gauge(std::string_view name, std::string_view help, int64_t value);
  // One gauge per label set in `samples` (added to the page's labels), e.g. per partition;
  // nothing when `samples` is empty.
  void Gauges(std::string_view name, std::string_view help, const std::vector<std::pair<Labels, int64_t>>& samples);
  std::string Take() { return std::move(out_); }

 private:
  void Header(std::string_view name, std::string_view type, std::string_view help);
  void Sample(std::string_view name, std::string_view type, std::string_view help, std::string_view value);
  Labels labels_;
  std::string label_text_;  // {a="x",b="y"}, escaped
  std::string out_;
};

class Server {
 public:
  // Listens on `address` (IPv4, e.g. 127.0.0.1 or 0.0.0.0) and `port` (0: a free port,
  // see port()); GET /metrics answers `body()`, called on the server's thread.
  static Result<std::unique_ptr<Server>> Start(const std::string& address, int port,
                                               std::function<std::string()> body);
  ~Server();  // stops serving at once (connections still open are closed)
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const { return port_; }
  const std::string& address() const { return address_; }

 private:
  Server() = default;
  void Serve();
  std::string Respond(const std::string& request);  // the whole HTTP response

  std::string address_;
  int port_ = 0;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};  // a pipe: written to stop Serve
  std::function<std::string()> body_;
  std::thread thread_;
};

}  // namespace lakestream::metrics
