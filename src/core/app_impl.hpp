#pragma once
// App's state, shared by app.cpp (run, lifespan) and cli.cpp (App::main's flags).
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/http_server.hpp"
#include "faststream/app.hpp"

namespace faststream {

struct App::Impl {
  std::vector<std::function<void()>> on_startup, after_startup, on_shutdown, after_shutdown;
  int stop_pipe[2] = {-1, -1};
  std::mutex mutex;
  std::optional<HttpOptions> http;                // App::serve_http
  std::unique_ptr<core::HttpServer> http_server;  // while run() runs
  std::string http_url;                           // guarded by mutex
};

}  // namespace faststream
