// The inbox: every ingest request as received, on the disk before it is acknowledged and kept
// until the store has taken its events in. It lives in a file of its own beside the store
// ("DB.inbox", SQLite), so that acknowledging costs one small durable transaction however long
// the store takes to append and derive: a burst is acknowledged at the speed of the disk and
// folded into the store behind it. After a crash the next start folds what is left; folding an
// entry twice is harmless (the store drops messages it has, and bad rows it has, by their keys).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "attrib/clock.h"
#include "attrib/status.h"
#include "storage/sqlite/sqlite.h"

namespace attrib::server {

// One request's body, decoded, and what it is read with.
struct InboxEntry {
  int64_t id = 0;  // set by Append: increasing
  std::string project;
  std::string route;  // "/v1/batch": the messages' default type and the bad rows' origin
  Micros received_at = 0;
  std::string body;
};

// The path of the inbox of the store at `db`.
std::string InboxPath(const std::string& db);

class Inbox {
 public:
  // Opens (creating) the inbox file at `path`: one connection to append, one to read.
  static Result<Inbox> Open(const std::string& path);

  // In one durable transaction: appends the entries (setting their ids) and forgets those
  // folded, ids up to `folded_through`.
  Status Append(std::span<InboxEntry* const> entries, int64_t folded_through);

  // The entries with ids in [from, to], in order: for another thread than Append's.
  Result<std::vector<InboxEntry>> Read(int64_t from, int64_t to);

  // The ids held: [first, last]; when empty, last is the last id given and first = last + 1.
  Result<std::pair<int64_t, int64_t>> Span();

 private:
  Inbox(sqlite::Db writer, sqlite::Db reader)
      : writer_(std::move(writer)), reader_(std::move(reader)) {}

  sqlite::Db writer_, reader_;
  sqlite::Stmt insert_, forget_, read_, span_;
};

}  // namespace attrib::server
