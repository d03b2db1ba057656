// The embedded store: one SQLite file (WAL journal, prepared statements, schema migrations).
#pragma once

#include <memory>
#include <string>

#include "attrib/classify.h"
#include "attrib/clock.h"
#include "attrib/store.h"

namespace attrib {

// Opens (creating if needed) the store at `path` and the project `options.project` in it,
// migrating the schema to the current version. `classifier` and `clock` must outlive the store.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, const StoreOptions& options,
                                               const Classifier& classifier, const Clock& clock);

}  // namespace attrib
