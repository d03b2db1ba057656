#include "server/api.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/beast/http.hpp>
#include <iterator>
#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "common/time.h"
#include "query/journey_json.h"
#include "query/report_rows.h"
#include "query/store_report.h"
#include "server/body.h"
#include "server/dashboard.h"
#include "server/limits.h"
#include "server/openapi.h"
#include "server/params.h"
#include "storage/keys.h"

namespace attrib::server {
namespace {

namespace http = boost::beast::http;

// The tracking API's routes (long and browser short forms) and the type of the messages they
// carry when a message names none; batch routes carry typed messages.
struct IngestRoute {
  std::string_view path;
  std::optional<ingest::MessageType> type;
};
constexpr IngestRoute kIngestRoutes[] = {
    {"/v1/track", ingest::MessageType::kTrack},
    {"/v1/t", ingest::MessageType::kTrack},
    {"/v1/page", ingest::MessageType::kPage},
    {"/v1/p", ingest::MessageType::kPage},
    {"/v1/screen", ingest::MessageType::kScreen},
    {"/v1/s", ingest::MessageType::kScreen},
    {"/v1/identify", ingest::MessageType::kIdentify},
    {"/v1/i", ingest::MessageType::kIdentify},
    {"/v1/group", ingest::MessageType::kGroup},
    {"/v1/g", ingest::MessageType::kGroup},
    {"/v1/alias", ingest::MessageType::kAlias},
    {"/v1/a", ingest::MessageType::kAlias},
    {"/v1/batch", std::nullopt},
    {"/v1/b", std::nullopt},
    {"/v1/import", std::nullopt},
};

// The query API's routes; those answering a table give CSV on request (Accept: text/csv).
struct QueryRoute {
  std::string_view path;
  bool table;
};
constexpr QueryRoute kQueryRoutes[] = {
    {"/v1/attribution", true}, {"/v1/attribution/compare", true},
    {"/v1/sources", true},     {"/v1/journeys", false},
    {"/v1/stats", false},      {"/v1/rules", false},
    {"/v1/paths", true},
};

// Health, metrics and the API's own description: GET, no key.
constexpr std::string_view kLivez = "/livez", kReadyz = "/readyz", kMetrics = "/metrics",
                           kOpenApi = "/openapi.json";
constexpr std::string_view kPublicRoutes[] = {kLivez, kReadyz, kMetrics, kOpenApi};

// GET /v1/projects/{writeKey}/settings: no key but the one in the path.
constexpr std::string_view kSettingsPrefix = "/v1/projects/", kSettingsSuffix = "/settings";

// What analytics.js asks its CDN for before it starts (GET /v1/projects/{writeKey}/settings):
// send to this server (the host the browser reached), no other destination, no metrics.
std::string SettingsJson(std::string_view write_key, std::string_view host) {
  const nlohmann::json enabled = {
      {"__default", {{"enabled", true}, {"integrations", nlohmann::json::object()}}}};
  nlohmann::json j = {{"integrations",
                       {{"Segment.io",
                         {{"apiKey", write_key},
                          {"apiHost", fmt::format("{}/v1", host)},
                          {"protocol", "http"},
                          {"unbundledIntegrations", nlohmann::json::array()},
                          {"addBundledMetadata", true},
                          {"maybeBundledConfigIds", nlohmann::json::object()}}}}},
                      {"plan", {{"track", enabled}, {"identify", enabled}, {"group", enabled}}},
                      {"edgeFunction", nlohmann::json::object()},
                      {"analyticsNextEnabled", true},
                      {"middlewareSettings", nlohmann::json::object()},
                      {"enabledMiddleware", nlohmann::json::object()},
                      {"metrics", {{"sampleRate", 0}}},
                      {"legacyVideoPluginsEnabled", false},
                      {"remotePlugins", nlohmann::json::array()}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ErrorJson(std::string_view code, std::string_view message) {
  nlohmann::json j = {{"code", code}, {"message", message}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// An error answer; `retry_after` > 0 adds Retry-After in whole seconds, rounded up.
Response ErrorResponse(unsigned status, std::string_view code, std::string_view message,
                       double retry_after = 0) {
  Response res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, "application/json");
  if (retry_after > 0) {
    res.set(http::field::retry_after, fmt::format("{}", static_cast<int>(std::ceil(retry_after))));
  }
  res.body() = ErrorJson(code, message);
  return res;
}

// "Basic base64(writeKey:)" → writeKey; empty when the header is not Basic or not readable.
std::string BasicUser(std::string_view header) {
  if (!StartsWithIgnoreCase(header, "basic ")) return {};
  const std::string_view b64 = TrimAscii(header.substr(6));
  std::string raw(b64.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), b64.data(),
                        b64.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return {};
  }
  raw.resize(len);
  return raw.substr(0, raw.find(':'));
}

std::string_view BearerToken(std::string_view header) {
  if (!StartsWithIgnoreCase(header, "bearer ")) return {};
  return TrimAscii(header.substr(7));
}

}  // namespace

std::vector<RouteInfo> Routes() {
  std::vector<RouteInfo> routes;
  for (const IngestRoute& r : kIngestRoutes) routes.push_back({"POST", std::string(r.path)});
  for (const QueryRoute& r : kQueryRoutes) routes.push_back({"GET", std::string(r.path)});
  for (std::string_view r : kPublicRoutes) routes.push_back({"GET", std::string(r)});
  routes.push_back({"GET", fmt::format("{}{{writeKey}}{}", kSettingsPrefix, kSettingsSuffix)});
  return routes;
}

Api::Api(ApiOptions options, const Classifier& classifier, const Clock& clock, IngestWriter& writer,
         OpenReader open_reader, Metrics& metrics)
    : options_(std::move(options)),
      person_{options_.analysis.sessions, options_.analysis.conversions,
              options_.analysis.heuristics},
      classifier_(classifier),
      clock_(clock),
      writer_(writer),
      open_reader_(std::move(open_reader)),
      metrics_(metrics) {}

Api::~Api() { queries_.join(); }

void Api::SetKeys(std::vector<ApiKey> keys) {
  std::map<std::string, ApiKey, std::less<>> by_id;
  for (ApiKey& k : keys) {
    std::string id = k.key_id;
    by_id.emplace(std::move(id), std::move(k));
  }
  std::unique_lock lock(keys_mu_);
  keys_.swap(by_id);
}

Api::KeyCheck Api::CheckKey(std::string_view key, KeyKind kind, std::string* project) const {
  if (key.empty()) return KeyCheck::kMissing;
  const std::optional<std::string_view> read_id = storage::ReadKeyId(key);
  std::shared_lock lock(keys_mu_);
  auto it = keys_.find(read_id ? *read_id : key);
  if (it == keys_.end()) return KeyCheck::kUnknown;
  const ApiKey& k = it->second;
  if (k.kind == KeyKind::kRead && !storage::ReadKeyMatches(key, k.secret_hash)) {
    return KeyCheck::kUnknown;
  }
  if (k.revoked_at) return KeyCheck::kRevoked;
  if (k.kind != kind) return KeyCheck::kWrongKind;
  *project = k.project;
  return KeyCheck::kOk;
}

bool Api::RateLimited(const std::string& key_id, double* retry_after) {
  const auto now = std::chrono::steady_clock::now();
  const double capacity = 2 * options_.rate_limit;
  std::lock_guard lock(mu_);
  Bucket& b = buckets_[key_id];
  if (b.at == std::chrono::steady_clock::time_point{}) {
    b.tokens = capacity;
  } else {
    const double elapsed = std::chrono::duration<double>(now - b.at).count();
    b.tokens = std::min(capacity, b.tokens + elapsed * options_.rate_limit);
  }
  b.at = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return false;
  }
  *retry_after = (1 - b.tokens) / options_.rate_limit;
  return true;
}

Response Api::Refuse(unsigned status, std::string_view code, std::string message) {
  Response res = ErrorResponse(status, code, message);
  res.keep_alive(false);
  metrics_.Response(Route::kOther, status, 0);
  return res;
}

Response Api::Answer(const Call& call, Result<std::string> body) const {
  Response res;
  res.version(11);
  if (body.ok()) {
    res.result(http::status::ok);
    res.set(http::field::content_type, call.csv ? "text/csv; charset=utf-8" : "application/json");
    res.body() = std::move(body).value();
  } else {
    const Status& s = body.status();
    res.result(static_cast<http::status>(ErrorCodeHttpStatus(s.code())));
    res.set(http::field::content_type, "application/json");
    res.body() = ErrorJson(ErrorCodeName(s.code()), s.message());
    if (s.code() == ErrorCode::kUnavailable) res.set(http::field::retry_after, "1");
  }
  return res;
}

void Api::Handle(Request request, const std::string& peer, Respond respond) {
  auto call = std::make_shared<Call>();
  call->peer = peer;
  if (options_.trust_proxy) {
    const std::string_view forwarded = request["X-Forwarded-For"];
    if (!forwarded.empty()) {
      const size_t comma = forwarded.rfind(',');
      call->peer = std::string(
          TrimAscii(comma == std::string_view::npos ? forwarded : forwarded.substr(comma + 1)));
    }
  }
  std::string_view target = request.target();
  // The absolute form (`GET http://host/livez`), which HTTP/1.1 servers must accept: the path
  // is what follows the authority.
  for (const std::string_view scheme : {"http://", "https://"}) {
    if (!target.starts_with(scheme)) continue;
    const size_t slash = target.find('/', scheme.size());
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  const size_t q = target.find('?');
  call->path = std::string(target.substr(0, q));
  call->origin = std::string(request[http::field::origin]);
  call->request = std::move(request);

  // Every answer goes through here: CORS headers, metrics, the log line.
  call->respond = [this, call_ptr = call.get(), respond = std::move(respond)](Response res) {
    const Call& c = *call_ptr;
    if (!c.origin.empty()) {
      res.set(http::field::access_control_allow_origin, c.origin);
      res.insert(http::field::vary, "Origin");  // beside a Vary the answer may have
      res.set(http::field::access_control_expose_headers, "Retry-After");
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - c.started).count();
    metrics_.Response(c.route, res.result_int(), seconds);
    if (options_.log_requests) {
      const bool head = c.request.method() == http::verb::head;
      nlohmann::json line = {{"time", FormatIsoTime(clock_.Now())},
                             {"method", std::string(c.request.method_string())},
                             {"path", c.path},
                             {"status", res.result_int()},
                             {"ms", std::round(seconds * 1e5) / 100},
                             {"bytes_in", c.request.body().size()},
                             {"bytes_out", head ? 0 : res.body().size()}};
      if (!c.project.empty()) line["project"] = c.project;
      std::fprintf(stderr, "%s\n",
                   line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    }
    respond(std::move(res));
  };
  const auto fail = [&call](unsigned status, std::string_view code, std::string_view message) {
    call->respond(ErrorResponse(status, code, message));
  };

  // HEAD is answered as GET (the HTTP server sends it without the body).
  const http::verb method =
      call->request.method() == http::verb::head ? http::verb::get : call->request.method();
  const std::string& path = call->path;

  if (method == http::verb::options) {  // CORS preflight
    Response res{http::status::no_content, 11};
    const std::string_view asked = call->request[http::field::access_control_request_headers];
    res.set(http::field::access_control_allow_methods, "GET, POST, OPTIONS");
    res.set(
        http::field::access_control_allow_headers,
        asked.empty() ? std::string_view("Authorization, Content-Type, Content-Encoding") : asked);
    res.set(http::field::access_control_max_age, "86400");
    return call->respond(std::move(res));
  }
  // After the preflight: a browser's preflight succeeds so that the request itself gets the error.
  if (q != std::string_view::npos) {
    Result<std::map<std::string, std::string>> params = ParseParams(target.substr(q + 1));
    if (!params.ok()) {
      return fail(400, ErrorCodeName(params.status().code()), params.status().message());
    }
    call->params = std::move(params).value();
  }
  if (std::find(std::begin(kPublicRoutes), std::end(kPublicRoutes), path) !=
      std::end(kPublicRoutes)) {
    if (method != http::verb::get) {
      return fail(405, "method_not_allowed", fmt::format("{} takes GET", path));
    }
    if (path == kReadyz && !writer_.healthy()) {
      return call->respond(
          ErrorResponse(503, "unavailable", "the store's last commit failed", /*retry_after=*/1));
    }
    Response res{http::status::ok, 11};
    res.set(http::field::content_type, "application/json");
    if (path == kMetrics) {
      res.set(http::field::content_type, "text/plain; version=0.0.4");
      res.body() = metrics_.Prometheus();
    } else if (path == kOpenApi) {
      res.body() = OpenApiJson();
    } else {
      res.body() = R"({"status":"ok"})";
    }
    return call->respond(std::move(res));
  }
  if (path.starts_with(kSettingsPrefix) && path.ends_with(kSettingsSuffix) &&
      path.size() > kSettingsPrefix.size() + kSettingsSuffix.size()) {
    const std::string_view key = std::string_view(path).substr(
        kSettingsPrefix.size(), path.size() - kSettingsPrefix.size() - kSettingsSuffix.size());
    if (method != http::verb::get) return fail(405, "method_not_allowed", "settings take GET");
    if (CheckKey(key, KeyKind::kWrite, &call->project) != KeyCheck::kOk) {
      return fail(404, "not_found", "no project has this write key");
    }
    Response res{http::status::ok, 11};
    res.set(http::field::content_type, "application/json");
    res.body() = SettingsJson(key, call->request[http::field::host]);
    return call->respond(std::move(res));
  }
  for (const IngestRoute& r : kIngestRoutes) {
    if (path != r.path) continue;
    call->route = Route::kIngest;
    if (method != http::verb::post) {
      return fail(405, "method_not_allowed", fmt::format("{} takes POST", path));
    }
    return Ingest(std::move(call));
  }
  for (const QueryRoute& r : kQueryRoutes) {
    if (path != r.path) continue;
    call->route = Route::kQuery;
    if (method != http::verb::get) {
      return fail(405, "method_not_allowed", fmt::format("{} takes GET", path));
    }
    call->csv =
        r.table && call->request[http::field::accept].find("text/csv") != std::string_view::npos;
    return Query(std::move(call));
  }
  if (method == http::verb::get) {
    if (std::optional<Response> file =
            DashboardFile(path, call->request[http::field::if_none_match],
                          call->request[http::field::accept_encoding])) {
      return call->respond(std::move(*file));
    }
  }
  fail(404, "not_found", fmt::format("no such endpoint: {}", path.substr(0, 200)));
}

IngestBatch ParseIngest(storage::RowBuilder& builder, std::string_view route, Micros received_at,
                        std::string_view document, std::optional<storage::DocumentError>* whole) {
  std::optional<ingest::MessageType> type;
  for (const IngestRoute& r : kIngestRoutes) {
    if (r.path == route) type = r.type;
  }
  builder.SetReceipt(received_at, type);
  IngestBatch batch;
  builder.AddDocument(document, fmt::format("POST {}", route), 0, &batch);
  builder.Finish(&batch);
  if (whole != nullptr) *whole = builder.document_error();
  return batch;
}

IngestCounts CountsOf(const IngestBatch& batch) {
  IngestCounts c;
  for (const VisitorBlock& b : batch.blocks) c.accepted += b.keys.size();
  c.duplicates = batch.duplicates;
  for (const BadRow& bad : batch.bad_rows) ++c.rejected_by_reason[static_cast<int>(bad.reason)];
  c.rejected = batch.bad_rows.size();
  c.received = c.accepted + c.duplicates + c.rejected;
  return c;
}

std::unique_ptr<storage::RowBuilder> Api::TakeBuilder() {
  {
    std::lock_guard lock(mu_);
    if (!builders_.empty()) {
      std::unique_ptr<storage::RowBuilder> b = std::move(builders_.back());
      builders_.pop_back();
      return b;
    }
  }
  return std::make_unique<storage::RowBuilder>(classifier_, person_, clock_.Now());
}

void Api::GiveBuilder(std::unique_ptr<storage::RowBuilder> b) {
  std::lock_guard lock(mu_);
  builders_.push_back(std::move(b));
}

void Api::Ingest(std::shared_ptr<Call> call) {
  const auto fail = [&call](unsigned status, std::string_view code, std::string_view message,
                            double retry_after = 0) {
    call->respond(ErrorResponse(status, code, message, retry_after));
  };
  std::string body;
  const DecodedBody decoded = DecodeBody(call->request[http::field::content_encoding],
                                         call->request.body(), kMaxBodyBytes, &body);
  switch (decoded.error) {
    case BodyError::kNone:
      break;
    case BodyError::kUnsupportedEncoding:
      return fail(415, "unsupported_encoding", decoded.message);
    case BodyError::kTooLarge:
      return fail(413, "limit_exceeded", decoded.message);
    case BodyError::kCorrupt:
      return fail(400, "invalid_body", decoded.message);
  }
  const size_t size = body.size();
  body.append(simdjson::SIMDJSON_PADDING, ' ');  // the parser reads past the end
  const std::string_view document(body.data(), size);

  // The write key: HTTP Basic, else the document's "writeKey" (browsers send text/plain
  // without an Authorization header, to avoid a preflight).
  const std::string_view authorization = call->request[http::field::authorization];
  std::string key = BasicUser(authorization);
  if (key.empty()) {
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element root;
    std::string_view found;
    auto error = parser.parse(document.data(), size, false).get(root);
    ingest::BatchSplit split;
    if (error && ingest::SplitBatch(document, &split)) {
      // A batch the parser will recover message by message: its key, without its messages.
      std::string envelope = body;
      std::fill(envelope.begin() + split.begin, envelope.begin() + split.end, ' ');
      error = parser.parse(envelope.data(), size, false).get(root);
    }
    if (!error && root["writeKey"].get_string().get(found) == simdjson::SUCCESS) {
      key = std::string(found);
    }
  }
  switch (CheckKey(key, KeyKind::kWrite, &call->project)) {
    case KeyCheck::kOk:
      break;
    case KeyCheck::kMissing:
      return fail(401, "unauthenticated",
                  authorization.empty()
                      ? "no write key: send it as HTTP Basic user name (\"writeKey:\") or as "
                        "\"writeKey\" in the body"
                      : "the Authorization header is not HTTP Basic with the write key as user "
                        "name (\"Basic base64(writeKey:)\")");
    case KeyCheck::kUnknown:
      return fail(401, "unauthenticated", "the write key is not known");
    case KeyCheck::kRevoked:
      return fail(401, "unauthenticated", "the write key has been revoked");
    case KeyCheck::kWrongKind:
      return fail(403, "forbidden", "a read key cannot send events: use the project's write key");
  }
  double retry_after = 0;
  if (RateLimited(key, &retry_after)) {
    return fail(429, "rate_limited",
                fmt::format("over {} requests per second for this key", options_.rate_limit),
                retry_after);
  }

  InboxEntry entry{0, call->project, std::string(call->path), clock_.Now(), {}};
  std::unique_ptr<storage::RowBuilder> builder = TakeBuilder();
  std::optional<storage::DocumentError> whole;
  IngestBatch batch = ParseIngest(*builder, entry.route, entry.received_at, document, &whole);
  GiveBuilder(std::move(builder));
  const IngestCounts counts = CountsOf(batch);
  body.resize(size);
  entry.body = std::move(body);

  Status queued = writer_.Submit(
      std::move(entry), std::move(batch), [this, call, whole, counts](Status acknowledged) {
        Response res{http::status::ok, 11};
        res.set(http::field::content_type, "application/json");
        if (!acknowledged.ok()) {
          res.result(http::status::service_unavailable);
          res.set(http::field::retry_after, "1");
          res.body() = ErrorJson("unavailable", fmt::format("the events could not be stored: {}",
                                                            acknowledged.message()));
          return call->respond(std::move(res));
        }
        metrics_.received += counts.received;
        for (int r = 0; r < ingest::kRejectReasonCount; ++r) {
          metrics_.rejected[r] += counts.rejected_by_reason[r];
        }
        if (whole) {  // nothing in the body could be read as messages (kept as a bad row)
          res.result(http::status::bad_request);
          res.body() = ErrorJson(ingest::ToString(whole->reason), whole->detail);
          return call->respond(std::move(res));
        }
        nlohmann::json reasons = nlohmann::json::object();
        for (int r = 0; r < ingest::kRejectReasonCount; ++r) {
          if (counts.rejected_by_reason[r] != 0) {
            reasons[std::string(ingest::ToString(static_cast<ingest::RejectReason>(r)))] =
                counts.rejected_by_reason[r];
          }
        }
        nlohmann::json j = {{"success", true},
                            {"received", counts.received},
                            {"accepted", counts.accepted},
                            {"duplicates", counts.duplicates},
                            {"rejected", counts.rejected},
                            {"rejected_by_reason", std::move(reasons)}};
        res.body() = j.dump();
        call->respond(std::move(res));
      });
  if (!queued.ok()) fail(503, "unavailable", queued.message(), 1);
}

Result<std::unique_ptr<Store>> Api::TakeReader(const std::string& project) {
  {
    std::lock_guard lock(mu_);
    std::vector<std::unique_ptr<Store>>& free = readers_[project];
    if (!free.empty()) {
      std::unique_ptr<Store> s = std::move(free.back());
      free.pop_back();
      return s;
    }
  }
  return open_reader_(project);
}

void Api::GiveReader(const std::string& project, std::unique_ptr<Store> store) {
  std::lock_guard lock(mu_);
  readers_[project].push_back(std::move(store));
}

query::PathIndex& Api::PathsOf(const std::string& project) {
  std::lock_guard lock(mu_);
  std::unique_ptr<query::PathIndex>& paths = paths_[project];
  if (paths == nullptr) paths = std::make_unique<query::PathIndex>();
  return *paths;
}

void Api::Query(std::shared_ptr<Call> call) {
  const auto fail = [&call](unsigned status, std::string_view code, std::string_view message,
                            double retry_after = 0) {
    call->respond(ErrorResponse(status, code, message, retry_after));
  };
  const std::string_view key = BearerToken(call->request[http::field::authorization]);
  switch (CheckKey(key, KeyKind::kRead, &call->project)) {
    case KeyCheck::kOk:
      break;
    case KeyCheck::kMissing:
      return fail(401, "unauthenticated",
                  call->request[http::field::authorization].empty()
                      ? "no read key: send \"Authorization: Bearer rk_…\""
                      : "the Authorization header is not \"Bearer rk_…\" with the read key");
    case KeyCheck::kUnknown:
      return fail(401, "unauthenticated", "the read key is not known");
    case KeyCheck::kRevoked:
      return fail(401, "unauthenticated", "the read key has been revoked");
    case KeyCheck::kWrongKind:
      return fail(403, "forbidden", "a write key cannot read: use the project's read key (rk_…)");
  }
  double retry_after = 0;
  const std::string key_id(storage::ReadKeyId(key).value_or(key));
  if (RateLimited(key_id, &retry_after)) {
    return fail(429, "rate_limited",
                fmt::format("over {} requests per second for this key", options_.rate_limit),
                retry_after);
  }

  boost::asio::post(queries_, [this, call] { RunCall(call); });
}

void Api::RunCall(std::shared_ptr<Call> call) {
  // Read before the query: an answer is never kept as newer than the data it was read from.
  const uint64_t version = writer_.store_changes(call->project);
  std::string key = fmt::format("{}\n{}\n{}", call->project, call->path, call->csv);
  for (const auto& [name, value] : call->params) {
    fmt::format_to(std::back_inserter(key), "\n{}:{}{}:{}", name.size(), name, value.size(), value);
  }
  if (std::optional<std::string> kept = answers_.Find(key, version)) {
    ++metrics_.answers_reused;
    return call->respond(Answer(*call, std::move(*kept)));
  }
  Result<std::unique_ptr<Store>> store = TakeReader(call->project);
  if (!store.ok()) return call->respond(Answer(*call, store.status()));
  Answered answered{version};
  Result<std::string> body = RunQuery(**store, call, &answered);
  GiveReader(call->project, std::move(store).value());
  if (answered.parked) return;  // run again once the view it needs is made
  if (body.ok()) answers_.Put(key, answered.version, *body);
  call->respond(Answer(*call, std::move(body)));
}

}  // namespace attrib::server
