#include "faststream/app.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "core/app_impl.hpp"
#include "core/http_server.hpp"
#include "faststream/asyncapi.hpp"
#include "faststream/exceptions.hpp"
#include "faststream/metrics.hpp"

namespace faststream {
namespace {

// Signals reach run() through a self-pipe: the handler only writes a byte.
int g_signal_pipe[2] = {-1, -1};
std::atomic<int> g_signals{0};

extern "C" void on_signal(int signo) {
  if (g_signals.fetch_add(1) >= 1) _exit(128 + signo);  // second signal: leave now
  char byte = static_cast<char>(signo);
  [[maybe_unused]] auto written = ::write(g_signal_pipe[1], &byte, 1);
}

}  // namespace

App& App::serve_http(HttpOptions options) {
  if (options.metrics) broker_->mutable_settings().collect_metrics = true;
  impl_->http = std::move(options);
  return *this;
}

std::string App::http_url() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->http_url;
}

namespace {
std::map<std::string, core::HttpRoute> side_door_routes(BrokerCore& broker, const AppInfo& info,
                                                        const HttpOptions& options) {
  std::map<std::string, core::HttpRoute> routes;
  if (options.health) {
    routes["/health/live"] = [] { return core::HttpResponse{204, "", ""}; };
    routes["/health/ready"] = [&broker, timeout = options.ping_timeout] {
      if (!broker.running())
        return core::HttpResponse{500, "text/plain; charset=utf-8", "the broker is not running\n"};
      if (!broker.ping(timeout))
        return core::HttpResponse{500, "text/plain; charset=utf-8",
                                  "the broker did not answer a ping\n"};
      return core::HttpResponse{204, "", ""};
    };
  }
  if (options.metrics) {
    routes["/metrics"] = [&broker, app = options.metrics_app_name] {
      return core::HttpResponse{200, std::string(metrics::kContentType),
                                metrics::prometheus_text(broker, app)};
    };
  }
  if (options.asyncapi)
    routes.merge(core::asyncapi_routes(broker, info, asyncapi::Version::v3_0_0, {"/asyncapi"}));
  return routes;
}
}  // namespace

namespace core {
std::string explain_start_failure(const BrokerCore& broker, const std::exception& error) {
  if (dynamic_cast<const ConfigError*>(&error))
    return fmt::format("the service's declarations are wrong: {}", error.what());
  return fmt::format(
      "cannot start the broker at {}: {} (check --url / FASTSTREAM_URL and that the server runs)",
      broker.transport().public_url(), error.what());
}

std::map<std::string, HttpRoute> asyncapi_routes(const BrokerCore& broker, const AppInfo& info,
                                                 asyncapi::Version version,
                                                 const std::vector<std::string>& page_paths) {
  asyncapi::Options options;
  options.version = version;
  auto json = std::make_shared<std::string>(asyncapi::generate(broker, info, options));
  options.yaml = true;
  auto yaml = std::make_shared<std::string>(asyncapi::generate(broker, info, options));
  auto serve = [](std::shared_ptr<std::string> body, const char* type) -> HttpRoute {
    return [body, type] { return HttpResponse{200, type, *body}; };
  };
  std::map<std::string, HttpRoute> routes{{"/asyncapi.json", serve(json, "application/json")},
                                          {"/asyncapi.yaml", serve(yaml, "application/yaml")}};
  if (asyncapi::page_available() && !page_paths.empty()) {
    auto page = std::make_shared<std::string>(asyncapi::page(broker, info, version));
    for (const auto& path : page_paths) routes[path] = serve(page, "text/html; charset=utf-8");
  }
  return routes;
}
}  // namespace core

App::App(BrokerCore& broker, AppInfo info)
    : broker_(&broker), info_(std::move(info)), impl_(std::make_unique<Impl>()) {
  if (::pipe(impl_->stop_pipe) != 0) throw std::runtime_error("faststream: pipe() failed");
}

App::~App() {
  for (int fd : impl_->stop_pipe)
    if (fd >= 0) ::close(fd);
}

App& App::on_startup(std::function<void()> hook) {
  impl_->on_startup.push_back(std::move(hook));
  return *this;
}
App& App::after_startup(std::function<void()> hook) {
  impl_->after_startup.push_back(std::move(hook));
  return *this;
}
App& App::on_shutdown(std::function<void()> hook) {
  impl_->on_shutdown.push_back(std::move(hook));
  return *this;
}
App& App::after_shutdown(std::function<void()> hook) {
  impl_->after_shutdown.push_back(std::move(hook));
  return *this;
}

void App::stop() {
  char byte = 0;
  [[maybe_unused]] auto written = ::write(impl_->stop_pipe[1], &byte, 1);
}

int App::run() {
  auto& log = broker_->logger();
  if (g_signal_pipe[0] < 0 && ::pipe(g_signal_pipe) != 0)
    throw std::runtime_error("faststream: pipe() failed");
  g_signals = 0;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  struct sigaction old_int {
  }, old_term{};
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);
  auto restore = [&] {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
  };

  int code = 0;
  auto run_hooks = [&](std::vector<std::function<void()>>& hooks, const char* stage) {
    for (auto& hook : hooks) {
      try {
        hook();
      } catch (const std::exception& e) {
        log.error("{} hook failed: {}", stage, e.what());
        code = 1;
        return false;
      }
    }
    return true;
  };

  bool started = false;
  // The side door listens once the on_startup hooks declared everything, before the broker
  // connects (live answers meanwhile), and closes after the broker stopped.
  auto close_side_door = [&] {
    if (!impl_->http_server) return;
    impl_->http_server->stop();
    impl_->http_server.reset();
    std::lock_guard lock(impl_->mutex);
    impl_->http_url.clear();
  };
  if (run_hooks(impl_->on_startup, "on_startup")) {
    if (impl_->http) {
      try {
        impl_->http_server = std::make_unique<core::HttpServer>(
            side_door_routes(*broker_, info_, *impl_->http), impl_->http->host, impl_->http->port);
        impl_->http_server->start();
        std::lock_guard lock(impl_->mutex);
        impl_->http_url = impl_->http_server->url();
        log.info("HTTP side door at {}", impl_->http_url);
      } catch (const std::exception& e) {
        log.error("the HTTP side door did not start: {}", e.what());
        code = 1;
      }
    }
  }
  if (code == 0) {  // the hooks and the side door are fine
    try {
      broker_->start();
      started = true;
    } catch (const std::exception& e) {
      log.error("{}", core::explain_start_failure(*broker_, e));
      code = 1;
    }
  }
  if (started && run_hooks(impl_->after_startup, "after_startup")) {
    log.info("{} {} started; press Ctrl+C to stop", info_.title, info_.version);
    pollfd fds[2] = {{g_signal_pipe[0], POLLIN, 0}, {impl_->stop_pipe[0], POLLIN, 0}};
    for (;;) {
      int n = ::poll(fds, 2, -1);
      if (n < 0 && errno == EINTR) continue;
      char byte = 0;
      if (fds[0].revents & POLLIN) {
        [[maybe_unused]] auto r = ::read(g_signal_pipe[0], &byte, 1);
        log.info("received signal {}: shutting down (again to exit at once)", int(byte));
      } else if (fds[1].revents & POLLIN) {
        [[maybe_unused]] auto r = ::read(impl_->stop_pipe[0], &byte, 1);
      }
      break;
    }
  }
  if (started) {
    run_hooks(impl_->on_shutdown, "on_shutdown");
    try {
      broker_->stop();
    } catch (const std::exception& e) {
      log.error("stopping the broker failed: {}", e.what());
      code = 1;
    }
    run_hooks(impl_->after_shutdown, "after_shutdown");
  }
  close_side_door();
  restore();
  return code;
}

}  // namespace faststream
