// How an event's visit is classified, the same way by batch analysis, by the store's ingest and
// by reclassification of stored events: the page URL — with context.campaign's utm tags added
// when the URL has none (server-side libraries send them there) — and the referrer, unless it is
// on the referral exclusion list.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "attrib/classify.h"
#include "ingest/segment.h"
#include "sessionize/sessionize.h"

namespace attrib::storage {

// The key a classification is interned under: equal keys, equal classifications.
void ClassKey(const Classification& c, std::string* out);

// 64 bits of the key's hash (never 0): how event blocks name a classification.
uint64_t ClassHash(const Classification& c);

// context.campaign as utm query parameters ("utm_source=…&utm_medium=…"), escaped enough for
// the classifier to read them back; empty when it has no source.
std::string CampaignQuery(const ingest::Campaign& campaign);

// Classifies the visit into `*out` and returns its sessionize flags: kHasUrl when it was
// classified (then also kCampaignSignal when a click id or utm tag decided it),
// kExcludedReferrer when the referrer is on the exclusion list. `*unreadable` is set when there
// was a URL the classifier could not read. `scratch` holds the URL with the campaign added.
uint8_t ClassifyVisit(const Classifier& classifier,
                      const sessionize::ReferralExclusions& exclusions, std::string_view url,
                      std::string_view referrer, std::string_view campaign_query,
                      std::string* scratch, Classification* out, bool* unreadable);

}  // namespace attrib::storage
