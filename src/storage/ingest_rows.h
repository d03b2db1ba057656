// Segment messages → what the store appends: each accepted message classified (its visit) and
// its conversion read (track events named in conversions.events), grouped by visitor into event
// blocks; each rejected one kept whole as a bad row with its reason. One builder per thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "attrib/classify.h"
#include "attrib/store.h"
#include "common/flat_map.h"
#include "ingest/segment.h"
#include "storage/event_block.h"

namespace attrib::storage {

class RowBuilder : public ingest::MessageSink {
 public:
  // `now`: the time of receipt of bad rows, and the latest plausible event time.
  RowBuilder(const Classifier& classifier, const PersonOptions& options, Micros now);

  // Parses one document (a line of JSON, followed by simdjson::SIMDJSON_PADDING readable
  // bytes) into `batch`. `source` and `line` say where it came from (bad rows keep them as
  // "events.jsonl:12").
  void AddDocument(std::string_view document, std::string_view source, uint64_t line,
                   IngestBatch* batch);
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
};

}  // namespace attrib::storage
