// The compiled classifier: the parsed data (kept for listings and docs) and the lookup tables
// that Classify() reads. Built once by Load(); immutable afterwards, so Classify() is
// thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "attrib/classify.h"
#include "classify/host_table.h"
#include "classify/rule_data.h"
#include "common/flat_map.h"

namespace attrib {

namespace classify {

// Distinct conditions across all rules (identical ones are evaluated once).
inline constexpr size_t kMaxConditions = 4096;
// Values a rule can look at: the five utm_ fields, the path, and query parameters by name.
inline constexpr size_t kMaxValueSlots = 64;
// Rows of the channel table (a bit mask each).
inline constexpr size_t kMaxChannelRows = 64;
// Conditions that name what they matched ($match): one per (host field or params, list) pair.
inline constexpr size_t kMaxNamedConditions = 64;

inline constexpr uint16_t kNoName = 0xFFFF;

enum Slot : uint8_t {
  kSlotUtmSource,
  kSlotUtmMedium,
  kSlotUtmCampaign,
  kSlotUtmTerm,
  kSlotUtmContent,
  kSlotPath,
  kFirstParamSlot,  // slots of other query parameters follow
};

// When a rule holds: in every word of condition bits it looks at, all `need` bits are set and
// no `forbid` bit is.
struct RuleMask {
  uint16_t word;
  uint64_t need, forbid;
};

struct CompiledRule {
  std::vector<RuleMask> masks;
  TemplateKind source_kind, medium_kind;
  std::string source_text, medium_text;      // literals
  uint8_t source_slot = 0, medium_slot = 0;  // for $param:NAME
  uint16_t match_cond = kNoName;             // for $match: the naming condition
  uint16_t match_slot = kNoName;             // … and where it keeps the name
  Confidence confidence;
  bool has_channel = false;
  bool campaign_signal = false;  // reads the URL's campaign parameters (see Classification)
  Channel channel = Channel::kReferral;
  bool fixed_output = false;  // literal source and medium: their channel rows are known
  uint64_t channel_rows = 0;  // … namely these
  std::string id;
};

// The conditions on one value slot.
struct ValueTable {
  FlatStringMap<std::vector<uint16_t>> equals;  // lower-cased value → conditions it satisfies
  std::vector<uint16_t> present;
  struct Scan {
    uint16_t cond;
    Op op;  // kPrefix or kContains
    std::vector<std::string> needles;
  };
  std::vector<Scan> scans;
  bool needs_lower = false;  // equals or scans exist: compare a lower-cased copy
};

struct ParamInfo {
  int slot = -1;                  // value slot, when the value itself is needed
  std::vector<HostHit> presence;  // conditions true when the parameter has a value (+ names)
};

// The channel table as bit masks: row i matches when bit i is set in all three columns.
struct ChannelColumn {
  FlatStringMap<uint64_t> rows_with_value;
  uint64_t any_rows = 0;  // rows whose condition is '*'
  uint64_t Rows(std::string_view value) const {
    const uint64_t* m = rows_with_value.Find(value);
    return any_rows | (m ? *m : 0);
  }
};

// Everything Classify() reads.
struct Tables {
  uint64_t id = 0;  // unique per loaded classifier, for per-thread memos
  std::vector<CompiledRule> rules;
  // The rules' masks for word 0, side by side for a fast scan, and whether a rule also looks at
  // other words (then rules[i].masks has them all).
  struct FirstWord {
    uint64_t need, forbid;
    bool more;
  };
  std::vector<FirstWord> first_words;
  // Condition bits that only query parameters can set, and the first rule that needs none of
  // them: when the URL has no such parameter (most page views), the rules before it cannot hold.
  std::vector<uint64_t> query_bits;  // by word
  size_t first_rule_without_query = 0;
  size_t num_conditions = 0;
  std::vector<std::string> names;  // interned names of list entries, by id
  HostTable referrer_hosts, page_hosts;
  HostTable source_hosts;                  // a utm_source written as a host → its source name
  FlatStringMap<uint16_t> source_aliases;  // "fb" → name id of "facebook"
  FlatStringMap<ParamInfo> params;         // lower-case parameter name → what it feeds
  std::vector<ValueTable> slots;           // indexed by Slot
  size_t num_slots = kFirstParamSlot;
  bool reads_path_or_params = false;  // some rule looks at the path or a parameter's value
  std::vector<uint16_t> any_utm_conds, referrer_conds, page_host_conds, internal_conds;
  std::array<ChannelColumn, 3> channel_columns;  // source, medium, utm_medium
  uint64_t rows_without_utm_medium = 0;          // channel_columns[2].Rows("")
  std::vector<Channel> channel_of_row;

  // The channel of the first row set in `rows`; referral when none is.
  Channel ChannelOf(uint64_t rows) const;
  // A lower-cased utm_source (or $param:NAME source) spelled as an alias ("fb") or as a host
  // ("facebook.com") becomes the source the lists call it ("facebook").
  void Canonicalize(std::string* source) const;
};

}  // namespace classify

class Classifier::Impl {
 public:
  Status Load(const ClassifierOptions& options);                           // compile.cc
  Status Classify(const ClassifyInput& input, Classification* out) const;  // classifier.cc
  std::string RulesMarkdown() const;                                       // rules_doc.cc

  // The data as parsed, for listings and docs.
  std::vector<classify::RuleDef> rule_defs;
  std::vector<classify::ListDef> lists;
  std::vector<classify::ChannelRow> channel_rows;
  std::vector<RuleInfo> rule_infos;
  std::string rules_version;

  classify::Tables tables;
};

}  // namespace attrib
