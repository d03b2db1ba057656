#include "storage/ingest_rows.h"

#include <fmt/format.h>

#include "common/strings.h"
#include "storage/visit.h"

namespace attrib::storage {

RowBuilder::RowBuilder(const Classifier& classifier, const PersonOptions& options, Micros now)
    : classifier_(classifier),
      options_(options),
      exclusions_(options.sessions.referral_exclusions),
      now_(now) {
  context_.now = now;
  for (size_t i = 0; i < options.conversions.events.size(); ++i) {
    if (kinds_.Find(options.conversions.events[i]) == nullptr) {
      kinds_[options.conversions.events[i]] = static_cast<uint32_t>(i);
    }
  }
}

void RowBuilder::AddDocument(std::string_view document, std::string_view source, uint64_t line,
                             IngestBatch* batch) {
  batch_ = batch;
  document_ = document;
  source_ = source;
  line_ = line;
  parser_.Parse(document, context_, *this, /*padded=*/true);
}

void RowBuilder::Reject(const ingest::Rejection& r) {
  IngestBatch& b = *batch_;
  BadRow row;
  row.reason = r.reason;
  row.received_at = now_;
  std::string_view raw = document_;
  if (!r.whole_document) {
    text_ = simdjson::minify(r.raw);
    raw = text_;
  }
  row.raw = b.Add(raw);
  row.dedupe_key = HashBytes(raw) ^ (r.whole_document ? 0 : (r.index + 1) * 0x9E3779B97F4A7C15ULL);
  row.detail = b.Add(r.detail);
  row.origin = b.Add(r.whole_document || !r.in_batch
                         ? fmt::format("{}:{}", source_, line_)
                         : fmt::format("{}:{}: batch message {}", source_, line_, r.index));
  row.message_id = b.Add(r.message_id);
  b.bad_rows.push_back(row);
}

void RowBuilder::Accept(const ingest::Message& m) {
  IngestBatch& b = *batch_;
  EventRow e;
  e.type = m.type;
  if (!m.message_id.empty()) {
    e.dedupe_key = HashBytes(m.message_id) | 1;
  } else {
    // Without a messageId only an identical message is the same one.
    text_ = simdjson::minify(m.raw);
    e.dedupe_key = HashBytes(text_) | 1;
  }
  e.message_id = b.Add(m.message_id);
  e.anonymous_id = b.Add(m.anonymous_id);
  e.user_id = b.Add(m.user_id);
  e.previous_id = b.Add(m.previous_id);
  e.name = b.Add(m.event);
  e.at = m.timestamp;
  e.received_at = m.received_at != 0 ? m.received_at : m.timestamp;
  const bool activity = m.type == ingest::MessageType::kTrack ||
                        m.type == ingest::MessageType::kPage ||
                        m.type == ingest::MessageType::kScreen;
  if (activity) {
    const std::string campaign = CampaignQuery(m.campaign);
    e.url = b.Add(m.url);
    e.referrer = b.Add(m.referrer);
    e.campaign = b.Add(campaign);
    bool unreadable;
    e.flags = ClassifyVisit(classifier_, exclusions_, m.url, m.referrer, campaign, &scratch_,
                            &classification_, &unreadable);
    if (e.flags & sessionize::kHasUrl) {
      ClassKey(classification_, &key_);
      uint32_t& index = class_index_[key_];  // index + 1; 0: new in this batch
      if (index == 0) {
        b.classes.push_back(classification_);
        index = static_cast<uint32_t>(b.classes.size());
      }
      e.class_id = index - 1;
    }
  }
  if (m.type == ingest::MessageType::kTrack) {
    if (const uint32_t* kind = kinds_.Find(m.event)) {
      const journey::Revenue revenue = journey::ExtractRevenue(m.properties, options_.conversions);
      e.kind = static_cast<int32_t>(*kind);
      e.revenue = revenue.amount;
      scratch_.assign(revenue.currency);
      AsciiUpperInPlace(&scratch_);
      e.currency = b.Add(scratch_);
    }
  }
  b.events.push_back(e);
}

}  // namespace attrib::storage
