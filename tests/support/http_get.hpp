#pragma once
// A blocking HTTP/1.1 GET for tests of the side door (Boost.Beast).
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <sstream>
#include <string>

#include "support/models.hpp"

namespace fs_test {

struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string body;
};

// `base` is http://host:port/ as App::http_url() gives it; `path` starts with '/'.
inline HttpReply http_get(const std::string& base, const std::string& path) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  using tcp = boost::asio::ip::tcp;
  const auto authority = base.substr(7, base.find('/', 7) - 7);  // after "http://"
  const auto colon = authority.rfind(':');
  boost::asio::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(resolver.resolve(authority.substr(0, colon), authority.substr(colon + 1)));
  http::request<http::empty_body> request{http::verb::get, path, 11};
  request.set(http::field::host, authority);
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return {static_cast<int>(response.result_int()), std::string(response[http::field::content_type]),
          response.body()};
}

// Prometheus text as "name{labels}" -> value (the labels as written).
inline std::map<std::string, double> parse_prometheus(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

// The side door of a running app whose server is stopped and started again: ready says 500
// while it is down (live stays 204) and 204 once the backend reconnected.
template <class Server>
void expect_readiness_follows(const std::string& url, Server& server) {
  const auto ready = [&] { return http_get(url, "/health/ready").status; };
  ASSERT_TRUE(eventually([&] { return ready() == 204; }));
  server.stop();
  EXPECT_TRUE(eventually([&] { return ready() == 500; }, std::chrono::seconds(10)));
  EXPECT_EQ(http_get(url, "/health/live").status, 204);
  server.start();
  EXPECT_TRUE(eventually([&] { return ready() == 204; }, std::chrono::seconds(20)));
}

}  // namespace fs_test
