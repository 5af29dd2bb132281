#include "process/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace lakestream::process {
namespace {

TEST(RenderPrometheus, EveryFigureWithTheLabels) {
  JobFigures f;
  f.records = 248194, f.bytes = 30000000, f.bad = 3, f.late = 2, f.duplicates = 1, f.skipped_rows = 4;
  f.windows_emitted = 9, f.rows_emitted = 240000, f.commits = 12, f.files = 40, f.rows_committed = 239000;
  f.partitions = 4, f.lag = 17, f.min_watermark = 1685577600, f.max_watermark = 1685664000;
  const std::string text = RenderPrometheus(f, {{"group", "mta"}, {"pipeline", "a\"b\\c\nd"}});
  const std::string l = "{group=\"mta\",pipeline=\"a\\\"b\\\\c\\nd\"}";
  auto sample = [&](const char* name, const char* type, const std::string& value) {
    return std::string("# TYPE ") + name + " " + type + "\n" + name + l + " " + value + "\n";
  };
  for (const auto& want : {sample("lakestream_records_total", "counter", "248194"),
                           sample("lakestream_bytes_total", "counter", "30000000"),
                           sample("lakestream_bad_records_total", "counter", "3"),
                           sample("lakestream_late_records_total", "counter", "2"),
                           sample("lakestream_duplicate_records_total", "counter", "1"),
                           sample("lakestream_skipped_rows_total", "counter", "4"),
                           sample("lakestream_windows_emitted_total", "counter", "9"),
                           sample("lakestream_rows_emitted_total", "counter", "240000"),
                           sample("lakestream_commits_total", "counter", "12"),
                           sample("lakestream_files_committed_total", "counter", "40"),
                           sample("lakestream_rows_committed_total", "counter", "239000"),
                           sample("lakestream_assigned_partitions", "gauge", "4"),
                           sample("lakestream_lag_records", "gauge", "17"),
                           sample("lakestream_watermark_min_seconds", "gauge", "1685577600"),
                           sample("lakestream_watermark_max_seconds", "gauge", "1685664000")}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\nin\n" << text;
  }
  // 15 metrics, each with HELP, TYPE and one sample.
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 45);
}

TEST(RenderPrometheus, UnknownGaugesAreLeftOut) {
  JobFigures f;  // lag -1, no watermark yet
  const std::string text = RenderPrometheus(f, {});
  EXPECT_NE(text.find("\nlakestream_records_total 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nlakestream_assigned_partitions 0\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("lakestream_lag_records"), std::string::npos);
  EXPECT_EQ(text.find("lakestream_watermark"), std::string::npos);
}

// Sends `request` to address:port and returns all the server answered (or "" if the
// connection was refused).
std::string Exchange(const char* address, int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, address, &sa.sin_addr);
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
    EXPECT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
    char buf[4096];
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

TEST(MetricsServer, AnswersGetMetricsAndNothingElse) {
  int calls = 0;
  auto server = MetricsServer::Start("127.0.0.1", 0, [&] { return "m " + std::to_string(++calls) + "\n"; });
  ASSERT_TRUE(server.ok()) << server.status().message();
  const int port = (*server)->port();
  ASSERT_GT(port, 0);
  EXPECT_EQ(Exchange("127.0.0.1", port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: 4\r\n"
            "Connection: close\r\n\r\nm 1\n");
  EXPECT_EQ(Exchange("127.0.0.1", port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n").substr(0, 15), "HTTP/1.1 200 OK");
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(Exchange("127.0.0.1", port, "GET /nope HTTP/1.1\r\n\r\n").substr(0, 22), "HTTP/1.1 404 Not Found");
  EXPECT_EQ(Exchange("127.0.0.1", port, "POST /metrics HTTP/1.1\r\n\r\n").substr(0, 31),
            "HTTP/1.1 405 Method Not Allowed");
  EXPECT_EQ(Exchange("127.0.0.1", port, "HEAD /metrics HTTP/1.1\r\n\r\n"),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: 4\r\n"
            "Connection: close\r\n\r\n");
  EXPECT_EQ(calls, 3);
  // Bound to 127.0.0.1 only: another loopback address is refused.
  EXPECT_EQ(Exchange("127.0.0.2", port, "GET /metrics HTTP/1.1\r\n\r\n"), "");
  server->reset();  // stops and closes: the port is free again
  EXPECT_EQ(Exchange("127.0.0.1", port, "GET /metrics HTTP/1.1\r\n\r\n"), "");
}

TEST(MetricsServer, ClearErrors) {
  auto bad = MetricsServer::Start("localhost", 0, [] { return ""; });
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            "--metrics-bind must be an IPv4 address (127.0.0.1, or 0.0.0.0 for every interface), got 'localhost'");
  EXPECT_EQ(MetricsServer::Start("127.0.0.1", 70000, [] { return ""; }).status().code(), StatusCode::kInvalidArgument);
  auto first = MetricsServer::Start("127.0.0.1", 0, [] { return ""; });
  ASSERT_TRUE(first.ok());
  auto second = MetricsServer::Start("127.0.0.1", (*first)->port(), [] { return ""; });
  EXPECT_EQ(second.status().message(),
            "cannot serve metrics on 127.0.0.1:" + std::to_string((*first)->port()) +
                ": Address already in use (choose another --metrics-port)");
}

}  // namespace
}  // namespace lakestream::process
