#include "query/report_rows.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/strings.h"

namespace attrib::query {
namespace {

double Rate(double conversions, uint64_t visitors) {
  return visitors == 0 ? 0.0 : conversions / static_cast<double>(visitors);
}

}  // namespace

std::vector<const GroupRow*> OrderedRows(const AnalysisResult& r, Model model) {
  std::vector<const GroupRow*> rows;
  for (const GroupRow& row : r.rows) rows.push_back(&row);
  const int m = static_cast<int>(model);
  std::stable_sort(rows.begin(), rows.end(), [m](const auto* a, const auto* b) {
    return a->conversions[m] > b->conversions[m];
  });
  return rows;
}

nlohmann::json ReportRowsJson(const AnalysisResult& r, std::span<const Model> models, GroupBy by) {
  const std::vector<std::string_view> fields = GroupFields(by);
  nlohmann::json rows = nlohmann::json::array();
  for (const Model model : models) {
    const int m = static_cast<int>(model);
    for (const GroupRow* row : OrderedRows(r, model)) {
      nlohmann::json j;
      j["model"] = ToString(model);
      for (size_t i = 0; i < fields.size(); ++i) j[std::string(fields[i])] = row->key[i];
      j["conversions"] = row->conversions[m];
      j["revenue"] = row->revenue[m];
      j["touchpoints"] = row->touchpoints;
      j["visitors"] = row->visitors;
      j["conversion_rate"] = Rate(row->conversions[m], row->visitors);
      if (model == Model::kMarkov) j["removal_effect"] = row->removal_effect;
      rows.push_back(std::move(j));
    }
  }
  return rows;
}

std::string ReportRowsCsv(const AnalysisResult& r, std::span<const Model> models, GroupBy by) {
  std::string out = "model";
  for (std::string_view f : GroupFields(by)) out += fmt::format(",{}", f);
  out += ",conversions,revenue,touchpoints,visitors,conversion_rate\n";
  for (const Model model : models) {
    const int m = static_cast<int>(model);
    for (const GroupRow* row : OrderedRows(r, model)) {
      out += ToString(model);
      for (const std::string& k : row->key) out += "," + CsvField(k);
      out += fmt::format(",{},{},{},{},{}\n", row->conversions[m], row->revenue[m],
                         row->touchpoints, row->visitors, Rate(row->conversions[m], row->visitors));
    }
  }
  return out;
}

}  // namespace attrib::query
