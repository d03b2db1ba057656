// attrib serve --db DB [--listen ADDR:PORT]: the Segment-compatible ingest API and the query API
// over one store, until SIGINT or SIGTERM.
#include <fmt/format.h>
#include <signal.h>
#include <sys/resource.h>

#include <thread>

#include "cli/commands.h"
#include "cli/store_cmd.h"
#include "server/server.h"

namespace attrib::cli {
namespace {

struct ServeArgs {
  StoreArgs store;
  std::string listen = "127.0.0.1:8080";
  int threads = 0;
  double rate_limit = 5000;
  bool trust_proxy = false;
  bool quiet = false;
};

// "host:port" (an IPv6 host in brackets).
Status ParseListen(const std::string& text, server::ListenOptions* out) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument(fmt::format("--listen {}: give ADDRESS:PORT", text));
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port = text.substr(colon + 1);
  char* end = nullptr;
  const long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p < 0 || p > 65535) {
    return Status::InvalidArgument(fmt::format("--listen {}: the port must be 0 to 65535", text));
  }
  out->address = host;
  out->port = static_cast<uint16_t>(p);
  return Status::Ok();
}

int Run(const ServeArgs& args) {
  StoreContext ctx;
  if (int rc = LoadSetup(args.store, &ctx); rc != 0) return rc;
  server::ServerOptions options;
  options.db = args.store.db;
  if (Status s = ParseListen(args.listen, &options.listen); !s.ok()) {
    PrintError(s);
    return 2;
  }
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  options.listen.threads = args.threads > 0 ? args.threads : cores;
  options.api.analysis = ctx.config.analysis;
  options.api.rate_limit = args.rate_limit;
  options.api.trust_proxy = args.trust_proxy;
  options.api.log_requests = !args.quiet;

  // Many clients at once: as many open files as the system allows this process.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  // The signals are waited for here, not delivered to the server's threads.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Result<std::unique_ptr<server::Server>> server =
      server::Server::Start(std::move(options), *ctx.classifier, ctx.clock);
  if (!server.ok()) {
    PrintError(server.status());
    return 1;
  }
  if (const int64_t left = (*server)->left_in_inbox(); left > 0) {
    std::fprintf(stderr, "attrib: storing %lld requests acknowledged before the last stop\n",
                 static_cast<long long>(left));
  }
  const std::string host = args.listen.substr(0, args.listen.rfind(':'));
  std::fprintf(stderr, "attrib: serving %s on http://%s:%u/\n", args.store.db.c_str(), host.c_str(),
               (*server)->port());
  std::fflush(stderr);
  int received = 0;
  sigwait(&signals, &received);
  std::fprintf(stderr, "attrib: stopping (%s)\n", received == SIGINT ? "SIGINT" : "SIGTERM");
  (*server)->Stop();
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App* app, int* exit_code) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app->add_subcommand(
      "serve", "Serve the Segment-compatible ingest API and the query API over a store");
  AddStoreOptions(cmd, &args->store, /*rules=*/true);
  cmd->remove_option(cmd->get_option("--project"));  // every project of the store is served
  cmd->add_option("--listen", args->listen, "ADDRESS:PORT to listen on (port 0: any free one)")
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "I/O threads (0: one per core)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--rate-limit", args->rate_limit, "Requests per second per key")
      ->check(CLI::Range(1.0, 1e9))
      ->capture_default_str();
  cmd->add_flag("--trust-proxy", args->trust_proxy,
                "Take the client's address from X-Forwarded-For (behind your own proxy only)");
  cmd->add_flag("--quiet", args->quiet, "No log line per request");
  cmd->callback([args, exit_code] { *exit_code = Run(*args); });
}

}  // namespace attrib::cli
