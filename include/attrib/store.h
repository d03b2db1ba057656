// The store: attrib's durable home for events and everything derived from them (BLUEPRINT §3).
// Raw events, bad rows and identity links are appended by ingest; people, sessions, conversions,
// credits and daily aggregates are derived from them, person by person, and re-derived when late
// data changes a person (restatement). Reports read the daily aggregates.
//
// Store is the interface; src/storage/sqlite/ implements it over one SQLite file. Everything is
// kept per project: rows of one project never reach another's reports.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attrib/attribution.h"
#include "attrib/classify.h"
#include "attrib/clock.h"
#include "attrib/status.h"
#include "attribution/person.h"
#include "ingest/segment.h"

namespace attrib {

// The settings a project's derived state is computed with. They are recorded when the project
// is created; opening it with different ones is an error (the derived state would mix both).
struct DeriveSettings {
  PersonOptions person;  // sessions, conversions, heuristic models
};

struct StoreOptions {
  std::string project = "default";  // created on first use
  DeriveSettings settings;
  // Each commit is flushed to the disk before it returns (SQLite synchronous=FULL). Off, a
  // commit survives a crash of the process but the last ones may be lost to a power cut; an
  // import still flushes everything before it reports success.
  bool sync_every_commit = false;
  int64_t cache_mib = 256;  // the page cache
  bool create = true;       // create the store file when missing (else: an error)
};

// Strings of an IngestBatch: views into its arena.
struct ArenaRef {
  uint32_t offset = 0, size = 0;
};

// A link between two ids made by the batch's events: an event carrying both ids, or an alias
// (which links the previousId, as an anonymousId and as a userId, to the userId).
struct BatchLink {
  ArenaRef from;
  bool from_user = false;
  ArenaRef user;
  bool alias = false;
  Micros at = 0;  // the earliest such event's time
};

// The events of one visitor in the batch, encoded (src/storage/event_block.h).
struct VisitorBlock {
  ArenaRef visitor;   // the events' userId, else their anonymousId
  bool user = false;  // … which of the two
  std::string data;
  std::vector<uint64_t> keys;  // the events' dedupe keys, in order
  Micros first_at = 0, last_at = 0;
};

// One rejected message or document.
struct BadRow {
  ingest::RejectReason reason;
  uint64_t dedupe_key = 0;  // of the raw text and position: a re-import stores it once
  ArenaRef detail, raw, origin, message_id;  // origin: "file:line", "file:line: batch message N"
  ArenaRef anonymous_id, user_id;            // when the message names them (for erasure)
  Micros received_at = 0;
};

// What one import step appends, atomically.
struct IngestBatch {
  std::string arena;
  // The classifications the blocks' events name by ClassHash; rule_id and rules_version views
  // stay valid while the Classifier lives.
  std::vector<Classification> classes;
  std::vector<VisitorBlock> blocks;
  std::vector<BatchLink> links;
  std::vector<BadRow> bad_rows;
  uint64_t duplicates = 0;  // events repeating another of the same visitor in the batch

  std::string_view Text(ArenaRef r) const {
    return std::string_view(arena).substr(r.offset, r.size);
  }
  ArenaRef Add(std::string_view s) {
    const ArenaRef r{static_cast<uint32_t>(arena.size()), static_cast<uint32_t>(s.size())};
    arena.append(s);
    return r;
  }
};

struct IngestCounts {
  uint64_t received = 0;  // = accepted + duplicates + rejected
  uint64_t accepted = 0;
  uint64_t duplicates = 0;  // a messageId the visitor has already
  uint64_t rejected = 0;
  std::array<uint64_t, ingest::kRejectReasonCount> rejected_by_reason{};

  void Add(const IngestCounts& o) {
    received += o.received;
    accepted += o.accepted;
    duplicates += o.duplicates;
    rejected += o.rejected;
    for (int r = 0; r < ingest::kRejectReasonCount; ++r) {
      rejected_by_reason[r] += o.rejected_by_reason[r];
    }
  }
};

struct DeriveCounts {
  uint64_t people = 0;       // re-derived
  uint64_t conversions = 0;  // credited by this derivation (new or restated)
  uint64_t restated = 0;     // … already credited before, whose credits changed
};

// Periods a window's sums can be split into: days, weeks from Monday, calendar months (UTC).
enum class Interval : uint8_t { kNone, kDay, kWeek, kMonth };

// Daily aggregates of one dimension, summed over whole UTC days [from_day, to_day).
struct AggregateQuery {
  int dim = 0;  // query::GroupBy
  std::optional<int32_t> from_day, to_day;
  std::optional<uint32_t> kind;  // one conversion event (index into ConversionOptions::events)
  bool credits = true;           // the heuristic models' credits (else touchpoints only)
  bool paths = false;            // the journeys' paths too (the data-driven models' input)
  // Touchpoints and visitors of sessions of at least this confidence (0 low: all, 1 medium,
  // 2 high); credits are always of every session.
  int min_level = 0;
  // Sums per group and period (GroupSums::period) instead of per group; visitors are then
  // counted in each period they came.
  Interval interval = Interval::kNone;
};

struct GroupSums {
  std::string value;   // source_medium: "source\x1fmedium"
  int32_t period = 0;  // with an interval: the period's first day
  int64_t touchpoints = 0, visitors = 0;
  int64_t paid = 0;                                                // touchpoints of a paid channel
  std::array<__int128, kHeuristicModelCount> credit{}, revenue{};  // fixed point (fixed.h)
};

// Journeys with one path of groups: how many converted, their revenue, how many did not.
struct GroupPath {
  std::vector<uint32_t> groups;  // ids (AggregateResult: indexes into path_groups)
  uint64_t conversions = 0, nulls = 0;
  __int128 revenue = 0;  // fixed point
};

struct AggregateResult {
  std::vector<GroupSums> groups;  // usually by value (as the index gives them); see store_report
  uint64_t conversions = 0;
  __int128 revenue = 0;                 // fixed point
  std::vector<std::string> currencies;  // of the conversions, sorted
  // When asked for: the journeys whose conversion (or, without one, last session) falls in
  // the window, by path, in no particular order; and the values of the groups they name.
  std::vector<GroupPath> paths;
  std::vector<std::string> path_groups;
};

// The journeys' paths of one dimension under one conversion filter, day by day: each day
// changed after `since` with all its paths, for a cache of them to catch up.
struct PathDaysQuery {
  int dim = 0;
  std::optional<uint32_t> kind;  // as AggregateQuery's
  // Instead, the paths of people without any conversion event, which every filter adds.
  bool shared = false;
  int64_t since = 0;  // the PathDays::stamp of an earlier read; 0: every day
  // Group ids below this are known to the reader (ids only grow, and a group keeps its value).
  uint32_t known_groups = 0;
};
struct PathDays {
  int64_t stamp = 0;  // of the latest change read: the next query's `since`
  // The project's latest stamp when read: reads of other filters that saw the same one saw
  // the same paths; one below an earlier `since` means the file was replaced (read again).
  int64_t project_stamp = 0;
  struct Day {
    int32_t day = 0;
    std::vector<GroupPath> paths;  // groups: group ids, named in group_values
  };
  std::vector<Day> days;  // by day; a day whose last path went has none
  // When any day changed: the dimension's groups of ids from known_groups on.
  std::vector<std::pair<uint32_t, std::string>> group_values;
};

// What `attrib export` writes.
enum class ExportKind : uint8_t { kEvents, kSessions, kCredits };

struct ExportValue {
  enum class Type : uint8_t { kNull, kInt, kReal, kText };
  Type type = Type::kNull;
  int64_t i = 0;
  double d = 0;
  std::string_view text;

  static ExportValue Null() { return {}; }
  static ExportValue Int(int64_t v) { return {Type::kInt, v, 0, {}}; }
  static ExportValue Real(double v) { return {Type::kReal, 0, v, {}}; }
  static ExportValue Text(std::string_view v) { return {Type::kText, 0, 0, v}; }
};

// Receives an export: its columns once, then its rows (values in column order).
class ExportSink {
 public:
  virtual ~ExportSink() = default;
  virtual void Columns(std::span<const std::string_view> names) = 0;
  virtual Status Row(std::span<const ExportValue> values) = 0;
};

// A person's audit trail, from the rule that classified each session to every credit.
struct StoredClass {
  std::string channel, source, medium, campaign, rule_id, confidence;
};
struct PersonJourney {
  struct Id {
    std::string value;
    bool user = false;
  };
  struct Session {
    Micros start = 0, end = 0;
    int64_t events = 0;
    StoredClass classification;
  };
  struct Touchpoint {
    Micros session_start = 0;
    StoredClass classification;
    std::array<double, kHeuristicModelCount> credit{};
  };
  struct Conversion {
    std::string message_id, kind, currency;
    Micros at = 0;
    double revenue = 0;
    int64_t version = 1;
    std::optional<Micros> restated_at;
    std::vector<Touchpoint> touchpoints;
  };
  std::vector<Id> ids;  // every id of the person
  std::vector<Session> sessions;
  std::vector<Conversion> conversions;
};

// What an erasure removed.
struct DeleteCounts {
  uint64_t ids = 0, events = 0, sessions = 0, conversions = 0, bad_rows = 0;
};

// What a reclassification changed.
struct ReclassifyCounts {
  uint64_t events = 0;  // visits classified again
  uint64_t moved = 0;   // … whose classification changed
  // (old rule, new rule) → events moved so.
  std::map<std::pair<std::string, std::string>, uint64_t> moved_by_rule;
  DeriveCounts derived;
};

// What reports read: a project's daily aggregates and its journeys' paths.
class AggregateReader {
 public:
  virtual ~AggregateReader() = default;
  virtual Result<AggregateResult> ReadAggregates(const AggregateQuery& query) = 0;
  virtual Result<PathDays> ReadPathDays(const PathDaysQuery& query) = 0;
};

class Store : public AggregateReader {
 public:
  // Appends the batches' events (those whose dedupe key the project does not have yet), bad
  // rows and identity links in one transaction, and marks the people they touch for derivation.
  // The counts are per batch, in order.
  virtual Result<std::vector<IngestCounts>> Append(std::span<const IngestBatch> batches) = 0;

  // Re-derives every person marked for it, in transactions of many people; calls `progress`
  // with the number done and the number to do, at least once after each transaction commits.
  virtual Result<DeriveCounts> Derive(const std::function<void(uint64_t, uint64_t)>& progress) = 0;

  // The project's aggregates as they would be if every journey reached `lookback` back from
  // its conversion instead of the project's lookback (1 to 365 days): each person's credits and
  // paths taken again from their stored sessions and conversions, kept in memory. A snapshot:
  // later changes to the store do not reach it. Safe to read from several threads at once.
  virtual Result<std::unique_ptr<AggregateReader>> AtLookback(Micros lookback) = 0;

  // The person an id (a userId, or an anonymousId) belongs to; NotFound when the project has
  // never seen it.
  virtual Result<PersonJourney> ReadJourney(std::string_view id, bool user) = 0;

  // Classifies every stored visit again with the store's classifier (new rules), stores what
  // changed, and derives the people concerned again (restating their conversions).
  virtual Result<ReclassifyCounts> Reclassify(
      const std::function<void(uint64_t, uint64_t)>& progress) = 0;

  // Erases the person an id belongs to (GDPR): every id of theirs, their events, identity links,
  // sessions, conversions, credits and the bad rows naming their ids; the aggregates lose their
  // terms, and people who shared a link with them are derived again.
  virtual Result<DeleteCounts> DeletePerson(std::string_view id, bool user) = 0;

  // Every stored event, session, or credit of the project, with their classification.
  virtual Status Export(ExportKind what, ExportSink& sink) = 0;

  // Flushes everything committed to the disk.
  virtual Status Checkpoint() = 0;
};

}  // namespace attrib
