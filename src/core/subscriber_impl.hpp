#pragma once
// SubscriberCore internals: the bounded inbox, the drain coroutines (max_workers of them) and
// the per-message pipeline (middlewares → filter → decode → handler → publish → settle).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "core/metrics.hpp"
#include "faststream/core.hpp"

namespace faststream::detail {

struct ConsumeChain {
  std::vector<std::shared_ptr<Middleware>> middlewares;
  SubscriberCore::Impl* subscriber = nullptr;
};

struct PublishChain {
  std::vector<std::shared_ptr<Middleware>> middlewares;
  Transport* transport = nullptr;
};

}  // namespace faststream::detail

namespace faststream {

struct SubscriberCore::Impl {
  explicit Impl(SubscriberConfig c);

  // --- inbox ---
  struct Waiter {
    MessagePtr message;
    std::coroutine_handle<> handle;
    Executor* executor = nullptr;
    enum class State { waiting, delivered, timed_out, closed } state = State::waiting;
  };
  struct WaitForRoom;

  bool try_push(MessagePtr& message);  // under no lock
  // Takes up to `count` messages (in order) while there is room, under one lock, and starts
  // the drains they need; returns how many it took. Under no lock.
  std::size_t push(MessagePtr* messages, std::size_t count);
  MessagePtr pop_or_retire();
  std::vector<MessagePtr> pop_batch_or_retire(std::size_t max);
  std::vector<MessagePtr> pop_more(std::size_t max);
  // Under lock: move waiting publishers' messages in once the queue drained to half.
  void hand_off_locked(std::vector<std::shared_ptr<Waiter>>& resumed);
  void resume_all(std::vector<std::shared_ptr<Waiter>>& resumed);
  void maybe_spawn_locked(bool& spawn);
  void spawn_drain();
  void note_idle_locked();

  // --- pipeline ---
  Task<void> drain();
  Task<void> process(MessagePtr message, bool rethrow);
  Task<void> process_batch(std::vector<MessagePtr> messages, bool rethrow);
  Task<void> core_step(Context& ctx);
  Task<void> publish_result(Context& ctx, const HandlerSpec& handler);
  const HandlerSpec* select_handler(const Message& message) const;
  // Settles after the chain ran; returns a description of what was done on error.
  void settle_after(Message& message, std::exception_ptr error, Context& ctx,
                    std::chrono::steady_clock::time_point started, bool timed);
  std::string apply_error_policy(Message& message);
  // Metrics (when collected): the outcome of one settled message.
  void count_outcome(const Message& message, std::exception_ptr error);

  SubscriberConfig config;
  std::vector<HandlerSpec> handlers;
  std::vector<std::string> placeholders;
  const HandlerSpec* default_handler = nullptr;
  BrokerCore* broker = nullptr;
  Executor* executor = nullptr;
  detail::ConsumeChain chain;
  Logger logger;
  LogLevel access_level = LogLevel::info;

  mutable std::mutex mutex;
  std::condition_variable idle_cv;
  std::deque<MessagePtr> queue;
  std::deque<std::shared_ptr<Waiter>> waiters;
  std::vector<detail::Callback> ready_callbacks;
  bool open = false;
  bool closing = false;
  std::size_t active = 0;  // drain coroutines alive
  std::size_t max_queued = 0;

  std::atomic<std::uint64_t> received{0}, processed{0}, failed{0}, acked{0}, nacked{0}, rejected{0},
      skipped{0};
  std::atomic<std::size_t> in_flight{0};
  // Prometheus metrics; null unless the broker collects them (BrokerSettings::collect_metrics).
  std::unique_ptr<detail::SubscriberMetrics> metrics;
};

}  // namespace faststream
