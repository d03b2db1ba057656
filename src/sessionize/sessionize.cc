#include "sessionize/sessionize.h"

#include <fmt/format.h>

#include "common/strings.h"
#include "common/url.h"

namespace attrib::sessionize {

Status SessionOptions::Validate() const {
  if (timeout < kMinute || timeout > 24 * 60 * kMinute) {
    return Status::InvalidArgument(fmt::format(
        "sessions.timeout_minutes must be between 1 and 1440, not {}", timeout / kMinute));
  }
  for (const std::string& host : referral_exclusions) {
    // Referrer hosts never start or end with a dot: ".paypal.com" or "*.paypal.com" would
    // silently match nothing.
    if (host.empty() || host.find_first_of("/: \t*") != std::string::npos || host.front() == '.' ||
        host.back() == '.') {
      return Status::InvalidArgument(fmt::format(
          "sessions.referral_exclusions: \"{}\" is not a host name like \"paypal.com\"", host));
    }
  }
  return Status::Ok();
}

ReferralExclusions::ReferralExclusions(const std::vector<std::string>& hosts) {
  for (const std::string& h : hosts) hosts_.push_back(AsciiLowerCopy(TrimAscii(h)));
}

bool ReferralExclusions::Excludes(std::string_view referrer) const {
  if (hosts_.empty() || referrer.empty()) return false;
  UrlParts parts;
  if (!SplitUrl(referrer, &parts, UrlScope::kHostOnly).ok()) return false;
  const std::string_view host = parts.host;
  for (const std::string& h : hosts_) {
    if (host.size() >= h.size() && EqualsIgnoreCase(host.substr(host.size() - h.size()), h) &&
        (host.size() == h.size() || host[host.size() - h.size() - 1] == '.')) {
      return true;
    }
  }
  return false;
}

void Sessionize(std::span<const Activity> activities, const SessionOptions& options,
                uint32_t no_url_touch, std::vector<Session>* out) {
  const size_t first_session = out->size();
  bool classified = false;  // the current session has its touch
  for (uint32_t i = 0; i < activities.size(); ++i) {
    const Activity& a = activities[i];
    const bool has_url = a.flags & kHasUrl;
    bool start = out->size() == first_session;
    if (!start) {
      const Session& s = out->back();
      const Micros gap = a.at - s.end;
      const bool excluded_return = (a.flags & kExcludedReferrer) && gap <= kMaxExcludedReturn;
      start = (gap > options.timeout && !excluded_return) ||
              (options.split_on_campaign && classified && (a.flags & kCampaignSignal) &&
               a.touch != s.touch);
    }
    if (start) {
      out->push_back(Session{a.at, a.at, no_url_touch, i, 0});
      classified = false;
    }
    Session& s = out->back();
    if (has_url && !classified) {
      s.touch = a.touch;
      classified = true;
    }
    s.end = a.at;
    ++s.count;
  }
}

}  // namespace attrib::sessionize
