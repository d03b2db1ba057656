// attrib classify: one visit from flags, or many from url<TAB>referrer<TAB>host lines.
#include <fmt/format.h>

#include <chrono>
#include <map>
#include <unordered_map>

#include "classify/classification_json.h"
#include "cli/commands.h"
#include "cli/io.h"
#include "cli/table.h"
#include "common/strings.h"

namespace attrib::cli {
namespace {

// Lines longer than this are reported and skipped (a URL is at most 16 KiB; three of them and
// the tabs fit).
constexpr size_t kMaxBatchLineBytes = 64 * 1024;
// How many rows the --summary table shows.
constexpr size_t kSummaryRows = 40;

struct ClassifyArgs {
  std::string url, referrer, host;
  bool batch = false;
  bool summary = false;
  std::string file = "-";
  std::vector<std::string> rules_files;
};

int ClassifyOne(const Classifier& classifier, const ClassifyArgs& args) {
  Classification c;
  const Status s = classifier.Classify({args.url, args.referrer, args.host}, &c);
  if (!s.ok()) {
    PrintError(s);
    return 1;
  }
  std::string json;
  AppendJson(c, &json);
  json += '\n';
  std::fwrite(json.data(), 1, json.size(), stdout);
  return 0;
}

// Per-rule counts for --summary, in the spirit of the per-rule audit dashboard.
class Summary {
 public:
  void Add(const Classification& c) {
    key_.clear();
    key_.append(c.rule_id).append("\t").append(c.source).append("\t").append(c.medium);
    key_.append("\t").append(ToString(c.channel)).append("\t").append(ToString(c.confidence));
    ++counts_[key_];
  }
  std::string Render(uint64_t classified) const {
    std::vector<std::pair<std::string, uint64_t>> rows(counts_.begin(), counts_.end());
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    TextTable table({{"rule"},
                     {"source"},
                     {"medium"},
                     {"channel"},
                     {"confidence"},
                     {"visits", true},
                     {"share", true}});
    uint64_t shown = 0;
    for (size_t i = 0; i < rows.size() && i < kSummaryRows; ++i) {
      std::vector<std::string> cells;
      for (std::string_view part : Split(rows[i].first, '\t')) cells.emplace_back(part);
      cells.push_back(WithThousands(rows[i].second));
      cells.push_back(fmt::format("{:.1f}%", 100.0 * rows[i].second / classified));
      table.AddRow(std::move(cells));
      shown += rows[i].second;
    }
    if (rows.size() > kSummaryRows) {
      table.AddRow({fmt::format("({} more)", rows.size() - kSummaryRows), "", "", "", "",
                    WithThousands(classified - shown),
                    fmt::format("{:.1f}%", 100.0 * (classified - shown) / classified)});
    }
    return table.Render();
  }

 private:
  std::string key_;
  std::unordered_map<std::string, uint64_t> counts_;
};

int ClassifyBatch(const Classifier& classifier, const ClassifyArgs& args) {
  std::FILE* in = stdin;
  if (args.file != "-") {
    in = std::fopen(args.file.c_str(), "rb");
    if (in == nullptr) {
      PrintError(
          Status::IoError(fmt::format("cannot open {}: {}", args.file, std::strerror(errno))));
      return 1;
    }
  }
  const auto started = std::chrono::steady_clock::now();
  Output out(stdout);
  std::string* buf = out.buffer();
  Classification c;
  Summary summary;
  uint64_t classified = 0, failed = 0;
  const auto fail = [&](uint64_t number, std::string_view message) {
    ++failed;
    if (args.summary) return;
    *buf += fmt::format("{{\"line\":{},\"error\":", number);
    AppendJsonString(buf, message);
    *buf += "}\n";
    out.MaybeFlush();
  };
  const Status read = ForEachLine(
      in, kMaxBatchLineBytes,
      [&](std::string_view line, uint64_t number) {
        if (line.empty()) return fail(number, "empty line (expected url<TAB>referrer<TAB>host)");
        std::string_view fields[3];
        size_t n = 0;
        for (size_t start = 0;;) {
          const size_t tab = line.find('\t', start);
          if (n == 3)
            return fail(number,
                        "more than 3 tab-separated fields (expected url<TAB>referrer<TAB>host)");
          fields[n++] = line.substr(start, tab == std::string_view::npos ? tab : tab - start);
          if (tab == std::string_view::npos) break;
          start = tab + 1;
        }
        const Status s = classifier.Classify({fields[0], fields[1], fields[2]}, &c);
        if (!s.ok()) return fail(number, s.message());
        ++classified;
        if (args.summary) {
          summary.Add(c);
          return;
        }
        AppendJson(c, buf);
        buf->push_back('\n');
        out.MaybeFlush();
      },
      [&](uint64_t number) {
        fail(number, fmt::format("line is longer than {} bytes", kMaxBatchLineBytes));
      });
  if (in != stdin) std::fclose(in);
  if (args.summary && classified > 0) *buf += summary.Render(classified);
  const Status closed = out.Close();
  if (!read.ok() || !closed.ok()) {
    PrintError(read.ok() ? closed : read);
    return 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::fprintf(stderr, "attrib: classified %s lines in %.2f s; %s failed; rules_version %s\n",
               WithThousands(classified).c_str(), seconds, WithThousands(failed).c_str(),
               std::string(classifier.rules_version()).c_str());
  return failed > 0 ? 1 : 0;
}

}  // namespace

void AddClassifyCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<ClassifyArgs>();
  CLI::App* cmd = app->add_subcommand(
      "classify", "Classify visits into source / medium / channel, naming the rule that fired");
  cmd->add_option("--url", args->url, "The page URL");
  cmd->add_option("--referrer", args->referrer, "The referrer (document.referrer)");
  cmd->add_option("--host", args->host, "The site's own host (default: the URL's host)");
  cmd->add_flag("--batch", args->batch,
                "Read url<TAB>referrer<TAB>host lines from FILE (or stdin) and write one JSON "
                "object per line, in order; unusable lines give {\"line\":N,\"error\":...}");
  cmd->add_option("file", args->file, "Input for --batch (default: stdin)");
  cmd->add_flag("--summary", args->summary,
                "With --batch: print per-rule counts instead of one object per line");
  cmd->add_option("--rules", args->rules_files,
                  "A rules file evaluated before the built-in cascade (repeatable)")
      ->check(CLI::ExistingFile);
  cmd->callback([args, exit_code, cmd] {
    if (!args->batch && (cmd->count("file") > 0 || args->summary)) {
      throw CLI::ValidationError("a FILE and --summary go with --batch");
    }
    if (args->batch &&
        (cmd->count("--url") + cmd->count("--referrer") + cmd->count("--host")) > 0) {
      throw CLI::ValidationError(
          "--batch reads its visits from input; drop --url/--referrer/--host");
    }
    if (!args->batch && cmd->count("--url") + cmd->count("--referrer") == 0) {
      throw CLI::ValidationError("give --url (and optionally --referrer, --host), or --batch");
    }
    Result<Classifier> classifier = LoadClassifier(args->rules_files);
    if (!classifier.ok()) {
      PrintError(classifier.status());
      *exit_code = 1;
      return;
    }
    *exit_code = args->batch ? ClassifyBatch(*classifier, *args) : ClassifyOne(*classifier, *args);
  });
}

}  // namespace attrib::cli
