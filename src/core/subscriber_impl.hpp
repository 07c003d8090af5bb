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
#include <optional>
#include <unordered_map>
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
  // Under lock: queues one message if it has room (in the queue, and under its key's bound);
  // moves it only then.
  bool enqueue_locked(MessagePtr& message);
  // Under lock: the next message a drain may start (`key` set when it has an ordering key,
  // which is busy from now on until key_done).
  bool pop_locked(MessagePtr& out, std::optional<std::uint64_t>& key);
  void key_done(std::uint64_t key);  // under no lock: the key's running message settled
  std::size_t queued_locked() const noexcept { return queue.size() + keyed_queued; }
  std::size_t free_locked() const noexcept {
    return config.queue_capacity > queued_locked() ? config.queue_capacity - queued_locked() : 0;
  }
  // Under lock: the ready callbacks to call (after unlocking) once a message would be taken.
  void take_ready_callbacks_locked(std::vector<detail::Callback>& out) {
    if (!ready_callbacks.empty() && free_locked() > 0 && waiters.empty()) out.swap(ready_callbacks);
  }
  // Under lock: how many drains to start for what is poppable now (up to max_workers).
  std::size_t drains_to_spawn_locked();
  bool poppable_locked() const noexcept { return !queue.empty() || !ready_keys.empty(); }
  std::size_t key_capacity() const noexcept;
  void make_ready_locked(std::uint64_t key);
  // Takes up to `count` messages (in order) while there is room, under one lock, and starts
  // the drains they need; returns how many it took. Under no lock.
  std::size_t push(MessagePtr* messages, std::size_t count);
  MessagePtr pop_or_retire(std::optional<std::uint64_t>& key);
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
  std::deque<MessagePtr> queue;  // messages without an ordering key
  // Messages with an ordering key wait in their key's queue; a key with queued messages that
  // is neither running nor paused is in ready_keys (once).
  struct KeyState {
    std::deque<MessagePtr> queue;
    bool busy = false;
    bool paused = false;
    bool ready = false;
  };
  std::unordered_map<std::uint64_t, KeyState> keys;
  std::deque<std::uint64_t> ready_keys;
  std::size_t keyed_queued = 0;
  bool prefer_keyed = false;  // drains alternate between keyed and unkeyed messages
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
