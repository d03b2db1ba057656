// BuildJourneys, inline: it runs once per person on the batch-analysis hot path.
#pragma once

#include <algorithm>
#include <cassert>
#include <optional>
#include <utility>

namespace attrib::journey {

namespace internal {

// BuildJourneys; with `counting_by_kind` empty every conversion counts, and the non-converting
// journey starts after `last_event` (the last conversion event, counted or not; none: nullopt).
template <class OnJourney>
void BuildJourneys(std::span<const sessionize::Session> sessions,
                   std::span<const Conversion> conversions, std::optional<Micros> last_event,
                   const ConversionOptions& options, std::span<const Counting> counting_by_kind,
                   OnJourney on_journey) {
  // Counting state per conversion kind: whether the person has one already, and in which
  // session the last one counted fell. People convert a handful of times: a short list is
  // faster than a map.
  struct Seen {
    uint32_t kind;
    size_t session;
  };
  Seen seen[8];
  size_t seen_count = 0;
  std::vector<Seen> more;  // beyond 8 kinds (rare)
  const auto find_seen = [&](uint32_t kind) -> Seen* {
    for (size_t i = 0; i < seen_count; ++i) {
      if (seen[i].kind == kind) return &seen[i];
    }
    for (Seen& s : more) {
      if (s.kind == kind) return &s;
    }
    return nullptr;
  };

  const sessionize::Session* begin = sessions.data();
  const sessionize::Session* end = begin + sessions.size();
  const sessionize::Session* first = begin;  // first session inside the window
  const sessionize::Session* last = begin;   // one past the last session started by then
  for (const Conversion& c : conversions) {
    while (last != end && last->start <= c.at) ++last;
    const size_t session = static_cast<size_t>(last - begin);  // 1-based; 0: none started
    if (!counting_by_kind.empty()) {                           // else every conversion counts
      assert(c.kind < counting_by_kind.size());
      Seen* s = find_seen(c.kind);
      const Counting counting = counting_by_kind[c.kind];
      if (s != nullptr && (counting == Counting::kOncePerUser ||
                           (counting == Counting::kOncePerSession && s->session == session))) {
        continue;
      }
      if (s == nullptr) {
        if (seen_count < std::size(seen)) {
          seen[seen_count++] = Seen{c.kind, session};
        } else {
          more.push_back(Seen{c.kind, session});
        }
      } else {
        s->session = session;
      }
    }
    // The window's sessions, and always the conversion's own (the last one started by then),
    // however long ago it started.
    while (first != last && first + 1 != last && first->start < c.at - options.lookback) ++first;
    on_journey(Journey{std::span(first, last), &c});
  }
  // Sessions after the last conversion event (counted or not: the sessions before a repeat
  // purchase did convert): a journey that has not converted (yet), over the lookback window
  // that ends at its last session.
  const sessionize::Session* after = begin;
  if (last_event) {
    while (after != end && after->start <= *last_event) ++after;
  }
  if (after == end) return;
  const Micros window_end = (end - 1)->start;
  while (after != end && after->start < window_end - options.lookback) ++after;
  on_journey(Journey{std::span(after, end), nullptr});
}

}  // namespace internal

template <class OnJourney>
void BuildJourneys(std::span<const sessionize::Session> sessions,
                   std::span<const Conversion> conversions, const ConversionOptions& options,
                   std::span<const Counting> counting_by_kind, OnJourney on_journey) {
  assert(!counting_by_kind.empty());
  const std::optional<Micros> last_event =
      conversions.empty() ? std::nullopt : std::optional<Micros>(conversions.back().at);
  internal::BuildJourneys(sessions, conversions, last_event, options, counting_by_kind,
                          std::move(on_journey));
}

template <class OnJourney>
void BuildCountedJourneys(std::span<const sessionize::Session> sessions,
                          std::span<const Conversion> counted, std::optional<Micros> last_event,
                          const ConversionOptions& options, OnJourney on_journey) {
  internal::BuildJourneys(sessions, counted, last_event, options, {}, std::move(on_journey));
}

}  // namespace attrib::journey
