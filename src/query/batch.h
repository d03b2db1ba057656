// Batch analysis: Segment messages in (JSON lines, from files), a report of every model's
// credits out, in memory and without a store — every pure stage once, in order:
// parse → classify → identity → sessionize → journeys → models → aggregates per group.
// The heuristic models credit each journey as it is built; the data-driven ones learn from the
// table of every journey's path of groups (converting or not) once all are built, with the
// report's groups as their channels.
//
// The work runs on several threads: blocks of lines are parsed and classified in parallel; the
// events are then partitioned by person and each partition is sessionized and credited on its
// own. Sums are kept in fixed point (integers), so the result does not depend on the number of
// threads or the order of the input: same messages, byte-identical report.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attrib/attribution.h"
#include "attrib/classify.h"
#include "attribution/markov.h"
#include "attribution/shapley.h"
#include "common/strings.h"
#include "ingest/segment.h"
#include "journey/journey.h"
#include "sessionize/sessionize.h"
#include "storage/aggregates.h"

namespace attrib::query {

// The dimensions a report groups touchpoints by (storage/aggregates.h lists them).
using GroupBy = storage::GroupBy;
using storage::ParseGroupBy;
using storage::ToString;
// The field names of a group's key: {"channel"}, {"source", "medium"}, …
std::vector<std::string_view> GroupFields(GroupBy g);

struct AnalysisOptions {
  sessionize::SessionOptions sessions;
  journey::ConversionOptions conversions;
  HeuristicOptions heuristics;
  MarkovOptions markov;
  ShapleyOptions shapley;
  bool data_driven = true;  // run markov and shapley (and count the paths they learn from)
  GroupBy group_by = GroupBy::kChannel;
  // Report conversions and touchpoints at or after `from` and before `to`; the data-driven
  // models also learn from the journeys without a conversion whose last session is inside.
  std::optional<Micros> from;
  std::optional<Micros> to;
  // Conversion events to report (--conversion); empty: all of conversions.events.
  std::vector<std::string> only_conversions;
  int threads = 2;                     // worker threads; ≥ 1
  size_t max_rejection_details = 100;  // rejections kept with their position and detail
};

// Whole lines of JSON, each a Segment message or a batch envelope, followed by at least
// simdjson::SIMDJSON_PADDING more readable bytes.
// Blocks of one input come in order; line numbers are counted from them.
struct InputBlock {
  std::string_view lines;             // in `buffer` or in the bytes `owner` keeps
  uint32_t source = 0;                // which input (file) they come from
  std::string buffer;                 // the lines and padding, when copied
  std::shared_ptr<const void> owner;  // keeps the lines readable, when they are not copied

  // Copies `text` (whole lines) into the buffer, padded.
  void Assign(std::string_view text) {
    owner.reset();
    buffer.assign(text);
    buffer.append(simdjson::SIMDJSON_PADDING, ' ');
    lines = std::string_view(buffer.data(), text.size());
  }
};

// Calls f(document, n) for each line of `lines` that is not blank — n counts lines from 0 —
// with a CRLF line end removed (a line cut for length keeps its last byte, to stay over the
// limit); returns the number of lines.
template <class F>
uint64_t ForEachDocument(std::string_view lines, F f) {
  uint64_t n = 0;
  const char* p = lines.data();
  const char* end = p + lines.size();
  for (; p < end; ++n) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* line_end = nl ? nl : end;
    std::string_view line(p, static_cast<size_t>(line_end - p));
    if (nl != nullptr && !line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!TrimAscii(line).empty()) f(line, n);
    p = line_end + 1;
  }
  return n;
}

struct RejectedMessage {
  uint32_t source = 0;
  uint64_t line = 0;
  size_t index = 0;       // position in a batch envelope
  bool in_batch = false;  // the line was an envelope and `index` names the message
  ingest::RejectReason reason;
  std::string message_id;
  std::string detail;
};

struct IngestCounts {
  uint64_t received = 0;  // = accepted + duplicates + rejected
  uint64_t accepted = 0;
  uint64_t duplicates = 0;  // a messageId seen before (for the same person)
  uint64_t rejected = 0;
  std::array<uint64_t, ingest::kRejectReasonCount> rejected_by_reason{};
  uint64_t skew_corrected = 0;     // times corrected for the device's clock
  uint64_t future_clamped = 0;     // times after receipt, set to the receipt time
  uint64_t unclassified_urls = 0;  // page URLs the classifier could not read (counted direct)
};

// One group of the report: the touchpoints of one channel (or source, …) and their credits.
struct GroupRow {
  std::vector<std::string> key;  // one value per GroupFields()
  uint64_t touchpoints = 0;      // sessions in the window
  uint64_t visitors = 0;         // distinct people with such a session in the window
  std::array<double, kModelCount> conversions{};  // credits under each model
  std::array<double, kModelCount> revenue{};      // credit × revenue
  double removal_effect = 0;                      // markov's, in [0, 1]
};

// One period of a report split by period (days since 1970-01-01, UTC).
struct PeriodRows {
  int32_t start_day = 0;
  std::vector<GroupRow> rows;  // sorted by key
};

// What the data-driven models learnt from.
struct DataDrivenSummary {
  uint64_t distinct_paths = 0;        // of groups, over converting and non-converting journeys
  double conversion_probability = 0;  // of the Markov chain
  uint64_t markov_states = 0;         // besides (start), (conversion) and (null)
  uint64_t shapley_exact_sets = 0;    // distinct channel sets of converting journeys, exact
  uint64_t shapley_sampled_sets = 0;  // … estimated (ShapleyResult::max_error)
  double shapley_max_error = 0;
  // Why the models could not run (their credits are then 0); empty when they did, or were
  // not asked for. The heuristic models' report stands either way.
  std::string error;
};

struct AnalysisResult {
  IngestCounts ingest;
  std::vector<RejectedMessage> rejections;  // in input order, at most max_rejection_details
  uint64_t people = 0;
  uint64_t sessions = 0;
  uint64_t conversions = 0;  // counted conversions in the window
  double revenue = 0;        // their revenue
  uint64_t converting_journeys = 0;
  uint64_t non_converting_journeys = 0;  // in the window: their last session is inside
  DataDrivenSummary data_driven;
  uint64_t refused_identity_links = 0;  // shared devices not allowed to merge two users
  std::vector<std::string> currencies;  // of the counted conversions, sorted
  std::vector<GroupRow> rows;           // sorted by key
};

// Reads blocks from `next` until it returns false (it is called by one thread at a time) and
// analyses them. `now` bounds implausible future timestamps.
Result<AnalysisResult> Analyze(const Classifier& classifier, const AnalysisOptions& options,
                               Micros now, const std::function<bool(InputBlock*)>& next);

}  // namespace attrib::query
