// A report's rows as data: one object (or CSV line) per model and group, biggest first — what
// `attrib report|compare --format json|csv` prints and the query API answers.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "query/batch.h"

namespace attrib::query {

// The rows by descending credit under `model`, then by key.
std::vector<const GroupRow*> OrderedRows(const AnalysisResult& r, Model model);

// [{"model", <group fields>, "conversions", "revenue", "touchpoints", "visitors",
//   "conversion_rate" (, "removal_effect" for markov)}, …] for each model in turn, as compact
// JSON text (a dashboard's month by campaign is thousands of rows: written directly, not
// through a DOM).
std::string ReportRowsJson(const AnalysisResult& r, std::span<const Model> models, GroupBy by);
// The same as CSV, with a header line.
std::string ReportRowsCsv(const AnalysisResult& r, std::span<const Model> models, GroupBy by);

}  // namespace attrib::query
