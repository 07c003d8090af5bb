#pragma once
// The background tasks of a transport (read loops, lease loops, dead-letter sends): spawned
// detached and counted, so that close() can wait until every one has ended before it frees
// what they use. Shared by the backends.
#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "faststream/logger.hpp"
#include "faststream/task.hpp"

namespace faststream::core {

class BackgroundTasks {
 public:
  // Starts `task`; an exception other than Cancelled ends it with "<name> stopped: <error>"
  // logged on `log` (which must outlive the task).
  void spawn(Task<void> task, std::string name, const Logger& log);
  int running() const noexcept { return running_.load(); }
  // Waits until none runs or `timeout` has passed, calling `between` (if set) after each
  // check (to cancel timers the tasks sleep on, say). Returns whether all have ended.
  bool wait(std::chrono::milliseconds timeout, const std::function<void()>& between = {});

 private:
  std::atomic<int> running_{0};
};

}  // namespace faststream::core
