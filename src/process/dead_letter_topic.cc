#include "process/dead_letter_topic.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "formats/json_string.h"
#include "lake/file_writer.h"

namespace lakestream::process {

namespace {

// Raw (column 5) and raw_base64 (column 6) of lake::DeadLetterSchema.
constexpr size_t kReasonColumn = 4, kRawColumn = 5, kBase64Column = 6;

std::string Render(const Row& row) {
  static const Schema schema = lake::DeadLetterSchema();
  std::string out;
  lake::AppendJsonObject(schema, ViewOf(row), &out);
  return out;
}

}  // namespace

std::string DeadLetterJson(const lake::DeadLetter& letter, size_t max_bytes) {
  Row row = lake::DeadLetterRow(letter);
  std::string out = Render(row);
  if (out.size() <= max_bytes) return out;
  // Without raw (raw_base64 holds the same bytes, exactly).
  std::string& reason = std::get<std::string>(row[kReasonColumn]);
  std::string original_reason = reason;
  row[kRawColumn] = std::string();
  reason = original_reason + " [raw left out to fit message.max.bytes; raw_base64 has the record]";
  out = Render(row);
  if (out.size() <= max_bytes) return out;
  // The decoder's reasons are short; a long one (the last resort) keeps its first 1,000
  // bytes, so that the record's bytes get the room.
  if (original_reason.size() > 1000) original_reason = std::string(Utf8Prefix(original_reason, 1000)) + " [reason cut]";
  // raw_base64 cut to what fits, at a whole 4-character group (3 bytes).
  std::string& base64 = std::get<std::string>(row[kBase64Column]);
  const std::string whole = std::move(base64);
  auto cut_reason = [&](size_t kept) {
    return fmt::format("{} [raw left out and raw_base64 cut to fit message.max.bytes: the first {} of {} bytes; the "
                       "whole record is at its position in the source topic]",
                       original_reason, kept, letter.raw.size());
  };
  base64.clear();
  reason = cut_reason(letter.raw.size());  // the longest the count can be
  const size_t fixed = Render(row).size();
  const size_t room = max_bytes > fixed ? (max_bytes - fixed) / 4 * 4 : 0;
  base64 = whole.substr(0, std::min(room, whole.size()));
  reason = cut_reason(base64.size() == whole.size() ? letter.raw.size() : base64.size() / 4 * 3);
  out = Render(row);
  if (out.size() <= max_bytes) return out;
  // A limit smaller than the letter's frame: the longest prefix of the reason that fits
  // (its escaped size is what counts), found by halving.
  const std::string full = reason;
  size_t fits = 0, over = full.size();
  while (fits + 1 < over) {
    const size_t mid = (fits + over) / 2;
    reason = Utf8Prefix(full, mid);
    (Render(row).size() <= max_bytes ? fits : over) = mid;
  }
  reason = Utf8Prefix(full, fits);
  return Render(row);
}

Result<std::unique_ptr<DeadLetterTopic>> DeadLetterTopic::Open(kafka::ClientConfig config, const std::string& topic,
                                                               int connect_timeout_ms) {
  std::unique_ptr<DeadLetterTopic> t(new DeadLetterTopic());
  t->topic_ = topic;
  // Dead letters are few and must not wait for a batch to fill.
  config.SetDefault("linger.ms", "5");
  // Read before the config moves into the producer. librdkafka refuses a message over
  // message.max.bytes (key and record overhead included).
  const std::string configured = config.Get("message.max.bytes");
  size_t limit = 1000000;
  if (!configured.empty()) limit = static_cast<size_t>(std::max(0LL, std::atoll(configured.c_str())));
  t->max_letter_bytes_ = limit > 4096 ? limit - 1024 : limit / 2;  // room for the key and the record's framing
  auto producer = kafka::Producer::Make(std::move(config), topic, connect_timeout_ms);
  if (!producer.ok()) {
    return Status(producer.status().code(), fmt::format("--dead-letter-topic: {}", producer.status().message()));
  }
  t->producer_ = std::move(*producer);
  return t;
}

Status DeadLetterTopic::Publish(std::span<const lake::DeadLetter> letters) {
  if (letters.empty()) return Status::Ok();
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t failed_before = producer_->failed();
  for (const lake::DeadLetter& l : letters) {
    const std::string value = DeadLetterJson(l, max_letter_bytes_);
    if (Status st = producer_->Send(l.position.ToString(), value); !st.ok()) {
      return Status(st.code(), fmt::format("dead letter of {} ({} bytes): {}", l.position.ToString(), value.size(),
                                           st.message()));
    }
  }
  // Bounded by message.timeout.ms: an undeliverable message fails, it does not hang.
  while (producer_->Flush(1000) > 0) {
  }
  if (producer_->failed() != failed_before) {
    return Status::Unavailable(fmt::format(
        "cannot publish dead letters to '{}': {} ({} not delivered; if the broker finds them too large, raise the "
        "topic's max.message.bytes, or lower -X message.max.bytes so that lakestream cuts big letters to fit)",
        topic_, producer_->first_error(), producer_->failed() - failed_before));
  }
  return Status::Ok();
}

}  // namespace lakestream::process
