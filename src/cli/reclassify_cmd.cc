// attrib reclassify --db DB [--rules FILE]: the stored visits classified again with the rules as
// they are now (the built-in cascade, the configuration's and --rules files), then restated.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/store_cmd.h"

namespace attrib::cli {
namespace {

int Run(const StoreArgs& args) {
  StoreContext ctx;
  if (int rc = LoadSetup(args, &ctx); rc != 0) return rc;
  if (int rc = OpenStore(args, /*create=*/false, &ctx); rc != 0) return rc;
  Result<ReclassifyCounts> counts = ctx.store->Reclassify(nullptr);
  if (counts.ok()) {
    if (Status s = ctx.store->Checkpoint(); !s.ok()) counts = s;
  }
  if (!counts.ok()) {
    PrintError(counts.status());
    return 1;
  }
  nlohmann::ordered_json j;
  j["rules_version"] = std::string(ctx.classifier->rules_version());
  j["events_checked"] = counts->events;
  j["events_moved"] = counts->moved;
  j["moved_by_rule"] = nlohmann::ordered_json::array();
  for (const auto& [rules_pair, n] : counts->moved_by_rule) {
    j["moved_by_rule"].push_back(
        {{"from_rule", rules_pair.first}, {"to_rule", rules_pair.second}, {"events", n}});
  }
  j["people_derived"] = counts->derived.people;
  j["conversions_restated"] = counts->derived.restated;
  return PrintOut(j.dump(2) + "\n");
}

}  // namespace

void AddReclassifyCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<StoreArgs>();
  CLI::App* cmd = app->add_subcommand(
      "reclassify", "Classify the stored visits again with the current rules, then restate");
  AddStoreOptions(cmd, args.get(), /*rules=*/true);
  cmd->callback([args, exit_code] { *exit_code = Run(*args); });
}

}  // namespace attrib::cli
