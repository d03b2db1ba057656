#include "server/http_server.h"

#include <fmt/format.h>
#include <pthread.h>

#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>

#include "server/limits.h"

namespace attrib::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Handler& handler, std::atomic<size_t>& live)
      : stream_(std::move(socket)), handler_(handler), live_(live) {
    beast::error_code ec;
    const tcp::endpoint remote = stream_.socket().remote_endpoint(ec);
    if (!ec) peer_ = remote.address().to_string();
  }
  ~Session() { --live_; }

  void Start() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::Read, shared_from_this()));
  }

 private:
  void Read() {
    head_ = false;
    linger_ = false;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(kMaxHeaderBytes));
    parser_->body_limit(kMaxBodyBytes);
    stream_.expires_after(kIdleTimeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t) {
    if (ec) return Failed(ec);
    const auto& req = parser_->get();
    // RFC 9112 §3.2: an HTTP/1.1 request names its host, once.
    if (req.version() == 11 && req.count(http::field::host) != 1) {
      return Refuse(400, "invalid_request", "an HTTP/1.1 request must have one Host header");
    }
    // A body framed other than chunked cannot be delimited (RFC 9112 §6.3): it would be read as
    // the next request.
    if (req.count(http::field::transfer_encoding) != 0 &&
        (req.count(http::field::transfer_encoding) != 1 ||
         !beast::iequals(req[http::field::transfer_encoding], "chunked"))) {
      return Refuse(400, "invalid_request",
                    fmt::format("Transfer-Encoding \"{}\" is not supported: send the body chunked "
                                "or with a Content-Length",
                                std::string(req[http::field::transfer_encoding].substr(0, 64))));
    }
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                     req.version());
      http::async_write(stream_, *cont,
                        [self = shared_from_this(), cont](beast::error_code e, size_t) {
                          if (e) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    stream_.expires_after(kRequestTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void Failed(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return Refuse(413, "limit_exceeded",
                    fmt::format("the request body is over the limit of {} bytes", kMaxBodyBytes));
    }
    if (ec == http::error::header_limit) {
      return Refuse(431, "limit_exceeded",
                    fmt::format("the request line and headers are over the limit of {} bytes",
                                kMaxHeaderBytes));
    }
    if (ec == http::error::partial_message) {
      return Refuse(400, "invalid_request",
                    "the connection closed before the request was complete");
    }
    if (ec.category() == beast::http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream) {
      return Refuse(400, "invalid_request",
                    fmt::format("malformed HTTP request: {}", ec.message()));
    }
    Close();  // end of stream, timeout, reset
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec) return Failed(ec);
    Request request = parser_->release();
    // HEAD is GET without the body (RFC 9110 §9.3.2): the handler answers it as GET, and it
    // is sent without the body.
    head_ = request.method() == http::verb::head;
    keep_alive_ = request.keep_alive();
    version_ = request.version();
    handler_.Handle(std::move(request), peer_, [self = shared_from_this()](Response res) {
      net::post(self->stream_.get_executor(),
                [self, res = std::move(res)]() mutable { self->Send(std::move(res), false); });
    });
  }

  void Refuse(unsigned status, std::string_view code, std::string message) {
    version_ = 11;
    linger_ = true;
    Send(handler_.Refuse(status, code, std::move(message)), /*close=*/true);
  }

  void Send(Response res, bool close) {
    res.version(version_);
    res.keep_alive(keep_alive_ && !close && res.keep_alive());
    res.prepare_payload();
    if (head_) res.body().clear();  // Content-Length still tells what GET would get
    auto sp = std::make_shared<Response>(std::move(res));
    stream_.expires_after(kRequestTimeout);
    http::async_write(stream_, *sp, [self = shared_from_this(), sp](beast::error_code e, size_t) {
      if (!e && sp->need_eof() && self->linger_) return self->Linger();
      if (e || sp->need_eof()) return self->Close();
      self->Read();
    });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  // Closed for sending after a refusal; what the client still sends is dropped until it
  // closes too (limits.h). Closing with its bytes unread would reset the connection, and a
  // client still writing would see the reset, not the answer.
  void Linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return stream_.close();
    stream_.expires_after(kLingerTimeout);
    drain_ = std::make_unique<std::array<char, 16 * 1024>>();
    Drain();
  }
  void Drain() {
    stream_.async_read_some(net::buffer(*drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kMaxLingerBytes) {
                                return self->stream_.close();
                              }
                              self->Drain();
                            });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Handler& handler_;
  std::atomic<size_t>& live_;
  std::string peer_;
  bool keep_alive_ = true;
  bool head_ = false;    // the request being answered is a HEAD
  bool linger_ = false;  // refused: drain before closing
  std::unique_ptr<std::array<char, 16 * 1024>> drain_;
  size_t drained_ = 0;
  unsigned version_ = 11;
};

}  // namespace

struct HttpServer::Impl {
  explicit Impl(net::io_context& io) : acceptor(io) {}
  tcp::acceptor acceptor;
};

HttpServer::HttpServer(Handler& handler, ListenOptions options)
    : handler_(handler), options_(std::move(options)), impl_(std::make_unique<Impl>(io_)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Listen() {
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(options_.address, ec);
  if (ec) {
    return Status::InvalidArgument(
        fmt::format("--listen: \"{}\" is not an IP address", options_.address));
  }
  const tcp::endpoint endpoint(address, options_.port);
  tcp::acceptor& a = impl_->acceptor;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable(
        fmt::format("cannot listen on {}:{}: {}", options_.address, options_.port, ec.message()));
  }
  port_ = a.local_endpoint().port();
  return Status::Ok();
}

namespace {

void Accept(tcp::acceptor& acceptor, Handler& handler, std::atomic<size_t>& live,
            size_t max_connections) {
  acceptor.async_accept(
      net::make_strand(acceptor.get_executor()),
      [&acceptor, &handler, &live, max_connections](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
        if (!ec) {
          if (live.load() >= max_connections) {
            socket.close(ec);
          } else {
            ++live;
            socket.set_option(tcp::no_delay(true), ec);
            std::make_shared<Session>(std::move(socket), handler, live)->Start();
          }
        }
        Accept(acceptor, handler, live, max_connections);
      });
}

}  // namespace

void HttpServer::Start() {
  Accept(impl_->acceptor, handler_, live_, options_.max_connections);
  for (int i = 0; i < std::max(1, options_.threads); ++i) {
    threads_.emplace_back([this] {
      pthread_setname_np(pthread_self(), "attrib-io");  // as top -H and perf show it
      io_.run();
    });
  }
}

void HttpServer::Stop() {
  if (threads_.empty()) return;
  net::post(io_, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
  });
  io_.stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

}  // namespace attrib::server
