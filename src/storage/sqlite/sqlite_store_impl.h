// The SQLite store's implementation (internal): ingest in sqlite_store.cc, derivation in
// sqlite_derive.cc.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attrib/store.h"
#include "attribution/person.h"
#include "common/flat_map.h"
#include "common/u64_map.h"
#include "storage/aggregates.h"
#include "storage/event_block.h"
#include "storage/sqlite/sqlite.h"

namespace attrib::sqlite {

// A credited conversion as it was before a derivation, to tell whether it was restated.
struct OldConversion {
  int64_t version = 0;
  Micros credited_at = 0;
  std::optional<Micros> restated_at;
  std::vector<storage::TouchTerm> touches;
};

struct DerivePlan;  // sqlite_derive.cc

// A project's daily aggregates, every row, as of one stamp of the store (projects.paths_stamp,
// moved on by every change to them): a window's sums then come from memory.
struct KeptAggregates {
  int64_t stamp = 0;
  struct Reach {
    int32_t level = 0, day = 0, prev_day = 0;
    int64_t visitors = 0, touchpoints = 0, paid = 0;
  };
  struct Credits {
    int64_t kind = 0;
    int32_t day = 0;
    std::array<int64_t, kHeuristicModelCount> credit{}, revenue{};
  };
  struct Group {
    std::string value;
    std::vector<Reach> reach;
    std::vector<Credits> credits;
  };
  std::array<std::vector<Group>, storage::kDimCount> dims;  // each dimension's groups by value
  struct Totals {
    int64_t kind = 0;
    int32_t day = 0;
    std::string currency;
    int64_t conversions = 0, revenue = 0;
  };
  std::vector<Totals> totals;
};

// The stored classifications: what the models and the aggregates need of each.
struct ClassTables {
  U64Map<uint32_t> class_ids;             // by ClassHash
  FlatStringMap<uint32_t> group_ids;      // "dim\x1fvalue" → group id
  std::vector<TouchChannel> channels;     // by class id
  std::vector<storage::GroupIds> groups;  // by class id
};
Result<ClassTables> ReadClasses(Db& db);

// The index of a stored conversion's event among the configured `events`.
Result<uint32_t> ConversionKind(const std::vector<std::string>& events, std::string_view event);

// Checks a query of the daily aggregates; its days [from, to), open ends made wide.
Result<std::pair<int64_t, int64_t>> AggregateWindow(const AggregateQuery& q);

// Journeys' paths summed into an AggregateResult, by a key of the caller's (the path's text, its
// group ids' bytes), each path's groups named by their places in path_groups.
class PathSummer {
 public:
  explicit PathSummer(AggregateResult* result) : result_(*result) {}
  // The path of `key`, when seen before.
  GroupPath* Find(std::string_view key);
  // A new path of `key`, of the groups `ids`.
  GroupPath& Add(std::string_view key, std::span<const uint32_t> ids);
  // The group ids of path_groups' places, in order (path_groups is sized to them).
  const std::vector<uint32_t>& group_ids() const { return group_ids_; }

 private:
  AggregateResult& result_;
  FlatStringMap<uint32_t> index_;  // key → 1 + the path's place in result_.paths
  U64Map<uint32_t> places_;        // group id → 1 + its place in result_.path_groups
  std::vector<uint32_t> group_ids_;
};

// A window's sums from kept aggregates, as the store's statements sum its rows (sqlite_read.cc).
AggregateResult SumKept(const KeptAggregates& kept, const AggregateQuery& q, int64_t from,
                        int64_t to);

// People's records as PersonDeriver takes them, read from their stored events.
struct StoredRecords {
  std::vector<EventRecord> events;
  std::vector<ConversionRecord> conversions;
  std::vector<std::string> currencies;          // by ConversionRecord::currency
  std::map<uint64_t, std::string> message_ids;  // of the conversions, by event key
  void Clear();
};

class SqliteStore final : public Store {
 public:
  struct Statements;  // statements.h

  SqliteStore(Db db, const StoreOptions& options, const Classifier& classifier, const Clock& clock);
  ~SqliteStore() override;

  Status Init(const std::string& path);

  Result<std::vector<IngestCounts>> Append(std::span<const IngestBatch> batches) override;
  Result<DeriveCounts> Derive(const std::function<void(uint64_t, uint64_t)>& progress) override;
  Result<AggregateResult> ReadAggregates(const AggregateQuery& query) override;
  Result<PathDays> ReadPathDays(const PathDaysQuery& query) override;
  Status Export(ExportKind what, ExportSink& sink) override;
  Result<PersonJourney> ReadJourney(std::string_view id, bool user) override;
  Result<DeleteCounts> DeletePerson(std::string_view id, bool user) override;
  Result<ReclassifyCounts> Reclassify(
      const std::function<void(uint64_t, uint64_t)>& progress) override;
  Status Checkpoint() override;
  Result<std::unique_ptr<AggregateReader>> AtLookback(Micros lookback) override;

 private:
  Status Migrate();
  // Takes the store's writer lock (an flock on "<file>-writer", held while the store is open):
  // Unavailable while another process holds it. A second writer would derive people from a
  // snapshot the first one is changing. Stores of one process share the lock: it must not open
  // two stores of one project to write.
  Status LockForWriting();
  Status OpenProject();
  Status LoadClasses();
  Result<uint32_t> InternClass(const Classification& c);
  Result<uint32_t> InternGroup(int dim, const std::string& value);
  Result<int64_t> InternRulesVersion(std::string_view version);
  struct Id {
    int64_t id = 0;
    bool existed = false;  // in the store before this process added it
  };
  Result<Id> IdOf(std::string_view value, bool user);
  // The person an id belongs to; NotFound names the id when the project has never seen it.
  Result<int64_t> PersonOf(std::string_view value, bool user);
  // The dedupe keys and messageIds of a visitor's stored events.
  struct StoredKey {
    uint64_t key;
    std::string message_id;
    auto operator<=>(const StoredKey&) const = default;
  };
  Result<std::vector<StoredKey>> StoredKeys(int64_t visitor);
  Status AppendLocked(const IngestBatch& batch, IngestCounts* counts);
  // Plans the derivation of the people of `ids` (dirty) but those of ids in `done`, and adds
  // theirs to it. Reads on the planner's connection only.
  Status PlanChunk(std::span<const int64_t> ids, U64Map<uint8_t>* done, DerivePlan* plan);
  Status WritePlan(const DerivePlan& plan);
  // The rows of a plan: sessions, conversions, credits and who is who.
  Status WriteRows(const DerivePlan& plan);
  // The project's first derivation: every person at once, from one pass over the stored events
  // and links, in one transaction. Ingest marks nothing dirty before it.
  Result<DeriveCounts> DeriveFirst(const std::function<void(uint64_t, uint64_t)>& progress);
  Result<DeriveCounts> DeriveEveryone(const std::function<void(uint64_t, uint64_t)>& progress);
  // Adds a stored event's records, as `person`'s.
  void AddRecords(const storage::BlockEvent& b, int64_t person, StoredRecords* out) const;
  // Reads a person's derived rows (with `st`, of either connection): their terms taken away
  // from `delta`, their conversions into `old`. False when they had none.
  Result<bool> ReadOld(Statements& st, int64_t person, storage::AggregateDelta* delta,
                       std::map<int64_t, OldConversion>* old);
  // Deletes a person's derived rows.
  Status DeleteDerived(int64_t person);
  // Adds the sums to the aggregate rows (and deletes rows they bring to zero).
  Status ApplyDelta(const storage::AggregateDelta& delta);
  // projects.paths_stamp: moved on by every change to the aggregates.
  Result<int64_t> ProjectStamp();
  // The project's aggregates as of `stamp`, every row (in the read snapshot); credits only when
  // `with_credits`. `place[group id]`, when asked for: the group's dimension and place in it
  // (-1: a dimension this build does not know).
  Result<std::unique_ptr<KeptAggregates>> ReadKept(
      int64_t stamp, bool with_credits, std::vector<std::pair<int, uint32_t>>* place = nullptr);
  // The journeys' paths of days [from, to) into `result`.
  Status ReadPaths(const AggregateQuery& q, int64_t from, int64_t to, AggregateResult* result);
  void ForgetCaches();

  Db db_;
  StoreOptions options_;
  const Classifier& classifier_;
  const Clock& clock_;
  int64_t project_ = 0;

  // Classifications by hash, and by id: what the models and the aggregates need of each.
  U64Map<uint32_t> class_ids_;             // by ClassHash
  std::vector<TouchChannel> channels_;     // by class id
  std::vector<storage::GroupIds> groups_;  // by class id
  FlatStringMap<uint32_t> group_ids_;      // "dim\x1fvalue" → group id
  FlatStringMap<int64_t> rules_versions_;  // version → id
  uint32_t no_url_class_ = 0;              // a session without a page URL: direct
  std::vector<journey::Counting> counting_by_kind_;

  // The ids this process knows (when the project had none when opened, an id not here is not
  // in the store either), and the visitors it stored events of.
  U64Map<Id> ids_;  // identity key → id
  U64Map<uint8_t> stored_;
  bool had_ids_ = true;
  bool derived_ = false;  // the project has been derived; until then ingest marks nothing dirty
  storage::BlockDecoder decoder_;

  std::unique_ptr<Statements> st_;
  // The derivation planner's connection, opened by the first Derive, and its decoder.
  std::optional<Db> reader_;
  std::unique_ptr<Statements> reader_st_;
  storage::BlockDecoder plan_decoder_;
  std::string writer_lock_;  // the writer lock's file, once taken

  // The aggregates kept in memory while the store is quiet (ReadAggregates): read whole when
  // two reads in a row see the same stamp, at most once per kKeepInterval (sqlite_read.cc).
  std::unique_ptr<KeptAggregates> kept_;
  int64_t last_read_stamp_ = -1;
  std::optional<Micros> kept_at_;  // when last read whole
  Micros keeping_took_ = 0;        // … and how long that took
};

}  // namespace attrib::sqlite
