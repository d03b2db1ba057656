#include "query/event_stream.h"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "common/rng.h"

namespace attrib::query::internal {
namespace {

std::vector<EventRecord> Drained(EventStream& stream) {
  std::vector<EventRecord> out;
  stream.Drain([&out](const EventRecord& e) { out.push_back(e); });
  return out;
}

void ExpectSame(const std::vector<EventRecord>& got, const std::vector<EventRecord>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].key, want[i].key) << i;
    EXPECT_EQ(got[i].at, want[i].at) << i;
    EXPECT_EQ(got[i].touch, want[i].touch) << i;
    EXPECT_EQ(got[i].fp, want[i].fp) << i;
  }
}

TEST(EventStream, GivesBackEveryRecordAsAppended) {
  Rng rng(3);
  std::vector<EventRecord> records;
  const int64_t extremes[] = {std::numeric_limits<int64_t>::min() / 4, -1, 0, 1,
                              std::numeric_limits<int64_t>::max() / 4};
  for (int i = 0; i < 200'000; ++i) {
    EventRecord e{};
    // Runs of one visitor, visitors coming back, and keys of every size.
    e.key = !records.empty() && rng.Chance(0.7) ? records.back().key
            : rng.Chance(0.5)                   ? rng.Below(8)
                                                : rng.Next();
    e.at = rng.Chance(0.01) ? extremes[rng.Below(std::size(extremes))]
           : records.empty()
               ? 1'800'000'000'000'000
               : records.back().at + static_cast<int64_t>(rng.Below(4'000'000'000)) - 1'000'000'000;
    const uint32_t id = rng.Chance(0.5) ? static_cast<uint32_t>(rng.Below(100))
                                        : static_cast<uint32_t>(rng.Below(kTouchMask + 1ull));
    e.touch = id | static_cast<uint32_t>(rng.Below(32)) << kTouchBits;
    e.fp = rng.Chance(0.1) ? 0 : static_cast<uint32_t>(rng.Next());
    records.push_back(e);
  }
  EventStream stream;
  for (const EventRecord& e : records) stream.Append(e);
  EXPECT_EQ(stream.size(), records.size());
  ExpectSame(Drained(stream), records);
  EXPECT_EQ(stream.size(), 0u);
  EXPECT_TRUE(Drained(stream).empty());
  // Usable again after draining.
  stream.Append(records[5]);
  ExpectSame(Drained(stream), {records[5]});
}

// The point of the stream: a visitor's page views, seconds apart, cost under half a record.
TEST(EventStream, PacksAVisitorsRunSmall) {
  Rng rng(4);
  EventStream stream;
  Micros at = 1'800'000'000'000'000;
  for (int visitor = 0; visitor < 1000; ++visitor) {
    const uint64_t key = rng.Next();
    for (int i = 0; i < 7; ++i) {
      at += static_cast<Micros>(rng.Below(120'000'000));
      stream.Append({key, at, static_cast<uint32_t>(rng.Below(100)) | kNotPage,
                     static_cast<uint32_t>(rng.Next()) | 1});
    }
  }
  EXPECT_LE(stream.encoded_bytes(), 7000 * 12);
}

}  // namespace
}  // namespace attrib::query::internal
