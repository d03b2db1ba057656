// Derivation: people marked dirty by ingest are resolved again (identity), and their sessions,
// conversions, credits and aggregate terms replaced — the old terms subtracted, the new added.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "attribution/person.h"
#include "identity/identity.h"
#include "storage/sqlite/sqlite_store_impl.h"
#include "storage/sqlite/statements.h"

namespace attrib::sqlite {
namespace {

// Dirty ids derived per transaction.
constexpr size_t kChunkIds = 20'000;

using storage::SessionTerm;
using storage::TouchTerm;

bool SameCredits(std::span<const TouchTerm> a, std::span<const TouchTerm> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].class_id != b[i].class_id || a[i].credit != b[i].credit) return false;
  }
  return true;
}

}  // namespace

// Writes one person's derived rows and aggregate terms.
class PersonWriter : public PersonSink {
 public:
  PersonWriter(SqliteStore::Statements& st, int64_t project, const PersonOptions& options,
               storage::AggregateDelta* delta, std::map<int64_t, OldConversion>* old, Micros now,
               DeriveCounts* counts)
      : st_(st),
        project_(project),
        options_(options),
        delta_(*delta),
        old_(*old),
        now_(now),
        counts_(*counts) {}

  // `message_ids`: of the person's conversions, by event key.
  void Start(int64_t person, const std::vector<std::string>* currencies,
             const std::map<uint64_t, std::string>* message_ids) {
    person_ = person;
    currencies_ = currencies;
    message_ids_ = message_ids;
    sessions_.clear();
    counted_.clear();
    last_of_kind_.assign(options_.conversions.events.size(), storage::kNoTime);
  }
  // After the person's derivation: their journeys' paths.
  void Finish() {
    if (!sessions_.empty()) {
      delta_.AddPaths(sessions_, counted_, last_of_kind_, options_.conversions, +1);
    }
  }
  const Status& status() const { return status_; }

  void OnSessions(std::span<const sessionize::Session> sessions) override {
    sessions_.assign(sessions.begin(), sessions.end());
    terms_.clear();
    for (size_t i = 0; i < sessions.size() && status_.ok(); ++i) {
      const sessionize::Session& s = sessions[i];
      terms_.push_back(SessionTerm{s.start, s.touch});
      status_ = st_.insert_session.Bind(1, project_)
                    .Bind(2, person_)
                    .Bind(3, static_cast<int64_t>(i))
                    .Bind(4, s.start)
                    .Bind(5, s.end)
                    .Bind(6, int64_t{s.count})
                    .Bind(7, int64_t{s.touch})
                    .Run();
    }
    delta_.AddSessions(terms_, +1);
  }

  void OnConversions(std::span<const journey::Conversion> conversions) override {
    for (const journey::Conversion& c : conversions) last_of_kind_[c.kind] = c.at;
  }

  void OnJourney(const journey::Journey& j, std::span<const double> credits) override {
    if (j.conversion == nullptr || !status_.ok()) return;
    const journey::Conversion& c = *j.conversion;
    counted_.push_back(c);
    const size_t n = j.sessions.size();
    touches_.resize(n);
    for (size_t i = 0; i < n; ++i) {
      touches_[i].class_id = j.sessions[i].touch;
      for (int m = 0; m < kHeuristicModelCount; ++m) touches_[i].credit[m] = credits[m * n + i];
    }
    const std::string& currency = (*currencies_)[c.currency];
    delta_.AddConversion(c.kind, c.at, c.revenue, currency, touches_, +1);
    ++counts_.conversions;

    const auto event_key = static_cast<int64_t>(c.ref);
    int64_t version = 1;
    Micros credited_at = now_;
    std::optional<Micros> restated_at;
    if (auto it = old_.find(event_key); it != old_.end()) {
      const OldConversion& o = it->second;
      credited_at = o.credited_at;
      version = o.version;
      restated_at = o.restated_at;
      if (!SameCredits(o.touches, touches_)) {
        ++version;
        restated_at = now_;
        ++counts_.restated;
      }
      old_.erase(it);
    }
    Stmt& in = st_.insert_conversion;
    const auto message_id = message_ids_->find(c.ref);
    in.Bind(1, project_).Bind(2, person_).Bind(3, event_key);
    if (message_id != message_ids_->end()) in.BindOrNull(4, message_id->second);
    in.Bind(5, c.at)
        .Bind(6, std::string_view(options_.conversions.events[c.kind]))
        .Bind(7, c.revenue)
        .Bind(8, std::string_view(currency))
        .Bind(9, static_cast<int64_t>(n))
        .Bind(10, version)
        .Bind(11, credited_at);
    if (restated_at) in.Bind(12, *restated_at);
    in.Bind(13, last_of_kind_[c.kind]);
    status_ = in.Run();
    for (size_t i = 0; i < n && status_.ok(); ++i) {
      Stmt& cr = st_.insert_credit;
      cr.Bind(1, project_)
          .Bind(2, person_)
          .Bind(3, event_key)
          .Bind(4, static_cast<int64_t>(i))
          .Bind(5, j.sessions[i].start)
          .Bind(6, int64_t{touches_[i].class_id});
      for (int m = 0; m < kHeuristicModelCount; ++m) cr.Bind(7 + m, touches_[i].credit[m]);
      status_ = cr.Run();
    }
  }

 private:
  SqliteStore::Statements& st_;
  int64_t project_;
  const PersonOptions& options_;
  storage::AggregateDelta& delta_;
  std::map<int64_t, OldConversion>& old_;
  Micros now_;
  DeriveCounts& counts_;
  int64_t person_ = 0;
  const std::vector<std::string>* currencies_ = nullptr;
  const std::map<uint64_t, std::string>* message_ids_ = nullptr;
  std::vector<SessionTerm> terms_;
  std::vector<TouchTerm> touches_;
  std::vector<sessionize::Session> sessions_;
  std::vector<journey::Conversion> counted_;
  std::vector<Micros> last_of_kind_;  // by conversion kind
  Status status_;
};

Status SqliteStore::TakeAway(int64_t person, storage::AggregateDelta* delta,
                             std::map<int64_t, OldConversion>* old_conversions, bool* shrank) {
  Statements& st = *st_;
  std::map<int64_t, OldConversion>& old = *old_conversions;
  std::vector<SessionTerm> sessions;
  std::vector<sessionize::Session> journey_sessions;
  st.old_sessions.Bind(1, project_).Bind(2, person);
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, st.old_sessions.Step());
    if (!row) break;
    const SessionTerm t{st.old_sessions.Int(0), static_cast<uint32_t>(st.old_sessions.Int(1))};
    sessions.push_back(t);
    journey_sessions.push_back(sessionize::Session{.start = t.start, .touch = t.class_id});
  }
  if (sessions.empty()) return Status::Ok();  // never derived, or no activity
  *shrank = true;
  delta->AddSessions(sessions, -1);
  st.old_conversions.Bind(1, project_).Bind(2, person);
  struct Converted {
    Micros at;
    std::string kind, currency;
    double revenue;
  };
  std::map<int64_t, Converted> convs;
  const auto& events = options_.settings.person.conversions.events;
  std::vector<journey::Conversion> counted;
  std::vector<Micros> last_of_kind(events.size(), storage::kNoTime);
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, st.old_conversions.Step());
    if (!row) break;
    Stmt& q = st.old_conversions;
    OldConversion& o = old[q.Int(0)];
    o.version = q.Int(5);
    o.credited_at = q.Int(6);
    if (!q.IsNull(7)) o.restated_at = q.Int(7);
    const Converted& c = convs[q.Int(0)] =
        Converted{q.Int(1), std::string(q.Text(2)), std::string(q.Text(4)), q.Double(3)};
    const auto kind =
        static_cast<uint32_t>(std::find(events.begin(), events.end(), c.kind) - events.begin());
    if (kind == events.size()) {
      return Status::Internal(
          fmt::format("store: conversion event \"{}\" is not configured", c.kind));
    }
    counted.push_back(journey::Conversion{.at = c.at, .kind = kind, .revenue = c.revenue});
    last_of_kind[kind] = q.Int(8);
  }
  std::sort(counted.begin(), counted.end(),
            [](const journey::Conversion& a, const journey::Conversion& b) { return a.at < b.at; });
  delta->AddPaths(journey_sessions, counted, last_of_kind, options_.settings.person.conversions,
                  -1);
  st.old_credits.Bind(1, project_).Bind(2, person);
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, st.old_credits.Step());
    if (!row) break;
    TouchTerm t{static_cast<uint32_t>(st.old_credits.Int(1)), {}};
    for (int m = 0; m < kHeuristicModelCount; ++m) t.credit[m] = st.old_credits.Double(2 + m);
    old[st.old_credits.Int(0)].touches.push_back(t);
  }
  for (const auto& [event_key, c] : convs) {
    const auto kind =
        static_cast<uint32_t>(std::find(events.begin(), events.end(), c.kind) - events.begin());
    delta->AddConversion(kind, c.at, c.revenue, c.currency, old[event_key].touches, -1);
  }
  for (Stmt* del : {&st.delete_sessions, &st.delete_conversions, &st.delete_credits}) {
    ATTRIB_RETURN_IF_ERROR(del->Bind(1, project_).Bind(2, person).Run());
  }
  return Status::Ok();
}

Result<DeriveCounts> SqliteStore::Derive(const std::function<void(uint64_t, uint64_t)>& progress) {
  std::vector<int64_t> dirty;
  st_->select_dirty.Bind(1, project_);
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, st_->select_dirty.Step());
    if (!row) break;
    dirty.push_back(st_->select_dirty.Int(0));
  }
  DeriveCounts counts;
  U64Map<uint8_t> derived;  // ids derived so far (with a dirty id of an earlier chunk)
  for (size_t done = 0; done < dirty.size();) {
    if (progress) progress(done, dirty.size());
    const size_t n = std::min(kChunkIds, dirty.size() - done);
    ATTRIB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
    DeriveCounts chunk;
    ATTRIB_RETURN_IF_ERROR(DeriveChunk(std::span(dirty.data() + done, n), &derived, &chunk));
    ATTRIB_RETURN_IF_ERROR(tx.Commit());
    counts.people += chunk.people;
    counts.conversions += chunk.conversions;
    counts.restated += chunk.restated;
    done += n;
  }
  if (progress) progress(dirty.size(), dirty.size());
  return counts;
}

Status SqliteStore::DeriveChunk(std::span<const int64_t> dirty, U64Map<uint8_t>* done,
                                DeriveCounts* counts) {
  Statements& st = *st_;
  // 1. Identity: each dirty id with its linked ids (the connected component of links), resolved
  //    again from all their links. An id never linked is a person of its own.
  struct IdInfo {
    uint64_t key;
    int64_t old_person;
    int64_t new_person;
  };
  std::map<int64_t, IdInfo> ids;                          // every id whose person may change
  const auto load_id = [&](int64_t id) -> Result<bool> {  // false: already loaded
    if (ids.count(id) != 0) return false;
    ATTRIB_ASSIGN_OR_RETURN(bool row, st.id_row.Bind(1, id).Step());
    if (!row) return Status::Internal(fmt::format("store: id {} is missing", id));
    const bool linked = st.id_row.Int(2) != 0;
    ids[id] = IdInfo{static_cast<uint64_t>(st.id_row.Int(0)), st.id_row.Int(1), id};
    st.id_row.Reset();
    return linked;
  };
  for (const int64_t start : dirty) {
    if (done->Find(static_cast<uint64_t>(start)) != nullptr) continue;  // derived with another
    ATTRIB_ASSIGN_OR_RETURN(const bool linked, load_id(start));
    if (!linked) continue;
    std::vector<identity::Link> links;
    std::vector<int64_t> component = {start}, queue = {start};
    while (!queue.empty()) {
      const int64_t id = queue.back();
      queue.pop_back();
      for (Stmt* q : {&st.links_from, &st.links_to}) {
        q->Bind(1, project_).Bind(2, id);
        for (;;) {
          ATTRIB_ASSIGN_OR_RETURN(bool row, q->Step());
          if (!row) break;
          const int64_t other = q->Int(0);
          const bool alias = q->Int(1) != 0;
          const Micros at = q->Int(2);
          if (q == &st.links_from) {  // each link once: from the side it leaves
            links.push_back(
                identity::Link{static_cast<uint64_t>(id), static_cast<uint64_t>(other), at,
                               alias ? identity::LinkKind::kAlias : identity::LinkKind::kObserved});
          }
          if (ids.count(other) == 0) {
            ATTRIB_RETURN_IF_ERROR(load_id(other).status());
            queue.push_back(other);
            component.push_back(other);
          }
        }
      }
    }
    // The graph works on identity keys: translate, resolve, translate back.
    std::map<uint64_t, int64_t> id_of_key;
    for (const int64_t id : component) id_of_key[ids[id].key] = id;
    for (identity::Link& l : links) {
      l.from = ids[static_cast<int64_t>(l.from)].key;
      l.user = ids[static_cast<int64_t>(l.user)].key;
    }
    const identity::IdentityGraph graph(std::move(links));
    for (const int64_t id : component) ids[id].new_person = id_of_key[graph.PersonOf(ids[id].key)];
  }

  for (const auto& [id, info] : ids) (*done)[static_cast<uint64_t>(id)] = 1;

  // 2. The old people lose their derived state; the new ones get it again.
  std::set<int64_t> old_people;
  std::map<int64_t, std::vector<int64_t>> new_people;  // person → its ids
  for (const auto& [id, info] : ids) {
    old_people.insert(info.old_person);
    new_people[info.new_person].push_back(id);
  }
  storage::AggregateDelta delta(groups_);
  std::map<int64_t, OldConversion> old;
  bool shrank = false;
  for (const int64_t person : old_people) {
    ATTRIB_RETURN_IF_ERROR(TakeAway(person, &delta, &old, &shrank));
  }

  // 3. Derive each new person from the events of all their ids.
  const Micros now = clock_.Now();
  PersonDeriver deriver(options_.settings.person, counting_by_kind_, channels_, no_url_class_);
  PersonWriter writer(st, project_, options_.settings.person, &delta, &old, now, counts);
  std::vector<EventRecord> events;
  std::vector<ConversionRecord> conversions;
  std::vector<std::string> currencies;
  std::map<uint64_t, std::string> message_ids;
  for (const auto& [new_person, person_ids] : new_people) {
    const int64_t person = new_person;  // a lambda below captures it
    events.clear();
    conversions.clear();
    currencies.clear();
    message_ids.clear();
    for (const int64_t id : person_ids) {
      Stmt& q = st.visitor_blocks;
      q.Bind(1, project_).Bind(2, id);
      for (;;) {
        ATTRIB_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        Status decoded = decoder_.Decode(q.Blob(0), [&](const storage::BlockEvent& b) {
          const bool has_id = !b.message_id.empty();
          EventRecord e{static_cast<uint64_t>(person), b.at, kIdentityOnly | kNotPage,
                        has_id ? static_cast<uint32_t>(b.dedupe_key >> 32) | 1 : 0};
          if (b.type == ingest::MessageType::kTrack || b.type == ingest::MessageType::kPage ||
              b.type == ingest::MessageType::kScreen) {
            uint32_t touch = no_url_class_;
            if (b.flags & sessionize::kHasUrl) {
              const uint32_t* id = class_ids_.Find(b.class_hash);
              touch = id != nullptr ? *id : no_url_class_;
            }
            e.touch = touch | uint32_t{b.flags} << kFlagShift |
                      (b.type == ingest::MessageType::kPage ? 0 : kNotPage);
          }
          events.push_back(e);
          if (b.kind < 0) return;
          auto it = std::find(currencies.begin(), currencies.end(), b.currency);
          if (it == currencies.end()) it = currencies.insert(it, std::string(b.currency));
          conversions.push_back(
              ConversionRecord{static_cast<uint64_t>(person), b.at, has_id ? b.dedupe_key : 0,
                               b.revenue, static_cast<uint32_t>(b.kind),
                               static_cast<uint32_t>(it - currencies.begin()), b.dedupe_key});
          message_ids[b.dedupe_key] = std::string(b.message_id);
        });
        if (!decoded.ok()) {
          q.Reset();
          return decoded;
        }
      }
    }
    writer.Start(person, &currencies, &message_ids);
    deriver.Derive(events, conversions, writer);
    writer.Finish();
    ATTRIB_RETURN_IF_ERROR(writer.status());
    ++counts->people;
  }
  // Conversions that no longer count (a late earlier one took their place) are restated too.
  counts->restated += old.size();

  // 4. Who is who now; the aggregates; the dirty marks.
  for (const auto& [id, info] : ids) {
    if (info.new_person == info.old_person) continue;
    Stmt& set = st.set_person;
    if (info.new_person == id) {
      set.BindNull(1);
    } else {
      set.Bind(1, info.new_person);
    }
    ATTRIB_RETURN_IF_ERROR(set.Bind(2, id).Run());
  }
  ATTRIB_RETURN_IF_ERROR(ApplyDelta(delta, shrank));
  for (const auto& [id, info] : ids) {
    ATTRIB_RETURN_IF_ERROR(st.delete_dirty.Bind(1, project_).Bind(2, id).Run());
  }
  return Status::Ok();
}

Status SqliteStore::ApplyDelta(const storage::AggregateDelta& delta, bool shrank) {
  Statements& st = *st_;
  for (const auto& [k, v] : delta.reach) {
    if (v.visitors == 0 && v.touchpoints == 0) continue;
    ATTRIB_RETURN_IF_ERROR(st.upsert_reach.Bind(1, project_)
                               .Bind(2, int64_t{k.group})
                               .Bind(3, int64_t{k.day})
                               .Bind(4, int64_t{k.prev_day})
                               .Bind(5, v.visitors)
                               .Bind(6, v.touchpoints)
                               .Run());
  }
  for (const auto& [k, v] : delta.credits) {
    Stmt& up = st.upsert_credits;
    up.Bind(1, project_).Bind(2, int64_t{k.group}).Bind(3, int64_t{k.kind}).Bind(4, int64_t{k.day});
    for (int m = 0; m < kHeuristicModelCount; ++m) {
      up.Bind(5 + m, v.credit[m]).Bind(5 + kHeuristicModelCount + m, v.revenue[m]);
    }
    ATTRIB_RETURN_IF_ERROR(up.Run());
  }
  for (const auto& [k, v] : delta.totals) {
    if (v.conversions == 0 && v.revenue == 0) continue;
    ATTRIB_RETURN_IF_ERROR(st.upsert_totals.Bind(1, project_)
                               .Bind(2, int64_t{k.kind})
                               .Bind(3, int64_t{k.day})
                               .Bind(4, std::string_view(k.currency))
                               .Bind(5, v.conversions)
                               .Bind(6, v.revenue)
                               .Run());
  }
  Status status;
  delta.paths.ForEach([&](std::string_view key, const storage::PathSums& v) {
    if (!status.ok() || (v.conversions == 0 && v.revenue == 0 && v.nulls == 0)) return;
    const storage::PathKey k = storage::ParsePathKey(key);
    const std::string path = storage::PathText(k.groups);
    status = st.upsert_paths.Bind(1, project_)
                 .Bind(2, int64_t{k.dim})
                 .Bind(3, int64_t{k.filter})
                 .Bind(4, int64_t{k.day})
                 .Bind(5, std::string_view(path))
                 .Bind(6, v.conversions)
                 .Bind(7, v.revenue)
                 .Bind(8, v.nulls)
                 .Run();
  });
  ATTRIB_RETURN_IF_ERROR(status);
  if (!shrank) return Status::Ok();
  // Terms were taken away: rows left at zero go, so that the tables hold what a single
  // derivation of the same events would.
  return db_.Exec(fmt::format(
      "DELETE FROM agg_reach WHERE project_id = {0} AND visitors = 0 AND touchpoints = 0;"
      "DELETE FROM agg_conversions WHERE project_id = {0} AND conversions = 0;"
      "DELETE FROM agg_paths WHERE project_id = {0} AND conversions = 0 AND nulls = 0;"
      "DELETE FROM agg_credits WHERE project_id = {0} AND credit_first_touch = 0 AND "
      "credit_last_touch = 0 AND credit_last_non_direct = 0 AND credit_linear = 0 AND "
      "credit_time_decay = 0 AND credit_u_shaped = 0 AND credit_w_shaped = 0 AND "
      "credit_participation = 0",
      project_));
}

}  // namespace attrib::sqlite
