// Windowed aggregation: the compiled plan (immutable) and the state it works on.
//
// State layout, chosen to keep memory proportional to live groups, not records:
//  - GroupTable interns each distinct group key once (its encoded bytes, its typed values
//    shared and immutable, a sort key), reference-counted by the open (pane, group)
//    cells that use it; a group no open pane needs stays interned while idle, until
//    more than kMaxIdle are idle, and then its id is reused.
//  - Records are summed per pane: the spans between consecutive window bounds (starts at
//    multiples of the slide, ends at those plus the size), so that every window is a run
//    of whole panes. With r = size mod slide, a slide holds one pane (r = 0: tumbling
//    windows, or a slide that divides the size) or two, of r and slide - r seconds. Each
//    pane holds a group id -> cell hash index (sized by its cells) and, per cell, one
//    Accumulator per aggregate (64-bit integer sum, double sum, count). A record updates one pane however
//    many windows hold it; a closing window merges its panes (size / slide of them, or
//    twice that plus one). So a day sliding by a minute keeps a day of one-minute panes,
//    not 1,440 copies of every record's cells, in memory and in each checkpoint; a group
//    with a record in every pane holds at most about twice the cells whole windows did.
//  - A closed window leaves as ClosedRows: group values (shared) + accumulators, which
//    the lake reads as row views on another thread.
// Windows close in end order, so the rows emitted over a task's life are sorted by
// (window end, group values) whatever the batch boundaries.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/table.h"
#include "stream/byte_codec.h"
#include "stream/decoder.h"
#include "stream/pipeline_spec.h"

namespace lakestream::stream {

// Encodes fields for hashing and equality: a type tag, then 8 bytes or u32 length + bytes.
// Both overloads give the same bytes for the same value, so keys rebuilt from a
// checkpoint's Values match keys built from decoded records.
void AppendKeyPart(std::string* out, ColumnType type, const FieldValue& v);
void AppendKeyPart(std::string* out, const Value& v);
// The key of fields[indexes[k]] (of types[k]) for every k: the same bytes as AppendKeyPart
// of each, written in one pass (the group and dedup keys of every record) at the start of
// *buffer, which is scratch: it only grows, and the view is valid until its next use.
std::string_view EncodeKey(const std::vector<FieldValue>& fields, const std::vector<size_t>& indexes,
                           const std::vector<ColumnType>& types, std::string* buffer);

// Encodes a value so that byte-wise comparison (memcmp, then length) of two encodings of a
// column orders as Value's operator<=> does (NULL first; strings by unsigned bytes; numbers
// and times numerically), and no encoding is a prefix of another of the same column:
// concatenated per column, the encodings sort rows as Row's operator<=> does.
void AppendSortKeyPart(std::string* out, const Value& v);

struct AggregatePlan {
  AggregateFunction function;
  int field = -1;  // schema index; -1 for count of records
  ColumnType type = ColumnType::kInt64;
};

struct OutputPlan {
  enum class Kind { kGroupField, kAggregate, kWindowStart, kWindowEnd };
  Kind kind;
  size_t index = 0;  // into group_fields or aggregates
  TimeRender render = TimeRender::kTimestamp;
};

// Compiled once from a valid spec; immutable.
struct AggregationPlan {
  static AggregationPlan Make(const PipelineSpec& spec);
  WindowSpec window;
  std::vector<size_t> group_fields;  // schema indexes
  std::vector<ColumnType> group_types;
  std::vector<AggregatePlan> aggregates;
  std::vector<OutputPlan> output;
  std::vector<size_t> group_columns;  // the output columns of kind kGroupField, ascending
  Schema output_schema;  // OutputSchema(spec): the type of every closed row
};

struct Accumulator {
  int64_t i = 0;  // integer/timestamp sum, min or max
  double d = 0;   // double sum, min or max
  int64_t n = 0;  // non-NULL inputs
};

// Interned group keys. A group no open window uses stays interned for a while ("idle"):
// the next window usually sees the same groups again (a turnstile reports every few
// hours, a 5-minute window holds one report), and re-interning each group per window was
// the engine's largest cost. Idle groups are evicted all at once when there are more than
// kMaxIdle, so memory stays bounded by live groups + kMaxIdle.
class GroupTable {
 public:
  // Movable, not copyable: each group holds an iterator into this table's order_.
  GroupTable() = default;
  GroupTable(GroupTable&&) = default;
  GroupTable& operator=(GroupTable&&) = default;
  GroupTable(const GroupTable&) = delete;
  GroupTable& operator=(const GroupTable&) = delete;
  static constexpr uint32_t kNone = UINT32_MAX;
  static constexpr size_t kMaxIdle = 8192;
  uint32_t Find(std::string_view key) const;
  // Adds a group that Find did not find; refs start at 0 (idle until AddRef).
  uint32_t Add(std::string key, Row values);
  void AddRef(uint32_t id);
  void Release(uint32_t id);
  const Row& values(uint32_t id) const { return *groups_[id].values; }
  // The same values, shared: immutable, so they can outlive the group (ClosedRows).
  const std::shared_ptr<const Row>& shared_values(uint32_t id) const { return groups_[id].values; }
  // The values' sort key (AppendSortKeyPart of each): orders groups as their values do.
  const std::string& sort_key(uint32_t id) const { return groups_[id].order->first; }
  // A number that orders the interned groups as their sort keys do (unique among them), so
  // that a window's groups sort as integers (EmitWindow). Kept in step as groups come and
  // go: a new group takes the middle of the gap between its neighbours' ranks (or a fixed
  // step past the last); when a gap is used up, all ranks are spread out again.
  uint64_t rank(uint32_t id) const { return groups_[id].rank; }
  // The serial of the last ClosedRows that holds this group's values (0: none): a
  // ClosedRows keeps each group it shows alive once, not once per row (see EmitWindow).
  uint64_t kept_in(uint32_t id) const { return groups_[id].kept_in; }
  void set_kept_in(uint32_t id, uint64_t serial) { groups_[id].kept_in = serial; }
  // Interned (in use or idle); a free id is not.
  bool interned(uint32_t id) const { return groups_[id].live(); }
  // In use by at least one open window (what a checkpoint must keep).
  bool in_use(uint32_t id) const { return groups_[id].refs > 0; }
  uint32_t refs(uint32_t id) const { return groups_[id].refs; }
  size_t id_limit() const { return groups_.size(); }  // every id is below this
  size_t size() const { return in_use_; }              // groups in use
  size_t idle() const { return interned_ - in_use_; }

 private:
  // sort key -> id, the interned groups. A multimap, so that even two groups with equal
  // sort keys (which the encoding rules out for one pipeline's typed columns) each keep
  // their own entry, erased with them.
  using Order = std::multimap<std::string, uint32_t>;
  struct Group {
    std::string key;                    // encoded (AppendKeyPart)
    std::shared_ptr<const Row> values;  // null when the id is free
    bool live() const { return values != nullptr; }
    Order::iterator order;
    uint64_t rank = 0;
    uint64_t kept_in = 0;
    uint32_t refs = 0;
  };
  // The index: open addressing, linear probing, power-of-two size, load <= 1/2. A slot
  // holds the key's hash (compared first) and the group id. Nothing is erased one at a
  // time: EvictIdle rebuilds it from the live groups.
  struct Slot {
    uint64_t hash = 0;
    uint32_t id = kNone;
  };
  void Insert(uint64_t hash, uint32_t id);
  void Rebuild(size_t capacity);
  void EvictIdle();
  void Rank(Order::iterator it);

  std::vector<Slot> slots_ = std::vector<Slot>(64);
  std::vector<Group> groups_;
  Order order_;
  std::vector<uint32_t> free_;
  size_t interned_ = 0;
  size_t in_use_ = 0;
};

// Rows of closed windows, not built yet: per row the group's values (shared with the
// GroupTable: immutable once interned) and the aggregates' accumulators, per window its
// start. Building the Rows is left to whoever writes them (the lake's commit thread),
// which needs nothing of the task but the plan, shared too. Rows restored from a
// checkpoint are kept built, and come first.
class ClosedRows final : public RowSource {
 public:
  ClosedRows() = default;
  explicit ClosedRows(std::shared_ptr<const AggregationPlan> plan) : plan_(std::move(plan)) {}
  // Moved, never copied: the serial names the one object that keeps its groups alive.
  ClosedRows(ClosedRows&&) = default;
  ClosedRows& operator=(ClosedRows&&) = default;
  ClosedRows(const ClosedRows&) = delete;
  ClosedRows& operator=(const ClosedRows&) = delete;

  // RowSource: rows in the order they were closed, by (window end, group values), typed
  // as the output schema; built rows (from a checkpoint) first.
  size_t size() const override { return built_.size() + groups_.size(); }
  Status ForEach(size_t begin, size_t end, const RowFn& fn) const override;
  // Rows closed here fit the plan's output schema; rows from a checkpoint are not vouched for.
  bool Fits(const Schema& schema, size_t begin, size_t end) const override;
  // The group columns are shared: a closed row's tag is its group's values (kept alive by
  // this object, so no two groups here share an address); built rows share nothing.
  std::span<const size_t> SharedColumns() const override {
    return plan_ ? std::span<const size_t>(plan_->group_columns) : std::span<const size_t>();
  }
  const void* SharedTag(size_t index) const override {
    return index < built_.size() ? nullptr : groups_[index - built_.size()];
  }

  bool empty() const { return size() == 0; }
  // Appends the rows as Row objects.
  void AppendTo(std::vector<Row>* out) const;
  void AddBuilt(Row row) { built_.push_back(std::move(row)); }
  const std::vector<Row>& built() const { return built_; }
  // Calls fn(window end, begin, end) for each closed window, with its rows [begin, end)
  // (indexes of this RowSource, after the built rows).
  void ForEachWindow(const std::function<void(int64_t end, size_t begin, size_t end_row)>& fn) const;

 private:
  friend class AggregationState;
  struct Window {
    int64_t start;
    size_t end_row;  // rows [previous window's end_row, end_row) belong to this window
  };
  // A number unique to each object (from 1; see GroupTable::kept_in). Moving takes it
  // along and gives the moved-from object a new one, so no two objects ever share one.
  struct Serial {
    static uint64_t Next();
    uint64_t value = Next();
    Serial() = default;
    Serial(Serial&& o) noexcept : value(std::exchange(o.value, Next())) {}
    Serial& operator=(Serial&& o) noexcept {
      value = std::exchange(o.value, Next());
      return *this;
    }
  };

  std::shared_ptr<const AggregationPlan> plan_;
  Serial serial_;
  std::vector<Row> built_;
  std::vector<Window> windows_;
  // Per row its group's values; `kept_` holds each of those groups once, so that the
  // values outlive the GroupTable's eviction while this object lives. (A shared_ptr per
  // row cost an atomic increment on the processing thread and a decrement on the commit
  // thread for every row, the count's cache line moving between the cores each time.)
  std::vector<const Row*> groups_;
  std::vector<std::shared_ptr<const Row>> kept_;
  std::vector<Accumulator> accumulators_;  // per row x aggregates
};

class AggregationState {
 public:
  explicit AggregationState(std::shared_ptr<const AggregationPlan> plan)
      : plan_(std::move(plan)), pane_split_(plan_->window.size % plan_->window.slide) {}

  // Adds one record to every window containing t (to the pane holding t). Precondition:
  // those windows are open (t >= the watermark of every CloseUpTo so far), which the late
  // check guarantees.
  void Add(const std::vector<FieldValue>& fields, EventTime t);

  // Emits (appends to *out) every open window with end <= watermark, in (end, group
  // values) order, and forgets them. Returns the number of windows closed.
  size_t CloseUpTo(int64_t watermark, ClosedRows* out);

  // The end of the earliest open window; INT64_MAX if none. Closing is due once the
  // watermark reaches it.
  int64_t next_close() const { return next_close_; }
  // The end of the latest open window, if any.
  std::optional<int64_t> last_end() const;
  // Open windows: not emitted yet, holding at least one record.
  size_t open_windows() const;
  // (group, pane) cells: what a checkpoint of the state mostly holds.
  size_t open_cells() const {
    size_t n = 0;
    for (const auto& [start, p] : panes_) n += p.group_of_cell.size();
    for (const auto& [start, p] : legacy_windows_) n += p.group_of_cell.size();
    return n;
  }
  size_t groups() const { return groups_.size(); }
  // Bytes the open panes' group -> cell indexes hold (Pane::index).
  size_t index_bytes() const {
    size_t n = 0;
    for (const auto& [start, p] : panes_) n += p.index.size() * sizeof(uint64_t);
    for (const auto& [start, p] : legacy_windows_) n += p.index.size() * sizeof(uint64_t);
    return n;
  }

  // Layout (checkpoint version 2): u32 group count G, G x Row (group values; ids are
  //   renumbered 0..G-1); u32 pane count, each: i64 start, u32 cells, cells x (u32 group
  //   id, aggregates x (i64 i, f64 d, i64 n)), panes in ascending start order; u8 1 and
  //   i64 the end of the last window emitted, or u8 0 (none yet); u32 window count and
  //   windows as panes: whole windows restored from a version 1 checkpoint, not closed yet.
  // Version 1 (`version` 1) is the same up to the panes, which are whole windows there
  //   (for tumbling windows, the same thing as panes), and ends after them.
  void Save(ByteWriter& w) const;
  Status Load(ByteReader& r, uint32_t version);

 private:
  // The cells of one pane (or of one window being emitted, or restored whole).
  struct Pane {
    // group -> cell: open addressing, linear probing, a power-of-two size (or empty), load
    // <= 1/2; a slot holds (group + 1) << 32 | cell, 0 if empty. Sized by the pane's cells,
    // not by the groups interned: a dense vector by group id per pane made a day sliding by
    // a minute over 600,000 devices (each reporting once) take 2.9 GB for 90 MB of cells.
    std::vector<uint64_t> index;
    std::vector<uint32_t> group_of_cell;
    std::vector<Accumulator> accumulators;  // cell * aggregates + k
  };
  uint32_t InternGroup(const std::vector<FieldValue>& fields);
  // The pane starting at `start`, made (from a spare one) if needed.
  Pane& PaneAt(int64_t start);
  // The cell of `group` in `p`, or kNone.
  static uint32_t FindCell(const Pane& p, uint32_t group);
  Accumulator* Cell(Pane& p, uint32_t group);
  // Adds the cells of `from` into `into`, aggregate by aggregate (sums add, min and max
  // compare, counts add).
  void Merge(const Pane& from, Pane* into);
  // Emits the cells of `p` as the window starting at `start`, and empties `p`.
  void EmitWindow(int64_t start, Pane& p, ClosedRows* out);
  // Releases p's groups and empties it, for reuse.
  void Clear(Pane& p);
  void Recycle(Pane&& p);
  // The start of the first window not emitted yet that holds a record, if any.
  std::optional<int64_t> NextWindowStart() const;
  // next_close_ from the panes, after they changed (a pane added, windows emitted, a load).
  void UpdateNextClose() {
    const std::optional<int64_t> start = NextWindowStart();
    next_close_ = start ? *start + plan_->window.size : INT64_MAX;
  }
  // The start of the pane holding `t`, and whether `start` is one.
  int64_t PaneStart(int64_t t) const {
    const int64_t slide_start = FloorDiv(t, plan_->window.slide) * plan_->window.slide;
    return t - slide_start < pane_split_ ? slide_start : slide_start + pane_split_;
  }
  bool IsPaneStart(int64_t start) const { return PaneStart(start) == start; }
  // The first and the last window start holding the pane that starts at `pane_start`.
  int64_t FirstWindowOf(int64_t pane_start) const;
  int64_t LastWindowOf(int64_t pane_start) const;

  std::shared_ptr<const AggregationPlan> plan_;
  GroupTable groups_;
  // EmitWindow's scratch: a window's cells by group sort order.
  struct EmitItem {
    uint64_t rank;
    uint32_t cell;
  };
  std::vector<EmitItem> emit_order_;
  // Where a slide's second pane starts, past the slide's start: size mod slide (0: one pane).
  int64_t pane_split_;
  std::map<int64_t, Pane> panes_;       // by start
  // Whole windows from a version 1 checkpoint of hopping windows (by start), merged with
  // their panes as they close: a record summed into several windows cannot be split into
  // panes again. Empty once they are emitted (one window size after the restore).
  std::map<int64_t, Pane> legacy_windows_;
  // The end of the last window emitted: the windows up to it are done, even those that
  // hold a pane still kept for later windows.
  std::optional<int64_t> emitted_end_;
  // next_close(), kept up to date: the processing loop asks for it with every record.
  int64_t next_close_ = INT64_MAX;
  Pane merged_;                         // a hopping window's panes, merged to be emitted
  // Dropped panes' vectors, emptied, for the next panes (their allocations kept: a task
  // opens a pane per step).
  static constexpr size_t kMaxSparePanes = 16;
  std::vector<Pane> spare_panes_;
  std::string key_buffer_;                 // scratch for the encoded group key (EncodeKey)
};

}  // namespace lakestream::stream
