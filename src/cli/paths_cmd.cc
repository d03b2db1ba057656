// attrib paths --input FILE: the models over a path table in ChannelAttribution's format
// (ingest/path_file.h), so its users bring their files unchanged. Prints
//   {"<model>":{"<channel>":{"conversions":x,"value":y},…},…}
// with channels in order of first appearance; markov adds each channel's removal effects.
// --transitions prints the Markov chain's transition matrix instead.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "attribution/markov.h"
#include "attribution/shapley.h"
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/input.h"
#include "cli/io.h"
#include "ingest/path_file.h"

namespace attrib::cli {
namespace {

using Json = nlohmann::ordered_json;

// The models a path table can feed: no touchpoint times or channel kinds are needed.
constexpr Model kPathModels[] = {Model::kFirstTouch, Model::kLastTouch, Model::kLinear,
                                 Model::kMarkov,     Model::kShapley,   Model::kShapleySimplified};

struct PathsArgs {
  std::string input;
  std::string model = "all";
  int order = 0;  // 0: from the configuration
  bool keep_repeats = false;
  bool transitions = false;
  std::string config;
};

// Reads the table; errors name the file and the line.
Status ReadPaths(const std::string& input, ingest::PathFileParser* parser) {
  static_assert(BlockReader::kMaxLine > ingest::kMaxPathRowBytes,
                "a line cut by the reader must still be refused as too long");
  BlockReader reader({input});
  ATTRIB_RETURN_IF_ERROR(reader.CheckInputs());
  query::InputBlock block;
  uint64_t line = 0;
  while (reader.Next(&block)) {
    std::string_view rest = block.lines;
    while (!rest.empty()) {
      const size_t end = std::min(rest.find('\n'), rest.size());
      ++line;
      if (Status s = parser->AddLine(rest.substr(0, end), line); !s.ok()) {
        return Status(s.code(), fmt::format("{}: {}", input, s.message()));
      }
      rest.remove_prefix(std::min(end + 1, rest.size()));
    }
  }
  return reader.status();
}

Json Credits(const std::vector<ChannelCredit>& credits, const std::vector<std::string>& names) {
  Json out = Json::object();
  for (size_t c = 0; c < names.size(); ++c) {
    out[names[c]] = {{"conversions", credits[c].conversions}, {"value", credits[c].value}};
  }
  return out;
}

std::string StateName(const MarkovResult& r, uint32_t s, const std::vector<std::string>& names) {
  switch (s) {
    case kStartState:
      return "(start)";
    case kConversionState:
      return "(conversion)";
    case kNullState:
      return "(null)";
  }
  std::string out;
  for (const uint32_t c : r.states[s]) out += (out.empty() ? "" : " > ") + names[c];
  return out;
}

int Run(const PathsArgs& args) {
  Result<Config> config = LoadConfig(args.config);
  if (!config.ok()) {
    PrintError(config.status());
    return 2;
  }
  MarkovOptions markov = config->analysis.markov;
  if (args.order != 0) markov.order = args.order;
  if (args.keep_repeats) markov.keep_repeats = true;
  std::vector<Model> models;
  if (args.model == "all") {
    models.assign(std::begin(kPathModels), std::end(kPathModels));
  } else {
    models.push_back(*ParseModel(args.model));
  }
  ingest::PathFileParser parser;
  if (Status s = ReadPaths(args.input, &parser); !s.ok()) {
    PrintError(s);
    return 1;
  }
  const PathTable& table = parser.table();
  const std::vector<std::string>& names = parser.channels();
  const PathOutcome& totals = table.totals();
  std::fprintf(stderr,
               "attrib: %zu rows, %zu channels: %.15g conversions (value %.15g), %.15g null\n",
               table.size(), names.size(), totals.conversions, totals.value, totals.nulls);

  Json out = Json::object();
  if (args.transitions || std::find(models.begin(), models.end(), Model::kMarkov) != models.end()) {
    Result<MarkovResult> r = Markov(table, markov);
    if (!r.ok()) {
      PrintError(r.status());
      return 1;
    }
    if (args.transitions) {
      Json rows = Json::array();
      for (const MarkovTransition& t : r->transitions) {
        rows.push_back({{"from", StateName(*r, t.from, names)},
                        {"to", StateName(*r, t.to, names)},
                        {"count", t.count},
                        {"probability", t.probability}});
      }
      out = {{"order", markov.order},
             {"conversion_probability", r->conversion_probability},
             {"transitions", std::move(rows)}};
    } else {
      Json credits = Credits(r->credits, names);
      for (size_t c = 0; c < names.size(); ++c) {
        credits[names[c]]["removal_effect"] = r->removal_effect[c];
        credits[names[c]]["value_removal_effect"] = r->value_removal_effect[c];
      }
      out["markov"] = std::move(credits);
    }
  }
  if (!args.transitions) {
    const PathHeuristics heuristics = CreditPathHeuristics(table);
    Json ordered = Json::object();
    for (const Model m : models) {
      const std::string name(ToString(m));
      switch (m) {
        case Model::kFirstTouch:
          ordered[name] = Credits(heuristics.first_touch, names);
          break;
        case Model::kLastTouch:
          ordered[name] = Credits(heuristics.last_touch, names);
          break;
        case Model::kLinear:
          ordered[name] = Credits(heuristics.linear, names);
          break;
        case Model::kMarkov:
          ordered[name] = std::move(out["markov"]);
          break;
        case Model::kShapley: {
          Result<ShapleyResult> r = Shapley(table, config->analysis.shapley);
          if (!r.ok()) {
            PrintError(r.status());
            return 1;
          }
          if (r->sampled_sets != 0) {
            std::fprintf(stderr,
                         "attrib: shapley: %llu channel sets larger than the exact limit "
                         "estimated from sampled orderings; every estimated value within %.2g "
                         "of the exact one (95 %%, before normalising)\n",
                         static_cast<unsigned long long>(r->sampled_sets), r->max_error);
          }
          ordered[name] = Credits(r->credits, names);
          break;
        }
        case Model::kShapleySimplified:
          ordered[name] = Credits(ShapleySimplified(table), names);
          break;
        default:
          break;  // refused by the option's check
      }
    }
    out = std::move(ordered);
  }
  Output output(stdout);
  *output.buffer() = out.dump(2) + "\n";
  if (Status s = output.Close(); !s.ok()) {
    PrintError(s);
    return 1;
  }
  return 0;
}

}  // namespace

void AddPathsCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<PathsArgs>();
  CLI::App* cmd =
      app->add_subcommand("paths",
                          "Attribution over a path table in ChannelAttribution's format "
                          "(path;total_conversions;total_conversion_value;total_null)");
  cmd->add_option("--input", args->input, "The path table (.gz too; '-' for stdin)")->required();
  std::vector<std::string> names = {"all"};
  for (const Model m : kPathModels) names.emplace_back(ToString(m));
  cmd->add_option("--model", args->model,
                  "The model, or all (first_touch, last_touch and linear as ChannelAttribution "
                  "defines them: linear counts repeats)")
      ->check(CLI::IsMember(names))
      ->capture_default_str();
  cmd->add_option("--order", args->order,
                  "Order of the Markov chain: a state is the last K channels (default: "
                  "attribution.markov_order, 1)")
      ->check(CLI::Range(1, kMaxMarkovOrder));
  cmd->add_flag("--keep-repeats", args->keep_repeats,
                "Keep a channel's consecutive repeats as steps of the Markov chain");
  cmd->add_flag("--transitions", args->transitions,
                "Print the Markov chain's transition matrix instead of credits");
  cmd->add_option("--config", args->config, "Configuration file (TOML; see `attrib config`)");
  cmd->callback([args, exit_code] { *exit_code = Run(*args); });
}

}  // namespace attrib::cli
