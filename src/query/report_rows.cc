#include "query/report_rows.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

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
  // Each row's group, escaped once for all the models: ,"source":"…","medium":"…"
  const std::vector<std::string_view> fields = GroupFields(by);
  std::vector<std::string> groups(r.rows.size());
  size_t bytes = 2;
  for (size_t i = 0; i < r.rows.size(); ++i) {
    for (size_t f = 0; f < fields.size(); ++f) {
      groups[i] += ",\"";
      groups[i] += fields[f];
      groups[i] += "\":";
      AppendJsonString(&groups[i], r.rows[i].key[f]);
    }
    bytes += groups[i].size();
  }
  std::string out = "[";
  out.reserve(models.size() * (bytes + r.rows.size() * 160));
  char text[24];
  const auto count = [&out, &text](std::string_view name, uint64_t v) {
    out += name;
    out.append(text, std::to_chars(text, text + sizeof text, v).ptr);
  };
  const auto number = [&out](std::string_view name, double v) {
    out += name;
    AppendJsonNumber(&out, v);
  };
  for (const Model model : models) {
    const int m = static_cast<int>(model);
    const std::string head = fmt::format("{{\"model\":\"{}\"", ToString(model));
    for (const GroupRow* row : OrderedRows(r, model)) {
      if (out.size() > 1) out += ',';
      out += head;
      out += groups[row - r.rows.data()];
      number(",\"conversions\":", row->conversions[m]);
      number(",\"revenue\":", row->revenue[m]);
      count(",\"touchpoints\":", row->touchpoints);
      count(",\"visitors\":", row->visitors);
      number(",\"conversion_rate\":", Rate(row->conversions[m], row->visitors));
      if (model == Model::kMarkov) number(",\"removal_effect\":", row->removal_effect);
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
