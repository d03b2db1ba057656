#include "attribution/person.h"

#include <algorithm>
#include <cassert>
#include <tuple>

#include "journey/journey_inl.h"

namespace attrib {
namespace {

// What makes two records of one person the same message (0: no messageId, never a duplicate).
// An event keeps 32 bits of its messageId's hash; with its classification and session flags
// beside them, two different messages of one person are essentially never taken for one.
uint64_t DedupeKey(const EventRecord& e) {
  return e.fp == 0 ? 0 : (uint64_t{e.fp} << 32) | e.touch;
}
uint64_t DedupeKey(const ConversionRecord& c) { return c.fp; }  // 64 bits of the hash

// Marks repeats of a dedupe key (≠ 0) among items by setting `dup[i]`; the first of each
// stays. People have few events: pairwise for small n, sorted otherwise.
template <class T>
size_t MarkDuplicates(std::span<const T> items, std::vector<uint8_t>* dup,
                      std::vector<std::pair<uint64_t, uint32_t>>* scratch) {
  const size_t n = items.size();
  dup->assign(n, 0);
  size_t found = 0;
  if (n <= 32) {
    for (size_t i = 1; i < n; ++i) {
      const uint64_t key = DedupeKey(items[i]);
      if (key == 0) continue;
      for (size_t j = 0; j < i; ++j) {
        if (!(*dup)[j] && DedupeKey(items[j]) == key) {
          (*dup)[i] = 1;
          ++found;
          break;
        }
      }
    }
    return found;
  }
  scratch->clear();
  for (uint32_t i = 0; i < n; ++i) {
    if (const uint64_t key = DedupeKey(items[i]); key != 0) scratch->emplace_back(key, i);
  }
  std::sort(scratch->begin(), scratch->end());
  for (size_t i = 1; i < scratch->size(); ++i) {
    if ((*scratch)[i].first == (*scratch)[i - 1].first) {
      (*dup)[(*scratch)[i].second] = 1;
      ++found;
    }
  }
  return found;
}

}  // namespace

void CreditSessions(std::span<const sessionize::Session> sessions,
                    std::span<const TouchChannel> touch, Micros converted_at,
                    const HeuristicOptions& options, std::vector<Touchpoint>* touchpoints,
                    std::vector<double>* credits) {
  const size_t n = sessions.size();
  touchpoints->resize(n);
  for (size_t i = 0; i < n; ++i) {
    const TouchChannel& t = touch[sessions[i].touch];
    (*touchpoints)[i] = Touchpoint{t.channel, t.direct, sessions[i].start};
  }
  credits->resize(n * kHeuristicModelCount);
  std::span<double> spans[kHeuristicModelCount];
  for (int m = 0; m < kHeuristicModelCount; ++m) {
    spans[m] = std::span(credits->data() + m * n, n);
  }
  CreditJourneyAllModels(*touchpoints, converted_at, options, spans);
}

PersonDeriver::PersonDeriver(const PersonOptions& options,
                             std::span<const journey::Counting> counting_by_kind,
                             std::span<const TouchChannel> touch, uint32_t no_url_touch)
    : options_(options),
      counting_by_kind_(counting_by_kind),
      touch_(touch),
      no_url_touch_(no_url_touch) {}

size_t PersonDeriver::Derive(std::span<EventRecord> events, std::span<ConversionRecord> conversions,
                             PersonSink& sink) {
  // By time; at the same instant page views first (they open what the events fired on the page
  // belong to), then by fingerprint so the order never depends on the input.
  std::sort(events.begin(), events.end(), [](const EventRecord& a, const EventRecord& b) {
    if (a.at != b.at) return a.at < b.at;
    const uint32_t pa = a.touch & kNotPage, pb = b.touch & kNotPage;
    if (pa != pb) return pa < pb;
    return a.fp != b.fp ? a.fp < b.fp : a.touch < b.touch;  // equal records are identical
  });
  std::sort(conversions.begin(), conversions.end(),
            [](const ConversionRecord& a, const ConversionRecord& b) {
              return std::tie(a.at, a.fp, a.kind, a.revenue, a.currency) <
                     std::tie(b.at, b.fp, b.kind, b.revenue, b.currency);
            });
  size_t duplicates = MarkDuplicates<EventRecord>(events, &dup_, &scratch_);
  activities_.clear();
  for (size_t i = 0; i < events.size(); ++i) {
    const EventRecord& e = events[i];
    if (dup_[i] || (e.touch & kIdentityOnly)) continue;
    activities_.push_back(sessionize::Activity{e.at, e.touch & kTouchMask,
                                               static_cast<uint8_t>((e.touch >> kFlagShift) & 7)});
  }
  if (activities_.empty()) return duplicates;
  sessions_.clear();
  sessionize::Sessionize(activities_, options_.sessions, no_url_touch_, &sessions_);
  sink.OnSessions(sessions_);

  MarkDuplicates<ConversionRecord>(conversions, &dup_, &scratch_);
  conversions_.clear();
  for (size_t i = 0; i < conversions.size(); ++i) {
    if (dup_[i]) continue;
    const ConversionRecord& c = conversions[i];
    conversions_.push_back(journey::Conversion{c.at, c.kind, c.revenue, c.currency, c.ref});
  }
  sink.OnConversions(conversions_);
  journey::BuildJourneys(sessions_, conversions_, options_.conversions, counting_by_kind_,
                         [this, &sink](const journey::Journey& j) {
                           if (j.conversion == nullptr) {
                             sink.OnJourney(j, {});
                             return;
                           }
                           // Never empty: the conversion event is activity, so its own session is
                           // in the journey.
                           assert(!j.sessions.empty());
                           CreditSessions(j.sessions, touch_, j.conversion->at, options_.heuristics,
                                          &touchpoints_, &credits_);
                           sink.OnJourney(j, credits_);
                         });
  return duplicates;
}

}  // namespace attrib
