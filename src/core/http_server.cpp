#include "core/http_server.hpp"

#include <fmt/format.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace faststream::core {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Routes = std::map<std::string, HttpRoute>;

HttpResponse text(int status, std::string body) {
  return {status, "text/plain; charset=utf-8", std::move(body)};
}

HttpResponse answer(const Routes& routes, http::verb method, beast::string_view target) {
  if (method != http::verb::get && method != http::verb::head)
    return text(405, "only GET and HEAD\n");
  // The query string plays no part.
  if (auto q = target.find('?'); q != beast::string_view::npos) target = target.substr(0, q);
  auto route = routes.find(std::string(target));
  if (route == routes.end()) {
    std::string paths;
    for (const auto& [path, _] : routes) paths += " " + path;
    return text(404, "not found; paths:" + paths + "\n");
  }
  try {
    HttpResponse out = route->second();
    if (out.status == 204) out.body.clear();  // 204 has no body
    return out;
  } catch (const std::exception& e) {
    return text(500, std::string(e.what()) + "\n");
  } catch (...) {
    return text(500, "the route failed\n");
  }
}

// One connection: requests answered in turn (keep-alive) until the client closes, stays idle
// for 30 s, or sends something that is not HTTP.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const Routes& routes) : stream_(std::move(socket)), routes_(routes) {}
  void start() { read(); }

 private:
  void read() {
    request_ = {};
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->close();
                       self->respond();
                     });
  }

  void respond() {
    const HttpResponse out = answer(routes_, request_.method(), request_.target());
    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(request_.version());
    response->keep_alive(request_.keep_alive());
    response->result(static_cast<http::status>(out.status));
    response->set(http::field::server, "faststream-cpp");
    response->set(http::field::cache_control, "no-store");
    if (out.status == 405) response->set(http::field::allow, "GET, HEAD");
    if (out.status != 204) response->set(http::field::content_type, out.content_type);
    if (request_.method() != http::verb::head) response->body() = out.body;
    response->prepare_payload();
    if (request_.method() == http::verb::head && out.status != 204)
      response->content_length(out.body.size());
    stream_.expires_after(std::chrono::seconds(30));
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response](beast::error_code ec, std::size_t) {
                        if (ec || !response->keep_alive()) return self->close();
                        self->read();
                      });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  beast::tcp_stream stream_;
  const Routes& routes_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
};

}  // namespace

struct HttpServer::Impl {
  Routes routes;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  asio::steady_timer retry{io};
  std::vector<std::thread> threads;

  void accept() {
    // Each connection on a strand of its own: with two threads, a session's timer and its
    // reads and writes never run at once.
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) {
        std::make_shared<Session>(std::move(socket), routes)->start();
        return accept();
      }
      // Out of descriptors and the like: try again a little later rather than spin.
      retry.expires_after(std::chrono::milliseconds(100));
      retry.async_wait([this](beast::error_code) { accept(); });
    });
  }
};

HttpServer::HttpServer(std::map<std::string, HttpRoute> routes, const std::string& host,
                       std::uint16_t port)
    : impl_(std::make_unique<Impl>()) {
  impl_->routes = std::move(routes);
  try {
    tcp::resolver resolver(impl_->io);
    const tcp::endpoint endpoint = *resolver.resolve(host, std::to_string(port)).begin();
    impl_->acceptor.open(endpoint.protocol());
    impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor.bind(endpoint);
    impl_->acceptor.listen();
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error(
        fmt::format("cannot listen on {}:{}: {}", host, port, e.code().message()));
  }
  impl_->accept();
}

HttpServer::~HttpServer() {
  stop();
}

std::string HttpServer::url() const {
  const auto bound = impl_->acceptor.local_endpoint();
  const auto address = bound.address().to_string();
  return fmt::format("http://{}:{}/", bound.address().is_v6() ? "[" + address + "]" : address,
                     bound.port());
}

void HttpServer::run_until_signal() {
  asio::signal_set signals(impl_->io, SIGINT, SIGTERM);
  signals.async_wait([this](beast::error_code, int) { impl_->io.stop(); });
  impl_->io.run();
}

void HttpServer::start() {
  // Two threads: a route that waits (a readiness ping) does not hold up the others
  // (liveness, metrics).
  for (int i = 0; i < 2; ++i) impl_->threads.emplace_back([this] { impl_->io.run(); });
}

void HttpServer::stop() {
  impl_->io.stop();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->threads.clear();
}

}  // namespace faststream::core
