#include "query/batch.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cmath>
#include <mutex>
#include <thread>

#include "attribution/fixed.h"
#include "common/flat_map.h"
#include "common/strings.h"
#include "query/batch_parse.h"
#include "query/data_driven.h"
#include "storage/visit.h"

namespace attrib::query {

using internal::ClassInfo;
using internal::EventStream;
using internal::ParseWorker;

namespace {

// People are partitioned into this many buckets, processed independently.
constexpr int kBucketBits = 8;
constexpr size_t kBuckets = size_t{1} << kBucketBits;

size_t BucketOf(uint64_t person) {
  return static_cast<size_t>((person * 0x9E3779B97F4A7C15ULL) >> (64 - kBucketBits));
}

// Journeys by their path of groups: how many converted, their revenue, and how many did not
// — the data-driven models' input, one per thread, merged at the end.
class PathCounts {
 public:
  void Add(std::span<const uint32_t> path, bool converted, Fixed revenue) {
    Counts& c = CountsOf(path);
    ++(converted ? c.conversions : c.nulls);
    c.revenue += revenue;
  }

  void AddAll(const PathCounts& other) {
    for (size_t i = 0; i < other.counts_.size(); ++i) {
      Counts& c = CountsOf(other.path(i));
      c.conversions += other.counts_[i].conversions;
      c.nulls += other.counts_[i].nulls;
      c.revenue += other.counts_[i].revenue;
    }
  }

  // Every path with its counts (CreditDataDriven puts them in order).
  std::vector<GroupPath> Rows() const {
    std::vector<GroupPath> rows(counts_.size());
    for (size_t i = 0; i < counts_.size(); ++i) {
      const std::span<const uint32_t> p = path(i);
      rows[i] = GroupPath{
          {p.begin(), p.end()}, counts_[i].conversions, counts_[i].nulls, counts_[i].revenue};
    }
    return rows;
  }

 private:
  struct Counts {
    uint64_t conversions = 0, nulls = 0;
    Fixed revenue = 0;
  };

  // The counts of `path`, zero when it is new.
  Counts& CountsOf(std::span<const uint32_t> path) {
    uint32_t& id = ids_[{reinterpret_cast<const char*>(path.data()), path.size_bytes()}];
    if (id == 0) {
      groups_.insert(groups_.end(), path.begin(), path.end());
      begin_.push_back(groups_.size());
      counts_.emplace_back();
      id = static_cast<uint32_t>(counts_.size());
    }
    return counts_[id - 1];
  }
  std::span<const uint32_t> path(size_t i) const {
    return std::span(groups_.data() + begin_[i], begin_[i + 1] - begin_[i]);
  }

  FlatStringMap<uint32_t> ids_;   // path → 1 + index
  std::vector<uint32_t> groups_;  // every path's groups, back to back
  std::vector<uint64_t> begin_ = {0};
  std::vector<Counts> counts_;
};

// Reorders `items` in place so that each bucket's items are contiguous, in bucket order, and
// returns the bucket boundaries (kBuckets + 1 offsets).
template <class T>
std::vector<size_t> PartitionByBucket(internal::ChunkedVector<T>* items) {
  std::vector<size_t> start(kBuckets + 1, 0);
  items->ForEach([&start](const T& x) { ++start[BucketOf(x.key) + 1]; });
  for (size_t b = 0; b < kBuckets; ++b) start[b + 1] += start[b];
  std::vector<size_t> next(start.begin(), start.end() - 1);
  internal::ChunkedVector<T>& a = *items;
  for (size_t b = 0; b < kBuckets; ++b) {
    while (next[b] < start[b + 1]) {
      T x = a[next[b]];
      size_t tb = BucketOf(x.key);
      while (tb != b) {
        std::swap(x, a[next[tb]++]);
        tb = BucketOf(x.key);
      }
      a[next[b]++] = x;
    }
  }
  return start;
}

// Runs f(i) for i in [0, n) on `threads` threads, handing out indexes in order.
template <class F>
void ParallelFor(size_t n, int threads, F f) {
  std::atomic<size_t> next{0};
  const auto work = [&](int worker) {
    for (size_t i; (i = next.fetch_add(1)) < n;) f(worker, i);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (std::thread& t : pool) t.join();
}

// The report's group of each classification.
struct TouchInfo {
  uint32_t group = 0;
};

// One thread's sums over the people of the buckets it processed.
struct Totals {
  explicit Totals(size_t groups)
      : credit(groups * kHeuristicModelCount),
        revenue(groups * kHeuristicModelCount),
        touchpoints(groups),
        visitors(groups) {}
  std::vector<Fixed> credit, revenue;  // [group * models + model]
  std::vector<uint64_t> touchpoints, visitors;
  Fixed total_revenue = 0;
  uint64_t people = 0, sessions = 0, conversions = 0, duplicates = 0;
  uint64_t converting = 0, non_converting = 0;
  std::vector<bool> currency_used;
  PathCounts paths;
};

struct Shared {
  const AnalysisOptions& options;
  const PersonOptions& person;
  const std::vector<TouchInfo>& touch;
  const std::vector<TouchChannel>& channels;  // … what the models need of each
  uint32_t no_url_touch;
  const std::vector<journey::Counting>& counting_by_kind;
};

bool InWindow(const AnalysisOptions& o, Micros t) {
  return (!o.from || t >= *o.from) && (!o.to || t < *o.to);
}

// Sessionizes and credits one bucket of people.
class BucketWorker : public PersonSink {
 public:
  BucketWorker(const Shared& shared, Totals* totals)
      : s_(shared),
        t_(*totals),
        deriver_(shared.person, shared.counting_by_kind, shared.channels, shared.no_url_touch) {}

  void Run(std::vector<EventRecord>& events, std::vector<ConversionRecord>& conversions) {
    const auto by_key = [](const auto& a, const auto& b) { return a.key < b.key; };
    std::sort(events.begin(), events.end(), by_key);
    std::sort(conversions.begin(), conversions.end(), by_key);
    size_t c = 0;
    for (size_t i = 0; i < events.size();) {
      size_t j = i;
      while (j < events.size() && events[j].key == events[i].key) ++j;
      while (c < conversions.size() && conversions[c].key < events[i].key) ++c;
      size_t d = c;
      while (d < conversions.size() && conversions[d].key == events[i].key) ++d;
      t_.duplicates += deriver_.Derive(std::span(events.data() + i, j - i),
                                       std::span(conversions.data() + c, d - c), *this);
      i = j;
      c = d;
    }
  }

 private:
  // Touchpoints and visitors reached per group, inside the window.
  void OnSessions(std::span<const sessionize::Session> sessions) override {
    ++t_.people;
    t_.sessions += sessions.size();
    seen_.clear();
    for (const sessionize::Session& session : sessions) {
      if (!InWindow(s_.options, session.start)) continue;
      const uint32_t g = s_.touch[session.touch].group;
      ++t_.touchpoints[g];
      if (std::find(seen_.begin(), seen_.end(), g) == seen_.end()) {
        seen_.push_back(g);
        ++t_.visitors[g];
      }
    }
  }

  void OnJourney(const journey::Journey& j, std::span<const double> credits) override {
    if (j.conversion == nullptr) {
      if (!InWindow(s_.options, j.sessions.back().start)) return;
      ++t_.non_converting;
      if (s_.options.data_driven) t_.paths.Add(PathOf(j), false, 0);
      return;
    }
    const journey::Conversion& c = *j.conversion;
    if (!InWindow(s_.options, c.at)) return;
    ++t_.converting;
    ++t_.conversions;
    t_.total_revenue += ToFixed(c.revenue, kRevenueScale);
    if (t_.currency_used.size() <= c.currency) t_.currency_used.resize(c.currency + 1);
    t_.currency_used[c.currency] = true;
    const size_t n = j.sessions.size();
    for (int m = 0; m < kHeuristicModelCount; ++m) {
      for (size_t i = 0; i < n; ++i) {
        const double credit = credits[m * n + i];
        if (credit != 0) Add(s_.touch[j.sessions[i].touch].group, m, credit, c.revenue);
      }
    }
    if (s_.options.data_driven) t_.paths.Add(PathOf(j), true, ToFixed(c.revenue, kRevenueScale));
  }

  // The journey's groups, its last kMaxPathLength of them: only a bot makes more sessions in
  // a lookback window, and the models' work grows with the length of the longest path.
  std::span<const uint32_t> PathOf(const journey::Journey& j) {
    path_.clear();
    const size_t n = j.sessions.size();
    for (size_t i = n > kMaxPathLength ? n - kMaxPathLength : 0; i < n; ++i) {
      path_.push_back(s_.touch[j.sessions[i].touch].group);
    }
    return path_;
  }

  void Add(uint32_t group, int model, double credit, double revenue) {
    const size_t k = group * kHeuristicModelCount + static_cast<size_t>(model);
    t_.credit[k] += ToFixed(credit, kCreditScale);
    t_.revenue[k] += ToFixed(credit * revenue, kRevenueScale);
  }

  const Shared& s_;
  Totals& t_;
  PersonDeriver deriver_;
  std::vector<uint32_t> seen_;
  std::vector<uint32_t> path_;
};

// The group key of a classification under `by`.
std::vector<std::string> GroupKey(const ClassInfo& c, GroupBy by) {
  return storage::GroupKey(
      by, {c.source, c.medium, c.campaign, c.rule_id, ToString(c.channel), ToString(c.confidence)});
}

}  // namespace

std::vector<std::string_view> GroupFields(GroupBy g) {
  if (g == GroupBy::kSourceMedium) return {"source", "medium"};
  return {ToString(g)};
}

Result<AnalysisResult> Analyze(const Classifier& classifier, const AnalysisOptions& options,
                               Micros now, const std::function<bool(InputBlock*)>& next) {
  ATTRIB_RETURN_IF_ERROR(options.sessions.Validate());
  ATTRIB_RETURN_IF_ERROR(options.conversions.Validate());
  ATTRIB_RETURN_IF_ERROR(options.markov.Validate());
  ATTRIB_RETURN_IF_ERROR(options.shapley.Validate());
  if (!(options.heuristics.half_life_days > 0) ||
      !std::isfinite(options.heuristics.half_life_days)) {
    return Status::InvalidArgument("attribution.half_life_days must be a positive number");
  }
  if (options.from && options.to && *options.from >= *options.to) {
    return Status::InvalidArgument("the report window is empty: --from is not before --to");
  }
  const int threads = std::max(1, options.threads);

  // The conversion events, each a kind; --conversion narrows them (and may name others).
  std::vector<std::string> kinds = options.conversions.events;
  if (!options.only_conversions.empty()) kinds = options.only_conversions;
  FlatStringMap<uint32_t> kind_ids;
  std::vector<journey::Counting> counting_by_kind;
  for (const std::string& k : kinds) {
    if (kind_ids.Find(k) != nullptr) continue;
    kind_ids[k] = static_cast<uint32_t>(counting_by_kind.size());
    counting_by_kind.push_back(options.conversions.CountingOf(k));
  }

  // 1. Parse and classify, block by block, on every thread.
  std::vector<uint32_t> block_sources;  // by block sequence number
  const sessionize::ReferralExclusions exclusions(options.sessions.referral_exclusions);
  std::vector<std::unique_ptr<ParseWorker>> workers;
  for (int t = 0; t < threads; ++t) {
    workers.push_back(
        std::make_unique<ParseWorker>(classifier, options, exclusions, kind_ids, now));
  }
  std::mutex input;
  ParallelFor(static_cast<size_t>(threads), threads, [&](int, size_t t) {
    InputBlock block;
    for (;;) {
      uint64_t sequence;
      {
        std::lock_guard lock(input);
        if (!next(&block)) return;
        sequence = block_sources.size();
        block_sources.push_back(block.source);
      }
      workers[t]->ParseBlock(block, sequence);
    }
  });

  // 2. One table of classifications and currencies; people from the identity links.
  AnalysisResult result;
  std::vector<ClassInfo> classes;
  internal::Interner class_ids, currency_ids;
  std::vector<std::vector<uint32_t>> class_remap(threads), currency_remap(threads);
  std::vector<identity::Link> links;
  // Where each block starts: lines of the earlier blocks of its input.
  std::vector<uint64_t> lines_in(block_sources.size(), 0), first_line(block_sources.size(), 1);
  for (const auto& w : workers) {
    for (const auto& [sequence, lines] : w->block_lines) lines_in[sequence] = lines;
  }
  for (size_t b = 1; b < first_line.size(); ++b) {
    if (block_sources[b] == block_sources[b - 1])
      first_line[b] = first_line[b - 1] + lines_in[b - 1];
  }
  for (int t = 0; t < threads; ++t) {
    ParseWorker& w = *workers[t];
    for (size_t i = 0; i < w.classes.keys().size(); ++i) {
      bool added;
      class_remap[t].push_back(class_ids.Intern(w.classes.keys()[i], &added));
      if (added) classes.push_back(std::move(w.class_infos[i]));
    }
    for (const std::string& name : w.currencies.keys()) {
      currency_remap[t].push_back(currency_ids.Intern(name));
    }
    links.insert(links.end(), w.links.begin(), w.links.end());
    w.links = {};
    IngestCounts& in = result.ingest;
    in.accepted += w.counts.accepted;
    in.rejected += w.counts.rejected;
    for (int r = 0; r < ingest::kRejectReasonCount; ++r) {
      in.rejected_by_reason[r] += w.counts.rejected_by_reason[r];
    }
    in.skew_corrected += w.counts.skew_corrected;
    in.future_clamped += w.counts.future_clamped;
    in.unclassified_urls += w.counts.unclassified_urls;
    for (size_t i = 0; i < w.rejections.size(); ++i) {
      result.rejections.push_back(std::move(w.rejections[i]));
      result.rejections.back().line += first_line[w.rejection_blocks[i]] - 1;
    }
  }
  std::sort(result.rejections.begin(), result.rejections.end(),
            [](const RejectedMessage& a, const RejectedMessage& b) {
              return std::tie(a.source, a.line, a.index) < std::tie(b.source, b.line, b.index);
            });
  if (result.rejections.size() > options.max_rejection_details) {
    result.rejections.resize(options.max_rejection_details);
  }
  // A session without a page URL (an app's screens) counts as direct.
  Result<Classification> direct = classifier.Classify(ClassifyInput{});
  if (!direct.ok()) return direct.status();
  std::string direct_key;
  storage::ClassKey(*direct, &direct_key);
  bool added;
  const uint32_t no_url_touch = class_ids.Intern(direct_key, &added);
  if (added) classes.push_back(internal::ToClassInfo(*direct));
  const std::vector<std::string>& currency_names = currency_ids.keys();
  const identity::IdentityGraph graph(std::move(links));
  result.refused_identity_links = graph.refused_links();

  // Groups: sorted by key, so ids (and the report) do not depend on the input order.
  std::vector<std::vector<std::string>> keys;
  for (const ClassInfo& c : classes) keys.push_back(GroupKey(c, options.group_by));
  std::vector<std::vector<std::string>> groups = keys;
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  const auto group_id = [&](const std::vector<std::string>& key) {
    return static_cast<uint32_t>(std::lower_bound(groups.begin(), groups.end(), key) -
                                 groups.begin());
  };
  std::vector<TouchInfo> touch(classes.size());
  std::vector<TouchChannel> channels(classes.size());
  for (size_t i = 0; i < classes.size(); ++i) {
    touch[i].group = group_id(keys[i]);
    channels[i] = ChannelOf(classes[i].channel);
  }

  // 3. Each record to its person and global ids, and to its person's bucket.
  std::vector<std::vector<EventStream>> event_buckets(threads);
  std::vector<std::vector<size_t>> conversion_bounds(threads);
  ParallelFor(static_cast<size_t>(threads), threads, [&](int, size_t t) {
    ParseWorker& w = *workers[t];
    std::vector<EventStream>& buckets = event_buckets[t];
    buckets.resize(kBuckets);
    // A visitor's events mostly come one after another: look up each run's person once.
    uint64_t last_key = 0, last_person = 0;
    w.events.Drain([&](EventRecord e) {
      if (e.key != last_key) {
        last_key = e.key;
        last_person = graph.PersonOf(e.key);
      }
      e.key = last_person;
      if (!(e.touch & kIdentityOnly)) {
        const uint32_t flags = e.touch & ~kTouchMask;
        const uint32_t local = e.touch & kTouchMask;
        const bool has_url = (flags >> kFlagShift) & sessionize::kHasUrl;
        e.touch = (has_url ? class_remap[t][local] : no_url_touch) | flags;
      }
      buckets[BucketOf(e.key)].Append(e);
    });
    w.conversions.ForEach([&](ConversionRecord& c) {
      c.key = graph.PersonOf(c.key);
      c.currency = currency_remap[t][c.currency];
    });
    conversion_bounds[t] = PartitionByBucket(&w.conversions);
  });

  // 4. Sessions, journeys and credits, bucket by bucket, on every thread.
  const PersonOptions person{options.sessions, options.conversions, options.heuristics};
  const Shared shared{options, person, touch, channels, no_url_touch, counting_by_kind};
  std::vector<Totals> totals(threads, Totals(groups.size()));
  ParallelFor(kBuckets, threads, [&](int worker, size_t b) {
    std::vector<EventRecord> events;
    std::vector<ConversionRecord> conversions;
    for (int t = 0; t < threads; ++t) {
      event_buckets[t][b].Drain([&events](const EventRecord& e) { events.push_back(e); });
      const ParseWorker& w = *workers[t];
      w.conversions.AppendTo(conversion_bounds[t][b], conversion_bounds[t][b + 1], &conversions);
    }
    BucketWorker(shared, &totals[worker]).Run(events, conversions);
  });

  // 5. The report.
  Totals all(groups.size());
  std::vector<bool> currency_used(currency_names.size());
  for (const Totals& t : totals) {
    for (size_t k = 0; k < all.credit.size(); ++k) {
      all.credit[k] += t.credit[k];
      all.revenue[k] += t.revenue[k];
    }
    for (size_t g = 0; g < groups.size(); ++g) {
      all.touchpoints[g] += t.touchpoints[g];
      all.visitors[g] += t.visitors[g];
    }
    all.total_revenue += t.total_revenue;
    all.paths.AddAll(t.paths);
    result.people += t.people;
    result.sessions += t.sessions;
    result.conversions += t.conversions;
    result.converting_journeys += t.converting;
    result.non_converting_journeys += t.non_converting;
    result.ingest.duplicates += t.duplicates;
    for (size_t c = 0; c < t.currency_used.size(); ++c) {
      if (t.currency_used[c]) currency_used[c] = true;
    }
  }
  result.ingest.accepted -= result.ingest.duplicates;
  result.ingest.received =
      result.ingest.accepted + result.ingest.duplicates + result.ingest.rejected;
  result.revenue = FromFixed(all.total_revenue, kRevenueScale);
  for (size_t c = 0; c < currency_names.size(); ++c) {
    if (currency_used[c]) result.currencies.push_back(currency_names[c]);
  }
  std::sort(result.currencies.begin(), result.currencies.end());
  totals.clear();
  DataDrivenCredits learnt;
  if (options.data_driven) {
    Result<DataDrivenCredits> credited =
        CreditDataDriven(all.paths.Rows(), groups.size(), options, &result.data_driven);
    if (credited.ok()) {
      learnt = *std::move(credited);
    } else {
      result.data_driven.error = credited.status().message();
    }
  }
  for (auto& c : learnt.credits) c.resize(groups.size());
  learnt.removal_effect.resize(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    GroupRow row;
    row.key = groups[g];
    row.touchpoints = all.touchpoints[g];
    row.visitors = all.visitors[g];
    bool any = row.touchpoints != 0;
    for (int m = 0; m < kHeuristicModelCount; ++m) {
      const size_t k = g * kHeuristicModelCount + static_cast<size_t>(m);
      row.conversions[m] = FromFixed(all.credit[k], kCreditScale);
      row.revenue[m] = FromFixed(all.revenue[k], kRevenueScale);
      any = any || all.credit[k] != 0;
    }
    for (int m = kHeuristicModelCount; m < kModelCount; ++m) {
      const ChannelCredit& credit = learnt.credits[m - kHeuristicModelCount][g];
      row.conversions[m] = credit.conversions;
      row.revenue[m] = credit.value;
      any = any || credit.conversions != 0;
    }
    row.removal_effect = learnt.removal_effect[g];
    if (any) result.rows.push_back(std::move(row));
  }
  return result;
}

}  // namespace attrib::query
