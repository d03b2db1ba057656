// `attrib serve`: the store, its writer, the API and the HTTP server, put together and started.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "attrib/catalog.h"
#include "server/api.h"
#include "server/http_server.h"
#include "server/ingest_writer.h"
#include "server/metrics.h"

namespace attrib::server {

struct ServerOptions {
  std::string db;  // the store file (created when missing), and beside it its inbox
  ListenOptions listen;
  ApiOptions api;
  WriterOptions writer;
  int64_t reader_cache_mib = 64;                // each read connection's page cache
  std::chrono::milliseconds key_refresh{1000};  // how soon new and revoked keys take effect
};

class Server {
 public:
  // Opens the store, derives what its projects have pending, listens and starts serving.
  static Result<std::unique_ptr<Server>> Start(ServerOptions options, const Classifier& classifier,
                                               const Clock& clock);
  ~Server();  // Stop()

  uint16_t port() const { return http_->port(); }
  // The requests an earlier run acknowledged and did not store: stored first.
  int64_t left_in_inbox() const { return writer_->left_by_earlier_run(); }
  // Stops accepting, answers what the writer holds and closes the store.
  void Stop();

 private:
  Server(ServerOptions options, const Classifier& classifier, const Clock& clock);
  void RefreshKeys();

  ServerOptions options_;
  const Classifier& classifier_;
  const Clock& clock_;
  PersonOptions person_;  // the configuration's (the writer parses requests with them)
  Metrics metrics_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<IngestWriter> writer_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<HttpServer> http_;
  std::mutex mu_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::thread refresher_;
};

}  // namespace attrib::server
