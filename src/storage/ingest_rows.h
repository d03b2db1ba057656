// Segment messages → what the store appends: each accepted message classified (its visit) and
// its conversion read (track events named in conversions.events), grouped by visitor into event
// blocks; each rejected one kept whole as a bad row with its reason. One builder per thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attrib/classify.h"
#include "attrib/store.h"
#include "common/flat_map.h"
#include "ingest/segment.h"
#include "storage/event_block.h"

namespace attrib::storage {

// Why a whole document was rejected: nothing in it could be read as messages.
struct DocumentError {
  ingest::RejectReason reason;
  std::string detail;
};

class RowBuilder : public ingest::MessageSink {
 public:
  // `now`: the time of receipt of bad rows, and the latest plausible event time.
  RowBuilder(const Classifier& classifier, const PersonOptions& options, Micros now);

  // Parses one document (a line of JSON, followed by simdjson::SIMDJSON_PADDING readable
  // bytes) into `batch`. `source` and `line` say where it came from (bad rows keep them as
  // "events.jsonl:12"; line 0: `source` alone, as "POST /v1/batch").
  void AddDocument(std::string_view document, std::string_view source, uint64_t line,
                   IngestBatch* batch);
  // Live ingest (the server): documents added from now on were received at `received_at` by
  // the server's clock (their own receivedAt fields are ignored; it is also the latest
  // plausible time), and messages without a type are of `default_type` (/v1/track, …).
  void SetReceipt(Micros received_at, std::optional<ingest::MessageType> default_type);
  // The last document's error, when it was rejected whole (invalid JSON, not an object, …).
  const std::optional<DocumentError>& document_error() const { return document_error_; }
  // Groups the events added since the last Finish into the batch's blocks and links.
  void Finish(IngestBatch* batch);

  void Accept(const ingest::Message& m) override;
  void Reject(const ingest::Rejection& r) override;

 private:
  struct Event {
    BlockEvent e;  // strings are offsets into the batch's arena until Finish
    ArenaRef message_id, anonymous_id, user_id, previous_id, name, url, referrer, campaign,
        currency;
  };

  const Classifier& classifier_;
  const PersonOptions& options_;
  const sessionize::ReferralExclusions exclusions_;
  FlatStringMap<uint32_t> kinds_;        // conversion event name → kind
  FlatStringMap<uint32_t> class_index_;  // ClassKey → 1 + index into the batch's classes
  ingest::SegmentParser parser_;
  ingest::ParseContext context_;
  Classification classification_;
  std::string key_, scratch_, text_;
  Micros now_;
  std::vector<Event> events_;
  BlockEncoder encoder_;
  // The document being parsed.
  IngestBatch* batch_ = nullptr;
  std::string_view document_, source_;
  uint64_t line_ = 0;
  std::optional<DocumentError> document_error_;
};

}  // namespace attrib::storage
