// A project's row in the store file (projects): its recorded derivation settings and how a
// project is created. The store creates one on first use, the catalog on `attrib project
// create`; both go through here, so either can open what the other made.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "attrib/clock.h"
#include "attrib/status.h"
#include "attrib/store.h"
#include "storage/sqlite/sqlite.h"

namespace attrib::sqlite {

// The settings derived state depends on, as canonical JSON: projects.settings. Opening a
// project compares it byte for byte with the stored one.
std::string SettingsJson(const DeriveSettings& s);

// The keys whose values differ between two settings documents, for the error message.
std::string SettingsDifference(const std::string& stored, const std::string& wanted);

// Inserts project `name`, created `now`, with `settings`, inside the caller's transaction; its
// project_id. The name must not be taken.
Result<int64_t> InsertProject(Db& db, std::string_view name, const DeriveSettings& settings,
                              Micros now);

}  // namespace attrib::sqlite
