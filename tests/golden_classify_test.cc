// The classifier's golden scenarios: every row of tests/golden/classify/*.tsv is a test case.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "attrib/classify.h"
#include "common/strings.h"

namespace attrib {
namespace {

namespace fs = std::filesystem;

const fs::path kGoldenDir = fs::path(ATTRIB_SOURCE_DIR) / "tests/golden/classify";

struct GoldenRow {
  std::string file;
  int line = 0;
  std::vector<std::string> cells;  // "-" already turned into ""
  std::string Name() const { return file + ":" + std::to_string(line); }
};

std::vector<GoldenRow> LoadRows() {
  std::vector<GoldenRow> rows;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kGoldenDir)) {
    if (entry.path().extension() == ".tsv") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& path : files) {
    std::ifstream in(path);
    std::string text;
    int number = 0;
    while (std::getline(in, text)) {
      ++number;
      if (text.empty() || text[0] == '#') continue;
      GoldenRow row{path.filename().string(), number, {}};
      for (std::string_view cell : Split(text, '\t')) {
        row.cells.push_back(cell == "-" ? std::string() : std::string(cell));
      }
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

const Classifier& Builtin() {
  static const Classifier* classifier = [] {
    auto c = Classifier::Create();
    if (!c.ok()) {
      ADD_FAILURE() << c.status().ToString();
      std::abort();
    }
    return new Classifier(std::move(c).value());
  }();
  return *classifier;
}

class GoldenClassify : public testing::TestWithParam<GoldenRow> {};

TEST_P(GoldenClassify, MatchesExpectation) {
  const GoldenRow& row = GetParam();
  const ClassifyInput input{row.cells.at(0), row.cells.at(1), row.cells.at(2)};
  Classification c;
  const Status s = Builtin().Classify(input, &c);
  if (row.file == "errors.tsv") {
    ASSERT_EQ(row.cells.size(), 5u) << row.Name();
    ASSERT_FALSE(s.ok()) << row.Name() << ": expected an error, got rule " << c.rule_id;
    EXPECT_EQ(ErrorCodeName(s.code()), row.cells[3]) << row.Name();
    EXPECT_NE(s.message().find(row.cells[4]), std::string::npos)
        << row.Name() << ": message was: " << s.message();
    return;
  }
  ASSERT_EQ(row.cells.size(), 9u) << row.Name();
  ASSERT_TRUE(s.ok()) << row.Name() << ": " << s.ToString();
  const std::string got = c.source + " " + c.medium + " [" + c.campaign + "] " +
                          std::string(ToString(c.confidence)) + " " + std::string(c.rule_id) + " " +
                          std::string(ToString(c.channel));
  const std::string want = row.cells[3] + " " + row.cells[4] + " [" + row.cells[5] + "] " +
                           row.cells[6] + " " + row.cells[7] + " " + row.cells[8];
  EXPECT_EQ(got, want) << row.Name() << ": url=" << input.url << " referrer=" << input.referrer;
  EXPECT_EQ(c.rules_version, Builtin().rules_version());
}

INSTANTIATE_TEST_SUITE_P(Rows, GoldenClassify, testing::ValuesIn(LoadRows()),
                         [](const testing::TestParamInfo<GoldenRow>& info) {
                           std::string name = info.param.file.substr(0, info.param.file.find('.'));
                           name += '_';
                           name += std::to_string(info.param.line);
                           return name;
                         });

TEST(GoldenClassifyCoverage, EnoughScenarios) { EXPECT_GE(LoadRows().size(), 150u); }

TEST(GoldenClassifyCoverage, EveryRuleIsHit) {
  std::set<std::string> expected_rules;
  for (const GoldenRow& row : LoadRows()) {
    if (row.cells.size() == 9) expected_rules.insert(row.cells[7]);
  }
  for (const RuleInfo& rule : Builtin().rules()) {
    EXPECT_TRUE(expected_rules.count(rule.id)) << "no golden scenario hits rule " << rule.id;
  }
}

TEST(GoldenClassifyCoverage, EveryChannelIsReached) {
  std::set<std::string> channels;
  for (const GoldenRow& row : LoadRows()) {
    if (row.cells.size() == 9) channels.insert(row.cells[8]);
  }
  EXPECT_EQ(channels.size(), static_cast<size_t>(kChannelCount));
}

}  // namespace
}  // namespace attrib
