#include "mta/turnstile_file.h"

#include <fmt/format.h>

#include <algorithm>

#include "formats/csv.h"
#include "formats/text_file.h"

namespace lakestream::mta {
namespace {

constexpr std::string_view kColumns[] = {"UNIT", "SCP",  "STATION", "LINENAME", "DIVISION",
                                         "DATE", "TIME", "DESC",    "ENTRIES",  "EXITS"};

bool ParseCounter(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

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

  std::vector<std::string_view> fields;
  std::string scratch;
  bool header_seen = false;
  size_t first = 0;  // index of the C/A field: 0 raw, 1 pandas

  auto issue = [&](uint32_t line, std::string reason) {
    ++data->bad_rows;
    if (data->issues.size() < TurnstileData::kMaxIssuesKept) {
      data->issues.push_back(RowIssue{path, line, std::move(reason)});
    }
  };

  // Consecutive rows are mostly the same device (and DESC mostly REGULAR): each text
  // column remembers its last id, and only a changed value is looked up in the pool.
  uint32_t last_id[7];
  bool have_last[7] = {};
  auto intern = [&](int column, std::string_view value) {
    if (!have_last[column] || data->pool.Get(last_id[column]) != value) {
      last_id[column] = data->pool.Intern(value);
      have_last[column] = true;
    }
    return last_id[column];
  };
  // The text is parsed as it is inflated, a gzip member at a time (ForEachTextPiece).
  auto on_line = [&](uint32_t line_no, std::string_view line) -> Status {
    line = TrimSpaces(line);
    if (line.empty()) return Status::Ok();

    if (!SplitCsvLine(line, &fields, &scratch)) {
      if (!header_seen) {
        return Status::InvalidArgument(fmt::format("{}:{}: unbalanced quote in the header", path, line_no));
      }
      issue(line_no, "unbalanced quote");
      return Status::Ok();
    }
    for (auto& f : fields) f = TrimSpaces(f);

    if (!header_seen) {
      header_seen = true;
      if (fields.size() == 12 && fields[0].empty() && (fields[1] == "C/A" || fields[1] == "CA")) {
        source.layout = fields[1] == "C/A" ? FileLayout::kPandasSlashCa : FileLayout::kPandasCa;
        first = 1;
      } else if (fields.size() == 11 && (fields[0] == "C/A" || fields[0] == "CA")) {
        source.layout = FileLayout::kRaw;
        first = 0;
      } else {
        return Status::InvalidArgument(fmt::format(
            "{}:{}: unknown turnstile file layout: the header must be "
            "`C/A,UNIT,SCP,STATION,LINENAME,DIVISION,DATE,TIME,DESC,ENTRIES,EXITS` (raw MTA) or "
            "the same with a leading index column (pandas re-export, `C/A` or `CA`); got `{}`",
            path, line_no, line.substr(0, 120)));
      }
      for (size_t i = 0; i < std::size(kColumns); ++i) {
        if (fields[first + 1 + i] != kColumns[i]) {
          return Status::InvalidArgument(fmt::format(
              "{}:{}: unexpected header column {} `{}` (expected `{}`)", path, line_no,
              first + 2 + i, fields[first + 1 + i], kColumns[i]));
        }
      }
      return Status::Ok();
    }

    ++source.rows;
    if (fields.size() != first + 11) {
      issue(line_no, fmt::format("expected {} fields, found {}", first + 11, fields.size()));
      return Status::Ok();
    }
    const std::string_view* f = fields.data() + first;
    if (f[0].empty() || f[1].empty() || f[2].empty()) {
      issue(line_no, "empty C/A, UNIT or SCP");
      return Status::Ok();
    }
    auto date = ParseDateMdy(f[6]);
    if (!date) {
      issue(line_no, fmt::format("bad DATE `{}` (expected MM/DD/YYYY)", f[6]));
      return Status::Ok();
    }
    auto tod = ParseTimeOfDay(f[7]);
    if (!tod) {
      issue(line_no, fmt::format("bad TIME `{}` (expected HH:MM:SS)", f[7]));
      return Status::Ok();
    }
    Reading r;
    if (!ParseCounter(f[9], &r.entries)) {
      issue(line_no, fmt::format("bad ENTRIES `{}` (expected a non-negative integer)", f[9]));
      return Status::Ok();
    }
    if (!ParseCounter(f[10], &r.exits)) {
      issue(line_no, fmt::format("bad EXITS `{}` (expected a non-negative integer)", f[10]));
      return Status::Ok();
    }
    r.ca = intern(0, f[0]);
    r.unit = intern(1, f[1]);
    r.scp = intern(2, f[2]);
    r.station = intern(3, f[3]);
    r.linename = intern(4, f[4]);
    r.division = intern(5, f[5]);
    r.desc = intern(6, f[8]);
    r.time = MakeEventTime(*date, *tod);
    r.file = file_index;
    r.line = line_no;
    data->readings.push_back(r);
    return Status::Ok();
  };
  bool reserved = false;
  LS_RETURN_NOT_OK(ForEachLineOfFile(path, on_line, [&](std::string_view piece, double read) {
    if (!reserved && read > 0) {  // the whole text's size, estimated from the first piece
      reserved = true;
      data->readings.reserve(data->readings.size() + static_cast<size_t>(static_cast<double>(piece.size()) / read / 80));  // MTA rows are ~90 bytes
    }
  }));
  if (!header_seen) {
    return Status::InvalidArgument(fmt::format("{}: the file is empty (no header row)", path));
  }
  data->files.push_back(std::move(source));
  return Status::Ok();
}

}  // namespace lakestream::mta
