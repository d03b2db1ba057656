// Derivation: people marked dirty by ingest are resolved again (identity), and their sessions,
// conversions, credits and aggregate terms replaced — the old terms subtracted, the new added.
//
// The work is planned and written in two stages that overlap: a planner thread reads a chunk of
// dirty ids on its own connection (identity, the people's old rows, their events) and derives
// it into a DerivePlan, while this thread writes the previous chunk's plan in one transaction.
// Chunks never share a person (the planner derives each id's whole component of links once), so
// what one chunk writes is never what the next one reads. That holds with one writer: a store
// has one writing process at a time (SqliteStore::LockForWriting).
//
// A project's first derivation (DeriveFirst) needs no plan: nothing was derived before, so
// every person is derived at once from one pass over the events and links, and the rows are
// written in key order in one transaction. Until then ingest marks nothing dirty.
#include <fmt/format.h>
#include <malloc.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "attribution/person.h"
#include "identity/identity.h"
#include "storage/sqlite/sqlite_store_impl.h"
#include "storage/sqlite/statements.h"

namespace attrib::sqlite {
namespace {

// Dirty ids derived per transaction.
constexpr size_t kChunkIds = 20'000;
// Plans made ahead of the writer, at most.
constexpr size_t kPlansAhead = 2;
// A project's first derivation reads its events in sorted runs of this many.
constexpr size_t kRunRecords = size_t{1} << 20;
// …with this much page cache (KiB).
constexpr int64_t kFirstDeriveCacheKib = 64 * 1024;

using storage::TouchTerm;

bool SameCredits(std::span<const TouchTerm> a, std::span<const TouchTerm> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].class_id != b[i].class_id || a[i].credit != b[i].credit) return false;
  }
  return true;
}

}  // namespace

// One chunk's derivation, as the planner worked it out: what the writer deletes, inserts and adds.
struct DerivePlan {
  struct Session {
    int64_t person, seq;
    Micros start, end;
    int64_t events;
    uint32_t class_id;
  };
  struct Conversion {
    int64_t person, event_key;
    std::string message_id;
    Micros at;
    uint32_t kind;
    double revenue;
    std::string currency;
    int64_t touchpoints, version;
    Micros credited_at;
    std::optional<Micros> restated_at;
    Micros last_of_kind_at;
  };
  struct Credit {
    int64_t person, event_key, touch;
    Micros session_start;
    uint32_t class_id;
    std::array<double, kHeuristicModelCount> credit;
  };

  explicit DerivePlan(const std::vector<storage::GroupIds>& groups) : delta(groups) {}

  std::vector<int64_t> old_people;                   // whose derived rows go
  std::vector<std::pair<int64_t, int64_t>> persons;  // id → its new person, where it changed
  std::vector<Session> sessions;
  std::vector<Conversion> conversions;
  std::vector<Credit> credits;
  storage::AggregateDelta delta;
  int64_t first = 0, last = 0;   // the chunk's dirty ids are those of [first, last]
  std::vector<int64_t> derived;  // ids derived: the chunk's dirty ones and their components
  DeriveCounts counts;
  Status status;  // of planning
};

// Puts one person's derived rows and aggregate terms into a plan.
class PersonPlanner : public PersonSink {
 public:
  PersonPlanner(const PersonOptions& options, DerivePlan* plan,
                std::map<int64_t, OldConversion>* old, Micros now)
      : options_(options), plan_(*plan), old_(*old), now_(now) {}

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
      plan_.delta.AddPaths(sessions_, counted_, last_of_kind_, options_.conversions, +1);
    }
  }

  void OnSessions(std::span<const sessionize::Session> sessions) override {
    sessions_.assign(sessions.begin(), sessions.end());
    for (size_t i = 0; i < sessions.size(); ++i) {
      const sessionize::Session& s = sessions[i];
      plan_.sessions.push_back(DerivePlan::Session{person_, static_cast<int64_t>(i), s.start, s.end,
                                                   int64_t{s.count}, s.touch});
    }
    plan_.delta.AddSessions(sessions, +1);
  }

  void OnConversions(std::span<const journey::Conversion> conversions) override {
    for (const journey::Conversion& c : conversions) last_of_kind_[c.kind] = c.at;
  }

  void OnJourney(const journey::Journey& j, std::span<const double> credits) override {
    if (j.conversion == nullptr) return;
    const journey::Conversion& c = *j.conversion;
    counted_.push_back(c);
    const size_t n = j.sessions.size();
    touches_.resize(n);
    for (size_t i = 0; i < n; ++i) {
      touches_[i].class_id = j.sessions[i].touch;
      for (int m = 0; m < kHeuristicModelCount; ++m) touches_[i].credit[m] = credits[m * n + i];
    }
    const std::string& currency = (*currencies_)[c.currency];
    plan_.delta.AddConversion(c.kind, c.at, c.revenue, currency, touches_, +1);
    ++plan_.counts.conversions;

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
        ++plan_.counts.restated;
      }
      old_.erase(it);
    }
    const auto message_id = message_ids_->find(c.ref);
    plan_.conversions.push_back(DerivePlan::Conversion{
        person_, event_key, message_id != message_ids_->end() ? message_id->second : "", c.at,
        c.kind, c.revenue, currency, static_cast<int64_t>(n), version, credited_at, restated_at,
        last_of_kind_[c.kind]});
    for (size_t i = 0; i < n; ++i) {
      plan_.credits.push_back(DerivePlan::Credit{person_, event_key, static_cast<int64_t>(i),
                                                 j.sessions[i].start, touches_[i].class_id,
                                                 touches_[i].credit});
    }
  }

 private:
  const PersonOptions& options_;
  DerivePlan& plan_;
  std::map<int64_t, OldConversion>& old_;
  Micros now_;
  int64_t person_ = 0;
  const std::vector<std::string>* currencies_ = nullptr;
  const std::map<uint64_t, std::string>* message_ids_ = nullptr;
  std::vector<TouchTerm> touches_;
  std::vector<sessionize::Session> sessions_;
  std::vector<journey::Conversion> counted_;
  std::vector<Micros> last_of_kind_;  // by conversion kind
};

Result<uint32_t> ConversionKind(const std::vector<std::string>& events, std::string_view event) {
  const auto it = std::find(events.begin(), events.end(), event);
  if (it == events.end()) {
    return Status::Internal(fmt::format("store: conversion event \"{}\" is not configured", event));
  }
  return static_cast<uint32_t>(it - events.begin());
}

Result<bool> SqliteStore::ReadOld(Statements& st, int64_t person, storage::AggregateDelta* delta,
                                  std::map<int64_t, OldConversion>* old_conversions) {
  std::map<int64_t, OldConversion>& old = *old_conversions;
  std::vector<sessionize::Session> sessions;  // as far as the aggregates need them
  st.old_sessions.Bind(1, project_).Bind(2, person);
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, st.old_sessions.Step());
    if (!row) break;
    sessions.push_back(sessionize::Session{.start = st.old_sessions.Int(0),
                                           .touch = static_cast<uint32_t>(st.old_sessions.Int(1))});
  }
  if (sessions.empty()) return false;  // never derived, or no activity
  delta->AddSessions(sessions, -1);
  st.old_conversions.Bind(1, project_).Bind(2, person);
  struct Converted {
    Micros at;
    uint32_t kind;  // index into the conversion events
    std::string currency;
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
    const Result<uint32_t> found = ConversionKind(events, q.Text(2));
    if (!found.ok()) {
      q.Reset();
      return found.status();
    }
    const uint32_t kind = *found;
    const Converted& c = convs[q.Int(0)] =
        Converted{q.Int(1), kind, std::string(q.Text(4)), q.Double(3)};
    counted.push_back(journey::Conversion{.at = c.at, .kind = kind, .revenue = c.revenue});
    last_of_kind[kind] = q.Int(8);
  }
  std::sort(counted.begin(), counted.end(),
            [](const journey::Conversion& a, const journey::Conversion& b) { return a.at < b.at; });
  delta->AddPaths(sessions, counted, last_of_kind, options_.settings.person.conversions, -1);
  st.old_credits.Bind(1, project_).Bind(2, person);
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, st.old_credits.Step());
    if (!row) break;
    TouchTerm t{static_cast<uint32_t>(st.old_credits.Int(1)), {}};
    for (int m = 0; m < kHeuristicModelCount; ++m) t.credit[m] = st.old_credits.Double(2 + m);
    old[st.old_credits.Int(0)].touches.push_back(t);
  }
  for (const auto& [event_key, c] : convs) {
    delta->AddConversion(c.kind, c.at, c.revenue, c.currency, old[event_key].touches, -1);
  }
  return true;
}

Status SqliteStore::DeleteDerived(int64_t person) {
  for (Stmt* del : {&st_->delete_sessions, &st_->delete_conversions, &st_->delete_credits}) {
    ATTRIB_RETURN_IF_ERROR(del->Bind(1, project_).Bind(2, person).Run());
  }
  return Status::Ok();
}

void StoredRecords::Clear() {
  events.clear();
  conversions.clear();
  currencies.clear();
  message_ids.clear();
}

void SqliteStore::AddRecords(const storage::BlockEvent& b, int64_t person,
                             StoredRecords* out) const {
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
  out->events.push_back(e);
  if (b.kind < 0) return;
  std::vector<std::string>& currencies = out->currencies;
  auto it = std::find(currencies.begin(), currencies.end(), b.currency);
  if (it == currencies.end()) it = currencies.insert(it, std::string(b.currency));
  out->conversions.push_back(ConversionRecord{
      static_cast<uint64_t>(person), b.at, has_id ? b.dedupe_key : 0, b.revenue,
      static_cast<uint32_t>(b.kind), static_cast<uint32_t>(it - currencies.begin()), b.dedupe_key});
  out->message_ids[b.dedupe_key] = std::string(b.message_id);
}

Result<DeriveCounts> SqliteStore::DeriveFirst(
    const std::function<void(uint64_t, uint64_t)>& progress) {
  // It holds a record of every event, and its writes go in key order: the memory of ingest's
  // id caches and of most of the page cache is better spent on the records.
  ids_ = U64Map<Id>();
  stored_ = U64Map<uint8_t>();
  had_ids_ = true;
  ATTRIB_RETURN_IF_ERROR(db_.Exec(fmt::format("PRAGMA cache_size=-{}", kFirstDeriveCacheKib)));
  malloc_trim(0);
  Result<DeriveCounts> counts = DeriveEveryone(progress);
  const Status restored = db_.Exec(fmt::format("PRAGMA cache_size=-{}", options_.cache_mib * 1024));
  if (counts.ok() && !restored.ok()) return restored;
  return counts;
}

Result<DeriveCounts> SqliteStore::DeriveEveryone(
    const std::function<void(uint64_t, uint64_t)>& progress) {
  ATTRIB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  // 1. Identity: every id and link of the project, resolved at once.
  struct IdRow {
    int64_t id;
    uint64_t key;
    int64_t old_person, new_person;
  };
  std::vector<IdRow> ids;
  U64Map<uint32_t> row_of_id;  // id → index into ids
  {
    ATTRIB_ASSIGN_OR_RETURN(Stmt q,
                            db_.Prepare("SELECT id, key, coalesce(person, id) FROM ids NOT INDEXED "
                                        "WHERE project_id = ? ORDER BY id"));
    q.Bind(1, project_);
    for (;;) {
      ATTRIB_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      row_of_id[static_cast<uint64_t>(q.Int(0))] = static_cast<uint32_t>(ids.size());
      ids.push_back(IdRow{q.Int(0), static_cast<uint64_t>(q.Int(1)), q.Int(2), q.Int(0)});
    }
  }
  std::vector<identity::Link> links;
  {
    ATTRIB_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("SELECT from_id, to_id, alias, at FROM links WHERE project_id = ?"));
    q.Bind(1, project_);
    for (;;) {
      ATTRIB_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      const uint32_t* from = row_of_id.Find(static_cast<uint64_t>(q.Int(0)));
      const uint32_t* to = row_of_id.Find(static_cast<uint64_t>(q.Int(1)));
      if (from == nullptr || to == nullptr) {
        q.Reset();
        return Status::Internal("store: a link names a missing id");
      }
      links.push_back(identity::Link{
          ids[*from].key, ids[*to].key, q.Int(3),
          q.Int(2) != 0 ? identity::LinkKind::kAlias : identity::LinkKind::kObserved});
    }
  }
  {
    const identity::IdentityGraph graph(std::move(links));
    U64Map<int64_t> id_of_key;
    if (graph.linked_ids() != 0) {
      for (const IdRow& r : ids) id_of_key[r.key] = r.id;
    }
    for (IdRow& r : ids) {
      const uint64_t person = graph.PersonOf(r.key);
      if (person != r.key) r.new_person = id_of_key[person];
    }
  }

  // 2. Every stored event, as its person's records, in runs sorted by person: no vector of
  //    them all to grow (and copy) while they are read.
  StoredRecords records;
  std::vector<std::vector<EventRecord>> runs;
  const auto end_run = [&] {
    std::sort(records.events.begin(), records.events.end(),
              [](const EventRecord& a, const EventRecord& b) { return a.key < b.key; });
    runs.push_back(std::move(records.events));
    records.events = {};
  };
  {
    ATTRIB_ASSIGN_OR_RETURN(
        Stmt q, db_.Prepare("SELECT visitor, data FROM events NOT INDEXED WHERE project_id = ?"));
    q.Bind(1, project_);
    for (;;) {
      ATTRIB_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      const uint32_t* visitor = row_of_id.Find(static_cast<uint64_t>(q.Int(0)));
      if (visitor == nullptr) {
        q.Reset();
        return Status::Internal("store: an event block names a missing id");
      }
      const int64_t person = ids[*visitor].new_person;
      if (records.events.empty()) records.events.reserve(kRunRecords + storage::kMaxBlockEvents);
      Status decoded = decoder_.Decode(
          q.Blob(1), [&](const storage::BlockEvent& b) { AddRecords(b, person, &records); });
      if (!decoded.ok()) {
        q.Reset();
        return decoded;
      }
      if (records.events.size() >= kRunRecords) end_run();
    }
  }
  end_run();
  std::sort(records.conversions.begin(), records.conversions.end(),
            [](const ConversionRecord& a, const ConversionRecord& b) { return a.key < b.key; });

  // 3. Each person derived, their rows written in key order as they come.
  DeriveCounts counts;
  for (const IdRow& r : ids) counts.people += r.new_person == r.id;
  DerivePlan plan(groups_);
  for (const IdRow& r : ids) {
    if (r.new_person != r.old_person) plan.persons.emplace_back(r.id, r.new_person);
  }
  std::map<int64_t, OldConversion> no_old;  // nothing was credited before
  PersonDeriver deriver(options_.settings.person, counting_by_kind_, channels_, no_url_class_);
  PersonPlanner planner(options_.settings.person, &plan, &no_old, clock_.Now());
  std::vector<std::span<EventRecord>> heads(runs.begin(), runs.end());
  std::span<ConversionRecord> conversions(records.conversions);
  std::vector<EventRecord> events;  // the person's
  uint64_t done = 0;
  for (;;) {
    // The next person, and their records from every run.
    uint64_t person = conversions.empty() ? UINT64_MAX : conversions.front().key;
    for (const std::span<EventRecord>& h : heads) {
      if (!h.empty()) person = std::min(person, h.front().key);
    }
    if (person == UINT64_MAX) break;
    events.clear();
    for (std::span<EventRecord>& h : heads) {
      size_t e = 0;
      while (e < h.size() && h[e].key == person) ++e;
      events.insert(events.end(), h.begin(), h.begin() + static_cast<ptrdiff_t>(e));
      h = h.subspan(e);
    }
    size_t c = 0;
    while (c < conversions.size() && conversions[c].key == person) ++c;
    planner.Start(static_cast<int64_t>(person), &records.currencies, &records.message_ids);
    deriver.Derive(events, conversions.first(c), planner);
    planner.Finish();
    conversions = conversions.subspan(c);
    if (plan.sessions.size() >= kChunkIds) {
      ATTRIB_RETURN_IF_ERROR(WriteRows(plan));
      plan.sessions.clear();
      plan.conversions.clear();
      plan.credits.clear();
      plan.persons.clear();
    }
    if (++done % kChunkIds == 0 && progress) progress(done, counts.people);
  }
  ATTRIB_RETURN_IF_ERROR(WriteRows(plan));
  ATTRIB_RETURN_IF_ERROR(ApplyDelta(plan.delta));
  counts.conversions = plan.counts.conversions;
  ATTRIB_ASSIGN_OR_RETURN(Stmt clean, db_.Prepare("DELETE FROM dirty WHERE project_id = ?"));
  ATTRIB_RETURN_IF_ERROR(clean.Bind(1, project_).Run());
  ATTRIB_ASSIGN_OR_RETURN(Stmt mark,
                          db_.Prepare("UPDATE projects SET derived = 1 WHERE project_id = ?"));
  ATTRIB_RETURN_IF_ERROR(mark.Bind(1, project_).Run());
  ATTRIB_RETURN_IF_ERROR(tx.Commit());
  derived_ = true;
  if (progress) progress(counts.people, counts.people);
  return counts;
}

Result<DeriveCounts> SqliteStore::Derive(const std::function<void(uint64_t, uint64_t)>& progress) {
  ATTRIB_RETURN_IF_ERROR(LockForWriting());
  if (!derived_) return DeriveFirst(progress);
  std::vector<int64_t> dirty;
  st_->select_dirty.Bind(1, project_);
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, st_->select_dirty.Step());
    if (!row) break;
    dirty.push_back(st_->select_dirty.Int(0));
  }
  DeriveCounts counts;
  if (dirty.empty()) return counts;
  if (!reader_) {
    ATTRIB_ASSIGN_OR_RETURN(Db reader, Db::Open(sqlite3_db_filename(db_.get(), "main"), false));
    ATTRIB_RETURN_IF_ERROR(reader.Exec(fmt::format(
        "PRAGMA cache_size=-{}; PRAGMA busy_timeout=10000", options_.cache_mib * 1024)));
    ATTRIB_ASSIGN_OR_RETURN(Statements st, Statements::Prepare(reader));
    reader_.emplace(std::move(reader));
    reader_st_ = std::make_unique<Statements>(std::move(st));
  }

  // The planner plans chunks ahead (at most kPlansAhead) while this thread writes them.
  std::mutex mu;
  std::condition_variable changed;
  std::deque<std::unique_ptr<DerivePlan>> plans;
  bool planned_all = false, stop = false;
  std::thread planner([&] {
    U64Map<uint8_t> done;  // ids derived so far (with a dirty id of an earlier chunk)
    for (size_t at = 0; at < dirty.size(); at += kChunkIds) {
      {
        std::unique_lock lock(mu);
        changed.wait(lock, [&] { return stop || plans.size() < kPlansAhead; });
        if (stop) break;
      }
      auto plan = std::make_unique<DerivePlan>(groups_);
      const size_t n = std::min(kChunkIds, dirty.size() - at);
      plan->first = dirty[at];
      plan->last = dirty[at + n - 1];
      plan->status = PlanChunk(std::span(dirty.data() + at, n), &done, plan.get());
      const bool failed = !plan->status.ok();
      std::lock_guard lock(mu);
      plans.push_back(std::move(plan));
      changed.notify_all();
      if (failed) break;
    }
    std::lock_guard lock(mu);
    planned_all = true;
    changed.notify_all();
  });
  Status status;
  for (size_t written = 0;;) {
    if (progress) progress(written, dirty.size());
    std::unique_ptr<DerivePlan> plan;
    {
      std::unique_lock lock(mu);
      changed.wait(lock, [&] { return !plans.empty() || planned_all; });
      if (plans.empty()) break;
      plan = std::move(plans.front());
      plans.pop_front();
      changed.notify_all();
    }
    status = plan->status;
    if (status.ok()) status = WritePlan(*plan);
    if (!status.ok()) break;
    counts.people += plan->counts.people;
    counts.conversions += plan->counts.conversions;
    counts.restated += plan->counts.restated;
    written = std::min(dirty.size(), written + kChunkIds);
  }
  {
    std::lock_guard lock(mu);
    stop = true;
    changed.notify_all();
  }
  planner.join();
  ATTRIB_RETURN_IF_ERROR(status);
  if (progress) progress(dirty.size(), dirty.size());
  return counts;
}

Status SqliteStore::WritePlan(const DerivePlan& plan) {
  Statements& st = *st_;
  ATTRIB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  for (const int64_t person : plan.old_people) ATTRIB_RETURN_IF_ERROR(DeleteDerived(person));
  ATTRIB_RETURN_IF_ERROR(WriteRows(plan));
  ATTRIB_RETURN_IF_ERROR(ApplyDelta(plan.delta));
  // The chunk's dirty ids at once, and the ids of their components beyond them one by one.
  ATTRIB_RETURN_IF_ERROR(
      st.delete_dirty_range.Bind(1, project_).Bind(2, plan.first).Bind(3, plan.last).Run());
  for (const int64_t id : plan.derived) {
    if (id >= plan.first && id <= plan.last) continue;
    ATTRIB_RETURN_IF_ERROR(st.delete_dirty.Bind(1, project_).Bind(2, id).Run());
  }
  return tx.Commit();
}

Status SqliteStore::WriteRows(const DerivePlan& plan) {
  Statements& st = *st_;
  for (const DerivePlan::Session& s : plan.sessions) {
    ATTRIB_RETURN_IF_ERROR(st.insert_session.Bind(1, project_)
                               .Bind(2, s.person)
                               .Bind(3, s.seq)
                               .Bind(4, s.start)
                               .Bind(5, s.end)
                               .Bind(6, s.events)
                               .Bind(7, int64_t{s.class_id})
                               .Run());
  }
  const auto& events = options_.settings.person.conversions.events;
  for (const DerivePlan::Conversion& c : plan.conversions) {
    Stmt& in = st.insert_conversion;
    in.Bind(1, project_).Bind(2, c.person).Bind(3, c.event_key).BindOrNull(4, c.message_id);
    in.Bind(5, c.at)
        .Bind(6, std::string_view(events[c.kind]))
        .Bind(7, c.revenue)
        .Bind(8, std::string_view(c.currency))
        .Bind(9, c.touchpoints)
        .Bind(10, c.version)
        .Bind(11, c.credited_at);
    if (c.restated_at) in.Bind(12, *c.restated_at);
    in.Bind(13, c.last_of_kind_at);
    ATTRIB_RETURN_IF_ERROR(in.Run());
  }
  for (const DerivePlan::Credit& c : plan.credits) {
    Stmt& cr = st.insert_credit;
    cr.Bind(1, project_)
        .Bind(2, c.person)
        .Bind(3, c.event_key)
        .Bind(4, c.touch)
        .Bind(5, c.session_start)
        .Bind(6, int64_t{c.class_id});
    for (int m = 0; m < kHeuristicModelCount; ++m) cr.Bind(7 + m, c.credit[m]);
    ATTRIB_RETURN_IF_ERROR(cr.Run());
  }
  for (const auto& [id, person] : plan.persons) {
    Stmt& set = st.set_person;
    if (person == id) {
      set.BindNull(1);
    } else {
      set.Bind(1, person);
    }
    ATTRIB_RETURN_IF_ERROR(set.Bind(2, id).Run());
  }
  return Status::Ok();
}

Status SqliteStore::PlanChunk(std::span<const int64_t> dirty, U64Map<uint8_t>* done,
                              DerivePlan* plan) {
  Statements& st = *reader_st_;
  // One snapshot per chunk: what earlier chunks wrote may be in it or not, it is never what
  // this one reads.
  ATTRIB_ASSIGN_OR_RETURN(Transaction snapshot, Transaction::BeginRead(*reader_));
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
            if (Status loaded = load_id(other).status(); !loaded.ok()) {
              q->Reset();
              return loaded;
            }
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
  std::map<int64_t, OldConversion> old;
  for (const int64_t person : old_people) {
    ATTRIB_ASSIGN_OR_RETURN(const bool had_rows, ReadOld(st, person, &plan->delta, &old));
    if (had_rows) plan->old_people.push_back(person);
  }

  // 3. Derive each new person from the events of all their ids.
  const Micros now = clock_.Now();
  PersonDeriver deriver(options_.settings.person, counting_by_kind_, channels_, no_url_class_);
  PersonPlanner planner(options_.settings.person, plan, &old, now);
  StoredRecords records;
  for (const auto& [new_person, person_ids] : new_people) {
    const int64_t person = new_person;  // a lambda below captures it
    records.Clear();
    for (const int64_t id : person_ids) {
      Stmt& q = st.visitor_blocks;
      q.Bind(1, project_).Bind(2, id);
      for (;;) {
        ATTRIB_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        Status decoded = plan_decoder_.Decode(
            q.Blob(0), [&](const storage::BlockEvent& b) { AddRecords(b, person, &records); });
        if (!decoded.ok()) {
          q.Reset();
          return decoded;
        }
      }
    }
    planner.Start(person, &records.currencies, &records.message_ids);
    deriver.Derive(records.events, records.conversions, planner);
    planner.Finish();
    ++plan->counts.people;
  }
  // Conversions that no longer count (a late earlier one took their place) are restated too.
  plan->counts.restated += old.size();

  // 4. Who is who now; the dirty marks.
  for (const auto& [id, info] : ids) {
    if (info.new_person != info.old_person) plan->persons.emplace_back(id, info.new_person);
    plan->derived.push_back(id);
  }
  return Status::Ok();
}

// Each sum is added to its row; a row that a negative term may have brought to zero is then
// deleted if it did, so that the tables hold what a single derivation of the same events would.
Status SqliteStore::ApplyDelta(const storage::AggregateDelta& delta) {
  Statements& st = *st_;
  // Rows in key order: each insert lands next to the one before.
  std::vector<std::pair<storage::ReachKey, storage::ReachSums>> reach(delta.reach.begin(),
                                                                      delta.reach.end());
  std::sort(reach.begin(), reach.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  // Each table's key binds the same way to its upsert and to its delete of a zeroed row (the
  // loops name the pair's halves: a lambda cannot capture a structured binding here).
  for (const auto& row : reach) {
    const auto& k = row.first;
    const auto& v = row.second;
    if (v.visitors == 0 && v.touchpoints == 0 && v.paid == 0) continue;
    const auto key = [&](Stmt& q) -> Stmt& {
      return q.Bind(1, project_)
          .Bind(2, int64_t{k.group})
          .Bind(3, int64_t{k.level})
          .Bind(4, int64_t{k.day})
          .Bind(5, int64_t{k.prev_day});
    };
    ATTRIB_RETURN_IF_ERROR(
        key(st.upsert_reach).Bind(6, v.visitors).Bind(7, v.touchpoints).Bind(8, v.paid).Run());
    if (v.visitors >= 0 && v.touchpoints >= 0) continue;
    ATTRIB_RETURN_IF_ERROR(key(st.delete_zero_reach).Run());
  }
  for (const auto& row : delta.credits) {
    const auto& k = row.first;
    const auto& v = row.second;
    const auto key = [&](Stmt& q) -> Stmt& {
      return q.Bind(1, project_)
          .Bind(2, int64_t{k.group})
          .Bind(3, int64_t{k.kind})
          .Bind(4, int64_t{k.day});
    };
    Stmt& up = key(st.upsert_credits);
    bool negative = false;
    for (int m = 0; m < kHeuristicModelCount; ++m) {
      up.Bind(5 + m, v.credit[m]).Bind(5 + kHeuristicModelCount + m, v.revenue[m]);
      negative = negative || v.credit[m] < 0;
    }
    ATTRIB_RETURN_IF_ERROR(up.Run());
    if (!negative) continue;
    ATTRIB_RETURN_IF_ERROR(key(st.delete_zero_credits).Run());
  }
  for (const auto& row : delta.totals) {
    const auto& k = row.first;
    const auto& v = row.second;
    if (v.conversions == 0 && v.revenue == 0) continue;
    const auto key = [&](Stmt& q) -> Stmt& {
      return q.Bind(1, project_)
          .Bind(2, int64_t{k.kind})
          .Bind(3, int64_t{k.day})
          .Bind(4, std::string_view(k.currency));
    };
    ATTRIB_RETURN_IF_ERROR(key(st.upsert_totals).Bind(5, v.conversions).Bind(6, v.revenue).Run());
    if (v.conversions >= 0) continue;
    ATTRIB_RETURN_IF_ERROR(key(st.delete_zero_totals).Run());
  }
  // By dimension, filter and day (the table's order but for the path within a day).
  std::vector<std::pair<storage::PathKey, const storage::PathSums*>> paths;
  paths.reserve(delta.paths.size());
  delta.paths.ForEach([&](std::string_view key, const storage::PathSums& v) {
    if (v.conversions != 0 || v.revenue != 0 || v.nulls != 0) {
      paths.emplace_back(storage::ParsePathKey(key), &v);
    }
  });
  std::sort(paths.begin(), paths.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first.dim, a.first.filter, a.first.day) <
           std::tie(b.first.dim, b.first.filter, b.first.day);
  });
  // Any change moves the project's stamp on (a reader's kept aggregates are then old), and
  // each day whose paths change gets the new stamp (ReadPathDays).
  int64_t stamp = 0;
  if (!reach.empty() || !delta.credits.empty() || !delta.totals.empty() || !paths.empty()) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, st.next_paths_stamp.Bind(1, project_).Step());
    if (!row) return Status::Internal("store: the project's row is missing");
    stamp = st.next_paths_stamp.Int(0);
    st.next_paths_stamp.Reset();
  }
  for (size_t i = 0; i < paths.size(); ++i) {
    const storage::PathKey& k = paths[i].first;
    if (i > 0 &&
        std::tie(k.dim, k.filter, k.day) ==
            std::tie(paths[i - 1].first.dim, paths[i - 1].first.filter, paths[i - 1].first.day)) {
      continue;
    }
    ATTRIB_RETURN_IF_ERROR(st.stamp_path_day.Bind(1, project_)
                               .Bind(2, int64_t{k.dim})
                               .Bind(3, int64_t{k.filter})
                               .Bind(4, int64_t{k.day})
                               .Bind(5, stamp)
                               .Run());
  }
  for (const auto& row : paths) {
    const storage::PathKey& k = row.first;
    const storage::PathSums& v = *row.second;
    const std::string path = storage::PathText(k.groups);
    const auto key = [&](Stmt& q) -> Stmt& {
      return q.Bind(1, project_)
          .Bind(2, int64_t{k.dim})
          .Bind(3, int64_t{k.filter})
          .Bind(4, int64_t{k.day})
          .Bind(5, std::string_view(path));
    };
    ATTRIB_RETURN_IF_ERROR(
        key(st.upsert_paths).Bind(6, v.conversions).Bind(7, v.revenue).Bind(8, v.nulls).Run());
    if (v.conversions >= 0 && v.nulls >= 0) continue;
    ATTRIB_RETURN_IF_ERROR(key(st.delete_zero_paths).Run());
  }
  return Status::Ok();
}

}  // namespace attrib::sqlite
