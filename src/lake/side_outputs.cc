#include "lake/side_outputs.h"

#include "lake/base64.h"
#include "lake/layout.h"

namespace lakestream::lake {

Schema DeadLetterSchema() {
  return Schema{{{"position", ColumnType::kString},
                 {"topic", ColumnType::kString},
                 {"partition", ColumnType::kInt64},
                 {"offset", ColumnType::kInt64},
                 {"reason", ColumnType::kString},
                 {"raw", ColumnType::kString},
                 {"raw_base64", ColumnType::kString}}};
}

Row DeadLetterRow(const DeadLetter& l) {
  return Row{l.position.ToString(),
             l.position.topic,
             int64_t{l.position.partition},
             int64_t{l.position.offset},
             l.reason,
             l.raw,
             Base64Encode(l.raw)};
}

OutputSpec DeadLetterOutput(std::string_view topic, size_t max_rows_per_file) {
  OutputSpec spec;
  spec.dir = std::string(kDeadLettersDir) + "/" + std::string(topic);
  spec.file.schema = DeadLetterSchema();
  spec.file.format = FileFormat::kJsonLines;
  spec.max_rows_per_file = max_rows_per_file;
  return spec;
}

OutputSpec LateDataOutput(std::string_view topic, FileSpec file, size_t max_rows_per_file) {
  OutputSpec spec;
  spec.dir = std::string(kLateDataDir) + "/" + std::string(topic);
  spec.file = std::move(file);
  spec.max_rows_per_file = max_rows_per_file;
  return spec;
}

void AddDeadLetter(CommitBatch* batch, size_t output, const DeadLetter& letter) {
  batch->Add(output, letter.time, DeadLetterRow(letter));
}

}  // namespace lakestream::lake
