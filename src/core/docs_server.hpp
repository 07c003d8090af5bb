#pragma once
// `docs serve`: a small HTTP server for the service's AsyncAPI page, until SIGINT/SIGTERM.
#include <cstdint>
#include <functional>
#include <string>

namespace faststream::core {

struct DocsSite {
  std::string page;  // GET / (and /index.html): the self-contained HTML page
  std::string json;  // GET /asyncapi.json
  std::string yaml;  // GET /asyncapi.yaml
};

// Serves `site` on host:port (port 0: any free one) until SIGINT or SIGTERM; calls
// `listening(url)` once the socket accepts connections. Throws std::runtime_error naming
// host and port when it cannot listen.
void serve_docs(const DocsSite& site, const std::string& host, std::uint16_t port,
                const std::function<void(const std::string& url)>& listening);

}  // namespace faststream::core
