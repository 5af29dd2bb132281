// Reader for MTA weekly turnstile files in the three layouts found in the wild
// (see data/README.md): the raw MTA layout (`C/A,UNIT,...` header, padded lines,
// zero-padded counters), and pandas re-exports with a leading index column and a
// header `,C/A,...` or `,CA,...`. Plain or gzip (multi-member gzip included).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "formats/csv.h"
#include "formats/text_file.h"
#include "mta/string_pool.h"

namespace lakestream::mta {

enum class FileLayout { kRaw, kPandasSlashCa, kPandasCa };
const char* FileLayoutName(FileLayout layout);

// One audit reading. Text fields are ids in the owning TurnstileData's pool.
struct Reading {
  uint32_t ca, unit, scp, station, linename, division, desc;
  EventTime time;
  int64_t entries;  // cumulative register value
  int64_t exits;
  uint32_t file;  // index into TurnstileData::files
  uint32_t line;  // 1-based line in that file
};

struct SourceFile {
  std::string path;
  FileLayout layout;
  uint64_t rows = 0;  // data rows read, good and bad
};

// Readings of one or more files, in file order (file, then line).
struct TurnstileData {
  StringPool pool;
  std::vector<Reading> readings;
  std::vector<SourceFile> files;
  // Malformed rows, skipped: each with file:line, the reason and its text, in file order.
  std::vector<RejectedLine> issues;
};

// Reads `path` and appends its readings to `data`. Errors (unreadable file,
// unknown layout) end the read of this file; malformed rows only add issues.
Status ReadTurnstileFile(const std::string& path, TurnstileData* data);

}  // namespace lakestream::mta
