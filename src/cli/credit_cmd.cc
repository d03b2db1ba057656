// attrib credit: one journey on stdin, every heuristic model's credits out — the what-if tool.
//   {"touchpoints":[{"channel":"…","at":"ISO-8601"},…],"converted_at":"ISO-8601","revenue":N}
//   → {"first_touch":[…],"last_touch":[…],…} with one credit per touchpoint, in input order.
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <numeric>

#include "attrib/attribution.h"
#include "cli/commands.h"
#include "cli/io.h"
#include "common/time.h"

namespace attrib::cli {
namespace {

// Input limits: a journey is a person's sessions over a lookback window; these are far beyond.
constexpr size_t kMaxCreditInputBytes = 1 << 20;
constexpr size_t kMaxTouchpoints = 10'000;

struct CreditArgs {
  std::string model = "all";
  double half_life_days = 7.0;
};

Status ReadAll(std::FILE* in, std::string* out) {
  char chunk[1 << 16];
  for (;;) {
    const size_t got = std::fread(chunk, 1, sizeof chunk, in);
    out->append(chunk, got);
    if (out->size() > kMaxCreditInputBytes) {
      return Status::LimitExceeded(
          fmt::format("the journey is larger than the {}-byte limit", kMaxCreditInputBytes));
    }
    if (got < sizeof chunk) break;
  }
  if (std::ferror(in)) return Status::IoError("cannot read stdin");
  return Status::Ok();
}

Result<Micros> TimeField(simdjson::dom::element e, std::string_view what) {
  std::string_view text;
  if (e.get_string().get(text))
    return Status::InvalidArgument(fmt::format("{} must be a string", what));
  auto t = ParseIsoTime(text);
  if (!t.ok()) return Status::InvalidArgument(fmt::format("{}: {}", what, t.status().message()));
  return t;
}

// Parses the journey; touchpoints keep their input order.
Status ParseJourney(const std::string& json, std::vector<std::string>* channels,
                    std::vector<Micros>* at, Micros* converted_at) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto error = parser.parse(json).get(doc)) {
    return Status::InvalidArgument(fmt::format("invalid JSON: {}", simdjson::error_message(error)));
  }
  simdjson::dom::object root;
  if (doc.get_object().get(root))
    return Status::InvalidArgument("the journey must be a JSON object");
  simdjson::dom::element converted;
  if (root["converted_at"].get(converted))
    return Status::InvalidArgument("missing \"converted_at\"");
  ATTRIB_ASSIGN_OR_RETURN(*converted_at, TimeField(converted, "converted_at"));
  simdjson::dom::element revenue;
  if (!root["revenue"].get(revenue) && !revenue.is_number() && !revenue.is_null()) {
    return Status::InvalidArgument("\"revenue\" must be a number");
  }
  simdjson::dom::array touchpoints;
  if (root["touchpoints"].get_array().get(touchpoints)) {
    return Status::InvalidArgument("\"touchpoints\" must be an array");
  }
  if (touchpoints.size() == 0) return Status::InvalidArgument("the journey has no touchpoints");
  if (touchpoints.size() > kMaxTouchpoints) {
    return Status::LimitExceeded(
        fmt::format("{} touchpoints, over the limit of {}", touchpoints.size(), kMaxTouchpoints));
  }
  size_t i = 0;
  for (simdjson::dom::element tp : touchpoints) {
    const std::string where = fmt::format("touchpoint {}", i++);
    std::string_view channel;
    simdjson::dom::element when;
    if (tp["channel"].get_string().get(channel) || channel.empty()) {
      return Status::InvalidArgument(where + ": \"channel\" must be a non-empty string");
    }
    if (tp["at"].get(when)) return Status::InvalidArgument(where + ": missing \"at\"");
    ATTRIB_ASSIGN_OR_RETURN(const Micros t, TimeField(when, where + ": \"at\""));
    if (t > *converted_at) {
      return Status::InvalidArgument(where + " starts after converted_at: not part of the journey");
    }
    channels->emplace_back(channel);
    at->push_back(t);
  }
  return Status::Ok();
}

int RunCredit(const CreditArgs& args) {
  std::vector<Model> models;
  if (args.model == "all") {
    for (int m = 0; m < kHeuristicModelCount; ++m) models.push_back(static_cast<Model>(m));
  } else {
    models.push_back(*ParseModel(args.model));
  }
  std::string json;
  std::vector<std::string> channels;
  std::vector<Micros> at;
  Micros converted_at = 0;
  Status s = ReadAll(stdin, &json);
  if (s.ok()) s = ParseJourney(json, &channels, &at, &converted_at);
  if (!s.ok()) {
    PrintError(Status(s.code(), "stdin: " + s.message()));
    return 1;
  }
  // The models take touchpoints in time order; the answer is in input order.
  std::vector<size_t> order(at.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return at[a] < at[b]; });
  std::map<std::string, uint32_t> ids;
  std::vector<Touchpoint> tps;
  for (size_t i : order) {
    const auto id = ids.emplace(channels[i], static_cast<uint32_t>(ids.size())).first->second;
    tps.push_back({id, channels[i] == "direct" || channels[i] == "internal", at[i]});
  }
  std::vector<double> sorted(tps.size()), credits(tps.size());
  std::string out = "{";
  for (size_t m = 0; m < models.size(); ++m) {
    CreditJourney(models[m], tps, converted_at, HeuristicOptions{args.half_life_days}, sorted);
    for (size_t k = 0; k < order.size(); ++k) credits[order[k]] = sorted[k];
    out += fmt::format("{}\"{}\":[", m ? "," : "", ToString(models[m]));
    for (size_t k = 0; k < credits.size(); ++k)
      out += fmt::format("{}{}", k ? "," : "", credits[k]);
    out += ']';
  }
  out += "}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

void AddCreditCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<CreditArgs>();
  CLI::App* cmd = app->add_subcommand(
      "credit", "Credit one journey (JSON on stdin) under the heuristic models: what-if");
  std::vector<std::string> names = {"all"};
  for (int m = 0; m < kHeuristicModelCount; ++m)
    names.emplace_back(ToString(static_cast<Model>(m)));
  cmd->add_option("--model", args->model, "A model, or all")
      ->check(CLI::IsMember(names))
      ->capture_default_str();
  cmd->add_option("--half-life-days", args->half_life_days, "time_decay's half-life in days")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->callback([args, exit_code] { *exit_code = RunCredit(*args); });
}

}  // namespace attrib::cli
