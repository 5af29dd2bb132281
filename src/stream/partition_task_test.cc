#include "stream/partition_task.h"

#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <random>
#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

namespace lakestream::stream {
namespace {

using std::chrono::minutes;

// 2024-07-22 00:00:00 UTC
constexpr int64_t kDay = 1721606400;
constexpr int64_t kHour = 3600;

std::string Ts(int64_t t) { return FormatTimestamp(EventTime{t}); }

// A turnstile csv record for device (ca, scp) at t.
std::string Line(const std::string& ca, const std::string& scp, int64_t t, int64_t entries, int64_t exits,
                 const std::string& id, const std::string& station = "Test-Station1") {
  return ca + ",R001," + scp + "," + station + ",456NQR,BMT,07-22-24,10:00:00,REGULAR," + std::to_string(entries) +
         "," + std::to_string(exits) + "," + id + "," + Ts(t);
}

Row TurnstileRow(const std::string& ca, const std::string& scp, const std::string& date, const std::string& time,
                 int64_t entries, int64_t exits, int64_t window_start, int64_t window_end,
                 const std::string& station = "Test-Station1") {
  return Row{ca,      "R001", scp,   station, "456NQR", "BMT", date, time, "REGULAR",
             entries, exits,  EventTime{window_start}, EventTime{window_end}};
}

std::unique_ptr<PartitionTask> MakeTask(const PipelineSpec& spec, int32_t partition = 0) {
  Result<std::unique_ptr<PartitionTask>> t = PartitionTask::Make(spec, SourcePosition{"mta-turnstile", partition, -1});
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return std::move(t).value();
}

struct Feeder {
  PartitionTask* task;
  CollectingSideOutput side;
  int64_t offset = 0;
  RecordOutcome operator()(const std::string& value) { return task->Process(value, KafkaOffset{offset++}, side); }
};

TEST(PartitionTask, EmitsTumblingWindowWhenWatermarkReachesItsEnd) {
  auto task = MakeTask(TurnstilePipeline(minutes(5), minutes(5)));
  Feeder feed{task.get()};
  const int64_t t10 = kDay + 10 * kHour;  // 10:00:00
  EXPECT_EQ(feed(Line("A002", "02-00-00", t10 + 10, 5, 7, "id1")), RecordOutcome::kAccepted);
  EXPECT_EQ(feed(Line("A001", "02-00-00", t10 + 60, 3, 1, "id2")), RecordOutcome::kAccepted);
  EXPECT_EQ(feed(Line("A002", "02-00-00", t10 + 299, 2, 2, "id3")), RecordOutcome::kAccepted);
  EXPECT_EQ(feed(Line("A002", "02-00-00", t10 + 300, 100, 100, "id4")), RecordOutcome::kAccepted);  // next window
  EXPECT_EQ(task->watermark(), t10);
  EXPECT_TRUE(task->TakeClosed().empty());
  // Watermark 10:04:59: [10:00, 10:05) still open.
  EXPECT_EQ(feed(Line("A001", "02-00-00", t10 + 599, 1, 1, "id5")), RecordOutcome::kAccepted);
  EXPECT_EQ(task->watermark(), t10 + 299);
  EXPECT_TRUE(task->TakeClosed().empty());
  // Watermark 10:05:00 = the window's end: emitted, sorted by group (A001 before A002).
  EXPECT_EQ(feed(Line("A001", "02-00-00", t10 + 600, 1, 1, "id6")), RecordOutcome::kAccepted);
  std::vector<Row> rows = task->TakeClosed();
  const std::vector<Row> expected = {
      TurnstileRow("A001", "02-00-00", "07/22/2024", "10:05:00", 3, 1, t10, t10 + 300),
      TurnstileRow("A002", "02-00-00", "07/22/2024", "10:05:00", 7, 9, t10, t10 + 300),
  };
  EXPECT_EQ(rows, expected);
  EXPECT_TRUE(task->TakeClosed().empty());  // emitted once

  task->Flush();
  const std::vector<Row> rest = {
      TurnstileRow("A001", "02-00-00", "07/22/2024", "10:10:00", 1, 1, t10 + 300, t10 + 600),
      TurnstileRow("A002", "02-00-00", "07/22/2024", "10:10:00", 100, 100, t10 + 300, t10 + 600),
      TurnstileRow("A001", "02-00-00", "07/22/2024", "10:15:00", 1, 1, t10 + 600, t10 + 900),
  };
  EXPECT_EQ(task->TakeClosed(), rest);
  TaskStats st = task->Stats();
  EXPECT_EQ(st.records, 6u);
  EXPECT_EQ(st.windows_emitted, 3u);
  EXPECT_EQ(st.rows_emitted, 5u);
  EXPECT_EQ(st.open_windows, 0u);
  EXPECT_EQ(st.groups, 0u);
  EXPECT_EQ(st.watermark, t10 + 900);
  EXPECT_EQ(st.next_offset, KafkaOffset{6});
}

TEST(PartitionTask, EachClosedRowsKeepsItsOwnGroupsAlive) {
  // A group shown in two batches of closed rows is kept alive by each: the second must
  // not rely on the first (destroyed first here; ASan would see a dangling group).
  auto task = MakeTask(TurnstilePipeline(minutes(5), minutes(5)));
  Feeder feed{task.get()};
  const int64_t t10 = kDay + 10 * kHour;
  feed(Line("A001", "02-00-00", t10 + 10, 1, 1, "id1"));
  feed(Line("A001", "02-00-00", t10 + 310, 2, 2, "id2"));  // the same group, next window
  feed(Line("A001", "02-00-00", t10 + 910, 3, 3, "id3"));  // closes both
  auto first = std::make_unique<ClosedRows>(task->TakeClosedRows());
  feed(Line("A001", "02-00-00", t10 + 1510, 4, 4, "id4"));  // closes the third
  ClosedRows second = task->TakeClosedRows();
  task.reset();
  std::vector<Row> rows;
  first->AppendTo(&rows);
  EXPECT_EQ(rows, (std::vector<Row>{
                      TurnstileRow("A001", "02-00-00", "07/22/2024", "10:05:00", 1, 1, t10, t10 + 300),
                      TurnstileRow("A001", "02-00-00", "07/22/2024", "10:10:00", 2, 2, t10 + 300, t10 + 600),
                  }));
  first.reset();
  rows.clear();
  second.AppendTo(&rows);
  EXPECT_EQ(rows, (std::vector<Row>{
                      TurnstileRow("A001", "02-00-00", "07/22/2024", "10:20:00", 3, 3, t10 + 900, t10 + 1200),
                  }));
}

TEST(ClosedRows, AMovedFromBatchKeepsTheGroupsItShowsAfterwards) {
  // A batch moved away leaves an object that may take rows again: it must keep its own
  // groups, not count on the batch it was moved into (destroyed first here, then the
  // state and its GroupTable; ASan would see a dangling group).
  const PipelineSpec spec = TurnstilePipeline(minutes(5), minutes(5));
  auto plan = std::make_shared<const AggregationPlan>(AggregationPlan::Make(spec));
  auto state = std::make_unique<AggregationState>(plan);
  RecordDecoder decoder(spec);
  std::string reason;
  const int64_t t10 = kDay + 10 * kHour;
  auto add = [&](int64_t t, int64_t entries) {
    const std::string line = Line("A001", "02-00-00", t, entries, entries, "id");  // the fields view it
    ASSERT_TRUE(decoder.Decode(line, &reason)) << reason;
    state->Add(decoder.fields(), decoder.event_time());
  };
  ClosedRows a(plan);
  add(t10 + 10, 1);
  EXPECT_EQ(state->CloseUpTo(t10 + 300, &a), 1u);
  auto b = std::make_unique<ClosedRows>(std::move(a));
  add(t10 + 310, 2);  // the same group, next window, into the moved-from object
  EXPECT_EQ(state->CloseUpTo(t10 + 600, &a), 1u);
  b.reset();
  state.reset();
  std::vector<Row> rows;
  a.AppendTo(&rows);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], TurnstileRow("A001", "02-00-00", "07/22/2024", "10:10:00", 2, 2, t10 + 300, t10 + 600));
}

TEST(PartitionTask, ClosedRowsOutliveTheTaskAndReadInAnyRangeAndByWindow) {
  auto task = MakeTask(TurnstilePipeline(minutes(5), minutes(5)));
  Feeder feed{task.get()};
  const int64_t t10 = kDay + 10 * kHour;
  feed(Line("A002", "02-00-00", t10 + 10, 5, 7, "id1"));
  feed(Line("A001", "02-00-00", t10 + 60, 3, 1, "id2"));
  feed(Line("A001", "02-00-00", t10 + 310, 4, 4, "id3"));
  feed(Line("A003", "02-00-00", t10 + 620, 2, 2, "id4"));
  feed(Line("A001", "02-00-00", t10 + 1500, 1, 1, "id5"));  // closes three windows
  ClosedRows closed = task->TakeClosedRows();
  EXPECT_EQ(closed.size(), 4u);
  EXPECT_EQ(task->Stats().pending_rows, 0u);
  task.reset();  // the rows share the group values and the plan: nothing dangles
  const Row built = TurnstileRow("Z", "02-00-00", "07/22/2024", "09:00:00", 1, 1, t10 - 3600, t10 - 3300);
  closed.AddBuilt(built);  // as restored from a checkpoint: comes first
  std::vector<Row> all;
  closed.AppendTo(&all);
  const std::vector<Row> expected_all = {
      built,
      TurnstileRow("A001", "02-00-00", "07/22/2024", "10:05:00", 3, 1, t10, t10 + 300),
      TurnstileRow("A002", "02-00-00", "07/22/2024", "10:05:00", 5, 7, t10, t10 + 300),
      TurnstileRow("A001", "02-00-00", "07/22/2024", "10:10:00", 4, 4, t10 + 300, t10 + 600),
      TurnstileRow("A003", "02-00-00", "07/22/2024", "10:15:00", 2, 2, t10 + 600, t10 + 900),
  };
  ASSERT_EQ(all, expected_all);
  for (size_t b = 0; b <= all.size(); ++b) {
    for (size_t e = b; e <= all.size(); ++e) {
      std::vector<Row> got;
      ASSERT_TRUE(closed.ForEach(b, e, [&](size_t i, RowView view) {
        EXPECT_EQ(i, b + got.size());
        Row r;
        for (const Value* v : view) r.push_back(*v);
        got.push_back(std::move(r));
        return Status::Ok();
      }).ok());
      EXPECT_EQ(got, std::vector<Row>(all.begin() + b, all.begin() + e)) << b << ".." << e;
    }
  }
  // The group columns are shared, tagged by group: rows 1 and 3 are A001's; the built row
  // shares nothing.
  const Schema schema = OutputSchema(TurnstilePipeline(minutes(5), minutes(5)));
  std::vector<std::string> shared_names;
  for (size_t c : closed.SharedColumns()) shared_names.push_back(schema.columns[c].name);
  EXPECT_EQ(shared_names, (std::vector<std::string>{"CA", "UNIT", "SCP", "STATION", "LINENAME", "DIVISION", "DESC"}));
  EXPECT_EQ(closed.SharedTag(0), nullptr);
  EXPECT_NE(closed.SharedTag(1), nullptr);
  EXPECT_EQ(closed.SharedTag(1), closed.SharedTag(3));
  EXPECT_NE(closed.SharedTag(1), closed.SharedTag(2));
  EXPECT_NE(closed.SharedTag(2), closed.SharedTag(4));
  std::vector<std::tuple<int64_t, size_t, size_t>> windows;
  closed.ForEachWindow([&](int64_t end, size_t b, size_t e) { windows.emplace_back(end, b, e); });
  const std::vector<std::tuple<int64_t, size_t, size_t>> expected = {
      {t10 + 300, 1, 3}, {t10 + 600, 3, 4}, {t10 + 900, 4, 5}};
  EXPECT_EQ(windows, expected);
}

TEST(PartitionTask, WindowEndingAtMidnightCarriesTheNewDate) {
  auto task = MakeTask(TurnstilePipeline(minutes(5), minutes(5)));
  Feeder feed{task.get()};
  const int64_t midnight = kDay + 24 * kHour;  // 2024-07-23 00:00:00
  feed(Line("A001", "02-00-00", midnight - 1, 4, 6, "id1"));
  feed(Line("A001", "02-00-00", midnight, 1, 1, "id2"));
  task->Flush();
  const std::vector<Row> expected = {
      TurnstileRow("A001", "02-00-00", "07/23/2024", "00:00:00", 4, 6, midnight - 300, midnight),
      TurnstileRow("A001", "02-00-00", "07/23/2024", "00:05:00", 1, 1, midnight, midnight + 300),
  };
  EXPECT_EQ(task->TakeClosed(), expected);
}

TEST(PartitionTask, HoppingWindowsCountARecordInEach) {
  auto task = MakeTask(TurnstilePipeline(minutes(10), minutes(5)));
  Feeder feed{task.get()};
  const int64_t t = kDay + 10 * kHour;
  feed(Line("A001", "02-00-00", t + 400, 10, 20, "id1"));  // in [10:00,10:10) and [10:05,10:15)
  feed(Line("A001", "02-00-00", t + 100, 1, 2, "id2"));    // in [09:55,10:05) and [10:00,10:10)
  task->Flush();
  const std::vector<Row> expected = {
      TurnstileRow("A001", "02-00-00", "07/22/2024", "10:05:00", 1, 2, t - 300, t + 300),
      TurnstileRow("A001", "02-00-00", "07/22/2024", "10:10:00", 11, 22, t, t + 600),
      TurnstileRow("A001", "02-00-00", "07/22/2024", "10:15:00", 10, 20, t + 300, t + 900),
  };
  EXPECT_EQ(task->TakeClosed(), expected);
}

// FlushStep closes what Flush closes, in pieces of about the rows asked for (a window's
// rows are never split), and leaves the same state.
TEST(PartitionTask, FlushInStepsGivesFlushsRowsInPieces) {
  const PipelineSpec spec = TurnstilePipeline(minutes(60), minutes(1));
  auto task = MakeTask(spec);
  Feeder feed{task.get()};
  const int64_t t = kDay + 10 * kHour;
  for (int64_t k = 0; k < 120; ++k) {  // 4 devices, a reading each every 2 minutes
    feed(Line("A00" + std::to_string(k % 4), "02-00-00", t + 30 * k, 1, 1, "id" + std::to_string(k)));
  }
  const std::string state = task->Serialize();
  auto whole = MakeTask(spec);
  ASSERT_TRUE(whole->Restore(state).ok());
  whole->Flush();
  const std::vector<Row> want = whole->TakeClosed();
  ASSERT_GT(want.size(), 300u);

  for (size_t step_rows : {size_t{1}, size_t{50}, size_t{1000}}) {
    auto stepped = MakeTask(spec);
    ASSERT_TRUE(stepped->Restore(state).ok());
    std::vector<Row> got = stepped->TakeClosed();  // rows pending in the checkpoint
    size_t steps = 0;
    bool done = false;
    while (!done) {
      // A step stops at the first window that brings the rows to the size asked (or to the
      // open cells, if more): at most one window's rows (4 devices) past it.
      const size_t bound = std::max(step_rows, stepped->Stats().open_cells) + 4;
      done = stepped->FlushStep(step_rows);
      std::vector<Row> piece = stepped->TakeClosed();
      EXPECT_LT(piece.size(), bound) << step_rows;
      got.insert(got.end(), piece.begin(), piece.end());
      ++steps;
    }
    EXPECT_EQ(got, want) << step_rows;
    EXPECT_EQ(stepped->watermark(), whole->watermark());
    EXPECT_TRUE(stepped->Serialize() == whole->Serialize()) << step_rows;
    EXPECT_EQ(steps > 1, step_rows < want.size()) << step_rows;
  }
}

TEST(PartitionTask, LateRecordsAreLeftOutCountedAndReturned) {
  auto task = MakeTask(TurnstilePipeline(minutes(5), minutes(5)));
  Feeder feed{task.get()};
  const int64_t t = kDay + 10 * kHour;
  feed(Line("A001", "02-00-00", t + 600, 1, 1, "id1"));  // watermark 10:05:00
  EXPECT_EQ(feed(Line("A001", "02-00-00", t + 299, 50, 50, "late1")), RecordOutcome::kLate);
  EXPECT_EQ(feed(Line("A001", "02-00-00", t + 300, 2, 2, "ontime")), RecordOutcome::kAccepted);  // == watermark
  ASSERT_EQ(feed.side.late.size(), 1u);
  const LateRecord& late = feed.side.late[0];
  EXPECT_EQ(late.position.ToString(), "mta-turnstile/0@1");
  EXPECT_EQ(late.value, Line("A001", "02-00-00", t + 299, 50, 50, "late1"));
  EXPECT_EQ(late.event_time, EventTime{t + 299});
  EXPECT_EQ(late.watermark, t + 300);
  task->Flush();
  const std::vector<Row> expected = {
      TurnstileRow("A001", "02-00-00", "07/22/2024", "10:10:00", 2, 2, t + 300, t + 600),
      TurnstileRow("A001", "02-00-00", "07/22/2024", "10:15:00", 1, 1, t + 600, t + 900),
  };
  EXPECT_EQ(task->TakeClosed(), expected);
  EXPECT_EQ(task->Stats().late, 1u);
  // After Flush every flushed window is behind the watermark: its records are late.
  EXPECT_EQ(feed(Line("A001", "02-00-00", t + 899, 1, 1, "after")), RecordOutcome::kLate);
}

TEST(PartitionTask, DuplicatesAreDroppedAndLateWinsOverDuplicate) {
  auto task = MakeTask(TurnstilePipeline(minutes(5), minutes(5)));
  Feeder feed{task.get()};
  const int64_t t = kDay + 10 * kHour;
  EXPECT_EQ(feed(Line("A001", "02-00-00", t + 10, 5, 5, "id1")), RecordOutcome::kAccepted);
  EXPECT_EQ(feed(Line("A001", "02-00-00", t + 10, 5, 5, "id1")), RecordOutcome::kDuplicate);
  // Same ID and TIMESTAMP at another station: a different key.
  EXPECT_EQ(feed(Line("A001", "02-00-00", t + 10, 1, 1, "id1", "Other")), RecordOutcome::kAccepted);
  // The key (ID, STATION, TIMESTAMP) ignores the counters: still a duplicate.
  EXPECT_EQ(feed(Line("A001", "02-00-00", t + 10, 9, 9, "id1")), RecordOutcome::kDuplicate);
  feed(Line("A001", "02-00-00", t + 900, 0, 0, "id2"));  // watermark 10:10:00
  // Duplicate of id1 and late: late wins.
  EXPECT_EQ(feed(Line("A001", "02-00-00", t + 10, 5, 5, "id1")), RecordOutcome::kLate);
  TaskStats st = task->Stats();
  EXPECT_EQ(st.duplicates, 2u);
  EXPECT_EQ(st.late, 1u);
  std::vector<Row> rows = task->TakeClosed();
  const std::vector<Row> expected = {
      TurnstileRow("A001", "02-00-00", "07/22/2024", "10:05:00", 1, 1, t, t + 300, "Other"),
      TurnstileRow("A001", "02-00-00", "07/22/2024", "10:05:00", 5, 5, t, t + 300),
  };
  EXPECT_EQ(rows, expected);
}

PipelineSpec KeyOnlyDedupSpec() {
  PipelineSpec s = TurnstilePipeline(minutes(5), minutes(5));
  s.dedup_key = {"ID"};
  return s;
}

TEST(PartitionTask, DedupKeysAreEvictedBelowTheWatermark) {
  auto task = MakeTask(KeyOnlyDedupSpec());
  Feeder feed{task.get()};
  const int64_t t = kDay + 10 * kHour;
  EXPECT_EQ(feed(Line("A001", "02-00-00", t, 1, 1, "k")), RecordOutcome::kAccepted);
  EXPECT_EQ(feed(Line("A001", "02-00-00", t + 300, 1, 1, "k")), RecordOutcome::kDuplicate);  // watermark t: t >= t
  EXPECT_EQ(feed(Line("A001", "02-00-00", t + 301, 1, 1, "x")), RecordOutcome::kAccepted);   // watermark t + 1
  // The key's first time t is now below the watermark: forgotten, accepted again.
  EXPECT_EQ(feed(Line("A001", "02-00-00", t + 302, 1, 1, "k")), RecordOutcome::kAccepted);
  EXPECT_EQ(feed(Line("A001", "02-00-00", t + 303, 1, 1, "k")), RecordOutcome::kDuplicate);
  EXPECT_EQ(task->Stats().duplicates, 2u);
}

// A duplicate still moves the watermark, and the windows it passes close then, not at the
// next accepted record.
TEST(PartitionTask, ADuplicateThatMovesTheWatermarkClosesWindows) {
  auto task = MakeTask(KeyOnlyDedupSpec());
  Feeder feed{task.get()};
  const int64_t t = kDay + 10 * kHour;
  EXPECT_EQ(feed(Line("A001", "02-00-00", t, 3, 4, "a")), RecordOutcome::kAccepted);
  EXPECT_EQ(feed(Line("A001", "02-00-00", t + 300, 1, 1, "k")), RecordOutcome::kAccepted);  // watermark t
  EXPECT_TRUE(task->TakeClosed().empty());
  // k again: a duplicate (first seen at t + 300, not below the new watermark t + 300),
  // which takes the watermark to the end of [t, t + 300).
  EXPECT_EQ(feed(Line("A001", "02-00-00", t + 600, 1, 1, "k")), RecordOutcome::kDuplicate);
  const std::vector<Row> expected = {TurnstileRow("A001", "02-00-00", "07/22/2024", "10:05:00", 3, 4, t, t + 300)};
  EXPECT_EQ(task->TakeClosed(), expected);
  EXPECT_EQ(task->Stats().windows_emitted, 1u);
}

TEST(PartitionTask, NoDedupWhenKeyIsEmpty) {
  PipelineSpec s = TurnstilePipeline(minutes(5), minutes(5));
  s.dedup_key.clear();
  auto task = MakeTask(s);
  Feeder feed{task.get()};
  const int64_t t = kDay;
  EXPECT_EQ(feed(Line("A001", "02-00-00", t, 1, 1, "k")), RecordOutcome::kAccepted);
  EXPECT_EQ(feed(Line("A001", "02-00-00", t, 1, 1, "k")), RecordOutcome::kAccepted);
  task->Flush();
  std::vector<Row> rows = task->TakeClosed();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][9], Value(int64_t{2}));
}

TEST(PartitionTask, BadRecordsGoToDeadLettersAndProcessingContinues) {
  auto task = MakeTask(TurnstilePipeline(minutes(5), minutes(5)), 3);
  Feeder feed{task.get()};
  feed.offset = 100;
  EXPECT_EQ(feed("A001,R001,only,three"), RecordOutcome::kBad);
  EXPECT_EQ(feed(Line("A001", "02-00-00", kDay, 1, 1, "k")), RecordOutcome::kAccepted);
  ASSERT_EQ(feed.side.dead_letters.size(), 1u);
  const DeadLetter& d = feed.side.dead_letters[0];
  EXPECT_EQ(d.position.topic, "mta-turnstile");
  EXPECT_EQ(d.position.partition, 3);
  EXPECT_EQ(d.position.offset, 100);
  EXPECT_EQ(d.value, "A001,R001,only,three");
  EXPECT_EQ(d.reason, "expected 13 fields, got 4");
  TaskStats st = task->Stats();
  EXPECT_EQ(st.records, 2u);
  EXPECT_EQ(st.bad, 1u);
  EXPECT_EQ(st.bytes, 20u + Line("A001", "02-00-00", kDay, 1, 1, "k").size());
}

// A window bound past 9999-12-31 23:59:59 would be written +10000-01-01 00:00:00, which
// readers take as text: such records are bad, not windows.
TEST(PartitionTask, RecordsWhoseWindowsLeaveYear9999AreBad) {
  auto task = MakeTask(TurnstilePipeline(minutes(5), minutes(5)));
  Feeder feed{task.get()};
  EXPECT_EQ(feed(Line("A001", "02-00-00", kMaxEventSeconds - 300, 1, 1, "a")), RecordOutcome::kAccepted);
  EXPECT_EQ(feed(Line("A001", "02-00-00", kMaxEventSeconds - 299, 1, 1, "b")), RecordOutcome::kBad);
  EXPECT_EQ(feed(Line("A001", "02-00-00", kMaxEventSeconds, 1, 1, "c")), RecordOutcome::kBad);
  ASSERT_EQ(feed.side.dead_letters.size(), 2u);
  EXPECT_EQ(feed.side.dead_letters[0].position.offset, 1);
  EXPECT_EQ(feed.side.dead_letters[0].reason,
            "event time 9999-12-31 23:55:00: a window containing it would end after 9999-12-31 23:59:59 or start "
            "before 0000-01-01, outside the timestamps lake readers take");
  task->Flush();
  const std::vector<Row> rows = task->TakeClosed();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].back(), Value(EventTime{kMaxEventSeconds - 299}));  // window_end 9999-12-31 23:55:00
  EXPECT_EQ(task->Stats().bad, 2u);
}

// A record far ahead of its partition moves the watermark with it; the task names it, so the
// job can say why the records after it are late.
TEST(PartitionTask, AJumpInEventTimeIsReported) {
  auto task = MakeTask(TurnstilePipeline(minutes(5), minutes(5)));
  Feeder feed{task.get()};
  const int64_t jump = kEventTimeJumpSeconds;
  const struct {
    int64_t t;
    RecordOutcome outcome;
    bool reported;
  } records[] = {
      {kDay, RecordOutcome::kAccepted, false},                          // the first: nothing before it
      {kDay + jump, RecordOutcome::kAccepted, false},                   // exactly the limit
      {kDay - 2 * jump, RecordOutcome::kLate, false},                   // late, not a jump
      {kDay + 2 * jump + 1, RecordOutcome::kAccepted, true},            // one second past it
      {kDay + 2 * jump + 1 + 600 * 86400, RecordOutcome::kAccepted, true},  // 600 days
      {kDay + 2 * jump + 2, RecordOutcome::kLate, false},              // behind it: late
  };
  for (const auto& r : records) {
    SCOPED_TRACE(Ts(r.t));
    EXPECT_EQ(feed(Line("A001", "02-00-00", r.t, 1, 1, Ts(r.t))), r.outcome);
  }
  ASSERT_EQ(feed.side.jumps.size(), 2u);
  const EventTimeJump& j = feed.side.jumps[1];
  EXPECT_EQ(j.position.ToString(), "mta-turnstile/0@4");
  EXPECT_EQ(j.from.seconds, kDay + 2 * jump + 1);
  EXPECT_EQ(j.to.seconds, kDay + 2 * jump + 1 + 600 * 86400);
  EXPECT_EQ(j.watermark, j.to.seconds - 300);
  EXPECT_EQ(feed.side.jumps[0].position.offset, 3);
}

TEST(PartitionTask, OffsetsAlreadyInTheStateAreSkipped) {
  Result<std::unique_ptr<PartitionTask>> made =
      PartitionTask::Make(TurnstilePipeline(minutes(5), minutes(5)), SourcePosition{"t", 0, 10});
  ASSERT_TRUE(made.ok());
  PartitionTask& task = **made;
  NullSideOutput side;
  EXPECT_EQ(task.Process(Line("A", "S", kDay, 1, 1, "a"), KafkaOffset{9}, side), RecordOutcome::kSkipped);
  EXPECT_EQ(task.Process(Line("A", "S", kDay, 1, 1, "a"), KafkaOffset{10}, side), RecordOutcome::kAccepted);
  EXPECT_EQ(task.Process(Line("A", "S", kDay, 1, 1, "b"), KafkaOffset{10}, side), RecordOutcome::kSkipped);
  EXPECT_EQ(task.Process(Line("A", "S", kDay, 1, 1, "c"), KafkaOffset{15}, side), RecordOutcome::kAccepted);
  EXPECT_EQ(task.next_offset(), KafkaOffset{16});
  EXPECT_EQ(task.Stats().skipped, 2u);
  EXPECT_EQ(task.Stats().records, 2u);
}

TEST(PartitionTask, AdvanceToClosesWindowsWithoutRecords) {
  auto task = MakeTask(TurnstilePipeline(minutes(5), minutes(5)));
  Feeder feed{task.get()};
  feed(Line("A001", "02-00-00", kDay + 1, 1, 1, "a"));
  feed(Line("A001", "02-00-00", kDay + 301, 1, 1, "b"));
  task->AdvanceTo(EventTime{kDay + 299});
  EXPECT_TRUE(task->TakeClosed().empty());
  task->AdvanceTo(EventTime{kDay + 300});
  EXPECT_EQ(task->TakeClosed().size(), 1u);
  task->AdvanceTo(EventTime{kDay});  // never lowers
  EXPECT_EQ(task->watermark(), kDay + 300);
  EXPECT_EQ(feed(Line("A001", "02-00-00", kDay + 299, 1, 1, "c")), RecordOutcome::kLate);
}

TEST(PartitionTask, TaxiJsonCountAndSumOverHoppingWindows) {
  Result<PipelineSpec> spec = LoadPipelineYaml("pipelines/taxi-rides.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  auto task = MakeTask(*spec);
  Feeder feed{task.get()};
  auto ride = [](int pu, const std::string& pickup, double total) {
    return R"({"VendorID": 1, "tpep_pickup_datetime": ")" + pickup +
           R"(", "tpep_dropoff_datetime": "2020-07-01 01:00:00", "passenger_count": 1, "trip_distance": 1.5,)"
           R"( "RatecodeID": 1, "store_and_fwd_flag": "N", "PULocationID": )" +
           std::to_string(pu) +
           R"(, "DOLocationID": 75, "payment_type": 2, "fare_amount": 8, "extra": 0.5, "mta_tax": 0.5,)"
           R"( "tip_amount": 0, "tolls_amount": 0, "improvement_surcharge": 0.3, "total_amount": )" +
           std::to_string(total) + R"(, "congestion_surcharge": 0})";
  };
  EXPECT_EQ(feed(ride(238, "2020-07-01 00:07:00", 9.5)), RecordOutcome::kAccepted);
  EXPECT_EQ(feed(ride(238, "2020-07-01 00:03:00", 10.25)), RecordOutcome::kAccepted);
  EXPECT_EQ(feed(ride(138, "2020-07-01 00:04:59", 1.0)), RecordOutcome::kAccepted);
  EXPECT_EQ(feed(R"({"VendorID": 1})"), RecordOutcome::kBad);
  EXPECT_EQ(feed.side.dead_letters.at(0).reason, "missing key 'tpep_pickup_datetime'");
  task->Flush();
  const int64_t h = 1593561600;  // 2020-07-01 00:00:00
  const std::vector<Row> expected = {
      {int64_t{138}, EventTime{h - 300}, EventTime{h + 300}, int64_t{1}, 1.0},
      {int64_t{238}, EventTime{h - 300}, EventTime{h + 300}, int64_t{1}, 10.25},
      {int64_t{138}, EventTime{h}, EventTime{h + 600}, int64_t{1}, 1.0},
      {int64_t{238}, EventTime{h}, EventTime{h + 600}, int64_t{2}, 19.75},
      {int64_t{238}, EventTime{h + 300}, EventTime{h + 900}, int64_t{1}, 9.5},
  };
  EXPECT_EQ(task->TakeClosed(), expected);
}

TEST(PartitionTask, MinMaxAvgAndNulls) {
  PipelineSpec s;
  s.name = "agg";
  s.format = WireFormat::kJson;
  s.schema = {{"k", ColumnType::kString}, {"v", ColumnType::kInt64}, {"ts", ColumnType::kTimestamp}};
  s.event_time_field = "ts";
  s.window = {60, 60};
  s.watermark_delay = 60;
  s.group_by = {"k"};
  s.aggregates = {{"lo", AggregateFunction::kMin, "v"},  {"hi", AggregateFunction::kMax, "v"},
                  {"mean", AggregateFunction::kAvg, "v"}, {"n", AggregateFunction::kCount, "v"},
                  {"rows", AggregateFunction::kCount, ""}, {"first", AggregateFunction::kMin, "ts"},
                  {"total", AggregateFunction::kSum, "v"}};
  s.output = {{"k", "k"}, {"lo", "lo"}, {"hi", "hi"}, {"mean", "mean"}, {"n", "n"}, {"rows", "rows"},
              {"first", "first"}, {"total", "total"}, {"end", "window_end", TimeRender::kText}};
  auto task = MakeTask(s);
  Feeder feed{task.get()};
  feed(R"({"k": "a", "v": 4, "ts": "2024-07-22 00:00:10"})");
  feed(R"({"k": "a", "v": -2, "ts": "2024-07-22 00:00:05"})");
  feed(R"({"k": "a", "v": null, "ts": "2024-07-22 00:00:20"})");
  feed(R"({"k": null, "v": 7, "ts": "2024-07-22 00:00:30"})");
  feed(R"({"k": "b", "v": null, "ts": "2024-07-22 00:00:40"})");
  task->Flush();
  const std::vector<Row> expected = {
      {std::monostate{}, int64_t{7}, int64_t{7}, 7.0, int64_t{1}, int64_t{1}, EventTime{kDay + 30}, int64_t{7},
       std::string("2024-07-22 00:01:00")},
      {std::string("a"), int64_t{-2}, int64_t{4}, 1.0, int64_t{2}, int64_t{3}, EventTime{kDay + 5}, int64_t{2},
       std::string("2024-07-22 00:01:00")},
      {std::string("b"), std::monostate{}, std::monostate{}, std::monostate{}, int64_t{0}, int64_t{1},
       EventTime{kDay + 40}, std::monostate{}, std::string("2024-07-22 00:01:00")},
  };
  EXPECT_EQ(task->TakeClosed(), expected);
  EXPECT_EQ(task->output_schema().columns[3], (Column{"mean", ColumnType::kDouble}));
  EXPECT_EQ(task->output_schema().columns[6], (Column{"first", ColumnType::kTimestamp}));
}

// No aggregates (`aggregates: []`): each window's distinct groups, in tumbling and hopping
// windows and across a checkpoint. A cell then has no accumulators at all.
TEST(PartitionTask, PipelineWithoutAggregatesListsEachWindowsGroups) {
  PipelineSpec s;
  s.name = "distinct";
  s.format = WireFormat::kJson;
  s.schema = {{"k", ColumnType::kString}, {"ts", ColumnType::kTimestamp}};
  s.event_time_field = "ts";
  s.watermark_delay = 0;
  s.group_by = {"k"};
  s.output = {{"k", "k"}, {"end", "window_end", TimeRender::kText}};
  for (const WindowSpec window : {WindowSpec{60, 60}, WindowSpec{120, 60}}) {
    s.window = window;
    auto task = MakeTask(s);
    Feeder feed{task.get()};
    feed(R"({"k": "b", "ts": "2024-07-22 00:00:10"})");
    feed(R"({"k": "a", "ts": "2024-07-22 00:00:20"})");
    feed(R"({"k": "b", "ts": "2024-07-22 00:00:30"})");
    auto restored = MakeTask(s);
    ASSERT_TRUE(restored->Restore(task->Serialize()).ok());
    feed.task = restored.get();
    feed(R"({"k": "c", "ts": "2024-07-22 00:01:10"})");
    restored->Flush();
    const std::string end1 = "2024-07-22 00:01:00", end2 = "2024-07-22 00:02:00", end3 = "2024-07-22 00:03:00";
    std::vector<Row> expected = {{std::string("a"), end1}, {std::string("b"), end1}};
    if (window.size == 60) {
      expected.push_back({std::string("c"), end2});
    } else {
      for (const Row& r : std::vector<Row>{{std::string("a"), end2}, {std::string("b"), end2},
                                           {std::string("c"), end2}, {std::string("c"), end3}}) {
        expected.push_back(r);
      }
    }
    EXPECT_EQ(restored->TakeClosed(), expected) << window.size;
  }
}

// avg over int64 is the exact mean as a double, also when the int64 sum would wrap (sum
// wraps, as documented); the state that carries it survives a checkpoint.
TEST(PartitionTask, AvgOfInt64DoesNotWrap) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  struct Case {
    std::vector<int64_t> values;
    double mean;  // computed by hand
  };
  const std::vector<Case> cases = {
      {{5000000000000000000, 5000000000000000000}, 5e18},
      {{kMax, kMax, kMax}, 9223372036854775807.0},
      {{kMin, kMin}, -9223372036854775808.0},
      {{kMax, kMin}, -0.5},
      {{kMax, 1, -3}, 3074457345618258602.0},  // (2^63 - 3) / 3
      {{7, 8}, 7.5},
  };
  for (const Case& c : cases) {
    PipelineSpec s;
    s.name = "avg";
    s.format = WireFormat::kJson;
    s.schema = {{"v", ColumnType::kInt64}, {"ts", ColumnType::kTimestamp}};
    s.event_time_field = "ts";
    s.window = {60, 60};
    s.watermark_delay = 60;
    s.aggregates = {{"mean", AggregateFunction::kAvg, "v"}};
    s.output = {{"mean", "mean"}, {"end", "window_end"}};
    auto task = MakeTask(s);
    Feeder feed{task.get()};
    for (size_t k = 0; k < c.values.size(); ++k) {
      // Half the values before a checkpoint, half after it in a restored task.
      if (k == c.values.size() / 2) {
        auto restored = MakeTask(s);
        ASSERT_TRUE(restored->Restore(task->Serialize()).ok());
        task = std::move(restored);
        feed.task = task.get();
      }
      feed(R"({"v": )" + std::to_string(c.values[k]) + R"(, "ts": "2024-07-22 00:00:10"})");
    }
    task->Flush();
    const std::vector<Row> rows = task->TakeClosed();
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0], Value(c.mean)) << c.values.size() << " values, first " << c.values[0];
  }
}

// Writers skip their check of each row when ClosedRows vouches for it (Fits): every row it
// builds must fit the output schema, for every aggregate over every type it takes, NULL
// results included, and for every rendering of the window bounds.
TEST(PartitionTask, ClosedRowsFitTheOutputSchemaForEveryAggregateAndRendering) {
  PipelineSpec s;
  s.name = "types";
  s.format = WireFormat::kJson;
  s.schema = {{"k", ColumnType::kString}, {"i", ColumnType::kInt64}, {"d", ColumnType::kDouble},
              {"ts", ColumnType::kTimestamp}};
  s.event_time_field = "ts";
  s.window = {60, 30};
  s.watermark_delay = 60;
  s.group_by = {"k", "i"};
  const std::pair<AggregateFunction, std::vector<std::string>> functions[] = {
      {AggregateFunction::kSum, {"i", "d"}},        {AggregateFunction::kAvg, {"i", "d"}},
      {AggregateFunction::kMin, {"i", "d", "ts"}},  {AggregateFunction::kMax, {"i", "d", "ts"}},
      {AggregateFunction::kCount, {"i", "d", "ts", ""}}};
  s.output = {{"k", "k"}, {"i", "i"}};
  for (const auto& [function, fields] : functions) {
    for (const std::string& field : fields) {
      const std::string name = "a" + std::to_string(s.aggregates.size());
      s.aggregates.push_back({name, function, field});
      s.output.push_back({name, name});
    }
  }
  for (TimeRender render : {TimeRender::kTimestamp, TimeRender::kDateMdy, TimeRender::kTimeOfDay,
                            TimeRender::kIsoDate, TimeRender::kText}) {
    const std::string n = std::to_string(static_cast<int>(render));
    s.output.push_back({"start" + n, std::string(kWindowStart), render});
    s.output.push_back({"end" + n, std::string(kWindowEnd), render});
  }
  auto task = MakeTask(s);
  Feeder feed{task.get()};
  feed(R"({"k": "a", "i": 4, "d": 1.5, "ts": "2024-07-22 00:00:10"})");
  feed(R"({"k": "a", "i": 4, "d": null, "ts": "2024-07-22 00:00:40"})");
  feed(R"({"k": null, "i": null, "d": null, "ts": "2024-07-22 00:01:05"})");  // NULL results
  feed(R"({"k": "b", "i": -1, "d": -0.5, "ts": "2024-07-22 23:59:59"})");
  task->Flush();
  ClosedRows rows = task->TakeClosedRows();
  ASSERT_GT(rows.size(), 4u);
  const Schema& schema = task->output_schema();
  EXPECT_TRUE(rows.Fits(schema, 0, rows.size()));
  size_t checked = 0;
  ASSERT_TRUE(rows.ForEach(0, rows.size(), [&](size_t i, RowView row) {
                    EXPECT_TRUE(ValidateRow(schema, row).ok()) << "row " << i << ": " << ValidateRow(schema, row).message();
                    ++checked;
                    return Status::Ok();
                  }).ok());
  EXPECT_EQ(checked, rows.size());
  // Another schema is not vouched for.
  Schema other = schema;
  other.columns[2].type = ColumnType::kString;
  EXPECT_FALSE(rows.Fits(other, 0, rows.size()));
}

// Rows restored from a checkpoint are checked by the writers as before.
TEST(PartitionTask, RowsFromACheckpointAreNotVouchedFor) {
  PipelineSpec s = TurnstilePipeline(std::chrono::minutes(5), std::chrono::minutes(5));
  auto task = MakeTask(s);
  Feeder feed{task.get()};
  feed(Line("A002", "02-00-00", kDay + 10, 5, 3, "id1"));
  feed(Line("A002", "02-00-00", kDay + 20 * 60, 5, 3, "id2"));  // closes the first window
  ASSERT_GT(task->Stats().pending_rows, 0u);
  auto restored = MakeTask(s);
  ASSERT_TRUE(restored->Restore(task->Serialize()).ok());
  ClosedRows rows = restored->TakeClosedRows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_FALSE(rows.Fits(restored->output_schema(), 0, 1));
}

// ---- checkpoints ----

// A deterministic stream with everything in it: several devices, out-of-order times,
// duplicates, late records and bad records.
std::vector<std::string> MixedStream(size_t n) {
  std::vector<std::string> out;
  uint64_t x = 88172645463325252ull;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  int64_t clock = kDay + 23 * kHour;  // crosses midnight
  for (size_t i = 0; i < n; ++i) {
    uint64_t r = next();
    clock += static_cast<int64_t>(r % 7);
    int64_t t = clock - static_cast<int64_t>((r >> 8) % 400);  // up to 400 s out of order: some late
    std::string ca = "A00" + std::to_string((r >> 20) % 5);
    std::string scp = "02-00-0" + std::to_string((r >> 24) % 3);
    switch ((r >> 32) % 20) {
      case 0:
        out.push_back("garbage," + std::to_string(i));
        break;
      case 1:
        if (!out.empty()) {
          out.push_back(out[(r >> 40) % out.size()]);  // a duplicate (or late) of an earlier one
          break;
        }
        [[fallthrough]];
      default:
        out.push_back(Line(ca, scp, t, static_cast<int64_t>((r >> 44) % 11), static_cast<int64_t>((r >> 50) % 11),
                           "id" + std::to_string(i)));
    }
  }
  return out;
}

struct RunResult {
  std::vector<Row> rows;
  std::vector<std::string> dead;
  std::vector<std::string> late;
};

void Feed(PartitionTask& task, const std::vector<std::string>& stream, size_t from, size_t to, RunResult* result) {
  CollectingSideOutput side;
  for (size_t i = from; i < to; ++i) task.Process(stream[i], KafkaOffset{static_cast<int64_t>(i)}, side);
  for (auto& d : side.dead_letters) result->dead.push_back(d.position.ToString() + " " + d.reason);
  for (auto& l : side.late) result->late.push_back(l.position.ToString());
}

void ExpectSameCounters(const TaskStats& a, const TaskStats& b) {
  EXPECT_EQ(a.records, b.records);
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_EQ(a.bad, b.bad);
  EXPECT_EQ(a.late, b.late);
  EXPECT_EQ(a.duplicates, b.duplicates);
  EXPECT_EQ(a.windows_emitted, b.windows_emitted);
  EXPECT_EQ(a.rows_emitted, b.rows_emitted);
  EXPECT_EQ(a.watermark, b.watermark);
  EXPECT_EQ(a.next_offset, b.next_offset);
}

TEST(PartitionTaskCheckpoint, RestoreThenContinueEqualsNeverStopping) {
  const std::vector<std::string> stream = MixedStream(20000);
  for (PipelineSpec spec : {TurnstilePipeline(minutes(5), minutes(5)), TurnstilePipeline(minutes(10), minutes(5))}) {
    auto reference = MakeTask(spec);
    RunResult expected;
    Feed(*reference, stream, 0, stream.size(), &expected);
    reference->Flush();
    expected.rows = reference->TakeClosed();
    ASSERT_GT(expected.rows.size(), 1000u);
    ASSERT_GT(reference->Stats().late, 10u);
    ASSERT_GT(reference->Stats().duplicates, 10u);
    ASSERT_GT(reference->Stats().bad, 10u);

    for (size_t cut : {size_t{0}, size_t{1}, size_t{777}, size_t{10000}, size_t{19999}, stream.size()}) {
      for (bool take_before : {false, true}) {
        RunResult got;
        std::string checkpoint;
        {
          auto first = MakeTask(spec);
          Feed(*first, stream, 0, cut, &got);
          if (take_before) got.rows = first->TakeClosed();
          checkpoint = first->Serialize();
          // Serialize is a pure read: a second one is byte-identical.
          ASSERT_TRUE(first->Serialize() == checkpoint);
        }
        auto second = MakeTask(spec);
        ASSERT_TRUE(second->Restore(checkpoint).ok());
        EXPECT_TRUE(second->Serialize() == checkpoint) << "cut " << cut;
        Feed(*second, stream, cut, stream.size(), &got);
        second->Flush();
        for (Row& r : second->TakeClosed()) got.rows.push_back(std::move(r));
        EXPECT_EQ(got.rows, expected.rows) << "cut " << cut << " take_before " << take_before;
        EXPECT_EQ(got.dead, expected.dead) << "cut " << cut;
        EXPECT_EQ(got.late, expected.late) << "cut " << cut;
        ExpectSameCounters(second->Stats(), reference->Stats());
      }
    }
  }
}

// A checkpoint of hopping windows written before panes (format version 1, by the previous
// release: 15-minute windows sliding by 5, fed records 0..699 of MixedStream(1200), rows
// not taken) holds whole windows. Restored, fed the rest: the same rows as one run of the
// whole stream, and its next checkpoint (version 2, with those windows) restores the same.
TEST(PartitionTaskCheckpoint, AVersion1HoppingCheckpointResumesExactly) {
  std::ifstream in("src/stream/testdata/checkpoint-v1-hopping-15m-5m.bin", std::ios::binary);
  ASSERT_TRUE(in) << "run from the source folder";
  const std::string v1((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(v1.substr(0, 8), std::string("LSPT\x01\x00\x00\x00", 8));
  const PipelineSpec spec = TurnstilePipeline(minutes(15), minutes(5));
  const std::vector<std::string> stream = MixedStream(1200);
  const size_t cut = 700;

  auto reference = MakeTask(spec);
  RunResult expected;
  Feed(*reference, stream, 0, stream.size(), &expected);
  reference->Flush();
  expected.rows = reference->TakeClosed();

  auto restored = MakeTask(spec);
  ASSERT_TRUE(restored->Restore(v1).ok());
  EXPECT_EQ(restored->Stats().open_windows, 6u);  // what the previous release reported
  EXPECT_EQ(restored->Stats().next_offset, KafkaOffset{static_cast<int64_t>(cut)});
  RunResult got;
  Feed(*restored, stream, cut, 900, &got);
  // Half way: its checkpoint (now version 2) still holds the unfinished whole windows.
  const std::string v2 = restored->Serialize();
  EXPECT_EQ(v2.substr(0, 8), std::string("LSPT\x02\x00\x00\x00", 8));
  auto again = MakeTask(spec);
  ASSERT_TRUE(again->Restore(v2).ok());
  for (PartitionTask* task : {restored.get(), again.get()}) {
    RunResult rest;
    Feed(*task, stream, 900, stream.size(), &rest);
    task->Flush();
    EXPECT_EQ(task->TakeClosed(), expected.rows);
    ExpectSameCounters(task->Stats(), reference->Stats());
  }
}

TEST(PartitionTaskCheckpoint, RedeliveryAfterRestoreIsSkipped) {
  const std::vector<std::string> stream = MixedStream(3000);
  const PipelineSpec spec = TurnstilePipeline(minutes(5), minutes(5));
  auto reference = MakeTask(spec);
  RunResult expected;
  Feed(*reference, stream, 0, stream.size(), &expected);
  reference->Flush();

  auto first = MakeTask(spec);
  RunResult got;
  Feed(*first, stream, 0, 2000, &got);
  std::string checkpoint = first->Serialize();
  auto second = MakeTask(spec);
  ASSERT_TRUE(second->Restore(checkpoint).ok());
  EXPECT_EQ(second->next_offset(), KafkaOffset{2000});
  RunResult ignored;
  Feed(*second, stream, 1500, stream.size(), &ignored);  // the consumer rewound too far
  second->Flush();
  EXPECT_EQ(second->TakeClosed(), reference->TakeClosed());
  EXPECT_EQ(second->Stats().skipped, 500u);
}

TEST(PartitionTaskCheckpoint, RejectsCorruptForeignAndMismatchedCheckpoints) {
  const PipelineSpec spec = TurnstilePipeline(minutes(5), minutes(5));
  auto task = MakeTask(spec);
  Feeder feed{task.get()};
  for (const std::string& line : MixedStream(500)) feed(line);
  const std::string good = task->Serialize();
  ASSERT_GT(good.size(), 1000u);
  EXPECT_EQ(good.substr(0, 4), "LSPT");

  auto fresh = MakeTask(spec);
  const std::string before = fresh->Serialize();

  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x40;
  EXPECT_EQ(fresh->Restore(flipped).code(), StatusCode::kDataLoss);
  EXPECT_EQ(fresh->Restore(good.substr(0, good.size() - 9)).code(), StatusCode::kDataLoss);
  EXPECT_EQ(fresh->Restore("").code(), StatusCode::kDataLoss);
  EXPECT_EQ(fresh->Restore("not a checkpoint at all").code(), StatusCode::kDataLoss);

  std::string future = good;
  future[4] = 3;
  Status st = fresh->Restore(future);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(st.message(), "checkpoint: format version 3 is not supported (this build reads versions 1 to 2)");
  future[4] = 0;
  EXPECT_EQ(fresh->Restore(future).code(), StatusCode::kFailedPrecondition);

  auto other_partition = MakeTask(spec, 1);
  st = other_partition->Restore(good);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);  // a misplaced file: restore or move it
  EXPECT_EQ(st.message(), "checkpoint: belongs to mta-turnstile/0, not mta-turnstile/1");

  auto other_spec = MakeTask(TurnstilePipeline(minutes(10), minutes(5)));
  EXPECT_EQ(other_spec->Restore(good).code(), StatusCode::kInvalidArgument);  // another job: exit 2

  // Failed restores left the task as it was.
  EXPECT_TRUE(fresh->Serialize() == before);
}

// Pane starts and the last emitted window end lie in the lake's years (records outside are
// bad): a checkpoint saying otherwise is refused, not computed with.
TEST(PartitionTaskCheckpoint, TimesOutsideTheLakesYearsAreRefused) {
  const PipelineSpec spec = TurnstilePipeline(minutes(10), minutes(5));
  auto task = MakeTask(spec);
  Feeder feed{task.get()};
  const int64_t t = kDay + 10 * kHour;
  feed(Line("A001", "02-00-00", t + 30, 1, 1, "a"));
  feed(Line("A001", "02-00-00", t + 3600, 1, 1, "b"));  // closes windows: an emitted end
  const std::string good = task->Serialize();
  auto reseal = [](std::string bytes) {
    bytes.resize(bytes.size() - 8);
    const uint64_t sum = XXH3_64bits(bytes.data(), bytes.size());
    bytes.append(reinterpret_cast<const char*>(&sum), 8);
    return bytes;
  };
  auto at = [&](int64_t value, size_t from, std::string after = "") {
    const size_t found = good.find(std::string(reinterpret_cast<const char*>(&value), 8) + after, from);
    EXPECT_NE(found, std::string::npos);
    return found;
  };
  auto replaced = [&](size_t where, int64_t to) {
    std::string bytes = good;
    std::memcpy(bytes.data() + where, &to, 8);
    return reseal(bytes);
  };
  // The later record's pane: its start, then 1 cell, of group 0 (the watermark and the
  // dedup key hold the time too, followed by other bytes); then the end of the last window
  // emitted, [t, t + 600).
  const size_t pane = at(t + 3600, 0, std::string("\x01\x00\x00\x00\x00\x00\x00\x00", 8));
  const size_t end = at(t + 600, pane);
  const int64_t far = (kMaxEventSeconds / 300 + 1) * 300;  // aligned, past 9999
  auto restored = MakeTask(spec);
  Status st = restored->Restore(replaced(pane, far));
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_EQ(st.message(), fmt::format("checkpoint: pane start {} has windows outside years 0000-9999", far));
  // In the years, but a window of it ends at 10000-01-01 00:00 or later. The last pane that
  // fits starts at 23:45: its windows are [23:40, 23:50) and [23:45, 23:55).
  for (const int64_t last : {kMaxEventSeconds - 299, kMaxEventSeconds - 599}) {  // 23:55, 23:50
    st = restored->Restore(replaced(pane, last));
    EXPECT_EQ(st.code(), StatusCode::kDataLoss);
    EXPECT_EQ(st.message(), fmt::format("checkpoint: pane start {} has windows outside years 0000-9999", last));
  }
  EXPECT_TRUE(restored->Restore(replaced(pane, kMaxEventSeconds - 899)).ok());
  st = restored->Restore(replaced(end, std::numeric_limits<int64_t>::min()));
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_EQ(st.message(), fmt::format("checkpoint: last window end {} is outside years 0000-9999",
                                      std::numeric_limits<int64_t>::min()));
  EXPECT_TRUE(restored->Restore(reseal(good)).ok());
}

// The reader behind the checksum must be safe on its own: every truncation, re-sealed with
// a valid checksum, is rejected without reading out of bounds (run under ASan in CI).
TEST(PartitionTaskCheckpoint, TruncatedBodiesWithValidChecksumsAreRejected) {
  const PipelineSpec spec = TurnstilePipeline(minutes(10), minutes(5));
  auto task = MakeTask(spec);
  Feeder feed{task.get()};
  for (const std::string& line : MixedStream(300)) feed(line);
  std::string good = task->Serialize();
  const std::string body = good.substr(0, good.size() - 8);
  auto target = MakeTask(spec);
  for (size_t len = 16; len < body.size(); ++len) {
    std::string cut = body.substr(0, len);
    uint64_t sum = XXH3_64bits(cut.data(), cut.size());
    cut.append(reinterpret_cast<const char*>(&sum), 8);
    Status st = target->Restore(cut);
    ASSERT_FALSE(st.ok()) << len;
    ASSERT_EQ(st.code(), StatusCode::kDataLoss) << len << " " << st.message();
  }
  EXPECT_TRUE(target->Restore(good).ok());
}

// Bytes changed behind a valid checksum (a bug in another writer, a hand edit): every
// change is either read as a checkpoint or refused with a Status, never a crash, an
// out-of-bounds read (ASan in CI) or an allocation the bytes cannot back. Seeded: the
// same 3,000 mutations every run.
TEST(PartitionTaskCheckpoint, MutatedBodiesWithValidChecksumsNeverCrash) {
  const PipelineSpec spec = TurnstilePipeline(minutes(10), minutes(5));
  auto task = MakeTask(spec);
  Feeder feed{task.get()};
  for (const std::string& line : MixedStream(200)) feed(line);
  const std::string good = task->Serialize();
  const std::string body = good.substr(0, good.size() - 8);
  std::mt19937 rng(20261124);
  size_t refused = 0;
  for (int k = 0; k < 3000; ++k) {
    std::string bytes = body;
    const int changes = 1 + static_cast<int>(rng() % 4);
    for (int c = 0; c < changes; ++c) {
      const size_t at = 8 + rng() % (bytes.size() - 8);  // past magic and version
      bytes[at] = static_cast<char>(k % 3 == 0 ? 0xFF : rng() & 0xFF);
    }
    const uint64_t sum = XXH3_64bits(bytes.data(), bytes.size());
    bytes.append(reinterpret_cast<const char*>(&sum), 8);
    auto target = MakeTask(spec);
    const Status st = target->Restore(bytes);
    if (!st.ok()) {
      ++refused;
      EXPECT_TRUE(st.code() == StatusCode::kDataLoss || st.code() == StatusCode::kFailedPrecondition ||
                  st.code() == StatusCode::kInvalidArgument)
          << k << ": " << st.ToString();
    }
  }
  EXPECT_GT(refused, 1000u);  // most changes are caught (the rest hit counters or values)
}

TEST(PartitionTaskCheckpoint, FormatOfAnEmptyTask) {
  auto task = MakeTask(TurnstilePipeline(minutes(5), minutes(5)));
  const std::string bytes = task->Serialize();
  // magic 4 + version 4 + spec hash 8 + topic 4+13 + partition 4 + next offset 9 + counters 56
  // + watermark 33 + dedup 8 + groups 4 + panes 4 + last emitted end 9 + restored windows 4
  // + pending 8 + checksum 8
  EXPECT_EQ(bytes.size(), 4u + 4 + 8 + 17 + 4 + 9 + 56 + 33 + 8 + 4 + 4 + 9 + 4 + 8 + 8);
  EXPECT_EQ(bytes.substr(0, 8), std::string("LSPT\x02\x00\x00\x00", 8));
}

}  // namespace
}  // namespace lakestream::stream
