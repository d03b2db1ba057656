// attrib export: the stored events (decoded from their blocks), sessions and credits.
#include <fmt/format.h>

#include <array>
#include <map>

#include "common/time.h"
#include "storage/sqlite/sqlite_store_impl.h"

namespace attrib::sqlite {
namespace {

// What a classification is, as exported.
struct ClassText {
  std::string source, medium, campaign, term, content, rule_id, channel, confidence;
};

ExportValue TextOrNull(std::string_view s) {
  return s.empty() ? ExportValue::Null() : ExportValue::Text(s);
}

// Sessions and credits: rows of a query, times as ISO 8601 text.
Status ExportQuery(Db& db, std::string_view sql, int64_t project,
                   std::span<const std::string_view> columns, std::span<const bool> is_time,
                   ExportSink& sink) {
  sink.Columns(columns);
  ATTRIB_ASSIGN_OR_RETURN(Stmt q, db.Prepare(sql));
  q.Bind(1, project);
  std::vector<ExportValue> values(columns.size());
  std::vector<std::string> times(columns.size());
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    for (size_t c = 0; c < columns.size(); ++c) {
      const int col = static_cast<int>(c);
      switch (sqlite3_column_type(q.raw(), col)) {
        case SQLITE_NULL:
          values[c] = ExportValue::Null();
          break;
        case SQLITE_INTEGER:
          if (is_time[c]) {
            times[c] = FormatIsoTime(q.Int(col));
            values[c] = ExportValue::Text(times[c]);
          } else {
            values[c] = ExportValue::Int(q.Int(col));
          }
          break;
        case SQLITE_FLOAT:
          values[c] = ExportValue::Real(q.Double(col));
          break;
        default:
          values[c] = ExportValue::Text(q.Text(col));
      }
    }
    Status s = sink.Row(values);
    if (!s.ok()) {
      q.Reset();
      return s;
    }
  }
  return Status::Ok();
}

}  // namespace

Status SqliteStore::Export(ExportKind what, ExportSink& sink) {
  ATTRIB_ASSIGN_OR_RETURN(Transaction snapshot, Transaction::BeginRead(db_));
  if (what == ExportKind::kSessions) {
    static constexpr std::string_view kColumns[] = {"person",   "session", "start",     "end",
                                                    "events",   "channel", "source",    "medium",
                                                    "campaign", "rule_id", "confidence"};
    static constexpr bool kTime[] = {false, false, true,  true,  false, false,
                                     false, false, false, false, false};
    return ExportQuery(
        db_,
        "SELECT p.value, s.seq, s.start, s.end, s.events, c.channel, c.source, c.medium, "
        "c.campaign, c.rule_id, c.confidence FROM sessions s JOIN ids p ON p.id = s.person "
        "JOIN classes c USING(class_id) WHERE s.project_id = ? ORDER BY s.person, s.seq",
        project_, kColumns, kTime, sink);
  }
  if (what == ExportKind::kCredits) {
    static constexpr std::string_view kColumns[] = {
        "message_id",  "person",     "converted_at",    "conversion", "revenue",
        "currency",    "version",    "restated_at",     "touchpoint", "session_start",
        "channel",     "source",     "medium",          "campaign",   "rule_id",
        "first_touch", "last_touch", "last_non_direct", "linear",     "time_decay",
        "u_shaped",    "w_shaped",   "participation"};
    static constexpr bool kTime[] = {false, false, true,  false, false, false, false, true,
                                     false, true,  false, false, false, false, false, false,
                                     false, false, false, false, false, false, false};
    return ExportQuery(
        db_,
        "SELECT v.message_id, p.value, v.at, v.kind, v.revenue, v.currency, v.version, "
        "v.restated_at, r.touch, r.session_start, c.channel, c.source, c.medium, c.campaign, "
        "c.rule_id, r.first_touch, r.last_touch, r.last_non_direct, r.linear, r.time_decay, "
        "r.u_shaped, r.w_shaped, r.participation FROM conversions v "
        "JOIN credits r ON r.project_id = v.project_id AND r.person = v.person AND "
        "r.event_key = v.event_key JOIN ids p ON p.id = v.person JOIN classes c "
        "ON c.class_id = r.class_id WHERE v.project_id = ? "
        "ORDER BY v.person, v.at, v.event_key, r.touch",
        project_, kColumns, kTime, sink);
  }

  static constexpr std::string_view kColumns[] = {
      "message_id", "type",          "name",       "anonymous_id", "user_id",       "previous_id",
      "timestamp",  "received_at",   "url",        "referrer",     "campaign_tags", "channel",
      "source",     "medium",        "campaign",   "term",         "content",       "rule_id",
      "confidence", "rules_version", "conversion", "revenue",      "currency"};
  sink.Columns(kColumns);
  std::map<uint64_t, ClassText> classes;  // by hash
  ATTRIB_ASSIGN_OR_RETURN(
      Stmt cq, db_.Prepare("SELECT hash, source, medium, campaign, term, content, rule_id, "
                           "channel, confidence FROM classes"));
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, cq.Step());
    if (!row) break;
    ClassText& c = classes[static_cast<uint64_t>(cq.Int(0))];
    c = {std::string(cq.Text(1)), std::string(cq.Text(2)), std::string(cq.Text(3)),
         std::string(cq.Text(4)), std::string(cq.Text(5)), std::string(cq.Text(6)),
         std::string(cq.Text(7)), std::string(cq.Text(8))};
  }
  ATTRIB_ASSIGN_OR_RETURN(
      Stmt q, db_.Prepare("SELECT e.data, r.version FROM events e JOIN rules_versions r "
                          "USING(rules_version_id) WHERE e.project_id = ? ORDER BY e.block_id"));
  q.Bind(1, project_);
  const std::vector<std::string>& kinds = options_.settings.person.conversions.events;
  std::array<ExportValue, std::size(kColumns)> v;
  std::string timestamp, received_at;
  Status failed;
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    const std::string rules_version(q.Text(1));
    Status decoded = decoder_.Decode(q.Blob(0), [&](const storage::BlockEvent& e) {
      if (!failed.ok()) return;
      timestamp = FormatIsoTime(e.at);
      received_at = FormatIsoTime(e.received_at);
      v = {TextOrNull(e.message_id),
           ExportValue::Text(ingest::ToString(e.type)),
           TextOrNull(e.name),
           TextOrNull(e.anonymous_id),
           TextOrNull(e.user_id),
           TextOrNull(e.previous_id),
           ExportValue::Text(timestamp),
           ExportValue::Text(received_at),
           TextOrNull(e.url),
           TextOrNull(e.referrer),
           TextOrNull(e.campaign)};
      const auto c = classes.find(e.class_hash);
      if ((e.flags & sessionize::kHasUrl) && c != classes.end()) {
        const ClassText& t = c->second;
        v[11] = ExportValue::Text(t.channel);
        v[12] = ExportValue::Text(t.source);
        v[13] = ExportValue::Text(t.medium);
        v[14] = TextOrNull(t.campaign);
        v[15] = TextOrNull(t.term);
        v[16] = TextOrNull(t.content);
        v[17] = ExportValue::Text(t.rule_id);
        v[18] = ExportValue::Text(t.confidence);
        v[19] = ExportValue::Text(rules_version);
      }
      if (e.kind >= 0 && static_cast<size_t>(e.kind) < kinds.size()) {
        v[20] = ExportValue::Text(kinds[static_cast<size_t>(e.kind)]);
        v[21] = ExportValue::Real(e.revenue);
        v[22] = ExportValue::Text(e.currency);
      }
      failed = sink.Row(v);
    });
    if (!decoded.ok() || !failed.ok()) {
      q.Reset();
      return decoded.ok() ? failed : decoded;
    }
  }
  return Status::Ok();
}

}  // namespace attrib::sqlite
