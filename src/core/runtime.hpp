#pragma once
// The runtime of one broker: an Asio event loop on one thread (I/O, timers, coroutine
// handlers) and a pool of worker threads (plain handlers). Private to src/.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "faststream/task.hpp"

namespace faststream::core {

class Runtime;

class AsioExecutor final : public Executor {
 public:
  AsioExecutor(Runtime& runtime, bool is_loop) : runtime_(runtime), is_loop_(is_loop) {}
  void post(detail::Callback fn) override;
  void post_after(std::chrono::nanoseconds delay, detail::UniqueFunction<void(bool)> fn) override;

 private:
  Runtime& runtime_;
  bool is_loop_;
};

class Runtime {
 public:
  explicit Runtime(std::string name);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  void start(std::size_t worker_threads);
  // Fires every pending timer now with cancelled=true (their coroutines see Cancelled).
  void cancel_timers();
  // Stops both loops and joins their threads. Work still queued is dropped.
  void stop();
  bool running() const noexcept { return running_.load(); }

  Executor& loop() noexcept { return loop_executor_; }
  Executor& workers() noexcept { return worker_executor_; }
  // Valid between start() and stop(); fresh contexts on every start.
  boost::asio::io_context& loop_io() noexcept { return *loop_io_; }
  boost::asio::io_context& worker_io() noexcept { return *worker_io_; }

  // Timers are created on the event loop; tracked so stop can cut them short.
  void add_timer(std::chrono::nanoseconds delay, Executor* target,
                 detail::UniqueFunction<void(bool)> fn);

 private:
  struct Timer;
  std::string name_;
  std::unique_ptr<boost::asio::io_context> loop_io_;
  std::unique_ptr<boost::asio::io_context> worker_io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      loop_guard_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      worker_guard_;
  AsioExecutor loop_executor_{*this, true};
  AsioExecutor worker_executor_{*this, false};
  std::vector<std::thread> threads_;
  std::atomic<bool> running_{false};
  std::mutex timers_mutex_;
  std::list<std::shared_ptr<Timer>> timers_;
};

// A process-wide runtime for timers requested outside any runtime thread (e.g. a sleep under
// Task::get() on a foreign thread). Started on first use.
Runtime& fallback_runtime();

}  // namespace faststream::core
