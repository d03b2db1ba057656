#include "query/report_rows.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

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

std::string ReportRowsJson(const AnalysisResult& r, std::span<const Model> models, GroupBy by) {
  const std::vector<std::string_view> fields = GroupFields(by);
  std::string out = "[";
  const auto number = [&out](std::string_view name, double v) {
    fmt::format_to(std::back_inserter(out), ",\"{}\":", name);
    AppendJsonNumber(&out, v);
  };
  for (const Model model : models) {
    const int m = static_cast<int>(model);
    for (const GroupRow* row : OrderedRows(r, model)) {
      if (out.size() > 1) out += ',';
      fmt::format_to(std::back_inserter(out), "{{\"model\":\"{}\"", ToString(model));
      for (size_t i = 0; i < fields.size(); ++i) {
        fmt::format_to(std::back_inserter(out), ",\"{}\":", fields[i]);
        AppendJsonString(&out, row->key[i]);
      }
      number("conversions", row->conversions[m]);
      number("revenue", row->revenue[m]);
      fmt::format_to(std::back_inserter(out), ",\"touchpoints\":{},\"visitors\":{}",
                     row->touchpoints, row->visitors);
      number("conversion_rate", Rate(row->conversions[m], row->visitors));
      if (model == Model::kMarkov) number("removal_effect", row->removal_effect);
      out += '}';
    }
  }
  out += ']';
  return out;
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
