#include "mta/turnstile_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "formats/csv.h"
#include "formats/decimal.h"
#include "formats/json_string.h"
#include "formats/swar.h"
#include "formats/text_file.h"

namespace lakestream::mta {
namespace {

constexpr std::string_view kColumns[] = {"UNIT", "SCP",  "STATION", "LINENAME", "DIVISION",
                                         "DATE", "TIME", "DESC",    "ENTRIES",  "EXITS"};

// A counter: digits only, at most 18 of them.
bool ParseCounter(std::string_view s, int64_t* out) {
  uint64_t v = 0;
  if (!ParseShortDigits(s, &v)) return false;
  *out = static_cast<int64_t>(v);
  return true;
}

// Checks the header line (trimmed); sets the layout and the index of the C/A field (0 raw,
// 1 pandas).
Status ReadHeader(const std::string& path, uint32_t line_no, std::string_view line, FileLayout* layout,
                  size_t* first) {
  std::vector<std::string_view> fields;
  std::string scratch;
  if (!SplitCsvLine(line, &fields, &scratch)) {
    return Status::InvalidArgument(fmt::format("{}:{}: bad CSV quoting in the header: {}", path, line_no, CsvSplitError(line)));
  }
  for (auto& f : fields) f = TrimSpaces(f);
  if (fields.size() == 12 && fields[0].empty() && (fields[1] == "C/A" || fields[1] == "CA")) {
    *layout = fields[1] == "C/A" ? FileLayout::kPandasSlashCa : FileLayout::kPandasCa;
    *first = 1;
  } else if (fields.size() == 11 && (fields[0] == "C/A" || fields[0] == "CA")) {
    *layout = FileLayout::kRaw;
    *first = 0;
  } else {
    return Status::InvalidArgument(fmt::format(
        "{}:{}: unknown turnstile file layout: the header must be "
        "`C/A,UNIT,SCP,STATION,LINENAME,DIVISION,DATE,TIME,DESC,ENTRIES,EXITS` (raw MTA) or "
        "the same with a leading index column (pandas re-export, `C/A` or `CA`); got `{}`",
        path, line_no, line.substr(0, 120)));
  }
  for (size_t i = 0; i < std::size(kColumns); ++i) {
    if (fields[*first + 1 + i] != kColumns[i]) {
      return Status::InvalidArgument(fmt::format("{}:{}: unexpected header column {} `{}` (expected `{}`)", path,
                                                 line_no, *first + 2 + i, fields[*first + 1 + i], kColumns[i]));
    }
  }
  return Status::Ok();
}

// Turns a file's data rows into readings (or issues) appended to `out`: the file's
// TurnstileData, or another one that is merged into it later (MergeRows).
class RowParser {
 public:
  RowParser(const std::string& path, uint32_t file_index, size_t first, TurnstileData* out)
      : path_(path), file_index_(file_index), first_(first), out_(out) {}

  uint64_t rows() const { return rows_; }

  Status operator()(uint32_t line_no, std::string_view line) {
    line = TrimSpaces(line);
    if (line.empty()) return Status::Ok();
    ++rows_;
    line_ = line;
    // Checked here, where the row's file and line are known: the pipeline would take the
    // replayed message for a bad record, named only by its offset in the replay (csv and
    // seed), or read each byte as a Latin-1 character (json).
    if (!IsValidUtf8(line)) return Issue(line_no, "not UTF-8 text (re-encode the file as UTF-8)");
    if (!SplitCsvLine(line, &fields_, &scratch_)) return Issue(line_no, "bad CSV quoting: " + CsvSplitError(line));
    if (fields_.size() != first_ + 11) {
      return Issue(line_no, fmt::format("expected {} fields, found {}", first_ + 11, fields_.size()));
    }
    for (auto& f : fields_) f = TrimSpaces(f);
    const std::string_view* f = fields_.data() + first_;
    if (f[0].empty() || f[1].empty() || f[2].empty()) return Issue(line_no, "empty C/A, UNIT or SCP");
    if (!DayOf(f[6])) return Issue(line_no, fmt::format("bad DATE `{}` (expected MM/DD/YYYY)", f[6]));
    auto tod = ParseTimeOfDay(f[7]);
    if (!tod) return Issue(line_no, fmt::format("bad TIME `{}` (expected HH:MM:SS)", f[7]));
    Reading r;
    if (!ParseCounter(f[9], &r.entries)) {
      return Issue(line_no, fmt::format("bad ENTRIES `{}` (expected a non-negative integer)", f[9]));
    }
    if (!ParseCounter(f[10], &r.exits)) {
      return Issue(line_no, fmt::format("bad EXITS `{}` (expected a non-negative integer)", f[10]));
    }
    r.ca = Intern(0, f[0]);
    r.unit = Intern(1, f[1]);
    r.scp = Intern(2, f[2]);
    r.station = Intern(3, f[3]);
    r.linename = Intern(4, f[4]);
    r.division = Intern(5, f[5]);
    r.desc = Intern(6, f[8]);
    r.time = EventTime{last_day_ * 86400 + *tod};  // MakeEventTime, with the day from DayOf
    r.file = file_index_;
    r.line = line_no;
    out_->readings.push_back(r);
    return Status::Ok();
  }

 private:
  // The row being parsed (line_) is skipped: kept with where it is and why.
  Status Issue(uint32_t line_no, std::string reason) {
    out_->issues.push_back(RejectedLine{path_, line_no, std::move(reason), std::string(line_)});
    return Status::Ok();
  }
  // Consecutive rows are mostly the same device (and DESC mostly REGULAR): each text
  // column remembers its last id and text (the pool's own, whose address is stable), and
  // only a changed value is looked up in the pool.
  [[gnu::always_inline]] uint32_t Intern(int column, std::string_view value) {
    const std::string_view last = last_text_[column];
    if (!have_last_[column] || last.size() != value.size() ||
        !swar::SameText(last.data(), value.data(), value.size())) {
      last_id_[column] = out_->pool.Intern(value);
      last_text_[column] = out_->pool.Get(last_id_[column]);
      have_last_[column] = true;
    }
    return last_id_[column];
  }
  // Sets last_day_ to the day of `text` (MM/DD/YYYY); false if it is not a date. A week's
  // file has 7 dates, its rows mostly in date order: only a changed text is parsed.
  bool DayOf(std::string_view text) {
    if (have_date_ && text.size() == sizeof last_date_ &&
        std::memcmp(text.data(), last_date_, sizeof last_date_) == 0) {
      return true;
    }
    const std::optional<CivilDate> date = ParseDateMdy(text);
    if (!date) return false;  // (always 10 bytes when it parses)
    std::memcpy(last_date_, text.data(), sizeof last_date_);
    have_date_ = true;
    last_day_ = DaysFromCivil(*date);
    return true;
  }

  const std::string& path_;
  uint32_t file_index_;
  size_t first_;
  TurnstileData* out_;
  uint64_t rows_ = 0;
  std::vector<std::string_view> fields_;
  std::string scratch_;
  std::string_view line_;  // the row being parsed
  uint32_t last_id_[7];
  std::string_view last_text_[7];
  bool have_last_[7] = {};
  char last_date_[10];
  bool have_date_ = false;
  int64_t last_day_ = 0;
};

// Moves `part`'s readings and issues to the end of `data`: its text ids mapped to `data`'s
// pool (`ids`: the map so far; `part` keeps its pool and its buffers for the next piece),
// its line numbers moved by `lines_before`.
void MergeRows(TurnstileData* part, std::vector<uint32_t>* ids, uint32_t lines_before, TurnstileData* data) {
  for (auto i = static_cast<uint32_t>(ids->size()); i < part->pool.size(); ++i) {
    ids->push_back(data->pool.Intern(part->pool.Get(i)));
  }
  const std::vector<uint32_t>& id = *ids;
  data->readings.reserve(data->readings.size() + part->readings.size());
  for (Reading r : part->readings) {
    r.ca = id[r.ca];
    r.unit = id[r.unit];
    r.scp = id[r.scp];
    r.station = id[r.station];
    r.linename = id[r.linename];
    r.division = id[r.division];
    r.desc = id[r.desc];
    r.line += lines_before;
    data->readings.push_back(r);
  }
  for (auto& issue : part->issues) {
    issue.line += lines_before;
    data->issues.push_back(std::move(issue));
  }
  part->readings.clear();
  part->issues.clear();
}

// The end of a gzip member's text parsed on the inflating thread (ForEachTextPiece's
// prepare) while the caller parses the member before it: the lines from `begin` to `end`
// (offsets in the piece), numbered from 1 there.
struct PreparedTail {
  bool ready = false;
  size_t begin = 0, end = 0;
  uint32_t lines = 0;
  uint64_t data_rows = 0;        // of those lines
  TurnstileData rows;            // its own pool, kept from piece to piece
  std::optional<RowParser> parser;
  std::vector<uint32_t> ids;     // rows.pool's ids in the file's pool
};

// A piece at least this big has its tail parsed on the inflating thread: the last
// kTailShare of it, which balances inflating plus that against parsing the rest.
constexpr size_t kMinTailPiece = 64 * 1024;
constexpr double kTailShare = 0.35;

}  // namespace

const char* FileLayoutName(FileLayout layout) {
  switch (layout) {
    case FileLayout::kRaw: return "raw MTA";
    case FileLayout::kPandasSlashCa: return "pandas re-export (C/A)";
    case FileLayout::kPandasCa: return "pandas re-export (CA)";
  }
  return "?";
}

Status ReadTurnstileFile(const std::string& path, TurnstileData* data) {
  const auto file_index = static_cast<uint32_t>(data->files.size());
  SourceFile source{path, FileLayout::kRaw, 0};
  std::optional<RowParser> rows;  // from the header on

  auto on_line = [&](uint32_t line_no, std::string_view line) -> Status {
    if (rows) return (*rows)(line_no, line);
    line = TrimSpaces(line);
    if (line.empty()) return Status::Ok();
    size_t first = 0;
    LS_RETURN_NOT_OK(ReadHeader(path, line_no, line, &source.layout, &first));
    rows.emplace(path, file_index, first, data);
    return Status::Ok();
  };

  // The inflating thread's share (ForEachTextPiece's prepare): from the second member on,
  // the complete lines of a member's last kTailShare, into a PreparedTail per buffer. It
  // reads the layout from the first member's first line itself (the caller does the same
  // in on_line, and reports a bad header; then nothing is prepared).
  PreparedTail tails[2];
  std::optional<size_t> tail_first;  // the layout's C/A index, for the inflating thread
  bool no_tails = false;
  auto prepare = [&](std::string_view piece, int slot) {
    PreparedTail& t = tails[slot];
    t.ready = false;
    if (no_tails) return;
    if (!tail_first) {  // the first member: its first line is the header
      const size_t eol = piece.find('\n');
      std::string_view line;
      if (eol != std::string_view::npos) {
        (void)ForEachLine(piece.substr(0, eol + 1), [&](uint32_t, std::string_view l) {
          line = l;
          return Status::Ok();
        });
      }
      FileLayout layout;
      size_t first = 0;
      if (eol == std::string_view::npos || !ReadHeader(path, 1, TrimSpaces(line), &layout, &first).ok()) {
        no_tails = true;  // no line ending in the member, or no header in the line
        return;
      }
      tail_first = first;
      return;
    }
    if (piece.size() < kMinTailPiece) return;
    const size_t cut = piece.find('\n', static_cast<size_t>(static_cast<double>(piece.size()) * (1 - kTailShare)));
    const size_t end = piece.rfind('\n') + 1;
    if (cut == std::string_view::npos || cut + 1 >= end) return;
    t.begin = cut + 1;
    t.end = end;
    if (!t.parser) t.parser.emplace(path, file_index, *tail_first, &t.rows);
    t.rows.readings.clear();
    t.rows.issues.clear();
    const uint64_t rows_before = t.parser->rows();
    PieceLines lines(0, /*file_start=*/false);
    (void)lines.Feed(piece.substr(t.begin, t.end - t.begin), *t.parser);  // rows only add issues
    t.lines = lines.line_no();
    t.data_rows = t.parser->rows() - rows_before;
    t.ready = true;
  };

  PieceLines lines;
  uint64_t tail_rows = 0;  // data rows merged from prepared tails
  bool reserved = false;
  auto on_piece = [&](std::string_view piece, double read, int slot) -> Status {
    if (!reserved && read > 0) {  // the whole text's size, estimated from the first piece
      reserved = true;
      data->readings.reserve(data->readings.size() + static_cast<size_t>(static_cast<double>(piece.size()) / read / 80));  // MTA rows are ~90 bytes
    }
    if (slot < 0 || !tails[slot].ready || !rows) return lines.Feed(piece, on_line);
    // Lines before the tail here; then the tail's rows, numbered on from them; then the
    // start of the line the next piece completes.
    PreparedTail& t = tails[slot];
    LS_RETURN_NOT_OK(lines.Feed(piece.substr(0, t.begin), on_line));
    MergeRows(&t.rows, &t.ids, lines.line_no(), data);
    tail_rows += t.data_rows;
    lines = PieceLines(lines.line_no() + t.lines, /*file_start=*/false);
    return lines.Feed(piece.substr(t.end), on_line);
  };
  LS_RETURN_NOT_OK(ForEachTextPiece(path, on_piece, prepare));
  LS_RETURN_NOT_OK(lines.Finish(on_line));
  if (!rows) {
    return Status::InvalidArgument(fmt::format("{}: the file is empty (no header row)", path));
  }
  source.rows = rows->rows() + tail_rows;
  data->files.push_back(std::move(source));
  return Status::Ok();
}

}  // namespace lakestream::mta
