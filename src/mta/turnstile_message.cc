#include "mta/turnstile_message.h"

#include <xxhash.h>

#include <array>
#include <charconv>
#include <cstring>

#include "formats/csv.h"
#include "formats/json_string.h"

namespace lakestream::mta {
namespace {

// "000102...feff": byte b's two lowercase hex digits at 2 * b.
constexpr std::array<char, 512> kHexPairs = [] {
  std::array<char, 512> t{};
  constexpr char kHex[] = "0123456789abcdef";
  for (int b = 0; b < 256; ++b) {
    t[2 * b] = kHex[b >> 4];
    t[2 * b + 1] = kHex[b & 0xF];
  }
  return t;
}();

void AppendInt(std::string* out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

// A message's DATE, TIME and TIMESTAMP texts. A replay publishes in event-time order and
// many devices share each reading time, so the last ones are kept (per thread).
struct TimeTexts {
  bool valid = false;
  int64_t seconds = 0;
  std::string date, time, timestamp;
};

const TimeTexts& TextsOf(EventTime t) {
  thread_local TimeTexts last;
  if (!last.valid || last.seconds != t.seconds) {
    last = TimeTexts{true, t.seconds, FormatDateMdyDash(t), FormatTimeOfDay(t), FormatTimestamp(t)};
  }
  return last;
}

// Appends the 13-field CSV line. After the head (the device's fields, rendered once per
// device) it is written in place: one resize to a bound, then no per-field appends.
void RenderCsv(const TurnstileMessage& m, std::string_view head, std::string* out) {
  const TimeTexts& texts = TextsOf(m.time);
  if (head.empty()) {
    AppendCsvHead(m, out);
  } else {
    out->append(head);
  }
  constexpr size_t kIntBound = 20;  // an int64_t's digits and sign
  const size_t at = out->size();
  out->resize(at + texts.date.size() + texts.time.size() + CsvFieldBound(m.desc.size()) +
              2 * kIntBound + CsvFieldBound(m.id.size()) + texts.timestamp.size() + 6);
  char* p = out->data() + at;
  auto put = [&p](std::string_view text) {
    std::memcpy(p, text.data(), text.size());
    p += text.size();
  };
  put(texts.date);
  *p++ = ',';
  put(texts.time);
  *p++ = ',';
  p = PutCsvField(p, m.desc);
  *p++ = ',';
  p = std::to_chars(p, p + kIntBound, m.entries).ptr;
  *p++ = ',';
  p = std::to_chars(p, p + kIntBound, m.exits).ptr;
  *p++ = ',';
  p = PutCsvField(p, m.id);
  *p++ = ',';
  put(texts.timestamp);
  out->resize(static_cast<size_t>(p - out->data()));
}

void AppendJsonKey(std::string* out, const char* key) {
  out->push_back('"');
  out->append(key);
  out->append("\":");
}

}  // namespace

void AppendCsvHead(const TurnstileMessage& m, std::string* out) {
  const std::string_view text[] = {m.ca, m.unit, m.scp, m.station, m.linename, m.division};
  for (auto t : text) {
    AppendCsvField(out, t);
    out->push_back(',');
  }
}

void RenderValue(const TurnstileMessage& m, WireFormat format, std::string* out, std::string_view csv_head) {
  switch (format) {
    case WireFormat::kCsv:
      RenderCsv(m, csv_head, out);
      return;
    case WireFormat::kSeed: {
      thread_local std::string line;
      line.clear();
      RenderCsv(m, csv_head, &line);
      AppendJsonString(out, line);
      return;
    }
    case WireFormat::kJson: {
      const std::pair<const char*, std::string_view> text[] = {
          {"CA", m.ca},         {"UNIT", m.unit},         {"SCP", m.scp},
          {"STATION", m.station}, {"LINENAME", m.linename}, {"DIVISION", m.division}};
      out->push_back('{');
      for (const auto& [k, v] : text) {
        AppendJsonKey(out, k);
        AppendJsonString(out, v);
        out->push_back(',');
      }
      AppendJsonKey(out, "DATE");
      AppendJsonString(out, TextsOf(m.time).date);
      out->push_back(',');
      AppendJsonKey(out, "TIME");
      AppendJsonString(out, TextsOf(m.time).time);
      out->push_back(',');
      AppendJsonKey(out, "DESC");
      AppendJsonString(out, m.desc);
      out->push_back(',');
      AppendJsonKey(out, "ENTRIES");
      AppendInt(out, m.entries);
      out->push_back(',');
      AppendJsonKey(out, "EXITS");
      AppendInt(out, m.exits);
      out->push_back(',');
      AppendJsonKey(out, "ID");
      AppendJsonString(out, m.id);
      out->push_back(',');
      AppendJsonKey(out, "TIMESTAMP");
      AppendJsonString(out, TextsOf(m.time).timestamp);
      out->push_back('}');
      return;
    }
  }
}

void RenderDeviceKey(std::string_view ca, std::string_view unit, std::string_view scp,
                     std::string* out) {
  // A CSV row: a part holding a comma (or a quote) is quoted, so ("A,B", C, D) and
  // (A, "B,C", D) stay two devices, with two keys and two IDs. Real parts need no quotes.
  AppendCsvField(out, ca);
  out->push_back(',');
  AppendCsvField(out, unit);
  out->push_back(',');
  AppendCsvField(out, scp);
}

void AppendMessageId(std::string_view device_key, EventTime time, std::string* out) {
  // The hashed material is `CA,UNIT,SCP,<seconds>`; on the stack for any real device.
  char stack[256];
  std::string heap;
  char* material = stack;
  const size_t room = device_key.size() + 1 + 24;
  if (room > sizeof stack) {
    heap.resize(room);
    material = heap.data();
  }
  std::memcpy(material, device_key.data(), device_key.size());
  char* p = material + device_key.size();
  *p++ = ',';
  // A replay publishes in event-time order, many devices at each reading time: the last
  // time's digits are kept (per thread).
  thread_local struct {
    bool valid = false;
    int64_t seconds = 0;
    char digits[24];
    size_t size = 0;
  } last;
  if (!last.valid || last.seconds != time.seconds) {
    char* end = std::to_chars(last.digits, last.digits + sizeof last.digits, time.seconds).ptr;
    last.size = static_cast<size_t>(end - last.digits);
    last.seconds = time.seconds;
    last.valid = true;
  }
  std::memcpy(p, last.digits, last.size);
  p += last.size;
  XXH128_hash_t h = XXH3_128bits(material, static_cast<size_t>(p - material));
  // The 16 bytes are high64 then low64, most significant byte first, with the version in
  // byte 6 (high64's bits 15..8) and the variant in byte 8 (low64's top bits).
  const uint64_t high = (h.high64 & ~(uint64_t{0xF0} << 8)) | (uint64_t{0x80} << 8);  // version 8
  const uint64_t low = (h.low64 & ~(uint64_t{0xC0} << 56)) | (uint64_t{0x80} << 56);  // RFC 9562 variant
  char id[36];
  char* q = id;
  auto put_bytes = [&q](uint64_t word, int from, int to) {  // bytes [from, to) of `word`
    for (int i = from; i < to; ++i, q += 2) {
      std::memcpy(q, kHexPairs.data() + 2 * ((word >> (56 - 8 * i)) & 0xFF), 2);
    }
  };
  put_bytes(high, 0, 4);
  *q++ = '-';
  put_bytes(high, 4, 6);
  *q++ = '-';
  put_bytes(high, 6, 8);
  *q++ = '-';
  put_bytes(low, 0, 2);
  *q++ = '-';
  put_bytes(low, 2, 8);
  out->append(id, sizeof id);
}

std::string MakeMessageId(std::string_view ca, std::string_view unit, std::string_view scp,
                          EventTime time) {
  std::string key;
  RenderDeviceKey(ca, unit, scp, &key);
  std::string id;
  AppendMessageId(key, time, &id);
  return id;
}

}  // namespace lakestream::mta
