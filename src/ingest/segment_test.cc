#include "ingest/segment.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "common/time.h"

namespace attrib::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr Micros kSecond = 1'000'000;
constexpr Micros kT0 = 1'777'638'600'000'000;  // 2026-05-01T12:30:00Z

// An accepted message, copied: the parser's views die at its next Parse().
struct Accepted {
  MessageType type;
  size_t index;
  bool in_batch;
  std::string message_id, anonymous_id, user_id, previous_id, group_id, event;
  std::string url, referrer, path, search;
  std::string campaign_name, campaign_source, campaign_medium, campaign_term, campaign_content;
  std::string user_agent;
  std::string properties, traits, raw;  // minified JSON
  Micros timestamp, received_at;
  bool skew_corrected, future_clamped;
  bool operator==(const Accepted&) const = default;
};

struct Rejected {
  RejectReason reason;
  size_t index;
  bool in_batch, whole_document;
  std::string message_id, detail;
  bool operator==(const Rejected&) const = default;
};

void PrintTo(const Accepted& a, std::ostream* os) {
  *os << "accepted " << ToString(a.type) << " #" << a.index << (a.in_batch ? " in batch" : "")
      << " id=" << a.message_id << " t=" << a.timestamp;
}
void PrintTo(const Rejected& r, std::ostream* os) {
  *os << "rejected " << ToString(r.reason) << " #" << r.index << (r.in_batch ? " in batch" : "")
      << (r.whole_document ? " whole document" : "") << ": " << r.detail;
}

class TestSink : public MessageSink {
 public:
  void Accept(const Message& m) override {
    accepted.push_back(Accepted{
        m.type,
        m.index,
        m.in_batch,
        std::string(m.message_id),
        std::string(m.anonymous_id),
        std::string(m.user_id),
        std::string(m.previous_id),
        std::string(m.group_id),
        std::string(m.event),
        std::string(m.url),
        std::string(m.referrer),
        std::string(m.path),
        std::string(m.search),
        std::string(m.campaign.name),
        std::string(m.campaign.source),
        std::string(m.campaign.medium),
        std::string(m.campaign.term),
        std::string(m.campaign.content),
        std::string(m.user_agent),
        simdjson::minify(m.properties),
        simdjson::minify(m.traits),
        simdjson::minify(m.raw),
        m.timestamp,
        m.received_at,
        m.skew_corrected,
        m.future_clamped,
    });
    order.push_back("a" + std::to_string(m.index));
  }
  void Reject(const Rejection& r) override {
    rejected.push_back(Rejected{r.reason, r.index, r.in_batch, r.whole_document,
                                std::string(r.message_id), r.detail});
    order.push_back("r" + std::to_string(r.index));
  }

  std::vector<Accepted> accepted;
  std::vector<Rejected> rejected;
  std::vector<std::string> order;  // "a0", "r1", …: outcomes by message index, in sink order
};

// A document as failure messages show it: the limit tests' are long.
std::string Shorten(std::string_view document) {
  return document.size() <= 200 ? std::string(document)
                                : std::string(document.substr(0, 200)) + "…";
}

class SegmentTest : public ::testing::Test {
 protected:
  SegmentTest() { context_.now = kT0 + 86'400 * kSecond; }

  TestSink Parse(std::string_view document, bool padded = false) {
    TestSink sink;
    parser_.Parse(document, context_, sink, padded);
    return sink;
  }
  // The one message of `document`, which must be accepted.
  Accepted One(std::string_view document) {
    TestSink sink = Parse(document);
    EXPECT_EQ(sink.accepted.size(), 1u) << Shorten(document);
    EXPECT_THAT(sink.rejected, ElementsAre()) << Shorten(document);
    return sink.accepted.empty() ? Accepted{} : sink.accepted[0];
  }
  // The one outcome of `document` (not a batch envelope), which must be a rejection.
  Rejected Rejection(std::string_view document) {
    TestSink sink = Parse(document);
    EXPECT_THAT(sink.accepted, ElementsAre()) << Shorten(document);
    EXPECT_EQ(sink.rejected.size(), 1u) << Shorten(document);
    if (sink.rejected.empty()) return Rejected{};
    EXPECT_EQ(sink.rejected[0].index, 0u) << Shorten(document);
    return sink.rejected[0];
  }

  SegmentParser parser_;
  ParseContext context_;
};

using SegmentMessages = SegmentTest;
using SegmentRejects = SegmentTest;
using SegmentLimits = SegmentTest;
using SegmentTime = SegmentTest;
using SegmentPadded = SegmentTest;

// A track message of exactly `bytes` bytes of JSON text, padded in a property.
std::string SizedMessage(size_t bytes) {
  const std::string head =
      R"({"type":"track","event":"e","anonymousId":"a","timestamp":"2026-05-01T12:30:00Z",)"
      R"("properties":{"pad":")";
  const std::string tail = R"("}})";
  return head + std::string(bytes - head.size() - tail.size(), 'x') + tail;
}

// A track message nested `depth` levels deep (the message itself is level 1).
std::string NestedMessage(size_t depth) {
  std::string properties = "{}";
  for (size_t level = 3; level <= depth; ++level) properties = R"({"a":)" + properties + "}";
  return R"({"type":"track","event":"e","anonymousId":"a","timestamp":"2026-05-01T12:30:00Z",)"
         R"("properties":)" +
         properties + "}";
}

constexpr std::string_view kSmall =
    R"({"type":"track","event":"e","anonymousId":"a","timestamp":"2026-05-01T12:30:00Z"})";

TEST_F(SegmentMessages, TrackWithAllItsFields) {
  const Accepted m = One(R"json({
    "type": "track", "messageId": "m-1", "anonymousId": "anon-1", "userId": "user-1",
    "event": "Order Completed",
    "properties": {"revenue": 12.5, "currency": "EUR"},
    "context": {
      "page": {"url": "https://shop.example/checkout?utm_source=fb",
               "referrer": "https://m.facebook.com/", "path": "/checkout",
               "search": "?utm_source=fb"},
      "campaign": {"name": "spring", "source": "facebook", "medium": "paid_social",
                   "term": "shoes", "content": "video"},
      "userAgent": "Mozilla/5.0 (X11; Linux x86_64)",
      "traits": {"plan": "pro"}
    },
    "timestamp": "2026-05-01T12:30:00.250Z"
  })json");
  EXPECT_EQ(m.type, MessageType::kTrack);
  EXPECT_EQ(m.index, 0u);
  EXPECT_FALSE(m.in_batch);
  EXPECT_EQ(m.message_id, "m-1");
  EXPECT_EQ(m.anonymous_id, "anon-1");
  EXPECT_EQ(m.user_id, "user-1");
  EXPECT_EQ(m.event, "Order Completed");
  EXPECT_EQ(m.url, "https://shop.example/checkout?utm_source=fb");
  EXPECT_EQ(m.referrer, "https://m.facebook.com/");
  EXPECT_EQ(m.path, "/checkout");
  EXPECT_EQ(m.search, "?utm_source=fb");
  EXPECT_EQ(m.campaign_name, "spring");
  EXPECT_EQ(m.campaign_source, "facebook");
  EXPECT_EQ(m.campaign_medium, "paid_social");
  EXPECT_EQ(m.campaign_term, "shoes");
  EXPECT_EQ(m.campaign_content, "video");
  EXPECT_EQ(m.user_agent, "Mozilla/5.0 (X11; Linux x86_64)");
  EXPECT_EQ(m.properties, R"({"revenue":12.5,"currency":"EUR"})");
  EXPECT_EQ(m.traits, R"({"plan":"pro"})");
  EXPECT_EQ(m.previous_id, "");
  EXPECT_EQ(m.group_id, "");
  EXPECT_EQ(m.timestamp, kT0 + 250'000);
  EXPECT_FALSE(m.skew_corrected);
  EXPECT_FALSE(m.future_clamped);
}

TEST_F(SegmentMessages, RawIsTheMessageItself) { EXPECT_EQ(One(kSmall).raw, kSmall); }

TEST_F(SegmentMessages, AbsentAndNullFieldsAreEmpty) {
  const Accepted m =
      One(R"({"type":"track","event":"e","anonymousId":"a","userId":null,"messageId":null,)"
          R"("properties":null,"context":null,"timestamp":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(m.user_id, "");
  EXPECT_EQ(m.message_id, "");
  EXPECT_EQ(m.properties, "{}");
  EXPECT_EQ(m.traits, "{}");
  EXPECT_EQ(m.url, "");
  EXPECT_EQ(m.campaign_source, "");
}

TEST_F(SegmentMessages, PageTakesItsNameAndContextPage) {
  const Accepted m = One(R"({"type":"page","name":"Pricing","anonymousId":"a",
    "context":{"page":{"url":"https://x.example/pricing","referrer":"https://www.google.com/",
                       "path":"/pricing","search":""}},
    "properties":{"url":"https://ignored.example/","referrer":"https://ignored.example/"},
    "timestamp":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(m.type, MessageType::kPage);
  EXPECT_EQ(m.event, "Pricing");
  EXPECT_EQ(m.url, "https://x.example/pricing");
  EXPECT_EQ(m.referrer, "https://www.google.com/");
  EXPECT_EQ(m.path, "/pricing");
  EXPECT_EQ(m.search, "");
}

TEST_F(SegmentMessages, PageFallsBackToItsProperties) {
  // analytics.js puts the page in the properties of page calls.
  const Accepted m = One(R"({"type":"page","anonymousId":"a",
    "properties":{"url":"https://x.example/a?b=1","referrer":"https://t.co/","path":"/a",
                  "search":"?b=1","title":"A"},
    "timestamp":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(m.url, "https://x.example/a?b=1");
  EXPECT_EQ(m.referrer, "https://t.co/");
  EXPECT_EQ(m.path, "/a");
  EXPECT_EQ(m.search, "?b=1");
}

TEST_F(SegmentMessages, PageFillsOnlyTheMissingFieldsFromProperties) {
  const Accepted m = One(R"({"type":"page","anonymousId":"a",
    "context":{"page":{"url":"https://x.example/ctx"}},
    "properties":{"url":"https://x.example/props","referrer":"https://t.co/"},
    "timestamp":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(m.url, "https://x.example/ctx");
  EXPECT_EQ(m.referrer, "https://t.co/");
}

TEST_F(SegmentMessages, TrackDoesNotReadPageFieldsFromProperties) {
  const Accepted m = One(
      R"({"type":"track","event":"e","anonymousId":"a","properties":{"url":"https://x.example/"},)"
      R"("timestamp":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(m.url, "");
}

TEST_F(SegmentMessages, ScreenTakesItsName) {
  const Accepted m =
      One(R"({"type":"screen","name":"Home","userId":"u","timestamp":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(m.type, MessageType::kScreen);
  EXPECT_EQ(m.event, "Home");
  EXPECT_EQ(m.user_id, "u");
}

TEST_F(SegmentMessages, IdentifyTakesItsTraits) {
  const Accepted m =
      One(R"({"type":"identify","userId":"u","anonymousId":"a","traits":{"email":"x@y.z"},)"
          R"("context":{"traits":{"ignored":true}},"timestamp":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(m.type, MessageType::kIdentify);
  EXPECT_EQ(m.user_id, "u");
  EXPECT_EQ(m.anonymous_id, "a");
  EXPECT_EQ(m.traits, R"({"email":"x@y.z"})");
}

TEST_F(SegmentMessages, GroupTakesGroupIdAndTraits) {
  const Accepted m = One(R"({"type":"group","userId":"u","groupId":"g-1","traits":{"name":"Acme"},)"
                         R"("timestamp":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(m.type, MessageType::kGroup);
  EXPECT_EQ(m.group_id, "g-1");
  EXPECT_EQ(m.traits, R"({"name":"Acme"})");
}

TEST_F(SegmentMessages, AliasTakesPreviousId) {
  const Accepted m = One(
      R"({"type":"alias","userId":"u","previousId":"anon-9","timestamp":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(m.type, MessageType::kAlias);
  EXPECT_EQ(m.previous_id, "anon-9");
  EXPECT_EQ(m.user_id, "u");
  EXPECT_EQ(m.anonymous_id, "");
}

TEST_F(SegmentMessages, NumericIdsAreWrittenAsText) {
  const Accepted m =
      One(R"({"type":"alias","messageId":18446744073709551615,"anonymousId":-7,"userId":42,)"
          R"("previousId":0,"timestamp":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(m.message_id, "18446744073709551615");
  EXPECT_EQ(m.anonymous_id, "-7");
  EXPECT_EQ(m.user_id, "42");
  EXPECT_EQ(m.previous_id, "0");
  EXPECT_EQ(One(R"({"type":"group","userId":"u","groupId":123,)"
                R"("timestamp":"2026-05-01T12:30:00Z"})")
                .group_id,
            "123");
}

TEST_F(SegmentMessages, ViewsStayValidUntilTheNextParse) {
  // A sink may keep the views of every message of a batch until Parse() returns.
  struct KeepingSink : MessageSink {
    void Accept(const Message& m) override { kept.push_back(m); }
    void Reject(const ingest::Rejection&) override {}
    std::vector<Message> kept;
  } sink;
  parser_.Parse(R"({"batch":[)"
                R"({"type":"track","event":"e","messageId":1,"userId":11,"anonymousId":111,)"
                R"("timestamp":"2026-05-01T12:30:00Z"},)"
                R"({"type":"alias","messageId":2,"userId":22,"previousId":222,)"
                R"("timestamp":"2026-05-01T12:30:00Z"},)"
                R"({"type":"group","messageId":3,"userId":33,"groupId":333,)"
                R"("timestamp":"2026-05-01T12:30:00Z"}]})",
                context_, sink);
  ASSERT_EQ(sink.kept.size(), 3u);
  EXPECT_EQ(sink.kept[0].message_id, "1");
  EXPECT_EQ(sink.kept[0].user_id, "11");
  EXPECT_EQ(sink.kept[0].anonymous_id, "111");
  EXPECT_EQ(sink.kept[1].message_id, "2");
  EXPECT_EQ(sink.kept[1].user_id, "22");
  EXPECT_EQ(sink.kept[1].previous_id, "222");
  EXPECT_EQ(sink.kept[2].user_id, "33");
  EXPECT_EQ(sink.kept[2].group_id, "333");
}

TEST_F(SegmentMessages, DefaultTypeForMessagesWithoutOne) {
  context_.default_type = MessageType::kPage;
  const Accepted page =
      One(R"({"anonymousId":"a","name":"Home","timestamp":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(page.type, MessageType::kPage);
  EXPECT_EQ(page.event, "Home");
  // A message's own type wins over the route's.
  EXPECT_EQ(One(kSmall).type, MessageType::kTrack);
}

TEST_F(SegmentMessages, BatchReportsEachMessageWithItsIndex) {
  const TestSink sink = Parse(R"({"batch":[
    {"type":"identify","userId":"u","anonymousId":"a","timestamp":"2026-05-01T12:30:00Z"},
    {"type":"page","anonymousId":"a","name":"Home","timestamp":"2026-05-01T12:30:01Z"},
    {"type":"track","userId":"u","event":"Signed Up","timestamp":"2026-05-01T12:30:02Z"}
  ]})");
  EXPECT_THAT(sink.order, ElementsAre("a0", "a1", "a2"));
  ASSERT_EQ(sink.accepted.size(), 3u);
  EXPECT_EQ(sink.accepted[0].type, MessageType::kIdentify);
  EXPECT_EQ(sink.accepted[1].type, MessageType::kPage);
  EXPECT_EQ(sink.accepted[2].event, "Signed Up");
  EXPECT_EQ(sink.accepted[2].timestamp, kT0 + 2 * kSecond);
  for (const Accepted& m : sink.accepted) EXPECT_TRUE(m.in_batch);
}

TEST_F(SegmentMessages, EmptyBatchReportsNothing) {
  const TestSink sink = Parse(R"({"batch":[]})");
  EXPECT_THAT(sink.order, ElementsAre());
}

TEST_F(SegmentMessages, BatchContextIsTheFallbackForMessagesWithoutOne) {
  const TestSink sink = Parse(R"({"batch":[
    {"type":"track","event":"e","anonymousId":"a","timestamp":"2026-05-01T12:30:00Z"},
    {"type":"track","event":"e","anonymousId":"a","timestamp":"2026-05-01T12:30:00Z",
     "context":{"userAgent":"own"}}
  ], "context":{"userAgent":"envelope","page":{"url":"https://x.example/"}}})");
  ASSERT_EQ(sink.accepted.size(), 2u);
  EXPECT_EQ(sink.accepted[0].user_agent, "envelope");
  EXPECT_EQ(sink.accepted[0].url, "https://x.example/");
  EXPECT_EQ(sink.accepted[1].user_agent, "own");
  EXPECT_EQ(sink.accepted[1].url, "");
}

TEST_F(SegmentMessages, BatchSentAtIsTheFallbackForMessagesWithoutOne) {
  context_.received_at = kT0;
  const TestSink sink = Parse(R"({"batch":[
    {"type":"track","event":"e","anonymousId":"a","originalTimestamp":"2026-05-01T12:00:00Z"},
    {"type":"track","event":"e","anonymousId":"a","originalTimestamp":"2026-05-01T12:00:00Z",
     "sentAt":"2026-05-01T12:00:30Z"}
  ], "sentAt":"2026-05-01T12:00:10Z"})");
  ASSERT_EQ(sink.accepted.size(), 2u);
  EXPECT_EQ(sink.accepted[0].timestamp, kT0 - 10 * kSecond);
  EXPECT_TRUE(sink.accepted[0].skew_corrected);
  EXPECT_EQ(sink.accepted[1].timestamp, kT0 - 30 * kSecond);
}

TEST_F(SegmentMessages, MessageWithBatchKeyIsAnEnvelope) {
  // A document with "batch" is an envelope, whatever else it holds.
  const TestSink sink =
      Parse(R"({"type":"track","event":"e","anonymousId":"a","timestamp":"2026-05-01T12:30:00Z",)"
            R"("batch":[]})");
  EXPECT_THAT(sink.order, ElementsAre());
}

TEST_F(SegmentRejects, InvalidJson) {
  const Rejected r = Rejection(R"({"type":"track",)");
  EXPECT_EQ(r.reason, RejectReason::kInvalidJson);
  EXPECT_TRUE(r.whole_document);
  EXPECT_FALSE(r.in_batch);
  EXPECT_THAT(r.detail, StartsWith("invalid JSON: "));
  EXPECT_EQ(Rejection("").reason, RejectReason::kInvalidJson);
}

TEST_F(SegmentRejects, TrailingSecondDocumentIsInvalidJson) {
  const Rejected r = Rejection(std::string(kSmall) + R"( {"a":1})");
  EXPECT_EQ(r.reason, RejectReason::kInvalidJson);
  EXPECT_TRUE(r.whole_document);
  EXPECT_EQ(Rejection(std::string(kSmall) + "x").reason, RejectReason::kInvalidJson);
}

TEST_F(SegmentRejects, InvalidUtf8IsInvalidJson) {
  const Rejected r = Rejection(
      "{\"type\":\"track\",\"event\":\"caf\xc3\x28\",\"anonymousId\":\"a\","
      "\"timestamp\":\"2026-05-01T12:30:00Z\"}");
  EXPECT_EQ(r.reason, RejectReason::kInvalidJson);
  EXPECT_TRUE(r.whole_document);
  EXPECT_THAT(r.detail, HasSubstr("UTF"));
  EXPECT_EQ(Rejection("{\"type\":\"track\",\"event\":\"\xff\"}").reason,
            RejectReason::kInvalidJson);
}

TEST_F(SegmentRejects, DocumentNotAnObject) {
  const Rejected r = Rejection(R"([{"type":"track"}])");
  EXPECT_EQ(r.reason, RejectReason::kNotAnObject);
  EXPECT_TRUE(r.whole_document);
  EXPECT_EQ(r.detail, "the document is not a JSON object");
  EXPECT_EQ(Rejection("42").reason, RejectReason::kNotAnObject);
}

TEST_F(SegmentRejects, BatchMemberNotAnObject) {
  const TestSink sink = Parse(std::string(R"({"batch":[)") + std::string(kSmall) + R"(,"x"]})");
  EXPECT_THAT(sink.order, ElementsAre("a0", "r1"));
  ASSERT_EQ(sink.rejected.size(), 1u);
  EXPECT_EQ(sink.rejected[0], (Rejected{RejectReason::kNotAnObject, 1, true, false, "",
                                        "the message is not an object"}));
}

TEST_F(SegmentRejects, BatchNotAnArray) {
  const Rejected r = Rejection(R"({"batch":{"type":"track"}})");
  EXPECT_EQ(r.reason, RejectReason::kInvalidBatch);
  EXPECT_TRUE(r.whole_document);
  EXPECT_THAT(r.detail, HasSubstr("\"batch\""));
  EXPECT_EQ(Rejection(R"({"batch":null})").reason, RejectReason::kInvalidBatch);
}

TEST_F(SegmentRejects, MissingType) {
  const Rejected r = Rejection(
      R"({"messageId":"m","event":"e","anonymousId":"a","timestamp":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(r, (Rejected{RejectReason::kMissingType, 0, false, false, "m", "no \"type\""}));
}

TEST_F(SegmentRejects, UnknownType) {
  const Rejected r = Rejection(
      R"({"type":"purchase","event":"e","anonymousId":"a","timestamp":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(r.reason, RejectReason::kUnknownType);
  EXPECT_FALSE(r.whole_document);
  EXPECT_FALSE(r.in_batch);
  EXPECT_EQ(r.detail, "unknown type \"purchase\"");
  // Types are case-sensitive, as in Segment's API.
  EXPECT_EQ(Rejection(R"({"type":"Track","event":"e","anonymousId":"a"})").reason,
            RejectReason::kUnknownType);
  const Rejected long_type =
      Rejection(R"({"type":")" + std::string(33, 't') + R"(","anonymousId":"a"})");
  EXPECT_EQ(long_type.reason, RejectReason::kUnknownType);
  EXPECT_THAT(long_type.detail, StartsWith("type is 33 bytes"));
}

TEST_F(SegmentRejects, MissingId) {
  const Rejected r = Rejection(R"({"type":"track","messageId":"m","event":"e","userId":"",)"
                               R"("timestamp":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(r.reason, RejectReason::kMissingId);
  EXPECT_FALSE(r.whole_document);
  EXPECT_FALSE(r.in_batch);
  EXPECT_EQ(r.message_id, "m");
  EXPECT_THAT(r.detail, HasSubstr("userId"));
  EXPECT_THAT(r.detail, HasSubstr("anonymousId"));
}

TEST_F(SegmentRejects, MissingEvent) {
  const Rejected r = Rejection(
      R"({"type":"track","messageId":"m","anonymousId":"a","timestamp":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(r, (Rejected{RejectReason::kMissingEvent, 0, false, false, "m", "no event"}));
  EXPECT_EQ(Rejection(R"({"type":"track","event":"","anonymousId":"a"})").reason,
            RejectReason::kMissingEvent);
}

TEST_F(SegmentRejects, AliasWithoutPreviousId) {
  const Rejected r = Rejection(R"({"type":"alias","userId":"u","anonymousId":"a"})");
  EXPECT_EQ(r.reason, RejectReason::kMissingPreviousId);
  EXPECT_FALSE(r.whole_document);
  EXPECT_EQ(r.detail, "no previousId");
}

TEST_F(SegmentRejects, AliasWithoutUserId) {
  const Rejected r = Rejection(R"({"type":"alias","previousId":"p","anonymousId":"a"})");
  EXPECT_EQ(r.reason, RejectReason::kMissingUserId);
  EXPECT_FALSE(r.whole_document);
  EXPECT_EQ(r.detail, "no userId");
}

TEST_F(SegmentRejects, FieldOfTheWrongTypeIsNamed) {
  const std::pair<std::string, std::string> cases[] = {
      {R"("messageId":true)", "messageId must be a string or an integer"},
      {R"("type":7)", "type must be a string"},
      {R"("userId":1.5)", "userId must be a string or an integer"},
      {R"("anonymousId":["a"])", "anonymousId must be a string or an integer"},
      {R"("event":{})", "event must be a string"},
      {R"("properties":"x")", "properties must be an object"},
      {R"("context":[])", "context must be an object"},
      {R"("context":{"page":"x"})", "context.page must be an object"},
      {R"("context":{"page":{"url":5}})", "context.page.url must be a string"},
      {R"("context":{"page":{"referrer":false}})", "context.page.referrer must be a string"},
      {R"("context":{"campaign":{"source":1}})", "context.campaign.source must be a string"},
      {R"("context":{"userAgent":{}})", "context.userAgent must be a string"},
      {R"("context":{"traits":1})", "context.traits must be an object"},
      {R"("timestamp":1777638600)", "timestamp must be a string"},
  };
  for (const auto& [field, detail] : cases) {
    // First: of duplicated keys the first counts.
    const Rejected r = Rejection("{" + field +
                                 R"(,"type":"track","event":"e","anonymousId":"a","userId":"u",)"
                                 R"("timestamp":"2026-05-01T12:30:00Z"})");
    EXPECT_EQ(r.reason, RejectReason::kInvalidField) << field;
    EXPECT_FALSE(r.whole_document) << field;
    EXPECT_EQ(r.detail, detail) << field;
  }
  EXPECT_EQ(Rejection(R"({"type":"identify","userId":"u","traits":[]})").detail,
            "traits must be an object");
  EXPECT_EQ(Rejection(R"({"type":"group","userId":"u","groupId":true})").detail,
            "groupId must be a string or an integer");
  EXPECT_EQ(Rejection(R"({"type":"alias","userId":"u","previousId":{}})").detail,
            "previousId must be a string or an integer");
  EXPECT_EQ(Rejection(R"({"type":"page","anonymousId":"a","properties":{"url":1}})").detail,
            "properties.url must be a string");
}

TEST_F(SegmentRejects, BadMessageInBatchDoesNotStopTheOthers) {
  const TestSink sink = Parse(R"({"batch":[
    {"type":"track","messageId":"m0","event":"e","anonymousId":"a",
     "timestamp":"2026-05-01T12:30:00Z"},
    {"type":"track","messageId":"m1","anonymousId":"a","timestamp":"2026-05-01T12:30:00Z"},
    7,
    {"type":"track","messageId":"m3","event":"e","anonymousId":"a","timestamp":"not a time"},
    {"type":"page","messageId":"m4","anonymousId":"a","timestamp":"2026-05-01T12:30:04Z"}
  ]})");
  EXPECT_THAT(sink.order, ElementsAre("a0", "r1", "r2", "r3", "a4"));
  ASSERT_EQ(sink.rejected.size(), 3u);
  EXPECT_EQ(sink.rejected[0],
            (Rejected{RejectReason::kMissingEvent, 1, true, false, "m1", "no event"}));
  EXPECT_EQ(sink.rejected[1].reason, RejectReason::kNotAnObject);
  EXPECT_EQ(sink.rejected[2].reason, RejectReason::kInvalidTimestamp);
  EXPECT_EQ(sink.rejected[2].index, 3u);
  EXPECT_EQ(sink.rejected[2].message_id, "m3");
  ASSERT_EQ(sink.accepted.size(), 2u);
  EXPECT_EQ(sink.accepted[0].message_id, "m0");
  EXPECT_EQ(sink.accepted[1].message_id, "m4");
  EXPECT_EQ(sink.accepted[1].index, 4u);
}

TEST_F(SegmentRejects, EveryReasonHasAStableCode) {
  EXPECT_EQ(ToString(RejectReason::kInvalidJson), "invalid_json");
  EXPECT_EQ(ToString(RejectReason::kMissingTimestamp), "missing_timestamp");
  for (int i = 0; i < kRejectReasonCount; ++i) {
    const auto reason = static_cast<RejectReason>(i);
    EXPECT_EQ(ParseRejectReason(ToString(reason)), reason) << i;
  }
  EXPECT_EQ(ParseRejectReason("nope"), std::nullopt);
  EXPECT_EQ(ParseMessageType("screen"), MessageType::kScreen);
  EXPECT_EQ(ToString(MessageType::kAlias), "alias");
  EXPECT_EQ(ParseMessageType("Screen"), std::nullopt);
}

TEST_F(SegmentLimits, MessageBytes) {
  const std::string at = SizedMessage(kMaxMessageBytes);
  ASSERT_EQ(at.size(), kMaxMessageBytes);
  EXPECT_EQ(One(at).properties.size(), kMaxMessageBytes - at.find(R"({"pad")") - 1);
  const Rejected r = Rejection(SizedMessage(kMaxMessageBytes + 1));
  EXPECT_EQ(r.reason, RejectReason::kMessageTooLarge);
  EXPECT_TRUE(r.whole_document);
  EXPECT_EQ(r.detail, "the message is 32769 bytes, over the limit of 32768");
}

TEST_F(SegmentLimits, MessageBytesInABatch) {
  const TestSink sink =
      Parse(R"({"batch":[)" + SizedMessage(kMaxMessageBytes) + "," +
            SizedMessage(kMaxMessageBytes + 1) + "," + std::string(kSmall) + "]}");
  EXPECT_THAT(sink.order, ElementsAre("a0", "r1", "a2"));
  ASSERT_EQ(sink.rejected.size(), 1u);
  EXPECT_EQ(sink.rejected[0], (Rejected{RejectReason::kMessageTooLarge, 1, true, false, "",
                                        "the message is 32769 bytes, over the limit of 32768"}));
}

TEST_F(SegmentLimits, BatchBytes) {
  const std::string batch = R"({"batch":[)" + std::string(kSmall) + "]}";
  const std::string at = batch + std::string(kMaxBatchBytes - batch.size(), ' ');
  EXPECT_THAT(Parse(at).order, ElementsAre("a0"));
  const Rejected r = Rejection(at + " ");
  EXPECT_EQ(r.reason, RejectReason::kBatchTooLarge);
  EXPECT_TRUE(r.whole_document);
  EXPECT_EQ(r.detail, "the document is at least 512001 bytes, over the limit of 512000");
  EXPECT_EQ(Rejection(at + "  ").detail, "the document is 512002 bytes, over the limit of 512000");
}

TEST_F(SegmentLimits, BatchMessages) {
  std::string batch = R"({"batch":[)";
  for (size_t i = 0; i < kMaxBatchMessages; ++i) {
    if (i > 0) batch += ',';
    batch += kSmall;
  }
  const TestSink at = Parse(batch + "]}");
  ASSERT_EQ(at.accepted.size(), kMaxBatchMessages);
  EXPECT_EQ(at.accepted.back().index, kMaxBatchMessages - 1);
  const Rejected r = Rejection(batch + "," + std::string(kSmall) + "]}");
  EXPECT_EQ(r.reason, RejectReason::kTooManyMessages);
  EXPECT_TRUE(r.whole_document);
  EXPECT_EQ(r.detail, "the batch has 2501 messages, over the limit of 2500");
}

TEST_F(SegmentLimits, Depth) {
  EXPECT_THAT(Parse(NestedMessage(kMaxDepth)).order, ElementsAre("a0"));
  const Rejected r = Rejection(NestedMessage(kMaxDepth + 1));
  EXPECT_EQ(r.reason, RejectReason::kTooDeep);
  EXPECT_TRUE(r.whole_document);
  EXPECT_EQ(r.detail, "nested deeper than 64 levels");
  EXPECT_EQ(Rejection(std::string(kMaxDepth + 1, '[') + std::string(kMaxDepth + 1, ']')).reason,
            RejectReason::kTooDeep);
}

TEST_F(SegmentLimits, IdBytes) {
  const std::string at(kMaxIdBytes, 'i');
  const std::string over(kMaxIdBytes + 1, 'i');
  const std::string time = R"(,"timestamp":"2026-05-01T12:30:00Z"})";
  EXPECT_EQ(One(R"({"type":"track","event":"e","userId":")" + at + "\"" + time).user_id, at);
  const std::pair<std::string, std::string> cases[] = {
      {R"({"type":"track","event":"e","anonymousId":"a","messageId":")", "messageId"},
      {R"({"type":"track","event":"e","anonymousId":")", "anonymousId"},
      {R"({"type":"track","event":"e","userId":")", "userId"},
      {R"({"type":"alias","userId":"u","previousId":")", "previousId"},
      {R"({"type":"group","userId":"u","groupId":")", "groupId"},
  };
  for (const auto& [head, field] : cases) {
    EXPECT_THAT(Parse(head + at + "\"" + time).order, ElementsAre("a0")) << field;
    const Rejected r = Rejection(head + over + "\"" + time);
    EXPECT_EQ(r.reason, RejectReason::kFieldTooLong) << field;
    EXPECT_FALSE(r.whole_document) << field;
    EXPECT_EQ(r.detail, field + " is 1025 bytes, over the limit of 1024");
  }
}

TEST_F(SegmentLimits, NameBytes) {
  const std::string at(kMaxNameBytes, 'n');
  const std::string over(kMaxNameBytes + 1, 'n');
  const std::string head = R"({"anonymousId":"a","timestamp":"2026-05-01T12:30:00Z",)";
  EXPECT_EQ(One(head + R"("type":"track","event":")" + at + "\"}").event, at);
  EXPECT_EQ(One(head + R"("type":"page","name":")" + at + "\"}").event, at);
  EXPECT_EQ(
      One(head + R"("type":"page","context":{"campaign":{"name":")" + at + "\"}}}").campaign_name,
      at);
  const std::pair<std::string, std::string> cases[] = {
      {R"("type":"track","event":")" + over + "\"}", "event"},
      {R"("type":"screen","name":")" + over + "\"}", "name"},
      {R"("type":"page","context":{"campaign":{"name":")" + over + "\"}}}",
       "context.campaign.name"},
      {R"("type":"page","context":{"campaign":{"content":")" + over + "\"}}}",
       "context.campaign.content"},
  };
  for (const auto& [tail, field] : cases) {
    const Rejected r = Rejection(head + tail);
    EXPECT_EQ(r.reason, RejectReason::kFieldTooLong) << field;
    EXPECT_EQ(r.detail, field + " is 1025 bytes, over the limit of 1024");
  }
}

TEST_F(SegmentLimits, PageUrlBytes) {
  const std::string at = "https://x.example/" + std::string(kMaxPageUrlBytes - 18, 'u');
  const std::string over = at + "u";
  ASSERT_EQ(at.size(), kMaxPageUrlBytes);
  const std::string head =
      R"({"type":"page","anonymousId":"a","timestamp":"2026-05-01T12:30:00Z",)";
  // Two such URLs would be over the message limit: one at a time.
  EXPECT_EQ(One(head + R"("context":{"page":{"url":")" + at + "\"}}}").url, at);
  EXPECT_EQ(One(head + R"("context":{"page":{"referrer":")" + at + "\"}}}").referrer, at);
  EXPECT_EQ(One(head + R"("properties":{"url":")" + at + "\"}}").url, at);
  const std::pair<std::string, std::string> cases[] = {
      {R"("context":{"page":{"url":")" + over + "\"}}}", "context.page.url"},
      {R"("context":{"page":{"referrer":")" + over + "\"}}}", "context.page.referrer"},
      {R"("context":{"page":{"path":")" + over + "\"}}}", "context.page.path"},
      {R"("properties":{"url":")" + over + "\"}}", "properties.url"},
      {R"("properties":{"referrer":")" + over + "\"}}", "properties.referrer"},
  };
  for (const auto& [tail, field] : cases) {
    const Rejected r = Rejection(head + tail);
    EXPECT_EQ(r.reason, RejectReason::kUrlTooLong) << field;
    EXPECT_FALSE(r.whole_document) << field;
    EXPECT_EQ(r.detail, field + " is 16385 bytes, over the limit of 16384");
  }
  const Rejected agent = Rejection(head + R"("context":{"userAgent":")" + over + "\"}}");
  EXPECT_EQ(agent.reason, RejectReason::kFieldTooLong);
  EXPECT_EQ(agent.detail, "context.userAgent is 16385 bytes, over the limit of 16384");
}

TEST_F(SegmentTime, CorrectsClockSkewWithTheMessagesReceivedAt) {
  // The device's clock is 5 min slow: it sent at 12:25:10 what it stamped 12:25:00; the server
  // received it at 12:30:00.
  const Accepted m = One(
      R"({"type":"track","event":"e","anonymousId":"a","originalTimestamp":"2026-05-01T12:25:00Z",)"
      R"("sentAt":"2026-05-01T12:25:10Z","receivedAt":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(m.timestamp, kT0 - 10 * kSecond);
  EXPECT_EQ(m.received_at, kT0);
  EXPECT_TRUE(m.skew_corrected);
  EXPECT_FALSE(m.future_clamped);
}

TEST_F(SegmentTime, ContextReceivedAtOverridesTheMessages) {
  context_.received_at = kT0 + 3600 * kSecond;
  const Accepted m = One(
      R"({"type":"track","event":"e","anonymousId":"a","originalTimestamp":"2026-05-01T12:25:00Z",)"
      R"("sentAt":"2026-05-01T12:25:10Z","receivedAt":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(m.timestamp, kT0 + 3590 * kSecond);
  EXPECT_EQ(m.received_at, kT0 + 3600 * kSecond);
  EXPECT_TRUE(m.skew_corrected);
  // A client cannot set the time of receipt, not even a malformed one.
  EXPECT_EQ(One(R"({"type":"track","event":"e","anonymousId":"a","receivedAt":"soon"})").timestamp,
            kT0 + 3600 * kSecond);
}

TEST_F(SegmentTime, TimestampIsTheDeviceTimeWithoutOriginalTimestamp) {
  context_.received_at = kT0;
  const Accepted m =
      One(R"({"type":"track","event":"e","anonymousId":"a","timestamp":"2026-05-01T12:25:00Z",)"
          R"("sentAt":"2026-05-01T12:25:10Z"})");
  EXPECT_EQ(m.timestamp, kT0 - 10 * kSecond);
  EXPECT_TRUE(m.skew_corrected);
  // originalTimestamp wins over timestamp.
  EXPECT_EQ(
      One(R"({"type":"track","event":"e","anonymousId":"a","timestamp":"2026-05-01T12:00:00Z",)"
          R"("originalTimestamp":"2026-05-01T12:25:00Z","sentAt":"2026-05-01T12:25:10Z"})")
          .timestamp,
      kT0 - 10 * kSecond);
}

TEST_F(SegmentTime, NoCorrectionWithoutSentAt) {
  const Accepted m = One(
      R"({"type":"track","event":"e","anonymousId":"a","originalTimestamp":"2026-05-01T12:25:00Z",)"
      R"("receivedAt":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(m.timestamp, kT0 - 300 * kSecond);
  EXPECT_EQ(m.received_at, kT0);
  EXPECT_FALSE(m.skew_corrected);
}

TEST_F(SegmentTime, NoCorrectionWithoutReceiptTime) {
  const Accepted m = One(
      R"({"type":"track","event":"e","anonymousId":"a","originalTimestamp":"2026-05-01T12:25:00Z",)"
      R"("sentAt":"2026-05-01T12:25:10Z"})");
  EXPECT_EQ(m.timestamp, kT0 - 300 * kSecond);
  EXPECT_FALSE(m.skew_corrected);
  EXPECT_EQ(m.received_at, context_.now);
}

TEST_F(SegmentTime, ReceivedAtAloneIsTheTime) {
  const Accepted m =
      One(R"({"type":"track","event":"e","anonymousId":"a","receivedAt":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(m.timestamp, kT0);
  EXPECT_EQ(m.received_at, kT0);
  EXPECT_FALSE(m.skew_corrected);
  EXPECT_FALSE(m.future_clamped);
  context_.received_at = kT0 + kSecond;
  EXPECT_EQ(One(R"({"type":"track","event":"e","anonymousId":"a"})").timestamp, kT0 + kSecond);
}

TEST_F(SegmentTime, FutureTimeIsClampedToTheReceipt) {
  const Accepted m =
      One(R"({"type":"track","event":"e","anonymousId":"a","timestamp":"2026-05-01T12:30:00.001Z",)"
          R"("receivedAt":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(m.timestamp, kT0);
  EXPECT_TRUE(m.future_clamped);
  // At the receipt exactly is not the future.
  EXPECT_FALSE(One(R"({"type":"track","event":"e","anonymousId":"a",)"
                   R"("timestamp":"2026-05-01T12:30:00Z","receivedAt":"2026-05-01T12:30:00Z"})")
                   .future_clamped);
}

TEST_F(SegmentTime, FutureTimeIsClampedToNowWhenTheReceiptIsUnknown) {
  context_.now = kT0;
  const Accepted m =
      One(R"({"type":"track","event":"e","anonymousId":"a","timestamp":"2027-01-01T00:00:00Z"})");
  EXPECT_EQ(m.timestamp, kT0);
  EXPECT_EQ(m.received_at, kT0);
  EXPECT_TRUE(m.future_clamped);
}

TEST_F(SegmentTime, CorrectedFutureTimeIsClamped) {
  // A device time after its own sentAt would land after the receipt.
  const Accepted m = One(
      R"({"type":"track","event":"e","anonymousId":"a","originalTimestamp":"2026-05-01T12:31:00Z",)"
      R"("sentAt":"2026-05-01T12:30:00Z","receivedAt":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(m.timestamp, kT0);
  EXPECT_TRUE(m.skew_corrected);
  EXPECT_TRUE(m.future_clamped);
}

TEST_F(SegmentTime, MissingTimestamp) {
  const Rejected r = Rejection(R"({"type":"track","messageId":"m","event":"e","anonymousId":"a",)"
                               R"("sentAt":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(r.reason, RejectReason::kMissingTimestamp);
  EXPECT_FALSE(r.whole_document);
  EXPECT_EQ(r.message_id, "m");
  EXPECT_EQ(r.detail, "no timestamp, originalTimestamp or receivedAt");
  // An empty string is no time.
  EXPECT_EQ(Rejection(R"({"type":"track","event":"e","anonymousId":"a","timestamp":""})").reason,
            RejectReason::kMissingTimestamp);
}

TEST_F(SegmentTime, InvalidTimestampNamesTheField) {
  for (const std::string field : {"originalTimestamp", "timestamp", "sentAt", "receivedAt"}) {
    const Rejected r = Rejection(R"({"type":"track","event":"e","anonymousId":"a",")" + field +
                                 R"(":"2026-02-30T00:00:00Z"})");
    EXPECT_EQ(r.reason, RejectReason::kInvalidTimestamp) << field;
    EXPECT_FALSE(r.whole_document) << field;
    EXPECT_EQ(r.detail, field + ": invalid timestamp \"2026-02-30T00:00:00Z\": day out of range");
  }
  const Rejected batch = Rejection(R"({"batch":[{"type":"track","event":"e","anonymousId":"a",)"
                                   R"("timestamp":"2026-05-01T12:30:00Z"}],)"
                                   R"("sentAt":"tomorrow"})");
  EXPECT_EQ(batch.reason, RejectReason::kInvalidTimestamp);
  EXPECT_TRUE(batch.in_batch);
  EXPECT_FALSE(batch.whole_document);
  EXPECT_THAT(batch.detail, StartsWith("batch sentAt: invalid timestamp"));
  const Rejected long_text = Rejection(R"({"type":"track","event":"e","anonymousId":"a",)"
                                       R"("timestamp":"2026-05-01T12:30:00)" +
                                       std::string(45, '0') + "Z\"}");
  EXPECT_EQ(long_text.reason, RejectReason::kInvalidTimestamp);
  EXPECT_EQ(long_text.detail, "timestamp is 65 bytes, over the limit of 64");
}

TEST_F(SegmentTime, CorrectedTimeBeforeTheYearOneIsRejected) {
  const Rejected r = Rejection(
      R"({"type":"track","event":"e","anonymousId":"a","originalTimestamp":"0001-01-01T00:00:00Z",)"
      R"("sentAt":"2026-05-01T12:30:00Z","receivedAt":"2026-05-01T12:29:59Z"})");
  EXPECT_EQ(r.reason, RejectReason::kInvalidTimestamp);
  EXPECT_THAT(r.detail, HasSubstr("before the year 0001"));
  const Accepted first = One(
      R"({"type":"track","event":"e","anonymousId":"a","originalTimestamp":"0001-01-01T00:00:00Z",)"
      R"("sentAt":"2026-05-01T12:30:00Z","receivedAt":"2026-05-01T12:30:00Z"})");
  EXPECT_EQ(first.timestamp, kMinIsoTime);
}

TEST_F(SegmentPadded, ParsesInsideALargerBufferAsUnpadded) {
  const std::string documents[] = {
      std::string(kSmall),
      R"({"batch":[{"type":"page","anonymousId":"a","properties":{"url":"https://x.example/"},)"
      R"("timestamp":"2026-05-01T12:30:00Z"},{"type":"track","anonymousId":"a"}],"sentAt":)"
      R"("2026-05-01T12:30:00Z"})",
      R"({"type":"identify","userId":42,"traits":{"a":[1,2,{"b":null}]},)"
      R"("receivedAt":"2026-05-01T12:30:00Z"})",
      R"({"type":"track","event":"e")",  // cut short: the padding must not complete it
      R"({"type":"track","event":"e","anonymousId":"a","timestamp":"2026-05-01T12:30:00Z"} )",
      "42",
  };
  // What follows a document in the buffer: anything, including the rest of a document.
  const std::string after[] = {
      std::string(simdjson::SIMDJSON_PADDING, '\0'),
      R"(,"anonymousId":"a"} {"a":1} )" + std::string(simdjson::SIMDJSON_PADDING, '"'),
      std::string(simdjson::SIMDJSON_PADDING, '\xff')};
  for (const std::string& document : documents) {
    const TestSink unpadded = Parse(document);
    for (const std::string& rest : after) {
      const std::string buffer = R"({"batch":[)" + document + rest;
      const TestSink padded = Parse(std::string_view(buffer).substr(10, document.size()), true);
      EXPECT_EQ(padded.accepted, unpadded.accepted) << Shorten(document);
      EXPECT_EQ(padded.rejected, unpadded.rejected) << Shorten(document);
      EXPECT_EQ(padded.order, unpadded.order) << Shorten(document);
    }
  }
}

// A batch whose document does not parse only because of one of its messages: the others are
// read as usual, envelope included, and the bad one is rejected with its index.
using SegmentRecovery = SegmentTest;

constexpr std::string_view kGoodA =
    R"({"type":"track","event":"e","anonymousId":"a","originalTimestamp":"2026-05-01T12:00:00Z"})";
constexpr std::string_view kGoodB =
    R"({"type":"track","event":"e","anonymousId":"b","properties":{"s":"a]b","t":"\"]}["},)"
    R"("originalTimestamp":"2026-05-01T12:00:00Z"})";

TestSink ExpectRecovered(const TestSink& sink, size_t bad_index, RejectReason reason) {
  EXPECT_EQ(sink.accepted.size(), 2u);
  EXPECT_EQ(sink.rejected.size(), 1u);
  if (sink.rejected.size() == 1) {
    EXPECT_EQ(sink.rejected[0].reason, reason);
    EXPECT_EQ(sink.rejected[0].index, bad_index);
    EXPECT_TRUE(sink.rejected[0].in_batch);
    EXPECT_FALSE(sink.rejected[0].whole_document);
    EXPECT_THAT(sink.rejected[0].detail, HasSubstr("batch message " + std::to_string(bad_index)));
  }
  return sink;
}

TEST_F(SegmentRecovery, BadMessagesAmongGoodOnesAreRejectedAlone) {
  for (const std::string& bad : {
           std::string(
               R"({"type":"track","event":"e","anonymousId":"x","properties":{"v":1e999}})"),
           std::string("{\"type\":\"track\",\"event\":\"\xff\",\"anonymousId\":\"x\"}"),
           std::string(
               R"({"type":"track","event":"e","anonymousId":"x","n":18446744073709551616})"),
           std::string(R"({"type":"track","event":"e","anonymousId":"x","n":)") +
               std::string(400, '9') + "}",
       }) {
    SCOPED_TRACE(bad);
    const TestSink sink = Parse(std::string(R"({"batch":[)") + std::string(kGoodA) + ",\n " + bad +
                                " , " + std::string(kGoodB) + "]}");
    ExpectRecovered(sink, 1, RejectReason::kInvalidJson);
    ASSERT_EQ(sink.accepted.size(), 2u);
    EXPECT_EQ(sink.accepted[0].index, 0u);
    EXPECT_EQ(sink.accepted[1].index, 2u);
    EXPECT_EQ(sink.accepted[1].properties, R"({"s":"a]b","t":"\"]}["})");
    EXPECT_THAT(sink.order, ElementsAre("a0", "r1", "a2"));
  }
}

TEST_F(SegmentRecovery, TheEnvelopeIsAppliedAsWhenTheDocumentParses) {
  context_.received_at = kT0;
  const std::string document =
      std::string(R"( { "sentAt" : "2026-05-01T12:00:10Z", "batch" : [ )") + std::string(kGoodA) +
      R"(, {"v":1e999} , )" + std::string(kGoodB) +
      R"( ] , "writeKey":"k", "context":{"userAgent":"envelope"} } )";
  const TestSink sink = ExpectRecovered(Parse(document), 1, RejectReason::kInvalidJson);
  ASSERT_EQ(sink.accepted.size(), 2u);
  for (const Accepted& a : sink.accepted) {
    EXPECT_EQ(a.user_agent, "envelope");
    EXPECT_EQ(a.timestamp, kT0 - 10 * kSecond);
    EXPECT_TRUE(a.skew_corrected);
  }
  // Padded in place, the same.
  std::string padded = document;
  padded.append(simdjson::SIMDJSON_PADDING, '[');
  EXPECT_EQ(Parse(std::string_view(padded.data(), document.size()), true).accepted.size(), 2u);
}

TEST_F(SegmentRecovery, ADepthBombIsItsMessagesRejectionOnly) {
  const std::string bomb = std::string(100'000, '[') + std::string(100'000, ']');
  ExpectRecovered(Parse(std::string(R"({"batch":[)") + std::string(kGoodA) + "," + bomb + "," +
                        std::string(kGoodB) + "]}"),
                  1, RejectReason::kTooDeep);
  // The depth a message has in the document counts: 63 levels within the batch is too deep.
  ExpectRecovered(Parse(std::string(R"({"batch":[)") + NestedMessage(kMaxDepth - 1) + "," +
                        std::string(kGoodA) + "," + std::string(kGoodB) + "]}"),
                  0, RejectReason::kTooDeep);
}

TEST_F(SegmentRecovery, ABrokenEnvelopeIsStillOneRejection) {
  const std::string good(kGoodA);
  for (const std::string& document : {
           R"({"batch":[)" + good + ",1e999",                      // truncated
           R"({"batch":[)" + good + ",1e999]",                     // unbalanced
           R"({"batch":[)" + good + ",1e999]}}",                   // unbalanced
           R"({"batch":[)" + good + ",1e999}}",                    // the array closed by }
           R"({"batch":[)" + good + ",1e999]}{\"batch\":[]}",      // a trailing document
           R"({"batch":[)" + good + ",1e999]} x",                  // trailing garbage
           R"([{"batch":[)" + good + ",1e999]}]",                  // not an object
           R"({"batch":[)" + good + ",1e999,]}",                   // an empty element
           R"({"batch":[)" + good + " " + good + ",1e999]}",       // a missing comma
           R"({"batch":[)" + good + ",1e999],\"sentAt\":1e999}",   // bad outside the batch
           R"({"batch":[)" + good + ",\"1e999]}",                  // a string never closed
           std::string(R"({"x":"\"batch\":[1e999]","y":1e999})"),  // "batch" inside a string
       }) {
    SCOPED_TRACE(document);
    const TestSink sink = Parse(document);
    EXPECT_THAT(sink.accepted, ElementsAre());
    ASSERT_EQ(sink.rejected.size(), 1u);
    EXPECT_TRUE(sink.rejected[0].whole_document);
    EXPECT_EQ(sink.rejected[0].reason, RejectReason::kInvalidJson);
  }
}

TEST(SegmentSplitBatch, StringsAndBracketsInsideElements) {
  BatchSplit split;
  const std::string_view doc =
      R"( {"a":"[\"batch\"","batch" : [ "a]b" , "\"]" ,{"x":[1,{"y":"}"}]}, 7 ]} )";
  ASSERT_TRUE(SplitBatch(doc, &split));
  EXPECT_THAT(split.elements, ElementsAre(R"("a]b")", R"("\"]")", R"({"x":[1,{"y":"}"}]})", "7"));
  EXPECT_EQ(doc.substr(split.end, 2), "]}");
  ASSERT_TRUE(SplitBatch(R"({"type":"batch", "batch":[1e999]})", &split));  // a value, a key
  EXPECT_THAT(split.elements, ElementsAre("1e999"));
  ASSERT_TRUE(SplitBatch(R"({"batch":[ ]})", &split));
  EXPECT_THAT(split.elements, ElementsAre());
  EXPECT_FALSE(SplitBatch(R"({"batch":[,]})", &split));
  EXPECT_FALSE(SplitBatch(R"({"batch":"[1]"})", &split));
}

}  // namespace
}  // namespace attrib::ingest
