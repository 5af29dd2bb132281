// The physical limit for `lakestream process` on this machine: a bare librdkafka
// consumer that reads every partition of a topic from the beginning to the end
// offsets seen at start, touching each message's bytes and nothing else.
//
//   bare_consumer BOOTSTRAP TOPIC
//
// Prints one JSON line: messages, bytes, wall and CPU seconds, peak RSS.
#include <librdkafka/rdkafka.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "kafka/consumer.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: bare_consumer BOOTSTRAP TOPIC\n");
    return 2;
  }
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The same fetch settings as lakestream's consumer, for the same librdkafka.
  std::vector<std::pair<std::string, std::string>> settings = {
      {"bootstrap.servers", argv[1]}, {"group.id", "lakestream-bench-bare"}, {"enable.auto.commit", "false"}};
  for (auto& kv : lakestream::kafka::FetchDefaults()) settings.push_back(kv);
  for (auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "%s\n", err);
      return 1;
    }
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (rk == nullptr) {
    std::fprintf(stderr, "%s\n", err);
    return 1;
  }
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk, argv[2], nullptr);
  if (rd_kafka_metadata(rk, 0, t, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR || md->topic_cnt != 1) {
    std::fprintf(stderr, "cannot read metadata of %s\n", argv[2]);
    return 1;
  }
  int parts = md->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(t);

  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(parts);
  std::vector<int64_t> end(static_cast<size_t>(parts));
  int64_t total = 0;
  for (int p = 0; p < parts; ++p) {
    int64_t lo = 0, hi = 0;
    rd_kafka_query_watermark_offsets(rk, argv[2], p, &lo, &hi, 10000);
    end[static_cast<size_t>(p)] = hi;
    total += hi - lo;
    rd_kafka_topic_partition_list_add(list, argv[2], p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_queue_t* q = rd_kafka_queue_get_consumer(rk);

  auto start = std::chrono::steady_clock::now();
  int64_t n = 0, bytes = 0;
  uint64_t checksum = 0;
  int done = 0;
  std::vector<bool> finished(static_cast<size_t>(parts), false);
  for (int p = 0; p < parts; ++p) {
    if (end[static_cast<size_t>(p)] == 0) finished[static_cast<size_t>(p)] = true, ++done;
  }
  std::vector<rd_kafka_message_t*> batch(10000);
  auto last_message = std::chrono::steady_clock::now();
  while (done < parts) {
    // rd_kafka_consume_batch_queue waits until the batch is full or the timeout passes:
    // asking for no more than what is left keeps the last call from idling to its timeout
    // (a 1000 ms timeout with a full-size request used to add ~1 s to the limit's wall time).
    auto want = static_cast<size_t>(std::clamp<int64_t>(total - n, 1, static_cast<int64_t>(batch.size())));
    ssize_t got = rd_kafka_consume_batch_queue(q, 100, batch.data(), want);
    for (ssize_t i = 0; i < got; ++i) {
      rd_kafka_message_t* m = batch[static_cast<size_t>(i)];
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++n;
        bytes += static_cast<int64_t>(m->len);
        if (m->len > 0) checksum += static_cast<const unsigned char*>(m->payload)[m->len - 1];
        auto p = static_cast<size_t>(m->partition);
        if (!finished[p] && m->offset + 1 >= end[p]) finished[p] = true, ++done;
        last_message = std::chrono::steady_clock::now();
      }
      rd_kafka_message_destroy(m);
    }
    if (std::chrono::steady_clock::now() - last_message > std::chrono::seconds(30)) {
      std::fprintf(stderr, "bare_consumer: no message for 30 s with %lld of %lld read; giving up\n",
                   static_cast<long long>(n), static_cast<long long>(total));
      return 1;
    }
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  std::printf(
      "{\"messages\": %lld, \"bytes\": %lld, \"wall_seconds\": %.3f, \"cpu_seconds\": %.3f, "
      "\"records_per_second\": %.0f, \"peak_rss_mb\": %.1f, \"checksum\": %llu}\n",
      static_cast<long long>(n), static_cast<long long>(bytes), wall, cpu, n / wall,
      ru.ru_maxrss / 1024.0, static_cast<unsigned long long>(checksum));
  rd_kafka_queue_destroy(q);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return n == total ? 0 : 1;
}
