#include <CLI/CLI.hpp>
#include <cstdio>

#include "classify/rule_data.h"
#include "cli/commands.h"
#include "cli/io.h"

#ifndef ATTRIB_VERSION
#define ATTRIB_VERSION "0.0.0"
#endif

namespace attrib::cli {

Result<Classifier> LoadClassifier(const std::vector<std::string>& rules_files) {
  ClassifierOptions options;
  for (const std::string& path : rules_files) {
    RulesText rules{path, {}};
    ATTRIB_RETURN_IF_ERROR(ReadFile(path, classify::kMaxRulesFileBytes, &rules.text));
    options.extra_rules.push_back(std::move(rules));
  }
  return Classifier::Create(options);
}

void PrintError(const Status& status) {
  std::fprintf(stderr, "attrib: error: %s\n", status.message().c_str());
}

}  // namespace attrib::cli

int main(int argc, char** argv) {
  CLI::App app{
      "attrib — open-source marketing attribution: which channel really earned this sale?"};
  app.set_version_flag("--version", "attrib " ATTRIB_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);
  int exit_code = 0;
  attrib::cli::AddClassifyCommand(&app, &exit_code);
  attrib::cli::AddRulesCommand(&app, &exit_code);
  attrib::cli::AddDemoCommand(&app, &exit_code);
  attrib::cli::AddCreditCommand(&app, &exit_code);
  attrib::cli::AddReportCommands(&app, &exit_code);
  attrib::cli::AddPathsCommand(&app, &exit_code);
  attrib::cli::AddImportCommand(&app, &exit_code);
  attrib::cli::AddExportCommand(&app, &exit_code);
  attrib::cli::AddJourneyCommand(&app, &exit_code);
  attrib::cli::AddDeleteCommand(&app, &exit_code);
  attrib::cli::AddReclassifyCommand(&app, &exit_code);
  attrib::cli::AddConfigCommand(&app, &exit_code);
  attrib::cli::AddProjectCommand(&app, &exit_code);
  attrib::cli::AddServeCommand(&app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return exit_code;
}
