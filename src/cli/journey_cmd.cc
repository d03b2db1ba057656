// attrib journey --db DB --user ID | --anonymous ID: one person's audit trail — their ids, their
// sessions with the rule that classified each, their conversions and every model's credit of
// every touchpoint.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/store_cmd.h"
#include "cli/table.h"
#include "common/time.h"
#include "query/journey_json.h"

namespace attrib::cli {
namespace {

std::string Json(const PersonJourney& p) {
  return query::JourneyJson(p).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string Table(const PersonJourney& p) {
  std::string out = "person:";
  for (const PersonJourney::Id& id : p.ids) {
    out += fmt::format(" {} {};", id.user ? "user" : "anonymous", id.value);
  }
  out.back() = '\n';
  TextTable sessions({{"session start"},
                      {"events", true},
                      {"channel"},
                      {"source / medium"},
                      {"campaign"},
                      {"rule"},
                      {"confidence"}});
  for (const PersonJourney::Session& s : p.sessions) {
    const StoredClass& c = s.classification;
    sessions.AddRow({FormatIsoTime(s.start), fmt::format("{}", s.events), c.channel,
                     c.source + " / " + c.medium, c.campaign, c.rule_id, c.confidence});
  }
  out += fmt::format("\n{} sessions\n", p.sessions.size()) + sessions.Render();
  out += fmt::format("\n{} conversions\n", p.conversions.size());
  for (const PersonJourney::Conversion& c : p.conversions) {
    out += fmt::format("\n{} {} {:.2f} {} (message {}, version {}{})\n", FormatIsoTime(c.at),
                       c.kind, c.revenue, c.currency, c.message_id, c.version,
                       c.restated_at ? ", restated " + FormatIsoTime(*c.restated_at) : "");
    std::vector<TextTable::Column> columns = {{"touchpoint"}, {"channel"}, {"rule"}};
    for (int m = 0; m < kHeuristicModelCount; ++m) {
      columns.push_back({std::string(ToString(static_cast<Model>(m))), true});
    }
    TextTable touchpoints(std::move(columns));
    for (const PersonJourney::Touchpoint& t : c.touchpoints) {
      std::vector<std::string> cells = {FormatIsoTime(t.session_start), t.classification.channel,
                                        t.classification.rule_id};
      for (const double credit : t.credit) cells.push_back(fmt::format("{:.3f}", credit));
      touchpoints.AddRow(std::move(cells));
    }
    out += touchpoints.Render();
  }
  return out;
}

int Run(const StoreArgs& args, const PersonArgs& person, const std::string& format) {
  StoreContext ctx;
  if (int rc = LoadSetup(args, &ctx); rc != 0) return rc;
  if (int rc = OpenStore(args, /*create=*/false, &ctx); rc != 0) return rc;
  Result<PersonJourney> journey = ctx.store->ReadJourney(person.id(), person.is_user());
  if (!journey.ok()) {
    PrintError(journey.status());
    return 1;
  }
  return PrintOut(format == "json" ? Json(*journey) : Table(*journey));
}

}  // namespace

void AddJourneyCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<StoreArgs>();
  auto person = std::make_shared<PersonArgs>();
  auto format = std::make_shared<std::string>("table");
  CLI::App* cmd = app->add_subcommand(
      "journey",
      "One person's audit trail: ids, sessions and the rule behind each, conversions, credits");
  AddStoreOptions(cmd, args.get(), /*rules=*/false);
  AddPersonOptions(cmd, person.get());
  cmd->add_option("--format", *format, "Output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->callback([args, person, format, exit_code] {
    *exit_code = CheckPerson(*person) ? Run(*args, *person, *format) : 2;
  });
}

}  // namespace attrib::cli
