#pragma once
// The user-facing pieces shared by every backend: subscriber and publisher handles, the broker
// base (publish, request, middlewares, dependencies, lifecycle) and routers.
#include <chrono>
#include <concepts>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "faststream/codec.hpp"
#include "faststream/core.hpp"
#include "faststream/handler.hpp"

namespace faststream {

struct PublishOptions {
  Headers headers;
  std::string correlation_id;  // generated when empty
  std::string reply_to;
  std::string message_id;  // = correlation id when empty
  // How long a publish may wait on backpressure (a full queue, a reconnect); 0 = the broker's
  // publish_timeout.
  std::chrono::milliseconds timeout{0};
};

struct RequestOptions {
  Headers headers;
  std::string correlation_id;
  std::chrono::milliseconds timeout{5'000};
};

namespace detail {
// A backend's per-call options type derives from PublishOptions and adds its fields and
//   BackendOptionsPtr call_options() const;   // they, tagged with the backend's name
template <class Options>
BackendOptionsPtr call_options_of(const Options& options) {
  if constexpr (requires { options.call_options(); }) {
    return options.call_options();
  } else {
    return nullptr;
  }
}

template <class T>
OutgoingMessage make_outgoing(const T& value, PublisherTarget target, PublishOptions&& options) {
  OutgoingMessage out;
  out.destination = std::move(target.destination);
  out.native = std::move(target.native);
  encode_payload(value, out.body);
  out.content_type = std::string(content_type_of<T>());
  out.correlation_id = std::move(options.correlation_id);
  out.reply_to = std::move(options.reply_to);
  out.message_id = std::move(options.message_id);
  out.headers = std::move(options.headers);
  out.timeout = options.timeout;
  return out;
}
}  // namespace detail

// A handle to a subscriber being declared. Configure it, then add handlers.
// Note for g++ 12: it destroys brace-initialized temporaries inside a co_await expression
// twice (write `Order o{...}; co_await broker.publish(o, "orders");`, not
// `co_await broker.publish(Order{...}, "orders")`). So no function here that is co_awaited
// takes a defaulted aggregate parameter: the overloads below replace `options = {}`.

namespace detail {
// A target of another backend than `Expected` (a nats::Target handed to a redis::Broker).
template <class Target, class Expected>
concept ForeignTarget = std::derived_from<std::remove_cvref_t<Target>, PublisherTarget> &&
    !std::same_as<std::remove_cvref_t<Target>, Expected>;
template <class Target>
inline constexpr bool target_of_another_backend = false;
}  // namespace detail

#define FASTSTREAM_REFUSE_FOREIGN_TARGET(Other)                                                  \
  static_assert(::faststream::detail::target_of_another_backend<Other>,                          \
                "faststream: this target belongs to another backend's broker; make it with the " \
                "to_...() functions of this broker's backend (redis::to_list, nats::to_stream, " \
                "...) or pass the destination's name")

template <class MessageT, class TargetT = PublisherTarget>
class Subscriber {
 public:
  explicit Subscriber(SubscriberCore& core) : core_(&core) {}

  // Adds a handler. Several handlers: the first whose filter accepts the message runs; the one
  // without a filter is the default (at most one).
  template <class F>
  Subscriber& handle(F fn, HandlerOptions options = {}) {
    core_->add_handler(make_handler<MessageT>(std::move(fn), std::move(options)));
    return *this;
  }
  // The handlers' results are also published here (besides reply-to).
  Subscriber& publishes_to(TargetT target) {
    core_->mutable_config().publishes_to.push_back(std::move(target));
    return *this;
  }
  template <detail::ForeignTarget<TargetT> Other>
  Subscriber& publishes_to(Other) {
    FASTSTREAM_REFUSE_FOREIGN_TARGET(Other);
    return *this;
  }
  Subscriber& ack_policy(AckPolicy policy) {
    core_->mutable_config().ack_policy = policy;
    return *this;
  }
  Subscriber& max_workers(std::size_t n) {
    core_->mutable_config().max_workers = n == 0 ? 1 : n;
    return *this;
  }
  // Handlers take std::vector<T>: up to max_records messages at once.
  Subscriber& batch(BatchConfig config = {}) {
    core_->mutable_config().batch = config;
    return *this;
  }
  Subscriber& decode_options(DecodeOptions options) {
    core_->mutable_config().decode = options;
    return *this;
  }
  Subscriber& middleware(std::shared_ptr<Middleware> m) {
    core_->mutable_config().middlewares.push_back(std::move(m));
    return *this;
  }
  Subscriber& retry(RetryPolicy policy) {
    return middleware(std::make_shared<RetryMiddleware>(std::move(policy)));
  }
  Subscriber& title(std::string text) {
    core_->mutable_config().title = std::move(text);
    return *this;
  }
  Subscriber& description(std::string text) {
    core_->mutable_config().description = std::move(text);
    return *this;
  }
  Subscriber& include_in_schema(bool include) {
    core_->mutable_config().include_in_schema = include;
    return *this;
  }
  Subscriber& no_reply(bool value = true) {
    core_->mutable_config().no_reply = value;
    return *this;
  }

  SubscriberStats stats() const { return core_->stats(); }
  SubscriberCore& core() noexcept { return *core_; }

 private:
  SubscriberCore* core_;
};

// A declared (and so documented) publisher. T = void accepts any payload.
template <class T = void>
class Publisher {
 public:
  Publisher(BrokerCore& broker, PublisherTarget target)
      : broker_(&broker), target_(std::move(target)) {}

  template <class U = T>
  requires(std::is_void_v<T> ? Payload<U> : std::is_same_v<U, T>) Task<void> publish(const U& value)
  const { return broker_->publish(detail::make_outgoing(value, target_, PublishOptions())); }
  template <class U = T>
  requires(std::is_void_v<T>
               ? Payload<U>
               : std::is_same_v<U, T>) Task<void> publish(const U& value, PublishOptions options)
  const { return broker_->publish(detail::make_outgoing(value, target_, std::move(options))); }
  const PublisherTarget& target() const noexcept { return target_; }

 private:
  BrokerCore* broker_;
  PublisherTarget target_;
};

struct PublisherOptions {
  std::string title;
  std::string description;
  bool include_in_schema = true;
};

namespace detail {
// What the docs need to know about a declared publisher of T (T = void: any payload).
template <class T>
PublisherSpec make_publisher_spec(PublisherTarget target, PublisherOptions&& options) {
  PublisherSpec spec{std::move(target),
                     std::move(options.title),
                     std::move(options.description),
                     options.include_in_schema,
                     {},
                     {}};
  if constexpr (!std::is_void_v<T>) {
    spec.payload_schema = [](SchemaRegistry& r) { return payload_schema<T>(r); };
    spec.payload_name = payload_type_name<T>();
  }
  return spec;
}
}  // namespace detail

// Subscribers and publishers declared under a prefix, with shared middlewares; included into
// a broker (or another router) later. Nestable: prefixes concatenate.
template <class MessageT, class SubscriberOptionsT, class TargetT = PublisherTarget>
class BasicRouter {
 public:
  explicit BasicRouter(std::string prefix = {}) : prefix_(std::move(prefix)) {}

  Subscriber<MessageT, TargetT> subscriber(std::string destination,
                                           SubscriberOptionsT options = {}) {
    auto core = std::make_unique<SubscriberCore>(options.to_config(std::move(destination)));
    auto& ref = *core;
    subscribers_.push_back(std::move(core));
    return Subscriber<MessageT, TargetT>(ref);
  }
  template <class T = void>
  void publisher(std::string destination, PublisherOptions options = {}) {
    publishers_.push_back(
        detail::make_publisher_spec<T>(std::move(destination), std::move(options)));
  }
  void add_middleware(std::shared_ptr<Middleware> m) { middlewares_.push_back(std::move(m)); }
  void include_router(BasicRouter& other) {
    other.apply_prefix_and_middlewares();
    for (auto& s : other.subscribers_) subscribers_.push_back(std::move(s));
    for (auto& p : other.publishers_) publishers_.push_back(std::move(p));
    other.subscribers_.clear();
    other.publishers_.clear();
  }

  // Moves the declarations out with this router's prefix and middlewares applied.
  std::vector<std::unique_ptr<SubscriberCore>> take_subscribers() {
    apply_prefix_and_middlewares();
    return std::exchange(subscribers_, {});
  }
  std::vector<PublisherSpec> take_publishers() {
    apply_prefix_and_middlewares();
    return std::exchange(publishers_, {});
  }

 private:
  void apply_prefix_and_middlewares() {
    if (applied_) return;
    applied_ = true;
    for (auto& s : subscribers_) {
      auto& c = s->mutable_config();
      c.destination = prefix_ + c.destination;
      for (auto& t : c.publishes_to) t.destination = prefix_ + t.destination;
      c.middlewares.insert(c.middlewares.begin(), middlewares_.begin(), middlewares_.end());
    }
    for (auto& p : publishers_) p.target.destination = prefix_ + p.target.destination;
  }

  std::string prefix_;
  std::vector<std::unique_ptr<SubscriberCore>> subscribers_;
  std::vector<PublisherSpec> publishers_;
  std::vector<std::shared_ptr<Middleware>> middlewares_;
  bool applied_ = false;
};

// What every backend's Broker offers; the backend adds subscriber() and its own options.
// TargetT: the backend's own target type; another backend's does not compile here.
// PublishOptionsT: the backend's per-call publish options (derived from PublishOptions).
template <class MessageT, class SubscriberOptionsT, class TargetT = PublisherTarget,
          class PublishOptionsT = PublishOptions>
class BasicBroker {
 public:
  using Router = BasicRouter<MessageT, SubscriberOptionsT, TargetT>;
  using Target = TargetT;
  using CallOptions = PublishOptionsT;

  Subscriber<MessageT, TargetT> subscriber(std::string destination,
                                           SubscriberOptionsT options = {}) {
    auto& core =
        core_->add_subscriber(std::make_unique<SubscriberCore>(options.to_config(destination)));
    return Subscriber<MessageT, TargetT>(core);
  }

  // A declared publisher of T (documented in AsyncAPI).
  template <class T = void>
  Publisher<T> publisher(TargetT target, PublisherOptions options = {}) {
    core_->add_publisher(detail::make_publisher_spec<T>(target, std::move(options)));
    return Publisher<T>(*core_, std::move(target));
  }

  // co_await it in a coroutine, or .get() it to block; gives what the broker said (a stream
  // entry id, a JetStream sequence...).
  template <Payload T>
  Task<PublishResult> publish(const T& value, TargetT target) {
    return core_->publish_with_result(
        detail::make_outgoing(value, std::move(target), PublishOptions()));
  }
  template <Payload T>
  Task<PublishResult> publish(const T& value, TargetT target, PublishOptions options) {
    return core_->publish_with_result(
        detail::make_outgoing(value, std::move(target), std::move(options)));
  }
  // The backend's own per-call options (nats::PublishOptions: JetStream expectations...).
  template <Payload T>
  requires(!std::same_as<PublishOptionsT, PublishOptions>) Task<PublishResult> publish(
      const T& value, TargetT target, PublishOptionsT options) {
    BackendOptionsPtr call = detail::call_options_of(options);
    OutgoingMessage out = detail::make_outgoing(value, std::move(target),
                                                static_cast<PublishOptions&&>(std::move(options)));
    out.call_native = std::move(call);
    return core_->publish_with_result(std::move(out));
  }

  // Several values to one destination in one go where the broker can (a Redis list: one
  // RPUSH), in order. Each gets its own correlation id unless options set one.
  template <Payload T>
  Task<void> publish_batch(const std::vector<T>& values, TargetT target) {
    return publish_batch(values, std::move(target), PublishOptions());
  }
  template <Payload T>
  Task<void> publish_batch(const std::vector<T>& values, TargetT target, PublishOptions options) {
    std::vector<OutgoingMessage> messages;
    messages.reserve(values.size());
    for (const auto& v : values)
      messages.push_back(detail::make_outgoing(v, target, PublishOptions(options)));
    return core_->publish_batch(std::move(messages));
  }

  // Sends `value` and waits for the handler's reply (RequestOptions: timeout 5 s).
  template <Payload T>
  Task<Reply> request(const T& value, TargetT target) {
    return request(value, std::move(target), RequestOptions());
  }
  template <Payload T>
  Task<Reply> request(const T& value, TargetT target, RequestOptions options) {
    auto out = detail::make_outgoing(value, std::move(target),
                                     PublishOptions{std::move(options.headers),
                                                    std::move(options.correlation_id),
                                                    {},
                                                    {},
                                                    options.timeout});
    return core_->request(std::move(out), options.timeout);
  }

  // Another backend's target: a compile error that says so.
  template <class T, detail::ForeignTarget<TargetT> Other, class... Rest>
  Task<PublishResult> publish(const T&, Other, Rest&&...) {
    FASTSTREAM_REFUSE_FOREIGN_TARGET(Other);
    return {};
  }
  template <class T, detail::ForeignTarget<TargetT> Other, class... Rest>
  Task<Reply> request(const T&, Other, Rest&&...) {
    FASTSTREAM_REFUSE_FOREIGN_TARGET(Other);
    return {};
  }
  template <class T = void, detail::ForeignTarget<TargetT> Other, class... Rest>
  Publisher<T> publisher(Other, Rest&&...) {
    FASTSTREAM_REFUSE_FOREIGN_TARGET(Other);
    return Publisher<T>(*core_, "");
  }

  void include_router(Router& router) {
    for (auto& s : router.take_subscribers()) core_->add_subscriber(std::move(s));
    for (auto& p : router.take_publishers()) core_->add_publisher(std::move(p));
  }
  void add_middleware(std::shared_ptr<Middleware> middleware) {
    core_->add_middleware(std::move(middleware));
  }
  template <class T>
  void provide(std::shared_ptr<T> instance) {
    core_->dependencies().provide(std::move(instance));
  }
  template <class T, class Factory>
  void provide_factory(Factory factory) {
    core_->dependencies().template provide_factory<T>(std::move(factory));
  }

  void start() { core_->start(); }
  void stop() { core_->stop(); }
  bool running() const noexcept { return core_->running(); }
  Logger& logger() noexcept { return core_->logger(); }
  BrokerCore& core() noexcept { return *core_; }

 protected:
  explicit BasicBroker(std::unique_ptr<BrokerCore> core) : core_(std::move(core)) {}
  std::unique_ptr<BrokerCore> core_;
};

}  // namespace faststream
