#pragma once
// A small HTTP/1.1 server for the service's side door (App::serve_http: health, metrics, the
// AsyncAPI page) and `docs serve`. GET and HEAD on fixed paths; keep-alive; idle connections
// closed after 30 s. Routes run on the server's threads (two when started in the background).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace faststream::core {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};
using HttpRoute = std::function<HttpResponse()>;

class HttpServer {
 public:
  // Binds host:port (port 0: a free one) at once; throws std::runtime_error naming host and
  // port when it cannot.
  HttpServer(std::map<std::string, HttpRoute> routes, const std::string& host, std::uint16_t port);
  ~HttpServer();  // stops
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // http://host:port/ as bound.
  std::string url() const;
  // Serves on the calling thread until SIGINT or SIGTERM.
  void run_until_signal();
  // Serves on a thread of its own until stop().
  void start();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faststream::core
