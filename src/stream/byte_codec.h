// Little-endian binary encoding for checkpoints (see partition_task.h for the layout).
// The reader never reads past its input: every getter fails with DataLoss instead.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/table.h"

namespace lakestream::stream {

class ByteWriter {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(uint32_t v) { Raw(&v, 4); }
  void U64(uint64_t v) { Raw(&v, 8); }
  void I64(int64_t v) { Raw(&v, 8); }
  void F64(double v) { Raw(&v, 8); }  // bit-exact, so restored sums are identical
  void Bytes(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  // Tag byte (0 null, 1 string, 2 int64, 3 double, 4 timestamp) and payload.
  void PutValue(const Value& v);
  void PutRow(const Row& row);

  std::string& buffer() { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  static_assert(std::endian::native == std::endian::little, "checkpoints are little-endian");
  void Raw(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  Status U8(uint8_t* v) { return Raw(v, 1); }
  Status U32(uint32_t* v) { return Raw(v, 4); }
  Status U64(uint64_t* v) { return Raw(v, 8); }
  Status I64(int64_t* v) { return Raw(v, 8); }
  Status F64(double* v) { return Raw(v, 8); }
  Status Bytes(std::string* s);
  Status GetValue(Value* v);
  Status GetRow(Row* row);
  // A count that must fit in the remaining bytes at `min_item_bytes` each, so a corrupt
  // count cannot make the caller reserve gigabytes.
  Status Count(uint64_t min_item_bytes, uint64_t* n);
  size_t remaining() const { return in_.size() - pos_; }

 private:
  Status Raw(void* p, size_t n) {
    if (n > remaining()) return Truncated();
    std::memcpy(p, in_.data() + pos_, n);
    pos_ += n;
    return Status::Ok();
  }
  Status Truncated() const;
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace lakestream::stream
