#include "demo/shop.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "common/flat_map.h"
#include "common/time.h"

namespace attrib::demo {
namespace {

using nlohmann::json;

constexpr uint64_t kVisitors = 2000;
constexpr Micros kMinute = 60'000'000;

std::string Generate(uint64_t seed, uint64_t visitors) {
  ShopGenerator shop(seed, ShopOptions{"shop.example", visitors, 30, kDemoEnd});
  std::string out;
  while (shop.NextVisitor(&out)) {
  }
  return out;
}

Micros Time(const json& message, const char* field) {
  const json& v = message.at(field);
  if (!v.is_string()) ADD_FAILURE() << field << " is not a string: " << message.dump();
  const Result<Micros> t = ParseIsoTime(v.get<std::string>());
  if (!t.ok()) ADD_FAILURE() << field << ": " << t.status().message();
  return t.ok() ? *t : 0;
}

// One generated file, parsed: its lines' kinds and every message in line order.
struct Parsed {
  size_t lines = 0;
  size_t batches = 0;
  std::vector<json> messages;
  std::vector<std::string> envelope_sent_at;  // per message: its envelope's sentAt, or ""
};

const Parsed& TheFile() {
  static const Parsed* parsed = [] {
    auto* p = new Parsed;
    const std::string text = Generate(1, kVisitors);
    size_t begin = 0;
    while (begin < text.size()) {
      const size_t end = text.find('\n', begin);
      const json line = json::parse(text.substr(begin, end - begin));
      begin = end + 1;
      ++p->lines;
      if (line.contains("batch")) {
        ++p->batches;
        for (const json& m : line.at("batch")) {
          p->messages.push_back(m);
          p->envelope_sent_at.push_back(line.at("sentAt").get<std::string>());
        }
      } else {
        p->messages.push_back(line);
        p->envelope_sent_at.emplace_back();
      }
    }
    return p;
  }();
  return *parsed;
}

std::string Field(const json& m, const char* a, const char* b) {
  if (!m.contains(a) || !m.at(a).contains(b)) return "";
  return m.at(a).at(b).get<std::string>();
}

TEST(Shop, DeterministicForASeed) {
  const std::string a = Generate(7, 300), b = Generate(7, 300), c = Generate(8, 300);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(a.back(), '\n');
}

// The same seed gives the same file with every compiler and library (the release and the
// sanitizer builds use different compilers): the output is pinned. A deliberate change to the
// generator updates the constant.
TEST(Shop, SameOutputOnEveryBuild) {
  EXPECT_EQ(HashBytes(Generate(1, 300)), 0x96aaab0b0b453547ull);
}

TEST(Shop, EveryLineIsAMessageOrABatch) {
  const Parsed& file = TheFile();
  ASSERT_GT(file.lines, 0u);
  // About 1% of the lines are batch envelopes, each with at least two messages.
  EXPECT_GT(file.batches, file.lines / 400);
  EXPECT_LT(file.batches, file.lines / 40);
  EXPECT_GT(file.messages.size(), file.lines);
  const std::set<std::string> types = {"page", "track", "identify", "alias"};
  for (const json& m : file.messages) {
    ASSERT_TRUE(m.is_object());
    ASSERT_TRUE(types.count(m.value("type", ""))) << m.dump();
    ASSERT_TRUE(m.at("anonymousId").is_string());
    ASSERT_FALSE(m.at("anonymousId").get<std::string>().empty());
    ASSERT_TRUE(m.at("context").at("page").at("url").is_string());
    ASSERT_TRUE(m.at("context").at("userAgent").is_string());
    ASSERT_EQ(m.at("context").at("library").at("name"), "analytics.js");
  }
}

TEST(Shop, MessageIdsAreUnique) {
  std::set<std::string> ids;
  for (const json& m : TheFile().messages) {
    EXPECT_TRUE(ids.insert(m.at("messageId").get<std::string>()).second) << m.dump();
  }
}

TEST(Shop, ClockSkewCorrectionRecoversTheTimestamp) {
  const Parsed& file = TheFile();
  const Micros end = kDemoEnd, start = kDemoEnd - 30 * 24 * 60 * kMinute;
  int skewed = 0;
  for (size_t i = 0; i < file.messages.size(); ++i) {
    const json& m = file.messages[i];
    const Micros original = Time(m, "originalTimestamp"), sent = Time(m, "sentAt"),
                 received = Time(m, "receivedAt"), timestamp = Time(m, "timestamp");
    ASSERT_EQ(received - (sent - original), timestamp) << m.dump();
    ASSERT_GE(sent, original);
    ASSERT_GE(received, timestamp);
    ASSERT_GE(timestamp, start);
    ASSERT_LT(received, end);
    if (!file.envelope_sent_at[i].empty()) {
      EXPECT_EQ(m.at("sentAt").get<std::string>(), file.envelope_sent_at[i]);
    }
    if (std::abs(original - timestamp) > kMinute) ++skewed;
  }
  // Some devices' clocks are off by minutes to hours.
  EXPECT_GT(skewed, 0);
}

TEST(Shop, OrdersCarryRevenueAndCurrency) {
  int orders = 0;
  for (const json& m : TheFile().messages) {
    if (m.value("event", "") != "Order Completed") continue;
    ++orders;
    const json& p = m.at("properties");
    ASSERT_TRUE(p.at("revenue").is_number()) << m.dump();
    EXPECT_GT(p.at("revenue").get<double>(), 0);
    EXPECT_EQ(p.at("currency"), "USD");
    EXPECT_FALSE(p.at("order_id").get<std::string>().empty());
    ASSERT_FALSE(p.at("products").empty());
    EXPECT_GT(p.at("products")[0].at("price").get<double>(), 0);
    EXPECT_TRUE(m.contains("userId"));
  }
  EXPECT_GT(orders, 0);
}

TEST(Shop, PersonsSessionsAndConversions) {
  const Parsed& file = TheFile();
  std::map<std::string, std::set<std::string>> devices_of_user;  // userId → anonymousIds
  std::map<std::string, int> orders_of_user;
  std::map<std::string, std::vector<Micros>> views_of_device;
  std::set<std::string> identified;  // userIds whose identify has been read
  int stamped_early = 0, aliases = 0;
  for (const json& m : file.messages) {
    const std::string type = m.at("type"), anonymous_id = m.at("anonymousId");
    const std::string user_id = m.value("userId", "");
    if (!user_id.empty()) devices_of_user[user_id].insert(anonymous_id);
    if (type == "identify") {
      identified.insert(user_id);
      EXPECT_EQ(Field(m, "traits", "email"), user_id + "@example.com");
    } else if (!user_id.empty() && !identified.count(user_id)) {
      ++stamped_early;
    }
    if (type == "alias") {
      ++aliases;
      EXPECT_EQ(m.at("previousId"), anonymous_id);
      EXPECT_FALSE(user_id.empty());
    }
    if (type == "page") views_of_device[anonymous_id].push_back(Time(m, "timestamp"));
    if (m.value("event", "") == "Order Completed") ++orders_of_user[user_id];
  }
  // Sessions: page views of a device more than 30 minutes apart.
  int sessions = 0;
  for (auto& [id, views] : views_of_device) {
    std::sort(views.begin(), views.end());
    for (size_t i = 0; i < views.size(); ++i) {
      if (i == 0 || views[i] - views[i - 1] > 30 * kMinute) ++sessions;
    }
  }
  const double per_person = static_cast<double>(sessions) / kVisitors;
  EXPECT_GT(per_person, 1.5);
  EXPECT_LT(per_person, 2.5);
  // 20% of persons have two devices; the second shows when a session happens on it.
  EXPECT_GT(views_of_device.size(), kVisitors * 102 / 100);
  EXPECT_LT(views_of_device.size(), kVisitors * 130 / 100);
  const double messages_per_person = static_cast<double>(file.messages.size()) / kVisitors;
  EXPECT_GT(messages_per_person, 5);
  EXPECT_LT(messages_per_person, 9);

  const double conversion = static_cast<double>(orders_of_user.size()) / kVisitors;
  EXPECT_GT(conversion, 0.005);
  EXPECT_LT(conversion, 0.15);
  EXPECT_TRUE(std::any_of(orders_of_user.begin(), orders_of_user.end(), [](const auto& kv) {
    return kv.second >= 2;
  })) << "no repeat buyer";
  // Cross-device: one userId on two anonymousIds.
  EXPECT_TRUE(std::any_of(devices_of_user.begin(), devices_of_user.end(),
                          [](const auto& kv) { return kv.second.size() == 2; }));
  EXPECT_GT(stamped_early, 0) << "no message carries a userId before its identify";
  EXPECT_GT(aliases, 0);
}

TEST(Shop, EntriesComeFromManyChannels) {
  std::map<std::string, int> seen;
  const char* kMarks[] = {"fbclid=", "gclid=", "utm_medium=email", "msclkid=", "ttclid="};
  const char* kReferrers[] = {"google.", "facebook.com", "chatgpt.com", "bing.com"};
  int campaigns = 0;
  for (const json& m : TheFile().messages) {
    if (m.at("type") != "page") continue;
    const std::string url = Field(m, "properties", "url");
    const std::string referrer = Field(m, "properties", "referrer");
    for (const char* mark : kMarks) seen[mark] += url.find(mark) != std::string::npos;
    for (const char* host : kReferrers) seen[host] += referrer.find(host) != std::string::npos;
    // analytics.js puts the utm_* parameters of the page's query, decoded, in context.campaign.
    if (Field(m, "properties", "search").starts_with("?utm_source=newsletter&utm_medium=email")) {
      ++campaigns;
      EXPECT_EQ(m.at("context").at("campaign").at("source"), "newsletter") << m.dump();
      EXPECT_EQ(m.at("context").at("campaign").at("medium"), "email");
      EXPECT_TRUE(m.at("context").at("campaign").at("name").is_string());
    }
  }
  for (const auto& [mark, count] : seen) EXPECT_GT(count, 0) << mark;
  EXPECT_GT(campaigns, 0);
}

TEST(Shop, SomeMessagesAreWrittenLate) {
  // Retries arrive after later messages of the same device.
  std::map<std::string, Micros> last_seen;
  int late = 0;
  for (const json& m : TheFile().messages) {
    const Micros t = Time(m, "timestamp");
    Micros& last = last_seen[m.at("anonymousId").get<std::string>()];
    if (t < last) ++late;
    last = std::max(last, t);
  }
  EXPECT_GT(late, 0);
  EXPECT_LT(late, static_cast<int>(TheFile().messages.size()) / 20);
}

TEST(Shop, WindowFollowsTheOptions) {
  EXPECT_EQ(FormatIsoTime(ShopOptions{}.end), "2026-11-01T00:00:00.000Z");
  const Micros end = kDemoEnd - 10 * 24 * 60 * kMinute;
  ShopGenerator shop(3, ShopOptions{"other.example", 50, 2, end});
  std::string out;
  while (shop.NextVisitor(&out)) {
  }
  for (size_t begin = 0; begin < out.size();) {
    const size_t stop = out.find('\n', begin);
    const json line = json::parse(out.substr(begin, stop - begin));
    begin = stop + 1;
    const json& m = line.contains("batch") ? line.at("batch")[0] : line;
    EXPECT_GE(Time(m, "timestamp"), end - 2 * 24 * 60 * kMinute);
    EXPECT_LT(Time(m, "receivedAt"), end);
    EXPECT_NE(m.at("context").at("page").at("url").get<std::string>().find("other.example"),
              std::string::npos)
        << line.dump();
  }
}

}  // namespace
}  // namespace attrib::demo
