// The classifier's data as parsed from text: rules, lists and the channel table, before they
// are compiled into lookup tables. Parsing validates everything a user can get wrong and names
// the file, line and problem. The syntax is documented in docs/classifier-rules.md.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attrib/classify.h"
#include "attrib/status.h"

namespace attrib::classify {

// Input limits for rules files (built-in or the user's).
inline constexpr size_t kMaxRulesFileBytes = 1 << 20;  // one file
inline constexpr size_t kMaxExtraRules = 1000;         // all extra rules together
inline constexpr size_t kMaxConditionsPerRule = 16;
inline constexpr size_t kMaxTokenBytes = 256;  // one value, host, name or id
// A query parameter's name, in rules and in URLs: longer ones in a URL are skipped.
inline constexpr size_t kMaxParamNameBytes = 64;

enum class Field : unsigned char {
  kUtmSource,    // utm_source, lower-cased and aliased (fb → facebook)
  kUtmMedium,    // utm_medium, lower-cased
  kUtmCampaign,  // utm_campaign, utm_term, utm_content: compared lower-cased
  kUtmTerm,
  kUtmContent,
  kPath,              // the page URL's path, compared lower-cased
  kParam,             // param:NAME[|NAME…]: the (first non-empty) value of a query parameter
  kAnyParam,          // param@LIST: any query parameter named in a params list
  kUtm,               // any utm_ parameter (presence only)
  kReferrer,          // a referrer with a host (presence only)
  kReferrerHost,      // the referrer's host
  kPageHost,          // the page's host (the page_host input, else the URL's host)
  kInternalReferrer,  // the referrer is the site itself: same host or same registrable domain
  kAlways,            // "*"
};

enum class Op : unsigned char {
  kPresent,   // FIELD: non-empty
  kEquals,    // FIELD=a|b: equals one of (for hosts: one of these host patterns)
  kPrefix,    // FIELD^=a|b: starts with one of
  kContains,  // FIELD*=a|b: contains one of
  kInList,    // FIELD@LIST: in a list
};

struct Condition {
  Field field = Field::kAlways;
  Op op = Op::kPresent;
  bool negated = false;
  std::vector<std::string> params;  // kParam: parameter names, lower-case
  std::vector<std::string> values;  // kEquals/kPrefix/kContains: lower-case
  std::string list;                 // kInList: the list's name
  std::string text;                 // canonical text, e.g. "!utm_source@meta_sources"
};

enum class TemplateKind : unsigned char {
  kLiteral,       // a fixed value
  kUtmSource,     // $utm_source (lower-cased, aliased)
  kUtmMedium,     // $utm_medium (lower-cased; "unknown" when absent)
  kMatch,         // $match: the name of the list entry the rule's first list condition matched
  kReferrerSlug,  // $referrer_slug: the referrer's registrable domain without its suffix
  kParam,         // $param:NAME: a query parameter's value (lower-cased, aliased)
};

struct Template {
  TemplateKind kind = TemplateKind::kLiteral;
  std::string text;     // the literal, or the parameter name of $param:NAME
  std::string written;  // as written in the file
};

struct RuleDef {
  std::string id;
  std::string when_text;
  std::vector<Condition> when;  // all must hold; empty means always
  Template source;
  Template medium;
  Confidence confidence = Confidence::kLow;
  std::optional<Channel> channel;
  std::string note;
  std::string origin;  // "builtin" or the file's name
  int line = 0;
};

enum class ListKind : unsigned char { kHosts, kValues, kParams };
std::string_view ToString(ListKind kind);

struct ListEntry {
  std::string key;   // host pattern, value or parameter name, lower-case
  std::string name;  // the canonical name it stands for (hosts, params, aliases); may be empty
};

struct ListDef {
  std::string name;
  ListKind kind = ListKind::kValues;
  std::string description;  // the file's leading comment
  std::vector<ListEntry> entries;
};

// One side of a channel-table row: `*`, or alternatives that are values or @lists.
struct ChannelMatch {
  bool any = true;
  std::vector<std::string> values;
  std::vector<std::string> lists;
  std::string text;
};

struct ChannelRow {
  Channel channel = Channel::kReferral;
  ChannelMatch source, medium, utm_medium;
  int line = 0;
};

// Each parser appends to `out`; on error `out` may hold what came before the bad line.
Status ParseRules(std::string_view origin, std::string_view text, std::vector<RuleDef>* out);
Status ParseList(std::string_view origin, std::string_view text, ListDef* out);
Status ParseChannels(std::string_view origin, std::string_view text, std::vector<ChannelRow>* out);

// The leading comment of a data file: its first lines starting with '#', up to the first bare
// '#' line, without the marks.
std::string LeadingComment(std::string_view text);

}  // namespace attrib::classify
