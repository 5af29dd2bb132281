#include <fmt/format.h>

#include <cerrno>
#include <memory>

#include "produce/source.h"

namespace lakestream::produce {

Status ReportRejectedRows(const MessageSource& src, const std::string& bad_rows_path, std::FILE* log) {
  const std::vector<RejectedLine>& rows = src.Issues();
  for (size_t i = 0; i < rows.size() && i < kRejectedShown; ++i) {
    std::fprintf(log, "skipped row: %s\n", rows[i].ToString().c_str());
  }
  if (rows.size() > kRejectedShown) {
    std::fprintf(log, "skipped %zu more malformed rows%s\n", rows.size() - kRejectedShown,
                 bad_rows_path.empty() ? " (--bad-rows FILE keeps every one, with its text)" : "");
  }
  if (bad_rows_path.empty()) return Status::Ok();
  struct Closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Closer> f(std::fopen(bad_rows_path.c_str(), "wb"));
  if (!f) return Status::FromErrno(errno, "create --bad-rows file", bad_rows_path);
  std::string line;
  for (const RejectedLine& r : rows) {
    line.clear();
    AppendRejectedLineJson(r, &line);
    if (std::fwrite(line.data(), 1, line.size(), f.get()) != line.size()) {
      return Status::FromErrno(errno, "write --bad-rows file", bad_rows_path);
    }
  }
  if (std::fclose(f.release()) != 0) return Status::FromErrno(errno, "write --bad-rows file", bad_rows_path);
  if (!rows.empty()) std::fprintf(log, "%zu malformed rows written to %s\n", rows.size(), bad_rows_path.c_str());
  return Status::Ok();
}

}  // namespace lakestream::produce
