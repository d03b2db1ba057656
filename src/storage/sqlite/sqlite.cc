#include "storage/sqlite/sqlite.h"

#include <fmt/format.h>

namespace attrib::sqlite {
namespace {

// Busy and locked mean another process holds the database: the caller may retry.
Status ErrorOf(int rc, sqlite3* db, std::string_view what) {
  const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string text = fmt::format("store: {}: {}", what, message);
  const int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Status::Unavailable(text);
  if (primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_CANTOPEN ||
      primary == SQLITE_READONLY || primary == SQLITE_PERM) {
    return Status::IoError(text);
  }
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
    return Status::FailedPrecondition(std::move(text));
  }
  return Status::Internal(std::move(text));
}

}  // namespace

Stmt& Stmt::operator=(Stmt&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = other.stmt_;
    db_ = other.db_;
    other.stmt_ = nullptr;
  }
  return *this;
}

Status Stmt::Error(int rc) const {
  const char* sql = sqlite3_sql(stmt_);
  std::string_view what = sql != nullptr ? std::string_view(sql) : std::string_view("statement");
  if (what.size() > 80) what = what.substr(0, 80);
  return ErrorOf(rc, db_, what);
}

Result<bool> Stmt::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) {
    Reset();
    return false;
  }
  Status error = Error(rc);
  Reset();
  return error;
}

Status Stmt::Run() {
  Result<bool> row = Step();
  if (!row.ok()) return row.status();
  if (*row) Reset();
  return Status::Ok();
}

Result<Db> Db::Open(const std::string& path, bool create) {
  // Before SQLite's first use: no global count of memory in use, whose mutex every allocation
  // of every connection would take (derivation reads and writes on two threads at once).
  static const int configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)configured;
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0), nullptr);
  if (rc != SQLITE_OK) {
    Status error = ErrorOf(rc, db, path);
    sqlite3_close(db);
    return error;
  }
  sqlite3_extended_result_codes(db, 1);
  return Db(db);
}

Db& Db::operator=(Db&& other) noexcept {
  if (this != &other) {
    sqlite3_close(db_);
    db_ = other.db_;
    other.db_ = nullptr;
  }
  return *this;
}

Db::~Db() { sqlite3_close(db_); }

Result<Stmt> Db::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return ErrorOf(rc, db_, sql.substr(0, 80));
  return Stmt(stmt, db_);
}

Status Db::Exec(std::string_view sql) {
  const std::string text(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);
  if (rc != SQLITE_OK) return ErrorOf(rc, db_, sql.substr(0, 80));
  return Status::Ok();
}

Result<Transaction> Transaction::Begin(Db& db) {
  ATTRIB_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Result<Transaction> Transaction::BeginRead(Db& db) {
  ATTRIB_RETURN_IF_ERROR(db.Exec("BEGIN"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->Exec("ROLLBACK");
}

Status Transaction::Commit() {
  ATTRIB_RETURN_IF_ERROR(db_->Exec("COMMIT"));  // on failure the destructor rolls back
  db_ = nullptr;
  return Status::Ok();
}

}  // namespace attrib::sqlite
