// Golden journeys from Segment messages through the whole pipeline: every scenario of
// tests/golden/attribution/journeys.txt.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <fstream>
#include <map>

#include "common/strings.h"
#include "query/batch.h"

namespace attrib {
namespace {

struct Scenario {
  int line = 0;
  std::string name;
  std::vector<std::pair<std::string, std::string>> settings;
  std::string messages;
  std::vector<std::pair<int, std::string>> expectations;  // (line, "expect …" text)
};

std::vector<Scenario> LoadScenarios() {
  std::ifstream in(ATTRIB_SOURCE_DIR "/tests/golden/attribution/journeys.txt");
  std::vector<Scenario> out;
  std::string text;
  int line = 0;
  while (std::getline(in, text)) {
    ++line;
    if (text.empty() || text[0] == '#') continue;
    if (text.starts_with("== ")) {
      out.push_back(Scenario{line, text.substr(3), {}, {}, {}});
    } else if (out.empty()) {
      ADD_FAILURE() << "line " << line << ": before the first scenario";
    } else if (text.starts_with("set ")) {
      const auto parts = Split(text, ' ');
      out.back().settings.emplace_back(parts.at(1), parts.at(2));
    } else if (text.starts_with("{")) {
      out.back().messages += text + "\n";
    } else if (text.starts_with("expect ")) {
      out.back().expectations.emplace_back(line, text.substr(7));
    } else {
      ADD_FAILURE() << "line " << line << ": cannot read \"" << text << "\"";
    }
  }
  return out;
}

// "A/B" or a number.
double Value(std::string_view s) {
  const size_t slash = s.find('/');
  if (slash == std::string_view::npos) return std::stod(std::string(s));
  return Value(s.substr(0, slash)) / Value(s.substr(slash + 1));
}

class GoldenJourneys : public testing::TestWithParam<Scenario> {};

TEST_P(GoldenJourneys, MatchesHandComputedCredits) {
  const Scenario& s = GetParam();
  query::AnalysisOptions options;
  for (const auto& [key, value] : s.settings) {
    if (key == "counting") {
      options.conversions.counting = *journey::ParseCounting(value);
    } else if (key == "lookback_days") {
      options.conversions.lookback = std::stoll(value) * journey::kDay;
    } else if (key == "timeout_minutes") {
      options.sessions.timeout = std::stoll(value) * sessionize::kMinute;
    } else {
      FAIL() << "line " << s.line << ": unknown setting " << key;
    }
  }
  const Classifier classifier = Classifier::Create().value();
  bool fed = false;
  Result<query::AnalysisResult> r =
      query::Analyze(classifier, options, 1'900'000'000'000'000, [&](query::InputBlock* block) {
        if (fed) return false;
        fed = true;
        block->Assign(s.messages);
        return true;
      });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ingest.rejected, 0u) << "line " << s.line;
  for (const auto& [line, text] : s.expectations) {
    const auto parts = Split(text, ' ');
    const std::string what(parts.at(0));
    if (what == "sessions" || what == "conversions" || what == "people") {
      const uint64_t got = what == "sessions"      ? r->sessions
                           : what == "conversions" ? r->conversions
                                                   : r->people;
      EXPECT_EQ(got, std::stoull(std::string(parts.at(1)))) << "line " << line << ": " << text;
      continue;
    }
    const auto model = ParseModel(what);
    ASSERT_TRUE(model.has_value()) << "line " << line << ": unknown model " << what;
    std::map<std::string, double> want, got;
    for (size_t i = 1; i < parts.size(); ++i) {
      const size_t eq = parts[i].find('=');
      want[std::string(parts[i].substr(0, eq))] = Value(parts[i].substr(eq + 1));
    }
    for (const query::GroupRow& row : r->rows) {
      const double c = row.conversions[static_cast<int>(*model)];
      if (c != 0) got[row.key.at(0)] = c;
    }
    ASSERT_EQ(got.size(), want.size()) << "line " << line << ": " << text;
    for (const auto& [channel, credit] : want) {
      ASSERT_TRUE(got.count(channel)) << "line " << line << ": no credit for " << channel;
      EXPECT_NEAR(got[channel], credit, 1e-12) << "line " << line << ": " << channel;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Scenarios, GoldenJourneys, testing::ValuesIn(LoadScenarios()),
                         [](const testing::TestParamInfo<Scenario>& info) {
                           return "line_" + std::to_string(info.param.line);
                         });

}  // namespace
}  // namespace attrib
