// attrib's configuration: a TOML file (--config FILE, or the ATTRIB_CONFIG environment
// variable) over built-in defaults. Every key is listed once, in kConfigKeys: `attrib config`
// prints that table and docs/configuration.md documents it. Unknown keys are errors, so a typo
// never silently falls back to a default.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "attrib/status.h"
#include "query/batch.h"

namespace attrib::cli {

struct ConfigKey {
  std::string_view key;          // "sessions.timeout_minutes"
  std::string_view type;         // "integer", "boolean", "list of strings", …
  std::string_view description;  // one sentence
};
extern const std::vector<ConfigKey> kConfigKeys;

// Environment variables attrib reads.
inline constexpr std::string_view kConfigEnv = "ATTRIB_CONFIG";  // the default --config file

struct Config {
  std::string file;  // the file read; empty: the defaults
  query::AnalysisOptions analysis;
  std::vector<std::string> rules_files;  // classifier.rules: the user's rules files
  int threads = 0;                       // analysis.threads; 0: one per core
};

// The defaults overlaid with the file at `path` (--config), or when that is empty the file the
// ATTRIB_CONFIG environment variable names, if any. Errors name the file, the key and the
// problem.
Result<Config> LoadConfig(std::string path);

// The value of `key` in `config`, written as TOML (for `attrib config`).
std::string ConfigValue(const Config& config, std::string_view key);

}  // namespace attrib::cli
