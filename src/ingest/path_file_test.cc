// Path tables as ChannelAttribution's users write them, and every way a row can be wrong.
#include "ingest/path_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace attrib::ingest {
namespace {

using ::testing::HasSubstr;

// Parses `text` line by line; the first error, if any.
Status Parse(std::string_view text, PathFileParser* parser) {
  uint64_t n = 0;
  while (!text.empty()) {
    const size_t end = std::min(text.find('\n'), text.size());
    ATTRIB_RETURN_IF_ERROR(parser->AddLine(text.substr(0, end), ++n));
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return Status::Ok();
}

std::string Error(std::string_view text) {
  PathFileParser parser;
  const Status s = Parse(text, &parser);
  return s.ok() ? "ok" : s.message();
}

TEST(PathFile, ReadsChannelAttributionsFormat) {
  PathFileParser p;
  ASSERT_TRUE(Parse("path;total_conversions;total_conversion_value;total_null\n"
                    "google > email >direct;12;1340.5;310\n"
                    "email;0;0;7\n"
                    " google ;1e2;2.5e3;0\n",
                    &p)
                  .ok());
  EXPECT_EQ(p.channels(), (std::vector<std::string>{"google", "email", "direct"}));
  ASSERT_EQ(p.table().size(), 3u);
  EXPECT_EQ(std::vector<uint32_t>(p.table().path(0).begin(), p.table().path(0).end()),
            (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(p.table().outcome(0).conversions, 12);
  EXPECT_EQ(p.table().outcome(0).value, 1340.5);
  EXPECT_EQ(p.table().outcome(0).nulls, 310);
  EXPECT_EQ(p.table().outcome(2).conversions, 100);
  EXPECT_EQ(p.table().totals().nulls, 317);
}

TEST(PathFile, HeaderColumnsInAnyOrderOthersIgnoredLastTwoOptional) {
  PathFileParser p;
  ASSERT_TRUE(Parse("\xEF\xBB\xBF\"total_null\",\"cost\",\"PATH\",\"total_conversions\"\r\n"
                    "3,9.5,\"a > b\",2\r\n"
                    "\r\n"
                    "0,1,\"say \"\"hi\"\" > a\",1\r\n",
                    &p)
                  .ok());
  EXPECT_EQ(p.channels(), (std::vector<std::string>{"a", "b", "say \"hi\""}));
  EXPECT_EQ(p.table().outcome(0).nulls, 3);
  EXPECT_EQ(p.table().outcome(0).conversions, 2);
  EXPECT_EQ(p.table().outcome(0).value, 0);  // no value column
}

TEST(PathFile, WithoutHeaderColumnsArePositionalAndTabsWork) {
  PathFileParser p;
  ASSERT_TRUE(Parse("a > b\t1\t10\t4\nb\t2\n", &p).ok());
  EXPECT_EQ(p.table().size(), 2u);
  EXPECT_EQ(p.table().outcome(1).conversions, 2);
  EXPECT_EQ(p.table().outcome(1).nulls, 0);
  // Empty channels between separators are skipped, as ChannelAttribution does.
  PathFileParser q;
  ASSERT_TRUE(Parse("a >> b >;1\n", &q).ok());
  EXPECT_EQ(q.table().path(0).size(), 2u);
}

TEST(PathFile, RStyleDecimalCommasAndDelimitersInsideQuotes) {
  PathFileParser p;  // R's write.csv2: ';' between fields, ',' before decimals, row names
  ASSERT_TRUE(Parse("\"\";\"path\";\"total_conversions\";\"total_conversion_value\"\n"
                    "\"1\";\"x > y\";2;1340,5\n",
                    &p)
                  .ok());
  EXPECT_EQ(p.table().outcome(0).value, 1340.5);
  PathFileParser q;  // a ';' inside a quoted channel does not make ';' the delimiter
  ASSERT_TRUE(Parse("\"a;b > c\",1,2,0\n", &q).ok());
  EXPECT_EQ(q.channels(), (std::vector<std::string>{"a;b", "c"}));
  EXPECT_EQ(q.table().outcome(0).value, 2);
  // With ';' between fields a comma is a decimal mark; with a tab or ',' it never is.
  EXPECT_THAT(Error("a;1;2,5;1,5\n"), HasSubstr("ok"));
  EXPECT_THAT(Error("a\t1\t2,5\n"), HasSubstr("\"2,5\" is not a finite number"));
}

TEST(PathFile, MalformedRowsNameTheLineAndTheProblem) {
  const std::string header = "path;total_conversions;total_conversion_value;total_null\n";
  EXPECT_THAT(Error(header + "a;1;2;3\nb;x;2;3\n"),
              HasSubstr("line 3: total_conversions: \"x\" is not a finite number"));
  EXPECT_THAT(Error(header + "a;1;-2;3\n"),
              HasSubstr("line 2: total_conversion_value: \"-2\" is negative"));
  EXPECT_THAT(Error(header + "a;1;2;inf\n"),
              HasSubstr("line 2: total_null: \"inf\" is not a finite"));
  EXPECT_THAT(Error(header + "a;1;;3\n"), HasSubstr("line 2: total_conversion_value is empty"));
  EXPECT_THAT(Error(header + "a;1;2\n"), HasSubstr("line 2: 3 fields, but the header has 4"));
  EXPECT_THAT(Error(header + " > ;1;2;3\n"), HasSubstr("line 2: the path has no channels"));
  EXPECT_THAT(Error(header + "\"a;1;2;3\n"), HasSubstr("line 2: a quoted field is not closed"));
  EXPECT_THAT(Error(header + "\"a\"b;1;2;3\n"), HasSubstr("line 2: text follows a quoted field"));
  EXPECT_THAT(Error(header + "a\xff;1;2;3\n"), HasSubstr("line 2: the line is not valid UTF-8"));
  EXPECT_THAT(Error("a\n"), HasSubstr("line 1: 1 field; a row has 2 to 4"));
  EXPECT_THAT(Error("a;1;2;3;4\n"), HasSubstr("line 1: 5 fields; a row has 2 to 4"));
  EXPECT_THAT(Error("path;total_null\n"),
              HasSubstr("line 1: the header has no total_conversions column"));
  EXPECT_THAT(Error("path;total_conversions;Path\n"),
              HasSubstr("line 1: the header names path twice"));
  EXPECT_THAT(Error("a;0x10\n"), HasSubstr("\"0x10\" is not a finite number"));
  EXPECT_THAT(Error("a;0;100;1\n"),
              HasSubstr("line 1: total_conversion_value is 100 but the row has no conversions"));
}

TEST(PathFile, LimitsAreEnforcedAtLimitPlusOne) {
  const auto path_of = [](size_t channels) {
    std::string p;
    for (size_t i = 0; i < channels; ++i) p += (i ? ">" : "") + std::string("c");
    return p;
  };
  EXPECT_EQ(Error(path_of(kMaxPathLength) + ";1\n"), "ok");
  EXPECT_THAT(Error(path_of(kMaxPathLength + 1) + ";1\n"),
              HasSubstr("the path has more than 10000 channels"));
  EXPECT_EQ(Error(std::string(kMaxPathChannelBytes, 'n') + ";1\n"), "ok");
  EXPECT_THAT(Error(std::string(kMaxPathChannelBytes + 1, 'n') + ";1\n"),
              HasSubstr("a channel name of 1001 bytes is over the limit of 1000"));
  const std::string longest = "a;1;0;" + std::string(kMaxPathRowBytes - 6, '0');
  EXPECT_EQ(Error(longest), "ok");
  EXPECT_THAT(Error(longest + "0"),
              HasSubstr("line 1: the line is longer than the limit of 512000 bytes"));
  EXPECT_EQ(Error("a;1e15;1e18;1e15\n"), "ok");
  EXPECT_THAT(Error("a;1.0000001e15\n"),
              HasSubstr("total_conversions: \"1.0000001e15\" is over the limit of 1e+15"));
  EXPECT_THAT(Error("a;1;1.0000001e18\n"), HasSubstr("is over the limit of 1e+18"));
  EXPECT_THAT(Error("a;1;1;2e15\n"), HasSubstr("total_null: \"2e15\" is over the limit"));
  std::string many;
  for (size_t i = 0; i <= kMaxPathChannels; ++i) many += "c" + std::to_string(i) + ";1\n";
  PathFileParser p;
  const Status s = Parse(many, &p);
  EXPECT_THAT(s.message(), HasSubstr("line 100001: more than 100000 distinct channels"));
  EXPECT_EQ(p.channels().size(), kMaxPathChannels);
}

}  // namespace
}  // namespace attrib::ingest
