#include "server/inbox.h"

namespace attrib::server {

std::string InboxPath(const std::string& db) { return db + ".inbox"; }

Result<Inbox> Inbox::Open(const std::string& path) {
  ATTRIB_ASSIGN_OR_RETURN(sqlite::Db writer, sqlite::Db::Open(path));
  // synchronous=FULL: a request is acknowledged once its entry is on the disk. The log is
  // checkpointed as it grows (SQLite's default, every 4 MB) and cut back to 64 MB after a burst.
  // AUTOINCREMENT: ids only grow, even once every entry is forgotten (the writer's marks of
  // progress are ids).
  ATTRIB_RETURN_IF_ERROR(writer.Exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA journal_size_limit=67108864; "
      "PRAGMA busy_timeout=10000; "
      "CREATE TABLE IF NOT EXISTS inbox (id INTEGER PRIMARY KEY AUTOINCREMENT, project "
      "TEXT NOT NULL, "
      "route TEXT NOT NULL, received_at INTEGER NOT NULL, body BLOB NOT NULL)"));
  ATTRIB_ASSIGN_OR_RETURN(sqlite::Db reader, sqlite::Db::Open(path, /*create=*/false));
  ATTRIB_RETURN_IF_ERROR(reader.Exec("PRAGMA busy_timeout=10000"));
  Inbox inbox(std::move(writer), std::move(reader));
  ATTRIB_ASSIGN_OR_RETURN(
      inbox.insert_, inbox.writer_.Prepare("INSERT INTO inbox (project, route, received_at, body) "
                                           "VALUES (?1, ?2, ?3, ?4) RETURNING id"));
  ATTRIB_ASSIGN_OR_RETURN(inbox.forget_, inbox.writer_.Prepare("DELETE FROM inbox WHERE id <= ?1"));
  ATTRIB_ASSIGN_OR_RETURN(
      inbox.read_, inbox.reader_.Prepare("SELECT id, project, route, received_at, body FROM inbox "
                                         "WHERE id BETWEEN ?1 AND ?2 ORDER BY id"));
  ATTRIB_ASSIGN_OR_RETURN(
      inbox.span_,
      inbox.reader_.Prepare(
          "SELECT coalesce((SELECT min(id) FROM inbox), last + 1), "
          "coalesce((SELECT max(id) FROM inbox), last) FROM (SELECT coalesce((SELECT seq FROM "
          "sqlite_sequence WHERE name = 'inbox'), 0) AS last)"));
  return inbox;
}

Status Inbox::Append(std::span<InboxEntry* const> entries, int64_t folded_through) {
  ATTRIB_ASSIGN_OR_RETURN(sqlite::Transaction tx, sqlite::Transaction::Begin(writer_));
  for (InboxEntry* e : entries) {
    insert_.Bind(1, e->project).Bind(2, e->route).Bind(3, e->received_at).BindBlob(4, e->body);
    ATTRIB_ASSIGN_OR_RETURN(const bool row, insert_.Step());
    if (!row) return Status::Internal("the inbox gave no id to a new entry");
    e->id = insert_.Int(0);
    insert_.Reset();
  }
  if (folded_through > 0) ATTRIB_RETURN_IF_ERROR(forget_.Bind(1, folded_through).Run());
  return tx.Commit();
}

Result<std::vector<InboxEntry>> Inbox::Read(int64_t from, int64_t to) {
  std::vector<InboxEntry> entries;
  read_.Bind(1, from).Bind(2, to);
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(const bool row, read_.Step());
    if (!row) break;
    entries.push_back(InboxEntry{read_.Int(0), std::string(read_.Text(1)),
                                 std::string(read_.Text(2)), read_.Int(3),
                                 std::string(read_.Blob(4))});
  }
  return entries;
}

Result<std::pair<int64_t, int64_t>> Inbox::Span() {
  ATTRIB_ASSIGN_OR_RETURN(const bool row, span_.Step());
  if (!row) return Status::Internal("the inbox's span query gave no row");
  const std::pair<int64_t, int64_t> span{span_.Int(0), span_.Int(1)};
  span_.Reset();
  return span;
}

}  // namespace attrib::server
