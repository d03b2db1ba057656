#include "storage/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>

#include "identity/identity.h"
#include "storage/sqlite/projects.h"
#include "storage/sqlite/schema.h"
#include "storage/sqlite/sqlite_store_impl.h"
#include "storage/sqlite/statements.h"
#include "storage/visit.h"

namespace attrib {
namespace sqlite {
namespace {

// The writer lock excludes other processes (an flock); the stores of one process, one per
// project (the server's), share it.
struct WriterLocks {
  struct Held {
    int fd = -1;
    int users = 0;
  };
  std::mutex mu;
  std::map<std::string, Held> held;  // by lock file
};
WriterLocks& Locks() {
  static WriterLocks locks;
  return locks;
}

}  // namespace

SqliteStore::SqliteStore(Db db, const StoreOptions& options, const Classifier& classifier,
                         const Clock& clock)
    : db_(std::move(db)), options_(options), classifier_(classifier), clock_(clock) {}

SqliteStore::~SqliteStore() {
  if (writer_lock_.empty()) return;
  WriterLocks& locks = Locks();
  std::lock_guard lock(locks.mu);
  auto it = locks.held.find(writer_lock_);
  if (--it->second.users == 0) {
    close(it->second.fd);
    locks.held.erase(it);
  }
}

Status SqliteStore::LockForWriting() {
  if (!writer_lock_.empty()) return Status::Ok();
  const std::string db = sqlite3_db_filename(db_.get(), "main");
  const std::string path = db + "-writer";
  WriterLocks& locks = Locks();
  std::lock_guard lock(locks.mu);
  if (auto it = locks.held.find(path); it != locks.held.end()) {
    ++it->second.users;
    writer_lock_ = path;
    return Status::Ok();
  }
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::IoError(fmt::format("store: {}: {}", path, std::strerror(errno)));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return Status::Unavailable(fmt::format(
        "store: {}: another attrib process is writing to it; try again when it has finished", db));
  }
  locks.held[path] = {fd, 1};
  writer_lock_ = path;
  return Status::Ok();
}

Status SqliteStore::Init(const std::string& path) {
  ATTRIB_RETURN_IF_ERROR(db_.Exec(fmt::format(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous={}; PRAGMA cache_size=-{}; "
      "PRAGMA temp_store=MEMORY; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=OFF; "
      // Checkpoints (each a flush to the disk) every 64 MiB of log rather than every 4 MiB.
      "PRAGMA wal_autocheckpoint=16384",
      options_.sync_every_commit ? "FULL" : "NORMAL", options_.cache_mib * 1024)));
  // journal_mode=WAL answers with the mode it got: a file that cannot be WAL is an error.
  ATTRIB_ASSIGN_OR_RETURN(Stmt mode, db_.Prepare("PRAGMA journal_mode"));
  ATTRIB_ASSIGN_OR_RETURN(bool row, mode.Step());
  if (!row || mode.Text(0) != "wal") {
    return Status::IoError(fmt::format("store: {}: cannot use a write-ahead log", path));
  }
  mode.Reset();
  ATTRIB_RETURN_IF_ERROR(Migrate());
  ATTRIB_ASSIGN_OR_RETURN(Statements st, Statements::Prepare(db_));
  st_ = std::make_unique<Statements>(std::move(st));
  ATTRIB_RETURN_IF_ERROR(OpenProject());
  ATTRIB_RETURN_IF_ERROR(LoadClasses());
  for (const std::string& event : options_.settings.person.conversions.events) {
    counting_by_kind_.push_back(options_.settings.person.conversions.CountingOf(event));
  }
  return Status::Ok();
}

Status SqliteStore::Migrate() { return sqlite::Migrate(db_, clock_); }

Status SqliteStore::OpenProject() {
  const std::string settings = SettingsJson(options_.settings);
  ATTRIB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  ATTRIB_ASSIGN_OR_RETURN(
      Stmt find, db_.Prepare("SELECT project_id, settings, derived FROM projects WHERE name = ?"));
  find.Bind(1, std::string_view(options_.project));
  ATTRIB_ASSIGN_OR_RETURN(bool found, find.Step());
  if (found) {
    project_ = find.Int(0);
    const std::string stored(find.Text(1));
    derived_ = find.Int(2) != 0;
    find.Reset();
    if (stored != settings) {
      return Status::FailedPrecondition(fmt::format(
          "store: project \"{}\" was derived with other settings: {}. Use the settings it was "
          "built with, or import into a new store",
          options_.project, SettingsDifference(stored, settings)));
    }
  } else {
    ATTRIB_ASSIGN_OR_RETURN(project_,
                            InsertProject(db_, options_.project, options_.settings, clock_.Now()));
  }
  ATTRIB_ASSIGN_OR_RETURN(Stmt any, db_.Prepare("SELECT 1 FROM ids WHERE project_id = ? LIMIT 1"));
  ATTRIB_ASSIGN_OR_RETURN(had_ids_, any.Bind(1, project_).Step());
  any.Reset();
  return tx.Commit();
}

Result<ClassTables> ReadClasses(Db& db) {
  ClassTables t;
  t.channels.assign(1, TouchChannel{});
  t.groups.assign(1, storage::GroupIds{});
  ATTRIB_ASSIGN_OR_RETURN(Stmt groups, db.Prepare("SELECT group_id, dim, value FROM groups"));
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, groups.Step());
    if (!row) break;
    t.group_ids[fmt::format("{}\x1f{}", groups.Text(1), groups.Text(2))] =
        static_cast<uint32_t>(groups.Int(0));
  }
  ATTRIB_ASSIGN_OR_RETURN(
      Stmt classes,
      db.Prepare("SELECT class_id, source, medium, campaign, term, content, rule_id, channel, "
                 "confidence, campaign_signal, hash FROM classes ORDER BY class_id"));
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, classes.Step());
    if (!row) break;
    const auto id = static_cast<uint32_t>(classes.Int(0));
    const auto text = [&classes](int col) { return classes.Text(col); };
    t.class_ids[static_cast<uint64_t>(classes.Int(10))] = id;
    const std::optional<Channel> channel = ParseChannel(text(7));
    if (t.channels.size() <= id) {
      t.channels.resize(id + 1);
      t.groups.resize(id + 1);
    }
    t.channels[id] = ChannelOf(channel.value_or(Channel::kDirect));
    t.groups[id].level = static_cast<int32_t>(ParseConfidence(text(8)).value_or(Confidence::kLow));
    t.groups[id].paid = storage::IsPaidChannel(text(7));
    const storage::ClassFields fields{text(1), text(2), text(3), text(6), text(7), text(8)};
    for (int d = 0; d < storage::kDimCount; ++d) {
      const std::string value = storage::GroupValue(static_cast<storage::GroupBy>(d), fields);
      const uint32_t* g = t.group_ids.Find(fmt::format("{}\x1f{}", storage::kDimNames[d], value));
      if (g == nullptr) return Status::Internal("store: a classification has no group");
      t.groups[id][d] = *g;
    }
  }
  return t;
}

Status SqliteStore::LoadClasses() {
  ATTRIB_ASSIGN_OR_RETURN(ClassTables t, ReadClasses(db_));
  class_ids_ = std::move(t.class_ids);
  group_ids_ = std::move(t.group_ids);
  channels_ = std::move(t.channels);
  groups_ = std::move(t.groups);
  rules_versions_ = FlatStringMap<int64_t>();
  ATTRIB_ASSIGN_OR_RETURN(Stmt versions,
                          db_.Prepare("SELECT rules_version_id, version FROM rules_versions"));
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, versions.Step());
    if (!row) break;
    rules_versions_[versions.Text(1)] = versions.Int(0);
  }
  ATTRIB_ASSIGN_OR_RETURN(Classification direct, classifier_.Classify(ClassifyInput{}));
  ATTRIB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  ATTRIB_ASSIGN_OR_RETURN(no_url_class_, InternClass(direct));
  return tx.Commit();
}

namespace {

// The id an INSERT … RETURNING statement answered with.
Result<int64_t> Returned(Stmt& st) {
  ATTRIB_ASSIGN_OR_RETURN(const bool row, st.Step());
  if (!row) return Status::Internal("store: an insert returned no id");
  const int64_t id = st.Int(0);
  st.Reset();
  return id;
}

}  // namespace

Result<uint32_t> SqliteStore::InternGroup(int dim, const std::string& value) {
  const std::string key = fmt::format("{}\x1f{}", storage::kDimNames[dim], value);
  if (const uint32_t* id = group_ids_.Find(key)) return *id;
  ATTRIB_ASSIGN_OR_RETURN(
      uint32_t id,
      Returned(
          st_->insert_group.Bind(1, storage::kDimNames[dim]).Bind(2, std::string_view(value))));
  group_ids_[key] = id;
  return id;
}

Result<uint32_t> SqliteStore::InternClass(const Classification& c) {
  const std::string_view channel = ToString(c.channel);
  const std::string_view confidence = ToString(c.confidence);
  const uint64_t hash = storage::ClassHash(c);
  if (const uint32_t* id = class_ids_.Find(hash)) return *id;
  storage::GroupIds groups;
  groups.level = static_cast<int32_t>(c.confidence);
  groups.paid = storage::IsPaidChannel(channel);
  const storage::ClassFields fields{c.source, c.medium, c.campaign, c.rule_id, channel, confidence};
  for (int d = 0; d < storage::kDimCount; ++d) {
    ATTRIB_ASSIGN_OR_RETURN(
        groups[d], InternGroup(d, storage::GroupValue(static_cast<storage::GroupBy>(d), fields)));
  }
  ATTRIB_ASSIGN_OR_RETURN(uint32_t id,
                          Returned(st_->insert_class.Bind(1, std::string_view(c.source))
                                       .Bind(2, std::string_view(c.medium))
                                       .Bind(3, std::string_view(c.campaign))
                                       .Bind(4, std::string_view(c.term))
                                       .Bind(5, std::string_view(c.content))
                                       .Bind(6, c.rule_id)
                                       .Bind(7, channel)
                                       .Bind(8, confidence)
                                       .Bind(9, int64_t{c.campaign_signal})
                                       .Bind(10, static_cast<int64_t>(hash))));
  class_ids_[hash] = id;
  if (channels_.size() <= id) {
    channels_.resize(id + 1);
    groups_.resize(id + 1);
  }
  channels_[id] = ChannelOf(c.channel);
  groups_[id] = groups;
  return id;
}

Result<int64_t> SqliteStore::InternRulesVersion(std::string_view version) {
  if (const int64_t* id = rules_versions_.Find(version)) return *id;
  ATTRIB_ASSIGN_OR_RETURN(const int64_t id, Returned(st_->insert_rules_version.Bind(1, version)));
  rules_versions_[version] = id;
  return id;
}

Result<SqliteStore::Id> SqliteStore::IdOf(std::string_view value, bool user) {
  const uint64_t key = user ? identity::UserKey(value) : identity::AnonymousKey(value);
  if (const Id* id = ids_.Find(key)) return *id;
  if (had_ids_) {
    ATTRIB_ASSIGN_OR_RETURN(
        bool found, st_->find_id.Bind(1, project_).Bind(2, static_cast<int64_t>(key)).Step());
    if (found) {
      const Id id{st_->find_id.Int(0), true};
      st_->find_id.Reset();
      ids_[key] = id;
      return id;
    }
  }
  ATTRIB_RETURN_IF_ERROR(st_->insert_id.Bind(1, project_)
                             .Bind(2, static_cast<int64_t>(key))
                             .Bind(3, int64_t{user})
                             .Bind(4, value)
                             .Run());
  const Id id{sqlite3_last_insert_rowid(db_.get()), false};
  ids_[key] = id;
  return id;
}

void SqliteStore::ForgetCaches() {
  // A rolled-back transaction may have added ids, keys or classes these remember.
  ids_ = U64Map<Id>();
  stored_ = U64Map<uint8_t>();
  had_ids_ = true;
  (void)LoadClasses();
}

Result<std::vector<IngestCounts>> SqliteStore::Append(std::span<const IngestBatch> batches) {
  ATTRIB_RETURN_IF_ERROR(LockForWriting());
  std::vector<IngestCounts> counts(batches.size());
  ATTRIB_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  Status s;
  for (size_t i = 0; i < batches.size() && s.ok(); ++i) s = AppendLocked(batches[i], &counts[i]);
  if (s.ok()) s = tx.Commit();
  if (!s.ok()) {
    ForgetCaches();
    return s;
  }
  return counts;
}

Status SqliteStore::AppendLocked(const IngestBatch& batch, IngestCounts* counts) {
  for (const Classification& c : batch.classes) ATTRIB_RETURN_IF_ERROR(InternClass(c).status());
  ATTRIB_ASSIGN_OR_RETURN(const int64_t rules_version,
                          InternRulesVersion(classifier_.rules_version()));
  for (const BadRow& bad : batch.bad_rows) {
    ++counts->rejected;
    ++counts->rejected_by_reason[static_cast<int>(bad.reason)];
    ATTRIB_RETURN_IF_ERROR(st_->insert_bad_row.Bind(1, project_)
                               .Bind(2, bad.received_at)
                               .Bind(3, ingest::ToString(bad.reason))
                               .Bind(4, batch.Text(bad.detail))
                               .Bind(5, batch.Text(bad.raw))
                               .BindOrNull(6, batch.Text(bad.origin))
                               .BindOrNull(7, batch.Text(bad.message_id))
                               .Bind(8, static_cast<int64_t>(bad.dedupe_key))
                               .BindOrNull(9, batch.Text(bad.anonymous_id))
                               .BindOrNull(10, batch.Text(bad.user_id))
                               .Run());
  }
  counts->duplicates += batch.duplicates;

  U64Map<uint8_t> dirty;  // ids whose person to derive again
  storage::BlockEncoder encoder;
  for (const VisitorBlock& block : batch.blocks) {
    ATTRIB_ASSIGN_OR_RETURN(const Id visitor, IdOf(batch.Text(block.visitor), block.user));
    // A visitor with stored events: leave out the messages stored already. The block is
    // decoded only when one of its keys is among theirs.
    std::string filtered;
    const std::string* data = &block.data;
    size_t events = block.keys.size();
    Micros first_at = block.first_at, last_at = block.last_at;
    if (visitor.existed || stored_.Find(static_cast<uint64_t>(visitor.id)) != nullptr) {
      ATTRIB_ASSIGN_OR_RETURN(std::vector<StoredKey> stored, StoredKeys(visitor.id));
      std::sort(stored.begin(), stored.end());
      const auto has_key = [&stored](uint64_t key) {
        return std::binary_search(
            stored.begin(), stored.end(), StoredKey{key, {}},
            [](const StoredKey& a, const StoredKey& b) { return a.key < b.key; });
      };
      if (std::any_of(block.keys.begin(), block.keys.end(), has_key)) {
        size_t repeats = 0;
        first_at = INT64_MAX;
        last_at = INT64_MIN;
        Status decoded = decoder_.Decode(block.data, [&](const storage::BlockEvent& e) {
          // Equal keys of different messageIds are a hash collision, not a repeat.
          const StoredKey k{e.dedupe_key, std::string(e.message_id)};
          if (std::binary_search(stored.begin(), stored.end(), k)) {
            ++repeats;
            return;
          }
          encoder.Add(e);
          first_at = std::min(first_at, e.at);
          last_at = std::max(last_at, e.at);
        });
        ATTRIB_RETURN_IF_ERROR(decoded);
        counts->duplicates += repeats;
        events -= repeats;
        filtered = encoder.Finish();
        data = &filtered;
      }
    }
    counts->accepted += events;
    if (events == 0) continue;
    ATTRIB_RETURN_IF_ERROR(st_->insert_block.Bind(1, project_)
                               .Bind(2, visitor.id)
                               .Bind(3, static_cast<int64_t>(events))
                               .Bind(4, first_at)
                               .Bind(5, last_at)
                               .Bind(6, rules_version)
                               .BindBlob(7, *data)
                               .Run());
    stored_[static_cast<uint64_t>(visitor.id)] = 1;
    dirty[static_cast<uint64_t>(visitor.id)] = 1;
  }

  for (const BatchLink& link : batch.links) {
    ATTRIB_ASSIGN_OR_RETURN(const Id from, IdOf(batch.Text(link.from), link.from_user));
    ATTRIB_ASSIGN_OR_RETURN(const Id to, IdOf(batch.Text(link.user), true));
    if (from.id == to.id) continue;
    ATTRIB_RETURN_IF_ERROR(st_->upsert_link.Bind(1, project_)
                               .Bind(2, from.id)
                               .Bind(3, to.id)
                               .Bind(4, int64_t{link.alias})
                               .Bind(5, link.at)
                               .Run());
    for (const int64_t id : {from.id, to.id}) {
      ATTRIB_RETURN_IF_ERROR(st_->mark_linked.Bind(1, id).Run());
      dirty[static_cast<uint64_t>(id)] = 1;
    }
  }
  // Until the project's first derivation, which takes every id, nothing is marked.
  if (derived_) {
    Status marked;
    dirty.ForEach([&](uint64_t id, uint8_t) {
      if (marked.ok()) {
        marked = st_->insert_dirty.Bind(1, project_).Bind(2, static_cast<int64_t>(id)).Run();
      }
    });
    ATTRIB_RETURN_IF_ERROR(marked);
  }
  counts->received = counts->accepted + counts->duplicates + counts->rejected;
  return Status::Ok();
}

Result<std::vector<SqliteStore::StoredKey>> SqliteStore::StoredKeys(int64_t visitor) {
  std::vector<StoredKey> keys;
  Stmt& q = st_->visitor_blocks;
  q.Bind(1, project_).Bind(2, visitor);
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    Status s = decoder_.Decode(q.Blob(0), [&keys](const storage::BlockEvent& e) {
      keys.push_back(StoredKey{e.dedupe_key, std::string(e.message_id)});
    });
    if (!s.ok()) {
      q.Reset();
      return s;
    }
  }
  return keys;
}

Status SqliteStore::Checkpoint() { return db_.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); }

}  // namespace sqlite

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, const StoreOptions& options,
                                               const Classifier& classifier, const Clock& clock) {
  if (!options.create && access(path.c_str(), F_OK) != 0) {
    return Status::NotFound(fmt::format("store: {}: no such file", path));
  }
  ATTRIB_ASSIGN_OR_RETURN(sqlite::Db db, sqlite::Db::Open(path, options.create));
  auto store = std::make_unique<sqlite::SqliteStore>(std::move(db), options, classifier, clock);
  ATTRIB_RETURN_IF_ERROR(store->Init(path));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace attrib
