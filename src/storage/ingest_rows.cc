#include "storage/ingest_rows.h"

#include <fmt/format.h>

#include <algorithm>

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
  document_error_.reset();
  parser_.Parse(document, context_, *this, /*padded=*/true);
}

void RowBuilder::SetReceipt(Micros received_at, std::optional<ingest::MessageType> default_type) {
  now_ = received_at;
  context_.now = received_at;
  context_.received_at = received_at;
  context_.default_type = default_type;
}

void RowBuilder::Reject(const ingest::Rejection& r) {
  IngestBatch& b = *batch_;
  BadRow row;
  row.reason = r.reason;
  row.received_at = now_;
  if (r.whole_document) document_error_ = DocumentError{r.reason, r.detail};
  std::string_view raw = document_;
  if (!r.whole_document && !r.text.empty()) {
    raw = r.text;  // a message that is not JSON: as it was sent
  } else if (!r.whole_document) {
    text_ = simdjson::minify(r.raw);
    raw = text_;
  }
  row.raw = b.Add(raw);
  row.dedupe_key = HashBytes(raw) ^ (r.whole_document ? 0 : (r.index + 1) * 0x9E3779B97F4A7C15ULL);
  row.detail = b.Add(r.detail);
  const std::string where =
      line_ == 0 ? std::string(source_) : fmt::format("{}:{}", source_, line_);
  row.origin =
      b.Add(r.whole_document || !r.in_batch ? where
                                            : fmt::format("{}: batch message {}", where, r.index));
  row.message_id = b.Add(r.message_id);
  simdjson::dom::object fields;
  if (!r.whole_document && r.text.empty() && r.raw.get_object().get(fields) == simdjson::SUCCESS) {
    std::string_view id;
    if (fields["anonymousId"].get_string().get(id) == simdjson::SUCCESS) {
      row.anonymous_id = b.Add(id);
    }
    if (fields["userId"].get_string().get(id) == simdjson::SUCCESS) row.user_id = b.Add(id);
  }
  b.bad_rows.push_back(row);
}

void RowBuilder::Accept(const ingest::Message& m) {
  IngestBatch& b = *batch_;
  Event ev;
  BlockEvent& e = ev.e;
  e.type = m.type;
  if (!m.message_id.empty()) {
    e.dedupe_key = HashBytes(m.message_id) | 1;
  } else {
    // Without a messageId only an identical message is the same one.
    text_ = simdjson::minify(m.raw);
    e.dedupe_key = HashBytes(text_) | 1;
  }
  ev.message_id = b.Add(m.message_id);
  ev.anonymous_id = b.Add(m.anonymous_id);
  ev.user_id = b.Add(m.user_id);
  ev.previous_id = b.Add(m.previous_id);
  ev.name = b.Add(m.event);
  e.at = m.timestamp;
  e.received_at = m.received_at != 0 ? m.received_at : m.timestamp;
  const bool activity = m.type == ingest::MessageType::kTrack ||
                        m.type == ingest::MessageType::kPage ||
                        m.type == ingest::MessageType::kScreen;
  if (activity) {
    const std::string campaign = CampaignQuery(m.campaign);
    ev.url = b.Add(m.url);
    ev.referrer = b.Add(m.referrer);
    ev.campaign = b.Add(campaign);
    bool unreadable;
    e.flags = ClassifyVisit(classifier_, exclusions_, m.url, m.referrer, campaign, &scratch_,
                            &classification_, &unreadable);
    if (e.flags & sessionize::kHasUrl) {
      ClassKey(classification_, &key_);
      e.class_hash = HashBytes(key_) | 1;
      uint32_t& index = class_index_[key_];
      if (index == 0) {
        b.classes.push_back(classification_);
        index = static_cast<uint32_t>(b.classes.size());
      }
    }
  }
  if (m.type == ingest::MessageType::kTrack) {
    if (const uint32_t* kind = kinds_.Find(m.event)) {
      const journey::Revenue revenue = journey::ExtractRevenue(m.properties, options_.conversions);
      e.kind = static_cast<int32_t>(*kind);
      e.revenue = revenue.amount;
      scratch_.assign(revenue.currency);
      AsciiUpperInPlace(&scratch_);
      ev.currency = b.Add(scratch_);
    }
  }
  events_.push_back(ev);
}

void RowBuilder::Finish(IngestBatch* batch) {
  IngestBatch& b = *batch;
  // Visitors in order of their first event; each one's events in order, repeats dropped.
  FlatStringMap<uint32_t> visitor_index;  // "u|a" + id → 1 + index
  std::vector<std::vector<uint32_t>> visitors;
  for (uint32_t i = 0; i < events_.size(); ++i) {
    const Event& ev = events_[i];
    const bool user = ev.user_id.size != 0;
    key_.assign(user ? "u" : "a");
    key_ += b.Text(user ? ev.user_id : ev.anonymous_id);
    uint32_t& index = visitor_index[key_];
    if (index == 0) {
      visitors.emplace_back();
      index = static_cast<uint32_t>(visitors.size());
    }
    std::vector<uint32_t>& mine = visitors[index - 1];
    const bool repeat = std::any_of(mine.begin(), mine.end(), [&](uint32_t j) {
      return events_[j].e.dedupe_key == ev.e.dedupe_key &&
             b.Text(events_[j].message_id) == b.Text(ev.message_id);
    });
    if (repeat) {
      ++b.duplicates;
    } else {
      mine.push_back(i);
    }
  }
  for (const std::vector<uint32_t>& mine : visitors) {
    for (size_t first = 0; first < mine.size(); first += kMaxBlockEvents) {
      VisitorBlock block;
      const Event& head = events_[mine[first]];
      block.user = head.user_id.size != 0;
      block.visitor = block.user ? head.user_id : head.anonymous_id;
      block.first_at = block.last_at = head.e.at;
      for (size_t k = first; k < std::min(mine.size(), first + kMaxBlockEvents); ++k) {
        Event& ev = events_[mine[k]];
        BlockEvent& e = ev.e;
        e.message_id = b.Text(ev.message_id);
        e.anonymous_id = b.Text(ev.anonymous_id);
        e.user_id = b.Text(ev.user_id);
        e.previous_id = b.Text(ev.previous_id);
        e.name = b.Text(ev.name);
        e.url = b.Text(ev.url);
        e.referrer = b.Text(ev.referrer);
        e.campaign = b.Text(ev.campaign);
        e.currency = b.Text(ev.currency);
        encoder_.Add(e);
        block.keys.push_back(e.dedupe_key);
        block.first_at = std::min(block.first_at, e.at);
        block.last_at = std::max(block.last_at, e.at);
      }
      block.data = encoder_.Finish();
      b.blocks.push_back(std::move(block));
    }
  }
  // Links, each once at its earliest time.
  FlatStringMap<uint32_t> link_index;  // 1 + index into b.links
  const auto link = [&](ArenaRef from, bool from_user, ArenaRef user, bool alias, Micros at) {
    key_.assign(from_user ? "u" : "a");
    key_ += alias ? 'A' : 'O';
    key_ += b.Text(from);
    key_ += '\x1f';
    key_ += b.Text(user);
    uint32_t& index = link_index[key_];
    if (index == 0) {
      b.links.push_back(BatchLink{from, from_user, user, alias, at});
      index = static_cast<uint32_t>(b.links.size());
    }
    b.links[index - 1].at = std::min(b.links[index - 1].at, at);
  };
  for (const Event& ev : events_) {
    if (ev.anonymous_id.size != 0 && ev.user_id.size != 0) {
      link(ev.anonymous_id, false, ev.user_id, false, ev.e.at);
    }
    if (ev.e.type == ingest::MessageType::kAlias) {
      link(ev.previous_id, false, ev.user_id, true, ev.e.at);
      link(ev.previous_id, true, ev.user_id, true, ev.e.at);
    }
  }
  events_.clear();
  class_index_ = FlatStringMap<uint32_t>();
}

}  // namespace attrib::storage
