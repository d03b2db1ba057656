// The malformed-request corpus (tests/data/malformed_requests.txt, whose header describes the
// format): every case sent to the real server as raw bytes over TCP, so that broken HTTP can be
// sent too, and its answer checked: the status, the error's code and a part of its message (or
// the counts of a batch's bad rows). Then the server must still be up, still take a batch, and
// still hold what it had accepted before.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sodium.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <boost/asio/write.hpp>
#include <cctype>
#include <charconv>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "common/strings.h"
#include "server/server_fixture.h"

namespace attrib::server {
namespace {

using namespace test_support;  // NOLINT(build/namespaces): the fixture and its client

// A reply slower than this is a hang: the case fails instead of the test hanging.
constexpr std::chrono::seconds kCaseTimeout{10};

struct Case {
  std::string name;
  int line = 0;                   // in the data file, for failure reports
  std::vector<std::string> head;  // "> " lines: the request line, then headers
  std::optional<std::string> raw;
  std::string body;
  bool close = false;  // shut down the sending side once the request is sent
  unsigned status = 0;
  std::string code, message;
  std::map<std::string, int64_t> counts;
  std::vector<std::pair<std::string, std::string>> reply_headers;
};

struct Keys {
  std::string write, read, other_read;
};

std::string Deflate(std::string_view data) {  // zlib-wrapped, as HTTP's "deflate" is
  uLongf size = compressBound(data.size());
  std::string out(size, '\0');
  compress2(reinterpret_cast<Bytef*>(out.data()), &size,
            reinterpret_cast<const Bytef*>(data.data()), data.size(), 9);
  out.resize(size);
  return out;
}

std::string Base64(std::string_view data) {
  std::string out(sodium_base64_ENCODED_LEN(data.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(data.data()),
                    data.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr std::string_view kGenerators[] = {"write_key", "read_key", "other_read_key", "repeat",
                                            "gzip",      "deflate",  "base64",         "upper"};

// The bytes `text` stands for: \xHH escapes and {generator …} expanded. Problems go to *error.
std::string Expand(std::string_view text, const Keys& keys, std::string* error) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (text.substr(i, 2) == "\\x" && i + 3 < text.size() && Hex(text[i + 2]) >= 0 &&
        Hex(text[i + 3]) >= 0) {
      out.push_back(static_cast<char>(Hex(text[i + 2]) * 16 + Hex(text[i + 3])));
      i += 4;
      continue;
    }
    if (text[i] == '{') {
      size_t end = i + 1;
      while (end < text.size() &&
             (std::islower(static_cast<unsigned char>(text[end])) ||
              std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '_')) {
        ++end;
      }
      const std::string_view name = text.substr(i + 1, end - i - 1);
      const bool known =
          std::find(std::begin(kGenerators), std::end(kGenerators), name) != std::end(kGenerators);
      if (known && end < text.size() && (text[end] == ' ' || text[end] == '}')) {
        size_t close = i, depth = 0;
        for (; close < text.size(); ++close) {
          if (text[close] == '{') ++depth;
          if (text[close] == '}' && --depth == 0) break;
        }
        if (close == text.size()) {
          *error = fmt::format("{{{} is not closed", name);
          return out;
        }
        std::string_view arg = text.substr(end, close - end);
        if (!arg.empty()) arg.remove_prefix(1);  // the space after the name
        i = close + 1;
        if (name == "write_key") {
          out += keys.write;
        } else if (name == "read_key") {
          out += keys.read;
        } else if (name == "other_read_key") {
          out += keys.other_read;
        } else if (name == "repeat") {
          const size_t space = arg.find(' ');
          size_t n = 0;
          const std::string_view count = arg.substr(0, space);
          if (space == std::string_view::npos ||
              std::from_chars(count.data(), count.data() + count.size(), n).ptr !=
                  count.data() + count.size()) {
            *error = fmt::format("{{repeat {}}}: give a count and a text", arg.substr(0, 20));
            return out;
          }
          const std::string unit = Expand(arg.substr(space + 1), keys, error);
          out.reserve(out.size() + n * unit.size());
          for (size_t k = 0; k < n; ++k) out += unit;
        } else {
          const std::string inner = Expand(arg, keys, error);
          if (name == "gzip") out += Gzip(inner);
          if (name == "deflate") out += Deflate(inner);
          if (name == "base64") out += Base64(inner);
          if (name == "upper") {
            for (char c : inner) out.push_back(static_cast<char>(std::toupper(c)));
          }
        }
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

// The cases of the data file; problems with the file are test failures naming its line.
std::vector<Case> ReadCases(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::vector<Case> cases;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.find(' ');
    const std::string word = line.substr(0, space);
    const std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
    if (word == "case") {
      cases.emplace_back();
      cases.back().name = rest;
      cases.back().line = number;
      continue;
    }
    if (cases.empty()) {
      ADD_FAILURE() << path << ":" << number << ": \"" << word << "\" before the first case";
      continue;
    }
    Case& c = cases.back();
    if (word == ">") {
      c.head.push_back(rest);
    } else if (word == "raw") {
      c.raw = rest;
    } else if (word == "body") {
      c.body += rest;
    } else if (word == "close") {
      c.close = true;
    } else if (word == "expect") {
      std::istringstream s(rest);
      s >> c.status >> c.code;
      std::getline(s >> std::ws, c.message);
    } else if (word == "counts") {
      std::istringstream s(rest);
      for (std::string kv; s >> kv;) {
        const size_t eq = kv.find('=');
        int64_t n = 0;
        const char* end = kv.data() + kv.size();
        if (eq == std::string::npos || std::from_chars(kv.data() + eq + 1, end, n).ptr != end) {
          ADD_FAILURE() << path << ":" << number << ": \"" << kv << "\" is not KEY=N";
        }
        c.counts[kv.substr(0, eq)] = n;
      }
    } else if (word == "reply-header") {
      const size_t colon = rest.find(':');
      c.reply_headers.emplace_back(rest.substr(0, colon),
                                   colon == std::string::npos ? "" : rest.substr(colon + 2));
    } else {
      ADD_FAILURE() << path << ":" << number << ": unknown line \"" << word << "\"";
    }
  }
  return cases;
}

// The bytes a case sends: its head with Host and Content-Length added when it gives none.
std::string RequestBytes(const Case& c, const Keys& keys, std::string* error) {
  if (c.raw) return Expand(*c.raw, keys, error);
  const std::string body = Expand(c.body, keys, error);
  bool host = false, framed = false;
  std::string headers;
  for (size_t i = 1; i < c.head.size(); ++i) {
    const std::string h = Expand(c.head[i], keys, error);
    host = host || StartsWithIgnoreCase(h, "host:");
    framed = framed || StartsWithIgnoreCase(h, "content-length:") ||
             StartsWithIgnoreCase(h, "transfer-encoding:");
    headers += h + "\r\n";
  }
  std::string out = c.head.empty() ? "" : Expand(c.head[0], keys, error) + "\r\n";
  if (!host) out += "Host: 127.0.0.1\r\n";
  out += headers;
  if (!framed && (!body.empty() || out.starts_with("POST "))) {
    out += fmt::format("Content-Length: {}\r\n", body.size());
  }
  return out + "\r\n" + body;
}

// What came back for one case.
struct Outcome {
  std::string failure;  // empty: a well-formed reply (and, kept alive, a connection in step)
  unsigned status = 0;
  std::string body;
  http::fields headers;
};

Outcome Failure(std::string why) {
  Outcome o;
  o.failure = std::move(why);
  return o;
}

// Sends `request` on a new connection and reads the reply while writing, since the server may
// answer before it has read everything (413, 431). A reply kept alive must leave the connection
// in step: a following GET /livez is answered 200. A closed one must be followed by nothing.
Outcome Exchange(uint16_t port, const std::string& request, bool close) {
  net::io_context io;
  tcp::socket socket(io);
  const auto deadline = std::chrono::steady_clock::now() + kCaseTimeout;
  Outcome o;
  beast::error_code ec;
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return Failure("cannot connect: " + ec.message());
  // Runs `io` until `done`; false when the deadline passed first.
  const auto run_until = [&](const bool& done) {
    io.restart();
    while (!done && io.run_one_until(deadline) != 0) {
    }
    return done;
  };
  bool written = false;
  net::async_write(socket, net::buffer(request), [&](beast::error_code e, size_t) {
    if (!e && close) socket.shutdown(tcp::socket::shutdown_send, e);
    written = true;
  });
  const bool head = request.starts_with("HEAD ");
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::string_body>> parser;
  bool read = false;
  do {  // 100 Continue, then the answer
    parser.emplace();
    parser->body_limit(64 << 20);
    parser->skip(head);
    read = false;
    http::async_read(socket, buffer, *parser, [&](beast::error_code e, size_t) {
      ec = e;
      read = true;
    });
    if (!run_until(read)) return Failure("no reply within the timeout (a hang)");
    if (ec) return Failure("no readable reply: " + ec.message());
  } while (parser->get().result() == http::status::continue_);
  o.status = parser->get().result_int();
  o.body = parser->get().body();
  o.headers = parser->get().base();

  if (!parser->keep_alive()) {  // nothing may follow the answer before the connection closes
    size_t extra = buffer.size();
    for (bool eof = false; !eof;) {
      std::array<char, 4096> chunk;
      read = false;
      socket.async_read_some(net::buffer(chunk), [&](beast::error_code e, size_t n) {
        extra += n;
        eof = e.failed();
        read = true;
      });
      if (!run_until(read)) {
        o.failure = "the server said Connection: close but kept the connection open";
        return o;
      }
    }
    if (extra != 0) o.failure = fmt::format("{} bytes after the reply", extra);
    return o;
  }
  if (close) return o;
  if (!run_until(written)) {
    return Failure("the connection was kept alive without the request read whole");
  }
  const std::string livez = "GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  net::async_write(socket, net::buffer(livez), [](beast::error_code, size_t) {});
  parser.emplace();
  read = false;
  http::async_read(socket, buffer, *parser, [&](beast::error_code e, size_t) {
    ec = e;
    read = true;
  });
  if (!run_until(read) || ec || parser->get().result_int() != 200) {
    o.failure = "after the reply, the connection is out of step: GET /livez was not answered 200" +
                (ec ? " (" + ec.message() + ")" : "");
  }
  return o;
}

// Why `o` is not what `c` expects; empty when it is.
std::string Mismatch(const Case& c, const Outcome& o, bool head) {
  if (!o.failure.empty()) return o.failure;
  if (o.status != c.status) return fmt::format("status {}, expected {}", o.status, c.status);
  for (const auto& [name, value] : c.reply_headers) {
    if (o.headers[name] != value) {
      return fmt::format("reply header {}: \"{}\", expected \"{}\"", name,
                         std::string(o.headers[name]), value);
    }
  }
  if (head) return "";  // no body to check: Exchange saw that none followed
  const nlohmann::json j = nlohmann::json::parse(o.body, nullptr, false);
  if (!c.counts.empty()) {
    if (!j.is_object() || j.value("success", false) != true) return "not an ingest answer";
    nlohmann::json reasons = nlohmann::json::object();
    for (const auto& [key, n] : c.counts) {
      if (key == "accepted" || key == "duplicates" || key == "received") {
        if (j[key] != n) return fmt::format("{} is {}, expected {}", key, j[key].dump(), n);
      } else {
        reasons[key] = n;
      }
    }
    if (j["rejected_by_reason"] != reasons) {
      return fmt::format("rejected_by_reason {}, expected {}", j["rejected_by_reason"].dump(),
                         reasons.dump());
    }
    return "";
  }
  if (c.code.empty()) return "";
  if (o.headers[http::field::content_type] != "application/json") return "the error is not JSON";
  if (!j.is_object() || j.size() != 2 || !j["code"].is_string() || !j["message"].is_string()) {
    return "not an error of the form {\"code\",\"message\"}";
  }
  if (j["code"] != c.code) return fmt::format("code {}, expected {}", j["code"].dump(), c.code);
  if (j["message"].get<std::string>().find(c.message) == std::string::npos) {
    return fmt::format("the message does not say \"{}\"", c.message);
  }
  return "";
}

using MalformedRequests = ServerTest;

TEST_F(MalformedRequests, EachIsAnsweredAsSpecifiedAndNothingAcceptedIsLost) {
  StartServer();
  const Headers auth = {{"Authorization", Basic(a_.write_key)}};
  const std::string before = R"({"batch":[)" +
                             Page("keep-p1", "keeper", "https://shop.example/?gclid=k",
                                  "https://www.google.com/", "2026-11-17T10:00:00Z") +
                             "," + Order("keep-o1", "keeper", 12.5, "2026-11-17T10:05:00Z") + "]}";
  Reply r = Post("/v1/batch", before, auth);
  ASSERT_EQ(r.status, 200u) << r.body;
  ASSERT_EQ(r.json()["accepted"], 2) << r.body;

  const std::vector<Case> cases =
      ReadCases(std::string(ATTRIB_SOURCE_DIR) + "/tests/data/malformed_requests.txt");
  EXPECT_GE(cases.size(), 110u);
  const Keys keys{a_.write_key, a_.read_key, b_.read_key};
  std::set<std::string> names;
  for (const Case& c : cases) {
    SCOPED_TRACE(fmt::format("case {} (malformed_requests.txt:{})", c.name, c.line));
    EXPECT_TRUE(names.insert(c.name).second) << "a second case of this name";
    std::string error;
    const std::string request = RequestBytes(c, keys, &error);
    Case expected = c;
    for (auto& [name, value] : expected.reply_headers) value = Expand(value, keys, &error);
    if (!error.empty() || c.status == 0) {
      ADD_FAILURE() << "cannot read the case: " << (error.empty() ? "no expect line" : error);
      continue;
    }
    const Outcome o = Exchange(server_->port(), request, c.close);
    const std::string mismatch = Mismatch(expected, o, request.starts_with("HEAD "));
    EXPECT_EQ(mismatch, "") << "reply " << o.status << ": " << o.body.substr(0, 400);
  }

  // Still serving, still taking batches, and what was accepted before is all there.
  EXPECT_EQ(Send(http::verb::get, "/livez", "").status, 200u);
  r = Post("/v1/batch",
           R"({"batch":[)" +
               Page("keep-p2", "keeper-2", "https://shop.example/", "", "2026-11-17T11:00:00Z") +
               "]}",
           auth);
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json()["accepted"], 1) << r.body;
  r = GetUntil("/v1/journeys?anonymous_id=keeper", a_.read_key, [](const Reply& x) {
    return x.status == 200 && x.json()["conversions"].size() == 1;
  });
  ASSERT_EQ(r.status, 200u) << r.body;
  ASSERT_EQ(r.json()["conversions"].size(), 1u) << r.body;
  EXPECT_EQ(r.json()["conversions"][0]["message_id"], "keep-o1");
  EXPECT_EQ(r.json()["sessions"][0]["rule_id"], "gclid") << r.body;
}

}  // namespace
}  // namespace attrib::server
