// The HTTP API (BLUEPRINT §5): the Segment tracking API for ingest (write keys), the query API
// (read keys), health, metrics and the OpenAPI document. Requests come from HttpServer; no
// sockets here. Ingest requests are parsed on the I/O thread and answered once the writer has
// committed them; queries run on the query pool against per-project read connections.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "attrib/catalog.h"
#include "attrib/classify.h"
#include "attrib/clock.h"
#include "attrib/store.h"
#include "query/batch.h"
#include "query/path_index.h"
#include "server/answer_cache.h"
#include "server/http_server.h"
#include "server/ingest_writer.h"
#include "server/metrics.h"
#include "storage/ingest_rows.h"

namespace attrib::server {

struct ApiOptions {
  query::AnalysisOptions analysis;  // the configuration's: what reports and derivation use
  // Requests per second one key may make (a token bucket holding two seconds' worth); beyond
  // it the answer is 429 with Retry-After.
  double rate_limit = 5000;
  // Take the client's address from the last X-Forwarded-For hop (behind a proxy of yours).
  bool trust_proxy = false;
  bool log_requests = true;  // one JSON line per request on stderr
};

// A route the API answers: its method and path ("{writeKey}" stands for a path segment).
struct RouteInfo {
  std::string method, path;
};
// Every route, from the tables the API routes by: what docs/openapi.json must describe.
std::vector<RouteInfo> Routes();

// Parses an ingest request's body (followed by simdjson::SIMDJSON_PADDING readable bytes) as
// `route` ("/v1/track") takes it, received at `received_at`, into what the store appends;
// `whole` tells when nothing in it could be read as messages.
IngestBatch ParseIngest(storage::RowBuilder& builder, std::string_view route, Micros received_at,
                        std::string_view document,
                        std::optional<storage::DocumentError>* whole = nullptr);

// What a parsed request holds: messages accepted (of which the store may find some are
// repeats of stored ones), repeated within the request, and rejected.
IngestCounts CountsOf(const IngestBatch& batch);

// Query answers kept until the stores change (AnswerCache): a dashboard's comparisons by
// campaign for a few windows are a few MB.
inline constexpr size_t kAnswerCacheBytes = 64 << 20;

// Opens a project's store for queries (a read connection).
using OpenReader = std::function<Result<std::unique_ptr<Store>>(const std::string& project)>;

class Api final : public Handler {
 public:
  Api(ApiOptions options, const Classifier& classifier, const Clock& clock, IngestWriter& writer,
      OpenReader open_reader, Metrics& metrics);
  ~Api() override;

  // Waits for the queries under way to be answered; call before the HTTP server stops.
  void Drain() { queries_.join(); }

  // The keys the API accepts, read again from the catalog (revocations take effect).
  void SetKeys(std::vector<ApiKey> keys);

  void Handle(Request request, const std::string& peer, Respond respond) override;
  Response Refuse(unsigned status, std::string_view code, std::string message) override;

 private:
  struct Call {  // one request being answered
    Request request;
    std::string peer;
    Respond respond;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::string path;  // without the query string
    std::map<std::string, std::string> params;
    std::string origin;  // the Origin header: answered with CORS headers
    std::string project;
    Route route = Route::kOther;
    bool csv = false;  // a table asked for as CSV (Accept: text/csv)
  };
  enum class KeyCheck { kOk, kMissing, kUnknown, kRevoked, kWrongKind };
  KeyCheck CheckKey(std::string_view key, KeyKind kind, std::string* project) const;
  bool RateLimited(const std::string& key_id, double* retry_after);

  void Ingest(std::shared_ptr<Call> call);
  void Query(std::shared_ptr<Call> call);
  Response Answer(const Call& call, Result<std::string> json) const;

  // The project's aggregates at another lookback than its own (Store::AtLookback), and their
  // paths for the data-driven models; `version`: the store's changes they were made at.
  struct LookbackView {
    std::unique_ptr<AggregateReader> aggregates;
    query::PathIndex paths;
    uint64_t version = 0;
    std::chrono::steady_clock::time_point made_at;
    std::chrono::steady_clock::duration took{};
  };
  // What a query reads: the store's own aggregates, or a view of them at another lookback.
  struct Aggregates {
    AggregateReader* reader = nullptr;
    query::PathIndex* paths = nullptr;
    std::shared_ptr<LookbackView> view;  // keeps the view while it is read
  };
  // How a query was answered: as of which of the store's changes, or not yet (`parked`: it is
  // run again once the view it needs is made).
  struct Answered {
    uint64_t version = 0;
    bool parked = false;
  };
  // A view at another lookback, by project and lookback in days.
  struct LookbackSlot {
    std::string project;
    int64_t days = 0;
    std::shared_ptr<LookbackView> view;          // null until made
    bool making = false;                         // being made, or waiting to be
    std::vector<std::shared_ptr<Call>> waiting;  // queries parked until it is first made
  };

  // Runs a query on the query pool and answers it (unless it is parked).
  void RunCall(std::shared_ptr<Call> call);
  // The aggregates `call` asks for (its lookback_days). At another lookback than the project's
  // the view is made on first use, on the query pool but one at a time, while the call is
  // parked; once the store changed it is made again in the background (at most once per
  // kLookbackRemakeInterval, nor for more than 1 / kLookbackRemakeShare of the time) while the
  // older view answers, and answered->version becomes its.
  Result<Aggregates> AggregatesFor(Store& store, const std::shared_ptr<Call>& call,
                                   Answered* answered);
  void StartMaking(const std::shared_ptr<LookbackSlot>& slot);  // mu_ held
  void MakeView(const std::shared_ptr<LookbackSlot>& slot);

  // A query's answer (JSON or CSV) from a project's store (query_api.cc).
  Result<std::string> RunQuery(Store& store, const std::shared_ptr<Call>& call, Answered* answered);
  Result<std::string> Journeys(Store& store, const Call& call) const;
  Result<std::string> Sources(AggregateReader& store, const Call& call) const;
  Result<std::string> Paths(Store& store, const std::shared_ptr<Call>& call, Answered* answered);
  Result<std::string> ByPeriod(AggregateReader& store, const Call& call,
                               const query::AnalysisOptions& options, Model model,
                               Interval interval) const;

  std::unique_ptr<storage::RowBuilder> TakeBuilder();
  void GiveBuilder(std::unique_ptr<storage::RowBuilder> b);
  // A read connection to `project`'s store, returned with GiveReader.
  Result<std::unique_ptr<Store>> TakeReader(const std::string& project);
  void GiveReader(const std::string& project, std::unique_ptr<Store> store);
  // The project's paths kept for the data-driven models, shared by its readers.
  query::PathIndex& PathsOf(const std::string& project);

  const ApiOptions options_;
  const PersonOptions person_;
  const Classifier& classifier_;
  const Clock& clock_;
  IngestWriter& writer_;
  OpenReader open_reader_;
  Metrics& metrics_;
  boost::asio::thread_pool queries_{2};
  AnswerCache answers_{kAnswerCacheBytes};

  mutable std::shared_mutex keys_mu_;
  std::map<std::string, ApiKey, std::less<>> keys_;  // by key_id

  std::mutex mu_;  // guards the rest
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point at{};
  };
  std::map<std::string, Bucket> buckets_;  // by key_id
  std::vector<std::unique_ptr<storage::RowBuilder>> builders_;
  std::map<std::string, std::vector<std::unique_ptr<Store>>> readers_;
  std::map<std::string, std::unique_ptr<query::PathIndex>> paths_;
  // Views at other lookbacks, the most recently used first; the ones to make after the one
  // being made (one at a time, so that the other query thread goes on answering).
  std::list<std::shared_ptr<LookbackSlot>> lookbacks_;
  std::deque<std::shared_ptr<LookbackSlot>> to_make_;
  bool making_ = false;
};

}  // namespace attrib::server
