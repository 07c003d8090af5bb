#include "core/background.hpp"

#include <thread>

namespace faststream::core {

void BackgroundTasks::spawn(Task<void> task, std::string name, const Logger& log) {
  ++running_;
  detail::spawn(std::move(task), [this, name = std::move(name), &log](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const Cancelled&) {
      } catch (const std::exception& error) {
        log.error("{} stopped: {}", name, error.what());
      }
    }
    --running_;
  });
}

bool BackgroundTasks::wait(std::chrono::milliseconds timeout,
                           const std::function<void()>& between) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running_ > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (between) between();
  }
  return true;
}

}  // namespace faststream::core
