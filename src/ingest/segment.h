// Segment messages in: parsing, validation and normalization of the tracking API's JSON — one
// message or a batch envelope {"batch":[…]} per document. Every message is accepted or rejected
// on its own with a stable reason code and its position, so one bad event never costs the rest.
// Parsing uses simdjson's DOM API, which rejects a trailing second document.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attrib/clock.h"

namespace attrib::ingest {

// Input limits (each tested at limit + 1). The message and batch sizes are Segment's own.
inline constexpr size_t kMaxMessageBytes = 32 * 1024;  // one message, as JSON text
inline constexpr size_t kMaxBatchBytes = 500 * 1024;   // one document (a batch envelope)
inline constexpr size_t kMaxBatchMessages = 2500;      // messages in one envelope
// Longer lines cannot be a valid document: line readers may cut them to this to reject them.
inline constexpr size_t kMaxLineBytes = kMaxBatchBytes + 1;
inline constexpr size_t kMaxDepth = 64;                // nesting of arrays and objects
inline constexpr size_t kMaxIdBytes = 1024;            // messageId, userId, anonymousId, …
inline constexpr size_t kMaxNameBytes = 1024;          // event and page names
inline constexpr size_t kMaxPageUrlBytes = 16 * 1024;  // context.page.url and .referrer

enum class MessageType : uint8_t { kTrack, kPage, kScreen, kIdentify, kGroup, kAlias };
std::string_view ToString(MessageType t);
std::optional<MessageType> ParseMessageType(std::string_view s);

// X(enumerator, stable code). The codes are stored with bad rows and served: never rename one.
#define ATTRIB_REJECT_REASONS(X)                                                     \
  X(kInvalidJson, "invalid_json")          /* not JSON, or more than one document */ \
  X(kNotAnObject, "not_an_object")         /* the document or message */             \
  X(kTooDeep, "too_deep")                  /* nesting beyond kMaxDepth */            \
  X(kMessageTooLarge, "message_too_large") /* over kMaxMessageBytes */               \
  X(kBatchTooLarge, "batch_too_large")     /* over kMaxBatchBytes */                 \
  X(kTooManyMessages, "too_many_messages") /* over kMaxBatchMessages */              \
  X(kInvalidBatch, "invalid_batch")        /* "batch" is not an array */             \
  X(kMissingType, "missing_type")                                                    \
  X(kUnknownType, "unknown_type")                                                    \
  X(kMissingId, "missing_id")                  /* neither userId nor anonymousId */  \
  X(kMissingEvent, "missing_event")            /* a track without its event name */  \
  X(kMissingPreviousId, "missing_previous_id") /* an alias without previousId */     \
  X(kMissingUserId, "missing_user_id")         /* an alias without userId */         \
  X(kInvalidField, "invalid_field")            /* a field of the wrong JSON type */  \
  X(kFieldTooLong, "field_too_long")           /* an id or name over its limit */    \
  X(kUrlTooLong, "url_too_long")               /* over kMaxPageUrlBytes */           \
  X(kInvalidTimestamp, "invalid_timestamp")    /* not ISO 8601, or out of range */   \
  X(kMissingTimestamp, "missing_timestamp")    /* no time at all */

enum class RejectReason : uint8_t {
#define ATTRIB_X(name, code) name,
  ATTRIB_REJECT_REASONS(ATTRIB_X)
#undef ATTRIB_X
};
inline constexpr int kRejectReasonCount = 18;
std::string_view ToString(RejectReason r);
std::optional<RejectReason> ParseRejectReason(std::string_view s);

// utm parameters as Segment libraries copy them into context.campaign.
struct Campaign {
  std::string_view name, source, medium, term, content;
};

// One accepted message, normalized. Views point into the parser's memory and stay valid until
// the parser's next Parse() call.
struct Message {
  MessageType type = MessageType::kTrack;
  size_t index = 0;             // position in its batch envelope
  bool in_batch = false;        // it came in a batch envelope
  std::string_view message_id;  // may be empty: such messages cannot be deduplicated
  std::string_view anonymous_id, user_id;
  std::string_view previous_id;                  // alias
  std::string_view group_id;                     // group
  std::string_view event;                        // track: the event name; page and screen: the name
  std::string_view url, referrer, path, search;  // context.page.*, else page properties.*
  Campaign campaign;                             // context.campaign
  std::string_view user_agent;                   // context.userAgent
  simdjson::dom::object properties;              // empty object when absent
  simdjson::dom::object traits;                  // identify/group traits (or context.traits)
  simdjson::dom::element raw;                    // the message itself

  Micros timestamp = 0;         // when it happened, corrected for the device's clock skew
  Micros received_at = 0;       // when the server received it (see ParseContext)
  bool skew_corrected = false;  // timestamp = receivedAt − (sentAt − originalTimestamp)
  bool future_clamped = false;  // the time was after receivedAt; it was set to receivedAt
};

struct Rejection {
  RejectReason reason;
  size_t index = 0;             // position in its batch envelope
  bool in_batch = false;        // it came in a batch envelope
  bool whole_document = false;  // the document itself failed: no message in it was read
  std::string_view message_id;  // when it could be read
  std::string detail;           // a sentence naming the field and the problem
  // The message, when the document could be read (not whole_document); else a null element.
  simdjson::dom::element raw;
  // The message's own text when it could not be parsed as JSON (raw is then a null element).
  std::string_view text;
};

struct ParseContext {
  // The server's clock at receipt, for live ingest: messages' own receivedAt fields are ignored
  // (clients cannot set it). Unset for files: a message's receivedAt field is used when present.
  std::optional<Micros> received_at;
  // Latest plausible time ("now"): later timestamps are clamped to received_at, or to this when
  // the receipt time is unknown.
  Micros now = 0;
  // The type of messages that carry none (the server's /v1/track, /v1/page, … routes).
  std::optional<MessageType> default_type;
};

// Receives the outcome of each message of a document, in document order.
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  virtual void Accept(const Message& message) = 0;
  virtual void Reject(const Rejection& rejection) = 0;
};

// A batch envelope's array found by scanning the text, not parsing it: `contents` is what lies
// between its brackets and `elements` its members (views into the document, trimmed). False when
// the document is not `{ … "batch" : [ … ] … }` with balanced brackets and strings, or an element
// is empty or two are not separated by a comma.
struct BatchSplit {
  size_t begin = 0, end = 0;  // [begin, end): the array's contents
  std::vector<std::string_view> elements;
};
bool SplitBatch(std::string_view document, BatchSplit* split);

class SegmentParser {
 public:
  SegmentParser();

  // Parses one document — a message or a batch envelope — and reports every message in it to
  // `sink`. `document` must be followed by simdjson::SIMDJSON_PADDING readable bytes (any
  // content) when `padded` is true; otherwise it is copied first.
  // A batch envelope that does not parse only because of some of its messages (a number out of
  // range, invalid UTF-8, nesting too deep, …) is recovered: each message is parsed on its own,
  // the bad ones are rejected with their index and the rest read as usual, envelope included.
  void Parse(std::string_view document, const ParseContext& context, MessageSink& sink,
             bool padded = false);

 private:
  bool RepairBatch(std::string_view document);

  simdjson::dom::parser parser_;
  // Recovery of a batch whose document does not parse (see Parse()): its elements parsed on
  // their own, the document with the bad ones blanked, and the bad ones' rejections.
  simdjson::dom::parser element_parser_;
  BatchSplit split_;
  std::string repaired_;
  std::vector<Rejection> broken_;
  // Numeric ids written as text, kept until the next Parse() like the views into the document
  // (a deque: its strings never move).
  std::deque<std::string> numeric_ids_;
};

}  // namespace attrib::ingest
