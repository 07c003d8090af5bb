#include "faststream/app.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

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

struct App::Impl {
  std::vector<std::function<void()>> on_startup, after_startup, on_shutdown, after_shutdown;
  int stop_pipe[2] = {-1, -1};
  std::mutex mutex;
};

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
  if (run_hooks(impl_->on_startup, "on_startup")) {
    try {
      broker_->start();
      started = true;
    } catch (const std::exception& e) {
      log.error("the broker did not start: {}", e.what());
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
  restore();
  return code;
}

}  // namespace faststream
