#include <chrono>
#include <random>

#include "produce/source.h"

namespace lakestream::produce {
namespace {

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class SyntheticSource final : public MessageSource {
 public:
  explicit SyntheticSource(const SyntheticOptions& o)
      : options_(o), rng_(o.seed != 0 ? o.seed : std::random_device{}()) {
    start_ = o.start.seconds != 0 ? o.start.seconds : NowSeconds();
  }

  bool Next(SourceMessage* m) override {
    if (options_.count != 0 && produced_ >= options_.count) return false;
    EventTime t{options_.rate > 0 ? NowSeconds()
                                  : start_ + static_cast<int64_t>(produced_) * options_.interval_seconds};
    ++produced_;
    std::string id = Uuid4();
    auto pick = [&](const char* a, const char* b) { return (rng_() & 1) ? b : a; };
    std::uniform_int_distribution<int> counts(5, 10);
    mta::TurnstileMessage msg{pick("A001", "A002"),
                              pick("R001", "R002"),
                              "02-00-00",
                              pick("Test-Station1", "Test-Station2"),
                              "456NQR",
                              "BMT",
                              "REGULAR",
                              t,
                              counts(rng_),
                              counts(rng_),
                              id};
    m->entries = msg.entries;
    m->exits = msg.exits;
    m->key = id;  // the seed keys by the random ID
    m->value.clear();
    mta::RenderValue(msg, options_.format, &m->value);
    m->time = t;
    return true;
  }

  std::optional<uint64_t> Total() const override {
    if (options_.count == 0) return std::nullopt;
    return options_.count;
  }
  bool LiveTime() const override { return options_.rate > 0; }
  const std::vector<RejectedLine>& Issues() const override { return issues_; }

 private:
  std::string Uuid4() {
    static constexpr char kHex[] = "0123456789abcdef";
    uint64_t hi = rng_(), lo = rng_();
    hi = (hi & ~0xF000ULL) | 0x4000ULL;                                  // version 4
    lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;          // variant
    std::string s;
    s.reserve(36);
    for (int i = 0; i < 16; ++i) {
      if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
      uint64_t word = i < 8 ? hi : lo;
      auto byte = static_cast<unsigned>((word >> (56 - 8 * (i % 8))) & 0xFF);
      s.push_back(kHex[byte >> 4]);
      s.push_back(kHex[byte & 0xF]);
    }
    return s;
  }

  SyntheticOptions options_;
  std::mt19937_64 rng_;
  int64_t start_ = 0;
  uint64_t produced_ = 0;
  std::vector<RejectedLine> issues_;  // none
};

}  // namespace

std::unique_ptr<MessageSource> MakeSyntheticSource(const SyntheticOptions& options) {
  return std::make_unique<SyntheticSource>(options);
}

}  // namespace lakestream::produce
