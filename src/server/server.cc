#include "server/server.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/time.h"
#include "storage/sqlite/sqlite_catalog.h"
#include "storage/sqlite/sqlite_store.h"

namespace attrib::server {

Server::Server(ServerOptions options, const Classifier& classifier, const Clock& clock)
    : options_(std::move(options)), classifier_(classifier), clock_(clock) {}

Server::~Server() { Stop(); }

Result<std::unique_ptr<Server>> Server::Start(ServerOptions options, const Classifier& classifier,
                                              const Clock& clock) {
  std::unique_ptr<Server> s(new Server(std::move(options), classifier, clock));
  const ServerOptions& o = s->options_;
  ATTRIB_ASSIGN_OR_RETURN(s->catalog_, OpenSqliteCatalog(o.db, clock, /*create=*/true));

  const query::AnalysisOptions& a = o.api.analysis;
  StoreOptions store_options;
  s->person_ = PersonOptions{a.sessions, a.conversions, a.heuristics};
  store_options.settings.person = s->person_;
  store_options.create = false;
  StoreOptions writer_options = store_options;
  writer_options.sync_every_commit = true;  // an acknowledged event survives a power cut
  StoreOptions reader_options = store_options;
  reader_options.cache_mib = o.reader_cache_mib;

  Server* self = s.get();
  WriterObserver observer;
  observer.committed = [self](double seconds, size_t) {
    self->metrics_.inbox_commit_seconds.Observe(seconds);
  };
  observer.folded = [self](double seconds, const IngestCounts& c, size_t backlog) {
    self->metrics_.commit_seconds.Observe(seconds);
    self->metrics_.accepted += c.accepted;
    self->metrics_.duplicates += c.duplicates;
    self->metrics_.inbox_backlog = backlog;
  };
  observer.derived = [self](double seconds, const DeriveCounts& c) {
    self->metrics_.derive_seconds.Observe(seconds);
    self->metrics_.people_derived += c.people;
    self->metrics_.conversions_restated += c.restated;
  };
  observer.failed = [self](std::string_view what, const Status& status) {
    const nlohmann::json line = {{"time", FormatIsoTime(self->clock_.Now())},
                                 {"level", "error"},
                                 {"message", fmt::format("{} failed: {}", what, status.message())}};
    std::fprintf(stderr, "%s\n",
                 line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  };
  // Requests the folding thread parses again: read back from the inbox.
  auto builder = std::make_shared<std::unique_ptr<storage::RowBuilder>>();
  auto parse = [self, builder](const InboxEntry& e) {
    if (!*builder) {
      *builder =
          std::make_unique<storage::RowBuilder>(self->classifier_, self->person_, e.received_at);
    }
    std::string document = e.body;
    document.append(simdjson::SIMDJSON_PADDING, ' ');
    return ParseIngest(**builder, e.route, e.received_at,
                       std::string_view(document.data(), e.body.size()));
  };
  ATTRIB_ASSIGN_OR_RETURN(s->writer_, IngestWriter::Start(
                                          InboxPath(o.db),
                                          [self, writer_options](const std::string& project) {
                                            StoreOptions so = writer_options;
                                            so.project = project;
                                            return OpenSqliteStore(self->options_.db, so,
                                                                   self->classifier_, self->clock_);
                                          },
                                          std::move(parse), o.writer, std::move(observer)));
  ATTRIB_ASSIGN_OR_RETURN(std::vector<std::string> projects, s->catalog_->Projects());
  for (const std::string& project : projects) {
    if (Status st = s->writer_->Open(project); !st.ok()) {
      return Status(st.code(), fmt::format("project \"{}\": {}", project, st.message()));
    }
  }
  s->api_ = std::make_unique<Api>(
      o.api, classifier, clock, *s->writer_,
      [self, reader_options](const std::string& project) {
        StoreOptions so = reader_options;
        so.project = project;
        return OpenSqliteStore(self->options_.db, so, self->classifier_, self->clock_);
      },
      s->metrics_);
  ATTRIB_ASSIGN_OR_RETURN(std::vector<ApiKey> keys, s->catalog_->Keys());
  s->api_->SetKeys(std::move(keys));
  s->http_ = std::make_unique<HttpServer>(*s->api_, o.listen);
  ATTRIB_RETURN_IF_ERROR(s->http_->Listen());
  s->http_->Start();
  s->refresher_ = std::thread([self] { self->RefreshKeys(); });
  return s;
}

void Server::RefreshKeys() {
  std::unique_lock lock(mu_);
  while (!stop_.wait_for(lock, options_.key_refresh, [this] { return stopping_; })) {
    lock.unlock();
    Result<std::vector<ApiKey>> keys = catalog_->Keys();
    if (keys.ok()) api_->SetKeys(std::move(keys).value());
    lock.lock();
  }
}

void Server::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  stop_.notify_all();
  if (refresher_.joinable()) refresher_.join();
  if (writer_) writer_->Stop();
  if (api_) api_->Drain();
  if (http_) http_->Stop();
}

}  // namespace attrib::server
