#include "query/report_rows.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>

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
  // An object's numbers, with their names, are written into `tail` and appended at once.
  static constexpr std::string_view kConversions = ",\"conversions\":", kRevenue = ",\"revenue\":",
                                    kTouchpoints = ",\"touchpoints\":",
                                    kVisitors = ",\"visitors\":", kRate = ",\"conversion_rate\":",
                                    kRemoval = ",\"removal_effect\":";
  constexpr size_t kCount = std::numeric_limits<uint64_t>::digits10 + 1;
  char tail[kConversions.size() + kRevenue.size() + kTouchpoints.size() + kVisitors.size() +
            kRate.size() + kRemoval.size() + 4 * kMaxJsonNumber + 2 * kCount + 1];
  std::string out = "[";
  out.reserve(models.size() * (bytes + r.rows.size() * (sizeof tail + 32)));
  for (const Model model : models) {
    const int m = static_cast<int>(model);
    const std::string head = fmt::format("{{\"model\":\"{}\"", ToString(model));
    for (const GroupRow* row : OrderedRows(r, model)) {
      if (out.size() > 1) out += ',';
      out += head;
      out += groups[row - r.rows.data()];
      char* at = tail;
      const auto name = [&at](std::string_view s) { at = std::copy(s.begin(), s.end(), at); };
      name(kConversions);
      at = WriteJsonNumber(at, row->conversions[m]);
      name(kRevenue);
      at = WriteJsonNumber(at, row->revenue[m]);
      name(kTouchpoints);
      at = std::to_chars(at, at + kCount, row->touchpoints).ptr;
      name(kVisitors);
      at = std::to_chars(at, at + kCount, row->visitors).ptr;
      name(kRate);
      at = WriteJsonNumber(at, Rate(row->conversions[m], row->visitors));
      if (model == Model::kMarkov) {
        name(kRemoval);
        at = WriteJsonNumber(at, row->removal_effect);
      }
      *at++ = '}';
      out.append(tail, at);
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
