#include "storage/sqlite/schema.h"

#include <fmt/format.h>

namespace attrib::sqlite {

// Each migration moves the schema from version i to i + 1 (docs/storage.md describes the
// current one). Never edit a migration that has shipped: add one.
const std::vector<std::string_view>& Migrations() {
  static const std::vector<std::string_view> migrations = {
      R"sql(
CREATE TABLE projects(
  project_id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  settings TEXT NOT NULL,
  derived INTEGER NOT NULL DEFAULT 0);
CREATE TABLE rules_versions(
  rules_version_id INTEGER PRIMARY KEY,
  version TEXT NOT NULL UNIQUE);
CREATE TABLE classes(
  class_id INTEGER PRIMARY KEY,
  source TEXT NOT NULL, medium TEXT NOT NULL, campaign TEXT NOT NULL, term TEXT NOT NULL,
  content TEXT NOT NULL, rule_id TEXT NOT NULL, channel TEXT NOT NULL, confidence TEXT NOT NULL,
  campaign_signal INTEGER NOT NULL,
  hash INTEGER NOT NULL UNIQUE);
CREATE TABLE groups(
  group_id INTEGER PRIMARY KEY,
  dim TEXT NOT NULL,
  value TEXT NOT NULL,
  UNIQUE(dim, value));
CREATE TABLE ids(
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL,
  key INTEGER NOT NULL,
  user INTEGER NOT NULL,
  value TEXT NOT NULL,
  person INTEGER,
  linked INTEGER NOT NULL DEFAULT 0,
  UNIQUE(project_id, key));
CREATE INDEX ids_person ON ids(project_id, person) WHERE person IS NOT NULL;
CREATE TABLE links(
  project_id INTEGER NOT NULL,
  from_id INTEGER NOT NULL,
  to_id INTEGER NOT NULL,
  alias INTEGER NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY(project_id, from_id, to_id, alias)) WITHOUT ROWID;
CREATE INDEX links_to ON links(project_id, to_id);
CREATE TABLE events(
  block_id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL,
  visitor INTEGER NOT NULL,
  events INTEGER NOT NULL,
  first_at INTEGER NOT NULL,
  last_at INTEGER NOT NULL,
  rules_version_id INTEGER NOT NULL,
  data BLOB NOT NULL);
CREATE INDEX events_visitor ON events(project_id, visitor);
CREATE TABLE bad_rows(
  bad_row_id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  reason TEXT NOT NULL,
  message TEXT NOT NULL,
  raw TEXT NOT NULL,
  origin TEXT,
  message_id TEXT,
  anonymous_id TEXT,
  user_id TEXT,
  dedupe_key INTEGER NOT NULL,
  UNIQUE(project_id, dedupe_key));
CREATE TABLE dirty(
  project_id INTEGER NOT NULL,
  id INTEGER NOT NULL,
  PRIMARY KEY(project_id, id)) WITHOUT ROWID;
CREATE TABLE sessions(
  project_id INTEGER NOT NULL,
  person INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  start INTEGER NOT NULL,
  end INTEGER NOT NULL,
  events INTEGER NOT NULL,
  class_id INTEGER NOT NULL,
  PRIMARY KEY(project_id, person, seq)) WITHOUT ROWID;
CREATE TABLE conversions(
  project_id INTEGER NOT NULL,
  person INTEGER NOT NULL,
  event_key INTEGER NOT NULL,
  message_id TEXT,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  revenue REAL NOT NULL,
  currency TEXT NOT NULL,
  touchpoints INTEGER NOT NULL,
  version INTEGER NOT NULL,
  credited_at INTEGER NOT NULL,
  restated_at INTEGER,
  last_of_kind_at INTEGER NOT NULL,
  PRIMARY KEY(project_id, person, event_key)) WITHOUT ROWID;
CREATE TABLE credits(
  project_id INTEGER NOT NULL,
  person INTEGER NOT NULL,
  event_key INTEGER NOT NULL,
  touch INTEGER NOT NULL,
  session_start INTEGER NOT NULL,
  class_id INTEGER NOT NULL,
  first_touch REAL NOT NULL,
  last_touch REAL NOT NULL,
  last_non_direct REAL NOT NULL,
  linear REAL NOT NULL,
  time_decay REAL NOT NULL,
  u_shaped REAL NOT NULL,
  w_shaped REAL NOT NULL,
  participation REAL NOT NULL,
  PRIMARY KEY(project_id, person, event_key, touch)) WITHOUT ROWID;
CREATE TABLE agg_reach(
  project_id INTEGER NOT NULL,
  group_id INTEGER NOT NULL,
  level INTEGER NOT NULL,
  day INTEGER NOT NULL,
  prev_day INTEGER NOT NULL,
  visitors INTEGER NOT NULL,
  touchpoints INTEGER NOT NULL,
  paid INTEGER NOT NULL,
  PRIMARY KEY(project_id, group_id, level, day, prev_day)) WITHOUT ROWID;
CREATE TABLE agg_credits(
  project_id INTEGER NOT NULL,
  group_id INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  day INTEGER NOT NULL,
  credit_first_touch INTEGER NOT NULL,
  credit_last_touch INTEGER NOT NULL,
  credit_last_non_direct INTEGER NOT NULL,
  credit_linear INTEGER NOT NULL,
  credit_time_decay INTEGER NOT NULL,
  credit_u_shaped INTEGER NOT NULL,
  credit_w_shaped INTEGER NOT NULL,
  credit_participation INTEGER NOT NULL,
  revenue_first_touch INTEGER NOT NULL,
  revenue_last_touch INTEGER NOT NULL,
  revenue_last_non_direct INTEGER NOT NULL,
  revenue_linear INTEGER NOT NULL,
  revenue_time_decay INTEGER NOT NULL,
  revenue_u_shaped INTEGER NOT NULL,
  revenue_w_shaped INTEGER NOT NULL,
  revenue_participation INTEGER NOT NULL,
  -- A sum beyond 64 bits would turn into a REAL: refused instead.
  CHECK(typeof(credit_first_touch) = 'integer' AND typeof(credit_last_touch) = 'integer' AND
        typeof(credit_last_non_direct) = 'integer' AND typeof(credit_linear) = 'integer' AND
        typeof(credit_time_decay) = 'integer' AND typeof(credit_u_shaped) = 'integer' AND
        typeof(credit_w_shaped) = 'integer' AND typeof(credit_participation) = 'integer' AND
        typeof(revenue_first_touch) = 'integer' AND typeof(revenue_last_touch) = 'integer' AND
        typeof(revenue_last_non_direct) = 'integer' AND typeof(revenue_linear) = 'integer' AND
        typeof(revenue_time_decay) = 'integer' AND typeof(revenue_u_shaped) = 'integer' AND
        typeof(revenue_w_shaped) = 'integer' AND typeof(revenue_participation) = 'integer'),
  PRIMARY KEY(project_id, group_id, day, kind)) WITHOUT ROWID;
CREATE TABLE agg_conversions(
  project_id INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  day INTEGER NOT NULL,
  currency TEXT NOT NULL,
  conversions INTEGER NOT NULL,
  revenue INTEGER NOT NULL CHECK(typeof(revenue) = 'integer'),
  PRIMARY KEY(project_id, kind, day, currency)) WITHOUT ROWID;
CREATE TABLE agg_paths(
  project_id INTEGER NOT NULL,
  dim INTEGER NOT NULL,
  conversion_filter INTEGER NOT NULL,
  day INTEGER NOT NULL,
  path TEXT NOT NULL,
  conversions INTEGER NOT NULL,
  revenue INTEGER NOT NULL CHECK(typeof(revenue) = 'integer'),
  nulls INTEGER NOT NULL,
  PRIMARY KEY(project_id, dim, conversion_filter, day, path)) WITHOUT ROWID;
)sql",
      // 2: the projects' API keys (the catalog, src/storage/sqlite/sqlite_catalog.h).
      R"sql(
CREATE TABLE api_keys(
  key_id TEXT PRIMARY KEY,
  project_id INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK(kind IN ('write', 'read')),
  secret_hash BLOB CHECK((kind = 'read') = (secret_hash IS NOT NULL)),
  created_at INTEGER NOT NULL,
  revoked_at INTEGER);
CREATE INDEX api_keys_project ON api_keys(project_id);
)sql",
      // 3: when each day's journey paths last changed, for the caches of them (ReadPathDays).
      R"sql(
ALTER TABLE projects ADD COLUMN paths_stamp INTEGER NOT NULL DEFAULT 1;
CREATE TABLE agg_path_days(
  project_id INTEGER NOT NULL,
  dim INTEGER NOT NULL,
  conversion_filter INTEGER NOT NULL,
  day INTEGER NOT NULL,
  stamp INTEGER NOT NULL,
  PRIMARY KEY(project_id, dim, conversion_filter, day)) WITHOUT ROWID;
INSERT INTO agg_path_days SELECT DISTINCT project_id, dim, conversion_filter, day, 1 FROM agg_paths;
)sql",
  };
  return migrations;
}

Status Migrate(Db& db, const Clock& clock) {
  ATTRIB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  ATTRIB_RETURN_IF_ERROR(
      db.Exec("CREATE TABLE IF NOT EXISTS schema_migrations(version INTEGER PRIMARY KEY, "
              "applied_at INTEGER NOT NULL)"));
  ATTRIB_ASSIGN_OR_RETURN(Stmt version,
                          db.Prepare("SELECT coalesce(max(version), 0) FROM schema_migrations"));
  ATTRIB_ASSIGN_OR_RETURN(bool row, version.Step());
  const int64_t current = row ? version.Int(0) : 0;
  version.Reset();
  const auto& migrations = Migrations();
  if (current > static_cast<int64_t>(migrations.size())) {
    return Status::FailedPrecondition(
        fmt::format("store: the file has schema version {}, newer than this attrib ({}): "
                    "upgrade attrib",
                    current, migrations.size()));
  }
  for (size_t v = static_cast<size_t>(current); v < migrations.size(); ++v) {
    ATTRIB_RETURN_IF_ERROR(db.Exec(migrations[v]));
    ATTRIB_ASSIGN_OR_RETURN(
        Stmt record, db.Prepare("INSERT INTO schema_migrations(version, applied_at) VALUES(?, ?)"));
    ATTRIB_RETURN_IF_ERROR(record.Bind(1, static_cast<int64_t>(v + 1)).Bind(2, clock.Now()).Run());
  }
  return tx.Commit();
}

}  // namespace attrib::sqlite
