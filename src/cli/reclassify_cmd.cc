// attrib reclassify --db DB [--rules FILE]: the stored visits classified again with the rules as
// they are now (the built-in cascade, the configuration's and --rules files), then restated.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/config.h"
#include "cli/io.h"
#include "cli/table.h"
#include "storage/sqlite/sqlite_store.h"

namespace attrib::cli {
namespace {

struct ReclassifyArgs {
  std::string db;
  std::string project = "default";
  std::vector<std::string> rules;
  std::string config;
};

int Run(const ReclassifyArgs& args) {
  Result<Config> config = LoadConfig(args.config);
  if (!config.ok()) {
    PrintError(config.status());
    return 2;
  }
  std::vector<std::string> rules = config->rules_files;
  rules.insert(rules.end(), args.rules.begin(), args.rules.end());
  Result<Classifier> classifier = LoadClassifier(rules);
  if (!classifier.ok()) {
    PrintError(classifier.status());
    return 2;
  }
  const SystemClock clock;
  StoreOptions options;
  options.project = args.project;
  const query::AnalysisOptions& a = config->analysis;
  options.settings.person = PersonOptions{a.sessions, a.conversions, a.heuristics};
  options.create = false;
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(args.db, options, *classifier, clock);
  if (!store.ok()) {
    PrintError(store.status());
    return 1;
  }
  Result<ReclassifyCounts> counts = (*store)->Reclassify(nullptr);
  if (counts.ok()) {
    if (Status s = (*store)->Checkpoint(); !s.ok()) counts = s;
  }
  if (!counts.ok()) {
    PrintError(counts.status());
    return 1;
  }
  nlohmann::ordered_json j;
  j["rules_version"] = std::string(classifier->rules_version());
  j["events_checked"] = counts->events;
  j["events_moved"] = counts->moved;
  j["moved_by_rule"] = nlohmann::ordered_json::array();
  for (const auto& [rules_pair, n] : counts->moved_by_rule) {
    j["moved_by_rule"].push_back(
        {{"from_rule", rules_pair.first}, {"to_rule", rules_pair.second}, {"events", n}});
  }
  j["people_derived"] = counts->derived.people;
  j["conversions_restated"] = counts->derived.restated;
  Output output(stdout);
  *output.buffer() = j.dump(2) + "\n";
  if (Status s = output.Close(); !s.ok()) {
    PrintError(s);
    return 1;
  }
  return 0;
}

}  // namespace

void AddReclassifyCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<ReclassifyArgs>();
  CLI::App* cmd = app->add_subcommand(
      "reclassify", "Classify the stored visits again with the current rules, then restate");
  cmd->add_option("--db", args->db, "The store")->required();
  cmd->add_option("--rules", args->rules, "Extra classifier rules file (repeatable)");
  cmd->add_option("--project", args->project, "The store's project")->capture_default_str();
  cmd->add_option("--config", args->config, "Configuration file (TOML; see `attrib config`)");
  cmd->callback([args, exit_code] { *exit_code = Run(*args); });
}

}  // namespace attrib::cli
