// The `attrib` subcommands. Each Add*Command registers its options on `app` and, when it runs,
// stores the process exit status in `*exit_code`: 0 success, 1 failure (bad data, I/O),
// 2 usage error. Data goes to stdout; messages and progress to stderr.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "attrib/classify.h"

namespace attrib::cli {

void AddClassifyCommand(CLI::App* app, int* exit_code);
void AddRulesCommand(CLI::App* app, int* exit_code);
void AddDemoCommand(CLI::App* app, int* exit_code);
void AddCreditCommand(CLI::App* app, int* exit_code);
void AddReportCommands(CLI::App* app, int* exit_code);  // report and compare
void AddPathsCommand(CLI::App* app, int* exit_code);
void AddImportCommand(CLI::App* app, int* exit_code);
void AddExportCommand(CLI::App* app, int* exit_code);
void AddJourneyCommand(CLI::App* app, int* exit_code);
void AddDeleteCommand(CLI::App* app, int* exit_code);
void AddReclassifyCommand(CLI::App* app, int* exit_code);
void AddConfigCommand(CLI::App* app, int* exit_code);
void AddProjectCommand(CLI::App* app, int* exit_code);  // create, keys, revoke, list
void AddServeCommand(CLI::App* app, int* exit_code);

// The classifier with the built-in rules and the user's rules files (--rules), in order.
Result<Classifier> LoadClassifier(const std::vector<std::string>& rules_files);

// Prints "attrib: error: <message>" to stderr.
void PrintError(const Status& status);

}  // namespace attrib::cli
