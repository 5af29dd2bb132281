#include "stream/aggregation.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <numeric>

#include "formats/swar.h"

namespace lakestream::stream {
namespace {

Value MakeValue(ColumnType type, const FieldValue& v) {
  if (v.is_null) return std::monostate{};
  switch (type) {
    case ColumnType::kString: return std::string(v.text);
    case ColumnType::kInt64: return v.i;
    case ColumnType::kDouble: return v.d;
    case ColumnType::kTimestamp: return EventTime{v.i};
  }
  return std::monostate{};
}

Value RenderTime(int64_t seconds, TimeRender render) {
  EventTime t{seconds};
  switch (render) {
    case TimeRender::kTimestamp: return t;
    case TimeRender::kDateMdy: return FormatDateMdySlash(t);
    case TimeRender::kTimeOfDay: return FormatTimeOfDay(t);
    case TimeRender::kIsoDate: return FormatIsoDate(t);
    case TimeRender::kText: return FormatTimestamp(t);
  }
  return t;
}

// avg over int64 does not wrap like sum: the exact sum is the wrapped one (acc.i) plus a
// multiple of 2^64, and the double sum beside it (acc.d, off by far less than 2^63 for
// any count below ~10^7 per window and group) picks that multiple.
double AvgOfInt64(const Accumulator& acc) {
  const double turns = std::nearbyint((acc.d - static_cast<double>(acc.i)) / 0x1p64);
  // n records of at most 2^63 each make |turns| <= n / 2: more (or NaN) is no sum of records
  // (a corrupt checkpoint), whose double mean is all there is; it would overflow __int128.
  if (!(std::fabs(turns) < 0x1p62)) return acc.d / static_cast<double>(acc.n);
  __extension__ using Int128 = __int128;  // GCC and Clang; __extension__ keeps -Wpedantic quiet
  const Int128 sum = static_cast<Int128>(turns) * (static_cast<Int128>(1) << 64) + acc.i;
  return static_cast<double>(static_cast<long double>(sum) / static_cast<long double>(acc.n));
}

// The aggregate's value, assigned in place: a row's values are overwritten for every row,
// and assigning the alternative a Value already holds is a plain store (no temporary).
void FinishInto(const AggregatePlan& a, const Accumulator& acc, Value* out) {
  if (a.function == AggregateFunction::kCount) {
    *out = acc.n;
    return;
  }
  if (acc.n == 0) {
    *out = std::monostate{};
    return;
  }
  const bool is_double = a.type == ColumnType::kDouble;
  switch (a.function) {
    case AggregateFunction::kAvg:
      *out = is_double ? acc.d / static_cast<double>(acc.n) : AvgOfInt64(acc);
      return;
    case AggregateFunction::kSum:
    case AggregateFunction::kMin:
    case AggregateFunction::kMax:
      if (is_double) {
        *out = acc.d;
      } else if (a.type == ColumnType::kTimestamp) {
        *out = EventTime{acc.i};
      } else {
        *out = acc.i;
      }
      return;
    case AggregateFunction::kCount:
      break;
  }
  *out = std::monostate{};
}

}  // namespace

namespace {

size_t KeyPartSize(ColumnType type, const FieldValue& v) {
  if (v.is_null) return 1;
  return type == ColumnType::kString ? 5 + v.text.size() : 9;
}

char* Put8(char* p, char tag, const void* bytes) {
  *p++ = tag;
  std::memcpy(p, bytes, 8);
  return p + 8;
}

// AppendKeyPart's bytes at `p` (KeyPartSize of them). Inline: a record encodes ~10 parts
// (its group and dedup keys).
[[gnu::always_inline]] inline char* PutKeyPart(char* p, ColumnType type, const FieldValue& v) {
  if (v.is_null) {
    *p++ = 'N';
    return p;
  }
  switch (type) {
    case ColumnType::kString: {
      *p++ = 'S';
      const auto n = static_cast<uint32_t>(v.text.size());
      std::memcpy(p, &n, 4);
      swar::CopyShort(p + 4, v.text.data(), n);
      return p + 4 + n;
    }
    case ColumnType::kInt64: return Put8(p, 'I', &v.i);
    case ColumnType::kDouble: {
      const double d = v.d == 0 ? 0.0 : v.d;  // -0.0 and 0.0 compare equal: one group
      return Put8(p, 'D', &d);
    }
    case ColumnType::kTimestamp: return Put8(p, 'T', &v.i);
  }
  return p;
}

}  // namespace

void AppendKeyPart(std::string* out, ColumnType type, const FieldValue& v) {
  const size_t at = out->size();
  out->resize(at + KeyPartSize(type, v));
  PutKeyPart(out->data() + at, type, v);
}

std::string_view EncodeKey(const std::vector<FieldValue>& fields, const std::vector<size_t>& indexes,
                           const std::vector<ColumnType>& types, std::string* buffer) {
  // One pass: the buffer only grows (its size is its room; it is never shrunk to the key,
  // which would make the next, longer key zero-fill the room again), and a part is
  // written once there is room for it.
  size_t at = 0;
  for (size_t k = 0; k < indexes.size(); ++k) {
    const FieldValue& v = fields[indexes[k]];
    const size_t part = KeyPartSize(types[k], v);
    if (buffer->size() - at < part) [[unlikely]] buffer->resize(std::max(2 * buffer->size(), at + part + 64));
    at = static_cast<size_t>(PutKeyPart(buffer->data() + at, types[k], v) - buffer->data());
  }
  return std::string_view(buffer->data(), at);
}

void AppendKeyPart(std::string* out, const Value& v) {
  // Through the FieldValue encoder, so that both give the same bytes by construction.
  FieldValue f;
  ColumnType type = ColumnType::kString;
  switch (v.index()) {
    case 0: f.is_null = true; break;
    case 1: f.text = std::get<std::string>(v); break;
    case 2: type = ColumnType::kInt64, f.i = std::get<int64_t>(v); break;
    case 3: type = ColumnType::kDouble, f.d = std::get<double>(v); break;
    case 4: type = ColumnType::kTimestamp, f.i = std::get<EventTime>(v).seconds; break;
  }
  AppendKeyPart(out, type, f);
}

namespace {

void AppendBigEndian(std::string* out, uint64_t u) {
  char b[8];
  for (int k = 7; k >= 0; --k) {
    b[k] = static_cast<char>(u & 0xFF);
    u >>= 8;
  }
  out->append(b, 8);
}

// Flipping the sign bit maps int64 order onto uint64 order.
uint64_t OrderedBits(int64_t i) { return static_cast<uint64_t>(i) ^ (uint64_t{1} << 63); }

// IEEE 754 doubles order like sign-magnitude integers: negative ones inverted.
uint64_t OrderedBits(double d) {
  if (d == 0) d = 0.0;  // -0.0 == 0.0
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return (u & (uint64_t{1} << 63)) ? ~u : u | (uint64_t{1} << 63);
}

}  // namespace

void AppendSortKeyPart(std::string* out, const Value& v) {
  if (v.index() == 0) {
    out->push_back('\0');
    return;
  }
  out->push_back('\1');
  switch (v.index()) {
    case 1:
      // NUL bytes escaped as 00 FF; 00 00 ends the string, so a prefix sorts first.
      for (char c : std::get<std::string>(v)) {
        out->push_back(c);
        if (c == '\0') out->push_back('\xFF');
      }
      out->append(2, '\0');
      return;
    case 2: AppendBigEndian(out, OrderedBits(std::get<int64_t>(v))); return;
    case 3: AppendBigEndian(out, OrderedBits(std::get<double>(v))); return;
    case 4: AppendBigEndian(out, OrderedBits(std::get<EventTime>(v).seconds)); return;
  }
}

AggregationPlan AggregationPlan::Make(const PipelineSpec& spec) {
  AggregationPlan p;
  p.window = spec.window;
  p.output_schema = OutputSchema(spec);
  auto field_index = [&](std::string_view name) {
    for (size_t i = 0; i < spec.schema.size(); ++i) {
      if (spec.schema[i].name == name) return static_cast<int>(i);
    }
    return -1;
  };
  for (const std::string& g : spec.group_by) {
    int i = field_index(g);
    p.group_fields.push_back(static_cast<size_t>(i));
    p.group_types.push_back(spec.schema[i].type);
  }
  for (const AggregateSpec& a : spec.aggregates) {
    AggregatePlan ap{a.function, a.field.empty() ? -1 : field_index(a.field), ColumnType::kInt64};
    if (ap.field >= 0) ap.type = spec.schema[ap.field].type;
    p.aggregates.push_back(ap);
  }
  for (const OutputColumnSpec& c : spec.output) {
    OutputPlan o{OutputPlan::Kind::kWindowEnd, 0, c.render};
    if (c.from == kWindowStart) {
      o.kind = OutputPlan::Kind::kWindowStart;
    } else if (c.from == kWindowEnd) {
      o.kind = OutputPlan::Kind::kWindowEnd;
    } else {
      auto g = std::find(spec.group_by.begin(), spec.group_by.end(), c.from);
      if (g != spec.group_by.end()) {
        o.kind = OutputPlan::Kind::kGroupField;
        o.index = static_cast<size_t>(g - spec.group_by.begin());
        p.group_columns.push_back(p.output.size());
      } else {
        o.kind = OutputPlan::Kind::kAggregate;
        for (size_t k = 0; k < spec.aggregates.size(); ++k) {
          if (spec.aggregates[k].name == c.from) o.index = k;
        }
      }
    }
    p.output.push_back(o);
  }
  return p;
}

// ---- GroupTable ----

namespace {
uint64_t KeyHash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }
}  // namespace

uint32_t GroupTable::Find(std::string_view key) const {
  const uint64_t h = KeyHash(key);
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.id == kNone) return kNone;
    if (s.hash == h && groups_[s.id].key == key) return s.id;
  }
}

void GroupTable::Insert(uint64_t hash, uint32_t id) {
  const size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (slots_[i].id != kNone) i = (i + 1) & mask;
  slots_[i] = Slot{hash, id};
}

void GroupTable::Rebuild(size_t capacity) {
  slots_.assign(capacity, Slot{});
  for (uint32_t id = 0; id < groups_.size(); ++id) {
    if (groups_[id].live()) Insert(KeyHash(groups_[id].key), id);
  }
}

uint32_t GroupTable::Add(std::string key, Row values) {
  uint32_t id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<uint32_t>(groups_.size());
    groups_.emplace_back();
  }
  const uint64_t h = KeyHash(key);
  std::string sort_key;
  for (const Value& v : values) AppendSortKeyPart(&sort_key, v);
  const auto pos = order_.emplace(std::move(sort_key), id);
  groups_[id] = Group{std::move(key), std::make_shared<const Row>(std::move(values)), pos, 0, 0, 0};
  Rank(pos);
  ++interned_;
  if (interned_ * 2 > slots_.size()) {
    Rebuild(slots_.size() * 2);  // includes the new group
  } else {
    Insert(h, id);
  }
  return id;
}

void GroupTable::Rank(Order::iterator it) {
  // Ranks start in the middle of the range and step by 2^32 at either end, so that keys
  // arriving in ascending or descending order never run out of room; a gap between two
  // neighbours is halved, and only a gap used up spreads every rank out again (O(groups)).
  constexpr uint64_t kStep = uint64_t{1} << 32;
  const bool first = it == order_.begin();
  const auto next = std::next(it);
  const bool last = next == order_.end();
  const uint64_t lo = first ? 0 : groups_[std::prev(it)->second].rank;
  const uint64_t hi = last ? UINT64_MAX : groups_[next->second].rank;
  uint64_t& rank = groups_[it->second].rank;
  if (first && last) {
    rank = UINT64_MAX / 2;
    return;
  }
  if (last && hi - lo > kStep) {
    rank = lo + kStep;
    return;
  }
  if (first && hi - lo > kStep) {
    rank = hi - kStep;
    return;
  }
  if (!first && !last && hi - lo >= 2) {
    rank = lo + (hi - lo) / 2;
    return;
  }
  const uint64_t n = order_.size();
  const uint64_t step = std::min<uint64_t>(kStep, UINT64_MAX / (n + 2));
  uint64_t r = UINT64_MAX / 2 - step * (n / 2);
  for (const auto& entry : order_) {
    groups_[entry.second].rank = r;
    r += step;
  }
}

void GroupTable::AddRef(uint32_t id) {
  if (groups_[id].refs++ == 0) ++in_use_;
}

void GroupTable::Release(uint32_t id) {
  if (--groups_[id].refs != 0) return;
  --in_use_;
  if (idle() > kMaxIdle) EvictIdle();
}

void GroupTable::EvictIdle() {
  for (uint32_t id = 0; id < groups_.size(); ++id) {
    Group& g = groups_[id];
    if (!g.live() || g.refs != 0) continue;
    order_.erase(g.order);
    g = Group{};
    free_.push_back(id);
    --interned_;
  }
  Rebuild(slots_.size());
}

// ---- AggregationState ----

uint32_t AggregationState::InternGroup(const std::vector<FieldValue>& fields) {
  const std::string_view key = EncodeKey(fields, plan_->group_fields, plan_->group_types, &key_buffer_);
  uint32_t id = groups_.Find(key);
  if (id != GroupTable::kNone) return id;
  Row values;
  values.reserve(plan_->group_fields.size());
  for (size_t k = 0; k < plan_->group_fields.size(); ++k) {
    values.push_back(MakeValue(plan_->group_types[k], fields[plan_->group_fields[k]]));
  }
  return groups_.Add(std::string(key), std::move(values));
}

AggregationState::Pane& AggregationState::PaneAt(int64_t start) {
  auto it = panes_.lower_bound(start);
  if (it != panes_.end() && it->first == start) return it->second;
  Pane p;
  if (!spare_panes_.empty()) {
    p = std::move(spare_panes_.back());
    spare_panes_.pop_back();
  }
  Pane& added = panes_.emplace_hint(it, start, std::move(p))->second;
  UpdateNextClose();
  return added;
}

namespace {

// Pane::index: the slot a group's probe starts at (ids are small and dense: mixed, so that
// runs of ids do not fill runs of slots), and what a slot holds.
size_t IndexSlot(uint32_t group, size_t mask) {
  return static_cast<size_t>((uint64_t{group} * 0x9E3779B97F4A7C15ULL) >> 32) & mask;
}
uint64_t IndexTag(uint32_t group) { return (uint64_t{group} + 1) << 32; }
constexpr uint64_t kTagBits = ~uint64_t{0xFFFFFFFF};

// Puts (group, cell) in the first free slot of its probe (a group not in the index yet).
void IndexPut(std::vector<uint64_t>& index, uint32_t group, uint32_t cell) {
  const size_t mask = index.size() - 1;
  size_t i = IndexSlot(group, mask);
  while (index[i] != 0) i = (i + 1) & mask;
  index[i] = IndexTag(group) | cell;
}

}  // namespace

uint32_t AggregationState::FindCell(const Pane& p, uint32_t group) {
  if (p.index.empty()) return GroupTable::kNone;
  const size_t mask = p.index.size() - 1;
  const uint64_t tag = IndexTag(group);
  for (size_t i = IndexSlot(group, mask);; i = (i + 1) & mask) {
    const uint64_t s = p.index[i];
    if (s == 0) return GroupTable::kNone;
    if ((s & kTagBits) == tag) return static_cast<uint32_t>(s);
  }
}

Accumulator* AggregationState::Cell(Pane& w, uint32_t group) {
  uint32_t cell = FindCell(w, group);
  if (cell == GroupTable::kNone) {
    cell = static_cast<uint32_t>(w.group_of_cell.size());
    w.group_of_cell.push_back(group);
    w.accumulators.resize(w.accumulators.size() + plan_->aggregates.size());
    groups_.AddRef(group);
    if (w.group_of_cell.size() * 2 > w.index.size()) {
      // Past half full: rebuilt from the cells (this one included), a quarter full.
      size_t capacity = 16;
      while (capacity < w.group_of_cell.size() * 4) capacity *= 2;
      w.index.assign(capacity, 0);
      for (uint32_t c = 0; c < w.group_of_cell.size(); ++c) IndexPut(w.index, w.group_of_cell[c], c);
    } else {
      IndexPut(w.index, group, cell);
    }
  }
  // data() +, not &[]: a pipeline without aggregates has no accumulators, and &[0] of an
  // empty vector binds a reference to null (undefined behaviour, which UBSan stops on).
  return w.accumulators.data() + static_cast<size_t>(cell) * plan_->aggregates.size();
}

void AggregationState::Add(const std::vector<FieldValue>& fields, EventTime t) {
  const uint32_t group = InternGroup(fields);
  {
    Accumulator* acc = Cell(PaneAt(PaneStart(t.seconds)), group);
    for (const AggregatePlan& a : plan_->aggregates) {
      if (a.field < 0) {
        ++acc->n;
        ++acc;
        continue;
      }
      const FieldValue& v = fields[a.field];
      if (v.is_null) {
        ++acc;
        continue;
      }
      const bool is_double = a.type == ColumnType::kDouble;
      switch (a.function) {
        case AggregateFunction::kCount:
          break;
        case AggregateFunction::kSum:
          if (is_double) {
            acc->d += v.d;
          } else {
            // Wraps on overflow (defined behaviour) instead of trapping.
            acc->i = static_cast<int64_t>(static_cast<uint64_t>(acc->i) + static_cast<uint64_t>(v.i));
          }
          break;
        case AggregateFunction::kAvg:
          if (is_double) {
            acc->d += v.d;
          } else {
            // The wrapped sum, and beside it the sum as a double, which tells how many
            // times the wrapped one went round (see AvgOfInt64).
            acc->i = static_cast<int64_t>(static_cast<uint64_t>(acc->i) + static_cast<uint64_t>(v.i));
            acc->d += static_cast<double>(v.i);
          }
          break;
        case AggregateFunction::kMin:
          if (is_double) {
            if (acc->n == 0 || v.d < acc->d) acc->d = v.d;
          } else if (acc->n == 0 || v.i < acc->i) {
            acc->i = v.i;
          }
          break;
        case AggregateFunction::kMax:
          if (is_double) {
            if (acc->n == 0 || v.d > acc->d) acc->d = v.d;
          } else if (acc->n == 0 || v.i > acc->i) {
            acc->i = v.i;
          }
          break;
      }
      ++acc->n;
      ++acc;
    }
  }
}

void AggregationState::Merge(const Pane& from, Pane* into) {
  const size_t n_aggs = plan_->aggregates.size();
  for (uint32_t cell = 0; cell < from.group_of_cell.size(); ++cell) {
    const Accumulator* src = from.accumulators.data() + static_cast<size_t>(cell) * n_aggs;
    Accumulator* acc = Cell(*into, from.group_of_cell[cell]);
    for (size_t k = 0; k < n_aggs; ++k, ++acc, ++src) {
      const AggregatePlan& a = plan_->aggregates[k];
      const bool is_double = a.type == ColumnType::kDouble;
      // As Add does record by record: integer sums wrap; min and max take a side only if
      // it saw a value (n > 0).
      switch (a.function) {
        case AggregateFunction::kCount:
          break;
        case AggregateFunction::kSum:
        case AggregateFunction::kAvg:
          acc->i = static_cast<int64_t>(static_cast<uint64_t>(acc->i) + static_cast<uint64_t>(src->i));
          acc->d += src->d;
          break;
        case AggregateFunction::kMin:
          if (src->n > 0 && (acc->n == 0 || (is_double ? src->d < acc->d : src->i < acc->i))) {
            acc->i = src->i;
            acc->d = src->d;
          }
          break;
        case AggregateFunction::kMax:
          if (src->n > 0 && (acc->n == 0 || (is_double ? src->d > acc->d : src->i > acc->i))) {
            acc->i = src->i;
            acc->d = src->d;
          }
          break;
      }
      acc->n += src->n;
    }
  }
}

void AggregationState::Clear(Pane& p) {
  const size_t mask = p.index.size() - 1;
  for (uint32_t g : p.group_of_cell) {
    groups_.Release(g);
    // Its slot emptied (O(cells), not O(capacity)): every group here is in the index, so
    // the probe passes the slots emptied before it until it finds the group's own.
    size_t i = IndexSlot(g, mask);
    while ((p.index[i] & kTagBits) != IndexTag(g)) i = (i + 1) & mask;
    p.index[i] = 0;
  }
  p.group_of_cell.clear();
  p.accumulators.clear();
}

void AggregationState::Recycle(Pane&& p) {
  if (spare_panes_.size() < kMaxSparePanes) spare_panes_.push_back(std::move(p));
}

int64_t AggregationState::FirstWindowOf(int64_t pane_start) const {
  return WindowsContaining(EventTime{pane_start}, plan_->window).front().start;
}

int64_t AggregationState::LastWindowOf(int64_t pane_start) const {
  return FloorDiv(pane_start, plan_->window.slide) * plan_->window.slide;
}

std::optional<int64_t> AggregationState::NextWindowStart() const {
  std::optional<int64_t> next;
  if (!panes_.empty()) {
    // The first window of the earliest pane not emitted yet: every pane kept is in one.
    int64_t start = FirstWindowOf(panes_.begin()->first);
    if (emitted_end_) start = std::max(start, *emitted_end_ - plan_->window.size + plan_->window.slide);
    next = start;
  }
  if (!legacy_windows_.empty()) next = std::min(next.value_or(INT64_MAX), legacy_windows_.begin()->first);
  return next;
}

size_t AggregationState::open_windows() const {
  // The panes' windows not emitted yet are runs of window starts, ascending with the
  // panes: counted as their union, plus the restored windows outside it.
  const int64_t slide = plan_->window.slide;
  std::vector<std::pair<int64_t, int64_t>> runs;  // [first, last] window starts
  for (const auto& [start, pane] : panes_) {
    int64_t first = FirstWindowOf(start);
    if (emitted_end_) first = std::max(first, *emitted_end_ - plan_->window.size + slide);
    const int64_t last = LastWindowOf(start);
    if (first > last) continue;
    if (!runs.empty() && first <= runs.back().second + slide) {
      runs.back().second = std::max(runs.back().second, last);
    } else {
      runs.emplace_back(first, last);
    }
  }
  size_t n = 0;
  for (const auto& [first, last] : runs) n += static_cast<size_t>((last - first) / slide + 1);
  for (const auto& [start, window] : legacy_windows_) {
    auto run = std::upper_bound(runs.begin(), runs.end(), start,
                                [](int64_t s, const std::pair<int64_t, int64_t>& r) { return s < r.first; });
    if (run == runs.begin() || std::prev(run)->second < start) ++n;
  }
  return n;
}

void AggregationState::EmitWindow(int64_t start, Pane& w, ClosedRows* out) {
  std::vector<EmitItem>& order = emit_order_;  // reused: one window after another
  order.clear();
  for (uint32_t cell = 0; cell < w.group_of_cell.size(); ++cell) {
    order.push_back(EmitItem{groups_.rank(w.group_of_cell[cell]), cell});
  }
  std::sort(order.begin(), order.end(), [](const EmitItem& a, const EmitItem& b) { return a.rank < b.rank; });
  const size_t n_aggs = plan_->aggregates.size();
  if (!out->plan_) out->plan_ = plan_;
  for (const EmitItem& item : order) {
    const uint32_t g = w.group_of_cell[item.cell];
    if (groups_.kept_in(g) != out->serial_.value) {
      out->kept_.push_back(groups_.shared_values(g));
      groups_.set_kept_in(g, out->serial_.value);
    }
    out->groups_.push_back(&groups_.values(g));
    const Accumulator* acc = w.accumulators.data() + static_cast<size_t>(item.cell) * n_aggs;
    out->accumulators_.insert(out->accumulators_.end(), acc, acc + n_aggs);
  }
  out->windows_.push_back(ClosedRows::Window{start, out->groups_.size()});
  Clear(w);  // emptied for reuse (CloseUpTo)
}

uint64_t ClosedRows::Serial::Next() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

Status ClosedRows::ForEach(size_t begin, size_t end, const RowFn& fn) const {
  end = std::min(end, size());
  size_t i = begin;
  for (; i < end && i < built_.size(); ++i) LS_RETURN_NOT_OK(fn(i, ViewOf(built_[i])));
  if (i >= end) return Status::Ok();
  const AggregationPlan& plan = *plan_;
  const size_t n_aggs = plan.aggregates.size();
  std::vector<Value> bounds(plan.output.size());
  std::vector<Value> aggregates(n_aggs);
  // The view points at the window bounds and the aggregates once and for all (their
  // Values are overwritten in place); per row only the group columns are pointed anew.
  std::vector<const Value*> view(plan.output.size());
  for (size_t c = 0; c < plan.output.size(); ++c) {
    const OutputPlan& o = plan.output[c];
    switch (o.kind) {
      case OutputPlan::Kind::kGroupField: break;  // per row: plan.group_columns
      case OutputPlan::Kind::kAggregate: view[c] = &aggregates[o.index]; break;
      case OutputPlan::Kind::kWindowStart:
      case OutputPlan::Kind::kWindowEnd: view[c] = &bounds[c]; break;
    }
  }
  // The window holding row i: the first whose end_row passes it.
  size_t row = i - built_.size();
  auto w = std::upper_bound(windows_.begin(), windows_.end(), row,
                            [](size_t r, const Window& win) { return r < win.end_row; });
  for (; i < end; ++w) {
    // Window bounds are the same for every row of the window: render them once.
    const int64_t win_end = w->start + plan.window.size;
    for (size_t c = 0; c < plan.output.size(); ++c) {
      const OutputPlan& o = plan.output[c];
      if (o.kind == OutputPlan::Kind::kWindowStart) bounds[c] = RenderTime(w->start, o.render);
      if (o.kind == OutputPlan::Kind::kWindowEnd) bounds[c] = RenderTime(win_end, o.render);
    }
    for (; i < end && row < w->end_row; ++i, ++row) {
      const Row& key = *groups_[row];
      const Accumulator* acc = accumulators_.data() + row * n_aggs;
      for (size_t k = 0; k < n_aggs; ++k) FinishInto(plan.aggregates[k], acc[k], &aggregates[k]);
      for (size_t c : plan.group_columns) view[c] = &key[plan.output[c].index];
      LS_RETURN_NOT_OK(fn(i, view));
    }
  }
  return Status::Ok();
}

bool ClosedRows::Fits(const Schema& schema, size_t begin, size_t /*end*/) const {
  // Rows built here are typed by the plan (group values as their fields', aggregates by
  // Finish, window bounds by RenderTime), which is the output schema: a test holds them
  // to it for every aggregate, type and rendering. Rows from a checkpoint are not vouched for.
  return plan_ != nullptr && begin >= built_.size() && schema == plan_->output_schema;
}

void ClosedRows::AppendTo(std::vector<Row>* out) const {
  if (out->empty()) out->reserve(size());
  (void)ForEach(0, size(), [&](size_t, RowView view) {
    Row& r = out->emplace_back();
    r.reserve(view.size());
    for (const Value* v : view) r.push_back(*v);
    return Status::Ok();
  });
}

void ClosedRows::ForEachWindow(const std::function<void(int64_t, size_t, size_t)>& fn) const {
  size_t begin = built_.size();
  for (const Window& w : windows_) {
    const size_t end = built_.size() + w.end_row;
    if (end > begin) fn(w.start + plan_->window.size, begin, end);
    begin = end;
  }
}

size_t AggregationState::CloseUpTo(int64_t watermark, ClosedRows* out) {
  const WindowSpec& spec = plan_->window;
  size_t closed = 0;
  for (std::optional<int64_t> start = NextWindowStart(); start && IsClosed(*start + spec.size, watermark);
       start = NextWindowStart()) {
    if (spec.size == spec.slide && legacy_windows_.empty()) {
      // Tumbling: the pane is the window.
      auto it = panes_.begin();
      EmitWindow(it->first, it->second, out);
      Recycle(std::move(it->second));
      panes_.erase(it);
    } else {
      const int64_t end = *start + spec.size;
      for (auto it = panes_.lower_bound(*start); it != panes_.end() && it->first < end; ++it) {
        Merge(it->second, &merged_);
      }
      if (auto it = legacy_windows_.find(*start); it != legacy_windows_.end()) {
        Merge(it->second, &merged_);
        Clear(it->second);
        legacy_windows_.erase(it);
      }
      EmitWindow(*start, merged_, out);
      // Panes whose last window this was (or an earlier one) are done.
      while (!panes_.empty() && LastWindowOf(panes_.begin()->first) <= *start) {
        Clear(panes_.begin()->second);
        Recycle(std::move(panes_.begin()->second));
        panes_.erase(panes_.begin());
      }
    }
    emitted_end_ = *start + spec.size;
    ++closed;
  }
  UpdateNextClose();
  return closed;
}

std::optional<int64_t> AggregationState::last_end() const {
  std::optional<int64_t> last;
  if (!panes_.empty()) last = LastWindowOf(panes_.rbegin()->first) + plan_->window.size;
  if (!legacy_windows_.empty()) {
    last = std::max(last.value_or(INT64_MIN), legacy_windows_.rbegin()->first + plan_->window.size);
  }
  return last;
}

void AggregationState::Save(ByteWriter& w) const {
  std::vector<uint32_t> dense(groups_.id_limit(), GroupTable::kNone);
  uint32_t next = 0;
  for (uint32_t id = 0; id < groups_.id_limit(); ++id) {
    if (groups_.in_use(id)) dense[id] = next++;
  }
  w.U32(next);
  for (uint32_t id = 0; id < groups_.id_limit(); ++id) {
    if (groups_.in_use(id)) w.PutRow(groups_.values(id));
  }
  const size_t n_aggs = plan_->aggregates.size();
  auto put = [&](const std::map<int64_t, Pane>& panes) {
    w.U32(static_cast<uint32_t>(panes.size()));
    for (const auto& [start, pane] : panes) {
      w.I64(start);
      w.U32(static_cast<uint32_t>(pane.group_of_cell.size()));
      for (size_t cell = 0; cell < pane.group_of_cell.size(); ++cell) {
        w.U32(dense[pane.group_of_cell[cell]]);
        for (size_t k = 0; k < n_aggs; ++k) {
          const Accumulator& a = pane.accumulators[cell * n_aggs + k];
          w.I64(a.i);
          w.F64(a.d);
          w.I64(a.n);
        }
      }
    }
  };
  put(panes_);
  w.U8(emitted_end_ ? 1 : 0);
  w.I64(emitted_end_.value_or(0));
  put(legacy_windows_);
}

Status AggregationState::Load(ByteReader& r, uint32_t version) {
  groups_ = GroupTable();
  panes_.clear();
  legacy_windows_.clear();
  emitted_end_.reset();
  uint32_t n_groups = 0;
  LS_RETURN_NOT_OK(r.U32(&n_groups));
  if (n_groups > r.remaining()) return Status::DataLoss("checkpoint: group count exceeds its size");
  std::string key;
  for (uint32_t g = 0; g < n_groups; ++g) {
    Row values;
    LS_RETURN_NOT_OK(r.GetRow(&values));
    if (values.size() != plan_->group_fields.size()) {
      return Status::DataLoss("checkpoint: a group has " + std::to_string(values.size()) + " values, the pipeline groups by " +
                              std::to_string(plan_->group_fields.size()));
    }
    key.clear();
    for (const Value& v : values) AppendKeyPart(&key, v);
    if (groups_.Find(key) != GroupTable::kNone) return Status::DataLoss("checkpoint: a group appears twice");
    groups_.Add(key, std::move(values));
  }
  const size_t n_aggs = plan_->aggregates.size();
  const WindowSpec& spec = plan_->window;
  auto window_start = [&](int64_t start) { return FloorDiv(start, spec.slide) * spec.slide == start; };
  const WindowBoundsCheck bounds(spec);
  // Panes (version 2) or whole windows (version 1 and the restored windows of 2).
  auto get = [&](std::map<int64_t, Pane>* into, bool panes) -> Status {
    const char* what = panes ? "pane" : "window";
    uint32_t count = 0;
    LS_RETURN_NOT_OK(r.U32(&count));
    for (uint32_t k = 0; k < count; ++k) {
      int64_t start = 0;
      uint32_t cells = 0;
      LS_RETURN_NOT_OK(r.I64(&start));
      LS_RETURN_NOT_OK(r.U32(&cells));
      // Records' windows lie in the lake's years (WindowBoundsCheck): so do a pane's windows,
      // which are those of a record at its start, and every whole window.
      if (panes ? !bounds.Fits(EventTime{start})
                : !(InEventTimeRange(start) && start <= kMaxEventSeconds - spec.size)) {
        return Status::DataLoss(fmt::format("checkpoint: {} start {} has windows outside years 0000-9999", what,
                                            start));
      }
      if (!(panes ? IsPaneStart(start) : window_start(start))) {
        return Status::DataLoss(fmt::format("checkpoint: {} start {} is not one of this pipeline's {} bounds", what,
                                            start, what));
      }
      if (cells > r.remaining() / (4 + 24 * n_aggs)) {
        return Status::DataLoss(fmt::format("checkpoint: {} cell count exceeds its size", what));
      }
      auto [it, inserted] = into->try_emplace(start);
      if (!inserted) return Status::DataLoss(fmt::format("checkpoint: {} {} appears twice", what, start));
      for (uint32_t c = 0; c < cells; ++c) {
        uint32_t group = 0;
        LS_RETURN_NOT_OK(r.U32(&group));
        if (group >= n_groups) return Status::DataLoss("checkpoint: cell names unknown group " + std::to_string(group));
        Pane& pane = it->second;
        if (FindCell(pane, group) != GroupTable::kNone) {
          return Status::DataLoss(fmt::format("checkpoint: a group appears twice in {} {}", what, start));
        }
        Accumulator* acc = Cell(pane, group);
        for (size_t a = 0; a < n_aggs; ++a) {
          LS_RETURN_NOT_OK(r.I64(&acc[a].i));
          LS_RETURN_NOT_OK(r.F64(&acc[a].d));
          LS_RETURN_NOT_OK(r.I64(&acc[a].n));
        }
      }
    }
    return Status::Ok();
  };
  if (version == 1) {
    // Whole windows: the panes themselves when tumbling.
    LS_RETURN_NOT_OK(get(spec.size == spec.slide ? &panes_ : &legacy_windows_, false));
  } else {
    LS_RETURN_NOT_OK(get(&panes_, true));
    uint8_t has_end = 0;
    int64_t end = 0;
    LS_RETURN_NOT_OK(r.U8(&has_end));
    LS_RETURN_NOT_OK(r.I64(&end));
    if (has_end && !InEventTimeRange(end)) {
      return Status::DataLoss(fmt::format("checkpoint: last window end {} is outside years 0000-9999", end));
    }
    if (has_end && !window_start(end - spec.size)) {
      return Status::DataLoss(fmt::format("checkpoint: last window end {} is not a window's end", end));
    }
    if (has_end) emitted_end_ = end;
    LS_RETURN_NOT_OK(get(&legacy_windows_, false));
    // What was emitted is gone: no pane whose windows all ended by then, no such window.
    if (emitted_end_ && !panes_.empty() && LastWindowOf(panes_.begin()->first) + spec.size <= *emitted_end_) {
      return Status::DataLoss(fmt::format("checkpoint: pane {} is in no window after the last emitted one",
                                          panes_.begin()->first));
    }
    if (emitted_end_ && !legacy_windows_.empty() && legacy_windows_.begin()->first + spec.size <= *emitted_end_) {
      return Status::DataLoss(fmt::format("checkpoint: window {} ends by the last emitted one",
                                          legacy_windows_.begin()->first));
    }
  }
  for (uint32_t g = 0; g < n_groups; ++g) {
    // A group no pane or window uses would never be released.
    if (groups_.refs(g) == 0) return Status::DataLoss("checkpoint: group " + std::to_string(g) + " is used by no window");
  }
  UpdateNextClose();
  return Status::Ok();
}

}  // namespace lakestream::stream
