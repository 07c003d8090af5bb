#pragma once
// The NATS transport: two nats.c connections (one subscribes, one publishes, so a flat-out
// publisher cannot make the subscribing side a slow consumer), subscriptions for core
// subjects and JetStream push/pull consumers, publishing with PubAcks, request/reply.
// nats.c runs its own reader and delivery threads; messages are handed to the subscribers'
// queues from there, and nats.c's pending buffers absorb what the queues cannot take yet.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/backend.hpp"
#include "faststream/nats.hpp"
#include "nats/client.hpp"
#include "nats/envelope.hpp"
#include "nats/url.hpp"

namespace faststream::nats {

// A subscriber's NATS options (SubscriberConfig::native), or the defaults.
const SubscriberOptions& options_of(const SubscriberConfig& config);

// Routing shared by the transport and TestBroker's (routes.cpp).
std::string_view to_string(Source source) noexcept;
Source source_of(const SubscriberOptions& options) noexcept;
std::vector<SourceKind> source_kinds();
PublisherTarget target_of_kind(std::string_view kind, std::string subject);
std::vector<SourceRoute> source_routes(const BrokerCore& broker, std::string_view subject);

// Checks a subscriber's NATS options (throws ConfigError naming the subject).
void validate_subscriber(const SubscriberConfig& config);

// A bucket handle's state: bound to nats.c's kvStore by the real transport, or to a map by
// TestBroker's.
struct KeyValue::Impl {
  KeyValueConfig config;
  std::shared_mutex mutex;
  kvStore* store = nullptr;  // guarded by mutex
  bool in_memory = false;
  std::map<std::string, std::string, std::less<>> memory;
  std::uint64_t memory_revision = 0;
};

class NatsTransport;
class NatsMessage;

// One subscriber's consume state.
struct Consumer {
  NatsTransport* transport = nullptr;
  SubscriberCore* core = nullptr;
  SubscriberOptions options;
  SubjectPlan subject;
  std::optional<core::Pattern> captures;  // subjects with {name} placeholders
  SubscriptionPtr subscription;
  std::thread fetcher;  // pull consumers
  // A JetStream consumer created by our own request (see StartTimeConsumer) and bound; an
  // ephemeral one is deleted at close, as nats.c does with the ephemerals it creates.
  std::string bound_consumer;
  bool delete_at_close = false;
  // JetStream messages not settled yet (queued or running), for InProgress and for
  // releasing them at close. Guards every use of their natsMsg.
  std::mutex unsettled_mutex;
  std::unordered_map<NatsMessage*, std::chrono::steady_clock::time_point> unsettled;
  std::atomic<std::uint64_t> dropped_on_stop{0};  // core messages nats.c held at stop
  // Slow-consumer warnings: nats.c reports every time the limit is hit again; at most one
  // line per second per subscriber, with the count since the last one.
  std::mutex slow_mutex;
  std::chrono::steady_clock::time_point slow_logged{};
  std::uint64_t slow_unlogged = 0;
  // Key-Value watches: the bucket, the watcher and the thread reading it.
  kvStore* kv_store = nullptr;
  kvWatcher* kv_watcher = nullptr;
  std::thread watch_thread;
  bool jetstream() const noexcept { return options.stream.has_value(); }
  bool key_value() const noexcept { return options.kv.has_value(); }
};

// Creates the bucket (declare) or binds to it; throws naming the bucket.
kvStore* open_bucket(jsCtx* js, const KeyValueConfig& config);

// Nats's routing rules as the CLI's publish sees them, shared by the transport and
// TestBroker's (routes.cpp).
class NatsRouting : public Transport {
 public:
  std::vector<SourceKind> source_kinds() const override { return nats::source_kinds(); }
  std::string source_kind(const SubscriberConfig& config) const override {
    return std::string(to_string(source_of(options_of(config))));
  }
  std::vector<SourceRoute> routes_to(const BrokerCore& broker,
                                     std::string_view destination) const override {
    return source_routes(broker, destination);
  }
  PublisherTarget target_of_kind(std::string_view kind, std::string destination) const override {
    return nats::target_of_kind(kind, std::move(destination));
  }
};

class NatsTransport final : public NatsRouting {
 public:
  NatsTransport(std::string url, BrokerOptions options);
  ~NatsTransport() override;

  std::string protocol() const override { return "nats"; }
  std::string public_url() const override { return url_.redacted(); }
  void set_url(std::string url) override { url_ = parse_url(url); }
  ServerSpec server_spec() const override;
  SpecBindings subscriber_bindings(const SubscriberConfig& config) const override;
  SpecBindings publisher_bindings(const PublisherTarget& target) const override;
  void validate(const SubscriberConfig& config) const override { validate_subscriber(config); }

  void start(BrokerCore& broker) override;
  void stop_consuming() override;
  void close() override;
  bool ping(std::chrono::milliseconds timeout) override;
  Task<void> publish(OutgoingMessage message) override;
  Task<MessagePtr> request(OutgoingMessage message, std::chrono::milliseconds timeout) override;

  Broker::Stats stats() const;
  Logger& logger();
  bool open() const noexcept { return open_; }

  // A failed JetStream message past its dead-letter limit: publish it to the dead-letter
  // subject, wait for the PubAck, then Term the original (Nak if the publish failed).
  // Takes `raw`.
  void dead_letter(Consumer* consumer, natsMsg* raw, OutgoingMessage letter);
  bool wait_for_pub_acks(std::chrono::milliseconds timeout);

  // nats.c callbacks (static trampolines call these).
  void on_message(Consumer* consumer, natsMsg* raw);
  void on_reply(natsMsg* raw);
  void on_pub_ack(natsMsg* raw, jsPubAck* ack, jsPubAckErr* error);
  void on_async_error(natsSubscription* sub, natsStatus status);
  void on_disconnected(natsConnection* connection);
  void on_reconnected(natsConnection* connection);
  void on_closed();

 private:
  OptionsPtr make_options(const std::string& name, bool send_asap = false);
  const char* role_of(natsConnection* connection) const noexcept;
  void connect(ConnectionPtr& connection, const std::string& name, bool send_asap);
  void declare_streams();
  void subscribe(Consumer* consumer);
  void fetch_loop(Consumer* consumer);
  void watch_loop(Consumer* consumer);
  void bind_buckets(BrokerCore& broker);
  void spawn_tracked(Task<void> task, const char* what);
  static Task<void> send_dead_letter(NatsTransport* self, Consumer* consumer, natsMsg* raw,
                                     OutgoingMessage letter);
  Task<void> lease_loop();
  void deliver_blocking(Consumer* consumer, MessagePtr message);
  MessagePtr make_message(Consumer* consumer, natsMsg* raw);
  void release_unsettled(Consumer* consumer);
  MsgPtr make_msg(const OutgoingMessage& message, bool jetstream, const std::string& reply);
  Task<void> publish_checking_interest(OutgoingMessage message);
  // How long publish_checking_interest waits for "no responders" or an answer.
  static constexpr std::chrono::milliseconds kInterestWindow{500};
  Task<void> publish_jetstream(OutgoingMessage message);

  Url url_;
  BrokerOptions options_;
  BrokerCore* broker_ = nullptr;
  ConnectionPtr sub_conn_;
  ConnectionPtr pub_conn_;
  // Requests, their replies and handlers' answers: sent at once (nats.c's SendAsap), where
  // pub_conn_ batches writes for throughput.
  ConnectionPtr rpc_conn_;
  // nats.c calls back on its own thread until a connection's closed callback: close() waits
  // for it before the transport may go away.
  std::mutex closed_mutex_;
  std::condition_variable closed_cv_;
  int connections_open_ = 0;  // guarded by closed_mutex_
  JetStreamPtr sub_js_;
  JetStreamPtr pub_js_;
  std::vector<std::unique_ptr<Consumer>> consumers_;
  std::atomic<bool> consuming_{false};
  std::atomic<bool> open_{false};

  // Request/reply: one wildcard subscription on <inbox>.*; each request its own token.
  std::string reply_prefix_;
  SubscriptionPtr reply_sub_;
  std::atomic<std::uint64_t> next_reply_{0};
  core::ReplyRegistry replies_;
  // JetStream publishes waiting for their PubAck, keyed by the natsMsg's address.
  core::ReplyRegistry pub_acks_;

  std::vector<std::shared_ptr<KeyValue>> buckets_;  // declared with Broker::key_value
  std::atomic<std::uint64_t> reconnects_{0}, disconnects_{0}, slow_consumer_events_{0};
  std::atomic<std::uint64_t> async_publish_failures_{0}, dead_lettered_{0};
  core::BackgroundTasks background_;
};

}  // namespace faststream::nats
