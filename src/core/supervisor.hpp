#pragma once
// `run --workers N`: N processes of the service under a supervisor that restarts crashed
// workers and forwards SIGINT/SIGTERM (each worker then drains and stops).
#include <cstddef>
#include <functional>

#include "faststream/logger.hpp"

namespace faststream::core {

// Forks `workers` processes that each call `run_worker()` and exit with its result. Returns
// 0 when every worker stopped cleanly after a signal, 1 otherwise. Must be called before the
// process starts any thread (the broker is not started in the supervisor).
int supervise(std::size_t workers, const std::function<int()>& run_worker, Logger& log);

}  // namespace faststream::core
