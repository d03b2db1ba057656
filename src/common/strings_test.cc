#include "common/strings.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "common/rng.h"

namespace attrib {
namespace {

std::string Decode(std::string_view in, bool plus = true) {
  std::string out;
  PercentDecodeAppend(in, plus, &out);
  return out;
}

TEST(PercentDecode, DecodesAndKeepsInvalidSequences) {
  EXPECT_EQ(Decode("caf%C3%A9+au%20lait"), "café au lait");
  EXPECT_EQ(Decode("a+b", false), "a+b");
  EXPECT_EQ(Decode("100%25"), "100%");
  EXPECT_EQ(Decode("50%off"), "50%off");
  EXPECT_EQ(Decode("%"), "%");
  EXPECT_EQ(Decode("%4"), "%4");
  EXPECT_EQ(Decode("%4g"), "%4g");
  EXPECT_EQ(Decode("%41%62"), "Ab");
}

TEST(Utf8, Validation) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("café 日本 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

TEST(CleanText, ReplacesControlsAndBadBytes) {
  std::string s =
      "a\x01"
      "b\xFF"
      "c";
  CleanText(&s);
  EXPECT_EQ(s,
            "a b\xEF\xBF\xBD"
            "c");
  std::string ok = "café";
  CleanText(&ok);
  EXPECT_EQ(ok, "café");
}

TEST(Json, NumbersAreShortestAndNeverNaN) {
  std::string out;
  for (const double v : {5.0, 0.25, -1.5e-7, 1e21, 0.1 + 0.2}) {
    AppendJsonNumber(&out, v);
    out += ' ';
  }
  EXPECT_EQ(out, "5 0.25 -1.5e-07 1e+21 0.30000000000000004 ");
  out.clear();
  AppendJsonNumber(&out, std::nan(""));
  AppendJsonNumber(&out, -HUGE_VAL);
  EXPECT_EQ(out, "nullnull");
}

// Whole numbers and cents take a quicker path than other doubles; both must give fmt's
// shortest form, byte for byte.
TEST(Json, NumbersOfEveryKindMatchTheShortestForm) {
  Rng rng(7);
  std::vector<double> values = {0.0,  -0.0,  0.01,    -0.01, 0.1,  0.05,  0.5,  1e12,
                                1e13, -1e13, 9.99e12, 1e15,  1e16, 123.4, 1e-5, 0.07};
  for (int i = 0; i < 200'000; ++i) {
    const double scale = std::pow(10.0, static_cast<double>(rng.Below(17)));
    const auto n = static_cast<double>(rng.Below(1'000'000'000)) - 5e8;
    switch (i % 4) {
      case 0:
        values.push_back(n);
        break;  // whole
      case 1:
        values.push_back(n / 100);
        break;  // cents
      case 2:
        values.push_back(n / 100 * scale / 1e8);
        break;  // cents, scaled
      default:
        values.push_back(n / 3 / scale);
        break;  // anything
    }
  }
  for (const double v : values) {
    std::string out;
    AppendJsonNumber(&out, v);
    ASSERT_EQ(out, fmt::format("{}", v)) << v;
  }
}

TEST(Json, EscapesWhatItMust) {
  std::string out;
  AppendJsonString(&out, std::string_view("q\"b\\n\n\t\x01 é\xFF", 12));
  EXPECT_EQ(out, "\"q\\\"b\\\\n\\n\\t\\u0001 é\xEF\xBF\xBD\"");
}

TEST(Strings, IsLowerAscii) {
  EXPECT_TRUE(IsLowerAscii(""));
  EXPECT_TRUE(IsLowerAscii("www.example-shop.co.uk:8080"));
  EXPECT_TRUE(IsLowerAscii("@[`{~"));  // the neighbours of A-Z
  EXPECT_FALSE(IsLowerAscii("www.example-shop.co.uK"));
  EXPECT_FALSE(IsLowerAscii("Abcdefghijkl"));
  EXPECT_FALSE(IsLowerAscii("abcdefghZ"));
  EXPECT_FALSE(IsLowerAscii("bücher.de"));
  for (int c = 0; c < 128; ++c) {
    std::string s(10, 'a'), w(10, 'a');
    s.back() = static_cast<char>(c);   // the overlapping last word
    w.front() = static_cast<char>(c);  // the first word
    const bool upper = c >= 'A' && c <= 'Z';
    EXPECT_EQ(IsLowerAscii(s), !upper) << c;
    EXPECT_EQ(IsLowerAscii(w), !upper) << c;
  }
}

TEST(Strings, CaseAndTrim) {
  EXPECT_EQ(TrimAscii("  a b \t\n"), "a b");
  EXPECT_EQ(AsciiLowerCopy("MiXeD-Ü"), "mixed-Ü");
  EXPECT_TRUE(EqualsIgnoreCase("GCLID", "gclid"));
  EXPECT_FALSE(EqualsIgnoreCase("gclid", "gclid2"));
  EXPECT_TRUE(StartsWithIgnoreCase("Android-App://x", "android-app://"));
  const auto parts = Split("a||b", '|');
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[1], "");
}

TEST(Csv, FieldsAreQuotedAndFormulasDefused) {
  EXPECT_EQ(CsvField("google"), "google");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField(""), "");
  for (const std::string_view formula : {"=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"}) {
    EXPECT_EQ(CsvField(formula).find('\''), formula.find('\r') == 0 ? 1u : 0u) << formula;
    EXPECT_EQ(CsvField(formula, false).find('\''), std::string::npos) << formula;
  }
  EXPECT_EQ(CsvField("=HYPERLINK(\"x\",\"y\")"), "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"");
  EXPECT_EQ(CsvField("a=b"), "a=b");
}

}  // namespace
}  // namespace attrib
