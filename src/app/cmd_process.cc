// `lakestream process`: exactly-once windowed aggregation from Kafka (or files) into the lake.
#include <algorithm>
#include <optional>
#include <filesystem>
#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "app/cli_util.h"
#include "app/commands.h"
#include "core/console.h"
#include "kafka/consumer.h"
#include "lake/layout.h"
#include "process/job.h"
#include "process/metrics.h"
#include "stream/window.h"

namespace lakestream::app {
namespace {

struct ProcessArgs {
  std::vector<std::string> topics;
  std::string group = "mta";
  bool group_given = false;  // --group on the command line (else a group.id in the config names it)
  std::string client = "appTurnstile";
  int duration = 5;
  int slide = 0;
  std::string pipeline;
  std::string format;
  std::string lake = "lake";
  std::string table;
  std::string lake_format = "csv";
  std::string trigger = "60s";
  uint64_t max_records_per_trigger = 1000000;
  bool late_output = false;
  std::string dead_letter_topic;
  std::vector<std::string> sources;
  std::string source_name = "files";
  std::string bad_rows;
  std::string stats_json;
  MetricsOptions metrics;
  int connect_timeout = 15;
  KafkaOptions kafka;
};

// --duration and --slide in minutes: at most the pipelines' ten years.
constexpr int kMaxWindowMinutes = static_cast<int>(stream::kMaxWindowSeconds / 60);

Result<process::JobOptions> BuildOptions(const ProcessArgs& a) {
  process::JobOptions o;
  if (!a.pipeline.empty()) {
    LS_ASSIGN_OR_RETURN(o.spec, stream::LoadPipelineYaml(a.pipeline));
  } else {
    int slide = a.slide > 0 ? a.slide : a.duration;
    if (a.duration <= 0 || slide > a.duration) {
      return Status::InvalidArgument(
          "--duration must be > 0 and --slide between 1 and --duration (minutes)");
    }
    if (const int64_t per_record = stream::WindowsPerRecord({a.duration, slide});
        per_record > stream::kMaxWindowsPerRecord) {
      return Status::InvalidArgument(fmt::format(
          "--duration {} with --slide {} puts each record in {} windows, more than the {} allowed: use --slide {} or "
          "more",
          a.duration, slide, per_record, stream::kMaxWindowsPerRecord,
          (a.duration + stream::kMaxWindowsPerRecord - 1) / stream::kMaxWindowsPerRecord));
    }
    o.spec =
        stream::TurnstilePipeline(std::chrono::minutes(a.duration), std::chrono::minutes(slide));
  }
  if (!a.format.empty()) {
    LS_ASSIGN_OR_RETURN(o.spec.format, ParseWireFormat(a.format));
  }
  o.topics = a.topics.empty() ? std::vector<std::string>{"mta-turnstile"} : a.topics;
  o.group = a.group;
  LS_ASSIGN_OR_RETURN(o.lake.root, lake::LocalLakeRoot(a.lake));
  // The lake, or a folder on the way there, is a file: its folders could not be made (only
  // "Not a directory" on a checkpoint path would say so).
  for (std::filesystem::path up = o.lake.root; !up.empty() && up != up.root_path(); up = up.parent_path()) {
    if (std::error_code ec; !std::filesystem::exists(up, ec) || std::filesystem::is_directory(up, ec)) continue;
    if (up == o.lake.root) {
      return Status::InvalidArgument("--lake '" + o.lake.root + "' is a file: give the lake's folder (created if missing)");
    }
    return Status::InvalidArgument("--lake '" + o.lake.root + "': '" + up.string() +
                                   "' is a file, not a folder: give a lake folder whose parents are folders");
  }
  if (o.lake.root.find_first_of("*?[") != std::string::npos) {
    // `load` (DuckDB) would read them as a glob and never find the files.
    return Status::InvalidArgument("--lake '" + o.lake.root +
                                   "' holds '*', '?' or '[', which DuckDB and most readers of the lake take for a "
                                   "glob: choose a folder without them");
  }
  if (!a.bad_rows.empty() && a.sources.empty()) {
    return Status::InvalidArgument("--bad-rows is for --source files; records from Kafka that do not parse go to the "
                                   "dead-letter output (<lake>/_dead_letters/<topic>/ or --dead-letter-topic)");
  }
  o.bad_rows_file = a.bad_rows;
  // Checked here, not first when a partition is assigned (after joining the group).
  LS_RETURN_NOT_OK(stream::ValidatePipelineSpec(o.spec));
  if (Status st = stream::CheckLakeOutput(o.spec); !st.ok()) {
    return Status::InvalidArgument("pipeline '" + o.spec.name + "': output " + st.message());
  }
  o.lake.table = !a.table.empty() ? a.table : (a.pipeline.empty() ? "turnstile" : o.spec.name);
  if (Status st = stream::ValidateTableName(o.lake.table); !st.ok()) {
    return Status::InvalidArgument((a.table.empty() ? "the pipeline's name: " : "--table: ") + st.message());
  }
  LS_ASSIGN_OR_RETURN(o.lake.format, lake::ParseFileFormat(a.lake_format));
  if (o.lake.format == lake::FileFormat::kCsvGz &&
      std::none_of(o.spec.output.begin(), o.spec.output.end(), [](const auto& c) { return c.csv; })) {
    return Status::InvalidArgument("pipeline '" + o.spec.name +
                                   "': every output column has `csv: false`, so CSV.gz files would hold only the "
                                   "row numbers: keep a column in CSV, or use --lake-format parquet");
  }
  o.lake.late_output = a.late_output;
  if (a.trigger == "available-now") {
    o.available_now = true;
  } else {
    auto secs = stream::ParseDuration(a.trigger);
    if (!secs || *secs <= 0) {
      return Status::InvalidArgument(
          "--trigger must be an interval (30s, 5m, 1h) or `available-now`, got '" + a.trigger +
          "'");
    }
    o.trigger = std::chrono::seconds(*secs);
  }
  o.max_records_per_trigger = a.max_records_per_trigger;
  o.connect_timeout_ms = a.connect_timeout * 1000;
  return o;
}

// This process's peak resident memory: VmHWM of its own memory map. (ru_maxrss survives
// exec: started from a big process, e.g. a test runner, it reported that one's size.)
double PeakRssMb(const rusage& ru) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;  // kB
  }
  return ru.ru_maxrss / 1024.0;
}

std::string FormatWatermark(int64_t w) {
  return w == INT64_MIN ? std::string("-") : FormatTimestamp(EventTime{w});
}

void RunProcess(ProcessArgs a) {
  InstallStopHandler();
  std::optional<kafka::ClientConfig> config;  // the Kafka source's
  if (a.sources.empty()) {
    auto loaded = kafka::ClientConfig::Load(a.kafka.config_file, a.kafka.overrides);
    if (!loaded.ok()) return Fail(loaded.status(), 2);
    config = std::move(*loaded);
    // A group.id in --config or -X names the group when --group does not.
    if (const Property* p = config->Find("group.id"); p != nullptr && !a.group_given) a.group = p->value;
    // Before the dead-letter topic's producer connects.
    if (Status bad = kafka::CheckConsumerSettings(*config, a.group); !bad.ok()) return Fail(bad, 2);
  }
  auto options = BuildOptions(a);
  if (!options.ok()) return Fail(options.status(), 2);
  if (Status st = CheckWritableFile("--stats-json", a.stats_json); !st.ok()) return Fail(st, 2);
  if (Status st = CheckWritableFile("--bad-rows", a.bad_rows); !st.ok()) return Fail(st, 2);

  ProgressLine progress;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const bool files = !a.sources.empty();
  const metrics::Labels labels = {{files ? "source" : "group", files ? a.source_name : a.group},
                                  {"pipeline", options->spec.name}};
  MetricsEndpoint metrics(a.metrics);
  if (Status st = metrics.Start([&] { return process::RenderPrometheus(process::JobFigures{}, labels); }); !st.ok()) {
    return Fail(st, 2);
  }
  auto show = [&](const process::JobFigures& f) {
    metrics.Publish([&] { return process::RenderPrometheus(f, labels); });
    if (!progress.Due(std::chrono::milliseconds(500))) return;
    double s = std::max(elapsed(), 1e-3);
    progress.Show(fmt::format(
        "[process] {} rec  {:.0f} rec/s  lag {}  watermark {}..{}  windows {}  late {}  dup {}  "
        "bad {}  files {}",
        Thousands(f.records), f.records / s, f.lag < 0 ? std::string("?") : Thousands(f.lag),
        FormatWatermark(f.min_watermark), FormatWatermark(f.max_watermark),
        Thousands(f.windows_emitted), Thousands(f.late), Thousands(f.duplicates), Thousands(f.bad),
        Thousands(f.files)));
  };
  process::JobFigures figures;
  Status st;
  std::string from;
  std::unique_ptr<process::DeadLetterTopic> dead_letter_topic;  // outlives the job
  if (!a.sources.empty()) {
    if (!a.dead_letter_topic.empty()) {
      return Fail(Status::InvalidArgument("--dead-letter-topic needs a Kafka source: with --source FILE, rows that do "
                                          "not parse are reported as file:line and skipped"),
                  2);
    }
    from = fmt::format("{} file(s) as '{}'", a.sources.size(), a.source_name);
    st = process::RunFileJob(*options, a.sources, a.source_name, StopRequested, show, &figures);
  } else {
    if (!a.dead_letter_topic.empty()) {
      // The same cluster and credentials, before the consumer's settings are added.
      auto t = process::DeadLetterTopic::Open(*config, a.dead_letter_topic, options->connect_timeout_ms);
      if (!t.ok()) return Fail(t.status(), t.status().code() == StatusCode::kUnavailable ? 1 : 2);
      dead_letter_topic = std::move(*t);
      options->lake.dead_letter_topic = dead_letter_topic.get();
    }
    config->SetDefault("client.id", a.client);
    from = fmt::format("{} (group {})", fmt::join(options->topics, ","), a.group);
    st = process::RunKafkaJob(*options, std::move(*config), StopRequested, show, &figures);
  }
  progress.Clear();
  metrics.Publish([&] { return process::RenderPrometheus(figures, labels); }, /*force=*/true);
  double seconds = elapsed();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
               ru.ru_stime.tv_usec / 1e6;
  double rss_mb = PeakRssMb(ru);

  // A job that failed before reading anything has nothing to summarize: only the error.
  const bool summarize = st.ok() || figures.records > 0 || figures.commits > 0;
  if (summarize) {
    std::printf(
        "processed %s records from %s in %.2f s: %.0f records/s (cpu %.2f s, peak RSS %.0f MB)\n",
        Thousands(figures.records).c_str(), from.c_str(), seconds,
        figures.records / std::max(seconds, 1e-9), cpu, rss_mb);
    if (figures.records_dropped > 0) {
      std::printf("(%s of them dropped uncommitted with a lost assignment, and read again, here or by the "
                  "partition's next owner: the lake holds each once)\n",
                  Thousands(figures.records_dropped).c_str());
    }
    std::printf("windows emitted %s (%s rows); late %s, duplicates %s, bad records %s%s\n",
                Thousands(figures.windows_emitted).c_str(), Thousands(figures.rows_emitted).c_str(),
                Thousands(figures.late).c_str(), Thousands(figures.duplicates).c_str(),
                Thousands(figures.bad).c_str(),
                figures.bad == 0 ? ""
                : dead_letter_topic ? fmt::format(" (dead letters in topic {})", a.dead_letter_topic).c_str()
                                    : fmt::format(" (dead letters under {}/_dead_letters/)", a.lake).c_str());
    const bool side_rows = (figures.bad > 0 && !dead_letter_topic) || (options->lake.late_output && figures.late > 0);
    std::printf("committed %s files (%s rows%s) in %s commits to %s/%s\n", Thousands(figures.files).c_str(),
                Thousands(figures.rows_committed).c_str(),
                side_rows ? ", dead letters and late records under _dead_letters/ and _late/ included" : "",
                Thousands(figures.commits).c_str(), a.lake.c_str(), options->lake.table.c_str());
    if (figures.skipped_rows > 0) {
      std::printf("skipped %s malformed rows of the files%s\n", Thousands(figures.skipped_rows).c_str(),
                  a.bad_rows.empty() ? " (see above; --bad-rows FILE keeps them)" : fmt::format(" (in {})", a.bad_rows).c_str());
    }
    if (figures.records > 0 && figures.bad == figures.records) {
      std::fflush(stdout);
      StderrConsole().Printf(
          "lakestream: warning: every record was bad: the messages do not fit pipeline '%s' "
          "(wire format %s, %zu fields). A dead letter's reason says why; check --format "
          "(csv, seed or json) and --pipeline\n",
          options->spec.name.c_str(), std::string(WireFormatName(options->spec.format)).c_str(),
          options->spec.schema.size());
    }
  }
  std::fflush(stdout);
  if (!a.stats_json.empty()) {
    nlohmann::json j = {{"records", figures.records},
                        {"bytes", figures.bytes},
                        {"bad", figures.bad},
                        {"skipped_rows", figures.skipped_rows},
                        {"records_dropped", figures.records_dropped},
                        {"late", figures.late},
                        {"duplicates", figures.duplicates},
                        {"windows_emitted", figures.windows_emitted},
                        {"rows_emitted", figures.rows_emitted},
                        {"commits", figures.commits},
                        {"files", figures.files},
                        {"rows_committed", figures.rows_committed},
                        {"seconds", seconds},
                        {"records_per_second", figures.records / std::max(seconds, 1e-9)},
                        {"cpu_seconds", cpu},
                        {"peak_rss_mb", rss_mb},
                        {"interrupted", StopRequested()},
                        {"ok", st.ok()}};
    WriteStatsJson(a.stats_json, j.dump(2));
  }
  if (!st.ok()) return Fail(st);
}

}  // namespace

void AddProcessCommand(CLI::App& root) {
  auto a = std::make_shared<ProcessArgs>();
  CLI::App* cmd = root.add_subcommand(
      "process",
      "Aggregate a topic in event-time windows and land closed windows in the lake, exactly once");
  cmd->add_option("--topic", a->topics, "Topic(s) to read (default mta-turnstile)");
  cmd->add_option("--group", a->group,
                  "Consumer group: processes in one group share the partitions (without --group: a group.id in "
                  "--config or -X, else mta)");
  cmd->add_option("--client", a->client, "Kafka client.id")->capture_default_str();
  cmd->add_option("--duration", a->duration, "Turnstile window size in minutes")
      ->capture_default_str()
      ->transform(WholeNumber(1, kMaxWindowMinutes));
  cmd->add_option("--slide", a->slide,
                  "Turnstile window slide in minutes (default: the duration, tumbling)")
      ->transform(WholeNumber(1, kMaxWindowMinutes));
  cmd->add_option("--pipeline", a->pipeline,
                  "A pipeline file (YAML) instead of the built-in turnstile query, e.g. "
                  "pipelines/taxi-rides.yaml")
      ->check(CLI::ExistingFile);
  cmd->add_option("--format", a->format,
                  "Wire format of the messages, overriding the pipeline's: csv, seed, json")
      ->check(CLI::IsMember({"csv", "seed", "json"}));
  cmd->add_option("--lake", a->lake,
                  "Lake root folder: local, or a mounted bucket (s3fs, gcsfuse, ...); file:///path URLs are taken")
      ->capture_default_str();
  cmd->add_option("--table", a->table,
                  "Table folder in the lake (default: turnstile, or the pipeline's name)");
  cmd->add_option("--lake-format", a->lake_format,
                  "Lake file format: csv (CSV.gz, the seed's layout) or parquet")
      ->capture_default_str()
      ->check(CLI::IsMember({"csv", "parquet"}));
  cmd->add_option(
         "--trigger", a->trigger,
         "How often closed windows are committed (30s, 5m, 1h; a number alone is seconds), or `available-now`: "
         "process up to "
         "the end offsets seen at start, emit every open window (a later run counts records that fall in "
         "them as late), commit and exit. With --source the job always emits every open window at the end of "
         "the files")
      ->capture_default_str();
  cmd->add_option(
         "--max-records-per-trigger", a->max_records_per_trigger,
         "Commit a partition once it has this many records since its last commit, even before its trigger "
         "(bounds memory; checked after each fetched batch of up to 10,000 records)")
      ->capture_default_str()
      ->transform(WholeNumber(1, UINT64_MAX));  // 0 would commit every batch, -1 would be 2^64 - 1
  cmd->add_flag("--late-output", a->late_output,
                "Also write late records to <lake>/_late/<topic>/");
  cmd->add_option("--dead-letter-topic", a->dead_letter_topic,
                  "Send records that do not parse to this Kafka topic (key: topic/partition@offset, value: "
                  "JSON with the reason and the raw bytes) instead of <lake>/_dead_letters/<topic>/. At least "
                  "once: dedupe by key or use cleanup.policy=compact");
  cmd->add_option(
      "--source", a->sources,
      "Process MTA weekly FILE... (replayed like `produce` does) or rides:FILE (with a json pipeline) instead of "
      "Kafka; the Kafka options --topic, --group, --client, --config, -X, --connect-timeout and "
      "--dead-letter-topic are then refused (exit 2)");
  cmd->add_option("--source-name", a->source_name,
                  "With --source: the name its checkpoint and files carry in the lake")
      ->capture_default_str();
  cmd->add_option("--bad-rows", a->bad_rows,
                  "With --source: write every malformed row of the files to this file, one JSON object a line "
                  "(file, line, reason, text); stderr shows the first 10");
  cmd->add_option("--stats-json", a->stats_json, "Write the final figures to this JSON file");
  a->metrics.AddTo(cmd, "records, bad, late, duplicates, windows, files, lag, watermarks");
  cmd->add_option("--connect-timeout", a->connect_timeout,
                  "Seconds to wait for the cluster to answer (at start, and with available-now an outage "
                  "that took this process's partitions)")
      ->capture_default_str()
      ->transform(WholeNumber(1, 3600));
  a->kafka.AddTo(cmd);
  cmd->footer(
      "Examples:\n"
      "  lakestream process --topic mta-turnstile --group mta --client appTurnstile --duration 5\n"
      "  lakestream process --trigger available-now --lake ./lake        # backfill, then exit\n"
      "  lakestream process --duration 60 --slide 15 --lake-format parquet\n"
      "  lakestream process --pipeline pipelines/taxi-rides.yaml --topic rides_json\n"
      "  lakestream process --source data/mta/turnstile_230603.csv.gz --trigger available-now\n"
      "Exactly once: each partition's state and offset are checkpointed in <lake>/_checkpoints/ "
      "together\n"
      "with the files they produced; after a crash or a rebalance the next owner resumes from "
      "there.\n"
      "Ctrl-C / SIGTERM commits what was processed and exits 0. The group's Kafka offsets follow the lake's\n"
      "commits, for monitoring only: `lakestream topics lag TOPIC --group G` shows the lag (up to the next\n"
      "--trigger behind what was read).");
  cmd->callback([a, cmd] {
    if (!a->pipeline.empty() && (cmd->count("--duration") > 0 || cmd->count("--slide") > 0)) {
      return Fail(Status::InvalidArgument("--duration and --slide set the window of the built-in turnstile query; "
                                          "with --pipeline the window is the file's `window:` (edit it there)"),
                  2);
    }
    if (!a->sources.empty()) {
      // Kafka options would be ignored without a word with a file source: say so instead.
      std::vector<std::string> given;
      for (const char* kafka_option : {"--topic", "--group", "--client", "--config", "-X", "--connect-timeout"}) {
        if (cmd->count(kafka_option) > 0) given.emplace_back(kafka_option);
      }
      if (!given.empty()) {
        return Fail(Status::InvalidArgument(fmt::format(
                        "{} configure{} the Kafka source; with --source FILE there is none: drop {} (the "
                        "lake names a file source by --source-name)",
                        fmt::join(given, ", "), given.size() == 1 ? "s" : "", given.size() == 1 ? "it" : "them")),
                    2);
      }
    }
    a->group_given = cmd->count("--group") > 0;
    RunProcess(*a);
  });
}

}  // namespace lakestream::app
