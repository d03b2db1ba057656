// attrib demo: synthetic data of the demo shop, deterministic for a seed: Segment messages
// (JSON lines) or url<TAB>referrer lines.
#include <fmt/format.h>

#include <cstring>

#include "cli/commands.h"
#include "cli/io.h"
#include "common/time.h"
#include "demo/shop.h"
#include "demo/traffic.h"

namespace attrib::cli {
namespace {

struct DemoArgs {
  std::string out;
  std::string format;  // empty: tsv when --out ends in .tsv, else jsonl
  uint64_t sessions = 10000;
  uint64_t visitors = 10000;
  int days = 30;
  std::string end = "2026-11-01T00:00:00Z";  // demo::kDemoEnd
  uint64_t seed = 1;
  std::string host = "shop.example";
};

// Segment messages, one JSON object (a message or a batch envelope) per line.
int WriteJsonl(const DemoArgs& args, Micros end, std::FILE* file) {
  demo::ShopGenerator shop(args.seed, demo::ShopOptions{args.host, args.visitors, args.days, end});
  Output out(file);
  while (shop.NextVisitor(out.buffer())) out.MaybeFlush();
  if (Status s = out.Close(); !s.ok()) {
    PrintError(s);
    return 1;
  }
  return 0;
}

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
  CLI::App* cmd = app->add_subcommand(
      "demo", "Write realistic synthetic data of a demo shop: Segment messages or page views");
  cmd->add_option("--out", args->out, "Output file ('-' for stdout)")->required();
  cmd->add_option("--format", args->format,
                  "jsonl (the default; tsv when --out ends in .tsv): Segment messages, one "
                  "message or {\"batch\":[…]} envelope per line. tsv: one url<TAB>referrer line "
                  "per page view (classify --batch input)")
      ->check(CLI::IsMember({"jsonl", "tsv"}));
  CLI::Option* visitors =
      cmd->add_option("--visitors", args->visitors, "jsonl: persons to simulate")
          ->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000'000}))
          ->capture_default_str();
  CLI::Option* days =
      cmd->add_option("--days", args->days, "jsonl: days of traffic, ending at --end")
          ->check(CLI::Range(1, 3650))
          ->capture_default_str();
  CLI::Option* end =
      cmd->add_option("--end", args->end, "jsonl: when the time window ends (ISO 8601)")
          ->capture_default_str();
  CLI::Option* sessions = cmd->add_option("--sessions", args->sessions, "tsv: sessions to generate")
                              ->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000'000}))
                              ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Random seed; the same arguments give the same file")
      ->capture_default_str();
  cmd->add_option("--host", args->host, "The shop's host")->capture_default_str();
  cmd->callback([args, exit_code, visitors, days, end, sessions] {
    const bool inferred = args->format.empty();
    if (inferred) args->format = args->out.ends_with(".tsv") ? "tsv" : "jsonl";
    const bool tsv = args->format == "tsv";
    if (tsv && (visitors->count() + days->count() + end->count()) > 0) {
      PrintError(Status::InvalidArgument(
          fmt::format("--visitors, --days and --end apply to --format jsonl, not tsv{} (use "
                      "--sessions)",
                      inferred ? ", chosen because --out ends in .tsv" : "")));
      *exit_code = 2;
      return;
    }
    if (!tsv && sessions->count() > 0) {
      PrintError(Status::InvalidArgument(
          "--sessions applies to --format tsv, not jsonl (use --visitors and --days)"));
      *exit_code = 2;
      return;
    }
    Micros end_time = 0;
    if (!tsv) {
      Result<Micros> parsed = ParseIsoTime(args->end);
      if (!parsed.ok()) {
        PrintError(Status::InvalidArgument(fmt::format("--end: {}", parsed.status().message())));
        *exit_code = 2;
        return;
      }
      end_time = *parsed;
      // Every timestamp written (skewed clocks included) stays within the years ISO text spans.
      const Micros first = end_time - args->days * int64_t{86'400'000'000};
      if (first < 0 || end_time > 253'402'214'400'000'000) {  // 1970-01-01 … 9999-12-31
        PrintError(Status::InvalidArgument(
            "--end: the time window must lie between 1970-01-01 and 9999-12-31"));
        *exit_code = 2;
        return;
      }
    }
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
    *exit_code = tsv ? WriteTsv(*args, file) : WriteJsonl(*args, end_time, file);
    if (file != stdout && std::fclose(file) != 0 && *exit_code == 0) {
      PrintError(Status::IoError(fmt::format("cannot write {}", args->out)));
      *exit_code = 1;
    }
  });
}

}  // namespace attrib::cli
