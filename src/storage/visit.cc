#include "storage/visit.h"

#include <fmt/format.h>

#include "common/flat_map.h"

namespace attrib::storage {

void ClassKey(const Classification& c, std::string* out) {
  out->clear();
  for (const std::string_view part :
       {std::string_view(c.source), std::string_view(c.medium), std::string_view(c.campaign),
        std::string_view(c.term), std::string_view(c.content), c.rule_id}) {
    out->append(part);
    out->push_back('\x1f');
  }
  out->push_back(static_cast<char>('a' + static_cast<int>(c.channel)));
  out->push_back(static_cast<char>('a' + static_cast<int>(c.confidence)));
}

uint64_t ClassHash(const Classification& c) {
  std::string key;
  ClassKey(c, &key);
  return HashBytes(key) | 1;
}

std::string CampaignQuery(const ingest::Campaign& campaign) {
  std::string query;
  if (campaign.source.empty()) return query;
  const auto add = [&query](std::string_view name, std::string_view value) {
    if (value.empty()) return;
    if (!query.empty()) query += '&';
    query += name;
    query += '=';
    for (const char c : value) {
      if (c == '&' || c == '#' || c == '%' || c == '+') {
        query += fmt::format("%{:02X}", static_cast<unsigned char>(c));
      } else {
        query += c;
      }
    }
  };
  add("utm_source", campaign.source);
  add("utm_medium", campaign.medium);
  add("utm_campaign", campaign.name);
  add("utm_term", campaign.term);
  add("utm_content", campaign.content);
  return query;
}

uint8_t ClassifyVisit(const Classifier& classifier,
                      const sessionize::ReferralExclusions& exclusions, std::string_view url,
                      std::string_view referrer, std::string_view campaign_query,
                      std::string* scratch, Classification* out, bool* unreadable) {
  *unreadable = false;
  if (url.empty() && campaign_query.empty()) return 0;
  uint8_t flags = 0;
  if (exclusions.Excludes(referrer)) {
    referrer = {};
    flags |= sessionize::kExcludedReferrer;
  }
  if (!campaign_query.empty() && url.find("utm_") == std::string_view::npos) {
    // An app's or a server's event has no page: its campaign alone classifies it.
    scratch->assign(url.empty() ? std::string_view("https://app.invalid/") : url);
    *scratch += scratch->find('?') == std::string::npos ? '?' : '&';
    *scratch += campaign_query;
    url = *scratch;
  }
  if (!classifier.Classify(ClassifyInput{url, referrer, {}}, out).ok()) {
    *unreadable = true;
    return flags;
  }
  flags |= sessionize::kHasUrl;
  if (out->campaign_signal) flags |= sessionize::kCampaignSignal;
  return flags;
}

}  // namespace attrib::storage
