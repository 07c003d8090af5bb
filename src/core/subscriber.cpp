#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "core/broker_impl.hpp"
#include "core/subscriber_impl.hpp"
#include "faststream/exceptions.hpp"

namespace faststream {
namespace {

std::vector<std::string> parse_placeholders(std::string_view destination) {
  std::vector<std::string> names;
  std::size_t pos = 0;
  while ((pos = destination.find('{', pos)) != std::string_view::npos) {
    auto end = destination.find('}', pos);
    if (end == std::string_view::npos)
      throw ConfigError(fmt::format("destination '{}' has an unclosed '{{'", destination));
    auto name = destination.substr(pos + 1, end - pos - 1);
    if (name.empty())
      throw ConfigError(fmt::format("destination '{}' has an empty {{}} placeholder", destination));
    names.emplace_back(name);
    pos = end + 1;
  }
  return names;
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
      .count();
}

bool is_control(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const HandlerControl&) {
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace

// --- SubscriberCore -------------------------------------------------------------------------

SubscriberCore::Impl::Impl(SubscriberConfig c) : config(std::move(c)) {
  placeholders = parse_placeholders(config.destination);
}

SubscriberCore::SubscriberCore(SubscriberConfig config)
    : impl_(std::make_unique<Impl>(std::move(config))) {}
SubscriberCore::~SubscriberCore() = default;

const SubscriberConfig& SubscriberCore::config() const noexcept {
  return impl_->config;
}
SubscriberConfig& SubscriberCore::mutable_config() {
  if (impl_->broker)
    throw ConfigError("subscriber '" + impl_->config.destination +
                      "' is already started: configure it before the broker starts");
  return impl_->config;
}
const std::vector<HandlerSpec>& SubscriberCore::handlers() const noexcept {
  return impl_->handlers;
}
const std::vector<std::string>& SubscriberCore::placeholders() const noexcept {
  return impl_->placeholders;
}

void SubscriberCore::add_handler(HandlerSpec spec) {
  auto& d = impl_->config.destination;
  if (impl_->broker)
    throw ConfigError("subscriber '" + d + "' is already started: add handlers before start");
  for (const auto& name : spec.path_params) {
    if (std::find(impl_->placeholders.begin(), impl_->placeholders.end(), name) ==
        impl_->placeholders.end())
      throw ConfigError(fmt::format(
          "handler of subscriber '{}' takes Path<\"{}\"> but the destination has no {{{}}}", d,
          name, name));
  }
  if (!spec.options.filter) {
    for (const auto& h : impl_->handlers)
      if (!h.options.filter)
        throw ConfigError(fmt::format(
            "subscriber '{}' already has a default handler (one without a filter); give this "
            "one a filter",
            d));
  }
  impl_->handlers.push_back(std::move(spec));
}

const detail::SubscriberMetrics* SubscriberCore::metrics() const noexcept {
  return impl_->metrics.get();
}

SubscriberStats SubscriberCore::stats() const {
  SubscriberStats s;
  s.received = impl_->received.load();
  s.processed = impl_->processed.load();
  s.failed = impl_->failed.load();
  s.acked = impl_->acked.load();
  s.nacked = impl_->nacked.load();
  s.rejected = impl_->rejected.load();
  s.skipped = impl_->skipped.load();
  s.in_flight = impl_->in_flight.load();
  std::lock_guard lock(impl_->mutex);
  s.queued = impl_->queued_locked();
  s.max_queued = impl_->max_queued;
  return s;
}

bool SubscriberCore::running() const noexcept {
  std::lock_guard lock(impl_->mutex);
  return impl_->open;
}

void SubscriberCore::start(BrokerCore& broker) {
  auto& i = *impl_;
  const auto& d = i.config.destination;
  if (i.handlers.empty())
    throw ConfigError("subscriber '" + d + "' has no handler: call .handle(...) on it");
  if (i.config.batch) {
    if (i.handlers.size() != 1)
      throw ConfigError("batch subscriber '" + d + "' must have exactly one handler");
    if (!i.handlers[0].invoke_batch)
      throw ConfigError("subscriber '" + d +
                        "' is a batch subscriber: its handler must take std::vector<T> first");
    i.handlers[0].batch = true;
  }
  for (auto& h : i.handlers) {
    for (auto& dep : h.dependencies) {
      if (!broker.dependencies().contains(dep))
        throw ConfigError(fmt::format(
            "a handler of subscriber '{}' needs Depends<{}> but nothing provides it: call "
            "app.provide(...) or broker.provide(...) before start",
            d, detail::demangle(dep.name())));
    }
  }
  i.default_handler = nullptr;
  for (auto& h : i.handlers)
    if (!h.options.filter) i.default_handler = &h;
  if (i.config.decode.max_message_size == 0)
    i.config.decode.max_message_size = broker.settings().max_message_size;
  if (broker.settings().collect_metrics && !i.metrics)
    i.metrics = std::make_unique<detail::SubscriberMetrics>();

  bool any_coroutine =
      std::any_of(i.handlers.begin(), i.handlers.end(), [](auto& h) { return h.coroutine; });
  i.broker = &broker;
  // All-plain subscribers run on the worker pool; with a coroutine handler, on the event loop.
  i.executor = any_coroutine ? &broker.event_loop() : &broker.workers();
  i.chain.subscriber = &i;
  i.chain.middlewares = broker.middlewares();
  i.chain.middlewares.insert(i.chain.middlewares.end(), i.config.middlewares.begin(),
                             i.config.middlewares.end());
  i.logger = broker.logger();
  i.access_level = broker.settings().access_log_level;
  std::lock_guard lock(i.mutex);
  i.open = true;
  i.closing = false;
  if (i.poppable_locked()) {
    bool spawn = false;
    i.maybe_spawn_locked(spawn);
    if (spawn) i.executor->post([p = &i] { p->spawn_drain(); });
  }
}

bool SubscriberCore::try_deliver(MessagePtr& message) {
  return impl_->try_push(message);
}

std::size_t SubscriberCore::try_deliver_batch(std::vector<MessagePtr>& messages) {
  std::size_t taken = impl_->push(messages.data(), messages.size());
  messages.erase(messages.begin(), messages.begin() + static_cast<std::ptrdiff_t>(taken));
  return taken;
}

// Not an aggregate on purpose: g++ 12 destroys brace-initialized aggregates inside a
// co_await expression twice.
struct SubscriberCore::Impl::WaitForRoom {
  WaitForRoom(Impl* i, std::shared_ptr<Waiter> w, std::chrono::milliseconds t)
      : impl(i), waiter(std::move(w)), timeout(t) {}
  Impl* impl;
  std::shared_ptr<Waiter> waiter;
  std::chrono::milliseconds timeout;

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    std::lock_guard lock(impl->mutex);
    if (!impl->open || impl->closing) {
      waiter->state = Waiter::State::closed;
      return false;
    }
    if (impl->waiters.empty() && impl->enqueue_locked(waiter->message)) {
      impl->max_queued = std::max(impl->max_queued, impl->queued_locked());
      impl->received.fetch_add(1, std::memory_order_relaxed);
      waiter->state = Waiter::State::delivered;
      bool spawn = false;
      impl->maybe_spawn_locked(spawn);
      if (spawn) impl->executor->post([p = impl] { p->spawn_drain(); });
      return false;
    }
    waiter->handle = h;
    waiter->executor = detail::current_executor();
    impl->waiters.push_back(waiter);
    // The timer callback takes the inbox lock, so it cannot run before we return.
    std::weak_ptr<Waiter> weak = waiter;
    impl->broker->event_loop().post_after(timeout, [impl = impl, weak](bool cancelled) {
      auto w = weak.lock();
      if (!w) return;
      {
        std::lock_guard lock(impl->mutex);
        if (w->state != Waiter::State::waiting) return;
        w->state = cancelled ? Waiter::State::closed : Waiter::State::timed_out;
        std::erase(impl->waiters, w);
      }
      detail::resume_on(w->executor, w->handle);
    });
    return true;
  }
  void await_resume() const noexcept {}
};

Task<void> SubscriberCore::deliver(MessagePtr message, std::chrono::milliseconds timeout) {
  if (impl_->try_push(message)) co_return;
  if (!impl_->broker)
    throw BrokerNotRunning("subscriber '" + impl_->config.destination +
                           "' is not running: start the broker before publishing");
  auto waiter = std::make_shared<Impl::Waiter>();
  waiter->message = std::move(message);
  co_await Impl::WaitForRoom(impl_.get(), waiter, timeout);
  switch (waiter->state) {
    case Impl::Waiter::State::delivered:
      co_return;
    case Impl::Waiter::State::timed_out:
      throw PublishTimeout(fmt::format(
          "subscriber '{}' kept its queue full ({} messages) for {} ms: its handlers are too "
          "slow or stuck; raise max_workers or queue_capacity, or the publish timeout",
          impl_->config.destination, impl_->config.queue_capacity, timeout.count()));
    case Impl::Waiter::State::closed:
    case Impl::Waiter::State::waiting:
      break;
  }
  throw BrokerNotRunning("subscriber '" + impl_->config.destination +
                         "' stopped while the publish waited for room");
}

void SubscriberCore::when_ready(detail::Callback ready) {
  {
    std::lock_guard lock(impl_->mutex);
    // "Ready" means a new message would be taken now: room, and nobody waiting before it.
    const bool blocked =
        impl_->queued_locked() >= impl_->config.queue_capacity || !impl_->waiters.empty();
    if (blocked && !impl_->closing) {
      impl_->ready_callbacks.push_back(std::move(ready));
      return;
    }
  }
  ready();
}

void SubscriberCore::close_inbox() {
  std::vector<std::shared_ptr<Impl::Waiter>> refused;
  std::vector<detail::Callback> ready;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->closing = true;
    for (auto& w : impl_->waiters) {
      w->state = Impl::Waiter::State::closed;
      refused.push_back(w);
    }
    impl_->waiters.clear();
    ready.swap(impl_->ready_callbacks);
    impl_->note_idle_locked();
  }
  for (auto& w : refused) detail::resume_on(w->executor, w->handle);
  // A backend waiting for room must wake up and see that the subscriber closed.
  for (auto& r : ready) r();
}

std::size_t SubscriberCore::wait_idle(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(impl_->mutex);
  auto done = [&] {
    return impl_->active == 0 && (!impl_->poppable_locked() || !impl_->config.drain_queued_on_stop);
  };
  impl_->idle_cv.wait_until(lock, deadline, done);
  if (done()) return 0;
  return impl_->in_flight.load() +
         (impl_->config.drain_queued_on_stop ? impl_->queued_locked() : 0);
}

std::size_t SubscriberCore::room() const {
  std::lock_guard lock(impl_->mutex);
  if (!impl_->open || impl_->closing || !impl_->waiters.empty()) return 0;
  return impl_->free_locked();
}

void SubscriberCore::pause_key(std::uint64_t key) {
  std::lock_guard lock(impl_->mutex);
  auto& k = impl_->keys[key];
  k.paused = true;
  if (k.ready) {
    k.ready = false;
    std::erase(impl_->ready_keys, key);
  }
}

void SubscriberCore::resume_key(std::uint64_t key) {
  std::size_t spawns = 0;
  {
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->keys.find(key);
    if (it == impl_->keys.end()) return;
    it->second.paused = false;
    if (it->second.queue.empty() && !it->second.busy) {
      impl_->keys.erase(it);
      return;
    }
    impl_->make_ready_locked(key);
    if (!impl_->open || impl_->closing) return;
    spawns = impl_->drains_to_spawn_locked();
  }
  for (std::size_t n = 0; n < spawns; ++n)
    impl_->executor->post([p = impl_.get()] { p->spawn_drain(); });
}

std::vector<MessagePtr> SubscriberCore::discard_key(std::uint64_t key) {
  std::vector<MessagePtr> out;
  std::vector<detail::Callback> ready;
  {
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->keys.find(key);
    if (it == impl_->keys.end()) return out;
    auto& k = it->second;
    for (auto& m : k.queue) out.push_back(std::move(m));
    impl_->keyed_queued -= k.queue.size();
    k.queue.clear();
    if (k.ready) {
      k.ready = false;
      std::erase(impl_->ready_keys, key);
    }
    if (!k.busy && !k.paused) impl_->keys.erase(it);
    impl_->note_idle_locked();
    impl_->take_ready_callbacks_locked(ready);
  }
  for (auto& r : ready) r();
  return out;
}

std::size_t SubscriberCore::key_room(std::uint64_t key) const {
  std::lock_guard lock(impl_->mutex);
  if (!impl_->open || impl_->closing) return 0;
  const std::size_t total = impl_->free_locked();
  auto it = impl_->keys.find(key);
  const std::size_t queued = it == impl_->keys.end() ? 0 : it->second.queue.size();
  const std::size_t cap = impl_->key_capacity();
  return std::min(total, cap > queued ? cap - queued : 0);
}

bool SubscriberCore::key_busy(std::uint64_t key) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->keys.find(key);
  return it != impl_->keys.end() && it->second.busy;
}

Task<bool> SubscriberCore::wait_key_idle(std::uint64_t key,
                                         std::chrono::steady_clock::time_point deadline) {
  // A rebalance waits for this rarely and briefly: a short poll keeps the hot path free of
  // per-key wake-up bookkeeping.
  while (key_busy(key)) {
    if (std::chrono::steady_clock::now() >= deadline) co_return false;
    co_await sleep(std::chrono::milliseconds(1));
  }
  co_return true;
}

std::vector<MessagePtr> SubscriberCore::take_queued() {
  std::vector<MessagePtr> taken;
  {
    std::lock_guard lock(impl_->mutex);
    taken.reserve(impl_->queued_locked());
    for (auto& m : impl_->queue) taken.push_back(std::move(m));
    impl_->queue.clear();
    for (auto& [key, k] : impl_->keys) {
      for (auto& m : k.queue) taken.push_back(std::move(m));
      k.queue.clear();
      k.ready = false;
    }
    impl_->ready_keys.clear();
    impl_->keyed_queued = 0;
    impl_->note_idle_locked();
  }
  return taken;
}

void SubscriberCore::finish() {
  std::deque<MessagePtr> left;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->open = false;
    left.swap(impl_->queue);
    for (auto& [key, k] : impl_->keys)
      for (auto& m : k.queue) left.push_back(std::move(m));
    impl_->keys.clear();
    impl_->ready_keys.clear();
    impl_->keyed_queued = 0;
    impl_->broker = nullptr;
  }
  // Unsettled messages are released here: real brokers redeliver them (they were never
  // acked); the memory broker counts them as lost in its log line.
  if (!left.empty()) {
    impl_->logger.warning("subscriber '{}' stopped with {} queued message(s) not handled",
                          impl_->config.destination, left.size());
  }
}

// --- Inbox ----------------------------------------------------------------------------------

bool SubscriberCore::Impl::try_push(MessagePtr& message) {
  return push(&message, 1) == 1;
}

std::size_t SubscriberCore::Impl::key_capacity() const noexcept {
  if (config.key_capacity > 0) return config.key_capacity;
  return std::max<std::size_t>(1, config.queue_capacity / 4);
}

void SubscriberCore::Impl::make_ready_locked(std::uint64_t key) {
  auto& k = keys[key];
  if (k.ready || k.busy || k.paused || k.queue.empty()) return;
  k.ready = true;
  ready_keys.push_back(key);
}

bool SubscriberCore::Impl::enqueue_locked(MessagePtr& message) {
  if (queued_locked() >= config.queue_capacity) return false;
  if (!message->has_ordering_key() || config.batch) {
    queue.push_back(std::move(message));
    return true;
  }
  const std::uint64_t key = message->ordering_key();
  auto& k = keys[key];
  if (k.queue.size() >= key_capacity()) return false;
  k.queue.push_back(std::move(message));
  ++keyed_queued;
  make_ready_locked(key);
  return true;
}

bool SubscriberCore::Impl::pop_locked(MessagePtr& out, std::optional<std::uint64_t>& key) {
  const bool keyed = !ready_keys.empty() && (queue.empty() || prefer_keyed);
  prefer_keyed = !prefer_keyed;
  if (keyed) {
    const std::uint64_t k = ready_keys.front();
    ready_keys.pop_front();
    auto& state = keys[k];
    state.ready = false;
    state.busy = true;
    out = std::move(state.queue.front());
    state.queue.pop_front();
    --keyed_queued;
    key = k;
    return true;
  }
  if (queue.empty()) return false;
  out = std::move(queue.front());
  queue.pop_front();
  return true;
}

void SubscriberCore::Impl::key_done(std::uint64_t key) {
  std::vector<detail::Callback> ready;
  {
    std::lock_guard lock(mutex);
    auto it = keys.find(key);
    if (it == keys.end()) return;
    it->second.busy = false;
    if (it->second.queue.empty() && !it->second.paused) {
      keys.erase(it);  // nothing left to remember about it
    } else {
      make_ready_locked(key);
    }
    // The drain that ran it goes on popping; a key made ready needs no new drain.
    take_ready_callbacks_locked(ready);
  }
  for (auto& r : ready) r();
}

std::size_t SubscriberCore::Impl::push(MessagePtr* messages, std::size_t count) {
  std::size_t spawns = 0;
  std::size_t taken = 0;
  {
    std::lock_guard lock(mutex);
    if (!open || closing || !waiters.empty()) return 0;
    while (taken < count && enqueue_locked(messages[taken])) ++taken;
    if (taken == 0) return 0;
    if (queued_locked() > max_queued) max_queued = queued_locked();
    received.fetch_add(taken, std::memory_order_relaxed);
    spawns = drains_to_spawn_locked();
  }
  for (std::size_t n = 0; n < spawns; ++n) executor->post([this] { spawn_drain(); });
  return taken;
}

std::size_t SubscriberCore::Impl::drains_to_spawn_locked() {
  // As many drains as the queue can keep busy (up to max_workers).
  std::size_t spawns = 0;
  for (;;) {
    bool spawn = false;
    maybe_spawn_locked(spawn);
    if (!spawn) return spawns;
    ++spawns;
  }
}

void SubscriberCore::Impl::maybe_spawn_locked(bool& spawn) {
  std::size_t wanted = config.batch ? 1 : queue.size() + ready_keys.size();
  if (active < config.max_workers && active < wanted) {
    ++active;
    spawn = true;
  }
}

void SubscriberCore::Impl::spawn_drain() {
  detail::spawn(drain(), [this](std::exception_ptr error) {
    if (error)
      logger.error("subscriber '{}' drain stopped: {}", config.destination,
                   describe_exception(error));
  });
}

void SubscriberCore::Impl::note_idle_locked() {
  if (active == 0) idle_cv.notify_all();
}

void SubscriberCore::Impl::hand_off_locked(std::vector<std::shared_ptr<Waiter>>& resumed) {
  // Hysteresis: blocked publishers resume when the queue is half empty, so a producer and a
  // consumer sharing a core switch once per half-queue rather than once per message.
  if (waiters.empty() || queued_locked() > config.queue_capacity / 2) return;
  while (!waiters.empty() && enqueue_locked(waiters.front()->message)) {
    auto w = std::move(waiters.front());
    waiters.pop_front();
    received.fetch_add(1, std::memory_order_relaxed);
    w->state = Waiter::State::delivered;
    resumed.push_back(std::move(w));
  }
  if (queued_locked() > max_queued) max_queued = queued_locked();
}

void SubscriberCore::Impl::resume_all(std::vector<std::shared_ptr<Waiter>>& resumed) {
  for (auto& w : resumed) detail::resume_on(w->executor, w->handle);
  resumed.clear();
}

MessagePtr SubscriberCore::Impl::pop_or_retire(std::optional<std::uint64_t>& key) {
  std::vector<std::shared_ptr<Waiter>> resumed;
  std::vector<detail::Callback> ready;
  MessagePtr message;
  {
    std::unique_lock lock(mutex);
    // Before retiring on an empty queue, give the publisher a moment: waking a retired drain
    // costs a thread switch per message, which dominates when both share a core.
    for (int spins = 0; !poppable_locked() && !closing && spins < 2; ++spins) {
      lock.unlock();
      std::this_thread::yield();
      lock.lock();
    }
    if ((closing && !config.drain_queued_on_stop) || !pop_locked(message, key)) {
      --active;
      note_idle_locked();
      return nullptr;
    }
    hand_off_locked(resumed);
    take_ready_callbacks_locked(ready);
    in_flight.fetch_add(1, std::memory_order_relaxed);
  }
  resume_all(resumed);
  for (auto& r : ready) r();
  return message;
}

std::vector<MessagePtr> SubscriberCore::Impl::pop_more(std::size_t max) {
  std::vector<MessagePtr> out;
  std::vector<std::shared_ptr<Waiter>> resumed;
  std::vector<detail::Callback> ready;
  {
    std::lock_guard lock(mutex);
    if (closing && !config.drain_queued_on_stop) return out;
    while (out.size() < max && !queue.empty()) {
      out.push_back(std::move(queue.front()));
      queue.pop_front();
      hand_off_locked(resumed);
    }
    take_ready_callbacks_locked(ready);
    in_flight.fetch_add(out.size(), std::memory_order_relaxed);
  }
  resume_all(resumed);
  for (auto& r : ready) r();
  return out;
}

std::vector<MessagePtr> SubscriberCore::Impl::pop_batch_or_retire(std::size_t max) {
  auto out = pop_more(max);
  if (out.empty()) {
    std::lock_guard lock(mutex);
    if (queue.empty() || (closing && !config.drain_queued_on_stop)) {
      --active;
      note_idle_locked();
      return out;
    }
  }
  if (out.empty()) return pop_batch_or_retire(max);
  return out;
}

// --- Pipeline -------------------------------------------------------------------------------

Task<void> SubscriberCore::Impl::drain() {
  if (config.batch) {
    const auto& b = *config.batch;
    for (;;) {
      auto batch = pop_batch_or_retire(b.max_records);
      if (batch.empty()) co_return;
      if (batch.size() < b.max_records && b.timeout.count() > 0) {
        // Give the batch a moment to fill up.
        co_await sleep(b.timeout);
        auto more = pop_more(b.max_records - batch.size());
        for (auto& m : more) batch.push_back(std::move(m));
      }
      co_await process_batch(std::move(batch), false);
    }
  }
  for (;;) {
    std::optional<std::uint64_t> key;
    MessagePtr message = pop_or_retire(key);
    if (!message) co_return;
    co_await process(std::move(message), false);
    if (key) key_done(*key);
  }
}

const HandlerSpec* SubscriberCore::Impl::select_handler(const Message& message) const {
  for (const auto& h : handlers)
    if (h.options.filter && h.options.filter(message)) return &h;
  return default_handler;
}

Task<void> SubscriberCore::Impl::process(MessagePtr message, bool rethrow) {
  const bool timed = logger.enabled(access_level);
  const auto started =
      timed || metrics ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  if (metrics) metrics->on_received(1, message->body().size());
  Context ctx(*message, logger.with_context(config.destination, message->message_id()), *broker,
              config.destination);
  if (timed) ctx.logger().write(access_level, "Received");
  if (config.ack_policy == AckPolicy::ack_first && message->ack())
    acked.fetch_add(1, std::memory_order_relaxed);

  std::exception_ptr error;
  try {
    co_await ConsumeNext(&chain, 0, &ctx)();
  } catch (...) {
    error = std::current_exception();
  }
  settle_after(*message, error, ctx, started, timed);
  if (metrics) {
    count_outcome(*message, error);
    metrics->on_done(1, std::chrono::steady_clock::now() - started);
  }
  in_flight.fetch_sub(1, std::memory_order_relaxed);
  if (rethrow && error && !is_control(error)) std::rethrow_exception(error);
}

namespace {
struct BatchState {
  std::vector<Message*> messages;
  Batch view;
};
}  // namespace

Task<void> SubscriberCore::Impl::process_batch(std::vector<MessagePtr> messages, bool rethrow) {
  const bool timed = logger.enabled(access_level);
  const auto started =
      timed || metrics ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  const auto& handler = handlers.front();
  const std::size_t total = messages.size();
  if (metrics) {
    std::size_t bytes = 0;
    for (const auto& m : messages) bytes += m->body().size();
    metrics->on_received(total, bytes);
  }

  // Decode each message alone first: a bad one fails alone, per the ack policy.
  std::vector<Message*> good;
  good.reserve(messages.size());
  std::exception_ptr first_error;
  for (auto& m : messages) {
    if (config.ack_policy == AckPolicy::ack_first && m->ack())
      acked.fetch_add(1, std::memory_order_relaxed);
    try {
      if (!m->bad_input().empty()) throw DecodeError("message", {FieldError{"", m->bad_input()}});
      handler.validate_one(*m, config.decode);
      good.push_back(m.get());
    } catch (...) {
      auto e = std::current_exception();
      if (!first_error) first_error = e;
      Context one(*m, logger.with_context(config.destination, m->message_id()), *broker,
                  config.destination);
      settle_after(*m, e, one, started, timed);
      count_outcome(*m, e);
    }
  }
  if (!good.empty()) {
    BatchState state{good, Batch(good)};
    Context ctx(*good.front(), logger.with_context(config.destination, good.front()->message_id()),
                *broker, config.destination);
    ctx.set_batch_state(&state, &state.messages);
    if (timed) ctx.logger().write(access_level, fmt::format("Received batch of {}", good.size()));
    std::exception_ptr error;
    try {
      co_await ConsumeNext(&chain, 0, &ctx)();
    } catch (...) {
      error = std::current_exception();
    }
    if (error && !first_error) first_error = error;
    for (std::size_t i = 0; i < good.size(); ++i) {
      std::exception_ptr e = error;
      if (!e && state.view.failed(i)) {
        std::string reason;
        for (auto& [index, why] : state.view.failures())
          if (index == i) reason = why;
        e = std::make_exception_ptr(std::runtime_error("failed in batch: " + reason));
      }
      Context one(*good[i], logger.with_context(config.destination, good[i]->message_id()), *broker,
                  config.destination);
      settle_after(*good[i], e, one, started, false);
      count_outcome(*good[i], e);
    }
  }
  if (metrics) metrics->on_done(total, std::chrono::steady_clock::now() - started);
  in_flight.fetch_sub(total, std::memory_order_relaxed);
  if (rethrow && first_error && !is_control(first_error)) std::rethrow_exception(first_error);
}

Task<void> SubscriberCore::Impl::core_step(Context& ctx) {
  auto* batch = static_cast<BatchState*>(ctx.batch_state());
  if (!ctx.message().bad_input().empty())
    throw DecodeError("message", {FieldError{"", ctx.message().bad_input()}});
  const HandlerSpec* handler = batch ? &handlers.front() : select_handler(ctx.message());
  if (!handler)
    throw NoMatchingHandler(fmt::format(
        "no handler of subscriber '{}' accepts the message: every filter declined and there is "
        "no default handler",
        config.destination));
  detail::InvokeState state{&ctx,
                            &ctx.message(),
                            batch ? &batch->messages : nullptr,
                            batch ? &batch->view : nullptr,
                            &config.decode,
                            &broker->dependencies()};
  if (batch) {
    co_await handler->invoke_batch(state);
  } else {
    co_await handler->invoke(state);
  }
  if (ctx.result()) {
    co_await publish_result(ctx, *handler);
  } else if (!config.no_reply && !ctx.message().reply_to().empty()) {
    // A handler with nothing to return still answers a request, with an empty body, as
    // FastStream does: its clients wait for any reply.
    OutgoingMessage empty;
    empty.destination = ctx.message().reply_to();
    empty.correlation_id = ctx.message().correlation_id();
    empty.is_reply = true;
    co_await broker->publish(std::move(empty));
  }
}

Task<void> SubscriberCore::Impl::publish_result(Context& ctx, const HandlerSpec& handler) {
  OutgoingMessage& result = *ctx.result();
  const Message& incoming = ctx.message();
  if (result.correlation_id.empty()) result.correlation_id = incoming.correlation_id();
  std::vector<const PublisherTarget*> targets;
  for (const auto& t : handler.options.publishes_to) targets.push_back(&t);
  for (const auto& t : config.publishes_to) targets.push_back(&t);
  const bool reply = !config.no_reply && !incoming.reply_to().empty();
  std::size_t remaining = targets.size() + (reply ? 1 : 0);
  auto take = [&](std::string destination, BackendOptionsPtr native, bool is_reply) {
    // The last target takes the encoded message itself; the others get copies.
    OutgoingMessage out;
    if (--remaining == 0) {
      out = std::move(result);
    } else {
      out = result;
    }
    out.destination = std::move(destination);
    out.native = std::move(native);
    out.is_reply = is_reply;
    return out;
  };
  for (const auto* t : targets) co_await broker->publish(take(t->destination, t->native, false));
  if (reply) co_await broker->publish(take(incoming.reply_to(), nullptr, true));
}

std::string SubscriberCore::Impl::apply_error_policy(Message& message) {
  if (message.settled())
    return fmt::format("already settled by the handler ({})", to_string(message.settlement()));
  switch (config.ack_policy) {
    case AckPolicy::ack_first:
      return "already acked (ack_first)";
    case AckPolicy::ack:
      if (message.ack()) acked.fetch_add(1, std::memory_order_relaxed);
      return "acked (ack policy)";
    case AckPolicy::reject_on_error:
      if (message.reject()) rejected.fetch_add(1, std::memory_order_relaxed);
      return "rejected";
    case AckPolicy::nack_on_error:
      if (message.nack()) nacked.fetch_add(1, std::memory_order_relaxed);
      return "nacked: the broker will redeliver it";
    case AckPolicy::manual:
      return "left unsettled (manual ack policy)";
  }
  return "unknown";
}

void SubscriberCore::Impl::settle_after(Message& message, std::exception_ptr error, Context& ctx,
                                        std::chrono::steady_clock::time_point started, bool timed) {
  // A settlement the handler made itself (Message& ack/nack/reject) counts like the
  // framework's; under ack_first the framework's own ack is already counted.
  if (config.ack_policy != AckPolicy::ack_first) {
    switch (message.settlement()) {
      case Settlement::ack:
        acked.fetch_add(1, std::memory_order_relaxed);
        break;
      case Settlement::nack:
        nacked.fetch_add(1, std::memory_order_relaxed);
        break;
      case Settlement::reject:
        rejected.fetch_add(1, std::memory_order_relaxed);
        break;
      case Settlement::none:
        break;
    }
  }
  // Under manual the framework never settles, not even for a thrown AckMessage & co.
  const bool manual = config.ack_policy == AckPolicy::manual;
  if (!error) {
    processed.fetch_add(1, std::memory_order_relaxed);
    if (config.ack_policy != AckPolicy::manual && config.ack_policy != AckPolicy::ack_first &&
        message.ack())
      acked.fetch_add(1, std::memory_order_relaxed);
    if (timed)
      ctx.logger().write(access_level, fmt::format("Processed in {:.3f} ms", elapsed_ms(started)));
    return;
  }
  try {
    std::rethrow_exception(error);
  } catch (const AckMessage&) {
    processed.fetch_add(1, std::memory_order_relaxed);
    if (!manual && message.ack()) acked.fetch_add(1, std::memory_order_relaxed);
  } catch (const NackMessage& e) {
    if (!manual && message.nack(e.options())) nacked.fetch_add(1, std::memory_order_relaxed);
  } catch (const RejectMessage&) {
    if (!manual && message.reject()) rejected.fetch_add(1, std::memory_order_relaxed);
  } catch (const SkipMessage&) {
    skipped.fetch_add(1, std::memory_order_relaxed);
  } catch (...) {
    failed.fetch_add(1, std::memory_order_relaxed);
    message.set_failure_reason(describe_exception(error));
    std::string action = apply_error_policy(message);
    // Failures are always logged (not only at the access-log level): subscriber, message id,
    // what failed (decode errors name every field path) and what happened to the message.
    const std::string ref = message.broker_ref();
    ctx.logger().write(
        LogLevel::error,
        ref.empty() ? fmt::format("failed: {} -> {}", describe_exception(error), action)
                    : fmt::format("failed: {} -> {} ({})", describe_exception(error), action, ref));
  }
  if (timed && ctx.logger().enabled(access_level) && message.settlement() != Settlement::none)
    ctx.logger().write(access_level, fmt::format("Processed in {:.3f} ms ({})", elapsed_ms(started),
                                                 to_string(message.settlement())));
}

void SubscriberCore::Impl::count_outcome(const Message& message, std::exception_ptr error) {
  if (!metrics) return;
  using detail::ProcessingStatus;
  // As FastStream: the settlement if there is one, else what a control exception asked for,
  // else `error` for a failure and `acked` for a success (manual policy).
  ProcessingStatus status = ProcessingStatus::acked;
  switch (message.settlement()) {
    case Settlement::ack:
      status = ProcessingStatus::acked;
      break;
    case Settlement::nack:
      status = ProcessingStatus::nacked;
      break;
    case Settlement::reject:
      status = ProcessingStatus::rejected;
      break;
    case Settlement::none:
      if (error) {
        try {
          std::rethrow_exception(error);
        } catch (const AckMessage&) {
          status = ProcessingStatus::acked;
        } catch (const NackMessage&) {
          status = ProcessingStatus::nacked;
        } catch (const RejectMessage&) {
          status = ProcessingStatus::rejected;
        } catch (const SkipMessage&) {
          status = ProcessingStatus::skipped;
        } catch (...) {
          status = ProcessingStatus::error;
        }
      }
      break;
  }
  metrics->on_settled(status);
  if (error && !is_control(error)) metrics->exceptions.add(detail::exception_type_name(error));
}

// --- Chains ---------------------------------------------------------------------------------

Task<void> ConsumeNext::operator()() const {
  if (index_ < chain_->middlewares.size())
    return chain_->middlewares[index_]->on_consume(*ctx_, ConsumeNext(chain_, index_ + 1, ctx_));
  return chain_->subscriber->core_step(*ctx_);
}

std::string_view to_string(AckPolicy policy) noexcept {
  switch (policy) {
    case AckPolicy::ack_first:
      return "ack_first";
    case AckPolicy::ack:
      return "ack";
    case AckPolicy::reject_on_error:
      return "reject_on_error";
    case AckPolicy::nack_on_error:
      return "nack_on_error";
    case AckPolicy::manual:
      return "manual";
  }
  return "unknown";
}

}  // namespace faststream
