#include <chrono>

#include "produce/source.h"

namespace lakestream::produce {
namespace {

class MtaFileSource final : public MessageSource {
 public:
  MtaFileSource(mta::TurnstileData data, mta::ReplayResult replay, const MtaFileOptions& options)
      : data_(std::move(data)), replay_(std::move(replay)), options_(options) {
    devices_.resize(replay_.devices);
    if (options_.shift_to_now && !replay_.messages.empty()) {
      int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
      shift_ = now - data_.readings[replay_.messages.front().reading].time.seconds;
    }
  }

  bool Next(SourceMessage* m) override {
    if (next_ >= replay_.messages.size()) return false;
    const mta::ReplayMessage& rm = replay_.messages[next_++];
    // In event-time order the readings are visited far apart in memory (~30% of the
    // publishing thread's time went to waiting for them): the one a few messages ahead is
    // fetched now.
    if (next_ + kPrefetchAhead < replay_.messages.size()) {
      __builtin_prefetch(&data_.readings[replay_.messages[next_ + kPrefetchAhead].reading]);
    }
    const mta::Reading& r = data_.readings[rm.reading];
    const auto& p = data_.pool;
    EventTime t{r.time.seconds + shift_};
    mta::TurnstileMessage msg;
    msg.desc = p.Get(r.desc);
    msg.time = t;
    msg.entries = rm.entries;
    msg.exits = rm.exits;
    // A device's key and CSV head are rendered once (again only if the reading names
    // another station, line or division than the device's last one); the texts behind
    // them are looked up only then (and for json, which has no head).
    DeviceTexts& texts = devices_[rm.device];
    const bool stale_head = texts.head.empty() || texts.station != r.station || texts.linename != r.linename ||
                            texts.division != r.division;
    if (stale_head || texts.key.empty() || options_.format == mta::WireFormat::kJson) {
      msg.ca = p.Get(r.ca);
      msg.unit = p.Get(r.unit);
      msg.scp = p.Get(r.scp);
      msg.station = p.Get(r.station);
      msg.linename = p.Get(r.linename);
      msg.division = p.Get(r.division);
    }
    if (texts.key.empty()) mta::RenderDeviceKey(msg.ca, msg.unit, msg.scp, &texts.key);
    if (stale_head) {
      texts.head.clear();
      mta::AppendCsvHead(msg, &texts.head);
      texts.station = r.station;
      texts.linename = r.linename;
      texts.division = r.division;
    }
    m->key.assign(texts.key);
    m->key_id = rm.device;
    id_.clear();
    mta::AppendMessageId(texts.key, t, &id_);
    msg.id = id_;
    m->value.clear();
    mta::RenderValue(msg, options_.format, &m->value, texts.head);
    m->time = t;
    m->entries = rm.entries;
    m->exits = rm.exits;
    m->entries_anomaly = rm.entries_anomaly;
    m->exits_anomaly = rm.exits_anomaly;
    return true;
  }

  std::optional<uint64_t> Total() const override { return replay_.messages.size(); }
  const std::vector<RejectedLine>& Issues() const override { return data_.issues; }

 private:
  mta::TurnstileData data_;
  mta::ReplayResult replay_;
  MtaFileOptions options_;
  size_t next_ = 0;
  int64_t shift_ = 0;
  std::string id_;  // reused
  static constexpr size_t kPrefetchAhead = 4;
  struct DeviceTexts {
    std::string key;   // CA,UNIT,SCP
    std::string head;  // mta::AppendCsvHead's text, for these ids:
    uint32_t station = 0, linename = 0, division = 0;
  };
  std::vector<DeviceTexts> devices_;  // by mta::ReplayMessage::device
};

}  // namespace

Result<std::unique_ptr<MessageSource>> MakeMtaFileSource(const std::vector<std::string>& paths,
                                                         const MtaFileOptions& options) {
  mta::TurnstileData data;
  for (const auto& path : paths) {
    LS_RETURN_NOT_OK(mta::ReadTurnstileFile(path, &data));
    if (options.on_file != nullptr) options.on_file(path, data.files.back());
  }
  mta::ReplayResult replay = mta::Replay(data, options.replay);
  return std::unique_ptr<MessageSource>(
      std::make_unique<MtaFileSource>(std::move(data), std::move(replay), options));
}

}  // namespace lakestream::produce
