// Sessions: the timeout and campaign splits at their edges, the session's touch, referral
// exclusions; and a property that characterises every session boundary over random activity.
#include "sessionize/sessionize.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <tuple>

namespace attrib::sessionize {
namespace {

constexpr Micros kT0 = 1'700'000'000'000'000;
constexpr uint32_t kNoUrl = 99;  // the touch of a session without a page URL

// A session as text, so that a failed comparison shows every field.
std::string Str(const Session& s) {
  return fmt::format("{{start={} end={} touch={} first={} count={}}}", s.start - kT0, s.end - kT0,
                     s.touch, s.first, s.count);
}

std::vector<Session> Split(const std::vector<Activity>& activities,
                           const SessionOptions& options = SessionOptions{}) {
  std::vector<Session> out;
  Sessionize(activities, options, kNoUrl, &out);
  return out;
}

Activity Page(Micros at, uint32_t touch) { return Activity{at, touch, kHasUrl}; }
Activity Campaign(Micros at, uint32_t touch) {
  return Activity{at, touch, kHasUrl | kCampaignSignal};
}
Activity Screen(Micros at) { return Activity{at, 0, 0}; }

TEST(Sessionize, NothingGivesNoSession) { EXPECT_TRUE(Split({}).empty()); }

TEST(Sessionize, TimeoutSplitsExactlyAfterTheBoundary) {
  constexpr Micros kTimeout = 30 * kMinute;
  const std::vector<Session> sessions = Split({
      Page(kT0, 1), Page(kT0 + kTimeout, 2),  // a gap of exactly the timeout: same session
      Page(kT0 + 2 * kTimeout + 1, 3),        // timeout + 1 µs: a new session
      Screen(kT0 + 3 * kTimeout + 1),         // exactly the timeout again
      Page(kT0 + 4 * kTimeout + 2 + 5, 4),    // well past it
  });
  ASSERT_EQ(sessions.size(), 3u);
  EXPECT_EQ(Str(sessions[0]), Str(Session{kT0, kT0 + kTimeout, 1, 0, 2}));
  EXPECT_EQ(Str(sessions[1]),
            Str(Session{kT0 + 2 * kTimeout + 1, kT0 + 3 * kTimeout + 1, 3, 2, 2}));
  EXPECT_EQ(Str(sessions[2]),
            Str(Session{kT0 + 4 * kTimeout + 7, kT0 + 4 * kTimeout + 7, 4, 4, 1}));
}

TEST(Sessionize, CustomTimeout) {
  SessionOptions options;
  options.timeout = 5 * kMinute;
  const std::vector<Session> sessions =
      Split({Page(kT0, 1), Page(kT0 + 5 * kMinute, 2), Page(kT0 + 10 * kMinute + 1, 3)}, options);
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(Str(sessions[0]), Str(Session{kT0, kT0 + 5 * kMinute, 1, 0, 2}));
  EXPECT_EQ(Str(sessions[1]),
            Str(Session{kT0 + 10 * kMinute + 1, kT0 + 10 * kMinute + 1, 3, 2, 1}));
  // The default 30 minutes would have kept them together.
  EXPECT_EQ(
      Split({Page(kT0, 1), Page(kT0 + 5 * kMinute, 2), Page(kT0 + 10 * kMinute + 1, 3)}).size(),
      1u);
}

TEST(Sessionize, EventsAtTheSameTimeShareASession) {
  const std::vector<Session> sessions = Split({Page(kT0, 1), Screen(kT0), Page(kT0, 2)});
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(Str(sessions[0]), Str(Session{kT0, kT0, 1, 0, 3}));
}

TEST(Sessionize, TouchIsTheFirstEventWithAUrl) {
  const std::vector<Session> sessions = Split(
      {Screen(kT0), Screen(kT0 + kMinute), Page(kT0 + 2 * kMinute, 7), Page(kT0 + 3 * kMinute, 9)});
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(Str(sessions[0]), Str(Session{kT0, kT0 + 3 * kMinute, 7, 0, 4}));
}

TEST(Sessionize, SessionWithoutUrlGetsTheNoUrlTouch) {
  const std::vector<Session> sessions =
      Split({Page(kT0, 7), Screen(kT0 + kMinute), Screen(kT0 + 40 * kMinute),
             Activity{kT0 + 41 * kMinute, 5, 0}});  // a touch without kHasUrl means nothing
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(Str(sessions[0]), Str(Session{kT0, kT0 + kMinute, 7, 0, 2}));
  EXPECT_EQ(Str(sessions[1]), Str(Session{kT0 + 40 * kMinute, kT0 + 41 * kMinute, kNoUrl, 2, 2}));
}

TEST(Sessionize, DifferentCampaignStartsANewSession) {
  const std::vector<Session> sessions =
      Split({Page(kT0, 1), Page(kT0 + kMinute, 1), Campaign(kT0 + 2 * kMinute, 2),
             Page(kT0 + 3 * kMinute, 1)});
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(Str(sessions[0]), Str(Session{kT0, kT0 + kMinute, 1, 0, 2}));
  // The page after the campaign click stays in the campaign's session: no campaign signal.
  EXPECT_EQ(Str(sessions[1]), Str(Session{kT0 + 2 * kMinute, kT0 + 3 * kMinute, 2, 2, 2}));
}

TEST(Sessionize, SameCampaignContinuesTheSession) {
  const std::vector<Session> sessions =
      Split({Campaign(kT0, 2), Page(kT0 + kMinute, 3), Campaign(kT0 + 2 * kMinute, 2)});
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(Str(sessions[0]), Str(Session{kT0, kT0 + 2 * kMinute, 2, 0, 3}));
}

TEST(Sessionize, CampaignAtTheSameInstantStillSplits) {
  const std::vector<Session> sessions = Split({Page(kT0, 1), Campaign(kT0, 2)});
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(Str(sessions[0]), Str(Session{kT0, kT0, 1, 0, 1}));
  EXPECT_EQ(Str(sessions[1]), Str(Session{kT0, kT0, 2, 1, 1}));
}

TEST(Sessionize, CampaignSplitCanBeTurnedOff) {
  SessionOptions options;
  options.split_on_campaign = false;
  const std::vector<Session> sessions =
      Split({Page(kT0, 1), Campaign(kT0 + kMinute, 2), Campaign(kT0 + 2 * kMinute, 3)}, options);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(Str(sessions[0]), Str(Session{kT0, kT0 + 2 * kMinute, 1, 0, 3}));
}

TEST(Sessionize, CampaignInAnUnclassifiedSessionClassifiesIt) {
  const std::vector<Session> sessions =
      Split({Screen(kT0), Campaign(kT0 + kMinute, 2), Campaign(kT0 + 2 * kMinute, 3)});
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(Str(sessions[0]), Str(Session{kT0, kT0 + kMinute, 2, 0, 2}));
  EXPECT_EQ(Str(sessions[1]), Str(Session{kT0 + 2 * kMinute, kT0 + 2 * kMinute, 3, 2, 1}));
}

TEST(Sessionize, CampaignEqualToTheNoUrlTouchStillClassifies) {
  // An app session (no URL yet) then a campaign whose touch id happens to equal no_url_touch:
  // it classifies the session rather than splitting it.
  const std::vector<Session> sessions = Split({Screen(kT0), Campaign(kT0 + kMinute, kNoUrl)});
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(Str(sessions[0]), Str(Session{kT0, kT0 + kMinute, kNoUrl, 0, 2}));
}

TEST(Sessionize, ExcludedReferrerContinuesTheSessionPastTheTimeout) {
  // The buyer pays at the provider for two hours, then returns with the provider's referrer.
  const Activity back{kT0 + 120 * kMinute, 5, kHasUrl | kExcludedReferrer};
  const std::vector<Session> sessions =
      Split({Page(kT0, 1), back, Page(kT0 + 151 * kMinute, 6)});  // then 31 minutes of quiet
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(Str(sessions[0]), Str(Session{kT0, kT0 + 120 * kMinute, 1, 0, 2}));
  EXPECT_EQ(Str(sessions[1]), Str(Session{kT0 + 151 * kMinute, kT0 + 151 * kMinute, 6, 2, 1}));
}

TEST(Sessionize, ExcludedReferrerAfterADayIsANewVisit) {
  // A click on the provider's receipt a day later is a new visit (still classified without the
  // provider as referrer).
  const Activity at_limit{kT0 + kMaxExcludedReturn, 5, kHasUrl | kExcludedReferrer};
  EXPECT_EQ(Split({Page(kT0, 1), at_limit}).size(), 1u);
  const Activity later{kT0 + kMaxExcludedReturn + 1, 5, kHasUrl | kExcludedReferrer};
  EXPECT_EQ(Split({Page(kT0, 1), later}).size(), 2u);
}

TEST(Sessionize, AppendsAfterExistingSessions) {
  std::vector<Session> out = {Session{kT0, kT0, 4, 0, 1}};
  const std::vector<Activity> activities = {Page(kT0 + kMinute, 1), Page(kT0 + 2 * kMinute, 2)};
  Sessionize(activities, SessionOptions{}, kNoUrl, &out);
  // Another person's session is never continued, however close in time.
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(Str(out[0]), Str(Session{kT0, kT0, 4, 0, 1}));
  EXPECT_EQ(Str(out[1]), Str(Session{kT0 + kMinute, kT0 + 2 * kMinute, 1, 0, 2}));
}

// Random activity of one person: gaps of 0–90 minutes (often exactly 30), touches 0–3, any flags.
rc::Gen<std::vector<Activity>> Activities() {
  return rc::gen::map(
      rc::gen::container<std::vector<std::tuple<int, uint32_t, uint8_t>>>(
          rc::gen::tuple(rc::gen::oneOf(rc::gen::just(30), rc::gen::inRange(0, 91)),
                         rc::gen::inRange<uint32_t>(0, 4), rc::gen::inRange<uint8_t>(0, 8))),
      [](const std::vector<std::tuple<int, uint32_t, uint8_t>>& raw) {
        std::vector<Activity> activities;
        Micros at = kT0;
        for (const auto& [gap, touch, flags] : raw) {
          at += gap * kMinute + (gap == 30 ? (touch & 1) : 0);  // 30 min, and 30 min + 1 µs
          // kCampaignSignal comes only with kHasUrl.
          const uint8_t f = (flags & kCampaignSignal) ? (flags | kHasUrl) : flags;
          activities.push_back(Activity{at, touch, f});
        }
        return activities;
      });
}

RC_GTEST_PROP(Sessionize, EveryBoundaryHasItsReason, ()) {
  const std::vector<Activity> activities = *Activities();
  SessionOptions options;
  options.split_on_campaign = *rc::gen::arbitrary<bool>();
  const std::vector<Session> sessions = Split(activities, options);
  RC_ASSERT(sessions.empty() == activities.empty());
  uint32_t next = 0;
  for (size_t k = 0; k < sessions.size(); ++k) {
    const Session& s = sessions[k];
    RC_ASSERT(s.first == next);  // sessions partition the activities, in order
    RC_ASSERT(s.count >= 1u);
    next = s.first + s.count;
    RC_ASSERT(next <= activities.size());
    RC_ASSERT(s.start == activities[s.first].at);
    RC_ASSERT(s.end == activities[next - 1].at);
    // The touch: the first activity with a URL, else no_url_touch.
    uint32_t touch = kNoUrl;
    size_t classified_at = next;
    for (uint32_t i = s.first; i < next; ++i) {
      if (activities[i].flags & kHasUrl) {
        touch = activities[i].touch;
        classified_at = i;
        break;
      }
    }
    RC_ASSERT(s.touch == touch);
    // Inside: no gap over the timeout except on an excluded referrer, and no other campaign
    // after the session is classified.
    for (uint32_t i = s.first + 1; i < next; ++i) {
      const Activity& a = activities[i];
      const Micros gap = a.at - activities[i - 1].at;
      RC_ASSERT(gap <= options.timeout ||
                ((a.flags & kExcludedReferrer) && gap <= kMaxExcludedReturn));
      if (options.split_on_campaign && i > classified_at && (a.flags & kCampaignSignal)) {
        RC_ASSERT(a.touch == s.touch);
      }
    }
    // At the start: a gap over the timeout, or a different campaign after a classified session.
    if (k > 0) {
      const Session& before = sessions[k - 1];
      const Activity& a = activities[s.first];
      const Micros gap = a.at - before.end;
      const bool timed_out =
          gap > options.timeout && !((a.flags & kExcludedReferrer) && gap <= kMaxExcludedReturn);
      const bool before_classified = before.touch != kNoUrl;  // touches are 0–3
      const bool new_campaign = options.split_on_campaign && before_classified &&
                                (a.flags & kCampaignSignal) && a.touch != before.touch;
      RC_ASSERT(timed_out || new_campaign);
    }
  }
  RC_ASSERT(next == activities.size());
}

TEST(SessionReferralExclusions, DotBoundaryHostMatch) {
  const ReferralExclusions exclusions(SessionOptions{}.referral_exclusions);
  EXPECT_TRUE(exclusions.Excludes("https://www.paypal.com/checkoutnow?token=EC-1"));
  EXPECT_TRUE(exclusions.Excludes("https://paypal.com/"));
  EXPECT_TRUE(exclusions.Excludes("https://a.b.paypal.com"));
  EXPECT_FALSE(exclusions.Excludes("https://notpaypal.com/"));
  EXPECT_FALSE(exclusions.Excludes("https://paypal.com.evil.example/"));
  EXPECT_FALSE(exclusions.Excludes("https://paypal.co/"));
  EXPECT_FALSE(exclusions.Excludes("https://example.com/?ref=paypal.com"));
  // "checkout.stripe.com" covers itself and below, not the rest of stripe.com.
  EXPECT_TRUE(exclusions.Excludes("https://checkout.stripe.com/c/pay/cs_live_1"));
  EXPECT_FALSE(exclusions.Excludes("https://stripe.com/"));
  EXPECT_FALSE(exclusions.Excludes("https://dashboard.stripe.com/"));
  EXPECT_TRUE(exclusions.Excludes("https://pay.google.com/gp/p/ui/pay"));
  EXPECT_FALSE(exclusions.Excludes("https://www.google.com/"));
}

TEST(SessionReferralExclusions, CaseInsensitiveFullUrls) {
  const ReferralExclusions exclusions(SessionOptions{}.referral_exclusions);
  EXPECT_TRUE(exclusions.Excludes("HTTPS://WWW.PayPal.COM:443/cgi-bin/webscr?cmd=_express"));
  EXPECT_TRUE(exclusions.Excludes("https://user@www.paypal.com:8443/x#frag"));
  EXPECT_TRUE(exclusions.Excludes("  https://www.paypal.com/  "));
  EXPECT_TRUE(exclusions.Excludes("https://www.paypal.com./"));  // a final dot
  EXPECT_TRUE(exclusions.Excludes("www.paypal.com/checkout"));   // no scheme
  // Configured hosts are trimmed and lower-cased.
  const ReferralExclusions custom({" Shop-Pay.EXAMPLE "});
  EXPECT_TRUE(custom.Excludes("https://checkout.shop-pay.example/return"));
  EXPECT_FALSE(custom.Excludes("https://www.paypal.com/"));
}

TEST(SessionReferralExclusions, JunkAndEmptyReferrersAreNotExcluded) {
  const ReferralExclusions exclusions(SessionOptions{}.referral_exclusions);
  EXPECT_FALSE(exclusions.Excludes(""));
  EXPECT_FALSE(exclusions.Excludes("   "));
  EXPECT_FALSE(exclusions.Excludes("http://"));
  EXPECT_FALSE(exclusions.Excludes("https://pay pal.com/"));
  EXPECT_FALSE(exclusions.Excludes("https://www.paypal.com:99999999/"));
  EXPECT_FALSE(exclusions.Excludes("https://..paypal.com/"));
  EXPECT_FALSE(exclusions.Excludes(std::string_view("https://www.paypal.com\0/", 24)));
  EXPECT_FALSE(exclusions.Excludes("android-app://com.paypal.android.p2pmobile/"));
  const ReferralExclusions none({});
  EXPECT_FALSE(none.Excludes("https://www.paypal.com/"));
}

TEST(SessionOptions, DefaultsAreValid) {
  EXPECT_TRUE(SessionOptions{}.Validate().ok());
  SessionOptions options;
  options.timeout = kMinute;
  EXPECT_TRUE(options.Validate().ok());
  options.timeout = 24 * 60 * kMinute;
  EXPECT_TRUE(options.Validate().ok());
  options.referral_exclusions.clear();
  EXPECT_TRUE(options.Validate().ok());
}

TEST(SessionOptions, ErrorsNameTheKey) {
  for (const Micros timeout : {Micros{0}, kMinute - 1, 24 * 60 * kMinute + kMinute, Micros{-1}}) {
    SCOPED_TRACE(timeout);
    SessionOptions options;
    options.timeout = timeout;
    const Status status = options.Validate();
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(status.message().find("sessions.timeout_minutes"), std::string::npos)
        << status.message();
  }
  for (const char* host :
       {"", "https://paypal.com", "paypal.com/checkout", "pay pal.com", "paypal.com:443",
        "\tpaypal.com", ".paypal.com", "*.paypal.com", "paypal.com.", "."}) {
    SCOPED_TRACE(host);
    SessionOptions options;
    options.referral_exclusions.push_back(host);
    const Status status = options.Validate();
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(status.message().find("sessions.referral_exclusions"), std::string::npos)
        << status.message();
  }
}

}  // namespace
}  // namespace attrib::sessionize
