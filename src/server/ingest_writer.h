// Ingest in two steps, on two threads:
//   - acknowledging: one thread writes what every request brought to the inbox (inbox.h), many
//     requests per transaction (group commit), and answers each once its entry is on the disk;
//   - folding: another takes the acknowledged requests into the store in large transactions,
//     in the order they were acknowledged, and derives the projects it appended to at most
//     every derive_interval (credits follow ingest within about that long when the store keeps
//     up). Appends and derivations of a store never run at once, so a person marked for
//     derivation while being derived is never lost.
// The parsed batches of acknowledged requests wait in memory up to a budget; beyond it, and
// after a restart, they are read back from the inbox and parsed again.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "attrib/store.h"
#include "server/inbox.h"

namespace attrib::server {

struct WriterOptions {
  // Bytes of requests waiting for the inbox's commit; a request beyond it is turned away
  // (Unavailable: the server answers 503 with Retry-After) rather than queued without bound.
  size_t max_queued_bytes = 64 << 20;
  // Bytes of bodies acknowledged but not yet in the store: beyond it, requests are turned
  // away until the store catches up.
  size_t max_backlog_bytes = size_t{1} << 30;
  // Of those, the parsed batches kept in memory.
  size_t max_parsed_bytes = 256 << 20;
  // Bodies folded into the store per transaction, at most. Small: each store commit is written
  // out and flushed to the disk at once, and the inbox's next fsync waits behind it; at 100 k
  // events/s, 16 MB folds gave a p99 of 70 ms, 1 MB ones 18-23 ms, 256 KB ones 14-20 ms
  // (docs/performance.md), for about the same folding speed.
  size_t fold_bytes = 256 << 10;
  std::chrono::milliseconds derive_interval{1000};
  // How long a stop may go on folding and deriving what was acknowledged (none is started
  // after it; one under way is finished); what is left then waits for the next start, in the
  // inbox and in the store's marks.
  std::chrono::milliseconds stop_budget{10000};
};

// What the writer reports (the server's /metrics).
struct WriterObserver {
  // An inbox commit: its time and the requests it acknowledged.
  std::function<void(double seconds, size_t requests)> committed;
  // A fold into the store: its time, what the store made of the messages, and the requests
  // acknowledged but not yet folded.
  std::function<void(double seconds, const IngestCounts&, size_t backlog)> folded;
  std::function<void(double seconds, const DeriveCounts&)> derived;
  // An inbox commit or a fold failed after succeeding (the fold is tried again every second).
  std::function<void(std::string_view what, const Status&)> failed;
};

class IngestWriter {
 public:
  // Opens a project's store for writing (called on the folding thread, once per project).
  using OpenStore = std::function<Result<std::unique_ptr<Store>>(const std::string& project)>;
  // Parses an inbox entry (again) into what the store appends.
  using Parse = std::function<IngestBatch(const InboxEntry&)>;
  // Receives the outcome of a request: Ok once it is in the inbox.
  using Done = std::function<void(Status)>;

  // Opens the inbox at `inbox_path` and starts both threads; what the inbox holds from an
  // earlier run is folded first.
  static Result<std::unique_ptr<IngestWriter>> Start(const std::string& inbox_path, OpenStore open,
                                                     Parse parse, WriterOptions options,
                                                     WriterObserver observer = {});
  ~IngestWriter();  // Stop()
  IngestWriter(const IngestWriter&) = delete;
  IngestWriter& operator=(const IngestWriter&) = delete;

  // Queues `entry`, parsed as `batch`; `done` runs once it is acknowledged or has failed.
  // Unavailable (and `done` is not called) when too much is waiting or the writer has stopped.
  Status Submit(InboxEntry entry, IngestBatch batch, Done done);

  // Opens a project's store now and derives what it has pending, so that its first request
  // does not wait for that. Returns once done.
  Status Open(const std::string& project);

  // Acknowledges what is queued, folds and derives what was acknowledged (for at most
  // stop_budget), and stops.
  void Stop();

  // False after an inbox commit or a fold failed, until one succeeds (the server's /readyz).
  bool healthy() const;

  // The requests an earlier run acknowledged and left in the inbox (folded first).
  int64_t left_by_earlier_run() const { return left_by_earlier_run_; }

  // Counts the writes to `project`'s store (each fold, each chunk of a derivation), once each
  // is committed: an answer read from it holds while this is unchanged (but for the moment
  // between a commit and its count).
  uint64_t store_changes(const std::string& project) const;

 private:
  struct Request {
    InboxEntry entry;
    IngestBatch batch;
    Done done;
    size_t bytes = 0;
  };
  // An acknowledged request waiting to be folded.
  struct Acked {
    size_t body_bytes = 0;
    std::string project;
    std::optional<IngestBatch> batch;  // none: read back from the inbox
    size_t batch_bytes = 0;
  };

  IngestWriter(Inbox inbox, OpenStore open, Parse parse, WriterOptions options,
               WriterObserver observer);
  void RunAcks();
  void RunFolds();
  Result<Store*> StoreOf(const std::string& project);
  void CountChange(const std::string& project);
  // Derive's progress callback: counts each commit.
  std::function<void(uint64_t, uint64_t)> CountChanges(const std::string& project);
  // Folds the acknowledged entries [from, to] into their stores.
  Status Fold(int64_t from, int64_t to, std::map<int64_t, Acked>& acked);
  void DerivePending();

  Inbox inbox_;
  int64_t left_by_earlier_run_ = 0;
  mutable std::mutex changes_mu_;
  std::map<std::string, uint64_t> changes_;  // by project: store_changes()
  OpenStore open_;
  Parse parse_;
  const WriterOptions options_;
  const WriterObserver observer_;

  mutable std::mutex mu_;
  std::condition_variable wake_acks_, wake_folds_;
  std::vector<Request> queue_;
  size_t queued_bytes_ = 0;
  std::map<int64_t, Acked> acked_;  // by inbox id
  int64_t acked_through_ = 0;       // the last id acknowledged (or found in the inbox)
  int64_t folded_through_ = 0;      // the last id folded into the store
  size_t backlog_bytes_ = 0, parsed_bytes_ = 0;
  std::vector<std::pair<std::string, std::function<void(Status)>>> opens_;
  bool stopping_ = false, acks_stopped_ = false;
  bool inbox_healthy_ = true, store_healthy_ = true;

  // The folding thread's own.
  std::map<std::string, std::unique_ptr<Store>> stores_;
  std::map<std::string, bool> pending_;  // projects appended to since their last derivation
  std::chrono::steady_clock::time_point last_derive_{};

  std::thread acks_, folds_;
};

}  // namespace attrib::server
