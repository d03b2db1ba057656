// Group commit: one thread appends what every request brought, many requests per transaction,
// and answers each request once the commit holding its events is on the disk. The same thread
// derives the projects it appended to, at most every derive_interval: credits follow ingest
// within about that long. Appends and derivations of a store never run at once, so a person
// marked for derivation while being derived is never lost.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "attrib/store.h"

namespace attrib::server {

struct WriterOptions {
  // Bytes of parsed batches waiting for the writer; a request beyond it is turned away
  // (Unavailable: the server answers 503 with Retry-After) rather than queued without bound.
  size_t max_queued_bytes = 64 << 20;
  std::chrono::milliseconds derive_interval{1000};
};

// What the writer reports after each commit and derivation (the server's /metrics).
struct WriterObserver {
  std::function<void(double seconds, size_t requests)> committed;
  std::function<void(double seconds, const DeriveCounts&)> derived;
};

class IngestWriter {
 public:
  // Opens a project's store for writing (called on the writer thread, once per project).
  using OpenStore = std::function<Result<std::unique_ptr<Store>>(const std::string& project)>;
  // Receives a request's counts (or why its batch was not stored), on the writer thread.
  using Done = std::function<void(Result<IngestCounts>)>;

  IngestWriter(OpenStore open, WriterOptions options, WriterObserver observer = {});
  ~IngestWriter();  // Stop()
  IngestWriter(const IngestWriter&) = delete;
  IngestWriter& operator=(const IngestWriter&) = delete;

  // Queues `batch` for `project`; `done` runs once it is committed or has failed. Unavailable
  // (and `done` is not called) when too much is waiting or the writer has stopped.
  Status Submit(const std::string& project, IngestBatch batch, Done done);

  // Opens a project's store now and derives what it has pending, so that its first request
  // does not wait for that. Returns once done.
  Status Open(const std::string& project);

  // Commits what is queued, derives what is pending and stops the thread.
  void Stop();

  // False after a commit failed, until one succeeds (the server's /readyz).
  bool healthy() const;

 private:
  struct Request {
    std::string project;
    IngestBatch batch;
    Done done;
    size_t bytes = 0;
  };
  void Run();
  Result<Store*> StoreOf(const std::string& project);
  void Commit(std::vector<Request>& requests);
  void DerivePending();

  OpenStore open_;
  const WriterOptions options_;
  const WriterObserver observer_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Request> queue_;
  size_t queued_bytes_ = 0;
  std::vector<std::pair<std::string, std::function<void(Status)>>> opens_;
  bool stopping_ = false;
  bool healthy_ = true;

  // The writer thread's own.
  std::map<std::string, std::unique_ptr<Store>> stores_;
  std::map<std::string, bool> pending_;  // projects appended to since their last derivation
  std::chrono::steady_clock::time_point last_derive_{};
  std::thread thread_;
};

}  // namespace attrib::server
