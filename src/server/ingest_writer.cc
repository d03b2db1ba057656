#include "server/ingest_writer.h"

#include <future>

namespace attrib::server {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

size_t BytesOf(const IngestBatch& b) {
  size_t n = b.arena.size();
  for (const VisitorBlock& block : b.blocks) n += block.data.size() + 8 * block.keys.size();
  return n + 64 * (b.blocks.size() + b.links.size() + b.bad_rows.size());
}

}  // namespace

IngestWriter::IngestWriter(OpenStore open, WriterOptions options, WriterObserver observer)
    : open_(std::move(open)), options_(options), observer_(std::move(observer)) {
  thread_ = std::thread([this] { Run(); });
}

IngestWriter::~IngestWriter() { Stop(); }

Status IngestWriter::Submit(const std::string& project, IngestBatch batch, Done done) {
  const size_t bytes = BytesOf(batch);
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status::Unavailable("the server is shutting down");
    if (queued_bytes_ + bytes > options_.max_queued_bytes && !queue_.empty()) {
      return Status::Unavailable("the store is busy: too much is waiting to be written");
    }
    queued_bytes_ += bytes;
    queue_.push_back(Request{project, std::move(batch), std::move(done), bytes});
  }
  wake_.notify_one();
  return Status::Ok();
}

Status IngestWriter::Open(const std::string& project) {
  std::promise<Status> opened;
  std::future<Status> result = opened.get_future();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status::Unavailable("the server is shutting down");
    opens_.emplace_back(project, [&opened](Status s) { opened.set_value(std::move(s)); });
  }
  wake_.notify_one();
  return result.get();
}

void IngestWriter::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

bool IngestWriter::healthy() const {
  std::lock_guard lock(mu_);
  return healthy_;
}

Result<Store*> IngestWriter::StoreOf(const std::string& project) {
  auto it = stores_.find(project);
  if (it != stores_.end()) return it->second.get();
  ATTRIB_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, open_(project));
  // Whatever an earlier process stored but did not derive (and, for a project never derived,
  // its first derivation) before the first new events.
  ATTRIB_RETURN_IF_ERROR(store->Derive([](uint64_t, uint64_t) {}).status());
  return stores_.emplace(project, std::move(store)).first->second.get();
}

void IngestWriter::Run() {
  for (;;) {
    std::vector<Request> requests;
    std::vector<std::pair<std::string, std::function<void(Status)>>> opens;
    bool stopping;
    {
      std::unique_lock lock(mu_);
      const auto due = last_derive_ + options_.derive_interval;
      const auto ready = [this] { return stopping_ || !queue_.empty() || !opens_.empty(); };
      if (pending_.empty()) {
        wake_.wait(lock, ready);
      } else {
        wake_.wait_until(lock, due, ready);
      }
      requests.swap(queue_);
      opens.swap(opens_);
      queued_bytes_ = 0;
      stopping = stopping_;
    }
    for (auto& [project, done] : opens) done(StoreOf(project).status());
    if (!requests.empty()) Commit(requests);
    if (!pending_.empty() &&
        (stopping || std::chrono::steady_clock::now() >= last_derive_ + options_.derive_interval)) {
      DerivePending();
    }
    if (stopping) {
      std::lock_guard lock(mu_);
      if (queue_.empty() && opens_.empty()) break;
    }
  }
  for (auto& [project, store] : stores_) (void)store->Checkpoint();
}

void IngestWriter::Commit(std::vector<Request>& requests) {
  const auto start = std::chrono::steady_clock::now();
  // One transaction per project, its requests' batches in arrival order.
  std::map<std::string, std::vector<size_t>> by_project;
  for (size_t i = 0; i < requests.size(); ++i) by_project[requests[i].project].push_back(i);
  std::vector<std::pair<size_t, Result<IngestCounts>>> outcomes;  // by request
  bool ok = true;
  for (const auto& entry : by_project) {
    const std::string& project = entry.first;  // not a structured binding: the lambda names it
    const std::vector<size_t>& members = entry.second;
    Result<std::vector<IngestCounts>> counts = [&]() -> Result<std::vector<IngestCounts>> {
      ATTRIB_ASSIGN_OR_RETURN(Store * store, StoreOf(project));
      std::vector<IngestBatch> batches;
      batches.reserve(members.size());
      for (size_t i : members) batches.push_back(std::move(requests[i].batch));
      return store->Append(batches);
    }();
    if (counts.ok()) {
      pending_[project] = true;
      for (size_t k = 0; k < members.size(); ++k) outcomes.emplace_back(members[k], (*counts)[k]);
    } else {
      ok = false;
      // A store that failed mid-way is opened again for the next commit.
      stores_.erase(project);
      for (size_t i : members) outcomes.emplace_back(i, counts.status());
    }
  }
  {
    std::lock_guard lock(mu_);
    healthy_ = ok;
  }
  if (observer_.committed) observer_.committed(SecondsSince(start), requests.size());
  // Answered last, so that a client asking /metrics or /readyz after its answer sees this commit.
  for (auto& [i, outcome] : outcomes) requests[i].done(std::move(outcome));
}

void IngestWriter::DerivePending() {
  const auto start = std::chrono::steady_clock::now();
  DeriveCounts total;
  for (auto it = pending_.begin(); it != pending_.end();) {
    auto store = stores_.find(it->first);
    if (store == stores_.end()) {
      it = pending_.erase(it);
      continue;
    }
    Result<DeriveCounts> counts = store->second->Derive([](uint64_t, uint64_t) {});
    if (!counts.ok()) {
      // Left pending: the next round tries again.
      stores_.erase(store);
      ++it;
      continue;
    }
    total.people += counts->people;
    total.conversions += counts->conversions;
    total.restated += counts->restated;
    it = pending_.erase(it);
  }
  last_derive_ = std::chrono::steady_clock::now();
  if (observer_.derived) observer_.derived(SecondsSince(start), total);
}

}  // namespace attrib::server
