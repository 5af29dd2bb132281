#include "lake/table_windows.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "lake/fs_util.h"

namespace lakestream::lake {
namespace {

std::string MarkName(TableWindow w) { return fmt::format("{}s-{}s", w.size, w.slide); }

// "<size>s-<slide>s" with both positive; anything else is not a mark.
bool ParseMark(std::string_view name, TableWindow* w) {
  auto number = [&](int64_t* out) {
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), *out);
    if (ec != std::errc() || end == name.data() || *out <= 0 || end == name.data() + name.size() || *end != 's') {
      return false;
    }
    name.remove_prefix(static_cast<size_t>(end - name.data()) + 1);
    return true;
  };
  if (!number(&w->size) || !name.starts_with('-')) return false;
  name.remove_prefix(1);
  return number(&w->slide) && name.empty();
}

}  // namespace

Status MarkTableWindow(const std::string& lake_root, const std::string& table, TableWindow window) {
  const std::string dir = lake_root + "/" + table + "/" + std::string(kWindowsDir);
  const std::string path = dir + "/" + MarkName(window);
  if (PathExists(path)) return Status::Ok();
  LS_RETURN_NOT_OK(MakeDirsDurable(dir));
  LS_RETURN_NOT_OK(WriteFileDurable(path, ""));
  return FsyncDir(dir);
}

Result<std::vector<TableWindow>> TableWindows(const std::string& lake_root, const std::string& table) {
  const std::string dir = lake_root + "/" + table + "/" + std::string(kWindowsDir);
  auto names = ListDir(dir);
  if (!names.ok()) {
    if (names.status().code() == StatusCode::kNotFound) return std::vector<TableWindow>{};
    return names.status();
  }
  std::vector<TableWindow> out;
  for (const std::string& name : *names) {
    TableWindow w;
    if (ParseMark(name, &w)) out.push_back(w);
  }
  std::sort(out.begin(), out.end(), [](const TableWindow& a, const TableWindow& b) {
    return a.size != b.size ? a.size < b.size : a.slide < b.slide;
  });
  return out;
}

}  // namespace lakestream::lake
