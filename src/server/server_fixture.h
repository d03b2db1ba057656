// Test support for the server's tests: a catalog with two projects in a temporary store, the
// server started on a free loopback port, and a small HTTP client speaking to it.
#pragma once

#include <gtest/gtest.h>
#include <sodium.h>
#include <stdlib.h>
#include <zlib.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstring>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "query/store_report.h"
#include "server/server.h"
#include "storage/sqlite/sqlite_catalog.h"

namespace attrib::server::test_support {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr Micros kNow = 1'795'000'000'000'000;  // 2026-11-18T09:46:40Z

struct Reply {
  unsigned status = 0;
  std::string body;
  http::fields headers;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

inline std::string Gzip(std::string_view data) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

inline std::string Basic(const std::string& write_key) {
  const std::string raw = write_key + ":";
  std::string out(sodium_base64_ENCODED_LEN(raw.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return "Basic " + out;
}

inline std::string Page(const std::string& id, const std::string& anonymous, const std::string& url,
                        const std::string& referrer, const std::string& at) {
  return nlohmann::json({{"type", "page"},
                         {"messageId", id},
                         {"anonymousId", anonymous},
                         {"timestamp", at},
                         {"context", {{"page", {{"url", url}, {"referrer", referrer}}}}}})
      .dump();
}

inline std::string Order(const std::string& id, const std::string& anonymous, double revenue,
                         const std::string& at) {
  return nlohmann::json({{"type", "track"},
                         {"event", "Order Completed"},
                         {"messageId", id},
                         {"anonymousId", anonymous},
                         {"timestamp", at},
                         {"properties", {{"revenue", revenue}}}})
      .dump();
}

// Every model, in order.
inline std::vector<Model> AllModels() {
  std::vector<Model> all;
  for (int m = 0; m < kModelCount; ++m) all.push_back(static_cast<Model>(m));
  return all;
}

// Two answers of the commonest paths are the same, totals and paths.
inline void ExpectSamePaths(const query::PathsResult& a, const query::PathsResult& b) {
  EXPECT_EQ(a.journeys, b.journeys);
  EXPECT_EQ(a.conversions, b.conversions);
  EXPECT_EQ(a.revenue, b.revenue);
  EXPECT_EQ(a.distinct_paths, b.distinct_paths);
  ASSERT_EQ(a.paths.size(), b.paths.size());
  for (size_t i = 0; i < a.paths.size(); ++i) {
    EXPECT_EQ(a.paths[i].steps, b.paths[i].steps) << i;
    EXPECT_EQ(a.paths[i].journeys, b.paths[i].journeys) << i;
    EXPECT_EQ(a.paths[i].conversions, b.paths[i].conversions) << i;
    EXPECT_EQ(a.paths[i].revenue, b.paths[i].revenue) << i;
  }
}

// A new directory under the system's temporary one.
inline std::string TempDir() {
  std::string dir = (std::filesystem::temp_directory_path() / "attrib_server_XXXXXX").string();
  EXPECT_NE(mkdtemp(dir.data()), nullptr);
  return dir;
}

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() : clock_(kNow) {
    dir_ = TempDir();
    db_ = dir_ + "/store.db";
    Result<std::unique_ptr<Catalog>> catalog = OpenSqliteCatalog(db_, clock_, true);
    EXPECT_TRUE(catalog.ok()) << catalog.status().ToString();
    catalog_ = std::move(catalog).value();
    a_ = Create("shop");
    b_ = Create("other");
    Result<Classifier> classifier = Classifier::Create();
    EXPECT_TRUE(classifier.ok());
    classifier_ = std::make_unique<Classifier>(std::move(classifier).value());
  }
  ~ServerTest() override {
    if (server_) server_->Stop();
    server_.reset();
    catalog_.reset();
    std::filesystem::remove_all(dir_);
  }

  NewKeys Create(const std::string& name) {
    const query::AnalysisOptions a;
    DeriveSettings settings;
    settings.person = PersonOptions{a.sessions, a.conversions, a.heuristics};
    Result<NewKeys> keys = catalog_->CreateProject(name, settings);
    EXPECT_TRUE(keys.ok()) << keys.status().ToString();
    return keys.ok() ? *keys : NewKeys{};
  }

  void StartServer(double rate_limit = 5000,
                   const std::function<void(ServerOptions&)>& adjust = nullptr) {
    ServerOptions o;
    o.db = db_;
    o.listen.port = 0;
    o.listen.threads = 2;
    o.api.rate_limit = rate_limit;
    o.api.log_requests = false;
    o.writer.derive_interval = std::chrono::milliseconds(50);
    o.key_refresh = std::chrono::milliseconds(20);
    if (adjust) adjust(o);
    Result<std::unique_ptr<Server>> s = Server::Start(o, *classifier_, clock_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
  }

  Reply Send(http::verb method, const std::string& target, const std::string& body,
             const Headers& headers = {}) {
    net::io_context io;
    tcp::socket socket(io);
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server_->port()));
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = body;
    if (method == http::verb::post || !body.empty()) req.prepare_payload();
    http::write(socket, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    beast::error_code ec;
    http::read(socket, buffer, parser, ec);
    Reply r;
    if (ec) return r;
    r.status = parser.get().result_int();
    r.body = parser.get().body();
    r.headers = parser.get().base();
    return r;
  }
  Reply Post(const std::string& target, const std::string& body, const Headers& headers) {
    return Send(http::verb::post, target, body, headers);
  }
  Reply Get(const std::string& target, const std::string& read_key) {
    return Send(http::verb::get, target, "", {{"Authorization", "Bearer " + read_key}});
  }
  // Waits (up to 5 s) for `pred` of the answer to `target` to hold.
  Reply GetUntil(const std::string& target, const std::string& read_key,
                 const std::function<bool(const Reply&)>& pred) {
    Reply r;
    for (int i = 0; i < 100; ++i) {
      r = Get(target, read_key);
      if (pred(r)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return r;
  }

  // /metrics once it holds every one of `lines` (the store takes acknowledged requests in a
  // moment after their answers).
  Reply MetricsWith(const std::vector<std::string>& lines) {
    Reply r;
    for (int i = 0; i < 100; ++i) {
      r = Send(http::verb::get, "/metrics", "");
      if (std::all_of(lines.begin(), lines.end(), [&r](const std::string& line) {
            return r.body.find(line + "\n") != std::string::npos;
          })) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return r;
  }

  FakeClock clock_;
  std::string dir_, db_;
  std::unique_ptr<Catalog> catalog_;
  NewKeys a_, b_;
  std::unique_ptr<Classifier> classifier_;
  std::unique_ptr<Server> server_;
};

}  // namespace attrib::server::test_support
