#pragma once
// The broker-neutral core every backend plugs into: subscribers with their inboxes and
// handler pipelines, the transport interface a backend implements, and the broker core that
// owns the runtime (event loop + worker pool), dependencies, middlewares and logging.
// Heavy machinery (Asio, spdlog) lives in src/core behind these declarations.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "faststream/codec.hpp"
#include "faststream/detail/dependencies.hpp"
#include "faststream/handler.hpp"
#include "faststream/logger.hpp"
#include "faststream/message.hpp"
#include "faststream/middleware.hpp"
#include "faststream/task.hpp"

namespace faststream {
namespace detail {
struct SubscriberMetrics;
}  // namespace detail
namespace core {
struct Internals;  // src/core only
}  // namespace core

// How the pipeline settles a message (FastStream 0.7 semantics, see docs/acknowledgement.md):
//   ack_first        ack on receipt, before the handler runs (at-most-once)
//   ack              ack after the handler, whether it succeeded or failed
//   reject_on_error  ack on success, reject on error (no redelivery)       [default]
//   nack_on_error    ack on success, nack on error (the broker redelivers)
//   manual           the framework never settles; the handler does (Message& ack/nack/reject)
// AckMessage/NackMessage/RejectMessage thrown by a handler settle that way under every policy
// but manual; SkipMessage leaves the message unsettled.
enum class AckPolicy : std::uint8_t { ack_first, ack, reject_on_error, nack_on_error, manual };
std::string_view to_string(AckPolicy policy) noexcept;

struct BatchConfig {
  std::size_t max_records = 100;
  // How long to wait for more messages once the first one is there.
  std::chrono::milliseconds timeout{10};
};

struct SubscriberConfig {
  std::string destination;  // as declared, with `{name}` placeholders and the router prefix
  AckPolicy ack_policy = AckPolicy::reject_on_error;
  std::size_t max_workers = 1;        // handlers of this subscriber running at once
  std::size_t queue_capacity = 1024;  // messages buffered between the broker and the handlers
  // Messages with an ordering key (Message::set_ordering_key): at most this many of one key
  // wait in the queue, so one busy key cannot fill it; 0 = a quarter of queue_capacity.
  std::size_t key_capacity = 0;
  std::optional<BatchConfig> batch;
  DecodeOptions decode;
  std::vector<std::shared_ptr<Middleware>> middlewares;
  std::vector<PublisherTarget> publishes_to;
  std::string title;
  std::string description;
  bool include_in_schema = true;
  bool no_reply = false;  // do not publish the result to reply-to
  // On stop, finish the messages already queued (memory broker) instead of leaving them to
  // the broker's redelivery (real brokers: they are not acked, so the broker keeps them).
  bool drain_queued_on_stop = false;
  BackendOptionsPtr native;  // the backend's source options
};

// Counters of one subscriber (monotonic).
struct SubscriberStats {
  std::uint64_t received = 0;
  std::uint64_t processed = 0;  // handler completed
  std::uint64_t failed = 0;     // handler, decode or publish failed
  std::uint64_t acked = 0;
  std::uint64_t nacked = 0;
  std::uint64_t rejected = 0;
  std::uint64_t skipped = 0;
  std::size_t queued = 0;
  std::size_t max_queued = 0;  // highest queue depth seen
  std::size_t in_flight = 0;
};

class BrokerCore;

class SubscriberCore {
 public:
  explicit SubscriberCore(SubscriberConfig config);
  ~SubscriberCore();
  SubscriberCore(const SubscriberCore&) = delete;
  SubscriberCore& operator=(const SubscriberCore&) = delete;

  const SubscriberConfig& config() const noexcept;
  SubscriberConfig& mutable_config();  // before start only
  void add_handler(HandlerSpec spec);
  const std::vector<HandlerSpec>& handlers() const noexcept;
  // Names of `{name}` placeholders in the destination, in order.
  const std::vector<std::string>& placeholders() const noexcept;

  // --- For backends: hand over a message (thread-safe). -------------------------------------
  // Takes the message unless the queue is full or closed; returns whether it took it.
  bool try_deliver(MessagePtr& message);
  // Takes messages from the front of `messages` while there is room, in order, under one
  // lock and with one wake-up of the handlers (backends that read in batches); returns how
  // many it took (they are moved out; the caller keeps the rest).
  std::size_t try_deliver_batch(std::vector<MessagePtr>& messages);
  // Waits while the queue is full (suspending the coroutine); PublishTimeout after `timeout`,
  // BrokerNotRunning when the subscriber is stopped.
  Task<void> deliver(MessagePtr message, std::chrono::milliseconds timeout);
  // Calls `ready()` once when the queue has room again (used by backends to resume reading).
  void when_ready(detail::Callback ready);

  // --- For backends: ordering keys (a Kafka partition). -------------------------------------
  // Messages carrying one key run one at a time in arrival order; different keys (and
  // messages without a key) run in parallel up to max_workers. Batch subscribers ignore keys.
  // A key's messages stop being started while it is paused (they stay queued).
  void pause_key(std::uint64_t key);
  void resume_key(std::uint64_t key);
  // Removes the key's queued messages (not started, not settled) and hands them back, in
  // order: a revoked partition's messages are redelivered to its next owner, not handled here.
  std::vector<MessagePtr> discard_key(std::uint64_t key);
  // How many more messages of `key` the queue takes now.
  std::size_t key_room(std::uint64_t key) const;
  // Whether a message of `key` is running now.
  bool key_busy(std::uint64_t key) const;
  // Waits (suspending, e.g. on the event loop) until no message of `key` runs, up to
  // `deadline`; true when none does.
  Task<bool> wait_key_idle(std::uint64_t key, std::chrono::steady_clock::time_point deadline);

  SubscriberStats stats() const;
  // How many messages the queue takes now (0 once closing).
  std::size_t room() const;
  // Its Prometheus metrics; null unless the broker collects them.
  const detail::SubscriberMetrics* metrics() const noexcept;
  bool running() const noexcept;

  // --- For the broker core. -------------------------------------------------------------------
  void start(BrokerCore& broker);
  void close_inbox();  // stop accepting; queued ones are drained or released per config
  // Takes the queued messages no handler started, oldest first (after close_inbox: a backend
  // hands them back to its broker, e.g. a Redis list's entries pushed back to its head).
  std::vector<MessagePtr> take_queued();
  // Waits until no handler runs and (if draining) the queue is empty, up to `deadline`;
  // returns the number of messages still in flight or queued when it gave up.
  std::size_t wait_idle(std::chrono::steady_clock::time_point deadline);
  void finish();  // after the runtime stopped: release what is left

  struct Impl;

 private:
  friend struct core::Internals;
  std::unique_ptr<Impl> impl_;
};

// The reply to a request, decoded on demand.
class Reply {
 public:
  explicit Reply(MessagePtr message) : message_(std::move(message)) {}
  const Message& message() const noexcept { return *message_; }
  std::string_view body() const noexcept { return message_->body(); }
  const Headers& headers() const noexcept { return message_->headers(); }
  const std::string& correlation_id() const noexcept { return message_->correlation_id(); }
  const std::string& content_type() const noexcept { return message_->content_type(); }
  template <class T>
  T decode(const DecodeOptions& options = {}) const {
    return decode_payload<T>(message_->body(), message_->content_type(), options);
  }

 private:
  MessagePtr message_;
};

// What AsyncAPI says about the broker's server (never credentials).
struct ServerSpec {
  std::string host;              // "localhost:6379"
  std::string protocol;          // "redis", "nats", "amqp", "kafka", "memory"
  std::string protocol_version;  // may be empty
  std::string pathname;          // e.g. "/0" (a Redis db, an AMQP vhost); may be empty
  std::string bindings;          // server bindings object, e.g. {"kafka":{...}}; may be empty
};

// AsyncAPI bindings objects as JSON text keyed by protocol, e.g. {"redis":{...}}; empty
// strings mean none. See https://github.com/asyncapi/bindings.
struct SpecBindings {
  std::string channel;
  std::string operation;
  std::string message;
};

// A kind of source of a broker, as the CLI's publish offers it (`--list`).
struct SourceKind {
  std::string name;  // "list"
  std::string help;  // "RPUSH to the list DEST"
};

// How a subscriber or publisher appears as an AsyncAPI channel: its name (the base of the
// channel's key, as FastStream names them) and its address (what the broker routes on).
struct ChannelSpec {
  std::string name;
  std::string address;
};

// One way into a subscriber from outside the app (the CLI's publish): the kind of its source
// and the target a publisher uses to reach it.
struct SourceRoute {
  const SubscriberCore* subscriber = nullptr;
  std::string kind;  // one of Transport::source_kinds(); empty when the broker has one kind
  PublisherTarget target{std::string()};
};

// Implemented by each backend (src/<backend>/): connection, declaring, consume loops and the
// wire format. Client-library types stay behind it.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual std::string protocol() const = 0;  // "memory", "redis", "nats"...
  // Whether the app's handlers run in this process for what it publishes (the memory broker,
  // TestBroker's transports): the CLI's `publish` then starts the subscribers and waits for
  // them; against a real broker it only sends.
  virtual bool in_process() const { return false; }
  virtual std::string public_url() const = 0;  // without credentials, for logs and docs
  // Points the transport at another broker (the CLI's --url / FASTSTREAM_URL); before start.
  // Throws std::invalid_argument with a message naming the expected form.
  virtual void set_url(std::string url) = 0;
  // For AsyncAPI documents; must not connect.
  virtual ServerSpec server_spec() const = 0;
  virtual SpecBindings subscriber_bindings(const SubscriberConfig&) const { return {}; }
  virtual SpecBindings publisher_bindings(const PublisherTarget&) const { return {}; }
  // The channels a subscriber reads: by default one, named and addressed by its destination;
  // a backend says otherwise (a Kafka subscriber on several topics, an AMQP queue bound to an
  // exchange by a routing key).
  virtual std::vector<ChannelSpec> subscriber_channels(const SubscriberConfig& config) const {
    return {{config.destination, config.destination}};
  }
  // The channel a publisher (or a publishes_to target) sends to.
  virtual ChannelSpec publisher_channel(const PublisherTarget& target) const {
    return {target.destination, target.destination};
  }
  // The kinds of source a message can be sent to on this broker ("channel", "list",
  // "stream" on Redis; "core", "jetstream" on NATS), for the CLI's publish flags. Empty:
  // one kind only.
  virtual std::vector<SourceKind> source_kinds() const { return {}; }
  // The kind of source a subscriber reads (one of source_kinds(); empty with one kind).
  virtual std::string source_kind(const SubscriberConfig&) const { return {}; }
  // Every subscriber that a message sent to `destination` can reach, by the backend's own
  // matching rules, each with the kind of its source and the target that feeds that source
  // (a Redis list subscriber: RPUSH to the list). For the CLI's publish.
  virtual std::vector<SourceRoute> routes_to(const BrokerCore& broker,
                                             std::string_view destination) const;
  // The target that feeds a source of `kind` (one of source_kinds()) named `destination`.
  // Throws std::invalid_argument for an unknown kind.
  virtual PublisherTarget target_of_kind(std::string_view kind, std::string destination) const;
  // Checks a subscriber's native options when it is added (throws ConfigError).
  virtual void validate(const SubscriberConfig&) const {}
  // Connects and starts feeding the subscribers; called on the broker's start.
  virtual void start(BrokerCore& broker) = 0;
  // Stops feeding subscribers (drain begins). Publishing still works until close().
  virtual void stop_consuming() = 0;
  // Disconnects; called after the drain.
  virtual void close() = 0;
  // Whether the broker answers within `timeout` (readiness checks); called from any thread
  // while started. The in-process brokers have nothing to ask: true.
  virtual bool ping(std::chrono::milliseconds timeout) {
    (void)timeout;
    return true;
  }
  virtual Task<void> publish(OutgoingMessage message) = 0;
  // Several messages to one destination; backends with a native batch (RPUSH k v1 v2...)
  // send them at once, others one by one (this default). In order either way.
  virtual Task<void> publish_batch(std::vector<OutgoingMessage> messages);
  virtual Task<MessagePtr> request(OutgoingMessage message, std::chrono::milliseconds timeout) = 0;
};

struct BrokerSettings {
  LogLevel log_level = LogLevel::info;
  // Access log lines (Received / Processed / failed) are written at this level.
  LogLevel access_log_level = LogLevel::info;
  std::string logger_name = "faststream";
  std::chrono::milliseconds graceful_timeout{10'000};
  std::chrono::milliseconds publish_timeout{10'000};
  // The largest message body a subscriber decodes; a larger one fails as bad input, whose log
  // line names this setting. A subscriber's decode_options(...) may set its own. Python
  // FastStream has no limit: raise it rather than reject what its services send.
  std::size_t max_message_size = kDefaultMaxMessageSize;
  // Threads for plain (non-coroutine) handlers; 0 = as many as the subscribers' max_workers
  // need (at least 1, at most 512).
  std::size_t worker_threads = 0;
  // Count FastStream's Prometheus metrics (faststream/metrics.hpp); set before start. An app
  // serving /metrics (App::serve_http) turns it on.
  bool collect_metrics = false;
};

struct PublisherSpec {  // a declared publisher, for docs
  PublisherTarget target;
  std::string title;
  std::string description;
  bool include_in_schema = true;
  std::function<std::string(SchemaRegistry&)> payload_schema;
  std::string payload_name;
};

class BrokerCore {
 public:
  BrokerCore(std::unique_ptr<Transport> transport, BrokerSettings settings);
  ~BrokerCore();
  BrokerCore(const BrokerCore&) = delete;
  BrokerCore& operator=(const BrokerCore&) = delete;

  SubscriberCore& add_subscriber(std::unique_ptr<SubscriberCore> subscriber);
  const std::vector<std::unique_ptr<SubscriberCore>>& subscribers() const noexcept;
  void add_publisher(PublisherSpec spec);
  const std::vector<PublisherSpec>& publishers() const noexcept;
  void add_middleware(std::shared_ptr<Middleware> middleware);
  const std::vector<std::shared_ptr<Middleware>>& middlewares() const noexcept;
  detail::DependencyRegistry& dependencies() noexcept;

  const BrokerSettings& settings() const noexcept;
  BrokerSettings& mutable_settings();  // before start
  Logger& logger() noexcept;
  Transport& transport() noexcept;
  const Transport& transport() const noexcept;
  // TestBroker swaps in its in-memory transport (before start).
  std::unique_ptr<Transport> replace_transport(std::unique_ptr<Transport> transport);

  // Starts the runtime, checks every subscriber's dependencies and path parameters, then
  // the transport. Throws ConfigError for wrong declarations.
  void start();
  // Starts only what publishing and requests need: the declared subscribers are set aside and
  // never consume. For a process that only sends (the CLI's `publish` against a real broker),
  // so it does not compete with the running service for its messages.
  void start_publisher();
  // Graceful: stop consuming, let in-flight handlers finish (up to graceful_timeout), settle,
  // close the transport, stop the runtime. Idempotent.
  void stop();
  bool running() const noexcept;
  // Started and the broker answers within `timeout` (Transport::ping).
  bool ping(std::chrono::milliseconds timeout);

  // Publishes through the broker's publish middlewares, then the transport.
  Task<void> publish(OutgoingMessage message);
  // The same, with what the broker said about it.
  Task<PublishResult> publish_with_result(OutgoingMessage message);
  Task<void> publish_batch(std::vector<OutgoingMessage> messages);
  // Sends a request and waits for the reply (correlated by id) up to `timeout`.
  Task<Reply> request(OutgoingMessage message, std::chrono::milliseconds timeout);

  Executor& event_loop();
  Executor& workers();

  struct Impl;

 private:
  friend struct core::Internals;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faststream
