// Classify(): split the inputs, gather the facts every condition needs in one pass over the
// query string and one lookup per host, then walk the cascade testing bits.
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "classify/classifier_impl.h"
#include "common/flat_map.h"
#include "common/strings.h"
#include "common/url.h"

namespace attrib {

using classify::HostHit;
using classify::kMaxConditions;
using classify::kMaxParamNameBytes;
using classify::kMaxValueSlots;
using classify::TemplateKind;

namespace {

constexpr std::string_view kUnknown = "unknown";

// What the conditions found, for one visit. Left uninitialized but for what is used: zeroing
// the whole of it would cost more than classifying.
struct Facts {
  uint64_t bits[kMaxConditions / 64];
  uint16_t names[classify::kMaxNamedConditions];  // by name slot; read only where the bit is set
  struct Raw {
    const char* data;
    size_t size;
    std::string_view view() const { return {data, size}; }
  } raw[kMaxValueSlots];  // first non-empty raw value of each slot

  bool Has(uint16_t c) const { return (bits[c >> 6] >> (c & 63)) & 1; }
  void Set(uint16_t c) { bits[c >> 6] |= uint64_t{1} << (c & 63); }
  // The first (most specific) match names the condition.
  void SetNamed(const HostHit& hit) {
    if (!Has(hit.cond)) {
      Set(hit.cond);
      if (hit.name_slot != classify::kNoSlot) names[hit.name_slot] = hit.name;
    }
  }
  void SetAll(const std::vector<uint16_t>& conds) {
    for (uint16_t c : conds) Set(c);
  }
};

// A host, normalized without copying in the common case (lower-case ASCII already). Sets
// *valid to false when normalizing leaves no host name (see NormalizeHost).
class HostBuffer {
 public:
  std::string_view Normalize(std::string_view host, bool* valid) {
    *valid = true;
    if (IsLowerAscii(host) &&
        (host.find('-') == std::string_view::npos || host.find("xn--") == std::string_view::npos)) {
      return host;
    }
    *valid = classify::NormalizeHost(host, &normalized_);
    return normalized_;
  }

 private:
  std::string normalized_;
};

// A per-thread memo of host matches. Hosts repeat all day (the site's own pages, the big search
// engines and networks), and matching a host against every list costs several hash lookups;
// replaying a memo costs one. Entries name the tables they were made from, so classifiers
// loaded later never see another's answers.
class HostMatchMemo {
 public:
  template <class Emit>
  void Match(const classify::HostTable& table, uint64_t owner, std::string_view host, bool app,
             Emit& emit) {
    if (host.size() > kMaxHost) {
      table.Match(host, app, emit);
      return;
    }
    const uint64_t h = HashBytes(host) ^ (app ? 0x9E3779B97F4A7C15ULL : 0);
    Entry& e = entries_[h & (kEntries - 1)];
    if (e.owner == owner && e.hash == h && e.app == app &&
        SameBytes(std::string_view(e.host, e.size), host)) {
      for (uint8_t i = 0; i < e.n_hits; ++i) emit(e.hits[i]);
      return;
    }
    HostHit hits[kMaxHits];
    size_t n = 0;
    table.Match(host, app, [&](const HostHit& hit) {
      if (n < kMaxHits) hits[n] = hit;
      ++n;
      emit(hit);
    });
    if (n > kMaxHits) return;  // too many to keep; rare
    e.owner = owner;
    e.hash = h;
    e.app = app;
    e.size = static_cast<uint8_t>(host.size());
    std::memcpy(e.host, host.data(), host.size());
    e.n_hits = static_cast<uint8_t>(n);
    std::copy(hits, hits + n, e.hits);
  }

 private:
  static constexpr size_t kEntries = 128;  // direct-mapped
  static constexpr size_t kMaxHost = 64;
  static constexpr size_t kMaxHits = 6;
  struct Entry {
    uint64_t owner = 0;  // 0: empty
    uint64_t hash = 0;
    bool app = false;
    uint8_t size = 0;
    uint8_t n_hits = 0;
    char host[kMaxHost];
    HostHit hits[kMaxHits];
  };
  Entry entries_[kEntries];
};

HostMatchMemo& Memo() {
  thread_local HostMatchMemo memo;
  return memo;
}

// Decodes a query value (or, with plus_is_space false, a path): percent-decoded, control
// characters and invalid UTF-8 replaced, then trimmed.
void DecodeValue(std::string_view raw, std::string* out, bool plus_is_space = true) {
  out->clear();
  if (raw.empty()) return;
  PercentDecodeAppend(raw, plus_is_space, out);
  CleanText(out);
  const std::string_view trimmed = TrimAscii(*out);
  if (trimmed.size() != out->size()) *out = std::string(trimmed);
}

// True when a raw query value decodes to nothing ("%20", "+"): it does not count as a value.
bool DecodesToBlank(std::string_view raw) {
  const char c = raw.empty() ? ' ' : raw[0];
  if (c != '%' && c != '+' && c != ' ' && c != '\t') return false;  // nearly always
  thread_local std::string scratch;
  DecodeValue(raw, &scratch);
  return scratch.empty();
}

// A referrer that browsers and SDKs send to mean "none".
bool MeansNoReferrer(std::string_view referrer) {
  if (referrer.empty()) return true;
  switch (referrer[0] | 0x20) {  // most referrers start with 'h': one test
    case 'n':
      return EqualsIgnoreCase(referrer, "null");
    case 'u':
      return EqualsIgnoreCase(referrer, "undefined");
    case 'a':
      return StartsWithIgnoreCase(referrer, "about:");
    default:
      return false;
  }
}

Status Prefixed(std::string_view what, Status s) {
  return Status(s.code(), fmt::format("{}: {}", what, s.message()));
}

bool ScanMatches(const classify::ValueTable::Scan& scan, std::string_view value) {
  for (const std::string& needle : scan.needles) {
    const bool hit = scan.op == classify::Op::kPrefix
                         ? value.substr(0, needle.size()) == needle
                         : value.find(needle) != std::string_view::npos;
    if (hit) return true;
  }
  return false;
}

void MatchValue(const classify::ValueTable& table, std::string_view value, Facts* f) {
  if (value.empty()) return;
  f->SetAll(table.present);
  if (!table.equals.empty()) {
    if (const auto* conds = table.equals.Find(value)) f->SetAll(*conds);
  }
  for (const auto& scan : table.scans) {
    if (ScanMatches(scan, value)) f->Set(scan.cond);
  }
}

}  // namespace

namespace classify {

Channel Tables::ChannelOf(uint64_t rows) const {
  return rows ? channel_of_row[std::countr_zero(rows)] : Channel::kReferral;
}

}  // namespace classify

namespace {

// One visit on its way through Classify().
struct Visit {
  UrlParts url, ref;
  bool same_origin = false;  // the referrer is on the URL's scheme, host and port
  std::string_view page_host_raw;
  HostBuffer page_buffer, ref_buffer;
  std::string_view page_host, ref_host;  // normalized; ref_host is empty without a referrer
  Facts f;
  std::string utm_source, utm_medium;               // decoded, lower-cased; utm_source canonical
  const std::vector<std::string>* extra = nullptr;  // lower-cased path and parameter values
};

Status SplitInputs(const ClassifyInput& input, Visit* v) {
  if (Status s = SplitUrl(input.url, &v->url); !s.ok()) return Prefixed("url", std::move(s));
  const std::string_view referrer = TrimAscii(input.referrer);
  // Most page views come from another page of the same site: no second split.
  v->same_origin = SameOrigin(referrer, v->url.origin);
  if (v->same_origin) {
    v->ref = v->url;
  } else if (!MeansNoReferrer(referrer)) {
    if (Status s = SplitUrl(referrer, &v->ref, UrlScope::kHostOnly); !s.ok()) {
      return Prefixed("referrer", std::move(s));
    }
  }
  v->page_host_raw = v->url.host;
  if (!input.page_host.empty()) {
    UrlParts page;
    if (Status s = SplitUrl(input.page_host, &page, UrlScope::kHostOnly); !s.ok()) {
      return Prefixed("page host", std::move(s));
    }
    if (page.host.empty()) {
      return Status::InvalidUrl(fmt::format("page host: no host in \"{}\"", input.page_host));
    }
    v->page_host_raw = page.host;
  }
  return Status::Ok();
}

// Query parameters: one pass over the query, then over a hash-routed one ("/#/x?utm_…"). Each
// name is looked up once; the first value that is not blank counts.
void ScanQueries(const classify::Tables& t, Visit* v) {
  std::string decoded_name;
  char lowered[kMaxParamNameBytes];
  for (const std::string_view q : {v->url.query, v->url.fragment_query}) {
    QueryIterator query(q);
    std::string_view name, value;
    while (query.Next(&name, &value)) {
      if (value.empty()) continue;
      std::string_view key;
      bool plain = name.size() <= kMaxParamNameBytes;
      for (size_t i = 0; plain && i < name.size(); ++i) plain = name[i] != '%' && name[i] != '+';
      if (plain) {
        for (size_t i = 0; i < name.size(); ++i) lowered[i] = AsciiLower(name[i]);
        key = std::string_view(lowered, name.size());
      } else {
        decoded_name.clear();
        PercentDecodeAppend(name, true, &decoded_name);
        if (decoded_name.size() > kMaxParamNameBytes) continue;  // no rule knows such a name
        AsciiLowerInPlace(&decoded_name);
        key = decoded_name;
      }
      while (key.substr(0, 4) == "amp;") key.remove_prefix(4);  // "&amp;" from HTML-escaped links
      const classify::ParamInfo* info = t.params.Find(key);
      if (info == nullptr || DecodesToBlank(value)) continue;
      if (info->slot >= 0 && v->f.raw[info->slot].size == 0) {
        v->f.raw[info->slot] = {value.data(), value.size()};
      }
      for (const HostHit& hit : info->presence) v->f.SetNamed(hit);
    }
  }
}

// Decodes the values the rules read: utm_source and utm_medium lower-cased (and utm_source
// canonical) for comparison; campaign, term and content as written, into `out`.
void DecodeValues(const classify::Tables& t, Visit* v, Classification* out) {
  Facts& f = v->f;
  size_t utm_bytes = 0;
  for (int slot = classify::kSlotUtmSource; slot <= classify::kSlotUtmContent; ++slot) {
    utm_bytes += f.raw[slot].size;
  }
  if (utm_bytes == 0) {  // most page views: nothing to decode
    out->campaign.clear();
    out->term.clear();
    out->content.clear();
  } else {
    DecodeValue(f.raw[classify::kSlotUtmSource].view(), &v->utm_source);
    AsciiLowerInPlace(&v->utm_source);
    if (!v->utm_source.empty()) t.Canonicalize(&v->utm_source);
    DecodeValue(f.raw[classify::kSlotUtmMedium].view(), &v->utm_medium);
    AsciiLowerInPlace(&v->utm_medium);
    DecodeValue(f.raw[classify::kSlotUtmCampaign].view(), &out->campaign);
    DecodeValue(f.raw[classify::kSlotUtmTerm].view(), &out->term);
    DecodeValue(f.raw[classify::kSlotUtmContent].view(), &out->content);
    MatchValue(t.slots[classify::kSlotUtmSource], v->utm_source, &f);
    MatchValue(t.slots[classify::kSlotUtmMedium], v->utm_medium, &f);
    std::string lower;
    std::string* const as_written[] = {&out->campaign, &out->term, &out->content};
    for (int i = 0; i < 3; ++i) {
      const auto& table = t.slots[classify::kSlotUtmCampaign + i];
      if (!table.needs_lower) {
        MatchValue(table, *as_written[i], &f);
      } else {
        lower = *as_written[i];
        AsciiLowerInPlace(&lower);
        MatchValue(table, lower, &f);
      }
    }
    if (!v->utm_source.empty() || !v->utm_medium.empty() || !out->campaign.empty() ||
        !out->term.empty() || !out->content.empty()) {
      f.SetAll(t.any_utm_conds);
    }
  }
  // The path and other parameters' values, only when some user rule reads them.
  thread_local std::vector<std::string> extra;
  if (t.reads_path_or_params) {
    if (extra.size() < t.num_slots) extra.resize(t.num_slots);
    for (size_t slot = classify::kSlotPath; slot < t.num_slots; ++slot) {
      const bool is_path = slot == classify::kSlotPath;
      DecodeValue(is_path ? v->url.path : f.raw[slot].view(), &extra[slot], !is_path);
      AsciiLowerInPlace(&extra[slot]);
      MatchValue(t.slots[slot], extra[slot], &f);
    }
    v->extra = &extra;
  }
}

// Normalizes the page's and the referrer's hosts and sets the conditions on them.
Status MatchHosts(const classify::Tables& t, const ClassifyInput& input, Visit* v) {
  const bool has_referrer = !v->ref.host.empty();
  bool page_valid = true, ref_valid = true;
  v->page_host = v->page_buffer.Normalize(v->page_host_raw, &page_valid);
  if (has_referrer) {
    v->ref_host = v->same_origin && v->page_host_raw.data() == v->url.host.data()
                      ? v->page_host
                      : v->ref_buffer.Normalize(v->ref.host, &ref_valid);
  }
  if (!page_valid || !ref_valid) {
    const bool page = !page_valid;
    return Status::InvalidUrl(
        fmt::format("{}: host \"{}\" is no host name once normalized (an empty label)",
                    page ? (input.page_host.empty() ? "url" : "page host") : "referrer",
                    page ? v->page_host_raw : v->ref.host));
  }
  Facts& f = v->f;
  const auto set_named = [&f](const HostHit& hit) { f.SetNamed(hit); };
  if (has_referrer) {
    f.SetAll(t.referrer_conds);
    if (!t.referrer_hosts.empty()) {
      Memo().Match(t.referrer_hosts, t.id * 2, v->ref_host, v->ref.is_app, set_named);
    }
  }
  if (!v->page_host.empty()) {
    f.SetAll(t.page_host_conds);
    if (!t.page_hosts.empty()) {
      Memo().Match(t.page_hosts, t.id * 2 + 1, v->page_host, false, set_named);
    }
  }
  if (!t.internal_conds.empty() && has_referrer && !v->ref.is_app &&
      classify::SameSite(v->ref_host, v->page_host)) {
    f.SetAll(t.internal_conds);
  }
  return Status::Ok();
}

// The first rule of the cascade whose conditions all hold.
const classify::CompiledRule* FirstRuleThatHolds(const classify::Tables& t, const Facts& f,
                                                 size_t words) {
  const uint64_t word0 = f.bits[0];
  bool any_query_bit = false;
  for (size_t w = 0; w < words; ++w) any_query_bit |= (f.bits[w] & t.query_bits[w]) != 0;
  for (size_t r = any_query_bit ? 0 : t.first_rule_without_query; r < t.first_words.size(); ++r) {
    const auto& first = t.first_words[r];
    if ((word0 & first.need) != first.need || (word0 & first.forbid) != 0) continue;
    bool holds = true;
    if (first.more) {
      for (const classify::RuleMask& m : t.rules[r].masks) {
        const uint64_t bits = f.bits[m.word];
        if ((bits & m.need) != m.need || (bits & m.forbid) != 0) {
          holds = false;
          break;
        }
      }
    }
    if (holds) return &t.rules[r];
  }
  return nullptr;
}

// Writes one of the fired rule's source or medium templates.
void Fill(const classify::Tables& t, const classify::CompiledRule& rule, const Visit& v,
          bool is_source, std::string* dst) {
  const TemplateKind kind = is_source ? rule.source_kind : rule.medium_kind;
  switch (kind) {
    case TemplateKind::kLiteral:
      dst->assign(is_source ? rule.source_text : rule.medium_text);
      return;
    case TemplateKind::kUtmSource:
      dst->assign(v.utm_source.empty() ? kUnknown : std::string_view(v.utm_source));
      return;
    case TemplateKind::kUtmMedium:
      dst->assign(v.utm_medium.empty() ? kUnknown : std::string_view(v.utm_medium));
      return;
    case TemplateKind::kMatch:
      dst->assign(t.names[v.f.names[rule.match_slot]]);
      return;
    case TemplateKind::kReferrerSlug:
      if (v.ref_host.empty()) {
        dst->assign(kUnknown);
      } else {
        dst->assign(v.ref.is_app ? std::string(v.ref_host) : classify::HostSlug(v.ref_host));
      }
      return;
    case TemplateKind::kParam: {
      const std::string_view value = (*v.extra)[is_source ? rule.source_slot : rule.medium_slot];
      dst->assign(value.empty() ? kUnknown : value);
      if (is_source && !value.empty()) t.Canonicalize(dst);
      return;
    }
  }
}

}  // namespace

Status Classifier::Impl::Classify(const ClassifyInput& input, Classification* out) const {
  const classify::Tables& t = tables;
  Visit v;
  ATTRIB_RETURN_IF_ERROR(SplitInputs(input, &v));
  const size_t words = (t.num_conditions + 63) / 64;
  std::fill_n(v.f.bits, words, 0);
  std::fill_n(v.f.raw, t.num_slots, Facts::Raw{nullptr, 0});
  ScanQueries(t, &v);
  DecodeValues(t, &v, out);
  ATTRIB_RETURN_IF_ERROR(MatchHosts(t, input, &v));

  const classify::CompiledRule* fired = FirstRuleThatHolds(t, v.f, words);
  if (fired == nullptr) return Status::Internal("no rule matched (the cascade lost its catch-all)");
  if (fired->fixed_output) {  // literal source and medium: batches repeat them, often no copy
    if (!SameBytes(out->source, fired->source_text)) out->source = fired->source_text;
    if (!SameBytes(out->medium, fired->medium_text)) out->medium = fired->medium_text;
  } else {
    Fill(t, *fired, v, /*is_source=*/true, &out->source);
    Fill(t, *fired, v, /*is_source=*/false, &out->medium);
  }
  out->confidence = fired->confidence;
  out->rule_id = fired->id;
  out->campaign_signal = fired->campaign_signal;
  out->rules_version = rules_version;
  if (fired->has_channel) {
    out->channel = fired->channel;
  } else {
    const uint64_t source_medium = fired->fixed_output ? fired->channel_rows
                                                       : t.channel_columns[0].Rows(out->source) &
                                                             t.channel_columns[1].Rows(out->medium);
    const uint64_t by_utm_medium =
        v.utm_medium.empty() ? t.rows_without_utm_medium : t.channel_columns[2].Rows(v.utm_medium);
    out->channel = t.ChannelOf(source_medium & by_utm_medium);
  }
  return Status::Ok();
}

namespace classify {

void Tables::Canonicalize(std::string* source) const {
  if (const uint16_t* id = source_aliases.Find(*source)) {
    source->assign(names[*id]);
    return;
  }
  if (source->find('.') == std::string::npos) return;
  UrlParts parts;
  if (!SplitUrl(*source, &parts, UrlScope::kHostOnly).ok() || parts.host.empty()) return;
  HostBuffer buffer;
  bool valid;
  const std::string_view host = buffer.Normalize(parts.host, &valid);
  if (!valid) return;
  uint16_t name = kNoName;
  source_hosts.Match(host, parts.is_app, [&name](const HostHit& hit) {
    if (name == kNoName) name = hit.name;
  });
  if (name != kNoName) source->assign(names[name]);
}

}  // namespace classify

// --- The public face ---

std::string_view ToString(Confidence c) {
  switch (c) {
    case Confidence::kHigh:
      return "high";
    case Confidence::kMedium:
      return "medium";
    case Confidence::kLow:
      return "low";
  }
  return "low";
}

std::optional<Confidence> ParseConfidence(std::string_view s) {
  for (Confidence c : {Confidence::kLow, Confidence::kMedium, Confidence::kHigh}) {
    if (s == ToString(c)) return c;
  }
  return std::nullopt;
}

std::string_view ToString(Channel c) {
  switch (c) {
#define ATTRIB_X(name, text) \
  case Channel::name:        \
    return text;
    ATTRIB_CHANNELS(ATTRIB_X)
#undef ATTRIB_X
  }
  return "referral";
}

std::optional<Channel> ParseChannel(std::string_view s) {
#define ATTRIB_X(name, text) \
  if (s == text) return Channel::name;
  ATTRIB_CHANNELS(ATTRIB_X)
#undef ATTRIB_X
  return std::nullopt;
}

Classifier::Classifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Classifier::Classifier(Classifier&&) noexcept = default;
Classifier& Classifier::operator=(Classifier&&) noexcept = default;
Classifier::~Classifier() = default;

Result<Classifier> Classifier::Create(const ClassifierOptions& options) {
  auto impl = std::make_unique<Impl>();
  ATTRIB_RETURN_IF_ERROR(impl->Load(options));
  return Classifier(std::move(impl));
}

Status Classifier::Classify(const ClassifyInput& input, Classification* out) const {
  return impl_->Classify(input, out);
}

Result<Classification> Classifier::Classify(const ClassifyInput& input) const {
  Classification c;
  ATTRIB_RETURN_IF_ERROR(impl_->Classify(input, &c));
  return c;
}

std::string_view Classifier::rules_version() const { return impl_->rules_version; }
const std::vector<RuleInfo>& Classifier::rules() const { return impl_->rule_infos; }
std::string Classifier::RulesMarkdown() const { return impl_->RulesMarkdown(); }

}  // namespace attrib
