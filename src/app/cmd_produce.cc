// `lakestream produce`: publish turnstile (or taxi ride) messages to a Kafka topic.
#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/cli_util.h"
#include "app/commands.h"
#include "core/console.h"
#include "kafka/producer.h"
#include "produce/pacer.h"
#include "produce/source.h"

namespace lakestream::app {
namespace {

struct ProduceArgs {
  std::string topic = "mta-turnstile";
  std::vector<std::string> sources;
  std::string format;  // empty: csv, or json for rides (EffectiveFormat)
  std::string speed;  // "max" or a number; default depends on the source
  bool shift_to_now = false;
  double rate = 0;
  uint64_t count = 0;
  int64_t max_delta = 10000;
  uint64_t seed = 0;
  std::string stats_json;
  std::string dump;
  std::string bad_rows;
  int connect_timeout = 15;
  KafkaOptions kafka;
};

bool IsRides(const ProduceArgs& a) { return !a.sources.empty() && produce::RidesPath(a.sources.front()); }

// The wire format in use: --format, else csv (rides: json, their only format).
std::string EffectiveFormat(const ProduceArgs& a) {
  if (!a.format.empty()) return a.format;
  return IsRides(a) ? "json" : "csv";
}

Result<std::unique_ptr<produce::MessageSource>> OpenSource(const ProduceArgs& a) {
  if (IsRides(a) && !a.format.empty() && a.format != "json") {
    return Status::InvalidArgument("--source rides: taxi rides are published as JSON objects only: use --format json, "
                                   "or leave --format out");
  }
  LS_ASSIGN_OR_RETURN(WireFormat format, ParseWireFormat(EffectiveFormat(a)));
  if (a.sources.empty()) {
    return Status::InvalidArgument("--source is required: `synthetic`, `rides:FILE` or MTA turnstile FILE...");
  }
  const std::string& first = a.sources.front();
  for (const std::string& s : a.sources) {
    if (&s != &first && (s == "synthetic" || produce::RidesPath(s))) {
      return Status::InvalidArgument("--source " + s + " stands alone: give it without other sources");
    }
  }
  if (first != "synthetic" && (a.count != 0 || a.rate != 0)) {
    return Status::InvalidArgument("--count and --rate drive the synthetic source; files (MTA weeks, taxi rides) are "
                                   "replayed whole (use --speed)");
  }
  if (first == "synthetic" || IsRides(a)) {
    if (a.sources.size() > 1) {
      return Status::InvalidArgument("--source " + first + " takes no other sources");
    }
    if (first == "synthetic") {
      produce::SyntheticOptions o;
      o.format = format;
      o.count = a.count;
      o.rate = a.rate;
      o.seed = a.seed;
      return produce::MakeSyntheticSource(o);
    }
    produce::RidesOptions o;
    o.shift_to_now = a.shift_to_now;
    return produce::MakeRidesSource(std::string(*produce::RidesPath(first)), o);
  }
  produce::MtaFileOptions o;
  o.format = format;
  o.replay.max_delta = a.max_delta;
  o.shift_to_now = a.shift_to_now;
  o.on_file = [](const std::string& path, const mta::SourceFile& f) {
    StderrConsole().Printf("read %s: %s rows, layout %s\n", path.c_str(), Thousands(f.rows).c_str(),
                           mta::FileLayoutName(f.layout));
  };
  return produce::MakeMtaFileSource(a.sources, o);
}

Result<produce::PaceOptions> ParsePace(const ProduceArgs& a) {
  produce::PaceOptions p;
  p.rate = a.rate;
  std::string speed = a.speed;
  if (speed.empty()) speed = a.sources.front() == "synthetic" && a.rate == 0 ? "1" : "max";
  if (speed != "max") {
    try {
      size_t used = 0;
      p.speed = std::stod(speed, &used);
      // NaN fails this too.
      if (used != speed.size() || !(p.speed >= 0.001 && p.speed <= 1e6)) throw std::invalid_argument(speed);
    } catch (const std::exception&) {
      return Status::InvalidArgument(
          "--speed must be `max` or a number from 0.001 to 1000000 (N x real time), got '" + speed + "'");
    }
  }
  if (a.rate != 0 && !(a.rate >= 0.001 && a.rate <= 1e7)) {
    return Status::InvalidArgument(fmt::format("--rate must be from 0.001 to 10000000 messages a second, got {}", a.rate));
  }
  return p;
}

struct Totals {
  uint64_t messages = 0;
  uint64_t bytes = 0;
  produce::SourceStats figures;  // of the messages published (all of them, unless stopped)
};

void WriteStats(const ProduceArgs& a, const produce::MessageSource& src, const Totals& t,
                const kafka::Producer* p, double seconds, bool interrupted) {
  if (a.stats_json.empty()) return;
  const produce::SourceStats& s = t.figures;
  nlohmann::json j = {
      {"topic", a.topic},
      {"format", EffectiveFormat(a)},
      {"messages", t.messages},
      {"bytes", t.bytes},
      {"delivered", p ? p->delivered() : t.messages},
      {"failed", p ? p->failed() : 0},
      {"possibly_delivered", p ? p->possibly_delivered() : 0},
      {"seconds", seconds},
      {"messages_per_second", seconds > 0 ? t.messages / seconds : 0.0},
      {"megabytes_per_second", seconds > 0 ? t.bytes / seconds / 1e6 : 0.0},
      {"entries", s.entries_sum},
      {"exits", s.exits_sum},
      {"anomalies", s.entries_anomalies + s.exits_anomalies},
      {"entries_anomalies", s.entries_anomalies},
      {"exits_anomalies", s.exits_anomalies},
      {"bad_rows", src.Issues().size()},
      {"interrupted", interrupted},
  };
  WriteStatsJson(a.stats_json, j.dump(2));
}

void RunProduce(const ProduceArgs& a) {
  InstallStopHandler();
  auto pace = ParsePace(a);
  if (!pace.ok()) return Fail(pace.status(), 2);
  std::unique_ptr<kafka::Producer> producer;
  std::ofstream dump;
  // The producer is created on a helper thread while the source is read (librdkafka then
  // connects in the background); its errors (config) come first, as if created before.
  std::future<Result<std::unique_ptr<kafka::Producer>>> creating;
  if (Status st = CheckWritableFile("--stats-json", a.stats_json); !st.ok()) return Fail(st, 2);
  if (!a.dump.empty()) {
    dump.open(a.dump, std::ios::binary);
    if (!dump) return Fail(Status::IoError("cannot write --dump file '" + a.dump + "'"), 2);
  } else {
    creating = std::async(std::launch::async, [&a]() -> Result<std::unique_ptr<kafka::Producer>> {
      LS_ASSIGN_OR_RETURN(kafka::ClientConfig config, kafka::ClientConfig::Load(a.kafka.config_file, a.kafka.overrides));
      return kafka::Producer::Create(std::move(config), a.topic);
    });
  }
  auto source = OpenSource(a);
  if (creating.valid()) {
    auto p = creating.get();
    if (!p.ok()) return Fail(p.status(), 2);
    producer = std::move(*p);
  }
  // A file that does not exist is a wrong request (2); one that is damaged, a data error (1).
  if (!source.ok()) return Fail(source.status());
  produce::MessageSource& src = **source;
  if (Status st = produce::ReportRejectedRows(src, a.bad_rows, stderr); !st.ok()) return Fail(st, 2);
  if (producer) {
    Status connected = producer->Connect(a.connect_timeout * 1000, StopRequested);
    if (!connected.ok() && StopRequested()) {
      std::printf("stopped before a broker answered: nothing was published\n");
      ExitCode() = 130;
      return;
    }
    if (!connected.ok()) return Fail(connected);
  }

  produce::Pacer pacer(*pace);
  ProgressLine progress;
  Totals t;
  produce::SourceMessage m;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  bool interrupted = false;
  bool failing_noted = false;  // the warning that messages fail
  Status error;
  // Messages go to librdkafka in batches (one call each); a paced replay sends what it
  // holds before it waits, so batching never delays a message past its time.
  std::vector<produce::SourceMessage> batch(producer ? producer->max_batch_messages() : 1);
  std::vector<kafka::Producer::Message> views;
  size_t held = 0;
  auto send_held = [&] {
    if (held == 0 || !producer) return;
    views.clear();
    for (size_t i = 0; i < held; ++i) views.push_back({batch[i].key, batch[i].value, batch[i].key_id});
    error = producer->SendBatch(views, StopRequested);
    held = 0;
    producer->Poll(0);
  };
  const bool paced = !pacer.unpaced();
  while (error.ok() && src.Next(&batch[held])) {
    const produce::SourceMessage* read = &batch[held];  // not held yet: `held` counts those before it
    if (StopRequested()) {
      interrupted = true;
      break;
    }
    if (paced) {
      auto delay = pacer.Delay(t.messages, read->time, std::chrono::steady_clock::now());
      if (delay > std::chrono::steady_clock::duration::zero() && held > 0) {
        // The messages before this one go now; this one moves to the front of the batch.
        const size_t at = held;
        send_held();
        // Refused: waiting for this one's time (hours at --speed 1) would only hold the error.
        if (!error.ok()) break;
        std::swap(batch[0], batch[at]);
        read = &batch[0];
      }
      while (delay > std::chrono::steady_clock::duration::zero() && !StopRequested()) {
        // Pacing a replay is waiting on the clock itself; serve delivery reports meanwhile.
        const int slice_ms = produce::Pacer::WaitSliceMs(delay);
        if (producer) {
          producer->Poll(slice_ms);
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(slice_ms));
        }
        delay = pacer.Delay(t.messages, read->time, std::chrono::steady_clock::now());
      }
      if (StopRequested()) {
        interrupted = true;
        break;
      }
    }
    const produce::SourceMessage& m = *read;
    if (producer) {
      if (++held == batch.size()) send_held();
    } else {
      // One `key<TAB>value` line a message (what `kcat -K'\t' -l` publishes): a tab in the key,
      // or a line break anywhere, would be read back as another message.
      if (m.key.find_first_of("\t\r\n") != std::string::npos || m.value.find_first_of("\r\n") != std::string::npos) {
        error = Status::InvalidArgument(fmt::format(
            "--dump: message {} (key '{}') holds a tab in its key or a line break, which --dump's key<TAB>value "
            "lines cannot hold; publish it to Kafka instead, or fix the source row",
            t.messages + 1, m.key.substr(0, 64)));
        break;
      }
      dump << m.key << '\t' << m.value << '\n';
      if (!dump) {  // a full disk: the rest would be lost too
        error = Status::FromErrno(errno, "write --dump file", a.dump);
        break;
      }
    }
    ++t.messages;
    t.bytes += m.key.size() + m.value.size();
    t.figures.Add(m);
    // Said once, also in a pipe (where no progress line shows it): a feed without --count
    // would otherwise go on failing until Ctrl-C with nothing said.
    if (producer && !failing_noted && producer->failed() > 0) {
      failing_noted = true;
      StderrConsole().Printf("lakestream: warning: messages are not being delivered (first error: %s); produce goes "
                             "on, and counts them at the end (Ctrl-C stops it)\n",
                             producer->first_error().c_str());
    }
    if ((t.messages & 0x3FF) == 0 && progress.Due()) {
      double s = elapsed();
      const produce::SourceStats& st = t.figures;
      progress.Show(fmt::format("[produce] {} msgs  {:.0f} msg/s  {:.1f} MB/s  delivered {}{}  anomalies {}",
                                Thousands(t.messages), t.messages / s, t.bytes / s / 1e6,
                                Thousands(producer ? producer->delivered() : t.messages),
                                producer && producer->failed() > 0 ? "  failed " + Thousands(producer->failed()) : "",
                                Thousands(st.entries_anomalies + st.exits_anomalies)));
    }
  }
  if (error.ok()) send_held();  // also after Ctrl-C: what was read is published
  if (dump.is_open() && error.ok()) {
    // Buffered: a write that fails (a full disk) may come only with the last bytes.
    dump.close();
    if (!dump) error = Status::FromErrno(errno, "write --dump file", a.dump);
  }
  int left = 0;
  if (producer) {
    if (interrupted) {
      progress.Clear();  // the line ends there on a terminal (^C); nothing to end in a pipe
      StderrConsole().Printf(
          "%sinterrupted: flushing messages in flight (while the brokers do not answer, up to "
          "message.timeout.ms: 60 s unless set; Ctrl-C again stops at once, and whether those were "
          "delivered is then unknown)...\n",
          progress.enabled() ? "\n" : "");
    }
    while ((left = producer->Flush(500)) > 0) {
      if (progress.Due()) {
        progress.Show(fmt::format("[produce] flushing: {} in flight, delivered {}", left,
                                  Thousands(producer->delivered())));
      }
      if (elapsed() > 24 * 3600) break;  // unreachable: message.timeout.ms bounds the flush
    }
  }
  progress.Clear();
  double seconds = elapsed();
  const produce::SourceStats& st = t.figures;
  std::printf("%s %s messages (%s) %s in %.2f s: %.0f msg/s, %.1f MB/s\n",
              producer ? "produced" : "wrote", Thousands(t.messages).c_str(),
              EffectiveFormat(a).c_str(),
              producer ? fmt::format("to {} ({} partition{} at {})", a.topic, producer->partitions(), producer->partitions() == 1 ? "" : "s",
                                     producer->bootstrap()).c_str()
                       : ("to " + a.dump).c_str(),
              seconds, t.messages / std::max(seconds, 1e-9), t.bytes / std::max(seconds, 1e-9) / 1e6);
  // Failed but sent, unacknowledged: maybe in the topic (a re-send of them may double them).
  const std::string possibly =
      producer && producer->possibly_delivered() > 0
          ? fmt::format(" ({} of them sent but not acknowledged: they may be in the topic all the same)",
                        Thousands(producer->possibly_delivered()))
          : "";
  if (producer) {
    std::printf("delivered %s, failed %s%s%s\n", Thousands(producer->delivered()).c_str(),
                Thousands(producer->failed() + static_cast<uint64_t>(left)).c_str(), possibly.c_str(),
                producer->first_error().empty() ? "" : (" (first error: " + producer->first_error() + ")").c_str());
  }
  if (IsRides(a)) {
    std::printf("bad rows %s\n", Thousands(src.Issues().size()).c_str());
  } else {
    std::printf("ENTRIES %s  EXITS %s  counter anomalies %s (entries %s, exits %s)  bad rows %s\n",
              Thousands(st.entries_sum).c_str(), Thousands(st.exits_sum).c_str(),
              Thousands(st.entries_anomalies + st.exits_anomalies).c_str(),
              Thousands(st.entries_anomalies).c_str(), Thousands(st.exits_anomalies).c_str(),
              Thousands(src.Issues().size()).c_str());
  }
  std::fflush(stdout);
  WriteStats(a, src, t, producer.get(), seconds, interrupted);
  if (!error.ok()) return Fail(error, error.code() == StatusCode::kInvalidArgument ? 2 : 1);
  if (producer && (producer->failed() > 0 || left > 0)) {
    return Fail(Status::Unavailable(fmt::format("{} messages were not delivered{}", producer->failed() + left, possibly)),
                1);
  }
  if (interrupted) ExitCode() = 130;
}

}  // namespace

void AddProduceCommand(CLI::App& root) {
  auto args = std::make_shared<ProduceArgs>();
  CLI::App* cmd = root.add_subcommand("produce", "Publish turnstile (or taxi ride) messages to a Kafka topic");
  cmd->add_option("--source", args->sources,
                  "What to publish: MTA weekly turnstile FILE... (raw or pandas layout, plain or .gz; "
                  "replayed as per-interval increments), `synthetic` (the seed's dummy Provider), "
                  "or `rides:FILE` (taxi rides as JSON)")
      ->required();
  cmd->add_option("--topic", args->topic, "Kafka topic")->capture_default_str();
  cmd->add_option("--format", args->format,
                  "Wire format: csv (13 fields; the default), seed (the CSV line as a JSON string, as the "
                  "seed's Python producer sends it) or json. Rides are JSON only")
      ->check(CLI::IsMember({"csv", "seed", "json"}));
  cmd->add_option("--speed", args->speed,
                  "`max` (as fast as the broker takes it) or N (N x real time on event time); "
                  "default: max for files and for --rate, else 1");
  cmd->add_flag("--shift-to-now", args->shift_to_now, "Move timestamps so that the first reading is now");
  cmd->add_option("--rate", args->rate,
                  "synthetic: messages per second (event time = now); without it, the seed Provider's "
                  "pace: one message per 10 s of event time, played at --speed (1: one every 10 s)")
      ->check(kPositive);
  cmd->add_option("--count", args->count, "synthetic: stop after N messages (default: run until Ctrl-C)")
      ->transform(WholeNumber(1, UINT64_MAX));  // 0 would mean no limit, and -1 would become 2^64 - 1
  cmd->add_option("--seed", args->seed, "synthetic: random seed, for reproducible runs")
      ->transform(WholeNumber(0, UINT64_MAX));
  cmd->add_option("--max-delta", args->max_delta,
                  "files: an interval difference above this (or below 0) becomes 0 and counts as an anomaly")
      ->capture_default_str()
      ->transform(WholeNumber(0, INT64_MAX));
  cmd->add_option("--stats-json", args->stats_json, "Write the final figures to this JSON file");
  cmd->add_option("--bad-rows", args->bad_rows,
                  "Write every malformed source row to this file, one JSON object a line: file, line, reason, "
                  "text (stderr shows the first 10)");
  cmd->add_option("--dump", args->dump,
                  "Write `key<TAB>value` lines to this file instead of Kafka (e.g. for kcat -K'\\t')");
  cmd->add_option("--connect-timeout", args->connect_timeout, "Seconds to wait for the cluster to answer")
      ->capture_default_str()
      ->transform(WholeNumber(1, 3600));
  args->kafka.AddTo(cmd);
  cmd->footer(
      "Examples:\n"
      "  lakestream produce --source data/mta/turnstile_230603.csv.gz --topic mta-turnstile\n"
      "  lakestream produce --source synthetic --rate 20000 --count 1000000 --format seed\n"
      "  lakestream produce --source rides:data/taxi/rides.csv --topic rides_json --speed 60\n"
      "  lakestream produce --source week.csv --config ~/.kafka/cloud.properties --speed 10 --shift-to-now\n"
      "Prints delivered and failed counts at the end and exits 1 if any message was not delivered\n"
      "(failed ones sent but not acknowledged, as when the broker stops, may be in the topic: counted apart);\n"
      "Ctrl-C stops reading, flushes what is in flight and reports (exit 130).");
  cmd->callback([args] { RunProduce(*args); });
}

}  // namespace lakestream::app
