// attrib project create|keys|revoke|list: a store's projects and their API keys (the catalog).
// A project's write key is public and only ingests; its read key (rk_…) is a secret that only
// queries, shown once when it is made (the store keeps its hash). Keys stay valid until revoked.
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "attrib/catalog.h"
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/store_cmd.h"
#include "cli/table.h"
#include "common/time.h"
#include "storage/keys.h"
#include "storage/sqlite/sqlite_catalog.h"

namespace attrib::cli {
namespace {

struct ProjectArgs {
  std::string db;
  std::string config;
  std::string format = "text";
  std::string target;  // create, keys: the project's name; revoke: the key
};

constexpr std::string_view kKeepSecret =
    "The read key is shown only this once: keep it secret (the store keeps only its hash).";
constexpr std::string_view kWriteKeyIsPublic =
    "The write key is public: it goes in the tracking code, and can only send events.";

// Prints the error: the exit status for it (2: a usage mistake).
int Fail(const Status& s) {
  PrintError(s);
  return s.code() == ErrorCode::kInvalidArgument ? 2 : 1;
}

std::unique_ptr<Catalog> OpenCatalog(const ProjectArgs& args, bool create, const Clock& clock,
                                     int* rc) {
  Result<std::unique_ptr<Catalog>> catalog = OpenSqliteCatalog(args.db, clock, create);
  if (!catalog.ok()) {
    *rc = Fail(catalog.status());
    return nullptr;
  }
  return std::move(catalog).value();
}

int PrintKeys(const NewKeys& keys, const std::string& format) {
  if (format == "json") {
    nlohmann::ordered_json j;
    j["project"] = keys.project;
    j["write_key"] = keys.write_key;
    j["read_key"] = keys.read_key;
    std::fprintf(stderr, "attrib: %s\n", std::string(kKeepSecret).c_str());
    return PrintOut(j.dump(2) + "\n");
  }
  return PrintOut(fmt::format("project:   {}\nwrite key: {}\nread key:  {}\n\n{}\n{}\n",
                              keys.project, keys.write_key, keys.read_key, kKeepSecret,
                              kWriteKeyIsPublic));
}

int RunCreate(const ProjectArgs& args) {
  Result<Config> config = LoadConfig(args.config);
  if (!config.ok()) {
    PrintError(config.status());
    return 2;
  }
  // The settings a store opened on this project with the same configuration records.
  const DeriveSettings settings = StoreOptionsFor(*config, args.target, /*create=*/true).settings;
  SystemClock clock;
  int rc = 0;
  std::unique_ptr<Catalog> catalog = OpenCatalog(args, /*create=*/true, clock, &rc);
  if (catalog == nullptr) return rc;
  Result<NewKeys> keys = catalog->CreateProject(args.target, settings);
  if (!keys.ok()) {
    rc = Fail(keys.status());
    if (keys.status().code() == ErrorCode::kAlreadyExists) {
      std::fprintf(stderr, "attrib: `attrib project keys %s` makes new keys for it\n",
                   args.target.c_str());
    }
    return rc;
  }
  return PrintKeys(*keys, args.format);
}

int RunKeys(const ProjectArgs& args) {
  SystemClock clock;
  int rc = 0;
  std::unique_ptr<Catalog> catalog = OpenCatalog(args, /*create=*/false, clock, &rc);
  if (catalog == nullptr) return rc;
  Result<NewKeys> keys = catalog->AddKeys(args.target);
  if (!keys.ok()) return Fail(keys.status());
  return PrintKeys(*keys, args.format);
}

const ApiKey* FindKey(const std::vector<ApiKey>& keys, std::string_view id) {
  for (const ApiKey& k : keys) {
    if (k.key_id == id) return &k;
  }
  return nullptr;
}

int RunRevoke(const ProjectArgs& args) {
  SystemClock clock;
  int rc = 0;
  std::unique_ptr<Catalog> catalog = OpenCatalog(args, /*create=*/false, clock, &rc);
  if (catalog == nullptr) return rc;
  const std::string_view id = storage::ReadKeyId(args.target).value_or(args.target);
  Result<std::vector<ApiKey>> before = catalog->Keys();
  if (!before.ok()) return Fail(before.status());
  if (Status s = catalog->RevokeKey(args.target); !s.ok()) return Fail(s);
  Result<std::vector<ApiKey>> after = catalog->Keys();
  if (!after.ok()) return Fail(after.status());
  const ApiKey* was = FindKey(*before, id);
  const ApiKey* key = FindKey(*after, id);
  if (key == nullptr || !key->revoked_at) return Fail(Status::Internal("the key was not revoked"));
  const bool already = was != nullptr && was->revoked_at.has_value();
  return PrintOut(fmt::format("{} {} key {} of project \"{}\" at {}\n",
                              already ? "already revoked:" : "revoked", ToString(key->kind),
                              key->key_id, key->project, FormatIsoTime(*key->revoked_at)));
}

int RunList(const ProjectArgs& args) {
  SystemClock clock;
  int rc = 0;
  std::unique_ptr<Catalog> catalog = OpenCatalog(args, /*create=*/false, clock, &rc);
  if (catalog == nullptr) return rc;
  Result<std::vector<std::string>> projects = catalog->Projects();
  if (!projects.ok()) return Fail(projects.status());
  Result<std::vector<ApiKey>> keys = catalog->Keys();
  if (!keys.ok()) return Fail(keys.status());
  std::map<std::string, std::vector<const ApiKey*>> by_project;
  for (const ApiKey& k : *keys) by_project[k.project].push_back(&k);

  // Key ids only: a read key's id is public, its secret is never stored.
  if (args.format == "json") {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const std::string& name : *projects) {
      nlohmann::ordered_json p;
      p["project"] = name;
      p["keys"] = nlohmann::ordered_json::array();
      for (const ApiKey* k : by_project[name]) {
        nlohmann::ordered_json key;
        key["key_id"] = k->key_id;
        key["kind"] = ToString(k->kind);
        key["created_at"] = FormatIsoTime(k->created_at);
        key["revoked_at"] =
            k->revoked_at ? nlohmann::ordered_json(FormatIsoTime(*k->revoked_at)) : nullptr;
        p["keys"].push_back(std::move(key));
      }
      out.push_back(std::move(p));
    }
    return PrintOut(out.dump(2) + "\n");
  }
  TextTable table({{"project"}, {"kind"}, {"key"}, {"created"}, {"revoked"}});
  for (const std::string& name : *projects) {
    const std::vector<const ApiKey*>& project_keys = by_project[name];
    if (project_keys.empty()) table.AddRow({name, "-", "(no keys)", "-", "-"});
    for (const ApiKey* k : project_keys) {
      table.AddRow({name, std::string(ToString(k->kind)), k->key_id, FormatIsoTime(k->created_at),
                    k->revoked_at ? FormatIsoTime(*k->revoked_at) : "-"});
    }
  }
  return PrintOut(projects->empty() ? "no projects\n" : table.Render());
}

void AddFormatOption(CLI::App* cmd, ProjectArgs* args) {
  cmd->add_option("--format", args->format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

CLI::Option* AddDbOption(CLI::App* cmd, ProjectArgs* args) {
  return cmd->add_option("--db", args->db, "The store (an SQLite file)")->required();
}

}  // namespace

void AddProjectCommand(CLI::App* app, int* exit_code) {
  CLI::App* project = app->add_subcommand(
      "project", "A store's projects and their API keys: write keys ingest, read keys query");
  project->require_subcommand(1);

  auto create_args = std::make_shared<ProjectArgs>();
  CLI::App* create = project->add_subcommand(
      "create", "Create a project and print its write key and read key (shown only once)");
  create->add_option("NAME", create_args->target, "The project's name")->required();
  AddDbOption(create, create_args.get());
  create->add_option("--config", create_args->config,
                     "Configuration file (TOML; see `attrib config`): the project's settings");
  AddFormatOption(create, create_args.get());
  create->callback([create_args, exit_code] { *exit_code = RunCreate(*create_args); });

  auto keys_args = std::make_shared<ProjectArgs>();
  CLI::App* keys = project->add_subcommand(
      "keys", "Make a new write key and read key for a project (the old ones stay valid)");
  keys->add_option("NAME", keys_args->target, "The project's name")->required();
  AddDbOption(keys, keys_args.get());
  AddFormatOption(keys, keys_args.get());
  keys->callback([keys_args, exit_code] { *exit_code = RunKeys(*keys_args); });

  auto revoke_args = std::make_shared<ProjectArgs>();
  CLI::App* revoke = project->add_subcommand("revoke", "Revoke a key, given whole or by its id");
  revoke->add_option("KEY", revoke_args->target, "The write key, or the read key or its id rk_…")
      ->required();
  AddDbOption(revoke, revoke_args.get());
  revoke->callback([revoke_args, exit_code] { *exit_code = RunRevoke(*revoke_args); });

  auto list_args = std::make_shared<ProjectArgs>();
  CLI::App* list = project->add_subcommand(
      "list", "List the projects and their keys (ids, never secrets), revoked ones too");
  AddDbOption(list, list_args.get());
  AddFormatOption(list, list_args.get());
  list->callback([list_args, exit_code] { *exit_code = RunList(*list_args); });
}

}  // namespace attrib::cli
