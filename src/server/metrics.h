// The server's metrics, in Prometheus' text format (/metrics): counters and latency
// histograms, updated lock-free from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "ingest/segment.h"

namespace attrib::server {

class Histogram {
 public:
  // Upper bounds in seconds, 0.5 ms … 10 s.
  static constexpr std::array<double, 14> kBounds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  void Observe(double seconds);
  // Prometheus lines for metric `name` with `labels` ("" or `route="ingest"`).
  void Write(std::string_view name, std::string_view labels, std::string* out) const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micros_{0};
};

enum class Route : uint8_t { kIngest, kQuery, kOther };
inline constexpr int kRouteCount = 3;

struct Metrics {
  std::atomic<uint64_t> received{0}, accepted{0}, duplicates{0};
  std::array<std::atomic<uint64_t>, ingest::kRejectReasonCount> rejected{};
  // Responses by route and status class (2xx … 5xx).
  std::array<std::array<std::atomic<uint64_t>, 4>, kRouteCount> responses{};
  std::array<Histogram, kRouteCount> request_seconds;
  Histogram inbox_commit_seconds, commit_seconds, derive_seconds;
  std::atomic<uint64_t> inbox_backlog{0};  // requests acknowledged, not yet folded (a gauge)
  std::atomic<uint64_t> people_derived{0}, conversions_restated{0};
  std::atomic<uint64_t> answers_reused{0};       // queries answered from AnswerCache
  std::atomic<uint64_t> lookback_views_made{0};  // Api::AggregatesFor

  void Response(Route route, unsigned status, double seconds);
  std::string Prometheus() const;
};

}  // namespace attrib::server
