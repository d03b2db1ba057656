#include "storage/event_block.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

namespace attrib::storage {
namespace {

struct Owned {
  BlockEvent e;
  std::string strings[10];
  void Point() {
    std::string_view* fields[] = {&e.currency, &e.message_id,  &e.anonymous_id,
                                  &e.user_id,  &e.previous_id, &e.name,
                                  &e.url,      &e.referrer,    &e.campaign};
    for (int i = 0; i < 9; ++i) *fields[i] = strings[i];
  }
};

std::vector<Owned> RoundTrip(const std::vector<Owned>& in) {
  BlockEncoder encoder;
  for (const Owned& o : in) encoder.Add(o.e);
  const std::string block = encoder.Finish();
  std::vector<Owned> out;
  BlockDecoder decoder;
  const Status s = decoder.Decode(block, [&out](const BlockEvent& e) {
    Owned o;
    o.e = e;
    const std::string_view fields[] = {e.currency, e.message_id,  e.anonymous_id,
                                       e.user_id,  e.previous_id, e.name,
                                       e.url,      e.referrer,    e.campaign};
    for (int i = 0; i < 9; ++i) o.strings[i] = fields[i];
    out.push_back(std::move(o));
  });
  for (Owned& o : out) o.Point();  // the views follow the strings to their last home
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

void ExpectSame(const BlockEvent& a, const BlockEvent& b) {
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.flags, b.flags);
  EXPECT_EQ(a.dedupe_key, b.dedupe_key);
  EXPECT_EQ(a.at, b.at);
  EXPECT_EQ(a.received_at, b.received_at);
  EXPECT_EQ(a.class_hash, b.class_hash);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.revenue, b.revenue);
  EXPECT_EQ(a.currency, b.currency);
  EXPECT_EQ(a.message_id, b.message_id);
  EXPECT_EQ(a.anonymous_id, b.anonymous_id);
  EXPECT_EQ(a.user_id, b.user_id);
  EXPECT_EQ(a.previous_id, b.previous_id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.url, b.url);
  EXPECT_EQ(a.referrer, b.referrer);
  EXPECT_EQ(a.campaign, b.campaign);
}

TEST(EventBlock, RoundTripsRepeatsAndEmptyStrings) {
  std::vector<Owned> in(3);
  in[0].strings[1] = "m1";
  in[0].strings[2] = "anon";
  in[0].strings[6] = "https://shop.example/?utm_source=x";
  in[0].e.at = 1'700'000'000'000'000;
  in[0].e.received_at = in[0].e.at + 5;
  in[0].e.dedupe_key = 42;
  in[0].e.class_hash = 7;
  in[1] = in[0];     // every repeatable string repeated
  in[1].e.at -= 10;  // times may go back
  in[1].e.kind = 2;
  in[1].e.revenue = 129.5;
  in[1].strings[0] = "EUR";
  in[2].strings[2] = "";  // an empty string after a non-empty one
  in[2].strings[4] = "previous";
  in[2].e.type = ingest::MessageType::kAlias;
  for (Owned& o : in) o.Point();
  const std::vector<Owned> out = RoundTrip(in);
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) ExpectSame(out[i].e, in[i].e);
}

RC_GTEST_PROP(EventBlock, RoundTripsAnything, ()) {
  const int n = *rc::gen::inRange(1, 40);
  std::vector<Owned> in(static_cast<size_t>(n));
  const auto text = rc::gen::container<std::string>(rc::gen::inRange<char>(0, 127));
  for (Owned& o : in) {
    o.e.type = static_cast<ingest::MessageType>(*rc::gen::inRange(0, 6));
    o.e.flags = *rc::gen::arbitrary<uint8_t>();
    o.e.dedupe_key = *rc::gen::arbitrary<uint64_t>();
    o.e.at = *rc::gen::inRange<Micros>(-1'000'000'000'000'000, 4'000'000'000'000'000);
    o.e.received_at = o.e.at + *rc::gen::inRange<Micros>(-1'000'000, 1'000'000);
    o.e.class_hash = *rc::gen::arbitrary<uint64_t>();
    o.e.kind = *rc::gen::inRange(-1, 5);
    o.e.revenue = o.e.kind >= 0 ? *rc::gen::inRange(0, 1'000'000) / 100.0 : 0;
    for (int i = 0; i < 9; ++i) {
      // Often the previous event's string, as in real blocks.
      o.strings[i] = *rc::gen::weightedOneOf<std::string>(
          {{3, rc::gen::just(std::string("same"))}, {1, text}});
    }
    if (o.e.kind < 0) o.strings[0].clear();
    o.Point();
  }
  const std::vector<Owned> out = RoundTrip(in);
  RC_ASSERT(out.size() == in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    RC_ASSERT(out[i].e.at == in[i].e.at);
    RC_ASSERT(out[i].e.dedupe_key == in[i].e.dedupe_key);
    RC_ASSERT(out[i].e.class_hash == in[i].e.class_hash);
    RC_ASSERT(out[i].e.kind == in[i].e.kind);
    RC_ASSERT(out[i].e.url == in[i].e.url);
    RC_ASSERT(out[i].e.anonymous_id == in[i].e.anonymous_id);
    RC_ASSERT(out[i].e.message_id == in[i].e.message_id);
    RC_ASSERT(out[i].e.previous_id == in[i].e.previous_id);
  }
}

TEST(EventBlock, DamageIsAnErrorNotACrash) {
  BlockEncoder encoder;
  BlockEvent e;
  e.url = "https://shop.example/";
  e.at = 5;
  encoder.Add(e);
  std::string block = encoder.Finish();
  BlockDecoder decoder;
  for (size_t cut = 0; cut < block.size(); ++cut) {
    EXPECT_FALSE(
        decoder.Decode(std::string_view(block).substr(0, cut), [](const BlockEvent&) {}).ok());
  }
  EXPECT_FALSE(decoder.Decode("not a block at all", [](const BlockEvent&) {}).ok());
}

}  // namespace
}  // namespace attrib::storage
