// The parsers of untrusted request bytes below HTTP: query strings and encoded bodies, at their
// limits and one past them.
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "server/body.h"
#include "server/limits.h"
#include "server/params.h"

namespace attrib::server {
namespace {

// `data` compressed with zlib's window_bits (31 gzip, 15 zlib, −15 raw deflate).
std::string Compress(std::string_view data, int window_bits) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

TEST(Params, DecodesNamesAndValues) {
  Result<std::map<std::string, std::string>> p =
      ParseParams("from=2026-10-01&by=source_medium&q=a%20b+c&flag&&x=%zz");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->at("from"), "2026-10-01");
  EXPECT_EQ(p->at("by"), "source_medium");
  EXPECT_EQ(p->at("q"), "a b c");
  EXPECT_EQ(p->at("flag"), "");
  EXPECT_EQ(p->at("x"), "%zz");  // not an escape: kept as it is
}

TEST(Params, RefusesANameGivenTwice) {
  // Also when only the decoding makes them equal.
  for (const char* query : {"model=linear&model=first_touch", "by=a&%62y=b"}) {
    Result<std::map<std::string, std::string>> p = ParseParams(query);
    ASSERT_FALSE(p.ok()) << query;
    EXPECT_EQ(p.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(p.status().message().find("given twice"), std::string::npos);
  }
}

TEST(Params, LimitsAtLimitPlusOne) {
  std::string query;
  for (size_t i = 0; i < kMaxParams; ++i) query += "p" + std::to_string(i) + "=1&";
  EXPECT_TRUE(ParseParams(query).ok());
  Result<std::map<std::string, std::string>> over = ParseParams(query + "one_more=1");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), ErrorCode::kLimitExceeded);

  EXPECT_TRUE(ParseParams("v=" + std::string(kMaxParamBytes, 'a')).ok());
  over = ParseParams("v=" + std::string(kMaxParamBytes + 1, 'a'));
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.status().message().find("v"), std::string::npos);
}

TEST(Body, IdentityAndEveryDeflateFraming) {
  const std::string text = R"({"batch":[{"type":"track","event":"x","userId":"u"}]})";
  std::string out;
  for (const auto& [encoding, body] : {std::pair<std::string, std::string>{"", text},
                                       {"identity", text},
                                       {"gzip", Compress(text, 31)},
                                       {"x-gzip", Compress(text, 31)},
                                       {"GZip", Compress(text, 31)},
                                       {"deflate", Compress(text, 15)},
                                       {"deflate", Compress(text, -15)}}) {
    const DecodedBody d = DecodeBody(encoding, body, kMaxBodyBytes, &out);
    EXPECT_EQ(d.error, BodyError::kNone) << encoding << ": " << d.message;
    EXPECT_EQ(out, text) << encoding;
  }
}

TEST(Body, RefusesWhatItCannotDecode) {
  std::string out;
  EXPECT_EQ(DecodeBody("br", "x", kMaxBodyBytes, &out).error, BodyError::kUnsupportedEncoding);
  EXPECT_EQ(DecodeBody("gzip, br", "x", kMaxBodyBytes, &out).error,
            BodyError::kUnsupportedEncoding);
  EXPECT_EQ(DecodeBody("gzip", "not gzip at all", kMaxBodyBytes, &out).error, BodyError::kCorrupt);
  std::string cut = Compress("hello, world, hello, world", 31);
  cut.pop_back();
  EXPECT_EQ(DecodeBody("gzip", cut, kMaxBodyBytes, &out).error, BodyError::kCorrupt);
  // Bytes after the gzip member.
  EXPECT_EQ(DecodeBody("gzip", Compress("x", 31) + "tail", kMaxBodyBytes, &out).error,
            BodyError::kCorrupt);
  EXPECT_EQ(DecodeBody("gzip", "", kMaxBodyBytes, &out).error, BodyError::kCorrupt);
}

TEST(Body, DecodedSizeLimitAtLimitPlusOne) {
  std::string out;
  const std::string at(kMaxBodyBytes, 'a');
  EXPECT_EQ(DecodeBody("gzip", Compress(at, 31), kMaxBodyBytes, &out).error, BodyError::kNone);
  EXPECT_EQ(out.size(), kMaxBodyBytes);
  EXPECT_EQ(DecodeBody("gzip", Compress(at + "a", 31), kMaxBodyBytes, &out).error,
            BodyError::kTooLarge);
  EXPECT_EQ(DecodeBody("", at, kMaxBodyBytes, &out).error, BodyError::kNone);
  EXPECT_EQ(DecodeBody("", at + "a", kMaxBodyBytes, &out).error, BodyError::kTooLarge);
  // A bomb: 100 MB of zeros in about 100 KB, stopped at the limit.
  const DecodedBody d =
      DecodeBody("deflate", Compress(std::string(100 << 20, '\0'), 15), kMaxBodyBytes, &out);
  EXPECT_EQ(d.error, BodyError::kTooLarge);
  EXPECT_LE(out.capacity(), 2 * kMaxBodyBytes + 1);
}

}  // namespace
}  // namespace attrib::server
