// attrib delete --db DB --user ID | --anonymous ID: erases a person (a GDPR request): every id of
// theirs and all that was stored or derived from their events; reports restate without them.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/store_cmd.h"

namespace attrib::cli {
namespace {

int Run(const StoreArgs& args, const PersonArgs& person) {
  StoreContext ctx;
  if (int rc = LoadSetup(args, &ctx); rc != 0) return rc;
  if (int rc = OpenStore(args, /*create=*/false, &ctx); rc != 0) return rc;
  Result<DeleteCounts> deleted = ctx.store->DeletePerson(person.id(), person.is_user());
  if (deleted.ok()) {
    if (Status s = ctx.store->Checkpoint(); !s.ok()) deleted = s;
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
  return PrintOut(j.dump(2) + "\n");
}

}  // namespace

void AddDeleteCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<StoreArgs>();
  auto person = std::make_shared<PersonArgs>();
  CLI::App* cmd = app->add_subcommand(
      "delete", "Erase a person from the store: their ids, events, sessions, credits, bad rows");
  AddStoreOptions(cmd, args.get(), /*rules=*/false);
  AddPersonOptions(cmd, person.get());
  cmd->callback(
      [args, person, exit_code] { *exit_code = CheckPerson(*person) ? Run(*args, *person) : 2; });
}

}  // namespace attrib::cli
