// `lakestream load`: committed lake files -> the DuckDB warehouse, each exactly once.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/cli_util.h"
#include "app/commands.h"
#include "core/console.h"
#include "lake/fs_util.h"
#include "lake/layout.h"
#include "warehouse/warehouse.h"

namespace lakestream::app {
namespace {

using warehouse::FileOutcome;
using warehouse::FileResult;
using warehouse::LakeFile;
using warehouse::LoadFigures;
using warehouse::Warehouse;

struct LoadArgs {
  std::string lake = "lake";
  std::string warehouse = "warehouse.duckdb";
  std::string table = "turnstile";
  bool watch = false;
  double interval = 5;
  bool verify_checksums = false;
  std::string stats_json;
  MetricsOptions metrics;
};

void Add(LoadFigures& into, const LoadFigures& f) {
  into.files_seen += f.files_seen;
  into.files_loaded += f.files_loaded;
  into.files_skipped += f.files_skipped;
  into.files_failed += f.files_failed;
  into.rows_loaded += f.rows_loaded;
  into.bytes_loaded += f.bytes_loaded;
}

class Loader {
 public:
  explicit Loader(const LoadArgs& a) : a_(a), start_(std::chrono::steady_clock::now()) {}

  double Elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  // Loads `files` in one warehouse session. Non-OK only if the warehouse itself failed.
  Status LoadBatch(const std::vector<LakeFile>& files, bool* interrupted) {
    auto w = Warehouse::Open(a_.warehouse, Warehouse::Mode::kReadWrite);
    if (!w.ok()) return w.status();
    warehouse::LoadOptions options;
    options.verify_checksums = a_.verify_checksums;
    options.stop = StopRequested;
    const uint64_t batch_files = files.size();
    LoadFigures reported;  // of the files reported so far (kept if the warehouse fails midway)
    options.on_file = [&](const LoadFigures& f, const FileResult& r) {
      reported = f;
      if (r.outcome == FileOutcome::kFailed) {
        progress_.Clear();
        const auto delay = watched_.Failed(r.file, std::chrono::steady_clock::now());
        const std::string retry =
            a_.watch ? fmt::format(" (tried again in {} s, or when the file changes)",
                                   std::chrono::duration_cast<std::chrono::seconds>(delay).count())
                     : "";
        StderrConsole().Printf("lakestream: error: %s%s\n", r.error.message().c_str(), retry.c_str());
      } else {
        watched_.Settled(r.file);
      }
      if (progress_.Due()) {
        double s = std::max(Elapsed(), 1e-3);
        progress_.Show(fmt::format(
            "[load] {}/{} files  {} rows  {:.0f} rows/s  skipped {}  failed {}",
            Thousands(f.files_seen), Thousands(batch_files),
            Thousands(total_.rows_loaded + f.rows_loaded), (total_.rows_loaded + f.rows_loaded) / s,
            Thousands(f.files_skipped), Thousands(total_.files_failed + f.files_failed)));
      }
    };
    auto report = (*w)->Load(files, options);
    progress_.Clear();
    if (!report.ok()) {
      Add(total_, reported);  // the groups committed before the failure
      last_batch_ = reported;
      return report.status();
    }
    Add(total_, report->figures);
    last_batch_ = report->figures;
    *interrupted = report->interrupted;
    auto counts = (*w)->connection().Query("SELECT count(*) FROM fact_turnstile");
    fact_rows_ = "?";
    if (counts.ok() && counts->rows.at(0).at(0)) fact_rows_ = Thousands(static_cast<uint64_t>(std::stoull(*counts->rows.at(0).at(0))));
    return Status::Ok();
  }

  // --watch: the files to load at this poll (new, changed, or failed and due again).
  std::vector<LakeFile> Due(const std::vector<LakeFile>& files) {
    return watched_.Due(files, std::chrono::steady_clock::now());
  }
  size_t failing() const { return watched_.failing(); }

  void PrintSummary(bool interrupted) const {
    double s = Elapsed();
    std::printf(
        "loaded %s files (%s rows, %.1f MB) in %.2f s: %.0f rows/s; skipped %s already loaded; "
        "failed %s%s\n",
        Thousands(total_.files_loaded).c_str(), Thousands(total_.rows_loaded).c_str(),
        total_.bytes_loaded / 1e6, s, total_.rows_loaded / std::max(s, 1e-9),
        Thousands(total_.files_skipped).c_str(), Thousands(total_.files_failed).c_str(),
        interrupted ? " (interrupted)" : "");
    if (fact_rows_.empty()) {
      std::printf("warehouse %s: not opened (no new lake file to load)\n", a_.warehouse.c_str());
    } else {
      std::printf("warehouse %s: %s fact rows\n", a_.warehouse.c_str(), fact_rows_.c_str());
    }
    std::fflush(stdout);
  }

  void WriteStats(bool interrupted, bool ok) const {
    if (a_.stats_json.empty()) return;
    double s = Elapsed();
    nlohmann::json j = {{"files_seen", total_.files_seen},
                        {"files_loaded", total_.files_loaded},
                        {"files_skipped", total_.files_skipped},
                        {"files_failed", total_.files_failed},
                        {"files_failing", watched_.failing()},
                        {"rows_loaded", total_.rows_loaded},
                        {"bytes_loaded", total_.bytes_loaded},
                        {"seconds", s},
                        {"rows_per_second", total_.rows_loaded / std::max(s, 1e-9)},
                        {"interrupted", interrupted},
                        {"ok", ok}};
    WriteStatsJson(a_.stats_json, j.dump(2));
  }

  const LoadFigures& total() const { return total_; }
  const LoadFigures& last_batch() const { return last_batch_; }

 private:
  const LoadArgs& a_;
  std::chrono::steady_clock::time_point start_;
  ProgressLine progress_;
  LoadFigures total_;
  LoadFigures last_batch_;
  std::string fact_rows_;  // after a batch: its count, or "?" if that failed; empty before

  warehouse::WatchedFiles watched_;  // what this run loaded, skipped or failed
};

// Says why a one-shot load found nothing: the table is not there yet, the lake holds other
// tables (a pipeline's output is in <lake>/<pipeline name>), or --lake is a table's folder.
void WarnNothingToLoad(const LoadArgs& a) {
  std::vector<std::string> tables;
  bool partitions = false;  // date=... folders: --lake names a table's folder
  if (auto names = lake::ListDir(a.lake); names.ok()) {
    for (const std::string& n : *names) {
      if (!n.empty() && n[0] != '_' && n[0] != '.' && n != a.table) tables.push_back(n);
      partitions = partitions || n.starts_with("date=");
    }
  }
  if (partitions) {
    std::filesystem::path table_dir(a.lake);
    if (!table_dir.has_filename()) table_dir = table_dir.parent_path();  // "lake/turnstile/"
    const std::string parent = table_dir.has_parent_path() ? table_dir.parent_path().string() : ".";
    StderrConsole().Printf(
        "lakestream: warning: no lake files in '%s/%s': '%s' holds date= partitions, so it is a table's "
        "folder, not the lake: give --lake '%s' (and --table '%s' if that is the table to load)\n",
        a.lake.c_str(), a.table.c_str(), a.lake.c_str(), parent.c_str(), table_dir.filename().c_str());
  } else if (tables.empty()) {
    StderrConsole().Printf(
        "lakestream: warning: no lake files in '%s/%s' yet: `lakestream process --lake %s` "
        "writes them as it commits windows\n",
        a.lake.c_str(), a.table.c_str(), a.lake.c_str());
  } else {
    StderrConsole().Printf(
        "lakestream: warning: no lake files in '%s/%s'; the lake holds: %s. The warehouse "
        "loads the turnstile pipeline's output (--table names its folder)\n",
        a.lake.c_str(), a.table.c_str(), fmt::format("{}", fmt::join(tables, ", ")).c_str());
  }
}

void RunLoad(const LoadArgs& given) {
  InstallStopHandler();
  LoadArgs a = given;
  auto root = lake::LocalLakeRoot(given.lake);
  if (!root.ok()) return Fail(root.status());
  a.lake = *root;
  if (!(a.interval >= 0.05 && a.interval <= 3600)) {
    return Fail(Status::InvalidArgument("--interval must be between 0.05 and 3600 seconds"), 2);
  }
  if (a.metrics.port >= 0 && !a.watch) {
    return Fail(Status::InvalidArgument("--metrics-port is for --watch (a one-shot load ends before a scrape)"));
  }
  if (Status st = CheckWritableFile("--stats-json", a.stats_json); !st.ok()) return Fail(st, 2);
  Loader loader(a);
  bool interrupted = false;
  if (!a.watch) {
    auto files = warehouse::ListLakeFiles(a.lake, a.table);
    if (!files.ok()) return Fail(files.status());
    if (files->empty()) WarnNothingToLoad(a);
    Status st = loader.LoadBatch(*files, &interrupted);
    if (!st.ok()) {
      loader.WriteStats(interrupted, false);
      return Fail(st);
    }
    loader.PrintSummary(interrupted);
    loader.WriteStats(interrupted, loader.total().files_failed == 0);
    if (loader.total().files_failed > 0) {
      return Fail(Status::FailedPrecondition(fmt::format(
          "{} lake file(s) could not be loaded (see above); {} other(s) loaded, {} found loaded already",
          loader.total().files_failed, loader.total().files_loaded, loader.total().files_skipped)));
    }
    if (interrupted) ExitCode() = 130;
    return;
  }

  // --watch: poll the lake; the warehouse is opened only while there is something to
  // load, so `lakestream report` (a second DuckDB process) can read between polls.
  MetricsEndpoint metrics(a.metrics);
  const metrics::Labels labels = {{"table", a.table}, {"warehouse", a.warehouse}};
  uint64_t polls = 0;
  int64_t last_success = 0;
  auto page = [&] { return warehouse::RenderLoadMetrics(loader.total(), loader.failing(), polls, last_success, labels); };
  if (Status st = metrics.Start(page); !st.ok()) return Fail(st, 2);
  auto publish = [&] { metrics.Publish(page, /*force=*/true); };
  std::printf("watching %s/%s every %g s; loading into %s (Ctrl-C to stop)\n", a.lake.c_str(),
              a.table.c_str(), a.interval, a.warehouse.c_str());
  std::fflush(stdout);
  Status last_error;
  bool lake_seen = false, waiting_noted = false;
  bool held_noted = false;  // of this spell of other processes holding the warehouse
  while (!StopRequested()) {
    auto files = warehouse::ListLakeFiles(a.lake, a.table);
    if (!files.ok() && files.status().code() == StatusCode::kInvalidArgument) {
      // The lake is wrong (a file, a hopping table): polling would only repeat it.
      loader.PrintSummary(false);
      loader.WriteStats(false, false);
      return Fail(files.status());
    }
    if (!files.ok() && !lake_seen && files.status().code() == StatusCode::kNotFound) {
      // Started before the job that makes the lake: waiting for it is not an error.
      if (!waiting_noted) {
        StderrConsole().Printf("lakestream: note: lake folder '%s' does not exist yet; waiting for it (`lakestream "
                               "process --lake %s` creates it)\n",
                               a.lake.c_str(), a.lake.c_str());
        waiting_noted = true;
      }
    } else if (!files.ok()) {
      // The lake root is missing; keep polling (it may be mounted or created later).
      if (files.status().ToString() != last_error.ToString()) Fail(files.status());
      last_error = files.status();
    } else {
      lake_seen = true;
      std::vector<LakeFile> pending = loader.Due(*files);
      if (!pending.empty()) {
        Status st = loader.LoadBatch(pending, &interrupted);
        if (warehouse::Warehouse::HeldElsewhere(st)) {
          // A report (or a DuckDB session) reading it: not an error, its files stay due. Said
          // once a spell: each reader's message names its own PID.
          if (!held_noted) {
            StderrConsole().Printf("lakestream: note: %s; its lake files load at a later poll\n", st.message().c_str());
            held_noted = true;
          }
        } else if (!st.ok()) {
          held_noted = false;
          if (st.ToString() != last_error.ToString()) Fail(st);
          last_error = st;
        } else {
          held_noted = false;
          last_error = Status::Ok();
          const LoadFigures& b = loader.last_batch();
          if (b.files_loaded > 0) {
            last_success = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
            std::printf("loaded %s new file(s), %s rows (total %s files, %s rows)\n",
                        Thousands(b.files_loaded).c_str(), Thousands(b.rows_loaded).c_str(),
                        Thousands(loader.total().files_loaded).c_str(),
                        Thousands(loader.total().rows_loaded).c_str());
            std::fflush(stdout);
          }
        }
      } else {
        // The lake lists again: its error is over. (A failed load leaves its files due, so
        // the warehouse's error stays until they load.)
        last_error = Status::Ok();
      }
    }
    ++polls;
    publish();
    auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(a.interval);
    while (!StopRequested() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  loader.PrintSummary(false);
  // Files that failed and loaded on a later try do not fail the run; files still failing,
  // or a warehouse that failed at the last poll, do.
  const bool ok = loader.failing() == 0 && last_error.ok();
  loader.WriteStats(false, ok);
  ExitCode() = ok ? 0 : 1;
}

}  // namespace

void AddLoadCommand(CLI::App& root) {
  auto a = std::make_shared<LoadArgs>();
  CLI::App* cmd = root.add_subcommand(
      "load",
      "Load committed lake files into the DuckDB warehouse (star schema), each file exactly once");
  cmd->add_option("--lake", a->lake, "Lake root folder (what `lakestream process --lake` writes)")
      ->capture_default_str();
  cmd->add_option("--warehouse", a->warehouse, "DuckDB warehouse file (created if missing)")
      ->capture_default_str();
  cmd->add_option("--table", a->table, "Table folder in the lake")->capture_default_str();
  CLI::Option* watch = cmd->add_flag("--watch", a->watch,
                                     "Keep loading new files as they are committed, until Ctrl-C / SIGTERM");
  // Refused without --watch, as --metrics-port is: a one-shot load does not poll.
  cmd->add_option("--interval", a->interval, "With --watch: seconds between polls of the lake")
      ->capture_default_str()
      ->needs(watch);
  cmd->add_flag(
      "--verify-checksums", a->verify_checksums,
      "Re-hash every loaded file to detect changes, not only files whose size or mtime changed");
  cmd->add_option("--stats-json", a->stats_json, "Write the final figures to this JSON file");
  a->metrics.AddTo(cmd, "with --watch: files and rows loaded, skipped, failed; polls; the last success");
  cmd->footer(
      "Examples:\n"
      "  lakestream load --lake ./lake --warehouse warehouse.duckdb\n"
      "  lakestream load --lake ./lake --warehouse warehouse.duckdb --watch --interval 5\n"
      "  duckdb warehouse.duckdb 'SELECT station_name, sum(entries) FROM rpt_turnstile GROUP BY 1 "
      "ORDER BY 2 DESC LIMIT 5'   # the DuckDB CLI, if installed\n"
      "Each file is loaded in the same transaction as its row in load_manifest (path, size,\n"
      "checksum, rows), so running load again, or after a crash, never counts a file twice. Rows "
      "of one\n"
      "device and window from several files (partitions) are summed. A file changed after it was "
      "loaded\n"
      "is reported, not reloaded; the command then exits 1 after loading the other files.\n"
      "Load a lake of tumbling windows (process's default): a hopping lake (--slide below --duration)\n"
      "holds each reading in several windows, and the warehouse's sums would count it that many times;\n"
      "load refuses a table that process marked as hopping (exit 2).\n"
      "One lake per warehouse: files are known by their path under the lake.");
  cmd->callback([a] { RunLoad(*a); });
}

}  // namespace lakestream::app
