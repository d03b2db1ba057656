#include "demo/traffic.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "attrib/classify.h"
#include "common/flat_map.h"

namespace attrib::demo {
namespace {

std::vector<PageView> Generate(uint64_t seed, int sessions) {
  TrafficGenerator traffic(seed);
  std::vector<PageView> views;
  for (int i = 0; i < sessions; ++i) traffic.NextSession(&views);
  return views;
}

// Pinned, as the shop's messages are: the same seed gives the same page views on every build.
TEST(Traffic, SameOutputOnEveryBuild) {
  std::string all;
  for (const PageView& v : Generate(1, 500)) all += v.url + '\t' + v.referrer + '\n';
  EXPECT_EQ(HashBytes(all), 0xa97c0675195766d5ull);
}

TEST(Traffic, DeterministicForASeed) {
  const auto a = Generate(7, 500), b = Generate(7, 500), c = Generate(8, 500);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].url, b[i].url);
    EXPECT_EQ(a[i].referrer, b[i].referrer);
  }
  bool differs = a.size() != c.size();
  for (size_t i = 0; !differs && i < a.size(); ++i) differs = a[i].url != c[i].url;
  EXPECT_TRUE(differs);
}

TEST(Traffic, RealisticMixThatClassifiesCleanly) {
  auto classifier = Classifier::Create();
  ASSERT_TRUE(classifier.ok());
  std::map<Channel, int> entries;
  std::set<std::string> rules;
  int total = 0, internal = 0;
  TrafficGenerator traffic(1);
  std::vector<PageView> views;
  for (int s = 0; s < 20000; ++s) {
    views.clear();
    traffic.NextSession(&views);
    for (size_t i = 0; i < views.size(); ++i) {
      Classification c;
      const Status st = classifier->Classify({views[i].url, views[i].referrer, "shop.example"}, &c);
      ASSERT_TRUE(st.ok()) << views[i].url << " " << views[i].referrer << ": " << st.ToString();
      ++total;
      rules.insert(std::string(c.rule_id));
      if (i == 0) ++entries[c.channel];
      if (c.channel == Channel::kInternal) ++internal;
    }
  }
  // Every session's later page views are internal; entries spread over the channels.
  EXPECT_EQ(entries.size(), static_cast<size_t>(kChannelCount));
  EXPECT_GT(entries[Channel::kOrganicSearch], entries[Channel::kPaidSocial]);
  EXPECT_GT(entries[Channel::kDirect], 2000);
  EXPECT_GT(internal, total / 2);
  EXPECT_GE(rules.size(), 20u);
}

}  // namespace
}  // namespace attrib::demo
