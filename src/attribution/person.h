// One person's events → sessions, journeys and every heuristic model's credits: the pipeline's
// work after identity resolution, shared by batch analysis and the store so that both give the
// same answer for the same events. A person's records are sorted and deduplicated here, so the
// result never depends on the order they were read in.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "attrib/attribution.h"
#include "attrib/classify.h"
#include "journey/journey.h"
#include "sessionize/sessionize.h"

namespace attrib {

// The top bits of EventRecord::touch are flags; the rest is a classification id.
inline constexpr uint32_t kTouchBits = 27;
inline constexpr uint32_t kTouchMask = (uint32_t{1} << kTouchBits) - 1;
inline constexpr uint32_t kFlagShift = kTouchBits;  // sessionize::k* flags above the id
// Not a page call: at the same instant a page view comes before the events fired on it.
inline constexpr uint32_t kNotPage = uint32_t{8} << kTouchBits;
inline constexpr uint32_t kIdentityOnly = uint32_t{16} << kTouchBits;  // identify, alias, group

// One accepted message.
struct EventRecord {
  uint64_t key;    // the person (after identity resolution; before: the event's own id key)
  Micros at;       // the event's time
  uint32_t touch;  // classification id | sessionize flags << kFlagShift | kNotPage | kIdentityOnly
  uint32_t fp;     // 32 bits of the messageId's hash, never 0; 0 when there is none
};

// One conversion event.
struct ConversionRecord {
  uint64_t key;  // as EventRecord::key
  Micros at;
  uint64_t fp;  // the messageId's hash; 0 when there is none
  double revenue;
  uint32_t kind;      // index into the conversion events
  uint32_t currency;  // id of the currency name
  uint64_t ref = 0;   // the caller's, handed back with the journey (the store's event id)
};

// What the models need of a classification id.
struct TouchChannel {
  uint32_t channel = 0;  // Channel
  bool direct = false;   // direct or internal: last_non_direct passes over it
};

inline TouchChannel ChannelOf(Channel c) {
  return TouchChannel{static_cast<uint32_t>(c), c == Channel::kDirect || c == Channel::kInternal};
}

// Every heuristic model's credits of one journey into `credits` (credits[m * n + i]: model m's
// credit of session i of n), its sessions ordered by start and `touch` indexed by their touch
// ids. `touchpoints`: scratch.
void CreditSessions(std::span<const sessionize::Session> sessions,
                    std::span<const TouchChannel> touch, Micros converted_at,
                    const HeuristicOptions& options, std::vector<Touchpoint>* touchpoints,
                    std::vector<double>* credits);

struct PersonOptions {
  sessionize::SessionOptions sessions;
  journey::ConversionOptions conversions;
  HeuristicOptions heuristics;
};

// Receives a person's derived state, in this order: OnSessions once (when the person has any
// activity), OnConversions, then OnJourney for each counted conversion and the non-converting
// journey.
class PersonSink {
 public:
  virtual ~PersonSink() = default;
  virtual void OnSessions(std::span<const sessionize::Session> sessions) = 0;
  // Every conversion event of the person, counted or not, by time, without duplicates.
  virtual void OnConversions(std::span<const journey::Conversion> /*conversions*/) {}
  // credits[m * n + i]: model m's credit of touchpoint i (n = journey.sessions.size()); empty
  // for a non-converting journey.
  virtual void OnJourney(const journey::Journey& journey, std::span<const double> credits) = 0;
};

class PersonDeriver {
 public:
  // `counting_by_kind`: how each conversion kind counts; `touch`: by classification id;
  // `no_url_touch`: the classification of a session without a page URL. All must outlive this.
  PersonDeriver(const PersonOptions& options, std::span<const journey::Counting> counting_by_kind,
                std::span<const TouchChannel> touch, uint32_t no_url_touch);

  // Derives one person from their records (reordered in place) and returns how many were
  // duplicates: an event repeating a messageId with the same classification, a conversion
  // repeating a messageId.
  size_t Derive(std::span<EventRecord> events, std::span<ConversionRecord> conversions,
                PersonSink& sink);

 private:
  const PersonOptions& options_;
  std::span<const journey::Counting> counting_by_kind_;
  std::span<const TouchChannel> touch_;
  uint32_t no_url_touch_;
  std::vector<uint8_t> dup_;
  std::vector<std::pair<uint64_t, uint32_t>> scratch_;
  std::vector<sessionize::Activity> activities_;
  std::vector<sessionize::Session> sessions_;
  std::vector<journey::Conversion> conversions_;
  std::vector<Touchpoint> touchpoints_;
  std::vector<double> credits_;
};

}  // namespace attrib
