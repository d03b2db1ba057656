// The catalog in the store's SQLite file: projects (the table the store opens them from) and
// api_keys (docs/storage.md).
#pragma once

#include <memory>
#include <string>

#include "attrib/catalog.h"
#include "attrib/clock.h"

namespace attrib {

// Opens (creating when `create`, else NotFound when missing) the store file at `path` and
// migrates its schema to the current version. `clock` (created_at, revoked_at) must outlive the
// catalog. The catalog may be open beside the stores of the same file, in this process or
// others: each of its changes is one short transaction.
Result<std::unique_ptr<Catalog>> OpenSqliteCatalog(const std::string& path, const Clock& clock,
                                                   bool create);

}  // namespace attrib
