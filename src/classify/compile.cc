// Load(): parse the built-in data and the user's rules, check every reference, and build the
// lookup tables Classify() reads.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "classify/builtin_data.h"
#include "classify/classifier_impl.h"
#include "common/strings.h"

namespace attrib {

using namespace classify;  // NOLINT(google-build-using-namespace): this file builds its tables

namespace {

constexpr std::string_view kBuiltinOrigin = "builtin";

// Fields only query parameters can make true.
bool FromQuery(Field f) {
  return f == Field::kUtmSource || f == Field::kUtmMedium || f == Field::kUtmCampaign ||
         f == Field::kUtmTerm || f == Field::kUtmContent || f == Field::kParam ||
         f == Field::kAnyParam || f == Field::kUtm;
}

// "file:line" of a rule, for messages.
std::string Where(const RuleDef& def) {
  return fmt::format(
      "{}:{}", def.origin == kBuiltinOrigin ? "data/classifier/rules.tsv" : def.origin, def.line);
}

// Builds the tables from the parsed data; one instance per Load().
class Compiler {
 public:
  Compiler(const std::vector<ListDef>& lists, Tables* t) : lists_(lists), t_(t) {}

  Status CompileRule(const RuleDef& def, CompiledRule* out);
  Status CompileChannels(const std::vector<ChannelRow>& rows);
  Status CompileSourceNames();

 private:
  Status Error(const RuleDef& def, std::string_view problem) const {
    return Status::InvalidRules(fmt::format("{}: rule '{}': {}", Where(def), def.id, problem));
  }
  const ListDef* FindList(std::string_view name) const {
    for (const ListDef& l : lists_) {
      if (l.name == name) return &l;
    }
    return nullptr;
  }
  uint16_t Intern(const std::string& name) {
    auto [it, inserted] = name_ids_.try_emplace(name, static_cast<uint16_t>(t_->names.size()));
    if (inserted) t_->names.push_back(name);
    return it->second;
  }
  Status ParamSlot(const std::string& name, int* slot);
  Status AddCondition(const RuleDef& def, const Condition& c, uint16_t* id, bool* names);
  Status AddValueCondition(const RuleDef& def, const Condition& c, uint16_t id, ValueTable* table);
  void MarkQueryBit(uint16_t id) {
    if (t_->query_bits.size() <= id / 64u) t_->query_bits.resize(id / 64u + 1);
    t_->query_bits[id / 64] |= uint64_t{1} << (id % 64);
  }

  const std::vector<ListDef>& lists_;
  Tables* t_;
  std::map<std::string, uint16_t, std::less<>> name_ids_;
  std::map<std::string, uint16_t, std::less<>> condition_ids_;  // canonical text without '!'
  std::map<uint16_t, uint16_t> name_slots_;  // naming condition → its slot for $match
  Status NameSlot(const RuleDef& def, uint16_t cond, uint16_t* slot);
};

Status Compiler::NameSlot(const RuleDef& def, uint16_t cond, uint16_t* slot) {
  if (name_slots_.size() >= kMaxNamedConditions) {
    return Error(def, fmt::format("more than {} conditions on named lists", kMaxNamedConditions));
  }
  *slot = static_cast<uint16_t>(name_slots_.size());
  name_slots_.emplace(cond, *slot);
  return Status::Ok();
}

Status Compiler::ParamSlot(const std::string& name, int* slot) {
  ParamInfo& info = t_->params[name];
  if (info.slot < 0) {
    if (t_->num_slots >= kMaxValueSlots) {
      return Status::LimitExceeded(fmt::format("rules read more than {} distinct query parameters",
                                               kMaxValueSlots - kFirstParamSlot));
    }
    info.slot = static_cast<int>(t_->num_slots++);
    t_->slots.resize(t_->num_slots);
  }
  *slot = info.slot;
  return Status::Ok();
}

Status Compiler::AddValueCondition(const RuleDef& def, const Condition& c, uint16_t id,
                                   ValueTable* table) {
  switch (c.op) {
    case Op::kPresent:
      table->present.push_back(id);
      return Status::Ok();
    case Op::kEquals:
      for (std::string v : c.values) {
        // utm_source is compared in its canonical form: "fb" and "facebook.com" mean facebook.
        if (c.field == Field::kUtmSource) t_->Canonicalize(&v);
        table->equals[v].push_back(id);
      }
      break;
    case Op::kPrefix:
    case Op::kContains:
      table->scans.push_back({id, c.op, c.values});
      break;
    case Op::kInList: {
      const ListDef* list = FindList(c.list);
      if (list == nullptr) return Error(def, fmt::format("unknown list '{}'", c.list));
      if (list->kind == ListKind::kParams) {
        return Error(def, fmt::format("'{}' is a params list; values are compared with values or "
                                      "hosts lists",
                                      c.list));
      }
      // A values list gives its entries; a hosts list the names it maps hosts to.
      std::set<std::string> values;
      for (const ListEntry& e : list->entries) {
        values.insert(list->kind == ListKind::kValues ? e.key : e.name);
      }
      for (const std::string& v : values) table->equals[v].push_back(id);
      break;
    }
  }
  table->needs_lower = true;
  return Status::Ok();
}

Status Compiler::AddCondition(const RuleDef& def, const Condition& c, uint16_t* id, bool* names) {
  const std::string key = c.negated ? c.text.substr(1) : c.text;
  if (auto it = condition_ids_.find(key); it != condition_ids_.end()) {
    *id = it->second;
    *names = name_slots_.count(*id) > 0;
    return Status::Ok();
  }
  if (t_->num_conditions >= kMaxConditions) {
    return Error(def, fmt::format("more than {} distinct conditions in all rules", kMaxConditions));
  }
  *id = static_cast<uint16_t>(t_->num_conditions++);
  condition_ids_.emplace(key, *id);
  *names = false;
  if (FromQuery(c.field)) MarkQueryBit(*id);
  switch (c.field) {
    case Field::kUtmSource:
    case Field::kUtmMedium:
    case Field::kUtmCampaign:
    case Field::kUtmTerm:
    case Field::kUtmContent:
    case Field::kPath: {
      const int slot = static_cast<int>(c.field) - static_cast<int>(Field::kUtmSource);
      static_assert(static_cast<int>(Field::kPath) - static_cast<int>(Field::kUtmSource) ==
                    kSlotPath);
      return AddValueCondition(def, c, *id, &t_->slots[slot]);
    }
    case Field::kParam:
      for (const std::string& name : c.params) {
        if (c.op == Op::kPresent) {
          t_->params[name].presence.push_back({*id, kNoName, kNoSlot, false});
        } else {
          int slot;
          Status s = ParamSlot(name, &slot);
          if (!s.ok()) return Error(def, s.message());
          ATTRIB_RETURN_IF_ERROR(AddValueCondition(def, c, *id, &t_->slots[slot]));
        }
      }
      return Status::Ok();
    case Field::kAnyParam: {
      const ListDef* list = FindList(c.list);
      if (list == nullptr) return Error(def, fmt::format("unknown list '{}'", c.list));
      if (list->kind != ListKind::kParams) {
        return Error(def, fmt::format("param@ takes a params list; '{}' is a {} list", c.list,
                                      ToString(list->kind)));
      }
      uint16_t slot;
      ATTRIB_RETURN_IF_ERROR(NameSlot(def, *id, &slot));
      for (const ListEntry& e : list->entries) {
        t_->params[e.key].presence.push_back({*id, Intern(e.name), slot, false});
      }
      *names = true;
      return Status::Ok();
    }
    case Field::kUtm:
      t_->any_utm_conds.push_back(*id);
      return Status::Ok();
    case Field::kReferrer:
      t_->referrer_conds.push_back(*id);
      return Status::Ok();
    case Field::kInternalReferrer:
      t_->internal_conds.push_back(*id);
      return Status::Ok();
    case Field::kReferrerHost:
    case Field::kPageHost: {
      const bool referrer = c.field == Field::kReferrerHost;
      HostTable& table = referrer ? t_->referrer_hosts : t_->page_hosts;
      if (c.op == Op::kPresent) {
        (referrer ? t_->referrer_conds : t_->page_host_conds).push_back(*id);
        return Status::Ok();
      }
      HostPattern pattern;
      if (c.op == Op::kEquals) {
        for (const std::string& v : c.values) {
          ATTRIB_RETURN_IF_ERROR(ParseHostPattern(v, &pattern));
          table.Add(pattern, *id, kNoName, kNoSlot);
        }
        return Status::Ok();
      }
      const ListDef* list = FindList(c.list);
      if (list == nullptr) return Error(def, fmt::format("unknown list '{}'", c.list));
      if (list->kind != ListKind::kHosts) {
        return Error(def, fmt::format("a host is compared with a hosts list; '{}' is a {} list",
                                      c.list, ToString(list->kind)));
      }
      uint16_t slot;
      ATTRIB_RETURN_IF_ERROR(NameSlot(def, *id, &slot));
      for (const ListEntry& e : list->entries) {
        ATTRIB_RETURN_IF_ERROR(ParseHostPattern(e.key, &pattern));
        table.Add(pattern, *id, Intern(e.name), slot);
      }
      *names = true;
      return Status::Ok();
    }
    case Field::kAlways:
      break;
  }
  return Error(def, "internal: unexpected field");
}

Status Compiler::CompileRule(const RuleDef& def, CompiledRule* out) {
  out->id = def.id;
  out->confidence = def.confidence;
  out->has_channel = def.channel.has_value();
  if (def.channel) out->channel = *def.channel;
  for (const Condition& c : def.when) {
    uint16_t id;
    bool names;
    ATTRIB_RETURN_IF_ERROR(AddCondition(def, c, &id, &names));
    const uint16_t word = id / 64;
    auto mask = std::find_if(out->masks.begin(), out->masks.end(),
                             [word](const RuleMask& m) { return m.word == word; });
    if (mask == out->masks.end()) mask = out->masks.insert(out->masks.end(), {word, 0, 0});
    (c.negated ? mask->forbid : mask->need) |= uint64_t{1} << (id % 64);
    if (names && !c.negated && out->match_cond == kNoName) {
      out->match_cond = id;
      out->match_slot = name_slots_.at(id);
    }
  }
  const auto compile_template = [&](const Template& tpl, TemplateKind* kind, std::string* text,
                                    uint8_t* slot) -> Status {
    *kind = tpl.kind;
    *text = tpl.text;
    if (tpl.kind == TemplateKind::kMatch && out->match_cond == kNoName) {
      return Error(def,
                   "$match needs a condition on a named list (referrer_host@LIST, "
                   "page_host@LIST or param@LIST) that is not negated");
    }
    if (tpl.kind == TemplateKind::kParam) {
      int s;
      Status st = ParamSlot(tpl.text, &s);
      if (!st.ok()) return Error(def, st.message());
      *slot = static_cast<uint8_t>(s);
    }
    return Status::Ok();
  };
  ATTRIB_RETURN_IF_ERROR(
      compile_template(def.source, &out->source_kind, &out->source_text, &out->source_slot));
  ATTRIB_RETURN_IF_ERROR(
      compile_template(def.medium, &out->medium_kind, &out->medium_text, &out->medium_slot));
  out->fixed_output =
      out->source_kind == TemplateKind::kLiteral && out->medium_kind == TemplateKind::kLiteral;
  if (out->fixed_output) {
    out->channel_rows = t_->channel_columns[0].Rows(out->source_text) &
                        t_->channel_columns[1].Rows(out->medium_text);
  }
  return Status::Ok();
}

Status Compiler::CompileChannels(const std::vector<ChannelRow>& rows) {
  if (rows.size() > kMaxChannelRows) {
    return Status::InvalidRules(fmt::format("channels.tsv: more than {} rows", kMaxChannelRows));
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const uint64_t bit = uint64_t{1} << i;
    const ChannelMatch* matches[] = {&rows[i].source, &rows[i].medium, &rows[i].utm_medium};
    for (int col = 0; col < 3; ++col) {
      ChannelColumn& column = t_->channel_columns[col];
      if (matches[col]->any) {
        column.any_rows |= bit;
        continue;
      }
      for (const std::string& v : matches[col]->values) column.rows_with_value[v] |= bit;
      for (const std::string& name : matches[col]->lists) {
        const ListDef* list = FindList(name);
        if (list == nullptr) {
          return Status::InvalidRules(
              fmt::format("channels.tsv:{}: unknown list '@{}'", rows[i].line, name));
        }
        for (const ListEntry& e : list->entries) {
          column.rows_with_value[list->kind == ListKind::kValues ? e.key : e.name] |= bit;
        }
      }
    }
    t_->channel_of_row.push_back(rows[i].channel);
  }
  t_->rows_without_utm_medium = t_->channel_columns[2].Rows("");
  return Status::Ok();
}

// utm_source aliases, and every host list as a way to name a utm_source written as a host.
Status Compiler::CompileSourceNames() {
  if (const ListDef* aliases = FindList("source_aliases")) {
    for (const ListEntry& e : aliases->entries) t_->source_aliases[e.key] = Intern(e.name);
  }
  for (const ListDef& list : lists_) {
    if (list.kind != ListKind::kHosts) continue;
    for (const ListEntry& e : list.entries) {
      HostPattern pattern;
      ATTRIB_RETURN_IF_ERROR(ParseHostPattern(e.key, &pattern));
      t_->source_hosts.Add(pattern, 0, Intern(e.name), kNoSlot);
    }
  }
  return Status::Ok();
}

// Reads one built-in file into the data it holds, by its path.
Status LoadBuiltinFile(const EmbeddedFile& file, std::vector<RuleDef>* rules,
                       std::vector<ChannelRow>* channels, std::vector<ListDef>* lists) {
  const std::string origin = "data/classifier/" + std::string(file.path);
  if (file.path == "rules.tsv") {
    ATTRIB_RETURN_IF_ERROR(ParseRules(origin, file.text, rules));
    for (RuleDef& r : *rules) r.origin = std::string(kBuiltinOrigin);
    return Status::Ok();
  }
  if (file.path == "channels.tsv") return ParseChannels(origin, file.text, channels);
  const size_t slash = file.path.find('/');
  const std::string_view dir = file.path.substr(0, slash);
  std::string_view stem = file.path.substr(slash + 1);
  stem = stem.substr(0, stem.rfind('.'));
  ListDef list;
  list.name = std::string(stem);
  if (dir == "hosts") {
    list.kind = ListKind::kHosts;
  } else if (dir == "values") {
    list.kind = ListKind::kValues;
  } else if (dir == "params") {
    list.kind = ListKind::kParams;
  } else {
    return Status::InvalidRules(fmt::format("{}: not a rules, channels or list file", origin));
  }
  for (const ListDef& other : *lists) {
    if (other.name == list.name) {
      return Status::InvalidRules(
          fmt::format("{}: a list named '{}' exists already", origin, list.name));
    }
  }
  ATTRIB_RETURN_IF_ERROR(ParseList(origin, file.text, &list));
  lists->push_back(std::move(list));
  return Status::Ok();
}

void HashPart(XXH3_state_t* state, std::string_view s) {
  const uint64_t size = s.size();
  XXH3_64bits_update(state, &size, sizeof size);
  XXH3_64bits_update(state, s.data(), s.size());
}

}  // namespace

Status Classifier::Impl::Load(const ClassifierOptions& options) {
  static std::atomic<uint64_t> next_id{1};
  tables.id = next_id.fetch_add(1);
  XXH3_state_t state;
  XXH3_64bits_reset(&state);

  std::vector<RuleDef> builtin_rules;
  for (const EmbeddedFile& file : BuiltinFiles()) {
    ATTRIB_RETURN_IF_ERROR(LoadBuiltinFile(file, &builtin_rules, &channel_rows, &lists));
    HashPart(&state, file.path);
    HashPart(&state, file.text);
  }
  if (builtin_rules.empty() || !builtin_rules.back().when.empty()) {
    return Status::Internal("the built-in cascade must end with a catch-all ('*') rule");
  }

  for (const RulesText& extra : options.extra_rules) {
    ATTRIB_RETURN_IF_ERROR(ParseRules(extra.name, extra.text, &rule_defs));
    if (rule_defs.size() > kMaxExtraRules) {
      return Status::LimitExceeded(
          fmt::format("{}: more than {} extra rules in all", extra.name, kMaxExtraRules));
    }
    HashPart(&state, extra.name);
    HashPart(&state, extra.text);
  }
  rule_defs.insert(rule_defs.end(), builtin_rules.begin(), builtin_rules.end());
  rules_version = fmt::format("{:016x}", XXH3_64bits_digest(&state));

  // Built-in ids first, so a clash is reported at the user's line.
  std::map<std::string, const RuleDef*, std::less<>> ids;
  const size_t extra = rule_defs.size() - builtin_rules.size();
  for (size_t k = 0; k < rule_defs.size(); ++k) {
    const RuleDef& def = rule_defs[(k + extra) % rule_defs.size()];
    auto [it, inserted] = ids.emplace(def.id, &def);
    if (!inserted) {
      return Status::InvalidRules(
          fmt::format("{}: rule id '{}' is already used (by the rule at {})", Where(def), def.id,
                      Where(*it->second)));
    }
  }

  tables.slots.resize(kFirstParamSlot);
  static constexpr std::string_view kUtmParams[] = {"utm_source", "utm_medium", "utm_campaign",
                                                    "utm_term", "utm_content"};
  for (size_t i = 0; i < std::size(kUtmParams); ++i) {
    tables.params[kUtmParams[i]].slot = static_cast<int>(kSlotUtmSource + i);
  }
  Compiler compiler(lists, &tables);
  ATTRIB_RETURN_IF_ERROR(compiler.CompileSourceNames());
  ATTRIB_RETURN_IF_ERROR(compiler.CompileChannels(channel_rows));
  for (const RuleDef& def : rule_defs) {
    CompiledRule rule;
    ATTRIB_RETURN_IF_ERROR(compiler.CompileRule(def, &rule));
    for (const Condition& c : def.when) {
      rule.campaign_signal |=
          !c.negated &&
          ((c.field >= Field::kUtmSource && c.field <= Field::kUtmContent) ||
           c.field == Field::kParam || c.field == Field::kAnyParam || c.field == Field::kUtm);
    }
    Tables::FirstWord first{0, 0, false};
    for (const RuleMask& m : rule.masks) {
      if (m.word == 0) {
        first.need = m.need;
        first.forbid = m.forbid;
      } else {
        first.more = true;
      }
    }
    tables.first_words.push_back(first);
    tables.rules.push_back(std::move(rule));
    rule_infos.push_back(RuleInfo{def.id, def.when_text, def.source.written, def.medium.written,
                                  def.confidence, def.channel, tables.rules.back().campaign_signal,
                                  def.note, def.origin});
  }
  tables.query_bits.resize((tables.num_conditions + 63) / 64);
  tables.first_rule_without_query = tables.rules.size();
  for (size_t r = 0; r < tables.rules.size(); ++r) {
    bool needs_query = false;
    for (const RuleMask& m : tables.rules[r].masks)
      needs_query |= (m.need & tables.query_bits[m.word]) != 0;
    if (!needs_query) {
      tables.first_rule_without_query = r;
      break;
    }
  }
  const ValueTable& path = tables.slots[kSlotPath];
  tables.reads_path_or_params = tables.num_slots > kFirstParamSlot || !path.present.empty() ||
                                !path.equals.empty() || !path.scans.empty();
  return Status::Ok();
}

}  // namespace attrib
