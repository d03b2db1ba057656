// Sessions: a person's activity split into visits. A session ends after `timeout` of
// inactivity; a new one also starts when an event brings a campaign signal (a click id or utm
// tags) that differs from the session's entry, as Google Analytics does. Referrers on the
// exclusion list (payment providers returning the buyer to the shop) never classify a session
// and do not start one by inactivity within kMaxExcludedReturn (the event's own click ids or utm
// tags still count). The session's touchpoint is the classification of its first event with a
// page URL.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attrib/clock.h"
#include "attrib/status.h"

namespace attrib::sessionize {

inline constexpr Micros kMinute = 60'000'000;
// How long after the last event a return from an excluded referrer still continues the session
// (a payment takes minutes; a click on a receipt link days later is a new visit).
inline constexpr Micros kMaxExcludedReturn = 24 * 60 * kMinute;

struct SessionOptions {
  Micros timeout = 30 * kMinute;  // inactivity that ends a session; 1 minute … 24 hours
  bool split_on_campaign = true;  // a different click id or utm tags starts a new session
  // Referrer hosts (and their subdomains) that neither start nor classify a session.
  std::vector<std::string> referral_exclusions = {
      "paypal.com", "checkout.stripe.com",  "klarna.com",           "pay.google.com",
      "adyen.com",  "checkout.shopify.com", "secure.authorize.net", "sofort.com",
      "mollie.com", "afterpay.com",         "affirm.com",           "3dsecure.io"};

  // The options' problems, if any, named by their keys.
  Status Validate() const;
};

// True when `referrer` is a URL whose host is on the exclusion list (dot-boundary match:
// "paypal.com" covers "www.paypal.com", not "notpaypal.com").
class ReferralExclusions {
 public:
  explicit ReferralExclusions(const std::vector<std::string>& hosts);
  bool Excludes(std::string_view referrer) const;

 private:
  std::vector<std::string> hosts_;  // lower-case
};

// One event of a person, as sessionization sees it.
struct Activity {
  Micros at = 0;
  uint32_t touch = 0;  // the event's classification (an id); meaningful with kHasUrl
  uint8_t flags = 0;   // the k* bits below
};
inline constexpr uint8_t kHasUrl = 1;            // the event had a page URL and was classified
inline constexpr uint8_t kCampaignSignal = 2;    // … by a rule reading click ids or utm tags
inline constexpr uint8_t kExcludedReferrer = 4;  // its referrer is on the exclusion list

struct Session {
  Micros start = 0;
  Micros end = 0;      // the time of its last event
  uint32_t touch = 0;  // the first classified event's touch, else `no_url_touch`
  uint32_t first = 0;  // index of its first activity
  uint32_t count = 0;  // activities in it
};

// Appends the sessions of one person's activities, which are ordered by time, to `out`.
// `no_url_touch` is the touch of a session without any page URL (an app's screens: direct).
void Sessionize(std::span<const Activity> activities, const SessionOptions& options,
                uint32_t no_url_touch, std::vector<Session>* out);

}  // namespace attrib::sessionize
