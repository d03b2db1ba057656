// Reports from the store: the AnalysisResult that batch analysis computes from files, made from
// the store's daily aggregates (docs/storage.md), so `--db` and `--input` print the same report
// for the same events.
#pragma once

#include "attrib/store.h"
#include "query/batch.h"

namespace attrib::query {

// `options` must be the settings the store derived with (the store checks them when opened).
// The store keeps whole UTC days: `from` and `to` must be midnights. At most one conversion
// event may be named.
Result<AnalysisResult> AnalyzeStore(Store& store, const AnalysisOptions& options);

}  // namespace attrib::query
