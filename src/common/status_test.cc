#include "attrib/status.h"

#include <gtest/gtest.h>

#include "attrib/clock.h"

namespace attrib {
namespace {

TEST(Status, StableWireCodes) {
  // These names are a public contract (CLI messages, HTTP error bodies): never rename them.
  EXPECT_EQ(ErrorCodeName(ErrorCode::kOk), "ok");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kInvalidArgument), "invalid_argument");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kInvalidUrl), "invalid_url");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kInvalidRules), "invalid_rules");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kLimitExceeded), "limit_exceeded");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kNotFound), "not_found");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kAlreadyExists), "already_exists");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kIoError), "io_error");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kInternal), "internal");
  EXPECT_EQ(ErrorCodeHttpStatus(ErrorCode::kInvalidUrl), 400);
  EXPECT_EQ(ErrorCodeHttpStatus(ErrorCode::kLimitExceeded), 413);
  EXPECT_EQ(ErrorCodeHttpStatus(ErrorCode::kAlreadyExists), 409);
  EXPECT_EQ(ErrorCodeHttpStatus(ErrorCode::kInternal), 500);
}

TEST(Status, Basics) {
  EXPECT_TRUE(Status::Ok().ok());
  const Status s = Status::InvalidUrl("bad host");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.ToString(), "invalid_url: bad host");
}

Result<int> Half(int x) {
  if (x % 2) return Status::InvalidArgument("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  ATTRIB_ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

TEST(Result, ValueOrStatus) {
  ASSERT_TRUE(Quarter(8).ok());
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().message(), "odd");
  EXPECT_TRUE(Quarter(8).status().ok());
}

TEST(Clock, FakeClockMovesOnlyWhenTold) {
  FakeClock clock(1000);
  EXPECT_EQ(clock.Now(), 1000);
  clock.Advance(500);
  EXPECT_EQ(clock.Now(), 1500);
  clock.Set(7);
  EXPECT_EQ(clock.Now(), 7);
  SystemClock system;
  EXPECT_GT(system.Now(), 1'700'000'000'000'000);  // after 2023, in microseconds
}

}  // namespace
}  // namespace attrib
