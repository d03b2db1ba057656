#include "query/report_rows.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "common/strings.h"
#include "common/time.h"

namespace attrib::query {
namespace {

double Rate(double conversions, uint64_t visitors) {
  return visitors == 0 ? 0.0 : conversions / static_cast<double>(visitors);
}

}  // namespace

std::vector<const GroupRow*> OrderedRows(std::span<const GroupRow> rows, Model model) {
  std::vector<const GroupRow*> ordered;
  for (const GroupRow& row : rows) ordered.push_back(&row);
  const int m = static_cast<int>(model);
  std::stable_sort(ordered.begin(), ordered.end(), [m](const auto* a, const auto* b) {
    return a->conversions[m] > b->conversions[m];
  });
  return ordered;
}

namespace {

// Appends `rows`' objects for each model in turn to the array `out`; each object starts with
// the model and, when given, the period.
void AppendRowsJson(std::span<const GroupRow> rows, std::span<const Model> models, GroupBy by,
                    std::string_view period, std::string* out) {
  // Each row's group, escaped once for all the models: ,"source":"…","medium":"…"
  const std::vector<std::string_view> fields = GroupFields(by);
  std::vector<std::string> groups(rows.size());
  size_t bytes = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t f = 0; f < fields.size(); ++f) {
      groups[i] += ",\"";
      groups[i] += fields[f];
      groups[i] += "\":";
      AppendJsonString(&groups[i], rows[i].key[f]);
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
  out->reserve(out->size() + models.size() * (bytes + rows.size() * (sizeof tail + 48)));
  for (const Model model : models) {
    const int m = static_cast<int>(model);
    std::string head = fmt::format("{{\"model\":\"{}\"", ToString(model));
    if (!period.empty()) fmt::format_to(std::back_inserter(head), ",\"period\":\"{}\"", period);
    for (const GroupRow* row : OrderedRows(rows, model)) {
      if (out->size() > 1) *out += ',';
      *out += head;
      *out += groups[row - rows.data()];
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
      out->append(tail, at);
    }
  }
}

std::string CsvHeader(GroupBy by, bool periods) {
  std::string out = periods ? "model,period" : "model";
  for (std::string_view f : GroupFields(by)) out += fmt::format(",{}", f);
  out += ",conversions,revenue,touchpoints,visitors,conversion_rate\n";
  return out;
}

void AppendRowsCsv(std::span<const GroupRow> rows, std::span<const Model> models,
                   std::string_view period, std::string* out) {
  for (const Model model : models) {
    const int m = static_cast<int>(model);
    for (const GroupRow* row : OrderedRows(rows, model)) {
      *out += ToString(model);
      if (!period.empty()) fmt::format_to(std::back_inserter(*out), ",{}", period);
      for (const std::string& k : row->key) *out += "," + CsvField(k);
      fmt::format_to(std::back_inserter(*out), ",{},{},{},{},{}\n", row->conversions[m],
                     row->revenue[m], row->touchpoints, row->visitors,
                     Rate(row->conversions[m], row->visitors));
    }
  }
}

}  // namespace

std::string ReportRowsJson(const AnalysisResult& r, std::span<const Model> models, GroupBy by) {
  std::string out = "[";
  AppendRowsJson(r.rows, models, by, {}, &out);
  out += ']';
  return out;
}

std::string ReportRowsCsv(const AnalysisResult& r, std::span<const Model> models, GroupBy by) {
  std::string out = CsvHeader(by, false);
  AppendRowsCsv(r.rows, models, {}, &out);
  return out;
}

std::string PeriodRowsJson(std::span<const PeriodRows> periods, std::span<const Model> models,
                           GroupBy by) {
  std::string out = "[";
  for (const PeriodRows& p : periods)
    AppendRowsJson(p.rows, models, by, FormatIsoDate(p.start_day), &out);
  out += ']';
  return out;
}

std::string PeriodRowsCsv(std::span<const PeriodRows> periods, std::span<const Model> models,
                          GroupBy by) {
  std::string out = CsvHeader(by, true);
  for (const PeriodRows& p : periods)
    AppendRowsCsv(p.rows, models, FormatIsoDate(p.start_day), &out);
  return out;
}

}  // namespace attrib::query
