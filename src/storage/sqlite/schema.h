// The SQLite store's schema, as the migrations that build it (docs/storage.md).
#pragma once

#include <string_view>
#include <vector>

namespace attrib::sqlite {

// Migration i (0-based) takes the schema from version i to i + 1; the version is recorded in
// the schema_migrations table.
const std::vector<std::string_view>& Migrations();

}  // namespace attrib::sqlite
