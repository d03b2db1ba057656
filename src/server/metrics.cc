#include "server/metrics.h"

#include <fmt/format.h>

namespace attrib::server {
namespace {

constexpr std::string_view kRouteNames[kRouteCount] = {"ingest", "query", "other"};

}  // namespace

void Histogram::Observe(double seconds) {
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  ++buckets_[i];
  ++count_;
  sum_micros_ += static_cast<uint64_t>(seconds * 1e6);
}

void Histogram::Write(std::string_view name, std::string_view labels, std::string* out) const {
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += buckets_[i].load();
    *out +=
        fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, kBounds[i], cumulative);
  }
  cumulative += buckets_[kBounds.size()].load();
  *out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, cumulative);
  const std::string braces = labels.empty() ? "" : fmt::format("{{{}}}", labels);
  *out += fmt::format("{}_sum{} {}\n", name, braces, static_cast<double>(sum_micros_.load()) / 1e6);
  *out += fmt::format("{}_count{} {}\n", name, braces, count_.load());
}

void Metrics::Response(Route route, unsigned status, double seconds) {
  const int r = static_cast<int>(route);
  const unsigned cls = status / 100;
  if (cls >= 2 && cls <= 5) ++responses[r][cls - 2];
  request_seconds[r].Observe(seconds);
}

std::string Metrics::Prometheus() const {
  std::string out;
  out += "# HELP attrib_events_received_total Segment messages received by the ingest API.\n";
  out += "# TYPE attrib_events_received_total counter\n";
  out += fmt::format("attrib_events_received_total {}\n", received.load());
  out += "# HELP attrib_events_accepted_total Messages stored (once folded into the store).\n";
  out += "# TYPE attrib_events_accepted_total counter\n";
  out += fmt::format("attrib_events_accepted_total {}\n", accepted.load());
  out += "# HELP attrib_events_duplicate_total Messages whose messageId the visitor has already.\n";
  out += "# TYPE attrib_events_duplicate_total counter\n";
  out += fmt::format("attrib_events_duplicate_total {}\n", duplicates.load());
  out += "# HELP attrib_events_rejected_total Messages kept as bad rows, by reason.\n";
  out += "# TYPE attrib_events_rejected_total counter\n";
  for (int i = 0; i < ingest::kRejectReasonCount; ++i) {
    out += fmt::format("attrib_events_rejected_total{{reason=\"{}\"}} {}\n",
                       ingest::ToString(static_cast<ingest::RejectReason>(i)), rejected[i].load());
  }
  out += "# HELP attrib_http_responses_total Responses by route and status class.\n";
  out += "# TYPE attrib_http_responses_total counter\n";
  for (int r = 0; r < kRouteCount; ++r) {
    for (int c = 0; c < 4; ++c) {
      out += fmt::format("attrib_http_responses_total{{route=\"{}\",code=\"{}xx\"}} {}\n",
                         kRouteNames[r], c + 2, responses[r][c].load());
    }
  }
  out += "# HELP attrib_http_request_duration_seconds Time from a request read to its response.\n";
  out += "# TYPE attrib_http_request_duration_seconds histogram\n";
  for (int r = 0; r < kRouteCount; ++r) {
    request_seconds[r].Write("attrib_http_request_duration_seconds",
                             fmt::format("route=\"{}\"", kRouteNames[r]), &out);
  }
  out += "# HELP attrib_inbox_commit_duration_seconds One group commit of requests to the inbox.\n";
  out += "# TYPE attrib_inbox_commit_duration_seconds histogram\n";
  inbox_commit_seconds.Write("attrib_inbox_commit_duration_seconds", "", &out);
  out += "# HELP attrib_inbox_backlog_requests Requests acknowledged and not yet in the store.\n";
  out += "# TYPE attrib_inbox_backlog_requests gauge\n";
  out += fmt::format("attrib_inbox_backlog_requests {}\n", inbox_backlog.load());
  out +=
      "# HELP attrib_store_commit_duration_seconds One fold of acknowledged requests into the "
      "store.\n";
  out += "# TYPE attrib_store_commit_duration_seconds histogram\n";
  commit_seconds.Write("attrib_store_commit_duration_seconds", "", &out);
  out +=
      "# HELP attrib_store_derive_duration_seconds One derivation of the people ingest touched.\n";
  out += "# TYPE attrib_store_derive_duration_seconds histogram\n";
  derive_seconds.Write("attrib_store_derive_duration_seconds", "", &out);
  out += "# HELP attrib_people_derived_total People derived again after ingest.\n";
  out += "# TYPE attrib_people_derived_total counter\n";
  out += fmt::format("attrib_people_derived_total {}\n", people_derived.load());
  out += "# HELP attrib_conversions_restated_total Credited conversions whose credits changed.\n";
  out += "# TYPE attrib_conversions_restated_total counter\n";
  out += fmt::format("attrib_conversions_restated_total {}\n", conversions_restated.load());
  out +=
      "# HELP attrib_query_answers_reused_total Queries answered with an answer kept since the "
      "stores last changed.\n";
  out += "# TYPE attrib_query_answers_reused_total counter\n";
  out += fmt::format("attrib_query_answers_reused_total {}\n", answers_reused.load());
  out +=
      "# HELP attrib_lookback_views_made_total Projects' aggregates made again at another "
      "lookback than their own, for queries that asked for one.\n";
  out += "# TYPE attrib_lookback_views_made_total counter\n";
  out += fmt::format("attrib_lookback_views_made_total {}\n", lookback_views_made.load());
  return out;
}

}  // namespace attrib::server
