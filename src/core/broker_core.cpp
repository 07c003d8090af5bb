#include <fmt/format.h>

#include <cxxabi.h>
#include <algorithm>

#include "core/backend.hpp"
#include "core/broker_impl.hpp"
#include "faststream/exceptions.hpp"

namespace faststream {

namespace detail {
std::string demangle(const char* mangled) {
  int status = 0;
  char* out = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string result = status == 0 && out ? out : mangled;
  std::free(out);
  return result;
}

std::string exception_type_name(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return demangle(typeid(e).name());
  } catch (...) {
    return "unknown";
  }
}
}  // namespace detail

BrokerCore::Impl::Impl(std::unique_ptr<Transport> t, BrokerSettings s)
    : transport(std::move(t)),
      backend(transport->protocol()),
      settings(std::move(s)),
      logger(detail::make_log_sink(settings.logger_name, settings.log_level)),
      runtime(settings.logger_name) {}

BrokerCore::BrokerCore(std::unique_ptr<Transport> transport, BrokerSettings settings)
    : impl_(std::make_unique<Impl>(std::move(transport), std::move(settings))) {}

BrokerCore::~BrokerCore() {
  try {
    stop();
  } catch (const std::exception& e) {
    impl_->logger.error("stopping the broker failed: {}", e.what());
  }
}

SubscriberCore& BrokerCore::add_subscriber(std::unique_ptr<SubscriberCore> subscriber) {
  if (impl_->running)
    throw ConfigError("subscriber '" + subscriber->config().destination +
                      "' added while the broker runs: declare subscribers before start");
  impl_->transport->validate(subscriber->config());
  impl_->subscribers.push_back(std::move(subscriber));
  return *impl_->subscribers.back();
}
const std::vector<std::unique_ptr<SubscriberCore>>& BrokerCore::subscribers() const noexcept {
  return impl_->subscribers;
}
void BrokerCore::add_publisher(PublisherSpec spec) {
  impl_->publishers.push_back(std::move(spec));
}
const std::vector<PublisherSpec>& BrokerCore::publishers() const noexcept {
  return impl_->publishers;
}
void BrokerCore::add_middleware(std::shared_ptr<Middleware> middleware) {
  if (impl_->running) throw ConfigError("add middlewares before the broker starts");
  impl_->middlewares.push_back(std::move(middleware));
}
const std::vector<std::shared_ptr<Middleware>>& BrokerCore::middlewares() const noexcept {
  return impl_->middlewares;
}
detail::DependencyRegistry& BrokerCore::dependencies() noexcept {
  return impl_->dependencies;
}
const BrokerSettings& BrokerCore::settings() const noexcept {
  return impl_->settings;
}
BrokerSettings& BrokerCore::mutable_settings() {
  if (impl_->running) throw ConfigError("change broker settings before it starts");
  return impl_->settings;
}
Logger& BrokerCore::logger() noexcept {
  return impl_->logger;
}
Transport& BrokerCore::transport() noexcept {
  return *impl_->transport;
}
const Transport& BrokerCore::transport() const noexcept {
  return *impl_->transport;
}
std::unique_ptr<Transport> BrokerCore::replace_transport(std::unique_ptr<Transport> transport) {
  if (impl_->running) throw ConfigError("replace the transport before the broker starts");
  impl_->backend = transport->protocol();
  return std::exchange(impl_->transport, std::move(transport));
}
bool BrokerCore::running() const noexcept {
  return impl_->running;
}

bool BrokerCore::ping(std::chrono::milliseconds timeout) {
  std::shared_lock use(impl_->transport_use);
  return running() && impl_->transport->ping(timeout);
}
Executor& BrokerCore::event_loop() {
  return impl_->runtime.loop();
}
Executor& BrokerCore::workers() {
  return impl_->runtime.workers();
}

void BrokerCore::start_publisher() {
  {
    std::lock_guard lock(impl_->lifecycle);
    if (impl_->running) return;
    for (auto& s : impl_->subscribers) impl_->set_aside.push_back(std::move(s));
    impl_->subscribers.clear();
  }
  start();
}

void BrokerCore::start() {
  std::lock_guard lock(impl_->lifecycle);
  if (impl_->running) return;
  auto& i = *impl_;
  i.logger.set_level(i.settings.log_level);
  if (i.settings.collect_metrics && !i.publish_metrics)
    i.publish_metrics = std::make_unique<detail::PublishMetricsRegistry>();
  std::size_t threads = i.settings.worker_threads;
  if (threads == 0) {
    for (auto& s : i.subscribers) {
      bool plain = std::none_of(s->handlers().begin(), s->handlers().end(),
                                [](const HandlerSpec& h) { return h.coroutine; });
      if (plain) threads += s->config().max_workers;
    }
    threads = std::clamp<std::size_t>(threads, 1, 512);
  }
  i.runtime.start(threads);
  i.publish_chain.middlewares = i.middlewares;
  i.publish_chain.transport = i.transport.get();
  try {
    const std::string& backend = i.backend;
    for (auto& s : i.subscribers) {
      const auto& c = s->config();
      core::check_backend(c.native, backend, "subscriber", c.destination);
      for (const auto& t : c.publishes_to)
        core::check_backend(t.native, backend, "subscriber '" + c.destination + "' publishing to",
                            t.destination);
    }
    for (const auto& p : i.publishers)
      core::check_backend(p.target.native, backend, "publisher", p.target.destination);
    for (auto& s : i.subscribers) s->start(*this);
    i.transport->start(*this);
  } catch (...) {
    for (auto& s : i.subscribers) s->close_inbox();
    i.runtime.stop();
    for (auto& s : i.subscribers) s->finish();
    throw;
  }
  i.running = true;
  i.started_once = true;
  i.logger.info("broker started: {} {} with {} subscriber(s)", i.transport->protocol(),
                i.transport->public_url(), i.subscribers.size());
}

void BrokerCore::stop() {
  std::lock_guard lock(impl_->lifecycle);
  auto& i = *impl_;
  if (!i.running) return;
  if (detail::current_executor() == &i.runtime.loop() ||
      detail::current_executor() == &i.runtime.workers())
    throw std::logic_error(
        "faststream: broker.stop() called from one of its own handlers would wait for itself; "
        "call app.stop() (it returns at once) instead");
  i.running = false;
  i.transport->stop_consuming();
  for (auto& s : i.subscribers) s->close_inbox();
  auto deadline = std::chrono::steady_clock::now() + i.settings.graceful_timeout;
  std::size_t left = 0;
  for (auto& s : i.subscribers) left += s->wait_idle(deadline);
  if (left > 0) {
    i.logger.warning(
        "graceful timeout of {} ms passed with {} message(s) still in flight; cancelling "
        "their timers",
        i.settings.graceful_timeout.count(), left);
    i.runtime.cancel_timers();
    auto grace = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    for (auto& s : i.subscribers) s->wait_idle(grace);
  }
  {
    std::unique_lock use(i.transport_use);  // waits for a ping in progress
    i.transport->close();
  }
  i.runtime.stop();
  for (auto& s : i.subscribers) s->finish();
  i.logger.info("broker stopped");
}

namespace {
// Options of another backend in a message (the untyped paths): a ConfigError naming both.
void check_options(const BrokerCore::Impl& i, const OutgoingMessage& m, std::string_view what) {
  if (m.native) core::check_backend(m.native, i.backend, what, m.destination);
  if (m.call_native) core::check_backend(m.call_native, i.backend, what, m.destination);
}

Task<void> publish_through_chain(detail::PublishChain* chain, OutgoingMessage message) {
  co_await PublishNext(chain, 0)(message);
}
// A request, counted like a publish to its destination when metrics are collected (FastStream
// counts requests in its publish metrics too): the time until the reply, success or error.
Task<Reply> request_and_wrap(Transport* transport, OutgoingMessage message,
                             std::chrono::milliseconds timeout, detail::PublishMetrics* metrics) {
  const auto started = std::chrono::steady_clock::now();
  MessagePtr reply;
  try {
    reply = co_await transport->request(std::move(message), timeout);
  } catch (...) {
    if (metrics) {
      metrics->duration.observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      metrics->error.fetch_add(1, std::memory_order_relaxed);
      metrics->exceptions.add(detail::exception_type_name(std::current_exception()));
    }
    throw;
  }
  if (metrics) {
    metrics->duration.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    metrics->success.fetch_add(1, std::memory_order_relaxed);
  }
  co_return Reply(std::move(reply));
}
void fill_ids(OutgoingMessage& message) {
  if (message.correlation_id.empty()) message.correlation_id = generate_id();
}
}  // namespace

namespace {
// Times a publish and counts it under its destination (replies are not counted, as in
// FastStream).
Task<void> measured(detail::PublishMetrics* metrics, Task<void> send, std::uint64_t messages) {
  const auto started = std::chrono::steady_clock::now();
  std::exception_ptr error;
  try {
    co_await std::move(send);
  } catch (...) {
    error = std::current_exception();
  }
  metrics->duration.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (error) {
    metrics->error.fetch_add(messages, std::memory_order_relaxed);
    metrics->exceptions.add(detail::exception_type_name(error));
    std::rethrow_exception(error);
  }
  metrics->success.fetch_add(messages, std::memory_order_relaxed);
}
}  // namespace

Task<void> BrokerCore::publish(OutgoingMessage message) {
  check_options(*impl_, message, "publish to");
  fill_ids(message);
  detail::PublishMetrics* metrics = impl_->publish_metrics && !message.is_reply
                                        ? &impl_->publish_metrics->at(message.destination)
                                        : nullptr;
  Task<void> send = impl_->publish_chain.middlewares.empty()
                        ? impl_->transport->publish(std::move(message))
                        : publish_through_chain(&impl_->publish_chain, std::move(message));
  if (!metrics) return send;
  return measured(metrics, std::move(send), 1);
}

namespace {
Task<PublishResult> publish_and_report(BrokerCore* core, OutgoingMessage message) {
  PublishResult result;  // in this frame, which outlives the transport's publish
  message.result = &result;
  co_await core->publish(std::move(message));
  co_return result;
}
}  // namespace

Task<PublishResult> BrokerCore::publish_with_result(OutgoingMessage message) {
  return publish_and_report(this, std::move(message));
}

namespace {
Task<void> publish_one_by_one(BrokerCore* core, std::vector<OutgoingMessage> messages) {
  for (auto& m : messages) co_await core->publish(std::move(m));
}
}  // namespace

Task<void> Transport::publish_batch(std::vector<OutgoingMessage> messages) {
  return [](Transport* self, std::vector<OutgoingMessage> all) -> Task<void> {
    for (auto& m : all) co_await self->publish(std::move(m));
  }(this, std::move(messages));
}

Task<void> BrokerCore::publish_batch(std::vector<OutgoingMessage> messages) {
  for (auto& m : messages) {
    check_options(*impl_, m, "publish to");
    fill_ids(m);
  }
  // Publish middlewares see every message; then they go one by one (each counted by publish).
  if (!impl_->publish_chain.middlewares.empty())
    return publish_one_by_one(this, std::move(messages));
  if (!impl_->publish_metrics || messages.empty())
    return impl_->transport->publish_batch(std::move(messages));
  auto* metrics = &impl_->publish_metrics->at(messages.front().destination);
  const auto count = messages.size();
  return measured(metrics, impl_->transport->publish_batch(std::move(messages)), count);
}

Task<Reply> BrokerCore::request(OutgoingMessage message, std::chrono::milliseconds timeout) {
  check_options(*impl_, message, "request to");
  fill_ids(message);
  detail::PublishMetrics* metrics =
      impl_->publish_metrics ? &impl_->publish_metrics->at(message.destination) : nullptr;
  return request_and_wrap(impl_->transport.get(), std::move(message), timeout, metrics);
}

Task<void> PublishNext::operator()(OutgoingMessage& message) const {
  if (index_ < chain_->middlewares.size())
    return chain_->middlewares[index_]->on_publish(message, PublishNext(chain_, index_ + 1));
  return chain_->transport->publish(std::move(message));
}

std::vector<SourceRoute> Transport::routes_to(const BrokerCore& broker,
                                              std::string_view destination) const {
  std::vector<SourceRoute> routes;
  for (const auto& s : broker.subscribers())
    if (s->config().destination == destination)
      routes.push_back({s.get(), {}, std::string(destination)});
  return routes;
}

PublisherTarget Transport::target_of_kind(std::string_view kind, std::string destination) const {
  if (!kind.empty())
    throw std::invalid_argument(fmt::format("a {} broker has no '{}' sources", protocol(), kind));
  return destination;
}

namespace core {
void check_backend(const BackendOptionsPtr& native, std::string_view backend, std::string_view what,
                   std::string_view destination) {
  if (native && native->backend() != backend)
    throw ConfigError(fmt::format(
        "{} '{}': a target or options of the {} backend given to a {} broker (make it with "
        "this backend's to_...() functions or its options)",
        what, destination, native->backend(), backend));
}

boost::asio::io_context& event_loop_io(BrokerCore& broker) {
  return Internals::of(broker).runtime.loop_io();
}

void cancel_timers(BrokerCore& broker) {
  Internals::of(broker).runtime.cancel_timers();
}

Task<void> process_now(SubscriberCore& subscriber, MessagePtr message) {
  auto& impl = Internals::of(subscriber);
  impl.received.fetch_add(1, std::memory_order_relaxed);
  impl.in_flight.fetch_add(1, std::memory_order_relaxed);
  if (impl.config.batch) {
    std::vector<MessagePtr> one;
    one.push_back(std::move(message));
    return impl.process_batch(std::move(one), true);
  }
  return impl.process(std::move(message), true);
}
}  // namespace core

}  // namespace faststream
