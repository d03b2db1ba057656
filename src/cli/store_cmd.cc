#include "cli/store_cmd.h"

#include "cli/commands.h"
#include "cli/io.h"
#include "storage/sqlite/sqlite_store.h"

namespace attrib::cli {

void AddStoreOptions(CLI::App* cmd, StoreArgs* args, bool rules) {
  cmd->add_option("--db", args->db, "The store (an SQLite file; see `attrib import`)")->required();
  cmd->add_option("--project", args->project, "The store's project")->capture_default_str();
  cmd->add_option("--config", args->config, "Configuration file (TOML; see `attrib config`)");
  if (rules) cmd->add_option("--rules", args->rules, "Extra classifier rules file (repeatable)");
}

StoreOptions StoreOptionsFor(const Config& config, const std::string& project, bool create) {
  StoreOptions options;
  options.project = project;
  const query::AnalysisOptions& a = config.analysis;
  options.settings.person = PersonOptions{a.sessions, a.conversions, a.heuristics};
  options.create = create;
  return options;
}

int LoadSetup(const StoreArgs& args, StoreContext* ctx) {
  Result<Config> config = LoadConfig(args.config);
  if (!config.ok()) {
    PrintError(config.status());
    return 2;
  }
  ctx->config = std::move(config).value();
  std::vector<std::string> rules = ctx->config.rules_files;
  rules.insert(rules.end(), args.rules.begin(), args.rules.end());
  Result<Classifier> classifier = LoadClassifier(rules);
  if (!classifier.ok()) {
    PrintError(classifier.status());
    return 2;
  }
  ctx->classifier = std::make_unique<Classifier>(std::move(classifier).value());
  return 0;
}

int OpenStore(const StoreArgs& args, bool create, StoreContext* ctx) {
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(
      args.db, StoreOptionsFor(ctx->config, args.project, create), *ctx->classifier, ctx->clock);
  if (!store.ok()) {
    PrintError(store.status());
    return 1;
  }
  ctx->store = std::move(store).value();
  return 0;
}

void AddPersonOptions(CLI::App* cmd, PersonArgs* args) {
  CLI::Option* user = cmd->add_option("--user", args->user, "The person's userId");
  CLI::Option* anonymous =
      cmd->add_option("--anonymous", args->anonymous, "… or one of their anonymousIds");
  user->excludes(anonymous);
}

bool CheckPerson(const PersonArgs& args) {
  if (!args.user.empty() || !args.anonymous.empty()) return true;
  PrintError(Status::InvalidArgument("give --user ID or --anonymous ID"));
  return false;
}

int PrintOut(std::string text) {
  Output output(stdout);
  *output.buffer() = std::move(text);
  if (Status s = output.Close(); !s.ok()) {
    PrintError(s);
    return 1;
  }
  return 0;
}

}  // namespace attrib::cli
