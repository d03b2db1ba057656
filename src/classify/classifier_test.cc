// Behaviour of the classifier beyond the golden scenarios: user rules, rule-file errors,
// limits, determinism and the rules version.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "attrib/classify.h"
#include "classify/classifier_impl.h"
#include "classify/rule_data.h"

namespace attrib {
namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Classifier WithRules(std::string text, std::string name = "mine.tsv") {
  ClassifierOptions options;
  options.extra_rules.push_back({std::move(name), std::move(text)});
  auto c = Classifier::Create(options);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).value();
}

Status LoadError(std::string text) {
  ClassifierOptions options;
  options.extra_rules.push_back({"mine.tsv", std::move(text)});
  auto c = Classifier::Create(options);
  EXPECT_FALSE(c.ok()) << "rules loaded but should not have";
  return c.status();
}

std::string Summary(const Classifier& c, ClassifyInput in) {
  auto r = c.Classify(in);
  if (!r.ok()) return "error: " + r.status().message();
  return r->source + "/" + r->medium + " " + std::string(ToString(r->confidence)) + " " +
         std::string(r->rule_id) + " " + std::string(ToString(r->channel));
}

class UserRules : public testing::Test {
 protected:
  Classifier c_ =
      WithRules(ReadText(ATTRIB_SOURCE_DIR "/tests/data/user_rules.tsv"), "user_rules.tsv");
};

TEST_F(UserRules, RunBeforeTheBuiltInCascade) {
  EXPECT_EQ(Summary(c_, {"https://shop.example/", "https://www.partner.example/review", ""}),
            "partner/affiliate high partner_referral affiliate");
  EXPECT_EQ(Summary(c_, {"https://shop.example/?via=Podcast", "", ""}),
            "podcast/audio medium podcast paid_other");
  EXPECT_EQ(
      Summary(c_, {"https://shop.example/?ref=ProductHunt", "https://www.producthunt.com/", ""}),
      "producthunt/referral medium ref_param referral");
  // $param: sources are aliased like utm_source.
  EXPECT_EQ(Summary(c_, {"https://shop.example/?ref=fb", "", ""}),
            "facebook/referral medium ref_param organic_social");
  EXPECT_EQ(Summary(c_, {"https://shop.example/LP/spring", "", ""}),
            "print/offline low landing_pages paid_other");
  EXPECT_EQ(
      Summary(c_,
              {"https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=US-Brand-Exact",
               "", ""}),
      "google/paid high brand_search paid_search");
  EXPECT_EQ(Summary(c_, {"https://staging.shop.example/", "https://www.google.com/", ""}),
            "internal/direct high staging internal");
  EXPECT_EQ(
      Summary(c_, {"https://shop.example/?utm_medium=influencer", "https://www.tiktok.com/", ""}),
      "tiktok/influencer medium influencer organic_social");
}

TEST_F(UserRules, LeaveOtherTrafficToTheBuiltInRules) {
  EXPECT_EQ(Summary(c_, {"https://shop.example/", "https://www.google.com/", ""}),
            "google/organic medium search_referrer organic_search");
  EXPECT_EQ(Summary(c_, {"https://shop.example/?via=radio", "", ""}),
            "direct/direct high direct direct");
  // A substring of a partner host is not the partner.
  EXPECT_EQ(Summary(c_, {"https://shop.example/", "https://notpartner.example/", ""}),
            "notpartner/referral low referral referral");
  EXPECT_EQ(Summary(c_, {"https://shop.example/?ref=x&utm_source=newsletter", "", ""}),
            "newsletter/unknown high utm_source email");
}

TEST_F(UserRules, AreListedFirstAndChangeTheVersion) {
  ASSERT_GT(c_.rules().size(), 7u);
  EXPECT_EQ(c_.rules()[0].id, "partner_referral");
  EXPECT_EQ(c_.rules()[0].origin, "user_rules.tsv");
  EXPECT_EQ(c_.rules()[7].origin, "builtin");
  auto builtin = Classifier::Create();
  ASSERT_TRUE(builtin.ok());
  EXPECT_NE(c_.rules_version(), builtin->rules_version());
  EXPECT_EQ(builtin->rules_version(), Classifier::Create()->rules_version());
  EXPECT_EQ(builtin->rules_version().size(), 16u);
}

TEST(UserRulesOnUtmSource, CompareCanonicalSources) {
  // "fb" and "facebook.com" are how people write facebook; the rule means facebook.
  const Classifier c = WithRules("my_fb\tutm_source=fb|facebook.com\tfb_own\tsocial\thigh\n");
  EXPECT_EQ(Summary(c, {"https://shop.example/?utm_source=facebook", "", ""}),
            "fb_own/social high my_fb organic_social");
  EXPECT_EQ(Summary(c, {"https://shop.example/?utm_source=FB", "", ""}),
            "fb_own/social high my_fb organic_social");
  EXPECT_EQ(Summary(c, {"https://shop.example/?utm_source=m.facebook.com", "", ""}),
            "fb_own/social high my_fb organic_social");
}

TEST(RulesVersion, ChangesWhenAnyRuleChanges) {
  const Classifier a = WithRules("a\tutm_source=x\tx\tx\thigh\n");
  const Classifier b = WithRules("a\tutm_source=y\tx\tx\thigh\n");
  const Classifier a2 = WithRules("a\tutm_source=x\tx\tx\thigh\n");
  EXPECT_NE(a.rules_version(), b.rules_version());
  EXPECT_EQ(a.rules_version(), a2.rules_version());
}

TEST(RulesErrors, NameFileLineAndProblem) {
  EXPECT_EQ(LoadError("# header\n\nx\tutm_sorce=a\ta\tb\thigh\n").message(),
            "mine.tsv:3: unknown field 'utm_sorce' (fields: utm_source, utm_medium, utm_campaign, "
            "utm_term, utm_content, utm, path, param:NAME, param@LIST, referrer, referrer_host, "
            "page_host, internal_referrer)");
  EXPECT_EQ(LoadError("x\tutm_source\ta\tb\thuge\n").message(),
            "mine.tsv:1: confidence \"huge\" is not high, medium or low");
  EXPECT_EQ(LoadError("x\tutm_source\ta\n").message(),
            "mine.tsv:1: expected 5 to 7 tab-separated columns (rule_id, when, source, medium, "
            "confidence[, channel[, note]]), found 3");
  EXPECT_EQ(LoadError("x\tutm_source\ta\tb\thigh\tfacebook\n").message(),
            "mine.tsv:1: unknown channel \"facebook\"");
  EXPECT_EQ(LoadError("x\treferrer_host@nosuchlist\ta\tb\thigh\n").message(),
            "mine.tsv:1: rule 'x': unknown list 'nosuchlist'");
  EXPECT_EQ(LoadError("x\treferrer_host@paid_mediums\ta\tb\thigh\n").message(),
            "mine.tsv:1: rule 'x': a host is compared with a hosts list; 'paid_mediums' is a "
            "values list");
  EXPECT_EQ(LoadError("x\tutm_source\t$match\tb\thigh\n").message(),
            "mine.tsv:1: rule 'x': $match needs a condition on a named list (referrer_host@LIST, "
            "page_host@LIST or param@LIST) that is not negated");
  EXPECT_EQ(
      LoadError("gclid\tutm_source\ta\tb\thigh\n").message(),
      "mine.tsv:1: rule id 'gclid' is already used (by the rule at data/classifier/rules.tsv:5)");
  EXPECT_EQ(LoadError("x\tutm_source & * \ta\tb\thigh\n").message(),
            "mine.tsv:1: '*' stands alone: it matches everything");
  EXPECT_EQ(LoadError("x\tutm_source &  & utm_medium\ta\tb\thigh\n").message(),
            "mine.tsv:1: empty condition (a stray '&'?)");
  EXPECT_EQ(LoadError("x\treferrer_host^=goo\ta\tb\thigh\n").message(),
            "mine.tsv:1: 'referrer_host' does not take ^=");
  EXPECT_EQ(LoadError("x\treferrer_host=https://a.com/x\ta\tb\thigh\n").message(),
            "mine.tsv:1: host pattern \"https://a.com/x\" must be a bare host (no scheme, port, "
            "path or query)");
  EXPECT_EQ(LoadError("x\tparam:utm_source=a\ta\tb\thigh\n").message(),
            "mine.tsv:1: use the utm_source field rather than param:utm_source (the five utm_ "
            "parameters have fields of their own)");
  EXPECT_EQ(LoadError("x\tutm_source\tA B\tb\thigh\n").message(),
            "mine.tsv:1: invalid character ' ' in source \"A B\" (use letters, digits, '_', '.' "
            "and '-')");
  EXPECT_EQ(LoadError("x\tutm_source\t$nope\tb\thigh\n").message(),
            "mine.tsv:1: unknown source \"$nope\" (use a value, $utm_source, $utm_medium, $match, "
            "$referrer_slug or $param:NAME)");
  EXPECT_EQ(LoadError("x\tutm\xFF\ta\tb\thigh\n").message(), "mine.tsv:1: not valid UTF-8");
  EXPECT_EQ(LoadError("x\tutm\x01\ta\tb\thigh\n").message(), "mine.tsv:1: control character 0x01");
  EXPECT_EQ(LoadError("9x\tutm\ta\tb\thigh\n").message(),
            "mine.tsv:1: a rule id starts with a letter");
  EXPECT_EQ(LoadError("x\tutm=a\ta\tb\thigh\n").message(), "mine.tsv:1: 'utm' does not take =");
  EXPECT_EQ(LoadError("x\tutm_source=a||b\ta\tb\thigh\n").message(),
            "mine.tsv:1: empty alternative (a stray '|'?)");
  EXPECT_EQ(LoadError("x\tparam\ta\tb\thigh\n").message(),
            "mine.tsv:1: 'param' needs ':NAME' (param:gclid) or '@LIST' (param@click_ids)");
}

TEST(RulesLimits, FileSize) {
  std::string text = "x\tutm_source\ta\tb\thigh\n";
  text += fmt::format("#{}\n", std::string(classify::kMaxRulesFileBytes - text.size() - 2, 'x'));
  ASSERT_EQ(text.size(), classify::kMaxRulesFileBytes);
  WithRules(text);
  EXPECT_EQ(LoadError(text + "#").code(), ErrorCode::kLimitExceeded);
}

TEST(RulesLimits, ConditionsPerRule) {
  std::string when = "utm";
  for (size_t i = 1; i < classify::kMaxConditionsPerRule; ++i)
    when += fmt::format(" & utm_term=t{}", i);
  WithRules("x\t" + when + "\ta\tb\thigh\n");
  EXPECT_EQ(LoadError("x\t" + when + " & path\ta\tb\thigh\n").code(), ErrorCode::kLimitExceeded);
}

TEST(RulesLimits, ExtraRules) {
  std::string text;
  for (size_t i = 0; i < classify::kMaxExtraRules; ++i) {
    text += fmt::format("r{}\tutm_campaign=c{}\ta\tb\thigh\n", i, i);
  }
  WithRules(text);
  EXPECT_EQ(LoadError(text + "last\tutm\ta\tb\thigh\n").code(), ErrorCode::kLimitExceeded);
}

TEST(RulesLimits, TokenLength) {
  const std::string at_limit(classify::kMaxTokenBytes, 'a');
  WithRules("x\tutm_source=" + at_limit + "\ta\tb\thigh\n");
  EXPECT_EQ(LoadError("x\tutm_source=" + at_limit + "a\ta\tb\thigh\n").message(),
            "mine.tsv:1: value is longer than 256 bytes");
}

TEST(RulesLimits, DistinctQueryParameters) {
  std::string text;
  const size_t params = classify::kMaxValueSlots - classify::kFirstParamSlot;
  for (size_t i = 0; i < params; ++i) {
    text += fmt::format("r{}\tparam:p{}=v\ta\tb\thigh\n", i, i);
  }
  WithRules(text);
  EXPECT_EQ(LoadError(text + "last\tparam:extra=v\ta\tb\thigh\n").code(), ErrorCode::kInvalidRules);
}

TEST(RulesLimits, DistinctConditions) {
  // Rules of 16 distinct conditions each: far under the limit loads, past it is refused.
  const auto rules = [](size_t count) {
    std::string text;
    for (size_t r = 0; r < count; ++r) {
      std::string when = fmt::format("utm_campaign=r{}c0", r);
      for (size_t c = 1; c < classify::kMaxConditionsPerRule; ++c) {
        when += fmt::format(" & utm_campaign=r{}c{}", r, c);
      }
      text += fmt::format("r{}\t{}\ta\tb\thigh\n", r, when);
    }
    return text;
  };
  const size_t per_rule = classify::kMaxConditionsPerRule;
  WithRules(rules(classify::kMaxConditions / per_rule - 8));
  const Status s = LoadError(rules(classify::kMaxConditions / per_rule + 1));
  EXPECT_NE(s.message().find("more than 4096 distinct conditions in all rules"), std::string::npos)
      << s.message();
}

TEST(Classifier, LongParameterNamesAreIgnored) {
  auto c = Classifier::Create();
  ASSERT_TRUE(c.ok());
  // A known name padded past the limit is not that name; one at the limit is looked up.
  const std::string long_name = "gclid" + std::string(classify::kMaxParamNameBytes - 5 + 1, 'x');
  EXPECT_EQ(Summary(*c, {"https://shop.example/?" + long_name + "=1", "", ""}),
            "direct/direct high direct direct");
  const Classifier mine = WithRules(
      "long\tparam:" + std::string(classify::kMaxParamNameBytes, 'p') + "\tlong\tx\thigh\n");
  EXPECT_EQ(Summary(mine, {"https://shop.example/?" +
                               std::string(classify::kMaxParamNameBytes, 'P') + "=1",
                           "", ""}),
            "long/x high long referral");
}

TEST(Classifier, ReusesOutputAndIsDeterministic) {
  auto c = Classifier::Create();
  ASSERT_TRUE(c.ok());
  Classification out;
  ASSERT_TRUE(
      c->Classify(
           {"https://shop.example/?utm_source=x&utm_medium=email&utm_campaign=long_campaign_name",
            "", ""},
           &out)
          .ok());
  EXPECT_EQ(out.campaign, "long_campaign_name");
  ASSERT_TRUE(c->Classify({"https://shop.example/", "https://www.google.com/", ""}, &out).ok());
  EXPECT_EQ(out.campaign, "");  // nothing left over from the previous visit
  EXPECT_EQ(out.source, "google");
}

TEST(Classifier, ThreadSafe) {
  auto c = Classifier::Create();
  ASSERT_TRUE(c.ok());
  const Classifier& classifier = *c;
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      Classification out;
      for (int i = 0; i < 2000; ++i) {
        const std::string ref =
            i % 2 ? "https://news.ycombinator.com/" : "https://www.google.co.uk/";
        if (!classifier.Classify({"https://shop.example/", ref, ""}, &out).ok() ||
            out.source != (i % 2 ? "ycombinator" : "google")) {
          ++mismatches;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(Channels, NamesRoundTrip) {
  for (int i = 0; i < kChannelCount; ++i) {
    const auto ch = static_cast<Channel>(i);
    EXPECT_EQ(ParseChannel(ToString(ch)), ch);
  }
  EXPECT_FALSE(ParseChannel("facebook").has_value());
  EXPECT_EQ(ParseConfidence("medium"), Confidence::kMedium);
  EXPECT_FALSE(ParseConfidence("HIGH").has_value());
}

}  // namespace
}  // namespace attrib
