#include "mta/turnstile_message.h"

#include <xxhash.h>

#include <charconv>

#include "formats/csv.h"
#include "formats/json_string.h"

namespace lakestream::mta {
namespace {

void AppendInt(std::string* out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

// Appends the 13-field CSV line.
void RenderCsv(const TurnstileMessage& m, std::string* out) {
  const std::string_view text[] = {m.ca, m.unit, m.scp, m.station, m.linename, m.division};
  for (auto t : text) {
    AppendCsvField(out, t);
    out->push_back(',');
  }
  out->append(FormatDateMdyDash(m.time)).push_back(',');
  out->append(FormatTimeOfDay(m.time)).push_back(',');
  AppendCsvField(out, m.desc);
  out->push_back(',');
  AppendInt(out, m.entries);
  out->push_back(',');
  AppendInt(out, m.exits);
  out->push_back(',');
  AppendCsvField(out, m.id);
  out->push_back(',');
  out->append(FormatTimestamp(m.time));
}

void AppendJsonKey(std::string* out, const char* key) {
  out->push_back('"');
  out->append(key);
  out->append("\":");
}

}  // namespace

void RenderValue(const TurnstileMessage& m, WireFormat format, std::string* out) {
  switch (format) {
    case WireFormat::kCsv:
      RenderCsv(m, out);
      return;
    case WireFormat::kSeed: {
      std::string line;
      line.reserve(160);
      RenderCsv(m, &line);
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
      AppendJsonString(out, FormatDateMdyDash(m.time));
      out->push_back(',');
      AppendJsonKey(out, "TIME");
      AppendJsonString(out, FormatTimeOfDay(m.time));
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
      AppendJsonString(out, FormatTimestamp(m.time));
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

std::string MakeMessageId(std::string_view ca, std::string_view unit, std::string_view scp,
                          EventTime time) {
  std::string material;
  RenderDeviceKey(ca, unit, scp, &material);
  material.push_back(',');
  material.append(std::to_string(time.seconds));
  XXH128_hash_t h = XXH3_128bits(material.data(), material.size());
  unsigned char b[16];
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<unsigned char>(h.high64 >> (56 - 8 * i));
    b[8 + i] = static_cast<unsigned char>(h.low64 >> (56 - 8 * i));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x80);  // version 8
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 9562 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) id.push_back('-');
    id.push_back(kHex[b[i] >> 4]);
    id.push_back(kHex[b[i] & 0xF]);
  }
  return id;
}

}  // namespace lakestream::mta
