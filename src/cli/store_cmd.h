// What the store's commands share (import, report/compare --db, journey, export, reclassify,
// delete): their --db/--project/--config/--rules options, the configuration, classifier and
// store they open, and the person a command names.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "attrib/store.h"
#include "cli/config.h"

namespace attrib::cli {

struct StoreArgs {
  std::string db;
  std::string project = "default";
  std::string config;
  std::vector<std::string> rules;  // --rules, for the commands that classify
};

// --db (required), --project, --config, and --rules when `rules`.
void AddStoreOptions(CLI::App* cmd, StoreArgs* args, bool rules);

// The store's settings for a configuration.
StoreOptions StoreOptionsFor(const Config& config, const std::string& project, bool create);

// What a store command works with; the store refers to the classifier and the clock, so this
// stays where it was made.
struct StoreContext {
  Config config;
  std::unique_ptr<Classifier> classifier;  // the built-in rules, the configuration's, --rules
  SystemClock clock;
  std::unique_ptr<Store> store;
};

// Loads the configuration and the classifier: 0, or after printing the error the exit status
// (2: a usage mistake).
int LoadSetup(const StoreArgs& args, StoreContext* ctx);
// Opens the store (creating it when `create`): 0, or after printing the error 1.
int OpenStore(const StoreArgs& args, bool create, StoreContext* ctx);

// --user / --anonymous: the person a command is about.
struct PersonArgs {
  std::string user, anonymous;
  bool is_user() const { return !user.empty(); }
  const std::string& id() const { return is_user() ? user : anonymous; }
};
void AddPersonOptions(CLI::App* cmd, PersonArgs* args);
// False, after printing the error, when neither is given.
bool CheckPerson(const PersonArgs& args);

// Writes `text` to stdout: 0, or after printing the error 1.
int PrintOut(std::string text);

}  // namespace attrib::cli
