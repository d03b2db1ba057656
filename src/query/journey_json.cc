#include "query/journey_json.h"

#include "common/time.h"

namespace attrib::query {

namespace {

nlohmann::ordered_json ClassJson(const StoredClass& c) {
  nlohmann::ordered_json j;
  j["channel"] = c.channel;
  j["source"] = c.source;
  j["medium"] = c.medium;
  j["campaign"] = c.campaign;
  j["rule_id"] = c.rule_id;
  j["confidence"] = c.confidence;
  return j;
}

}  // namespace

nlohmann::ordered_json JourneyJson(const PersonJourney& p) {
  nlohmann::ordered_json j;
  j["ids"] = nlohmann::ordered_json::array();
  for (const PersonJourney::Id& id : p.ids) {
    j["ids"].push_back({{"type", id.user ? "user" : "anonymous"}, {"id", id.value}});
  }
  j["sessions"] = nlohmann::ordered_json::array();
  for (const PersonJourney::Session& s : p.sessions) {
    nlohmann::ordered_json o = {
        {"start", FormatIsoTime(s.start)}, {"end", FormatIsoTime(s.end)}, {"events", s.events}};
    o.update(ClassJson(s.classification));
    j["sessions"].push_back(std::move(o));
  }
  j["conversions"] = nlohmann::ordered_json::array();
  for (const PersonJourney::Conversion& c : p.conversions) {
    nlohmann::ordered_json o = {{"message_id", c.message_id}, {"at", FormatIsoTime(c.at)},
                                {"conversion", c.kind},       {"revenue", c.revenue},
                                {"currency", c.currency},     {"version", c.version},
                                {"restated_at", nullptr}};
    if (c.restated_at) o["restated_at"] = FormatIsoTime(*c.restated_at);
    o["touchpoints"] = nlohmann::ordered_json::array();
    for (const PersonJourney::Touchpoint& t : c.touchpoints) {
      nlohmann::ordered_json tj = {{"session_start", FormatIsoTime(t.session_start)}};
      tj.update(ClassJson(t.classification));
      nlohmann::ordered_json credits;
      for (int m = 0; m < kHeuristicModelCount; ++m) {
        credits[std::string(ToString(static_cast<Model>(m)))] = t.credit[m];
      }
      tj["credits"] = std::move(credits);
      o["touchpoints"].push_back(std::move(tj));
    }
    j["conversions"].push_back(std::move(o));
  }
  return j;
}

}  // namespace attrib::query
