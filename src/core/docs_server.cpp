#include "core/docs_server.hpp"

#include <fmt/format.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>

namespace faststream::core {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Resource {
  const std::string* body;
  const char* content_type;
};

std::optional<Resource> find(const DocsSite& site, beast::string_view target) {
  // The query string plays no part.
  if (auto q = target.find('?'); q != beast::string_view::npos) target = target.substr(0, q);
  if (target == "/" || target == "/index.html")
    return Resource{&site.page, "text/html; charset=utf-8"};
  if (target == "/asyncapi.json") return Resource{&site.json, "application/json"};
  if (target == "/asyncapi.yaml") return Resource{&site.yaml, "application/yaml"};
  return std::nullopt;
}

// One connection: requests answered in turn (keep-alive) until the client closes, stays idle
// for 30 s, or sends something that is not HTTP.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const DocsSite& site) : stream_(std::move(socket)), site_(site) {}
  void start() { read(); }

 private:
  void read() {
    request_ = {};
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->close();
                       self->answer();
                     });
  }

  void answer() {
    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(request_.version());
    response->keep_alive(request_.keep_alive());
    response->set(http::field::server, "faststream-cpp docs");
    response->set(http::field::cache_control, "no-store");
    const auto resource = find(site_, request_.target());
    if (request_.method() != http::verb::get && request_.method() != http::verb::head) {
      response->result(http::status::method_not_allowed);
      response->set(http::field::allow, "GET, HEAD");
      response->set(http::field::content_type, "text/plain; charset=utf-8");
      response->body() = "only GET and HEAD\n";
    } else if (!resource) {
      response->result(http::status::not_found);
      response->set(http::field::content_type, "text/plain; charset=utf-8");
      response->body() =
          "not found: the page is at /, the document at /asyncapi.json and "
          "/asyncapi.yaml\n";
    } else {
      response->result(http::status::ok);
      response->set(http::field::content_type, resource->content_type);
      if (request_.method() == http::verb::get) response->body() = *resource->body;
    }
    response->prepare_payload();
    if (request_.method() == http::verb::head && resource)
      response->content_length(resource->body->size());
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
  const DocsSite& site_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
};

void accept(tcp::acceptor& acceptor, const DocsSite& site) {
  acceptor.async_accept([&acceptor, &site](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) std::make_shared<Session>(std::move(socket), site)->start();
    accept(acceptor, site);
  });
}

}  // namespace

void serve_docs(const DocsSite& site, const std::string& host, std::uint16_t port,
                const std::function<void(const std::string& url)>& listening) {
  asio::io_context io;
  tcp::acceptor acceptor(io);
  try {
    tcp::resolver resolver(io);
    const auto endpoints = resolver.resolve(host, std::to_string(port));
    const tcp::endpoint endpoint = *endpoints.begin();
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen();
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error(
        fmt::format("cannot listen on {}:{}: {}", host, port, e.code().message()));
  }
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) { io.stop(); });
  accept(acceptor, site);
  const auto bound = acceptor.local_endpoint();
  const std::string shown_host = bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                                         : bound.address().to_string();
  listening(fmt::format("http://{}:{}/", shown_host, bound.port()));
  io.run();
}

}  // namespace faststream::core
