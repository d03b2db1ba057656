#include "classify/rule_data.h"

#include <fmt/format.h>

#include <set>

#include "classify/hosts.h"
#include "common/strings.h"

namespace attrib::classify {
namespace {

struct FieldSpec {
  std::string_view name;
  Field field;
  bool values;  // takes =, ^=, *= and @values-list
  bool hosts;   // takes = host patterns and @hosts-list
};

constexpr FieldSpec kFields[] = {
    {"utm_source", Field::kUtmSource, true, false},
    {"utm_medium", Field::kUtmMedium, true, false},
    {"utm_campaign", Field::kUtmCampaign, true, false},
    {"utm_term", Field::kUtmTerm, true, false},
    {"utm_content", Field::kUtmContent, true, false},
    {"path", Field::kPath, true, false},
    {"param", Field::kParam, true, false},
    {"utm", Field::kUtm, false, false},
    {"referrer", Field::kReferrer, false, false},
    {"referrer_host", Field::kReferrerHost, false, true},
    {"page_host", Field::kPageHost, false, true},
    {"internal_referrer", Field::kInternalReferrer, false, false},
};

constexpr std::string_view kFieldList =
    "utm_source, utm_medium, utm_campaign, utm_term, utm_content, utm, path, param:NAME, "
    "param@LIST, "
    "referrer, referrer_host, page_host, internal_referrer";

// A line of a data file: its number and its tab-separated, trimmed columns.
struct Line {
  int number;
  std::vector<std::string_view> columns;
};

std::string At(std::string_view origin, int line, std::string_view problem) {
  return fmt::format("{}:{}: {}", origin, line, problem);
}

// Splits a data file into its content lines, skipping blanks and '#' comments. Refuses files
// over the size limit, with control characters other than tab, or that are not UTF-8.
Status ReadLines(std::string_view origin, std::string_view text, std::vector<Line>* out) {
  if (text.size() > kMaxRulesFileBytes) {
    return Status::LimitExceeded(fmt::format("{}: file is {} bytes, over the {}-byte limit", origin,
                                             text.size(), kMaxRulesFileBytes));
  }
  int number = 0;
  for (std::string_view raw : Split(text, '\n')) {
    ++number;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    for (char c : raw) {
      const auto b = static_cast<unsigned char>(c);
      if ((b < 0x20 && c != '\t') || b == 0x7F) {
        return Status::InvalidRules(
            At(origin, number, fmt::format("control character 0x{:02X}", b)));
      }
    }
    if (!IsValidUtf8(raw)) return Status::InvalidRules(At(origin, number, "not valid UTF-8"));
    const std::string_view trimmed = TrimAscii(raw);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    Line line{number, {}};
    for (std::string_view column : Split(raw, '\t')) line.columns.push_back(TrimAscii(column));
    out->push_back(std::move(line));
  }
  return Status::Ok();
}

bool IsNameChar(char c) {
  return IsAsciiAlpha(c) || IsAsciiDigit(c) || c == '_' || c == '.' || c == '-';
}

// Validates a name-like token (parameter name, list name, literal source) and lower-cases it.
Status Token(std::string_view what, std::string_view text, std::string* out) {
  if (text.empty()) return Status::InvalidRules(fmt::format("empty {}", what));
  if (text.size() > kMaxTokenBytes) {
    return Status::InvalidRules(fmt::format("{} is longer than {} bytes", what, kMaxTokenBytes));
  }
  for (char c : text) {
    if (!IsNameChar(c)) {
      return Status::InvalidRules(
          fmt::format("invalid character '{}' in {} \"{}\" (use letters, "
                      "digits, '_', '.' and '-')",
                      c, what, text));
    }
  }
  *out = AsciiLowerCopy(text);
  return Status::Ok();
}

// A parameter named in a rule. The utm_ parameters have fields of their own.
Status ParamName(std::string_view text, std::string* out) {
  ATTRIB_RETURN_IF_ERROR(Token("parameter name", text, out));
  if (out->size() > kMaxParamNameBytes) {
    return Status::InvalidRules(
        fmt::format("parameter name is longer than {} bytes", kMaxParamNameBytes));
  }
  if (*out == "utm_source" || *out == "utm_medium" || *out == "utm_campaign" ||
      *out == "utm_term" || *out == "utm_content") {
    return Status::InvalidRules(fmt::format(
        "use the {} field rather than param:{} (the five utm_ parameters have fields of their own)",
        *out, *out));
  }
  return Status::Ok();
}

Status Alternatives(std::string_view text, bool hosts, std::vector<std::string>* out) {
  for (std::string_view part : Split(text, '|')) {
    part = TrimAscii(part);
    if (part.empty()) return Status::InvalidRules("empty alternative (a stray '|'?)");
    if (part.size() > kMaxTokenBytes) {
      return Status::InvalidRules(fmt::format("value is longer than {} bytes", kMaxTokenBytes));
    }
    if (hosts) {
      HostPattern pattern;
      ATTRIB_RETURN_IF_ERROR(ParseHostPattern(part, &pattern));
    }
    out->push_back(AsciiLowerCopy(part));
  }
  return Status::Ok();
}

Status ParseCondition(std::string_view text, Condition* c) {
  std::string_view t = TrimAscii(text);
  if (t.empty()) return Status::InvalidRules("empty condition (a stray '&'?)");
  if (t == "*" || t == "!*") return Status::InvalidRules("'*' stands alone: it matches everything");
  if (t.front() == '!') {
    c->negated = true;
    t = TrimAscii(t.substr(1));
  }
  size_t i = 0;
  while (i < t.size() && (IsAsciiAlpha(t[i]) || t[i] == '_')) ++i;
  const std::string_view ident = t.substr(0, i);
  const FieldSpec* spec = nullptr;
  for (const FieldSpec& f : kFields) {
    if (f.name == ident) spec = &f;
  }
  if (spec == nullptr) {
    return Status::InvalidRules(fmt::format("unknown field '{}' (fields: {})", ident, kFieldList));
  }
  c->field = spec->field;
  std::string_view rest = t.substr(i);
  if (c->field == Field::kParam) {
    if (!rest.empty() && rest.front() == ':') {
      const size_t op_at = rest.find_first_of("=@^*");
      for (std::string_view name :
           Split(rest.substr(1, op_at == std::string_view::npos ? op_at : op_at - 1), '|')) {
        std::string lowered;
        ATTRIB_RETURN_IF_ERROR(ParamName(TrimAscii(name), &lowered));
        c->params.push_back(std::move(lowered));
      }
      rest = op_at == std::string_view::npos ? std::string_view() : rest.substr(op_at);
    } else if (!rest.empty() && rest.front() == '@') {
      c->field = Field::kAnyParam;
    } else {
      return Status::InvalidRules(
          "'param' needs ':NAME' (param:gclid) or '@LIST' (param@click_ids)");
    }
  }
  rest = TrimAscii(rest);
  std::string_view op_text;
  if (rest.empty()) {
    c->op = Op::kPresent;
  } else if (rest.front() == '@') {
    c->op = Op::kInList;
    op_text = "@";
  } else if (rest.front() == '=') {
    c->op = Op::kEquals;
    op_text = "=";
  } else if (rest.substr(0, 2) == "^=") {
    c->op = Op::kPrefix;
    op_text = "^=";
  } else if (rest.substr(0, 2) == "*=") {
    c->op = Op::kContains;
    op_text = "*=";
  } else {
    return Status::InvalidRules(
        fmt::format("expected =, ^=, *= or @ after '{}', found \"{}\"", ident, rest));
  }
  const std::string_view operand = TrimAscii(rest.substr(op_text.size()));
  const bool any_param = c->field == Field::kAnyParam;
  if (c->op == Op::kPresent) {
    // presence is meaningful for every field
  } else if (c->op == Op::kInList) {
    if (!spec->values && !spec->hosts && !any_param) {
      return Status::InvalidRules(fmt::format("'{}' takes no operator", ident));
    }
    ATTRIB_RETURN_IF_ERROR(Token("list name", operand, &c->list));
  } else {
    if (any_param || !(spec->values || (spec->hosts && c->op == Op::kEquals))) {
      return Status::InvalidRules(fmt::format("'{}' does not take {}", ident, op_text));
    }
    ATTRIB_RETURN_IF_ERROR(Alternatives(operand, spec->hosts, &c->values));
  }
  // Canonical text: identical conditions share one evaluation.
  c->text.assign(c->negated ? 1 : 0, '!');
  c->text += ident;
  if (!c->params.empty()) {
    c->text += ':';
    for (size_t k = 0; k < c->params.size(); ++k) c->text += (k ? "|" : "") + c->params[k];
  }
  c->text += op_text;
  if (c->op == Op::kInList) c->text += c->list;
  for (size_t k = 0; k < c->values.size(); ++k) c->text += (k ? "|" : "") + c->values[k];
  return Status::Ok();
}

Status ParseWhen(std::string_view text, std::vector<Condition>* out) {
  if (TrimAscii(text) == "*") return Status::Ok();
  const std::vector<std::string_view> parts = Split(text, '&');
  if (parts.size() > kMaxConditionsPerRule) {
    return Status::LimitExceeded(fmt::format("{} conditions, over the limit of {} per rule",
                                             parts.size(), kMaxConditionsPerRule));
  }
  for (std::string_view part : parts) {
    Condition c;
    ATTRIB_RETURN_IF_ERROR(ParseCondition(part, &c));
    out->push_back(std::move(c));
  }
  return Status::Ok();
}

Status ParseTemplate(std::string_view what, std::string_view text, Template* out) {
  out->written = std::string(text);
  if (text.empty() || text.front() != '$') {
    out->kind = TemplateKind::kLiteral;
    return Token(what, text, &out->text);
  }
  if (text == "$utm_source") {
    out->kind = TemplateKind::kUtmSource;
  } else if (text == "$utm_medium") {
    out->kind = TemplateKind::kUtmMedium;
  } else if (text == "$match") {
    out->kind = TemplateKind::kMatch;
  } else if (text == "$referrer_slug") {
    out->kind = TemplateKind::kReferrerSlug;
  } else if (text.substr(0, 7) == "$param:") {
    out->kind = TemplateKind::kParam;
    return ParamName(text.substr(7), &out->text);
  } else {
    return Status::InvalidRules(fmt::format(
        "unknown {} \"{}\" (use a value, $utm_source, $utm_medium, $match, $referrer_slug or "
        "$param:NAME)",
        what, text));
  }
  return Status::Ok();
}

Status ParseChannelMatch(std::string_view text, ChannelMatch* out) {
  out->text = std::string(text);
  if (text == "*") return Status::Ok();
  out->any = false;
  for (std::string_view part : Split(text, '|')) {
    part = TrimAscii(part);
    if (part.empty()) return Status::InvalidRules("empty alternative (a stray '|'?)");
    if (part.front() == '@') {
      std::string name;
      ATTRIB_RETURN_IF_ERROR(Token("list name", part.substr(1), &name));
      out->lists.push_back(std::move(name));
    } else {
      out->values.push_back(AsciiLowerCopy(part));
    }
  }
  return Status::Ok();
}

Status WithLine(std::string_view origin, int line, Status s) {
  if (s.ok()) return s;
  return Status(s.code(), At(origin, line, s.message()));
}

}  // namespace

std::string_view ToString(ListKind kind) {
  switch (kind) {
    case ListKind::kHosts:
      return "hosts";
    case ListKind::kValues:
      return "values";
    case ListKind::kParams:
      return "params";
  }
  return "values";
}

std::string LeadingComment(std::string_view text) {
  std::string out;
  for (std::string_view line : Split(text, '\n')) {
    line = TrimAscii(line);
    if (line.empty() || line.front() != '#' || TrimAscii(line.substr(1)).empty()) break;
    if (!out.empty()) out += ' ';
    out += TrimAscii(line.substr(1));
  }
  return out;
}

Status ParseRules(std::string_view origin, std::string_view text, std::vector<RuleDef>* out) {
  std::vector<Line> lines;
  ATTRIB_RETURN_IF_ERROR(ReadLines(origin, text, &lines));
  for (const Line& line : lines) {
    const auto& col = line.columns;
    if (col.size() < 5 || col.size() > 7) {
      return Status::InvalidRules(
          At(origin, line.number,
             fmt::format("expected 5 to 7 tab-separated columns (rule_id, when, source, medium, "
                         "confidence[, channel[, note]]), found {}",
                         col.size())));
    }
    RuleDef rule;
    rule.origin = std::string(origin);
    rule.line = line.number;
    Status s = Token("rule id", col[0], &rule.id);
    if (s.ok() && !IsAsciiAlpha(rule.id[0]))
      s = Status::InvalidRules("a rule id starts with a letter");
    if (s.ok()) {
      rule.when_text = std::string(col[1]);
      s = ParseWhen(col[1], &rule.when);
    }
    if (s.ok()) s = ParseTemplate("source", col[2], &rule.source);
    if (s.ok()) s = ParseTemplate("medium", col[3], &rule.medium);
    if (s.ok()) {
      const auto confidence = ParseConfidence(col[4]);
      if (!confidence) {
        s = Status::InvalidRules(
            fmt::format("confidence \"{}\" is not high, medium or low", col[4]));
      } else {
        rule.confidence = *confidence;
      }
    }
    if (s.ok() && col.size() >= 6 && col[5] != "-" && !col[5].empty()) {
      rule.channel = ParseChannel(col[5]);
      if (!rule.channel) s = Status::InvalidRules(fmt::format("unknown channel \"{}\"", col[5]));
    }
    if (col.size() >= 7) rule.note = std::string(col[6]);
    ATTRIB_RETURN_IF_ERROR(WithLine(origin, line.number, std::move(s)));
    out->push_back(std::move(rule));
  }
  return Status::Ok();
}

Status ParseList(std::string_view origin, std::string_view text, ListDef* out) {
  std::vector<Line> lines;
  ATTRIB_RETURN_IF_ERROR(ReadLines(origin, text, &lines));
  out->description = LeadingComment(text);
  std::set<std::string, std::less<>> seen;
  for (const Line& line : lines) {
    const auto& col = line.columns;
    const bool named = out->kind != ListKind::kValues;
    if (col.size() > 2 || (named && col.size() != 2)) {
      return Status::InvalidRules(
          At(origin, line.number,
             named ? "expected two tab-separated columns: entry and name"
                   : "expected one column (a value), or two (value and name)"));
    }
    ListEntry entry;
    Status s;
    if (out->kind == ListKind::kHosts) {
      HostPattern pattern;
      s = ParseHostPattern(col[0], &pattern);
      entry.key = AsciiLowerCopy(col[0]);
    } else if (out->kind == ListKind::kParams) {
      s = ParamName(col[0], &entry.key);
    } else if (col[0].size() > kMaxTokenBytes) {
      s = Status::InvalidRules(fmt::format("value is longer than {} bytes", kMaxTokenBytes));
    } else {
      entry.key = AsciiLowerCopy(col[0]);
    }
    if (s.ok() && col.size() == 2) s = Token("name", col[1], &entry.name);
    if (s.ok() && !seen.insert(entry.key).second) {
      s = Status::InvalidRules(fmt::format("\"{}\" is listed twice", entry.key));
    }
    ATTRIB_RETURN_IF_ERROR(WithLine(origin, line.number, std::move(s)));
    out->entries.push_back(std::move(entry));
  }
  return Status::Ok();
}

Status ParseChannels(std::string_view origin, std::string_view text, std::vector<ChannelRow>* out) {
  std::vector<Line> lines;
  ATTRIB_RETURN_IF_ERROR(ReadLines(origin, text, &lines));
  for (const Line& line : lines) {
    const auto& col = line.columns;
    if (col.size() != 4) {
      return Status::InvalidRules(
          At(origin, line.number,
             "expected 4 tab-separated columns: channel, source, medium, utm_medium"));
    }
    ChannelRow row;
    row.line = line.number;
    Status s;
    const auto channel = ParseChannel(col[0]);
    if (!channel) {
      s = Status::InvalidRules(fmt::format("unknown channel \"{}\"", col[0]));
    } else {
      row.channel = *channel;
    }
    if (s.ok()) s = ParseChannelMatch(col[1], &row.source);
    if (s.ok()) s = ParseChannelMatch(col[2], &row.medium);
    if (s.ok()) s = ParseChannelMatch(col[3], &row.utm_medium);
    ATTRIB_RETURN_IF_ERROR(WithLine(origin, line.number, std::move(s)));
    out->push_back(std::move(row));
  }
  return Status::Ok();
}

}  // namespace attrib::classify
