// The SQLite store's prepared statements (internal), prepared once per connection.
#pragma once

#include "storage/sqlite/sqlite.h"
#include "storage/sqlite/sqlite_store_impl.h"

namespace attrib::sqlite {

struct SqliteStore::Statements {
  static Result<Statements> Prepare(Db& db);

  Stmt insert_group, insert_class, insert_rules_version;
  Stmt find_id, insert_id, mark_linked;
  Stmt visitor_blocks, insert_block;
  Stmt insert_bad_row, upsert_link, insert_dirty;
  // Derivation.
  Stmt select_dirty, delete_dirty, delete_dirty_range, id_row, links_from, links_to, set_person;
  Stmt old_sessions, old_conversions, old_credits;
  Stmt delete_sessions, delete_conversions, delete_credits;
  Stmt insert_session, insert_conversion, insert_credit;
  Stmt upsert_reach, upsert_credits, upsert_totals, upsert_paths;
  Stmt delete_zero_reach, delete_zero_credits, delete_zero_totals, delete_zero_paths;
  Stmt next_paths_stamp, stamp_path_day;
  // Reads.
  Stmt find_person, read_reach, read_credits, read_totals, read_paths, read_group_values;
  Stmt read_path_days, read_day_paths, read_paths_stamp, read_new_group_values;
  Stmt read_all_groups, read_all_reach, read_all_credits, read_all_totals;
};

}  // namespace attrib::sqlite
