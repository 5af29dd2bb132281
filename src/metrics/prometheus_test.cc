#include "metrics/prometheus.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lakestream::metrics {
namespace {

TEST(PrometheusText, HelpTypeAndOneSampleEachWithEscapedLabels) {
  PrometheusText t({{"group", "mta"}, {"pipeline", "a\"b\\c\nd"}});
  t.Counter("x_total", "Things.", 18446744073709551615ull);
  t.Gauge("y", "Level.", -3);
  EXPECT_EQ(t.Take(),
            "# HELP x_total Things.\n# TYPE x_total counter\n"
            "x_total{group=\"mta\",pipeline=\"a\\\"b\\\\c\\nd\"} 18446744073709551615\n"
            "# HELP y Level.\n# TYPE y gauge\n"
            "y{group=\"mta\",pipeline=\"a\\\"b\\\\c\\nd\"} -3\n");
  PrometheusText bare({});
  bare.Gauge("z", "No labels.", 0);
  EXPECT_EQ(bare.Take(), "# HELP z No labels.\n# TYPE z gauge\nz 0\n");
}

TEST(PrometheusText, GaugesOnePerLabelSetAfterThePagesLabels) {
  PrometheusText t(Labels{{"group", "mta"}});
  t.Gauges("lag", "Per partition.", {{{{"topic", "t"}, {"partition", "0"}}, 5}, {{{"topic", "t"}, {"partition", "1"}}, 0}});
  t.Gauges("none", "Nothing to say.", {});
  EXPECT_EQ(t.Take(),
            "# HELP lag Per partition.\n# TYPE lag gauge\n"
            "lag{group=\"mta\",topic=\"t\",partition=\"0\"} 5\n"
            "lag{group=\"mta\",topic=\"t\",partition=\"1\"} 0\n");
  PrometheusText bare({});
  bare.Gauges("x", "Only the extra labels.", {{{{"p", "1"}}, 7}});
  EXPECT_EQ(bare.Take(), "# HELP x Only the extra labels.\n# TYPE x gauge\nx{p=\"1\"} 7\n");
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

TEST(Server, AnswersGetMetricsAndNothingElse) {
  int calls = 0;
  auto server = Server::Start("127.0.0.1", 0, [&] { return "m " + std::to_string(++calls) + "\n"; });
  ASSERT_TRUE(server.ok()) << server.status().message();
  const int port = (*server)->port();
  ASSERT_GT(port, 0);
  EXPECT_EQ(Exchange("127.0.0.1", port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: 4\r\n"
            "Connection: close\r\n\r\nm 1\n");
  EXPECT_EQ(Exchange("127.0.0.1", port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n").substr(0, 15), "HTTP/1.1 200 OK");
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(Exchange("127.0.0.1", port, "GET /nope HTTP/1.1\r\n\r\n").substr(0, 22), "HTTP/1.1 404 Not Found");
  // A 405 names the methods there are (RFC 9110: it must send Allow).
  EXPECT_EQ(Exchange("127.0.0.1", port, "POST /metrics HTTP/1.1\r\n\r\n"),
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 18\r\n"
            "Allow: GET, HEAD\r\nConnection: close\r\n\r\nonly GET and HEAD\n");
  EXPECT_EQ(Exchange("127.0.0.1", port, "HEAD /metrics HTTP/1.1\r\n\r\n"),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: 4\r\n"
            "Connection: close\r\n\r\n");
  EXPECT_EQ(calls, 3);
  // Bound to 127.0.0.1 only: another loopback address is refused.
  EXPECT_EQ(Exchange("127.0.0.2", port, "GET /metrics HTTP/1.1\r\n\r\n"), "");
  server->reset();  // stops and closes: the port is free again
  EXPECT_EQ(Exchange("127.0.0.1", port, "GET /metrics HTTP/1.1\r\n\r\n"), "");
}

// Connects to 127.0.0.1:port and returns the socket (answers to `Exchange`-style reads).
int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  return fd;
}

// Clients that send nothing, or half a request, do not hold a scrape back: it is answered
// while they are still connected (the server waits 2 s for each; a scrape served after them
// would take 12 s and miss this client's 1 s limit). Stopping the server closes them.
TEST(Server, SilentAndSlowClientsDoNotHoldOthers) {
  auto server = Server::Start("127.0.0.1", 0, [] { return "m 1\n"; });
  ASSERT_TRUE(server.ok());
  const int port = (*server)->port();
  std::vector<int> idle;
  for (int i = 0; i < 5; ++i) idle.push_back(Connect(port));
  idle.push_back(Connect(port));
  ASSERT_EQ(send(idle.back(), "GET /met", 8, MSG_NOSIGNAL), 8);
  const int scrape = Connect(port);
  timeval limit{1, 0};
  setsockopt(scrape, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  const std::string request = "GET /metrics HTTP/1.1\r\n\r\n";
  ASSERT_EQ(send(scrape, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = recv(scrape, buf, sizeof buf, 0)) > 0;) answer.append(buf, static_cast<size_t>(n));
  close(scrape);
  EXPECT_EQ(answer.substr(0, 15), "HTTP/1.1 200 OK");
  EXPECT_EQ(answer.substr(answer.size() - 4), "m 1\n");
  server->reset();
  for (int fd : idle) {
    EXPECT_EQ(recv(fd, buf, sizeof buf, 0), 0);  // closed by the server, nothing sent
    close(fd);
  }
}

TEST(PrometheusText, LabelValuesAreValidUtf8) {
  PrometheusText t(Labels{{"warehouse", "/tmp/w\xff\xc3\xa9.duckdb"}});
  t.Gauge("g", "G.", 1);
  EXPECT_EQ(t.Take(), "# HELP g G.\n# TYPE g gauge\ng{warehouse=\"/tmp/w\xef\xbf\xbd\xc3\xa9.duckdb\"} 1\n");
}

TEST(Server, ClearErrors) {
  auto bad = Server::Start("localhost", 0, [] { return ""; });
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            "--metrics-bind must be an IPv4 address (127.0.0.1, or 0.0.0.0 for every interface), got 'localhost'");
  EXPECT_EQ(Server::Start("127.0.0.1", 70000, [] { return ""; }).status().code(), StatusCode::kInvalidArgument);
  auto first = Server::Start("127.0.0.1", 0, [] { return ""; });
  ASSERT_TRUE(first.ok());
  auto second = Server::Start("127.0.0.1", (*first)->port(), [] { return ""; });
  EXPECT_EQ(second.status().message(),
            "cannot serve metrics on 127.0.0.1:" + std::to_string((*first)->port()) +
                ": Address already in use (choose another --metrics-port)");
}

}  // namespace
}  // namespace lakestream::metrics
