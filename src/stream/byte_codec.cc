#include "stream/byte_codec.h"

#include <bit>

namespace lakestream::stream {

void ByteWriter::PutValue(const Value& v) {
  U8(static_cast<uint8_t>(v.index()));
  switch (v.index()) {
    case 0:
      break;
    case 1:
      Bytes(std::get<std::string>(v));
      break;
    case 2:
      I64(std::get<int64_t>(v));
      break;
    case 3:
      F64(std::get<double>(v));
      break;
    case 4:
      I64(std::get<EventTime>(v).seconds);
      break;
  }
}

void ByteWriter::PutRow(const Row& row) {
  U32(static_cast<uint32_t>(row.size()));
  for (const Value& v : row) PutValue(v);
}

Status ByteReader::Truncated() const {
  return Status::DataLoss("checkpoint truncated at byte " + std::to_string(pos_) + " of " +
                          std::to_string(in_.size()));
}

Status ByteReader::Bytes(std::string* s) {
  uint32_t n = 0;
  LS_RETURN_NOT_OK(U32(&n));
  if (n > remaining()) return Truncated();
  s->assign(in_.data() + pos_, n);
  pos_ += n;
  return Status::Ok();
}

Status ByteReader::GetValue(Value* v) {
  uint8_t tag = 0;
  LS_RETURN_NOT_OK(U8(&tag));
  switch (tag) {
    case 0:
      *v = std::monostate{};
      return Status::Ok();
    case 1: {
      std::string s;
      LS_RETURN_NOT_OK(Bytes(&s));
      *v = std::move(s);
      return Status::Ok();
    }
    case 2: {
      int64_t i = 0;
      LS_RETURN_NOT_OK(I64(&i));
      *v = i;
      return Status::Ok();
    }
    case 3: {
      double d = 0;
      LS_RETURN_NOT_OK(F64(&d));
      *v = d;
      return Status::Ok();
    }
    case 4: {
      int64_t s = 0;
      LS_RETURN_NOT_OK(I64(&s));
      *v = EventTime{s};
      return Status::Ok();
    }
    default:
      return Status::DataLoss("checkpoint: unknown value tag " + std::to_string(tag) + " at byte " +
                              std::to_string(pos_ - 1));
  }
}

Status ByteReader::GetRow(Row* row) {
  uint64_t n;
  uint32_t n32 = 0;
  LS_RETURN_NOT_OK(U32(&n32));
  n = n32;
  if (n > remaining()) return Truncated();
  row->resize(n);
  for (Value& v : *row) LS_RETURN_NOT_OK(GetValue(&v));
  return Status::Ok();
}

Status ByteReader::Count(uint64_t min_item_bytes, uint64_t* n) {
  LS_RETURN_NOT_OK(U64(n));
  if (min_item_bytes > 0 && *n > remaining() / min_item_bytes) return Truncated();
  return Status::Ok();
}

}  // namespace lakestream::stream
