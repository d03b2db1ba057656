#include "storage/sqlite/projects.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace attrib::sqlite {

std::string SettingsJson(const DeriveSettings& s) {
  const PersonOptions& p = s.person;
  nlohmann::ordered_json j;
  // The configuration's keys and units (docs/configuration.md), so that a difference is
  // reported in the words the user wrote.
  j["sessions.timeout_minutes"] = static_cast<double>(p.sessions.timeout) / sessionize::kMinute;
  j["sessions.split_on_campaign"] = p.sessions.split_on_campaign;
  j["sessions.referral_exclusions"] = p.sessions.referral_exclusions;
  j["conversions.events"] = p.conversions.events;
  j["conversions.revenue_properties"] = p.conversions.revenue_properties;
  j["conversions.currency_property"] = p.conversions.currency_property;
  j["conversions.default_currency"] = p.conversions.default_currency;
  j["conversions.counting"] = journey::ToString(p.conversions.counting);
  nlohmann::ordered_json by_event = nlohmann::ordered_json::object();
  for (const auto& [event, counting] : p.conversions.counting_by_event) {
    by_event[event] = journey::ToString(counting);
  }
  j["conversions.counting_by_event"] = by_event;
  j["conversions.lookback_days"] = static_cast<double>(p.conversions.lookback) / journey::kDay;
  j["attribution.half_life_days"] = p.heuristics.half_life_days;
  return j.dump();
}

std::string SettingsDifference(const std::string& stored, const std::string& wanted) {
  const nlohmann::json a = nlohmann::json::parse(stored, nullptr, false);
  const nlohmann::json b = nlohmann::json::parse(wanted, nullptr, false);
  if (a.is_discarded() || !a.is_object()) return "the stored settings are unreadable";
  std::string out;
  for (const auto& [key, value] : b.items()) {
    if (!a.contains(key) || a[key] != value) {
      out += fmt::format("{}{} (stored {}, configured {})", out.empty() ? "" : "; ", key,
                         a.contains(key) ? a[key].dump() : "nothing", value.dump());
    }
  }
  return out;
}

Result<int64_t> InsertProject(Db& db, std::string_view name, const DeriveSettings& settings,
                              Micros now) {
  const std::string json = SettingsJson(settings);
  ATTRIB_ASSIGN_OR_RETURN(
      Stmt add, db.Prepare("INSERT INTO projects(name, created_at, settings) VALUES(?, ?, ?)"));
  ATTRIB_RETURN_IF_ERROR(add.Bind(1, name).Bind(2, now).Bind(3, std::string_view(json)).Run());
  return sqlite3_last_insert_rowid(db.get());
}

}  // namespace attrib::sqlite
