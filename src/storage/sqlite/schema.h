// The SQLite store's schema, as the migrations that build it (docs/storage.md).
#pragma once

#include <string_view>
#include <vector>

#include "attrib/clock.h"
#include "attrib/status.h"
#include "storage/sqlite/sqlite.h"

namespace attrib::sqlite {

// Migration i (0-based) takes the schema from version i to i + 1; the version is recorded in
// the schema_migrations table.
const std::vector<std::string_view>& Migrations();

// Brings the file's schema to the current version, applying the migrations it lacks in one
// transaction (a fresh file gets them all); FailedPrecondition when the file is newer than this
// attrib. Every opener of a store file calls it: the store and the catalog.
Status Migrate(Db& db, const Clock& clock);

}  // namespace attrib::sqlite
