// attrib import --db DB FILE…: Segment messages into the store, durably and idempotently.
// Blocks of lines are parsed and classified on worker threads and appended in input order, one
// transaction per block; then every person the new events touch is derived again. A killed
// import loses nothing committed: run it again and it skips what is stored and finishes the
// derivation.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.h"
#include "cli/input.h"
#include "cli/io.h"
#include "cli/store_cmd.h"
#include "cli/table.h"
#include "common/strings.h"
#include "storage/ingest_rows.h"

namespace attrib::cli {
namespace {

// Blocks appended per transaction (each commit writes every page it touched to the log, and
// SQLite walks its page cache at the end of each), and parsed blocks waiting for the writer.
constexpr uint64_t kBlocksPerCommit = 64;
constexpr uint64_t kMaxPendingBlocks = 2 * kBlocksPerCommit;

struct ImportArgs {
  StoreArgs store;
  std::vector<std::string> inputs;
  int threads = -1;
};

// Progress on stderr, when it is a terminal: redrawn at most a few times a second.
class Progress {
 public:
  Progress() : tty_(isatty(STDERR_FILENO) == 1) {}
  ~Progress() { Done(); }
  void Show(const std::string& text) {
    if (!tty_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    shown_ = true;
  }
  void Done() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
    shown_ = false;
  }

 private:
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

// Parses one block of whole lines into `batch`.
void ParseBlock(const query::InputBlock& block, const std::string& source, uint64_t first_line,
                storage::RowBuilder* builder, IngestBatch* batch) {
  query::ForEachDocument(block.lines, [&](std::string_view line, uint64_t n) {
    builder->AddDocument(line, source, first_line + n, batch);
  });
}

// Lines in whole lines of text (the last one may lack its line end).
uint64_t CountLines(std::string_view text) {
  const auto n = static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n'));
  return n + (!text.empty() && text.back() != '\n');
}

std::string SummaryJson(const IngestCounts& in, const DeriveCounts& derived) {
  nlohmann::ordered_json j;
  j["received"] = in.received;
  j["accepted"] = in.accepted;
  j["duplicates"] = in.duplicates;
  j["rejected"] = in.rejected;
  nlohmann::ordered_json reasons = nlohmann::ordered_json::object();
  for (int r = 0; r < ingest::kRejectReasonCount; ++r) {
    if (in.rejected_by_reason[r] != 0) {
      reasons[std::string(ingest::ToString(static_cast<ingest::RejectReason>(r)))] =
          in.rejected_by_reason[r];
    }
  }
  j["rejected_by_reason"] = reasons;
  j["people_derived"] = derived.people;
  j["conversions_credited"] = derived.conversions;
  j["conversions_restated"] = derived.restated;
  return j.dump(2) + "\n";
}

int Run(const ImportArgs& args) {
  StoreContext ctx;
  if (int rc = LoadSetup(args.store, &ctx); rc != 0) return rc;
  // A missing second file is reported before the store is created or anything is read.
  BlockReader reader(args.inputs);
  if (Status s = reader.CheckInputs(); !s.ok()) {
    PrintError(s);
    return 1;
  }
  if (int rc = OpenStore(args.store, /*create=*/true, &ctx); rc != 0) return rc;
  const Classifier& classifier = *ctx.classifier;
  Store& store = *ctx.store;
  const query::AnalysisOptions& a = ctx.config.analysis;
  const PersonOptions person{a.sessions, a.conversions, a.heuristics};
  int threads = args.threads >= 0 ? args.threads : ctx.config.threads;
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  // Workers parse blocks in any order; the writer appends them in input order.
  std::mutex mu;
  std::condition_variable changed;
  std::map<uint64_t, IngestBatch> parsed;
  uint64_t handed_out = 0;  // blocks given to workers
  uint64_t appended = 0;    // blocks appended
  int workers_left = threads;
  bool stop = false;  // after a failure: read no more
  std::vector<uint64_t> lines_read(args.inputs.size(), 0);
  const Micros now = ctx.clock.Now();
  const auto work = [&] {
    storage::RowBuilder builder(classifier, person, now);
    query::InputBlock block;
    for (;;) {
      uint64_t sequence, first_line;
      {
        std::unique_lock lock(mu);
        changed.wait(lock, [&] { return stop || handed_out - appended < kMaxPendingBlocks; });
        if (stop || !reader.Next(&block)) break;
        sequence = handed_out++;
        first_line = lines_read[block.source] + 1;
        lines_read[block.source] += CountLines(block.lines);
      }
      IngestBatch batch;
      ParseBlock(block, reader.paths()[block.source], first_line, &builder, &batch);
      builder.Finish(&batch);
      std::lock_guard lock(mu);
      parsed.emplace(sequence, std::move(batch));
      changed.notify_all();
    }
    std::lock_guard lock(mu);
    --workers_left;
    changed.notify_all();
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work);

  IngestCounts total;
  Status failed;
  Progress progress;
  const auto started = std::chrono::steady_clock::now();
  for (;;) {
    std::vector<IngestBatch> batches;
    {
      // The next kBlocksPerCommit blocks in order, or those left when the workers are done
      // (having parsed every block they took).
      std::unique_lock lock(mu);
      const auto ready = [&] {
        uint64_t n = 0;
        while (n < kBlocksPerCommit && parsed.count(appended + n) != 0) ++n;
        return n;
      };
      changed.wait(lock, [&] { return workers_left == 0 || ready() == kBlocksPerCommit; });
      const uint64_t n = ready();
      if (n == 0) break;
      for (uint64_t i = 0; i < n; ++i) {
        auto it = parsed.find(appended + i);
        batches.push_back(std::move(it->second));
        parsed.erase(it);
      }
    }
    if (failed.ok()) {
      Result<std::vector<IngestCounts>> counts = store.Append(batches);
      if (counts.ok()) {
        for (const IngestCounts& c : *counts) total.Add(c);
      } else {
        failed = counts.status();
      }
    }
    {
      std::lock_guard lock(mu);
      appended += batches.size();
      if (!failed.ok()) stop = true;
      changed.notify_all();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    progress.Show(fmt::format("import: {} messages ({:.0f}/s)", WithThousands(total.received),
                              static_cast<double>(total.received) / std::max(seconds, 1e-3)));
  }
  for (std::thread& t : pool) t.join();
  progress.Done();
  if (!reader.status().ok() && failed.ok()) failed = reader.status();
  if (!failed.ok()) {
    PrintError(failed);
    std::fprintf(stderr,
                 "attrib: %s messages stored before the error; run the import again to "
                 "finish it\n",
                 WithThousands(total.accepted).c_str());
    return 1;
  }

  Result<DeriveCounts> derived = store.Derive([&progress](uint64_t done, uint64_t all) {
    progress.Show(fmt::format("derive: {} of {} ids ({:.0f} %)", WithThousands(done),
                              WithThousands(all), all == 0 ? 100.0 : 100.0 * done / all));
  });
  progress.Done();
  if (!derived.ok()) {
    PrintError(derived.status());
    return 1;
  }
  if (Status s = store.Checkpoint(); !s.ok()) {
    PrintError(s);
    return 1;
  }
  return PrintOut(SummaryJson(total, *derived));
}

}  // namespace

void AddImportCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<ImportArgs>();
  CLI::App* cmd = app->add_subcommand(
      "import",
      "Store Segment messages (JSON lines, .gz too) durably, then derive and credit them");
  AddStoreOptions(cmd, &args->store, /*rules=*/true);
  cmd->add_option("files", args->inputs,
                  "Segment messages as JSON lines (or {\"batch\":[…]} lines); '-' for stdin")
      ->required();
  cmd->add_option("--threads", args->threads, "Parsing threads (0: one per core)")
      ->check(CLI::Range(0, 256));
  cmd->callback([args, exit_code] { *exit_code = Run(*args); });
}

}  // namespace attrib::cli
