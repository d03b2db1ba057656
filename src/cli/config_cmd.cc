// attrib config: every configuration key with its type, effective value and meaning.
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/config.h"
#include "cli/io.h"
#include "cli/table.h"

namespace attrib::cli {

void AddConfigCommand(CLI::App* app, int* exit_code) {
  auto path = std::make_shared<std::string>();
  CLI::App* cmd = app->add_subcommand(
      "config", "List every configuration key with its value (defaults, or --config FILE)");
  cmd->add_option("--config", *path, "Configuration file (TOML)");
  cmd->callback([path, exit_code] {
    Result<Config> config = LoadConfig(*path);
    if (!config.ok()) {
      PrintError(config.status());
      *exit_code = 2;
      return;
    }
    TextTable table({{"key"}, {"type"}, {"value"}, {"meaning"}});
    for (const ConfigKey& k : kConfigKeys) {
      table.AddRow({std::string(k.key), std::string(k.type), ConfigValue(*config, k.key),
                    std::string(k.description)});
    }
    std::string out = table.Render();
    out += fmt::format(
        "\nThe file: TOML, with these keys in their sections ([sessions], [conversions], …);\n"
        "given by --config FILE or the {} environment variable. {}\n",
        kConfigEnv,
        config->file.empty() ? "None is in use: these are the defaults."
                             : "In use: " + config->file);
    std::fputs(out.c_str(), stdout);
  });
}

}  // namespace attrib::cli
