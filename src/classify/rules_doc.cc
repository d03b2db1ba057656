// docs/classifier-rules.md, generated from the loaded data so that the documentation cannot
// drift from the rules (a test compares the checked-in file with this output).
#include <fmt/format.h>

#include "classify/classifier_impl.h"

namespace attrib {
namespace {

// Text for a Markdown table cell: pipes escaped, as code when asked.
std::string Cell(std::string_view text, bool code = false) {
  std::string out;
  if (code && !text.empty()) out += '`';
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  if (code && !text.empty()) out += '`';
  return out;
}

constexpr std::string_view kIntro = R"(# Classifier rules

Every visit is classified from three inputs — the page URL, the referrer and the site's own host —
into `source`, `medium`, `campaign`, `term`, `content`, `confidence`, `rule_id`, `channel` and
`rules_version`. The rules below are evaluated top to bottom; the first rule whose conditions all
hold decides the source, medium and confidence, and its id is stored with the result so every
number can be traced back to the rule that produced it. The channel table then groups the result.

This file is generated from `data/classifier/` by `scripts/gen-docs` (which runs
`attrib rules --format markdown`); a test fails when it is stale. Do not edit it by hand.

How inputs are read:
- URLs are split leniently: mixed-case schemes and hosts, a missing scheme, ports, user info,
  spaces and raw UTF-8, fragments and hash routing (`/#/page?utm_source=x`) are all accepted.
  Control characters, invalid host characters and over-long URLs are errors that name the input.
- Query parameter names match case-insensitively (`GCLID`, `Utm_Source`); `&amp;` separators from
  HTML-escaped links are understood; the first non-empty value of a parameter counts.
- Values are percent-decoded (`+` is a space) and trimmed. `utm_source` and `utm_medium` are
  lower-cased, and `utm_source` is mapped to its canonical name (the `source_aliases` list, or the
  host lists when it is written as a host: `facebook.com` → `facebook`). `campaign`, `term` and
  `content` keep their case.
- Hosts are lower-cased and internationalized names are compared in Unicode (`xn--bcher-kva.de`
  and `BÜCHER.de` are the same host). A host matches a list entry exactly or on a dot boundary,
  never as a substring: `facebook.com` matches `m.facebook.com`, not `facebook.com.evil.io`.
- A referrer that is empty, `null`, `undefined`, `about:…` or has no host counts as no referrer.
  `android-app://PACKAGE` referrers are matched by package name.
- The site's host is the `page_host` input when given, else the URL's host. A referrer is internal
  when its host equals the site's host or both share a registrable domain (`blog.shop.com` and
  `www.shop.com`), per the Public Suffix List.
)";

constexpr std::string_view kSyntax = R"(## Writing rules

Rules of your own (`attrib classify --rules FILE`) use the format of `data/classifier/rules.tsv`
and run before the built-in cascade. One rule per line, tab-separated; `#` starts a comment line:

    rule_id <TAB> when <TAB> source <TAB> medium <TAB> confidence [<TAB> channel [<TAB> note]]

- `rule_id`: letters, digits and `_`, starting with a letter; unique across all rules.
- `when`: `*` (always), or conditions joined by `&`, each optionally negated with `!`.
- `source`, `medium`: a value, or `$utm_source`, `$utm_medium` (`unknown` when absent), `$match`
  (the name of the list entry matched by the rule's first named-list condition),
  `$referrer_slug` (the referrer's registrable domain without its public suffix:
  `news.ycombinator.com` → `ycombinator`) or `$param:NAME` (a query parameter's value).
- `confidence`: `high`, `medium` or `low`.
- `channel`: `-` to derive it from the channel table, or one of the channel names.

| condition | holds when |
|---|---|
| `FIELD` | the field has a non-empty value |
| `FIELD=a\|b` | the field equals one of the values (for hosts: matches one of the host patterns) |
| `FIELD^=a\|b` | the field starts with one of the values |
| `FIELD*=a\|b` | the field contains one of the values |
| `FIELD@LIST` | the field is in the list (a hosts list for hosts; a values list, or a hosts list's names, for values) |
| `param@LIST` | the URL has a parameter named in the params list |
| `internal_referrer` | the referrer is the site itself |

Fields: `utm_source`, `utm_medium`, `utm_campaign`, `utm_term`, `utm_content`, `utm` (any of
them; presence only), `path`, `param:NAME` (`param:a|b` for any of several), `referrer` (presence
only), `referrer_host`, `page_host`. Values are compared ignoring ASCII case. Host patterns:
`example.com` (that host and its subdomains), `=example.com` (that host only), `name.*` (under any
public suffix), `android-app://PACKAGE`.

Example — credit a partner's links and a podcast's vanity parameter:

    partner_referral	referrer_host=partner.example	partner	affiliate	high	-	our affiliate
    podcast	param:via=podcast	podcast	audio	medium	paid_other
)";

}  // namespace

std::string Classifier::Impl::RulesMarkdown() const {
  std::string md(kIntro);
  md += fmt::format("\nrules_version of this table: `{}`\n\n## The cascade\n\n", rules_version);
  md += "| # | rule_id | fires when | source | medium | confidence | channel | note |\n";
  md += "|---|---|---|---|---|---|---|---|\n";
  int n = 0;
  for (const RuleInfo& r : rule_infos) {
    md +=
        fmt::format("| {} | `{}` | {} | {} | {} | {} | {} | {} |\n", ++n, r.id, Cell(r.when, true),
                    Cell(r.source, true), Cell(r.medium, true), ToString(r.confidence),
                    r.channel ? ToString(*r.channel) : "(table)", Cell(r.note));
  }
  md +=
      "\n## Channels\n\nThe first row whose three conditions hold names the channel. `source` and "
      "`medium` are the classification's; `utm_medium` is the URL's own, lower-cased. `@list` "
      "stands for a values list's entries or a hosts list's names.\n\n";
  md += "| # | channel | source | medium | utm_medium |\n|---|---|---|---|---|\n";
  n = 0;
  for (const classify::ChannelRow& row : channel_rows) {
    md += fmt::format("| {} | `{}` | {} | {} | {} |\n", ++n, ToString(row.channel),
                      Cell(row.source.text, true), Cell(row.medium.text, true),
                      Cell(row.utm_medium.text, true));
  }
  md += "\n## Lists\n";
  for (const classify::ListDef& list : lists) {
    md += fmt::format("\n### {} ({}, {} entries)\n\n{}\n\n", list.name,
                      classify::ToString(list.kind), list.entries.size(), list.description);
    const bool named = !list.entries.empty() && !list.entries.front().name.empty();
    md += named ? "| entry | name |\n|---|---|\n" : "| entry |\n|---|\n";
    for (const classify::ListEntry& e : list.entries) {
      md += named ? fmt::format("| {} | {} |\n", Cell(e.key, true), Cell(e.name))
                  : fmt::format("| {} |\n", Cell(e.key, true));
    }
  }
  md += '\n';
  md += kSyntax;
  return md;
}

}  // namespace attrib
