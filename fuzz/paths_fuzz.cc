// Fuzzes the path-table parser and the data-driven models behind it: whatever the bytes, the
// parser accepts rows or names the line of the first bad one, every accepted row has a path
// of known channels and outcomes within the limits, and the models over what was accepted
// give finite, non-negative credits that add up to the table's conversions.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "attribution/markov.h"
#include "attribution/shapley.h"
#include "ingest/path_file.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "paths_fuzz: %s\n", what);
    std::abort();
  }
}

// Credits are finite and non-negative, and sum to `total` (when there is anything to share).
void CheckCredits(const std::vector<attrib::ChannelCredit>& credits, double total, bool shared) {
  double sum = 0;
  for (const attrib::ChannelCredit& c : credits) {
    Check(std::isfinite(c.conversions) && c.conversions >= 0, "a credit is negative or not finite");
    Check(std::isfinite(c.value) && c.value >= 0, "a value is negative or not finite");
    sum += c.conversions;
  }
  if (shared) Check(std::abs(sum - total) <= 1e-6 * std::max(1.0, total), "credits do not add up");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int order = 1 + data[0] % attrib::kMaxMarkovOrder;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  attrib::ingest::PathFileParser parser;
  uint64_t line = 0;
  while (!text.empty()) {
    const size_t end = std::min(text.find('\n'), text.size());
    const attrib::Status s = parser.AddLine(text.substr(0, end), ++line);
    if (!s.ok()) {
      Check(s.message().starts_with("line " + std::to_string(line) + ": "),
            "error without its line");
      break;
    }
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  const attrib::PathTable& table = parser.table();
  Check(table.channel_count() == parser.channels().size(), "channels and names disagree");
  for (size_t row = 0; row < table.size(); ++row) {
    Check(!table.path(row).empty(), "an empty path was accepted");
    const attrib::PathOutcome& o = table.outcome(row);
    Check(o.conversions <= attrib::ingest::kMaxPathCount &&
              o.nulls <= attrib::ingest::kMaxPathCount && o.value <= attrib::ingest::kMaxPathValue,
          "an outcome over its limit was accepted");
  }
  const double conversions = table.totals().conversions;
  const attrib::Result<attrib::MarkovResult> markov = attrib::Markov(
      table, attrib::MarkovOptions{.order = order, .keep_repeats = (data[0] & 8) != 0});
  Check(markov.ok(), "markov failed");
  CheckCredits(markov->credits, conversions, markov->conversion_probability > 0);
  for (const double re : markov->removal_effect)
    Check(re >= 0 && re <= 1, "a removal effect out of [0, 1]");
  const attrib::Result<attrib::ShapleyResult> shapley =
      attrib::Shapley(table, attrib::ShapleyOptions{.max_exact_channels = 8, .samples = 50});
  Check(shapley.ok(), "shapley failed");
  CheckCredits(shapley->credits, conversions, true);
  CheckCredits(attrib::ShapleySimplified(table), conversions, true);
  return 0;
}
