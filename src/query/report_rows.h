// A report's rows as data: one object (or CSV line) per model and group, biggest first — what
// `attrib report|compare --format json|csv` prints and the query API answers.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "query/batch.h"

namespace attrib::query {

// The rows by descending credit under `model`, then by key (as they come).
std::vector<const GroupRow*> OrderedRows(std::span<const GroupRow> rows, Model model);

// [{"model", <group fields>, "conversions", "revenue", "touchpoints", "visitors",
//   "conversion_rate" (, "removal_effect" for markov)}, …] for each model in turn, as compact
// JSON text (a dashboard's month by campaign is thousands of rows: written directly, not
// through a DOM).
std::string ReportRowsJson(const AnalysisResult& r, std::span<const Model> models, GroupBy by);
// The same as CSV, with a header line.
std::string ReportRowsCsv(const AnalysisResult& r, std::span<const Model> models, GroupBy by);

// A report split by period (store_report.h's AnalyzeStoreByPeriod): each period's rows as
// above, each object with its "period" (its first day, "2026-05-01") after the model; the
// periods in order.
std::string PeriodRowsJson(std::span<const PeriodRows> periods, std::span<const Model> models,
                           GroupBy by);
std::string PeriodRowsCsv(std::span<const PeriodRows> periods, std::span<const Model> models,
                          GroupBy by);

}  // namespace attrib::query
