#include "query/batch_parse.h"

#include <fmt/format.h>

#include <cstring>

#include "common/strings.h"
#include "storage/visit.h"

namespace attrib::query::internal {

using ingest::Message;
using ingest::MessageType;

ParseWorker::ParseWorker(const Classifier& classifier, const AnalysisOptions& options,
                         const sessionize::ReferralExclusions& exclusions,
                         const FlatStringMap<uint32_t>& conversion_kinds, Micros now)
    : classifier_(classifier),
      options_(options),
      exclusions_(exclusions),
      conversion_kinds_(conversion_kinds) {
  context_.now = now;
}

void ParseWorker::ParseBlock(const InputBlock& block, uint64_t sequence) {
  source_ = block.source;
  block_ = sequence;
  const uint64_t lines = ForEachDocument(block.lines, [this](std::string_view line, uint64_t n) {
    line_ = n + 1;
    parser_.Parse(line, context_, *this, /*padded=*/true);
  });
  block_lines.emplace_back(sequence, lines);
}

void ParseWorker::Reject(const ingest::Rejection& r) {
  ++counts.rejected;
  ++counts.rejected_by_reason[static_cast<int>(r.reason)];
  if (rejections.size() < options_.max_rejection_details) {
    rejections.push_back(RejectedMessage{source_, line_, r.index, r.in_batch && !r.whole_document,
                                         r.reason, std::string(r.message_id), r.detail});
    rejection_blocks.push_back(block_);
  }
}

void ParseWorker::AddLink(const identity::Link& link) {
  // Logged-in visitors carry both ids on every event: skip the repeats in a row.
  if (!links.empty() && links.back().from == link.from && links.back().user == link.user &&
      links.back().kind == link.kind && links.back().at <= link.at) {
    return;
  }
  links.push_back(link);
}

ClassInfo ToClassInfo(const Classification& c) {
  return ClassInfo{c.source,  c.medium,    c.campaign, c.term, c.content, std::string(c.rule_id),
                   c.channel, c.confidence};
}

uint32_t ParseWorker::InternClass(const Classification& c) {
  storage::ClassKey(c, &class_key_);
  bool added;
  const uint32_t id = classes.Intern(class_key_, &added);
  if (added) class_infos.push_back(ToClassInfo(c));
  return id;
}

// The event's classification id, with its sessionize flags in `*flags`.
uint32_t ParseWorker::Classify(const Message& m, uint32_t* flags) {
  *flags = 0;
  if (m.url.empty() && m.campaign.source.empty()) return 0;
  // A page's track events repeat its URL and referrer, and moves between a site's pages repeat
  // all day: remember recent answers by a 64-bit hash of the pair (two pairs sharing one would
  // go unnoticed: about one chance in 10^12 over 10 M events). Failures are not remembered, so
  // that every unreadable URL is counted.
  const bool cacheable = m.campaign.source.empty();
  uint64_t hash = 0;
  CachedVisit* cached = nullptr;
  if (cacheable) {
    hash = XXH3_64bits_withSeed(m.url.data(), m.url.size(), HashBytes(m.referrer)) | 1;
    cached = &visits_[hash >> (64 - kVisitCacheBits)];
    if (cached->hash == hash) {
      *flags = cached->flags;
      return cached->touch;
    }
  }
  const uint32_t touch = ClassifyUncached(m, flags);
  if (cacheable && (*flags & sessionize::kHasUrl)) *cached = CachedVisit{hash, touch, *flags};
  return touch;
}

uint32_t ParseWorker::ClassifyUncached(const Message& m, uint32_t* flags) {
  bool unreadable;
  *flags = storage::ClassifyVisit(classifier_, exclusions_, m.url, m.referrer,
                                  storage::CampaignQuery(m.campaign), &url_, &classification_,
                                  &unreadable);
  if (unreadable) ++counts.unclassified_urls;
  if (!(*flags & sessionize::kHasUrl)) return 0;
  return InternClass(classification_);
}

void ParseWorker::Accept(const Message& m) {
  ++counts.accepted;
  counts.skew_corrected += m.skew_corrected;
  counts.future_clamped += m.future_clamped;
  const uint64_t anonymous = m.anonymous_id.empty() ? 0 : identity::AnonymousKey(m.anonymous_id);
  const uint64_t user = m.user_id.empty() ? 0 : identity::UserKey(m.user_id);
  if (anonymous != 0 && user != 0) {
    AddLink(identity::Link{anonymous, user, m.timestamp, identity::LinkKind::kObserved});
  }
  if (m.type == MessageType::kAlias) {
    AddLink(identity::Link{identity::AnonymousKey(m.previous_id), user, m.timestamp,
                           identity::LinkKind::kAlias});
    AddLink(identity::Link{identity::UserKey(m.previous_id), user, m.timestamp,
                           identity::LinkKind::kAlias});
  }
  const uint64_t id_hash = m.message_id.empty() ? 0 : HashBytes(m.message_id) | 1;
  EventRecord e{user != 0 ? user : anonymous, m.timestamp, kIdentityOnly | kNotPage,
                static_cast<uint32_t>(id_hash >> 32) | 1};
  if (id_hash == 0) e.fp = 0;
  const bool activity = m.type == MessageType::kTrack || m.type == MessageType::kPage ||
                        m.type == MessageType::kScreen;
  if (activity) {
    uint32_t flags;
    const uint32_t touch = Classify(m, &flags);
    e.touch = touch | (flags << kFlagShift) | (m.type == MessageType::kPage ? 0 : kNotPage);
  }
  events.Append(e);
  if (m.type != MessageType::kTrack) return;
  const uint32_t* kind = conversion_kinds_.Find(m.event);
  if (kind == nullptr) return;
  const journey::Revenue revenue = journey::ExtractRevenue(m.properties, options_.conversions);
  currency_.assign(revenue.currency);
  AsciiUpperInPlace(&currency_);
  const uint32_t currency = currencies.Intern(currency_);
  conversions.push_back(
      ConversionRecord{e.key, m.timestamp, id_hash, revenue.amount, *kind, currency});
}

}  // namespace attrib::query::internal
