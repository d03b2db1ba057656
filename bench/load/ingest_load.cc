// A load client for the ingest API: POST /v1/batch with BATCH new events per request over
// CONNECTIONS keep-alive connections, for SECONDS, either as fast as the server answers or at a
// fixed RATE of requests per second. At a fixed rate, request k is due at start + k / RATE and
// its latency is counted from then, not from when a connection was free to send it: a server
// that stalls is charged for the requests it kept waiting (no coordinated omission).
//
// Bodies are made once from templates (page views and orders of visitors drawn from a million,
// as bench/load/batch.lua makes them) and only their ids are written in per request, so the
// client takes little of the cores it shares with the server.
//
// Usage: attrib_ingest_load HOST:PORT WRITE_KEY [--connections 64] [--batch 100]
//          [--seconds 30] [--rate R]
#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr int kTemplates = 64;
constexpr std::string_view kRequestMark = "RRRRRRRRRRRR";  // 12 digits: the request's number
constexpr std::string_view kVisitorMark = "VV";            // 2 digits: the visitors' block

struct Options {
  std::string host, port, write_key;
  int connections = 64, batch = 100, seconds = 30;
  double rate = 0;  // requests per second; 0: as fast as answered
};

// A request with marks where the ids go, and where they are.
struct Template {
  std::string text;
  std::vector<size_t> request_at, visitor_at;
};

Template MakeTemplate(const Options& o, std::mt19937_64& rng, const std::string& head) {
  std::uniform_int_distribution<int> visitor(0, 9999), minute(0, 59), revenue(5, 200),
      landing(0, 3);
  static constexpr std::string_view kLandings[] = {
      "https://shop.example/?utm_source=facebook&utm_medium=paid_social&fbclid=IwAR{}",
      "https://shop.example/?gclid=Cj0K{}", "https://shop.example/p/{}",
      "https://shop.example/?utm_source=newsletter&utm_medium=email&utm_campaign=w{}"};
  static constexpr std::string_view kReferrers[] = {
      "https://l.facebook.com/", "https://www.google.com/", "https://www.bing.com/", ""};
  std::string body = R"({"batch":[)";
  for (int i = 1; i <= o.batch; ++i) {
    if (i > 1) body += ',';
    const std::string id = fmt::format("m{}-{}", kRequestMark, i);
    const std::string anonymous = fmt::format("v{}{}", visitor(rng), kVisitorMark);
    if (i % 20 == 0) {
      body += fmt::format(
          R"({{"type":"track","event":"Order Completed","messageId":"{}","anonymousId":"{}",)"
          R"("timestamp":"2026-11-20T10:{:02}:30Z","properties":{{"revenue":{},"currency":"USD"}}}})",
          id, anonymous, minute(rng), revenue(rng));
    } else {
      const int k = landing(rng);
      body += fmt::format(
          R"({{"type":"page","messageId":"{}","anonymousId":"{}","timestamp":"2026-11-20T10:{:02}:00Z",)"
          R"("context":{{"page":{{"url":"{}","referrer":"{}"}},"userAgent":"Mozilla/5.0"}}}})",
          id, anonymous, minute(rng), fmt::format(fmt::runtime(kLandings[k]), i), kReferrers[k]);
    }
  }
  body += "]}";
  Template t;
  t.text = fmt::format("{}Content-Length: {}\r\n\r\n{}", head, body.size(), body);
  const size_t body_at = t.text.find("\r\n\r\n");  // the marks are looked for after the head
  for (size_t at = t.text.find(kRequestMark, body_at); at != std::string::npos;
       at = t.text.find(kRequestMark, at + 1)) {
    t.request_at.push_back(at);
  }
  for (size_t at = t.text.find(kVisitorMark, body_at); at != std::string::npos;
       at = t.text.find(kVisitorMark, at + 1)) {
    t.visitor_at.push_back(at);
  }
  return t;
}

class Load {
 public:
  explicit Load(Options o) : o_(std::move(o)), rng_(20261124) {
    const std::string auth = o_.write_key + ":";
    std::string basic(boost::beast::detail::base64::encoded_size(auth.size()), '\0');
    basic.resize(boost::beast::detail::base64::encode(basic.data(), auth.data(), auth.size()));
    const std::string head = fmt::format(
        "POST /v1/batch HTTP/1.1\r\nHost: {}:{}\r\nAuthorization: Basic {}\r\n"
        "Content-Type: application/json\r\n",
        o_.host, o_.port, basic);
    for (int i = 0; i < kTemplates; ++i) templates_.push_back(MakeTemplate(o_, rng_, head));
  }

  int Run() {
    tcp::resolver resolver(io_);
    const auto endpoints = resolver.resolve(o_.host, o_.port);
    start_ = Clock::now();
    end_ = start_ + std::chrono::seconds(o_.seconds);
    for (int i = 0; i < o_.connections; ++i) {
      auto c = std::make_shared<Connection>(io_);
      asio::connect(c->socket, endpoints);
      c->socket.set_option(tcp::no_delay(true));
      Next(c);
    }
    io_.run();
    return Report();
  }

 private:
  struct Connection {
    explicit Connection(asio::io_context& io) : socket(io), timer(io) {}
    tcp::socket socket;
    asio::steady_timer timer;
    std::string request;
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> response;
    Clock::time_point due;
  };

  // Sends the connection's next request when it is due.
  void Next(const std::shared_ptr<Connection>& c) {
    const uint64_t k = sent_++;
    c->due = o_.rate > 0 ? start_ + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(k / o_.rate))
                         : Clock::now();
    if (c->due >= end_) return;
    c->timer.expires_at(c->due);
    c->timer.async_wait([this, c, k](boost::system::error_code) { Send(c, k); });
  }

  void Send(const std::shared_ptr<Connection>& c, uint64_t k) {
    const Template& t = templates_[k % kTemplates];
    c->request = t.text;
    const std::string number = fmt::format("{:012}", k);
    for (size_t at : t.request_at) c->request.replace(at, number.size(), number);
    const std::string block = fmt::format("{:02}", (k / kTemplates) % 100);
    for (size_t at : t.visitor_at) c->request.replace(at, block.size(), block);
    if (o_.rate == 0) c->due = Clock::now();
    asio::async_write(c->socket, asio::buffer(c->request),
                      [this, c](boost::system::error_code ec, size_t) {
                        if (ec) return Fail(ec);
                        c->response = {};
                        http::async_read(c->socket, c->buffer, c->response,
                                         [this, c](boost::system::error_code ec, size_t) {
                                           if (ec) return Fail(ec);
                                           Done(c);
                                         });
                      });
  }

  void Done(const std::shared_ptr<Connection>& c) {
    const auto now = Clock::now();
    latencies_.push_back(std::chrono::duration<double, std::milli>(now - c->due).count());
    if (c->response.result_int() != 200) {
      if (++non_200_ <= 3) {
        std::fprintf(stderr, "status %u: %s\n", c->response.result_int(),
                     c->response.body().c_str());
      }
    }
    last_ = now;
    Next(c);
  }

  void Fail(boost::system::error_code ec) {
    if (++errors_ <= 3) std::fprintf(stderr, "connection error: %s\n", ec.message().c_str());
  }

  int Report() {
    if (latencies_.empty()) {
      std::fprintf(stderr, "no answers\n");
      return 1;
    }
    std::sort(latencies_.begin(), latencies_.end());
    const auto at = [this](double q) {
      return latencies_[std::min(latencies_.size() - 1,
                                 static_cast<size_t>(q * static_cast<double>(latencies_.size())))];
    };
    const double seconds = std::chrono::duration<double>(last_ - start_).count();
    const double rps = static_cast<double>(latencies_.size()) / seconds;
    fmt::print(
        "{:.0f} requests/s = {:.0f} events/s{}; latency p50 {:.2f} ms, p90 {:.2f} ms, p99 "
        "{:.2f} ms, max {:.2f} ms; {} requests, {} not 200, {} connection errors\n",
        rps, rps * o_.batch, o_.rate > 0 ? fmt::format(" (paced at {:.0f}/s)", o_.rate) : "",
        at(0.5), at(0.9), at(0.99), latencies_.back(), latencies_.size(), non_200_, errors_);
    return non_200_ == 0 && errors_ == 0 ? 0 : 1;
  }

  Options o_;
  std::mt19937_64 rng_;
  std::vector<Template> templates_;
  asio::io_context io_;
  Clock::time_point start_, end_, last_;
  uint64_t sent_ = 0;
  std::vector<double> latencies_;
  uint64_t non_200_ = 0, errors_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.size() < 2 || args[0].find(':') == std::string_view::npos) {
    std::fprintf(stderr,
                 "usage: attrib_ingest_load HOST:PORT WRITE_KEY [--connections N] [--batch N] "
                 "[--seconds N] [--rate R]\n");
    return 2;
  }
  o.host = std::string(args[0].substr(0, args[0].rfind(':')));
  o.port = std::string(args[0].substr(args[0].rfind(':') + 1));
  o.write_key = std::string(args[1]);
  for (size_t i = 2; i + 1 < args.size(); i += 2) {
    const double v = std::atof(std::string(args[i + 1]).c_str());
    if (args[i] == "--connections") {
      o.connections = static_cast<int>(v);
    } else if (args[i] == "--batch") {
      o.batch = static_cast<int>(v);
    } else if (args[i] == "--seconds") {
      o.seconds = static_cast<int>(v);
    } else if (args[i] == "--rate") {
      o.rate = v;
    } else {
      std::fprintf(stderr, "unknown option %s\n", std::string(args[i]).c_str());
      return 2;
    }
  }
  if (o.connections < 1 || o.batch < 1 || o.batch > 2500 || o.seconds < 1 || o.rate < 0) {
    std::fprintf(stderr, "connections, batch (at most 2,500) and seconds must be positive\n");
    return 2;
  }
  return Load(std::move(o)).Run();
}
