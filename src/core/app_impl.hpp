#pragma once
// App's state, shared by app.cpp (run, lifespan) and cli.cpp (App::main's flags).
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/http_server.hpp"
#include "faststream/app.hpp"
#include "faststream/asyncapi.hpp"

namespace faststream {

namespace core {
// The AsyncAPI routes of `docs serve` and the side door: /asyncapi.json, /asyncapi.yaml and
// the page at each of `page_paths` (when the library embeds it).
std::map<std::string, HttpRoute> asyncapi_routes(const BrokerCore& broker, const AppInfo& info,
                                                 asyncapi::Version version,
                                                 const std::vector<std::string>& page_paths);
// Why the broker did not start, as one line with what to do: wrong declarations, or a broker
// that cannot be reached (with the --url / FASTSTREAM_URL hint). Same text for `run` and
// `publish`.
std::string explain_start_failure(const BrokerCore& broker, const std::exception& error);
}  // namespace core

struct App::Impl {
  std::vector<std::function<void()>> on_startup, after_startup, on_shutdown, after_shutdown;
  int stop_pipe[2] = {-1, -1};
  std::mutex mutex;
  std::optional<HttpOptions> http;                // App::serve_http
  std::unique_ptr<core::HttpServer> http_server;  // while run() runs
  std::string http_url;                           // guarded by mutex
};

}  // namespace faststream
