#include "ingest/segment.h"

#include <fmt/format.h>

#include <cstdlib>

#include "common/time.h"

namespace attrib::ingest {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

constexpr std::string_view kTypeNames[] = {"track", "page",  "screen",
                                           "identify", "group", "alias"};
constexpr std::string_view kReasonCodes[] = {
#define ATTRIB_X(name, code) code,
    ATTRIB_REJECT_REASONS(ATTRIB_X)
#undef ATTRIB_X
};
static_assert(std::size(kReasonCodes) == kRejectReasonCount);

// Why a message failed, before it becomes a Rejection.
struct Problem {
  RejectReason reason;
  std::string detail;
};

// An empty object for absent properties, traits and context (a default-constructed
// simdjson object cannot be read).
object EmptyObject() {
  static const object empty = [] {
    static simdjson::dom::parser parser;  // owns the document
    object o;
    if (parser.parse(std::string_view("{}")).get_object().get(o)) std::abort();
    return o;
  }();
  return empty;
}

// Field access with the message's problem recorded on first failure.
class Reader {
 public:
  explicit Reader(Problem* problem) : problem_(problem) {}

  bool failed() const { return failed_; }

  // A string field, absent when missing or null; `limit` bytes at most.
  std::string_view String(const object& obj, std::string_view key, std::string_view where,
                          size_t limit, RejectReason too_long = RejectReason::kFieldTooLong) {
    element e;
    if (failed_ || obj[key].get(e) || e.is_null()) return {};
    std::string_view s;
    if (e.get_string().get(s)) {
      Fail(RejectReason::kInvalidField, fmt::format("{}{} must be a string", where, key));
      return {};
    }
    if (s.size() > limit) {
      Fail(too_long, fmt::format("{}{} is {} bytes, over the limit of {}", where, key, s.size(),
                                 limit));
      return {};
    }
    return s;
  }

  // An identifier: a string, or a number written as text into `scratch` (some server-side
  // libraries send numeric user ids).
  std::string_view Id(const object& obj, std::string_view key, std::string* scratch) {
    element e;
    if (failed_ || obj[key].get(e) || e.is_null()) return {};
    std::string_view s;
    if (!e.get_string().get(s)) {
      if (s.size() > kMaxIdBytes) {
        Fail(RejectReason::kFieldTooLong,
             fmt::format("{} is {} bytes, over the limit of {}", key, s.size(), kMaxIdBytes));
        return {};
      }
      return s;
    }
    int64_t i;
    uint64_t u;
    if (!e.get_int64().get(i)) {
      *scratch = fmt::format("{}", i);
    } else if (!e.get_uint64().get(u)) {
      *scratch = fmt::format("{}", u);
    } else {
      Fail(RejectReason::kInvalidField, fmt::format("{} must be a string or an integer", key));
      return {};
    }
    return *scratch;
  }

  // An object field; absent or null gives an empty object (`*present` false).
  object Object(const object& obj, std::string_view key, std::string_view where,
                bool* present = nullptr) {
    if (present) *present = false;
    element e;
    if (failed_ || obj[key].get(e) || e.is_null()) return EmptyObject();
    object o;
    if (e.get_object().get(o)) {
      Fail(RejectReason::kInvalidField, fmt::format("{}{} must be an object", where, key));
      return EmptyObject();
    }
    if (present) *present = true;
    return o;
  }

  // An ISO 8601 time field.
  std::optional<Micros> Time(const object& obj, std::string_view key) {
    const std::string_view text = String(obj, key, "", 64, RejectReason::kInvalidTimestamp);
    if (failed_ || text.empty()) return std::nullopt;
    Result<Micros> t = ParseIsoTime(text);
    if (!t.ok()) {
      Fail(RejectReason::kInvalidTimestamp, fmt::format("{}: {}", key, t.status().message()));
      return std::nullopt;
    }
    return *t;
  }

  void Fail(RejectReason reason, std::string detail) {
    if (failed_) return;
    failed_ = true;
    *problem_ = Problem{reason, std::move(detail)};
  }

 private:
  Problem* problem_;
  bool failed_ = false;
};

// A rejection of the whole document (`index` < 0) or of one message of a batch envelope.
void Reject(MessageSink& sink, RejectReason reason, std::string detail, long index = -1,
            bool in_batch = false, std::string_view message_id = {}) {
  Rejection r{reason, 0, in_batch, index < 0, message_id, std::move(detail)};
  if (index >= 0) r.index = static_cast<size_t>(index);
  sink.Reject(r);
}

}  // namespace

std::string_view ToString(MessageType t) { return kTypeNames[static_cast<int>(t)]; }

std::optional<MessageType> ParseMessageType(std::string_view s) {
  for (size_t i = 0; i < std::size(kTypeNames); ++i) {
    if (s == kTypeNames[i]) return static_cast<MessageType>(i);
  }
  return std::nullopt;
}

std::string_view ToString(RejectReason r) { return kReasonCodes[static_cast<int>(r)]; }

std::optional<RejectReason> ParseRejectReason(std::string_view s) {
  for (int i = 0; i < kRejectReasonCount; ++i) {
    if (s == kReasonCodes[i]) return static_cast<RejectReason>(i);
  }
  return std::nullopt;
}

SegmentParser::SegmentParser() {
  if (parser_.allocate(kMaxBatchBytes, kMaxDepth) != simdjson::SUCCESS) {
    throw std::bad_alloc();
  }
}

void SegmentParser::Parse(std::string_view document, const ParseContext& context,
                          MessageSink& sink, bool padded) {
  if (document.size() > kMaxBatchBytes) {
    Reject(sink, RejectReason::kBatchTooLarge, fmt::format("the document is {} bytes, over the limit of {}", document.size(),
                       kMaxBatchBytes));
    return;
  }
  element root;
  if (auto error = parser_.parse(document.data(), document.size(), !padded).get(root)) {
    if (error == simdjson::DEPTH_ERROR) {
      Reject(sink, RejectReason::kTooDeep, fmt::format("nested deeper than {} levels", kMaxDepth));
    } else {
      Reject(sink, RejectReason::kInvalidJson, fmt::format("invalid JSON: {}", simdjson::error_message(error)));
    }
    return;
  }
  object obj;
  if (root.get_object().get(obj)) {
    Reject(sink, RejectReason::kNotAnObject, "the document is not a JSON object");
    return;
  }
  element batch;
  if (obj["batch"].get(batch)) {
    if (document.size() > kMaxMessageBytes) {
      Reject(sink, RejectReason::kMessageTooLarge, fmt::format("the message is {} bytes, over the limit of {}", document.size(),
                         kMaxMessageBytes));
      return;
    }
    ParseMessage(root, 0, context, nullptr, sink);
    return;
  }
  simdjson::dom::array messages;
  if (batch.get_array().get(messages)) {
    Reject(sink, RejectReason::kInvalidBatch, "\"batch\" must be an array");
    return;
  }
  if (messages.size() > kMaxBatchMessages) {
    Reject(sink, RejectReason::kTooManyMessages, fmt::format("the batch has {} messages, over the limit of {}", messages.size(),
                       kMaxBatchMessages));
    return;
  }
  // Below the message limit as a whole, no member can be over it: skip measuring them.
  const bool measure = document.size() > kMaxMessageBytes;
  size_t index = 0;
  for (element message : messages) {
    if (measure) {
      const size_t bytes = simdjson::minify(message).size();
      if (bytes > kMaxMessageBytes) {
        Reject(sink, RejectReason::kMessageTooLarge,
               fmt::format("the message is {} bytes, over the limit of {}", bytes,
                           kMaxMessageBytes),
               static_cast<long>(index), true);
        ++index;
        continue;
      }
    }
    ParseMessage(message, index, context, &obj, sink);
    ++index;
  }
}

void SegmentParser::ParseMessage(element e, size_t index, const ParseContext& context,
                                 const object* envelope, MessageSink& sink) {
  object obj;
  if (e.get_object().get(obj)) {
    Reject(sink, RejectReason::kNotAnObject, "the message is not an object",
           static_cast<long>(index), envelope != nullptr);
    return;
  }
  Problem problem;
  Reader r(&problem);
  Message m;
  m.index = index;
  m.in_batch = envelope != nullptr;
  m.raw = e;
  m.message_id = r.Id(obj, "messageId", &id_scratch_[0]);
  const auto reject = [&](RejectReason reason, std::string detail) {
    Reject(sink, reason, std::move(detail), static_cast<long>(index), m.in_batch, m.message_id);
  };
  if (r.failed()) return reject(problem.reason, std::move(problem.detail));

  const std::string_view type = r.String(obj, "type", "", 32, RejectReason::kUnknownType);
  if (r.failed()) return reject(problem.reason, std::move(problem.detail));
  if (type.empty()) {
    if (!context.default_type) return reject(RejectReason::kMissingType, "no \"type\"");
    m.type = *context.default_type;
  } else if (auto t = ParseMessageType(type)) {
    m.type = *t;
  } else {
    return reject(RejectReason::kUnknownType, fmt::format("unknown type \"{}\"", type));
  }

  m.anonymous_id = r.Id(obj, "anonymousId", &id_scratch_[1]);
  m.user_id = r.Id(obj, "userId", &id_scratch_[2]);
  if (m.type == MessageType::kAlias) m.previous_id = r.Id(obj, "previousId", &id_scratch_[3]);
  if (m.type == MessageType::kGroup) m.group_id = r.Id(obj, "groupId", &id_scratch_[3]);
  if (r.failed()) return reject(problem.reason, std::move(problem.detail));
  if (m.type == MessageType::kAlias) {
    if (m.previous_id.empty()) return reject(RejectReason::kMissingPreviousId, "no previousId");
    if (m.user_id.empty()) return reject(RejectReason::kMissingUserId, "no userId");
  } else if (m.user_id.empty() && m.anonymous_id.empty()) {
    return reject(RejectReason::kMissingId, "neither userId nor anonymousId");
  }

  if (m.type == MessageType::kTrack) {
    m.event = r.String(obj, "event", "", kMaxNameBytes);
    if (!r.failed() && m.event.empty()) return reject(RejectReason::kMissingEvent, "no event");
  } else if (m.type == MessageType::kPage || m.type == MessageType::kScreen) {
    m.event = r.String(obj, "name", "", kMaxNameBytes);
  }
  m.properties = r.Object(obj, "properties", "");

  bool has_context = false;
  object ctx = r.Object(obj, "context", "", &has_context);
  if (!has_context && envelope != nullptr) ctx = r.Object(*envelope, "context", "batch ");
  const object page = r.Object(ctx, "page", "context.");
  m.url = r.String(page, "url", "context.page.", kMaxPageUrlBytes, RejectReason::kUrlTooLong);
  m.referrer =
      r.String(page, "referrer", "context.page.", kMaxPageUrlBytes, RejectReason::kUrlTooLong);
  m.path = r.String(page, "path", "context.page.", kMaxPageUrlBytes, RejectReason::kUrlTooLong);
  m.search =
      r.String(page, "search", "context.page.", kMaxPageUrlBytes, RejectReason::kUrlTooLong);
  if (m.type == MessageType::kPage) {  // page calls repeat the page in their properties
    const auto fallback = [&](std::string_view* field, std::string_view key) {
      if (field->empty()) {
        *field = r.String(m.properties, key, "properties.", kMaxPageUrlBytes,
                          RejectReason::kUrlTooLong);
      }
    };
    fallback(&m.url, "url");
    fallback(&m.referrer, "referrer");
    fallback(&m.path, "path");
    fallback(&m.search, "search");
  }
  const object campaign = r.Object(ctx, "campaign", "context.");
  m.campaign.name = r.String(campaign, "name", "context.campaign.", kMaxNameBytes);
  m.campaign.source = r.String(campaign, "source", "context.campaign.", kMaxNameBytes);
  m.campaign.medium = r.String(campaign, "medium", "context.campaign.", kMaxNameBytes);
  m.campaign.term = r.String(campaign, "term", "context.campaign.", kMaxNameBytes);
  m.campaign.content = r.String(campaign, "content", "context.campaign.", kMaxNameBytes);
  m.user_agent = r.String(ctx, "userAgent", "context.", kMaxPageUrlBytes);
  if (m.type == MessageType::kIdentify || m.type == MessageType::kGroup) {
    m.traits = r.Object(obj, "traits", "");
  } else {
    m.traits = r.Object(ctx, "traits", "context.");
  }
  if (r.failed()) return reject(problem.reason, std::move(problem.detail));

  // Time: the device's clock, corrected by how far it was off when it sent the message.
  const std::optional<Micros> original = r.Time(obj, "originalTimestamp");
  const std::optional<Micros> timestamp = r.Time(obj, "timestamp");
  std::optional<Micros> sent_at = r.Time(obj, "sentAt");
  if (!sent_at && envelope != nullptr) sent_at = r.Time(*envelope, "sentAt");
  std::optional<Micros> received = context.received_at;
  if (!received) received = r.Time(obj, "receivedAt");
  if (r.failed()) return reject(problem.reason, std::move(problem.detail));
  const std::optional<Micros> device_time = original ? original : timestamp;
  if (device_time && sent_at && received) {
    m.timestamp = *received - (*sent_at - *device_time);
    m.skew_corrected = true;
  } else if (device_time) {
    m.timestamp = *device_time;
  } else if (received) {
    m.timestamp = *received;
  } else {
    return reject(RejectReason::kMissingTimestamp, "no timestamp, originalTimestamp or receivedAt");
  }
  if (m.timestamp < kMinIsoTime) {
    return reject(RejectReason::kInvalidTimestamp,
                  "the time corrected for clock skew is before the year 0001");
  }
  m.received_at = received.value_or(context.now);
  if (m.timestamp > m.received_at) {
    m.timestamp = m.received_at;
    m.future_clamped = true;
  }
  sink.Accept(m);
}

}  // namespace attrib::ingest
