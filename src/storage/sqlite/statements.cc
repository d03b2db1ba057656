#include "storage/sqlite/statements.h"

#include "storage/sqlite/sqlite_store_impl.h"

namespace attrib::sqlite {

Result<SqliteStore::Statements> SqliteStore::Statements::Prepare(Db& db) {
  Statements s;
  const std::pair<Stmt*, std::string_view> all[] = {
      // Groups, classes and rules versions are shared by the projects of a file: another
      // project's store may have added the row since this one read them, and then its id is
      // returned (the no-op update makes RETURNING answer for an existing row too).
      {&s.insert_group,
       "INSERT INTO groups(dim, value) VALUES(?, ?) "
       "ON CONFLICT(dim, value) DO UPDATE SET dim = excluded.dim RETURNING group_id"},
      {&s.insert_class,
       "INSERT INTO classes(source, medium, campaign, term, content, rule_id, channel, "
       "confidence, campaign_signal, hash) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
       "ON CONFLICT(hash) DO UPDATE SET hash = excluded.hash RETURNING class_id"},
      {&s.insert_rules_version,
       "INSERT INTO rules_versions(version) VALUES(?) "
       "ON CONFLICT(version) DO UPDATE SET version = excluded.version RETURNING "
       "rules_version_id"},
      {&s.find_id, "SELECT id FROM ids WHERE project_id = ? AND key = ?"},
      {&s.insert_id, "INSERT INTO ids(project_id, key, user, value) VALUES(?, ?, ?, ?)"},
      {&s.mark_linked, "UPDATE ids SET linked = 1 WHERE id = ? AND linked = 0"},
      {&s.visitor_blocks, "SELECT data FROM events WHERE project_id = ? AND visitor = ?"},
      {&s.insert_block,
       "INSERT INTO events(project_id, visitor, events, first_at, last_at, rules_version_id, "
       "data) VALUES(?, ?, ?, ?, ?, ?, ?)"},
      {&s.insert_bad_row,
       "INSERT OR IGNORE INTO bad_rows(project_id, received_at, reason, message, raw, origin, "
       "message_id, dedupe_key, anonymous_id, user_id) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
      {&s.upsert_link,
       "INSERT INTO links(project_id, from_id, to_id, alias, at) VALUES(?, ?, ?, ?, ?) "
       "ON CONFLICT DO UPDATE SET at = min(at, excluded.at)"},
      {&s.insert_dirty, "INSERT OR IGNORE INTO dirty(project_id, id) VALUES(?, ?)"},
      {&s.select_dirty, "SELECT id FROM dirty WHERE project_id = ? ORDER BY id"},
      {&s.delete_dirty, "DELETE FROM dirty WHERE project_id = ? AND id = ?"},
      {&s.delete_dirty_range, "DELETE FROM dirty WHERE project_id = ? AND id BETWEEN ? AND ?"},
      {&s.id_row, "SELECT key, coalesce(person, id), linked FROM ids WHERE id = ?"},
      {&s.links_from, "SELECT to_id, alias, at FROM links WHERE project_id = ? AND from_id = ?"},
      {&s.links_to,
       "SELECT from_id, alias, at FROM links INDEXED BY links_to WHERE project_id = ? AND to_id = "
       "?"},
      {&s.set_person, "UPDATE ids SET person = ? WHERE id = ?"},
      {&s.old_sessions,
       "SELECT start, class_id FROM sessions WHERE project_id = ? AND person = ? ORDER BY seq"},
      {&s.old_conversions,
       "SELECT event_key, at, kind, revenue, currency, version, credited_at, restated_at, "
       "last_of_kind_at FROM conversions WHERE project_id = ? AND person = ?"},
      {&s.old_credits,
       "SELECT event_key, class_id, first_touch, last_touch, last_non_direct, linear, "
       "time_decay, u_shaped, w_shaped, participation FROM credits WHERE project_id = ? AND "
       "person = ? ORDER BY event_key, touch"},
      {&s.delete_sessions, "DELETE FROM sessions WHERE project_id = ? AND person = ?"},
      {&s.delete_conversions, "DELETE FROM conversions WHERE project_id = ? AND person = ?"},
      {&s.delete_credits, "DELETE FROM credits WHERE project_id = ? AND person = ?"},
      {&s.insert_session, "INSERT INTO sessions VALUES(?, ?, ?, ?, ?, ?, ?)"},
      {&s.insert_conversion,
       "INSERT INTO conversions(project_id, person, event_key, message_id, at, kind, revenue, "
       "currency, touchpoints, version, credited_at, restated_at, last_of_kind_at) "
       "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
      {&s.insert_credit, "INSERT INTO credits VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
      {&s.upsert_reach,
       "INSERT INTO agg_reach VALUES(?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
       "visitors = visitors + excluded.visitors, touchpoints = touchpoints + excluded.touchpoints, "
       "paid = paid + excluded.paid"},
      {&s.upsert_credits,
       "INSERT INTO agg_credits VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
       "?14, ?15, ?16, ?17, ?18, ?19, ?20) ON CONFLICT DO UPDATE SET "
       "credit_first_touch = credit_first_touch + ?5, credit_last_touch = credit_last_touch + ?6, "
       "credit_last_non_direct = credit_last_non_direct + ?7, credit_linear = credit_linear + ?8, "
       "credit_time_decay = credit_time_decay + ?9, credit_u_shaped = credit_u_shaped + ?10, "
       "credit_w_shaped = credit_w_shaped + ?11, "
       "credit_participation = credit_participation + ?12, "
       "revenue_first_touch = revenue_first_touch + ?13, "
       "revenue_last_touch = revenue_last_touch + ?14, "
       "revenue_last_non_direct = revenue_last_non_direct + ?15, "
       "revenue_linear = revenue_linear + ?16, revenue_time_decay = revenue_time_decay + ?17, "
       "revenue_u_shaped = revenue_u_shaped + ?18, revenue_w_shaped = revenue_w_shaped + ?19, "
       "revenue_participation = revenue_participation + ?20"},
      {&s.upsert_totals,
       "INSERT INTO agg_conversions VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
       "conversions = conversions + excluded.conversions, revenue = revenue + excluded.revenue"},
      {&s.upsert_paths,
       "INSERT INTO agg_paths VALUES(?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
       "conversions = conversions + excluded.conversions, revenue = revenue + excluded.revenue, "
       "nulls = nulls + excluded.nulls"},
      {&s.delete_zero_reach,
       "DELETE FROM agg_reach WHERE project_id = ? AND group_id = ? AND level = ? AND day = ? "
       "AND prev_day = ? AND visitors = 0 AND touchpoints = 0"},
      {&s.delete_zero_credits,
       "DELETE FROM agg_credits WHERE project_id = ? AND group_id = ? AND kind = ? AND day = ? "
       "AND credit_first_touch = 0 AND credit_last_touch = 0 AND credit_last_non_direct = 0 AND "
       "credit_linear = 0 AND credit_time_decay = 0 AND credit_u_shaped = 0 AND "
       "credit_w_shaped = 0 AND credit_participation = 0"},
      {&s.delete_zero_totals,
       "DELETE FROM agg_conversions WHERE project_id = ? AND kind = ? AND day = ? AND "
       "currency = ? AND conversions = 0"},
      {&s.delete_zero_paths,
       "DELETE FROM agg_paths WHERE project_id = ? AND dim = ? AND conversion_filter = ? AND "
       "day = ? AND path = ? AND conversions = 0 AND nulls = 0"},
      {&s.next_paths_stamp,
       "UPDATE projects SET paths_stamp = paths_stamp + 1 WHERE project_id = ? "
       "RETURNING paths_stamp"},
      {&s.stamp_path_day,
       "INSERT INTO agg_path_days VALUES(?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
       "stamp = excluded.stamp"},
      {&s.find_person, "SELECT coalesce(person, id) FROM ids WHERE project_id = ? AND key = ?"},
      // The dimension's groups first, then each one's days (planned the other way round,
      // SQLite read every aggregate row of the project).
      {&s.read_reach,
       "SELECT g.group_id, g.value, r.touchpoints, r.visitors, r.paid, r.prev_day, r.day "
       "FROM groups g "
       "CROSS JOIN agg_reach r ON r.project_id = ?1 AND r.group_id = g.group_id AND r.level = ?5 "
       "AND r.day >= ?3 AND r.day < ?4 WHERE g.dim = ?2"},
      {&s.read_credits,
       "SELECT g.group_id, g.value, c.credit_first_touch, c.credit_last_touch, "
       "c.credit_last_non_direct, "
       "c.credit_linear, c.credit_time_decay, c.credit_u_shaped, c.credit_w_shaped, "
       "c.credit_participation, c.revenue_first_touch, c.revenue_last_touch, "
       "c.revenue_last_non_direct, c.revenue_linear, c.revenue_time_decay, c.revenue_u_shaped, "
       "c.revenue_w_shaped, c.revenue_participation, c.day FROM groups g CROSS JOIN agg_credits c "
       "ON c.project_id = ?1 AND c.group_id = g.group_id AND c.day >= ?3 AND c.day < ?4 "
       "WHERE g.dim = ?2 AND (?5 IS NULL OR c.kind = ?5)"},
      {&s.read_totals,
       "SELECT currency, conversions, revenue FROM agg_conversions WHERE project_id = ?1 AND "
       "day >= ?2 AND day < ?3 AND (?4 IS NULL OR kind = ?4)"},
      // Rows of every filter (kAnyFilter) and of the one asked for.
      {&s.read_paths,
       "SELECT path, conversions, revenue, nulls FROM agg_paths WHERE project_id = ?1 AND "
       "dim = ?2 AND conversion_filter IN (-1, ?3) AND day >= ?4 AND day < ?5"},
      {&s.read_group_values, "SELECT group_id, value FROM groups WHERE dim = ?"},
      {&s.read_new_group_values,
       "SELECT group_id, value FROM groups WHERE dim = ? AND group_id >= ?"},
      {&s.read_path_days,
       "SELECT day, stamp FROM agg_path_days WHERE project_id = ? AND dim = ? AND "
       "conversion_filter = ? AND stamp > ? ORDER BY day"},
      {&s.read_paths_stamp, "SELECT paths_stamp FROM projects WHERE project_id = ?"},
      // The project's aggregates, every row (KeptAggregates).
      {&s.read_all_groups, "SELECT dim, value, group_id FROM groups ORDER BY dim, value"},
      {&s.read_all_reach,
       "SELECT group_id, level, day, prev_day, visitors, touchpoints, paid FROM agg_reach "
       "WHERE project_id = ?"},
      {&s.read_all_credits,
       "SELECT group_id, kind, day, credit_first_touch, credit_last_touch, "
       "credit_last_non_direct, credit_linear, credit_time_decay, credit_u_shaped, "
       "credit_w_shaped, credit_participation, revenue_first_touch, revenue_last_touch, "
       "revenue_last_non_direct, revenue_linear, revenue_time_decay, revenue_u_shaped, "
       "revenue_w_shaped, revenue_participation FROM agg_credits WHERE project_id = ?"},
      {&s.read_all_totals,
       "SELECT kind, day, currency, conversions, revenue FROM agg_conversions WHERE "
       "project_id = ?"},
      {&s.read_day_paths,
       "SELECT path, conversions, revenue, nulls FROM agg_paths WHERE project_id = ? AND "
       "dim = ? AND conversion_filter = ? AND day = ?"},
  };
  for (const auto& [stmt, sql] : all) {
    ATTRIB_ASSIGN_OR_RETURN(*stmt, db.Prepare(sql));
  }
  return s;
}

}  // namespace attrib::sqlite
