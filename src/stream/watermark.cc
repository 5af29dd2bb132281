#include "stream/watermark.h"

namespace lakestream::stream {

void Watermark::Save(ByteWriter& w) const {
  w.U8(has_max_ ? 1 : 0);
  w.I64(max_event_);
  w.I64(floor_);
  w.I64(current_);
  w.U64(late_);
}

Status Watermark::Load(ByteReader& r) {
  uint8_t has_max = 0;
  LS_RETURN_NOT_OK(r.U8(&has_max));
  LS_RETURN_NOT_OK(r.I64(&max_event_));
  LS_RETURN_NOT_OK(r.I64(&floor_));
  LS_RETURN_NOT_OK(r.I64(&current_));
  LS_RETURN_NOT_OK(r.U64(&late_));
  has_max_ = has_max != 0;
  if (current_ < floor_) return Status::DataLoss("checkpoint: watermark below its floor");
  return Status::Ok();
}

}  // namespace lakestream::stream
