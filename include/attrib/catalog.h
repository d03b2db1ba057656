// The catalog: a store's projects and their API keys. A project's write key (public: it ships
// in browsers) authenticates ingest; its read key (rk_…, secret) authenticates queries and is
// kept only as a hash, so the catalog can show it once, when it is made, and never again. Keys
// stay valid until revoked.
//
// Catalog is the interface; src/storage/sqlite/sqlite_catalog.h implements it in the store's
// SQLite file.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attrib/clock.h"
#include "attrib/status.h"
#include "attrib/store.h"

namespace attrib {

// The longest project name, in bytes. Names are also free of control characters.
inline constexpr size_t kMaxProjectNameBytes = 200;

enum class KeyKind : uint8_t { kWrite, kRead };

// "write" or "read".
std::string_view ToString(KeyKind kind);

// A key as the catalog lists it: never a read key's secret (read keys are stored hashed).
struct ApiKey {
  std::string key_id;   // write key: the key; read key: its public id "rk_XXXXXXXX"
  std::string project;  // the project's name
  KeyKind kind = KeyKind::kWrite;
  std::string secret_hash;  // read keys: storage::HashReadKey of the key; empty for write keys
  Micros created_at = 0;
  std::optional<Micros> revoked_at;  // nullopt while the key is valid
};

// A project's new keys. The read key is shown once: only its hash is kept.
struct NewKeys {
  std::string project, write_key, read_key;
};

class Catalog {
 public:
  virtual ~Catalog() = default;

  // Creates project `name` (AlreadyExists when taken) with `settings`, and its first keys.
  // The project is the one a Store opened with the same name and settings uses.
  virtual Result<NewKeys> CreateProject(std::string_view name, const DeriveSettings& settings) = 0;

  // A new write key and read key for an existing project (NotFound names it when missing); the
  // old ones stay valid until revoked. Also how a project made by `attrib import` gets keys.
  virtual Result<NewKeys> AddKeys(std::string_view project) = 0;

  // Revokes a key given whole or by key_id (NotFound when unknown, or when a whole read key's
  // secret is not the stored one's). Revoking twice is OK and keeps the first time.
  virtual Status RevokeKey(std::string_view key) = 0;

  // The projects' names, sorted.
  virtual Result<std::vector<std::string>> Projects() = 0;

  // Every key, revoked ones too, sorted by project, then by created_at (then as created).
  virtual Result<std::vector<ApiKey>> Keys() = 0;
};

// InvalidArgument, saying why, unless `name` can name a project: not empty, at most
// kMaxProjectNameBytes bytes, no control characters.
Status ValidateProjectName(std::string_view name);

}  // namespace attrib
