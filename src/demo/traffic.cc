#include "demo/traffic.h"

#include <fmt/format.h>

#include <string_view>

namespace attrib::demo {
namespace {

constexpr std::string_view kProducts[] = {
    "linen-shirt",   "wool-socks",  "rain-jacket", "canvas-tote", "leather-belt",
    "running-shoes", "denim-jeans", "silk-scarf",  "field-watch", "sun-hat"};
constexpr std::string_view kCollections[] = {"new", "sale", "summer", "men", "women", "gifts"};
constexpr std::string_view kPosts[] = {"how-to-layer", "care-guide", "our-mills", "size-help"};
constexpr std::string_view kCampaigns[] = {"spring_sale",    "Summer Launch", "brand-2026",
                                           "retargeting_q3", "black_friday",  "newsletter_w14"};
constexpr std::string_view kGoogleHosts[] = {
    "www.google.com", "www.google.com",    "www.google.com", "www.google.co.uk", "www.google.de",
    "www.google.fr",  "www.google.com.br", "www.google.ca",  "google.com"};
constexpr std::string_view kOtherSearch[] = {"www.bing.com",     "duckduckgo.com",
                                             "search.yahoo.com", "www.ecosia.org",
                                             "yandex.ru",        "search.brave.com"};
constexpr std::string_view kSocial[] = {"https://t.co/x8Kd2",
                                        "https://www.linkedin.com/",
                                        "https://www.reddit.com/r/malefashionadvice/",
                                        "https://www.youtube.com/",
                                        "https://www.pinterest.com/",
                                        "https://x.com/",
                                        "https://out.reddit.com/t3_abc",
                                        "https://www.tiktok.com/"};
constexpr std::string_view kReferrals[] = {"https://news.ycombinator.com/item?id=4242",
                                           "https://www.nytimes.com/wirecutter/gifts/",
                                           "https://medium.com/@stylist/fall-picks-123",
                                           "https://www.gearpatrol.com/best-of-2026",
                                           "https://www.bbc.co.uk/news",
                                           "https://forum.outdoorsy.net/t/jackets",
                                           "https://www.theverge.com/deals",
                                           "https://sites.google.com/view/ourclub"};
constexpr std::string_view kAssistants[] = {"https://chatgpt.com/", "https://www.perplexity.ai/",
                                            "https://claude.ai/", "https://gemini.google.com/",
                                            "https://copilot.microsoft.com/"};
constexpr std::string_view kApps[] = {"android-app://com.google.android.gm/",
                                      "android-app://com.google.android.googlequicksearchbox/",
                                      "android-app://com.facebook.katana/",
                                      "android-app://com.linkedin.android/"};
constexpr std::string_view kWebmail[] = {"https://mail.google.com/", "https://outlook.live.com/",
                                         "https://mail.yahoo.com/"};

std::string ClickId(Rng& rng) {
  static constexpr char kChars[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  std::string id;
  const int len = 20 + static_cast<int>(rng.Below(40));
  for (int i = 0; i < len; ++i) id += kChars[rng.Below(sizeof(kChars) - 1)];
  return id;
}

std::string Campaign(Rng& rng) {
  std::string c(rng.Pick(kCampaigns));
  for (char& ch : c) {
    if (ch == ' ') ch = '+';
  }
  return c;
}

// What sloppy tagging, link shorteners and copy-paste do to URLs.
std::string Mangle(Rng& rng, std::string url) {
  switch (rng.Below(4)) {
    case 0:  // HTML-escaped ampersands
      for (size_t pos = url.find('&'); pos != std::string::npos; pos = url.find('&', pos + 5)) {
        url.replace(pos, 1, "&amp;");
      }
      return url;
    case 1:  // shouting parameters and host
      for (char& c : url) {
        if (c >= 'a' && c <= 'z' && rng.Chance(0.3)) c = static_cast<char>(c - 32);
      }
      return url;
    case 2:  // no scheme
      return url.substr(url.find("//") + 2);
    default:  // hash routing
      return url.replace(url.find('/', 8), 0, "/#");
  }
}

}  // namespace

TrafficGenerator::TrafficGenerator(uint64_t seed, TrafficOptions options)
    : rng_(seed), options_(std::move(options)) {}

std::string TrafficGenerator::Page() {
  switch (rng_.Below(8)) {
    case 0:
      return "/";
    case 1:
    case 2:
      return fmt::format("/collections/{}", rng_.Pick(kCollections));
    case 3:
      return fmt::format("/blog/{}", rng_.Pick(kPosts));
    case 4:
      return "/cart";
    default:
      return fmt::format("/products/{}", rng_.Pick(kProducts));
  }
}

std::string TrafficGenerator::Url(const std::string& path, const std::string& query) {
  std::string url = fmt::format("https://{}{}", options_.host, path);
  if (!query.empty()) url += "?" + query;
  return url;
}

PageView TrafficGenerator::Entry() {
  const std::string page = Page();
  const std::string campaign = Campaign(rng_);
  std::string query, referrer;
  Channel channel = Channel::kDirect;
  // Shares in per mille of sessions; they add up to 1000.
  uint64_t roll = rng_.Below(1000);
  const auto take = [&roll](uint64_t share) {
    if (roll < share) return true;
    roll -= share;
    return false;
  };
  if (take(232)) {  // direct: typed, bookmarked, untracked apps
  } else if (take(235)) {
    channel = Channel::kOrganicSearch;
    referrer = fmt::format("https://{}/", rng_.Pick(kGoogleHosts));
  } else if (take(45)) {
    channel = Channel::kOrganicSearch;
    referrer = fmt::format("https://{}/", rng_.Pick(kOtherSearch));
  } else if (take(90)) {
    channel = Channel::kPaidSearch;
    query = rng_.Chance(0.5)
                ? fmt::format("gclid={}", ClickId(rng_))
                : fmt::format("utm_source=google&utm_medium=cpc&utm_campaign={}&gclid={}", campaign,
                              ClickId(rng_));
    if (rng_.Chance(0.1)) query = fmt::format("gbraid={}", ClickId(rng_));
    referrer = rng_.Chance(0.7) ? "https://www.google.com/" : "";
  } else if (take(15)) {
    channel = Channel::kPaidSearch;
    query = fmt::format("msclkid={}&utm_source=bing&utm_medium=cpc", ClickId(rng_));
    referrer = "https://www.bing.com/";
  } else if (take(45)) {  // Facebook ads through the link shim
    channel = Channel::kPaidSocial;
    query = fmt::format("fbclid={}", ClickId(rng_));
    referrer = rng_.Chance(0.8) ? "https://l.facebook.com/" : "https://lm.facebook.com/";
  } else if (take(35)) {  // Facebook ads tagged by hand
    channel = Channel::kPaidSocial;
    // One draw per statement: the order in which a call's arguments are evaluated is up to the
    // compiler, and the same seed must give the same traffic with every compiler.
    const char* source = rng_.Chance(0.7) ? "facebook" : "fb";
    const char* medium = rng_.Chance(0.5) ? "paid_social" : "cpc";
    query = fmt::format("utm_source={}&utm_medium={}&utm_campaign={}", source, medium, campaign);
    if (rng_.Chance(0.5)) query += fmt::format("&fbclid={}", ClickId(rng_));
  } else if (take(30)) {  // organic Facebook
    channel = Channel::kOrganicSocial;
    referrer = rng_.Chance(0.6) ? "https://m.facebook.com/" : "https://www.facebook.com/";
  } else if (take(10)) {  // an organic share that carries fbclid anyway
    channel = Channel::kOrganicSocial;
    query = fmt::format("fbclid={}", ClickId(rng_));
  } else if (take(15)) {
    channel = Channel::kPaidSocial;
    query = fmt::format("utm_source={}&utm_medium=paid_social&utm_campaign={}",
                        rng_.Chance(0.5) ? "instagram" : "ig", campaign);
  } else if (take(15)) {
    channel = Channel::kOrganicSocial;
    referrer = rng_.Chance(0.5) ? "https://l.instagram.com/" : "https://www.instagram.com/";
  } else if (take(10)) {
    channel = Channel::kPaidSocial;
    query = fmt::format("ttclid={}", ClickId(rng_));
  } else if (take(5)) {
    channel = Channel::kPaidSocial;
    query = fmt::format("li_fat_id={}", ClickId(rng_));
  } else if (take(5)) {
    channel = Channel::kPaidSocial;
    const char* param = rng_.Chance(0.5) ? "twclid" : "rdt_cid";
    query = fmt::format("{}={}", param, ClickId(rng_));
  } else if (take(55)) {
    referrer = std::string(rng_.Pick(kSocial));
    channel = referrer.find("youtube") != std::string::npos ? Channel::kOrganicVideo
                                                            : Channel::kOrganicSocial;
  } else if (take(30)) {
    channel = Channel::kEmail;
    query = fmt::format("utm_source=newsletter&utm_medium=email&utm_campaign={}", campaign);
  } else if (take(15)) {
    channel = Channel::kEmail;
    referrer = std::string(rng_.Pick(kWebmail));
  } else if (take(45)) {
    channel = Channel::kReferral;
    referrer = std::string(rng_.Pick(kReferrals));
  } else if (take(12)) {
    channel = Channel::kAiAssistant;
    referrer = std::string(rng_.Pick(kAssistants));
    if (rng_.Chance(0.5)) query = "utm_source=chatgpt.com";
  } else if (take(10)) {
    channel = Channel::kAffiliate;
    query = "utm_source=partnerstack&utm_medium=affiliate";
  } else if (take(10)) {
    channel = Channel::kDisplay;
    query = fmt::format("utm_source=criteo&utm_medium=display&utm_campaign={}", campaign);
  } else if (take(5)) {
    channel = Channel::kSms;
    query = "utm_source=sms&utm_medium=sms";
  } else if (take(5)) {
    channel = Channel::kPaidVideo;
    query = fmt::format("utm_source=youtube&utm_medium=cpv&utm_campaign={}", campaign);
  } else if (take(3)) {
    channel = Channel::kPaidOther;
    query = fmt::format("tblci={}", ClickId(rng_));
  } else if (take(10)) {
    referrer = std::string(rng_.Pick(kApps));
    channel = referrer.find(".gm/") != std::string::npos ? Channel::kEmail
              : referrer.find("googlequicksearchbox") != std::string::npos
                  ? Channel::kOrganicSearch
                  : Channel::kOrganicSocial;
  } else if (take(5)) {
    channel = Channel::kReferral;  // a campaign that forgot its source: nothing says more
    query = fmt::format("utm_campaign={}", campaign);
  } else {  // the remaining 8 per mille: the shop's own blog on a subdomain
    channel = Channel::kInternal;
    referrer = fmt::format("https://blog.{}/", options_.host);
  }
  std::string url = Url(page, query);
  if (!query.empty() && rng_.Chance(0.05)) url = Mangle(rng_, std::move(url));
  return PageView{std::move(url), std::move(referrer), channel};
}

void TrafficGenerator::NextSession(std::vector<PageView>* out) {
  out->push_back(Entry());
  const int views =
      static_cast<int>(rng_.Below(static_cast<uint64_t>(options_.max_internal_views) + 1));
  for (int i = 0; i < views; ++i) {
    std::string referrer = out->back().url;
    out->push_back(PageView{Url(Page(), ""), std::move(referrer), Channel::kInternal});
  }
}

}  // namespace attrib::demo
