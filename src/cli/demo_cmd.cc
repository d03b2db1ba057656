// attrib demo: synthetic traffic of the demo shop, deterministic for a seed.
#include <fmt/format.h>

#include <cstring>

#include "cli/commands.h"
#include "cli/io.h"
#include "demo/traffic.h"

namespace attrib::cli {
namespace {

struct DemoArgs {
  std::string out;
  std::string format = "tsv";
  uint64_t sessions = 10000;
  uint64_t seed = 1;
  std::string host = "shop.example";
};

// url<TAB>referrer lines: the input of `attrib classify --batch` (the host is the URL's).
int WriteTsv(const DemoArgs& args, std::FILE* file) {
  demo::TrafficGenerator traffic(args.seed, demo::TrafficOptions{args.host});
  Output out(file);
  std::vector<demo::PageView> views;
  for (uint64_t i = 0; i < args.sessions; ++i) {
    views.clear();
    traffic.NextSession(&views);
    for (const demo::PageView& v : views) {
      std::string& buf = *out.buffer();
      buf += v.url;
      buf += '\t';
      buf += v.referrer;
      buf += '\n';
    }
    out.MaybeFlush();
  }
  if (Status s = out.Close(); !s.ok()) {
    PrintError(s);
    return 1;
  }
  return 0;
}

}  // namespace

void AddDemoCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* cmd = app->add_subcommand("demo", "Write realistic synthetic traffic of a demo shop");
  cmd->add_option("--out", args->out, "Output file ('-' for stdout)")->required();
  cmd->add_option("--format", args->format,
                  "tsv: one url<TAB>referrer line per page view (classify --batch input)")
      ->check(CLI::IsMember({"tsv"}))
      ->capture_default_str();
  cmd->add_option("--sessions", args->sessions, "Sessions to generate")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000'000}))
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Random seed; the same seed gives the same traffic")
      ->capture_default_str();
  cmd->add_option("--host", args->host, "The shop's host")->capture_default_str();
  cmd->callback([args, exit_code] {
    std::FILE* file = stdout;
    if (args->out != "-") {
      file = std::fopen(args->out.c_str(), "wb");
      if (file == nullptr) {
        PrintError(
            Status::IoError(fmt::format("cannot create {}: {}", args->out, std::strerror(errno))));
        *exit_code = 1;
        return;
      }
    }
    *exit_code = WriteTsv(*args, file);
    if (file != stdout && std::fclose(file) != 0 && *exit_code == 0) {
      PrintError(Status::IoError(fmt::format("cannot write {}", args->out)));
      *exit_code = 1;
    }
  });
}

}  // namespace attrib::cli
