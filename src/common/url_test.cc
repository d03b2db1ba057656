#include "common/url.h"

#include <gtest/gtest.h>

namespace attrib {
namespace {

UrlParts MustSplit(std::string_view url) {
  UrlParts p;
  const Status s = SplitUrl(url, &p);
  EXPECT_TRUE(s.ok()) << url << ": " << s.ToString();
  return p;
}

TEST(SplitUrl, FullUrl) {
  const UrlParts p = MustSplit("HTTPS://user:pw@Shop.Example:8443/a/b?x=1&y=2#frag");
  EXPECT_EQ(p.scheme, "HTTPS");
  EXPECT_EQ(p.host, "Shop.Example");
  EXPECT_EQ(p.port, "8443");
  EXPECT_EQ(p.path, "/a/b");
  EXPECT_EQ(p.query, "x=1&y=2");
  EXPECT_EQ(p.fragment, "frag");
  EXPECT_FALSE(p.is_app);
}

TEST(SplitUrl, MissingScheme) {
  EXPECT_EQ(MustSplit("www.example.com/x?q=1").host, "www.example.com");
  EXPECT_EQ(MustSplit("//cdn.example.com/x").host, "cdn.example.com");
  const UrlParts local = MustSplit("localhost:3000/admin");
  EXPECT_EQ(local.host, "localhost");
  EXPECT_EQ(local.port, "3000");
  EXPECT_EQ(local.path, "/admin");
}

TEST(SplitUrl, SpecialSchemesWithoutSlashes) {
  EXPECT_EQ(MustSplit("https:www.google.com/").host, "www.google.com");
  EXPECT_EQ(MustSplit("http:\\\\example.com\\x").host, "example.com");
}

TEST(SplitUrl, NonHierarchicalSchemesHaveNoHost) {
  EXPECT_EQ(MustSplit("mailto:someone@example.com").host, "");
  EXPECT_EQ(MustSplit("javascript:void(0)").host, "");
}

TEST(SplitUrl, RelativeAndEmpty) {
  const UrlParts rel = MustSplit("/landing?utm_source=x");
  EXPECT_EQ(rel.host, "");
  EXPECT_EQ(rel.path, "/landing");
  EXPECT_EQ(rel.query, "utm_source=x");
  EXPECT_EQ(MustSplit("").host, "");
  EXPECT_EQ(MustSplit("   ").host, "");
  EXPECT_EQ(MustSplit("?gclid=1").query, "gclid=1");
}

TEST(SplitUrl, HashRoutingQuery) {
  const UrlParts p = MustSplit("https://app.example/#/landing?utm_source=fb");
  EXPECT_EQ(p.query, "");
  EXPECT_EQ(p.fragment_query, "utm_source=fb");
  EXPECT_EQ(p.fragment, "/landing?utm_source=fb");
  const UrlParts both = MustSplit("https://app.example/?a=1#/x?b=2");
  EXPECT_EQ(both.query, "a=1");
  EXPECT_EQ(both.fragment_query, "b=2");
}

TEST(SplitUrl, OtherSchemesTakeExactlyTwoSlashes) {
  const UrlParts file = MustSplit("file:///home/user/page.html");
  EXPECT_EQ(file.host, "");
  EXPECT_EQ(file.path, "/home/user/page.html");
  EXPECT_EQ(MustSplit("https:///www.google.com/").host, "www.google.com");
}

TEST(SplitUrl, HostOnlyAcceptsAMissingHost) {
  UrlParts p;
  EXPECT_TRUE(SplitUrl("https://", &p, UrlScope::kHostOnly).ok());
  EXPECT_EQ(p.host, "");
  EXPECT_EQ(SplitUrl("https://", &p).code(), ErrorCode::kInvalidUrl);
}

TEST(SplitUrl, SpacesAndUtf8InPathAndQuery) {
  const UrlParts p = MustSplit("https://shop.example/landing page?q=café au lait");
  EXPECT_EQ(p.path, "/landing page");
  EXPECT_EQ(p.query, "q=café au lait");
}

TEST(SplitUrl, HostForms) {
  EXPECT_EQ(MustSplit("https://example.com./").host, "example.com");
  EXPECT_EQ(MustSplit("https://[2001:db8::1]:443/").host, "2001:db8::1");
  EXPECT_EQ(MustSplit("https://bücher.de/").host, "bücher.de");
  EXPECT_EQ(MustSplit("https://under_score.example.com/").host, "under_score.example.com");
  const UrlParts app = MustSplit("android-app://com.google.android.gm/");
  EXPECT_TRUE(app.is_app);
  EXPECT_EQ(app.host, "com.google.android.gm");
}

TEST(SplitUrl, Errors) {
  UrlParts p;
  const auto code = [&p](std::string_view url) { return SplitUrl(url, &p).code(); };
  EXPECT_EQ(code("http://"), ErrorCode::kInvalidUrl);
  EXPECT_EQ(code("https://exa mple.com/"), ErrorCode::kInvalidUrl);
  EXPECT_EQ(code("https://a..b/"), ErrorCode::kInvalidUrl);
  EXPECT_EQ(SplitUrl("http://a../", &p).message(), "empty label in host \"a..\"");
  EXPECT_EQ(code("https://[::1/"), ErrorCode::kInvalidUrl);
  EXPECT_EQ(code("https://[::1]x/"), ErrorCode::kInvalidUrl);
  EXPECT_EQ(code("https://h:65536/"), ErrorCode::kInvalidUrl);
  EXPECT_EQ(code("https://h:123456/"), ErrorCode::kInvalidUrl);
  EXPECT_EQ(code("https://h:-1/"), ErrorCode::kInvalidUrl);
  EXPECT_EQ(code("https://ex\xFFmple.com/"), ErrorCode::kInvalidUrl);
  EXPECT_EQ(code(std::string_view("https://a.com/\0x", 16)), ErrorCode::kInvalidUrl);
  EXPECT_EQ(code("https://a.com/x\ny"), ErrorCode::kInvalidUrl);
  EXPECT_EQ(code("https://a.com/\x7F"), ErrorCode::kInvalidUrl);
  EXPECT_TRUE(SplitUrl("https://h:65535/", &p).ok());
}

TEST(SplitUrl, ControlCharacterMessageNamesPosition) {
  UrlParts p;
  const Status s = SplitUrl("https://a.com/x\ty", &p);
  EXPECT_EQ(s.message(), "control character 0x09 at byte 15");
}

TEST(SplitUrl, UrlLengthLimit) {
  UrlParts p;
  const std::string prefix = "https://a.com/";
  std::string at_limit = prefix + std::string(kMaxUrlBytes - prefix.size(), 'x');
  EXPECT_TRUE(SplitUrl(at_limit, &p).ok());
  EXPECT_EQ(SplitUrl(at_limit + "x", &p).code(), ErrorCode::kLimitExceeded);
}

TEST(SplitUrl, Ipv6LengthLimit) {
  UrlParts p;
  const std::string at_limit = "1:2:3:4:5:6:" + std::string(45 - 12, '1');
  ASSERT_EQ(at_limit.size(), 45u);
  EXPECT_TRUE(SplitUrl("https://[" + at_limit + "]/", &p).ok());
  EXPECT_EQ(SplitUrl("https://[" + at_limit + "1]/", &p).message(),
            "IPv6 host is 46 bytes, over the 45-byte limit");
  EXPECT_EQ(SplitUrl("https://[" + std::string(300, '.') + "]/", &p).code(),
            ErrorCode::kInvalidUrl);
}

TEST(SplitUrl, HostLengthLimit) {
  UrlParts p;
  std::string host;
  while (host.size() < kMaxHostBytes) host += "a.";
  host.resize(kMaxHostBytes);  // ends in 'a' or '.': make it a label character
  host.back() = 'a';
  EXPECT_TRUE(SplitUrl("https://" + host + "/", &p).ok());
  EXPECT_EQ(SplitUrl("https://" + host + "a/", &p).code(), ErrorCode::kInvalidUrl);
}

TEST(QueryIterator, SplitsPairs) {
  QueryIterator it("a=1&&b&c=x=y&=v");
  std::string_view n, v;
  ASSERT_TRUE(it.Next(&n, &v));
  EXPECT_EQ(n, "a");
  EXPECT_EQ(v, "1");
  ASSERT_TRUE(it.Next(&n, &v));
  EXPECT_EQ(n, "b");
  EXPECT_EQ(v, "");
  ASSERT_TRUE(it.Next(&n, &v));
  EXPECT_EQ(n, "c");
  EXPECT_EQ(v, "x=y");
  ASSERT_TRUE(it.Next(&n, &v));
  EXPECT_EQ(n, "");
  EXPECT_EQ(v, "v");
  EXPECT_FALSE(it.Next(&n, &v));
}

}  // namespace
}  // namespace attrib
