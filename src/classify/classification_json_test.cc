#include "classify/classification_json.h"

#include <gtest/gtest.h>

namespace attrib {
namespace {

std::string Json(Classification c) {
  c.rule_id = "utm_source";
  c.rules_version = "0123456789abcdef";
  std::string out;
  AppendJson(c, &out);
  return out;
}

TEST(ClassificationJson, FieldsInContractOrderWithNulls) {
  Classification c;
  c.source = "google";
  c.medium = "paid";
  c.confidence = Confidence::kHigh;
  c.channel = Channel::kPaidSearch;
  EXPECT_EQ(Json(c),
            "{\"source\":\"google\",\"medium\":\"paid\",\"campaign\":null,\"term\":null,"
            "\"content\":null,\"confidence\":\"high\",\"rule_id\":\"utm_source\","
            "\"channel\":\"paid_search\",\"rules_version\":\"0123456789abcdef\"}");
}

TEST(ClassificationJson, EscapesWhatNeedsIt) {
  Classification c;
  c.source = "say \"hi\"";    // quotes
  c.medium = "a\\b";          // backslash
  c.campaign = "café début";  // UTF-8 stays as it is
  c.term = "12345678";        // exactly one word
  c.content = "tab\there and \x01";
  const std::string json = Json(c);
  EXPECT_NE(json.find("\"source\":\"say \\\"hi\\\"\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"medium\":\"a\\\\b\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"campaign\":\"café début\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"term\":\"12345678\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"content\":\"tab\\there and \\u0001\""), std::string::npos) << json;
}

TEST(ClassificationJson, EveryLengthAroundAWord) {
  for (size_t n = 0; n < 20; ++n) {
    Classification c;
    c.source = std::string(n, 'x');
    c.medium = std::string(n, 'y') + "\"";
    const std::string json = Json(c);
    EXPECT_NE(json.find("\"source\":\"" + std::string(n, 'x') + "\""), std::string::npos) << n;
    EXPECT_NE(json.find("\"medium\":\"" + std::string(n, 'y') + "\\\"\""), std::string::npos) << n;
  }
}

}  // namespace
}  // namespace attrib
