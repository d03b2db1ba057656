#include "ingest/segment.h"

#include <fmt/format.h>

#include <cstdlib>
#include <deque>
#include <utility>

#include "common/strings.h"
#include "common/time.h"

namespace attrib::ingest {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

constexpr std::string_view kTypeNames[] = {"track", "page", "screen", "identify", "group", "alias"};
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

// The fields of a JSON object that the parser reads, found in one pass over its keys (simdjson's
// at_key scans the keys on every call). kNames is a template argument so that every comparison is
// with a constant. A duplicated key: the first one counts, as at_key does.
template <const auto& kNames>
class Fields {
  static constexpr size_t N = std::size(kNames);
  static_assert(N <= 32);

 public:
  explicit Fields(const object& obj) {
    for (const simdjson::dom::key_value_pair field : obj) {
      [&]<size_t... I>(std::index_sequence<I...>) {
        ((field.key == kNames[I] && !(present_ >> I & 1) && Set(I, field.value)) || ...);
      }
      (std::make_index_sequence<N>());
    }
  }
  bool Has(size_t i) const { return present_ >> i & 1; }
  // The field's value; nullptr when absent or null.
  const element* operator[](size_t i) const {
    return (present_ >> i & 1) && !values_[i].is_null() ? &values_[i] : nullptr;
  }

 private:
  bool Set(size_t i, element value) {
    values_[i] = value;
    present_ |= uint32_t{1} << i;
    return true;
  }

  element values_[N];
  uint32_t present_ = 0;
};

// Field access with the message's problem recorded on first failure. `name` is the field's
// path in the message, as error messages show it.
class Reader {
 public:
  explicit Reader(Problem* problem) : problem_(problem) {}

  bool failed() const { return failed_; }

  // A string field (absent: empty), `limit` bytes at most.
  std::string_view String(const element* e, std::string_view name, size_t limit,
                          RejectReason too_long = RejectReason::kFieldTooLong) {
    if (failed_ || e == nullptr) return {};
    std::string_view s;
    if (e->get_string().get(s) || s.size() > limit) [[unlikely]] {
      return BadString(*e, name, limit, too_long);
    }
    return s;
  }

  // String()'s failure, kept out of its inlined fast path.
  [[gnu::cold, gnu::noinline]] std::string_view BadString(const element& e, std::string_view name,
                                                          size_t limit, RejectReason too_long) {
    std::string_view s;
    if (e.get_string().get(s)) {
      Fail(RejectReason::kInvalidField, fmt::format("{} must be a string", name));
    } else {
      Fail(too_long, fmt::format("{} is {} bytes, over the limit of {}", name, s.size(), limit));
    }
    return {};
  }

  // An identifier: a string, or a number written as text into a new string of `texts` (some
  // server-side libraries send numeric user ids).
  std::string_view Id(const element* e, std::string_view name, std::deque<std::string>* texts) {
    if (failed_ || e == nullptr) return {};
    if (e->is_string()) return String(e, name, kMaxIdBytes);
    int64_t i;
    uint64_t u;
    if (!e->get_int64().get(i)) {
      texts->push_back(fmt::format("{}", i));
    } else if (!e->get_uint64().get(u)) {
      texts->push_back(fmt::format("{}", u));
    } else {
      Fail(RejectReason::kInvalidField, fmt::format("{} must be a string or an integer", name));
      return {};
    }
    return texts->back();
  }

  // An object field; absent gives an empty object.
  object Object(const element* e, std::string_view name) {
    if (failed_ || e == nullptr) return EmptyObject();
    object o;
    if (e->get_object().get(o)) [[unlikely]] {
      return NotAnObject(name);
    }
    return o;
  }
  [[gnu::cold, gnu::noinline]] object NotAnObject(std::string_view name) {
    Fail(RejectReason::kInvalidField, fmt::format("{} must be an object", name));
    return EmptyObject();
  }

  // An ISO 8601 time field.
  std::optional<Micros> Time(const element* e, std::string_view name) {
    const std::string_view text = String(e, name, 64, RejectReason::kInvalidTimestamp);
    if (failed_ || text.empty()) return std::nullopt;
    Result<Micros> t = ParseIsoTime(text);
    if (!t.ok()) {
      Fail(RejectReason::kInvalidTimestamp, fmt::format("{}: {}", name, t.status().message()));
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
            bool in_batch = false, std::string_view message_id = {},
            simdjson::dom::element raw = {}) {
  Rejection r{reason, 0, in_batch, index < 0, message_id, std::move(detail), raw, {}};
  if (index >= 0) r.index = static_cast<size_t>(index);
  sink.Reject(r);
}

// The fields read, by object.
constexpr std::string_view kMessageFields[] = {
    "messageId", "type",       "anonymousId",       "userId", "previousId", "groupId",
    "event",     "name",       "properties",        "traits", "context",    "timestamp",
    "sentAt",    "receivedAt", "originalTimestamp", "batch"};
enum MessageField {
  kMessageId,
  kType,
  kAnonymousId,
  kUserId,
  kPreviousId,
  kGroupId,
  kEvent,
  kName,
  kProperties,
  kTraits,
  kContext,
  kTimestamp,
  kSentAt,
  kReceivedAt,
  kOriginalTimestamp,
  kBatch  // a document's: it is an envelope
};
constexpr std::string_view kEnvelopeFields[] = {"context", "sentAt"};
constexpr std::string_view kContextFields[] = {"page", "campaign", "userAgent", "traits"};
constexpr std::string_view kPageFields[] = {"url", "referrer", "path", "search"};
constexpr std::string_view kCampaignFields[] = {"name", "source", "medium", "term", "content"};
constexpr std::string_view kCampaignNames[] = {"context.campaign.name", "context.campaign.source",
                                               "context.campaign.medium", "context.campaign.term",
                                               "context.campaign.content"};
constexpr std::string_view kPagePropertyNames[] = {"properties.url", "properties.referrer",
                                                   "properties.path", "properties.search"};

using MessageFields = Fields<kMessageFields>;
using EnvelopeFields = Fields<kEnvelopeFields>;

// Reads message `e` (its fields `f`), the `index`th of its document, and tells `sink`.
// `envelope`: the fields of its batch envelope, if any. Numeric ids are written to `numeric_ids`.
void ParseMessage(element e, const MessageFields& f, size_t index, const ParseContext& context,
                  const EnvelopeFields* envelope, std::deque<std::string>* numeric_ids,
                  MessageSink& sink) {
  Problem problem;
  Reader r(&problem);
  Message m;
  m.index = index;
  m.in_batch = envelope != nullptr;
  m.raw = e;
  m.message_id = r.Id(f[kMessageId], "messageId", numeric_ids);
  const auto reject = [&](RejectReason reason, std::string detail) {
    Reject(sink, reason, std::move(detail), static_cast<long>(index), m.in_batch, m.message_id, e);
  };
  if (r.failed()) return reject(problem.reason, std::move(problem.detail));

  const std::string_view type = r.String(f[kType], "type", 32, RejectReason::kUnknownType);
  if (r.failed()) return reject(problem.reason, std::move(problem.detail));
  if (type.empty()) {
    if (!context.default_type) return reject(RejectReason::kMissingType, "no \"type\"");
    m.type = *context.default_type;
  } else if (auto t = ParseMessageType(type)) {
    m.type = *t;
  } else {
    return reject(RejectReason::kUnknownType, fmt::format("unknown type \"{}\"", type));
  }

  m.anonymous_id = r.Id(f[kAnonymousId], "anonymousId", numeric_ids);
  m.user_id = r.Id(f[kUserId], "userId", numeric_ids);
  if (m.type == MessageType::kAlias) {
    m.previous_id = r.Id(f[kPreviousId], "previousId", numeric_ids);
  }
  if (m.type == MessageType::kGroup) m.group_id = r.Id(f[kGroupId], "groupId", numeric_ids);
  if (r.failed()) return reject(problem.reason, std::move(problem.detail));
  if (m.type == MessageType::kAlias) {
    if (m.previous_id.empty()) return reject(RejectReason::kMissingPreviousId, "no previousId");
    if (m.user_id.empty()) return reject(RejectReason::kMissingUserId, "no userId");
  } else if (m.user_id.empty() && m.anonymous_id.empty()) {
    return reject(RejectReason::kMissingId, "neither userId nor anonymousId");
  }

  if (m.type == MessageType::kTrack) {
    m.event = r.String(f[kEvent], "event", kMaxNameBytes);
    if (!r.failed() && m.event.empty()) return reject(RejectReason::kMissingEvent, "no event");
  } else if (m.type == MessageType::kPage || m.type == MessageType::kScreen) {
    m.event = r.String(f[kName], "name", kMaxNameBytes);
  }
  m.properties = r.Object(f[kProperties], "properties");

  const EnvelopeFields* env = envelope;
  const element* context_field = f[kContext];
  if (context_field == nullptr && env) context_field = (*env)[0];
  const Fields<kContextFields> ctx(r.Object(context_field, "context"));
  const Fields<kPageFields> page(r.Object(ctx[0], "context.page"));
  constexpr RejectReason kUrlTooLong = RejectReason::kUrlTooLong;
  m.url = r.String(page[0], "context.page.url", kMaxPageUrlBytes, kUrlTooLong);
  m.referrer = r.String(page[1], "context.page.referrer", kMaxPageUrlBytes, kUrlTooLong);
  m.path = r.String(page[2], "context.page.path", kMaxPageUrlBytes, kUrlTooLong);
  m.search = r.String(page[3], "context.page.search", kMaxPageUrlBytes, kUrlTooLong);
  if (m.type == MessageType::kPage && (m.url.empty() || m.referrer.empty())) {
    // Page calls repeat the page in their properties.
    const Fields<kPageFields> props(m.properties);
    std::string_view* fields[] = {&m.url, &m.referrer, &m.path, &m.search};
    for (size_t i = 0; i < std::size(fields); ++i) {
      if (fields[i]->empty()) {
        *fields[i] = r.String(props[i], kPagePropertyNames[i], kMaxPageUrlBytes, kUrlTooLong);
      }
    }
  }
  const Fields<kCampaignFields> campaign(r.Object(ctx[1], "context.campaign"));
  std::string_view* campaign_fields[] = {&m.campaign.name, &m.campaign.source, &m.campaign.medium,
                                         &m.campaign.term, &m.campaign.content};
  for (size_t i = 0; i < std::size(campaign_fields); ++i) {
    *campaign_fields[i] = r.String(campaign[i], kCampaignNames[i], kMaxNameBytes);
  }
  m.user_agent = r.String(ctx[2], "context.userAgent", kMaxPageUrlBytes);
  if (m.type == MessageType::kIdentify || m.type == MessageType::kGroup) {
    m.traits = r.Object(f[kTraits], "traits");
  } else {
    m.traits = r.Object(ctx[3], "context.traits");
  }
  if (r.failed()) return reject(problem.reason, std::move(problem.detail));

  // Time: the device's clock, corrected by how far it was off when it sent the message.
  std::optional<Micros> device_time = r.Time(f[kOriginalTimestamp], "originalTimestamp");
  if (!device_time) device_time = r.Time(f[kTimestamp], "timestamp");
  std::optional<Micros> sent_at = r.Time(f[kSentAt], "sentAt");
  if (!sent_at && env) sent_at = r.Time((*env)[1], "batch sentAt");
  std::optional<Micros> received = context.received_at;
  if (!received) received = r.Time(f[kReceivedAt], "receivedAt");
  if (r.failed()) return reject(problem.reason, std::move(problem.detail));
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

}  // namespace

std::string_view ToString(MessageType t) { return kTypeNames[static_cast<int>(t)]; }

std::optional<MessageType> ParseMessageType(std::string_view s) {
  return EnumByName<MessageType>(s, kTypeNames);
}

std::string_view ToString(RejectReason r) { return kReasonCodes[static_cast<int>(r)]; }

std::optional<RejectReason> ParseRejectReason(std::string_view s) {
  return EnumByName<RejectReason>(s, kReasonCodes);
}

// One pass over the text, tracking string literals (with their escapes) and the nesting depth of
// [] and {} in a counter, so a depth bomb inside an element costs nothing. Keys are only looked
// at on the top level; the first "batch" key counts, as it does when the document parses.
bool SplitBatch(std::string_view doc, BatchSplit* split) {
  split->elements.clear();
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  const size_t n = doc.size();
  size_t i = 0;
  // Past the string literal starting at doc[i] ('"'); false when it is never closed.
  const auto skip_string = [&] {
    for (++i; i < n; ++i) {
      if (doc[i] == '\\') {
        ++i;
      } else if (doc[i] == '"') {
        ++i;
        return true;
      }
    }
    return false;
  };
  while (i < n && is_space(doc[i])) ++i;
  if (i == n || doc[i] != '{') return false;
  ++i;
  size_t depth = 1;             // the top-level object's is 1
  bool in_batch = false;        // inside the batch array (its own depth is 2)
  bool found = false;           // the batch array was seen
  size_t element_start = 0;     // of the current element, in the batch array
  bool element_closed = false;  // the current element ended with its closing bracket
  bool key_next = true;         // on the top level, the next string is a key
  while (i < n) {
    const char c = doc[i];
    if (is_space(c)) {
      ++i;
      continue;
    }
    if (in_batch && depth == 2) {
      // Between elements, or at the start of one.
      if (c == ',' || c == ']') {
        const std::string_view e = TrimAscii(doc.substr(element_start, i - element_start));
        // An empty element is only the empty array's: [1,] and [,] are broken.
        if (e.empty() && !(c == ']' && split->elements.empty())) return false;
        if (!e.empty()) split->elements.push_back(e);
        element_closed = false;
        if (c == ']') {
          split->end = i;
          in_batch = false;
          depth = 1;
        }
        element_start = ++i;
        continue;
      }
      if (element_closed) return false;  // two elements without a comma between them
    }
    if (c == '"') {
      const size_t start = i;
      if (!skip_string()) return false;
      const bool key = depth == 1 && key_next;
      if (depth == 1) key_next = false;
      if (key && !found && doc.substr(start, i - start) == "\"batch\"") {
        while (i < n && is_space(doc[i])) ++i;
        if (i == n || doc[i] != ':') return false;
        ++i;
        while (i < n && is_space(doc[i])) ++i;
        if (i == n || doc[i] != '[') return false;
        found = in_batch = true;
        depth = 2;
        split->begin = element_start = ++i;
      }
      continue;
    }
    if (c == ',' && depth == 1) {
      key_next = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (in_batch && depth == 2) return false;  // the batch array closed by a '}'
      if (--depth == 0) {
        if (c != '}') return false;
        for (++i; i < n; ++i) {
          if (!is_space(doc[i])) return false;  // a trailing document
        }
        return found;
      }
      if (in_batch && depth == 2) element_closed = true;
    }
    ++i;
  }
  return false;  // never closed
}

SegmentParser::SegmentParser() {
  if (parser_.allocate(kMaxBatchBytes, kMaxDepth) != simdjson::SUCCESS) {
    throw std::bad_alloc();
  }
}

void SegmentParser::Parse(std::string_view document, const ParseContext& context, MessageSink& sink,
                          bool padded) {
  numeric_ids_.clear();
  if (document.size() > kMaxBatchBytes) {
    // Readers of long lines stop one byte past the limit (kMaxLineBytes): say no more than that.
    Reject(sink, RejectReason::kBatchTooLarge,
           fmt::format("the document is {}{} bytes, over the limit of {}",
                       document.size() == kMaxLineBytes ? "at least " : "", document.size(),
                       kMaxBatchBytes));
    return;
  }
  element root;
  broken_.clear();
  if (auto error = parser_.parse(document.data(), document.size(), !padded).get(root)) {
    if (!RepairBatch(document) ||
        parser_.parse(repaired_.data(), document.size(), false).get(root)) {
      broken_.clear();
      if (error == simdjson::DEPTH_ERROR) {
        Reject(sink, RejectReason::kTooDeep,
               fmt::format("nested deeper than {} levels", kMaxDepth));
      } else {
        Reject(sink, RejectReason::kInvalidJson,
               fmt::format("invalid JSON: {}", simdjson::error_message(error)));
      }
      return;
    }
  }
  object obj;
  if (root.get_object().get(obj)) {
    Reject(sink, RejectReason::kNotAnObject, "the document is not a JSON object");
    return;
  }
  const MessageFields f(obj);
  if (!f.Has(kBatch)) {
    if (document.size() > kMaxMessageBytes) {
      Reject(sink, RejectReason::kMessageTooLarge,
             fmt::format("the message is {} bytes, over the limit of {}", document.size(),
                         kMaxMessageBytes));
      return;
    }
    ParseMessage(root, f, 0, context, nullptr, &numeric_ids_, sink);
    return;
  }
  simdjson::dom::array messages;
  if (f[kBatch] == nullptr || f[kBatch]->get_array().get(messages)) {
    Reject(sink, RejectReason::kInvalidBatch, "\"batch\" must be an array");
    return;
  }
  if (messages.size() > kMaxBatchMessages) {
    Reject(sink, RejectReason::kTooManyMessages,
           fmt::format("the batch has {} messages, over the limit of {}", messages.size(),
                       kMaxBatchMessages));
    return;
  }
  const EnvelopeFields envelope(obj);
  // Below the message limit as a whole, no member can be over it: skip measuring them.
  const bool measure = document.size() > kMaxMessageBytes;
  size_t index = 0;
  auto broken = broken_.begin();
  for (element message : messages) {
    if (broken != broken_.end() && broken->index == index) {  // see RepairBatch()
      sink.Reject(*broken++);
      ++index;
      continue;
    }
    if (measure) {
      const size_t bytes = simdjson::minify(message).size();
      if (bytes > kMaxMessageBytes) {
        Reject(
            sink, RejectReason::kMessageTooLarge,
            fmt::format("the message is {} bytes, over the limit of {}", bytes, kMaxMessageBytes),
            static_cast<long>(index), true, {}, message);
        ++index;
        continue;
      }
    }
    object member;
    if (message.get_object().get(member)) {
      Reject(sink, RejectReason::kNotAnObject, "the message is not an object",
             static_cast<long>(index), true, {}, message);
    } else {
      ParseMessage(message, MessageFields(member), index, context, &envelope, &numeric_ids_, sink);
    }
    ++index;
  }
}

// A batch envelope whose document does not parse: split its array (SplitBatch()) and parse each
// element on its own, at the depth it has in the document. The document is then repaired into
// `repaired_`: each bad element replaced by a 0 and spaces, so that everything else, the
// envelope's other members included, is read from it exactly as from a document that parses,
// and the bad elements are rejected in their place from `broken_`. False when the document is
// not such an envelope; if it is still not JSON once repaired, its structure is broken.
bool SegmentParser::RepairBatch(std::string_view document) {
  if (!SplitBatch(document, &split_)) return false;
  if (element_parser_.capacity() == 0 &&
      element_parser_.allocate(kMaxBatchBytes, kMaxDepth - 2) != simdjson::SUCCESS) {
    return false;
  }
  repaired_.assign(document);
  repaired_.append(simdjson::SIMDJSON_PADDING, ' ');
  for (size_t index = 0; index < split_.elements.size(); ++index) {
    const std::string_view text = split_.elements[index];
    element e;
    const auto error = element_parser_.parse(text.data(), text.size(), true).get(e);
    if (!error) continue;
    Rejection r{RejectReason::kInvalidJson, index, true, false, {}, {}, {}, text};
    if (error == simdjson::DEPTH_ERROR) {
      r.reason = RejectReason::kTooDeep;
      r.detail = fmt::format("batch message {} is nested deeper than {} levels", index, kMaxDepth);
    } else {
      r.detail = fmt::format("invalid JSON in batch message {}: {}", index,
                             simdjson::error_message(error));
    }
    broken_.push_back(std::move(r));
    const size_t at = static_cast<size_t>(text.data() - document.data());
    repaired_.replace(at, text.size(), text.size(), ' ');
    repaired_[at] = '0';
  }
  return !broken_.empty();
}

}  // namespace attrib::ingest
