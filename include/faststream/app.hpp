#pragma once
// The application: lifespan hooks, signals, graceful shutdown and the service's command line.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "faststream/core.hpp"

namespace faststream {

struct AppInfo {
  std::string title = "FastStream";
  std::string version = "0.1.0";
  std::string description;
};

// The service's HTTP side door (App::serve_http).
struct HttpOptions {
  std::string host = "127.0.0.1";  // "0.0.0.0" to be reachable from outside (containers)
  std::uint16_t port = 8080;       // 0: a free one (see App::http_url)
  bool health = true;              // /health/live, /health/ready
  bool metrics = true;             // /metrics (turns on BrokerSettings::collect_metrics)
  bool asyncapi = true;            // /asyncapi (the page), /asyncapi.json, /asyncapi.yaml
  // /health/ready's broker ping; under Kubernetes' default probe timeout (1 s).
  std::chrono::milliseconds ping_timeout{900};
  std::string metrics_app_name = "faststream";  // the app_name label (FastStream's default)
};

class App {
 public:
  // Works with any backend's broker (anything with core()).
  template <class BrokerT>
  explicit App(BrokerT& broker, AppInfo info = {}) : App(broker.core(), std::move(info)) {}
  App(BrokerCore& broker, AppInfo info);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Lifespan hooks, run in registration order on the thread that calls run():
  //   on_startup      before the broker connects (configure, open resources)
  //   after_startup   once the broker consumes (publish initial messages)
  //   on_shutdown     when a stop was requested, before the broker drains
  //   after_shutdown  after the broker stopped
  // An exception in a startup hook aborts the start (run() returns 1 after cleanup).
  App& on_startup(std::function<void()> hook);
  App& after_startup(std::function<void()> hook);
  App& on_shutdown(std::function<void()> hook);
  App& after_shutdown(std::function<void()> hook);

  // A user dependency for Depends<T> parameters (shared instance, or one per message).
  template <class T>
  App& provide(std::shared_ptr<T> instance) {
    broker_->dependencies().provide(std::move(instance));
    return *this;
  }
  template <class T, class Factory>
  App& provide_factory(Factory factory) {
    broker_->dependencies().template provide_factory<T>(std::move(factory));
    return *this;
  }

  // Serves HTTP while run() runs: from before the broker starts until after it stopped.
  //   GET /health/live   204 while the process runs
  //   GET /health/ready  204 when the broker is started and answers a ping, else 500 (as
  //                      FastStream's make_ping_asgi); the body says why
  //   GET /metrics       Prometheus text with FastStream's metric names (faststream/metrics.hpp)
  //   GET /asyncapi      the AsyncAPI page; /asyncapi.json, /asyncapi.yaml the document
  // run() fails (exit 1) when it cannot listen.
  App& serve_http(HttpOptions options = {});
  // http://host:port/ while the side door listens; empty otherwise.
  std::string http_url() const;

  // Starts, waits for SIGINT/SIGTERM or stop(), drains and stops. Returns the exit code.
  // A second signal while draining exits at once (code 130).
  int run();
  // Asks run() to shut down; returns at once; safe from handlers and other threads.
  void stop();

  // The service's command line: `run` (default) with --log-level and --graceful-timeout;
  // --help. Returns the process exit code.
  int main(int argc, char** argv);

  const AppInfo& info() const noexcept { return info_; }
  BrokerCore& broker() noexcept { return *broker_; }

 private:
  struct Impl;
  BrokerCore* broker_;
  AppInfo info_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faststream
