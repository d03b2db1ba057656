// attrib rules: the cascade as loaded (built-in plus --rules files), as a table, JSON or the
// Markdown of docs/classifier-rules.md.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/table.h"
#include "query/rules_json.h"

namespace attrib::cli {
namespace {

struct RulesArgs {
  std::string format = "table";
  std::vector<std::string> rules_files;
};

std::string Render(const Classifier& classifier, const std::string& format) {
  if (format == "markdown") return classifier.RulesMarkdown();
  if (format == "json") {
    nlohmann::ordered_json rules = nlohmann::ordered_json::array();
    for (const RuleInfo& r : classifier.rules()) rules.push_back(query::RuleJson(r));
    nlohmann::ordered_json doc = {{"rules_version", classifier.rules_version()}, {"rules", rules}};
    return doc.dump(2) + "\n";
  }
  TextTable table({{"#", true},
                   {"rule"},
                   {"when"},
                   {"source"},
                   {"medium"},
                   {"confidence"},
                   {"channel"},
                   {"origin"}});
  int n = 0;
  for (const RuleInfo& r : classifier.rules()) {
    table.AddRow({std::to_string(++n), r.id, r.when, r.source, r.medium,
                  std::string(ToString(r.confidence)),
                  r.channel ? std::string(ToString(*r.channel)) : "(table)", r.origin});
  }
  return table.Render() + fmt::format("rules_version {}\n", classifier.rules_version());
}

}  // namespace

void AddRulesCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<RulesArgs>();
  CLI::App* cmd = app->add_subcommand("rules", "Show the classifier's rule cascade");
  cmd->add_option("--format", args->format, "table, json or markdown")
      ->check(CLI::IsMember({"table", "json", "markdown"}))
      ->capture_default_str();
  cmd->add_option("--rules", args->rules_files,
                  "A rules file evaluated before the built-in cascade")
      ->check(CLI::ExistingFile);
  cmd->callback([args, exit_code] {
    Result<Classifier> classifier = LoadClassifier(args->rules_files);
    if (!classifier.ok()) {
      PrintError(classifier.status());
      *exit_code = 1;
      return;
    }
    const std::string text = Render(*classifier, args->format);
    std::fwrite(text.data(), 1, text.size(), stdout);
    *exit_code = 0;
  });
}

}  // namespace attrib::cli
