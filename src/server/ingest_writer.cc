#include "server/ingest_writer.h"

#include <fmt/format.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <future>

namespace attrib::server {
namespace {

// Entries read back from the inbox per fold, when their size is not known beforehand.
constexpr int64_t kEntriesReadPerFold = 256;
// The folding thread's niceness, above the other threads' (Linux: per thread).
constexpr int kFoldNice = 19;
// … and its disk writes' class: idle, served when the acknowledging thread's are not waiting
// (ioprio_set(2); no glibc wrapper, so the kernel's values). Never starved for long: the
// mq-deadline and BFQ schedulers serve idle requests that have waited too long (mq-deadline
// after prio_aging_expire, 10 s; BFQ after 200 ms without idle service); others ignore it.
constexpr int kIoprioWhoProcess = 1;
constexpr int kFoldIoPriority = 3 << 13;  // IOPRIO_CLASS_IDLE
// How long folded entries stay in the inbox when no request comes to forget them with.
constexpr std::chrono::seconds kForgetAfter{1};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

size_t BytesOf(const IngestBatch& b) {
  size_t n = b.arena.size();
  for (const VisitorBlock& block : b.blocks) n += block.data.size() + 8 * block.keys.size();
  return n + 64 * (b.blocks.size() + b.links.size() + b.bad_rows.size());
}

}  // namespace

Result<std::unique_ptr<IngestWriter>> IngestWriter::Start(const std::string& inbox_path,
                                                          OpenStore open, Parse parse,
                                                          WriterOptions options,
                                                          WriterObserver observer) {
  Result<Inbox> inbox = Inbox::Open(inbox_path);
  if (!inbox.ok()) {
    return Status(inbox.status().code(),
                  fmt::format("the inbox {}: {}", inbox_path, inbox.status().message()));
  }
  ATTRIB_ASSIGN_OR_RETURN(const auto span, inbox->Span());
  std::unique_ptr<IngestWriter> w(new IngestWriter(std::move(inbox).value(), std::move(open),
                                                   std::move(parse), options, std::move(observer)));
  // What an earlier run acknowledged and did not fold (or folded and did not forget).
  w->folded_through_ = span.first - 1;
  w->acked_through_ = span.second;
  w->left_by_earlier_run_ = span.second - span.first + 1;
  w->acks_ = std::thread([p = w.get()] { p->RunAcks(); });
  w->folds_ = std::thread([p = w.get()] { p->RunFolds(); });
  return w;
}

IngestWriter::IngestWriter(Inbox inbox, OpenStore open, Parse parse, WriterOptions options,
                           WriterObserver observer)
    : inbox_(std::move(inbox)),
      open_(std::move(open)),
      parse_(std::move(parse)),
      options_(options),
      observer_(std::move(observer)) {}

IngestWriter::~IngestWriter() { Stop(); }

Status IngestWriter::Submit(InboxEntry entry, IngestBatch batch, Done done) {
  const size_t bytes = entry.body.size() + BytesOf(batch);
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status::Unavailable("the server is shutting down");
    if (queued_bytes_ + bytes > options_.max_queued_bytes && !queue_.empty()) {
      return Status::Unavailable("the store is busy: too much is waiting to be written");
    }
    if (backlog_bytes_ + entry.body.size() > options_.max_backlog_bytes) {
      return Status::Unavailable(
          fmt::format("the store is behind: {} MB acknowledged are waiting to be stored",
                      backlog_bytes_ >> 20));
    }
    queued_bytes_ += bytes;
    queue_.push_back(Request{std::move(entry), std::move(batch), std::move(done), bytes});
  }
  wake_acks_.notify_one();
  return Status::Ok();
}

Status IngestWriter::Open(const std::string& project) {
  auto opened = std::make_shared<std::promise<Status>>();
  std::future<Status> result = opened->get_future();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status::Unavailable("the server is shutting down");
    opens_.emplace_back(project, [opened](Status s) { opened->set_value(std::move(s)); });
  }
  wake_folds_.notify_one();
  return result.get();
}

void IngestWriter::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_acks_.notify_one();
  if (acks_.joinable()) acks_.join();
  if (folds_.joinable()) folds_.join();
}

bool IngestWriter::healthy() const {
  std::lock_guard lock(mu_);
  return inbox_healthy_ && store_healthy_;
}

void IngestWriter::RunAcks() {
  pthread_setname_np(pthread_self(), "attrib-ack");
  int64_t forgotten = 0;
  for (;;) {
    std::vector<Request> requests;
    int64_t forget;
    bool stopping, probe;
    {
      std::unique_lock lock(mu_);
      // Folded entries are forgotten with the next acknowledgements, or after a while without;
      // after a failed commit, an empty one tries the inbox again after a while (/readyz).
      const auto work = [&] { return stopping_ || !queue_.empty(); };
      while (!work()) {
        if (folded_through_ > forgotten || !inbox_healthy_) {
          wake_acks_.wait_for(lock, kForgetAfter, work);
          break;
        }
        wake_acks_.wait(lock);
      }
      requests.swap(queue_);
      queued_bytes_ = 0;
      forget = folded_through_;
      stopping = stopping_;
      probe = !inbox_healthy_;
    }
    if (!requests.empty() || forget > forgotten || probe) {
      const auto start = std::chrono::steady_clock::now();
      std::vector<InboxEntry*> entries;
      entries.reserve(requests.size());
      for (Request& r : requests) entries.push_back(&r.entry);
      const Status committed = inbox_.Append(entries, forget);
      if (observer_.committed && committed.ok() && !requests.empty()) {
        observer_.committed(SecondsSince(start), requests.size());
      }
      bool failed;  // after succeeding: logged once per streak
      {
        std::lock_guard lock(mu_);
        failed = !committed.ok() && inbox_healthy_;
        inbox_healthy_ = committed.ok();
        if (committed.ok()) {
          forgotten = forget;
          for (Request& r : requests) {
            Acked& a = acked_[r.entry.id];
            a.body_bytes = r.entry.body.size();
            a.project = std::move(r.entry.project);
            backlog_bytes_ += a.body_bytes;
            const size_t parsed = BytesOf(r.batch);
            if (parsed_bytes_ + parsed <= options_.max_parsed_bytes) {
              a.batch = std::move(r.batch);
              a.batch_bytes = parsed;
              parsed_bytes_ += parsed;
            }
            acked_through_ = r.entry.id;
          }
        }
      }
      if (failed && observer_.failed) {
        observer_.failed("acknowledging requests (writing them to the inbox)", committed);
      }
      if (committed.ok() && !requests.empty()) wake_folds_.notify_one();
      // Answered last, so that a client asking /metrics or /readyz after its answer sees this
      // commit.
      for (Request& r : requests) r.done(committed);
    }
    if (stopping) {
      std::lock_guard lock(mu_);
      if (queue_.empty()) {
        acks_stopped_ = true;
        break;
      }
    }
  }
  wake_folds_.notify_one();
}

void IngestWriter::RunFolds() {
  pthread_setname_np(pthread_self(), "attrib-fold");
  // Below the threads that read requests and acknowledge them: under load, acknowledgements
  // stay quick and folding takes the time left (the backlog limit stops it falling too far
  // behind).
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kFoldNice);
  (void)syscall(SYS_ioprio_set, kIoprioWhoProcess, gettid(), kFoldIoPriority);
  int64_t next;
  {
    std::lock_guard lock(mu_);
    next = folded_through_ + 1;
  }
  std::map<int64_t, Acked> taken;  // the entries being folded: [next, to]
  int64_t to = 0;
  bool retry = false;  // the last fold failed: pause before the next try
  std::optional<std::chrono::steady_clock::time_point> stop_deadline;
  for (;;) {
    std::vector<std::pair<std::string, std::function<void(Status)>>> opens;
    bool stopped;
    {
      std::unique_lock lock(mu_);
      const auto ready = [&] {
        return !opens_.empty() || acks_stopped_ || (!retry && acked_through_ >= next);
      };
      if (retry) {
        wake_folds_.wait_for(lock, std::chrono::seconds(1), ready);
      } else if (pending_.empty()) {
        wake_folds_.wait(lock, ready);
      } else {
        wake_folds_.wait_until(lock, last_derive_ + options_.derive_interval, ready);
      }
      opens.swap(opens_);
      stopped = acks_stopped_;
      if (taken.empty() && acked_through_ >= next) {
        // The next entries, up to fold_bytes of bodies; those an earlier run left are read
        // back a few hundred at a time.
        auto it = acked_.begin();
        if (it == acked_.end() || it->first > next) {
          to = std::min(it == acked_.end() ? acked_through_ : it->first - 1,
                        next + kEntriesReadPerFold - 1);
          taken[next];  // none in memory: a marker that [next, to] is taken
        } else {
          size_t bytes = 0;
          to = next - 1;
          // Consecutive ids only: a gap (ids of a commit that failed) is read from the inbox.
          while (it != acked_.end() && it->first == to + 1 && bytes < options_.fold_bytes) {
            bytes += it->second.body_bytes;
            to = it->first;
            taken.insert(acked_.extract(it++));
          }
        }
      }
    }
    for (auto& [project, done] : opens) done(StoreOf(project).status());
    retry = false;
    if (!taken.empty()) {
      const Status folded = Fold(next, to, taken);
      std::unique_lock lock(mu_);
      const bool failed = !folded.ok() && store_healthy_;  // logged once per streak
      store_healthy_ = folded.ok();
      if (folded.ok()) {
        for (const auto& [id, a] : taken) {
          backlog_bytes_ -= a.body_bytes;
          parsed_bytes_ -= a.batch_bytes;
        }
        taken.clear();
        next = to + 1;
        folded_through_ = to;
        wake_acks_.notify_one();  // to forget what was folded, in a while
      } else {
        retry = true;
      }
      lock.unlock();
      if (failed && observer_.failed) {
        observer_.failed("storing acknowledged requests (they wait in the inbox)", folded);
      }
    }
    const bool caught_up = [&] {
      std::lock_guard lock(mu_);
      return next > acked_through_;
    }();
    const auto now = std::chrono::steady_clock::now();
    if (stopped && !stop_deadline) stop_deadline = now + options_.stop_budget;
    const bool out_of_time = stop_deadline && now >= *stop_deadline;
    if (!pending_.empty() && !out_of_time &&
        ((stopped && caught_up) || now >= last_derive_ + options_.derive_interval)) {
      DerivePending();
    }
    // Stopping: once everything acknowledged is folded and derived, or folding fails, or
    // takes too long. The inbox keeps what is left for the next start, and the store the
    // people left to derive.
    if (stopped && (caught_up || retry || out_of_time)) break;
  }
  // The acknowledging thread has stopped: forget what was folded since its last commit.
  int64_t folded;
  {
    std::lock_guard lock(mu_);
    folded = folded_through_;
  }
  if (folded > 0) (void)inbox_.Append({}, folded);
  for (auto& [project, store] : stores_) (void)store->Checkpoint();
}

Status IngestWriter::Fold(int64_t from, int64_t to, std::map<int64_t, Acked>& taken) {
  const auto start = std::chrono::steady_clock::now();
  // By project, in inbox order: the batches parsed in memory, and those of the entries read
  // back from the inbox and parsed again (left by an earlier run, or beyond the memory budget).
  std::map<std::string, std::vector<IngestBatch>> by_project;
  const bool in_memory = std::all_of(taken.begin(), taken.end(),
                                     [](const auto& t) { return t.second.batch.has_value(); });
  if (in_memory) {
    for (auto& [id, a] : taken) by_project[a.project].push_back(std::move(*a.batch));
  } else {
    ATTRIB_ASSIGN_OR_RETURN(std::vector<InboxEntry> read, inbox_.Read(from, to));
    for (const InboxEntry& e : read) {
      auto it = taken.find(e.id);
      std::vector<IngestBatch>& batches = by_project[e.project];
      if (it != taken.end() && it->second.batch) {
        batches.push_back(std::move(*it->second.batch));
      } else {
        batches.push_back(parse_(e));
      }
    }
  }
  for (auto& [id, a] : taken) a.batch.reset();  // moved: read back again if this fold fails

  IngestCounts total;
  for (const auto& entry : by_project) {
    const std::string& project = entry.first;  // not a structured binding: the lambda names it
    Result<std::vector<IngestCounts>> counts = [&]() -> Result<std::vector<IngestCounts>> {
      ATTRIB_ASSIGN_OR_RETURN(Store * store, StoreOf(project));
      return store->Append(entry.second);
    }();
    CountChange(project);
    if (!counts.ok()) {
      stores_.erase(project);  // a store that failed mid-way is opened again for the next try
      return counts.status();
    }
    for (const IngestCounts& c : *counts) total.Add(c);
    pending_[project] = true;
  }
  int64_t backlog;
  {
    std::lock_guard lock(mu_);
    backlog = acked_through_ - to;
  }
  if (observer_.folded) {
    observer_.folded(SecondsSince(start), total,
                     static_cast<size_t>(std::max<int64_t>(backlog, 0)));
  }
  return Status::Ok();
}

uint64_t IngestWriter::store_changes(const std::string& project) const {
  std::lock_guard lock(changes_mu_);
  const auto it = changes_.find(project);
  return it == changes_.end() ? 0 : it->second;
}

void IngestWriter::CountChange(const std::string& project) {
  std::lock_guard lock(changes_mu_);
  ++changes_[project];
}

std::function<void(uint64_t, uint64_t)> IngestWriter::CountChanges(const std::string& project) {
  // A derivation commits chunk by chunk, and reports its progress after each commit (Store).
  return [this, project](uint64_t, uint64_t) { CountChange(project); };
}

Result<Store*> IngestWriter::StoreOf(const std::string& project) {
  auto it = stores_.find(project);
  if (it != stores_.end()) return it->second.get();
  ATTRIB_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, open_(project));
  // Whatever an earlier process stored but did not derive (and, for a project never derived,
  // its first derivation) before the first new events.
  ATTRIB_RETURN_IF_ERROR(store->Derive(CountChanges(project)).status());
  return stores_.emplace(project, std::move(store)).first->second.get();
}

void IngestWriter::DerivePending() {
  const auto start = std::chrono::steady_clock::now();
  DeriveCounts total;
  for (auto it = pending_.begin(); it != pending_.end();) {
    auto store = stores_.find(it->first);
    if (store == stores_.end()) {
      // Closed after a failure: opening it again derives what it has pending.
      if (StoreOf(it->first).ok()) {
        it = pending_.erase(it);
      } else {
        ++it;
      }
      continue;
    }
    Result<DeriveCounts> counts = store->second->Derive(CountChanges(it->first));
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
