// Fuzzes the Segment message parser: whatever the bytes, every message of the document is either
// accepted or rejected with a reason, the outcomes are the same whether the document is parsed in
// place (followed by padding of arbitrary content) or copied first, and they keep the parser's
// contract: accepted messages have an id, a time in [kMinIsoTime, received_at] and fields within
// their limits; rejections have a detail; positions follow the document.
#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/strings.h"
#include "common/time.h"
#include "ingest/segment.h"

namespace {

using attrib::Micros;
using attrib::ingest::kMaxBatchMessages;
using attrib::ingest::kMaxIdBytes;
using attrib::ingest::kMaxNameBytes;
using attrib::ingest::kMaxPageUrlBytes;
using attrib::ingest::Message;
using attrib::ingest::MessageSink;
using attrib::ingest::MessageType;
using attrib::ingest::ParseContext;
using attrib::ingest::Rejection;
using attrib::ingest::SegmentParser;

constexpr Micros kNow = 1'780'272'000'000'000;  // 2026-06-01T00:00:00Z

void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "segment_fuzz: invariant broken: %s\n", what);
  std::abort();
}

// Checks each outcome as it comes and records it as text, to compare two parses.
class CheckingSink : public MessageSink {
 public:
  explicit CheckingSink(const ParseContext& context) : context_(context) {}

  void Accept(const Message& m) override {
    CheckPosition(m.index, m.in_batch, false);
    Check(!m.user_id.empty() || !m.anonymous_id.empty(), "accepted messages have an id");
    if (m.type == MessageType::kAlias) {
      Check(!m.previous_id.empty() && !m.user_id.empty(), "aliases have previousId and userId");
    }
    if (m.type == MessageType::kTrack) Check(!m.event.empty(), "tracks have an event");
    for (std::string_view id :
         {m.message_id, m.anonymous_id, m.user_id, m.previous_id, m.group_id}) {
      Check(id.size() <= kMaxIdBytes, "ids within kMaxIdBytes");
    }
    Check(m.event.size() <= kMaxNameBytes, "event within kMaxNameBytes");
    for (std::string_view url : {m.url, m.referrer, m.path, m.search}) {
      Check(url.size() <= kMaxPageUrlBytes, "page fields within kMaxPageUrlBytes");
    }
    Check(m.timestamp >= attrib::kMinIsoTime, "timestamp not before kMinIsoTime");
    Check(m.timestamp <= m.received_at, "timestamp not after received_at");
    if (context_.received_at) {
      Check(m.received_at == *context_.received_at, "the context's receipt time is used");
    }
    if (m.future_clamped) Check(m.timestamp == m.received_at, "clamped to received_at");
    Check(m.raw.is_object(), "raw is the message object");
    outcomes.push_back(fmt::format(
        "accept {} #{} {} id={} a={} u={} p={} g={} e={} url={} ref={} path={} search={} "
        "c={}/{}/{}/{}/{} ua={} props={} traits={} t={} r={} {}{}",
        attrib::ingest::ToString(m.type), m.index, m.in_batch, m.message_id, m.anonymous_id,
        m.user_id, m.previous_id, m.group_id, m.event, m.url, m.referrer, m.path, m.search,
        m.campaign.name, m.campaign.source, m.campaign.medium, m.campaign.term, m.campaign.content,
        m.user_agent, simdjson::minify(m.properties), simdjson::minify(m.traits), m.timestamp,
        m.received_at, m.skew_corrected, m.future_clamped));
  }

  void Reject(const Rejection& r) override {
    CheckPosition(r.index, r.in_batch, r.whole_document);
    Check(!r.detail.empty(), "rejections have a detail");
    Check(attrib::IsValidUtf8(r.detail), "details are valid UTF-8");
    Check(attrib::ingest::ParseRejectReason(attrib::ingest::ToString(r.reason)) == r.reason,
          "reasons have a stable code");
    Check(r.message_id.size() <= kMaxIdBytes, "rejected ids within kMaxIdBytes");
    outcomes.push_back(fmt::format("reject {} #{} {} {} id={} {}",
                                   attrib::ingest::ToString(r.reason), r.index, r.in_batch,
                                   r.whole_document, r.message_id, r.detail));
  }

  std::vector<std::string> outcomes;

 private:
  // A whole-document rejection or a lone message is the only outcome; a batch's messages come
  // in order, each once.
  void CheckPosition(size_t index, bool in_batch, bool whole_document) {
    const size_t n = outcomes.size();
    if (whole_document) {
      Check(n == 0 && index == 0 && !in_batch, "a whole-document rejection is alone");
    } else if (in_batch) {
      Check(index == n, "batch messages come in order");
      Check(index < kMaxBatchMessages, "batch within kMaxBatchMessages");
      Check(n == 0 || batch_, "batch messages are not mixed with others");
      batch_ = true;
    } else {
      Check(n == 0 && index == 0, "a lone message is alone, at index 0");
    }
  }

  const ParseContext& context_;
  bool batch_ = false;
};

// True when `document` is a batch envelope with no message: the one document without outcome.
bool IsEmptyBatch(std::string_view document) {
  static simdjson::dom::parser* parser = new simdjson::dom::parser();
  simdjson::dom::array batch;
  return !parser->parse(document.data(), document.size())["batch"].get_array().get(batch) &&
         batch.size() == 0;
}

SegmentParser& Parser() {
  static SegmentParser* parser = new SegmentParser();
  return *parser;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // The document in place, followed by padding that repeats the input: a parser reading past
  // the document would see more JSON.
  std::string buffer(input);
  for (size_t i = 0; i < simdjson::SIMDJSON_PADDING; ++i) {
    buffer.push_back(size == 0 ? '"' : input[i % size]);
  }
  const std::string_view padded(buffer.data(), size);

  ParseContext file_import;  // receipt times from the messages, "now" fixed
  file_import.now = kNow;
  ParseContext live;  // the server's clock and route
  live.received_at = kNow;
  live.now = kNow;
  live.default_type = MessageType::kTrack;
  // The batch scanner that recovers envelopes with bad messages: its elements lie in order
  // within the array's contents, none empty.
  attrib::ingest::BatchSplit split;
  if (attrib::ingest::SplitBatch(input, &split)) {
    Check(split.begin <= split.end && split.end < size, "the array is within the document");
    size_t at = split.begin;
    for (std::string_view e : split.elements) {
      const size_t offset = static_cast<size_t>(e.data() - input.data());
      Check(!e.empty() && offset >= at && offset + e.size() <= split.end,
            "elements are non-empty, in order, within the array");
      at = offset + e.size();
    }
  }
  for (const ParseContext* context : {&file_import, &live}) {
    CheckingSink copied(*context);
    Parser().Parse(input, *context, copied, /*padded=*/false);
    Check(!copied.outcomes.empty() || IsEmptyBatch(input), "only an empty batch has no outcome");
    CheckingSink in_place(*context);
    Parser().Parse(padded, *context, in_place, /*padded=*/true);
    Check(copied.outcomes == in_place.outcomes, "padded and unpadded parses agree");
  }
  return 0;
}
