// attrib delete --db DB --user ID | --anonymous ID: erases a person (a GDPR request): every id of
// theirs and all that was stored or derived from their events; reports restate without them.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/config.h"
#include "cli/io.h"
#include "storage/sqlite/sqlite_store.h"

namespace attrib::cli {
namespace {

struct DeleteArgs {
  std::string db;
  std::string project = "default";
  std::string user, anonymous;
  std::string config;
};

int Run(const DeleteArgs& args) {
  Result<Config> config = LoadConfig(args.config);
  if (!config.ok()) {
    PrintError(config.status());
    return 2;
  }
  Result<Classifier> classifier = LoadClassifier(config->rules_files);
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
  const bool user = !args.user.empty();
  Result<DeleteCounts> deleted = (*store)->DeletePerson(user ? args.user : args.anonymous, user);
  if (deleted.ok()) {
    if (Status s = (*store)->Checkpoint(); !s.ok()) deleted = s;
  }
  if (!deleted.ok()) {
    PrintError(deleted.status());
    return 1;
  }
  nlohmann::ordered_json j;
  j["ids"] = deleted->ids;
  j["events"] = deleted->events;
  j["sessions"] = deleted->sessions;
  j["conversions"] = deleted->conversions;
  j["bad_rows"] = deleted->bad_rows;
  Output output(stdout);
  *output.buffer() = j.dump(2) + "\n";
  if (Status s = output.Close(); !s.ok()) {
    PrintError(s);
    return 1;
  }
  return 0;
}

}  // namespace

void AddDeleteCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<DeleteArgs>();
  CLI::App* cmd = app->add_subcommand(
      "delete", "Erase a person from the store: their ids, events, sessions, credits, bad rows");
  cmd->add_option("--db", args->db, "The store")->required();
  CLI::Option* user = cmd->add_option("--user", args->user, "The person's userId");
  CLI::Option* anonymous =
      cmd->add_option("--anonymous", args->anonymous, "… or one of their anonymousIds");
  user->excludes(anonymous);
  cmd->add_option("--project", args->project, "The store's project")->capture_default_str();
  cmd->add_option("--config", args->config, "Configuration file (TOML; see `attrib config`)");
  cmd->callback([args, exit_code] {
    if (args->user.empty() && args->anonymous.empty()) {
      PrintError(Status::InvalidArgument("give --user ID or --anonymous ID"));
      *exit_code = 2;
      return;
    }
    *exit_code = Run(*args);
  });
}

}  // namespace attrib::cli
