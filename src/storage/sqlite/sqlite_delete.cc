// Erasure of a person (GDPR): their rows go, the aggregates lose their terms, and the people
// they shared a link with are derived again without it.
#include <fmt/format.h>

#include "storage/sqlite/sqlite_store_impl.h"
#include "storage/sqlite/statements.h"

namespace attrib::sqlite {

Result<DeleteCounts> SqliteStore::DeletePerson(std::string_view value, bool user) {
  ATTRIB_RETURN_IF_ERROR(LockForWriting());
  DeleteCounts counts;
  {
    ATTRIB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
    ATTRIB_ASSIGN_OR_RETURN(const int64_t person, PersonOf(value, user));

    ATTRIB_ASSIGN_OR_RETURN(Stmt sessions,
                            db_.Prepare("SELECT count(*) FROM sessions WHERE project_id = ? AND "
                                        "person = ?"));
    ATTRIB_RETURN_IF_ERROR(sessions.Bind(1, project_).Bind(2, person).Step().status());
    counts.sessions = static_cast<uint64_t>(sessions.Int(0));
    sessions.Reset();
    storage::AggregateDelta delta(groups_);
    std::map<int64_t, OldConversion> old;
    ATTRIB_ASSIGN_OR_RETURN(const bool had_rows, ReadOld(*st_, person, &delta, &old));
    if (had_rows) ATTRIB_RETURN_IF_ERROR(DeleteDerived(person));
    ATTRIB_RETURN_IF_ERROR(ApplyDelta(delta));
    counts.conversions = old.size();

    // Their ids into a temporary table: every statement below works from it.
    ATTRIB_RETURN_IF_ERROR(db_.Exec(
        "CREATE TEMP TABLE IF NOT EXISTS erased(id INTEGER PRIMARY KEY, value TEXT, user INTEGER);"
        "DELETE FROM erased"));
    ATTRIB_ASSIGN_OR_RETURN(Stmt collect,
                            db_.Prepare("INSERT INTO erased SELECT id, value, user FROM ids WHERE "
                                        "project_id = ?1 AND coalesce(person, id) = ?2"));
    ATTRIB_RETURN_IF_ERROR(collect.Bind(1, project_).Bind(2, person).Run());
    counts.ids = static_cast<uint64_t>(db_.Changes());
    // The people on the other side of their links are derived again.
    ATTRIB_ASSIGN_OR_RETURN(
        Stmt neighbours,
        db_.Prepare("INSERT OR IGNORE INTO dirty(project_id, id) "
                    "SELECT ?1, to_id FROM links WHERE project_id = ?1 AND from_id IN "
                    "(SELECT id FROM erased) AND to_id NOT IN (SELECT id FROM erased) "
                    "UNION SELECT ?1, from_id FROM links WHERE project_id = ?1 AND to_id IN "
                    "(SELECT id FROM erased) AND from_id NOT IN (SELECT id FROM erased)"));
    ATTRIB_RETURN_IF_ERROR(neighbours.Bind(1, project_).Run());
    const std::pair<std::string_view, uint64_t*> steps[] = {
        {"SELECT coalesce(sum(events), 0) FROM events WHERE project_id = ?1 AND visitor IN "
         "(SELECT id FROM erased)",
         &counts.events},
        {"DELETE FROM events WHERE project_id = ?1 AND visitor IN (SELECT id FROM erased)",
         nullptr},
        {"DELETE FROM links WHERE project_id = ?1 AND (from_id IN (SELECT id FROM erased) OR "
         "to_id IN (SELECT id FROM erased))",
         nullptr},
        {"DELETE FROM dirty WHERE project_id = ?1 AND id IN (SELECT id FROM erased)", nullptr},
        {"DELETE FROM bad_rows WHERE project_id = ?1 AND (anonymous_id IN (SELECT value FROM "
         "erased WHERE user = 0) OR user_id IN (SELECT value FROM erased WHERE user = 1))",
         &counts.bad_rows},
        {"DELETE FROM ids WHERE id IN (SELECT id FROM erased)", nullptr},
    };
    for (const auto& [sql, count] : steps) {
      ATTRIB_ASSIGN_OR_RETURN(Stmt q, db_.Prepare(sql));
      q.Bind(1, project_);
      if (sql.find("?2") != std::string_view::npos) q.Bind(2, person);
      ATTRIB_ASSIGN_OR_RETURN(bool row, q.Step());
      if (count == nullptr) continue;
      *count = row ? static_cast<uint64_t>(q.Int(0)) : static_cast<uint64_t>(db_.Changes());
      q.Reset();
    }
    ATTRIB_RETURN_IF_ERROR(db_.Exec("DELETE FROM erased"));
    ATTRIB_RETURN_IF_ERROR(tx.Commit());
  }
  // The erased ids leave the caches; their neighbours are derived without them.
  ForgetCaches();
  ATTRIB_RETURN_IF_ERROR(Derive(nullptr).status());
  return counts;
}

}  // namespace attrib::sqlite
