// Prometheus metrics of a running `process` job (`--metrics-port`): the job's figures in
// Prometheus' text exposition format, served on GET /metrics by a small HTTP server.
//
// The server is for a scraper on the same host or network: it answers one request per
// connection (HTTP/1.0 or 1.1, `Connection: close`), reads at most 8 KiB of a request
// within 2 s, and binds to 127.0.0.1 unless told otherwise.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/status.h"
#include "process/job.h"

namespace lakestream::process {

// name="value" pairs put on every sample (e.g. group, pipeline).
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// The figures as Prometheus text (format 0.0.4): counters `lakestream_*_total`, gauges for
// the assigned partitions, the lag and the watermarks (a gauge whose value is not known
// yet, as the lag before the first fetch, is left out).
std::string RenderPrometheus(const JobFigures& f, const MetricLabels& labels);

class MetricsServer {
 public:
  // Listens on `address` (IPv4, e.g. 127.0.0.1 or 0.0.0.0) and `port` (0: a free port,
  // see port()); GET /metrics answers `body()`, called on the server's thread.
  static Result<std::unique_ptr<MetricsServer>> Start(const std::string& address, int port,
                                                      std::function<std::string()> body);
  ~MetricsServer();  // stops serving; a request being answered is finished first
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  int port() const { return port_; }
  const std::string& address() const { return address_; }

 private:
  MetricsServer() = default;
  void Serve();
  void Answer(int conn);

  std::string address_;
  int port_ = 0;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};  // a pipe: written to stop Serve
  std::function<std::string()> body_;
  std::thread thread_;
};

}  // namespace lakestream::process
