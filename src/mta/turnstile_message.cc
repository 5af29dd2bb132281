#include "mta/turnstile_message.h"

#include <xxhash.h>

#include <charconv>
#include <cstring>

#include "formats/csv.h"
#include "formats/json_string.h"

namespace lakestream::mta {
namespace {

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

// Appends the 13-field CSV line.
void RenderCsv(const TurnstileMessage& m, std::string_view head, std::string* out) {
  const TimeTexts& texts = TextsOf(m.time);
  if (head.empty()) {
    AppendCsvHead(m, out);
  } else {
    out->append(head);
  }
  out->append(texts.date).push_back(',');
  out->append(texts.time).push_back(',');
  AppendCsvField(out, m.desc);
  out->push_back(',');
  AppendInt(out, m.entries);
  out->push_back(',');
  AppendInt(out, m.exits);
  out->push_back(',');
  AppendCsvField(out, m.id);
  out->push_back(',');
  out->append(texts.timestamp);
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
  out->append(ca).push_back(',');
  out->append(unit).push_back(',');
  out->append(scp);
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
  p = std::to_chars(p, material + room, time.seconds).ptr;
  XXH128_hash_t h = XXH3_128bits(material, static_cast<size_t>(p - material));
  unsigned char b[16];
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<unsigned char>(h.high64 >> (56 - 8 * i));
    b[8 + i] = static_cast<unsigned char>(h.low64 >> (56 - 8 * i));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x80);  // version 8
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 9562 variant
  static constexpr char kHex[] = "0123456789abcdef";
  char id[36];
  char* q = id;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *q++ = '-';
    *q++ = kHex[b[i] >> 4];
    *q++ = kHex[b[i] & 0xF];
  }
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
