// HTTP/1.1 over TCP with Boost.Beast: accepts connections, reads requests within the limits of
// limits.h (answering 413/431/400 for those it cannot read) and hands each to a Handler;
// keep-alive, idle timeouts, "Expect: 100-continue".
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "attrib/status.h"

namespace attrib::server {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
// Sends a request's response; callable from any thread, once.
using Respond = std::function<void(Response)>;

class Handler {
 public:
  virtual ~Handler() = default;
  // Called on an I/O thread; `peer` is the client's address.
  virtual void Handle(Request request, const std::string& peer, Respond respond) = 0;
  // The answer to a request the server could not read: `status` with an error body.
  virtual Response Refuse(unsigned status, std::string_view code, std::string message) = 0;
};

struct ListenOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;             // 0: any free port (port() tells which)
  int threads = 2;                  // I/O threads
  size_t max_connections = 10'000;  // beyond: new connections are closed at once
};

class HttpServer {
 public:
  HttpServer(Handler& handler, ListenOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  Status Listen();  // binds and listens
  uint16_t port() const { return port_; }
  // Starts the I/O threads; returns at once.
  void Start();
  // Stops accepting, closes connections and joins the I/O threads.
  void Stop();
  boost::asio::io_context& io() { return io_; }

 private:
  struct Impl;
  Handler& handler_;
  ListenOptions options_;
  // Open connections. Declared before io_ so that it outlives it: destroying io_ destroys the
  // sessions it still holds (idle keep-alive connections), and each counts itself out.
  std::atomic<size_t> live_{0};
  boost::asio::io_context io_;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace attrib::server
