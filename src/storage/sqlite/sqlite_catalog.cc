#include "storage/sqlite/sqlite_catalog.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "storage/keys.h"
#include "storage/sqlite/projects.h"
#include "storage/sqlite/schema.h"
#include "storage/sqlite/sqlite.h"

namespace attrib {
namespace sqlite {
namespace {

// Draws before a collision with a stored key id is taken for a broken random source (a read
// key's 8-character id collides with probability n / 62^8 per draw).
constexpr int kMaxKeyDraws = 8;

// How a key the catalog does not know is named in a message: never with a read key's secret.
std::string Shown(std::string_view key) {
  const size_t id_size = storage::kReadKeyPrefix.size() + storage::kReadKeyIdLength;
  if (key.starts_with(storage::kReadKeyPrefix) && key.size() > id_size) {
    return fmt::format("\"{}…\"", key.substr(0, id_size));
  }
  const bool printable =
      std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  if (!printable || key.size() > storage::kWriteKeyLength) {
    return fmt::format("of {} bytes", key.size());
  }
  return fmt::format("\"{}\"", key);
}

class SqliteCatalog final : public Catalog {
 public:
  SqliteCatalog(Db db, const Clock& clock) : db_(std::move(db)), clock_(clock) {}

  Result<NewKeys> CreateProject(std::string_view name, const DeriveSettings& settings) override {
    ATTRIB_RETURN_IF_ERROR(ValidateProjectName(name));
    ATTRIB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
    ATTRIB_ASSIGN_OR_RETURN(std::optional<int64_t> existing, FindProject(name));
    if (existing) return Status::AlreadyExists(fmt::format("project \"{}\" already exists", name));
    ATTRIB_ASSIGN_OR_RETURN(const int64_t project,
                            InsertProject(db_, name, settings, clock_.Now()));
    ATTRIB_ASSIGN_OR_RETURN(NewKeys keys, InsertKeys(project, name));
    ATTRIB_RETURN_IF_ERROR(tx.Commit());
    return keys;
  }

  Result<NewKeys> AddKeys(std::string_view name) override {
    ATTRIB_RETURN_IF_ERROR(ValidateProjectName(name));
    ATTRIB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
    ATTRIB_ASSIGN_OR_RETURN(std::optional<int64_t> project, FindProject(name));
    if (!project) return Status::NotFound(fmt::format("no project \"{}\" in the store", name));
    ATTRIB_ASSIGN_OR_RETURN(NewKeys keys, InsertKeys(*project, name));
    ATTRIB_RETURN_IF_ERROR(tx.Commit());
    return keys;
  }

  Status RevokeKey(std::string_view key) override {
    const std::optional<std::string_view> read_id = storage::ReadKeyId(key);
    const std::string_view id = read_id.value_or(key);
    ATTRIB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
    ATTRIB_ASSIGN_OR_RETURN(Stmt find,
                            db_.Prepare("SELECT secret_hash FROM api_keys WHERE key_id = ?"));
    ATTRIB_ASSIGN_OR_RETURN(bool known, find.Bind(1, id).Step());
    // A whole read key must be the one stored, not just share its public id.
    if (known && read_id) known = storage::ReadKeyMatches(key, find.Blob(0));
    find.Reset();
    if (!known) return Status::NotFound(fmt::format("no key {} in the store", Shown(key)));
    ATTRIB_ASSIGN_OR_RETURN(
        Stmt revoke,
        db_.Prepare("UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL"));
    ATTRIB_RETURN_IF_ERROR(revoke.Bind(1, clock_.Now()).Bind(2, id).Run());
    return tx.Commit();
  }

  Result<std::vector<std::string>> Projects() override {
    ATTRIB_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT name FROM projects ORDER BY name"));
    std::vector<std::string> names;
    for (;;) {
      ATTRIB_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      names.emplace_back(q.Text(0));
    }
    return names;
  }

  Result<std::vector<ApiKey>> Keys() override {
    ATTRIB_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("SELECT k.key_id, p.name, k.kind, k.secret_hash, k.created_at, "
                            "k.revoked_at FROM api_keys k JOIN projects p USING(project_id) "
                            "ORDER BY p.name, k.created_at, k.rowid"));
    std::vector<ApiKey> keys;
    for (;;) {
      ATTRIB_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      ApiKey& key = keys.emplace_back();
      key.key_id = q.Text(0);
      key.project = q.Text(1);
      key.kind = q.Text(2) == "read" ? KeyKind::kRead : KeyKind::kWrite;
      key.secret_hash = q.Blob(3);
      key.created_at = q.Int(4);
      if (!q.IsNull(5)) key.revoked_at = q.Int(5);
    }
    return keys;
  }

 private:
  Result<std::optional<int64_t>> FindProject(std::string_view name) {
    ATTRIB_ASSIGN_OR_RETURN(Stmt find,
                            db_.Prepare("SELECT project_id FROM projects WHERE name = ?"));
    ATTRIB_ASSIGN_OR_RETURN(bool found, find.Bind(1, name).Step());
    if (!found) return std::optional<int64_t>();
    const int64_t id = find.Int(0);
    find.Reset();
    return std::optional<int64_t>(id);
  }

  // A new write key and read key of `project`, inside the caller's transaction.
  Result<NewKeys> InsertKeys(int64_t project, std::string_view name) {
    ATTRIB_ASSIGN_OR_RETURN(Stmt insert,
                            db_.Prepare("INSERT OR IGNORE INTO api_keys(key_id, project_id, kind, "
                                        "secret_hash, created_at) VALUES(?, ?, ?, ?, ?)"));
    const Micros now = clock_.Now();
    NewKeys keys{std::string(name), {}, {}};
    for (int draw = 0; keys.write_key.empty(); ++draw) {
      if (draw == kMaxKeyDraws) return Status::Internal("catalog: every new write key was taken");
      std::string key = storage::NewWriteKey();
      ATTRIB_RETURN_IF_ERROR(insert.Bind(1, std::string_view(key))
                                 .Bind(2, project)
                                 .Bind(3, ToString(KeyKind::kWrite))
                                 .BindNull(4)
                                 .Bind(5, now)
                                 .Run());
      if (db_.Changes() == 1) keys.write_key = std::move(key);
    }
    for (int draw = 0; keys.read_key.empty(); ++draw) {
      if (draw == kMaxKeyDraws) return Status::Internal("catalog: every new read key id was taken");
      std::string key = storage::NewReadKey();
      const std::string hash = storage::HashReadKey(key);
      ATTRIB_RETURN_IF_ERROR(insert.Bind(1, *storage::ReadKeyId(key))
                                 .Bind(2, project)
                                 .Bind(3, ToString(KeyKind::kRead))
                                 .BindBlob(4, hash)
                                 .Bind(5, now)
                                 .Run());
      if (db_.Changes() == 1) keys.read_key = std::move(key);
    }
    return keys;
  }

  Db db_;
  const Clock& clock_;
};

}  // namespace
}  // namespace sqlite

Result<std::unique_ptr<Catalog>> OpenSqliteCatalog(const std::string& path, const Clock& clock,
                                                   bool create) {
  if (!create && access(path.c_str(), F_OK) != 0) {
    return Status::NotFound(fmt::format("store: {}: no such file", path));
  }
  ATTRIB_ASSIGN_OR_RETURN(sqlite::Db db, sqlite::Db::Open(path, create));
  // A write-ahead log like the store's (a file made here is one the store opens as it makes
  // them); a key, once shown, must survive a power cut: every commit is flushed.
  ATTRIB_RETURN_IF_ERROR(
      db.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000"));
  ATTRIB_RETURN_IF_ERROR(sqlite::Migrate(db, clock));
  return std::unique_ptr<Catalog>(std::make_unique<sqlite::SqliteCatalog>(std::move(db), clock));
}

}  // namespace attrib
