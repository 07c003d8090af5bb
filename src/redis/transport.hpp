#pragma once
// The Redis transport: connections, consume loops for channels, lists and streams, publishing
// and request/reply. Runs on the broker's event loop.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/backend.hpp"
#include "faststream/redis.hpp"
#include "redis/channel_pattern.hpp"
#include "redis/connection.hpp"
#include "redis/url.hpp"

namespace faststream::redis {

class RedisTransport;

// Routing shared by the transport and TestBroker's (routes.cpp).
// A subscriber's Redis options (SubscriberConfig::native), or the defaults.
const SubscriberOptions& options_of(const SubscriberConfig& config);
std::string_view to_string(Source source) noexcept;
std::vector<SourceKind> source_kinds();
PublisherTarget target_of_kind(std::string_view kind, std::string name);
// Whether a subscriber reads the list, stream or channel `name` (channel patterns by glob).
bool reads(const SubscriberConfig& config, std::string_view name);
std::vector<SourceRoute> source_routes(const BrokerCore& broker, std::string_view name);

// Checks a subscriber's Redis options (throws ConfigError naming the destination).
void validate_subscriber(const SubscriberConfig& config);

// One subscriber's consume state.
struct Consumer {
  SubscriberCore* core = nullptr;
  SubscriberOptions options;
  ChannelPattern channel;                  // channels
  std::shared_ptr<Connection> connection;  // lists and streams: a blocking connection each
  std::string consumer_name;               // streams with a group
  std::map<std::string, std::chrono::steady_clock::time_point> in_flight;  // stream leases
  std::string autoclaim_cursor = "0-0";
  // Acks are coalesced: handlers add ids here, the event loop sends one XACK for all of them.
  std::mutex ack_mutex;
  std::vector<std::string> pending_acks;
  bool announced_ready = false;  // counted in the start-up latch
  // Lists: popped entries the subscriber did not take (stopping); pushed back at close().
  // Event loop only.
  std::deque<MessagePtr> held;
  // Streams: entries read but not handled by the stop (they stay pending); for the log.
  std::atomic<std::size_t> left_unread{0};
};

// Redis's routing rules as the CLI's publish sees them, shared by the transport and
// TestBroker's (routes.cpp).
class RedisRouting : public Transport {
 public:
  std::vector<SourceKind> source_kinds() const override { return redis::source_kinds(); }
  std::string source_kind(const SubscriberConfig& config) const override {
    return std::string(to_string(options_of(config).source));
  }
  std::vector<SourceRoute> routes_to(const BrokerCore& broker,
                                     std::string_view destination) const override {
    return source_routes(broker, destination);
  }
  PublisherTarget target_of_kind(std::string_view kind, std::string destination) const override {
    return redis::target_of_kind(kind, std::move(destination));
  }
};

class RedisTransport final : public RedisRouting {
 public:
  RedisTransport(std::string url, BrokerOptions options);
  ~RedisTransport() override;

  std::string protocol() const override { return "redis"; }
  std::string public_url() const override;
  void set_url(std::string url) override;
  ServerSpec server_spec() const override;
  SpecBindings subscriber_bindings(const SubscriberConfig& config) const override;
  SpecBindings publisher_bindings(const PublisherTarget& target) const override;
  void validate(const SubscriberConfig& config) const override;

  void start(BrokerCore& broker) override;
  void stop_consuming() override;
  void close() override;
  bool ping(std::chrono::milliseconds timeout) override;
  Task<void> publish(OutgoingMessage message) override;
  Task<void> publish_batch(std::vector<OutgoingMessage> messages) override;
  Task<MessagePtr> request(OutgoingMessage message, std::chrono::milliseconds timeout) override;

  Broker::Stats stats() const;

  // For messages: settle on the broker (called from any thread).
  void ack_stream_entry(Consumer* consumer, std::string entry_id);
  void release_stream_entry(Consumer* consumer, const std::string& entry_id);
  void flush_acks(Consumer* consumer);
  Logger& logger();

 private:
  boost::asio::io_context& io();
  Executor& loop();
  Task<void> connect_with_retry(std::shared_ptr<Connection> connection, const char* role);
  void connect_pubsub();
  Task<void> pubsub_session();
  void subscribe_channels();
  void on_channel_message(Consumer* consumer, redisReply* reply);
  void on_reply_message(redisReply* reply);
  Task<void> list_loop(Consumer* consumer);
  Task<void> return_to_list(Consumer* consumer);
  Task<void> stream_loop(Consumer* consumer);
  Task<void> claim_loop(Consumer* consumer);
  Task<void> lease_loop(Consumer* consumer);
  Task<void> wait_for_room(Consumer* consumer);
  Task<void> wait_connected(std::chrono::milliseconds timeout);
  Task<void> send_publish(std::vector<std::string> args, std::chrono::milliseconds timeout,
                          std::string destination, Source kind, bool require_receiver,
                          PublishResult* result);
  void spawn_loop(Task<void> loop, const char* what);
  std::chrono::milliseconds backoff(int attempt) const;
  void deliver(Consumer* consumer, MessagePtr message);
  MessagePtr make_stream_message(Consumer* consumer, const Value& entry, std::string_view stream,
                                 std::uint32_t deliveries);
  struct StreamRead {
    std::vector<MessagePtr> messages;
    std::string last_id;
    std::string error;
  };
  StreamRead read_entries(Consumer* consumer, const std::string& key, redisReply* reply,
                          std::uint32_t deliveries);
  Task<void> dead_letter(Consumer* consumer, const Value& entry, std::uint32_t deliveries);

  Url url_;
  BrokerOptions options_;
  BrokerCore* broker_ = nullptr;
  std::shared_ptr<Connection> commands_;
  std::shared_ptr<Connection> pubsub_;
  std::vector<std::unique_ptr<Consumer>> consumers_;
  std::atomic<bool> consuming_{false};
  std::atomic<bool> open_{false};
  std::string reply_channel_;
  core::ReplyRegistry replies_;
  std::atomic<std::uint64_t> reconnects_{0}, pubsub_disconnects_{0}, groups_recreated_{0};
  core::BackgroundTasks background_;
  bool pubsub_paused_ = false;  // event loop only

  // start() returns once every subscription is active and every group exists, so that a
  // message published right after start is consumed.
  void mark_ready(bool& announced);
  std::mutex ready_mutex_;
  std::condition_variable ready_cv_;
  int not_ready_ = 0;
  bool reply_ready_ = false;
};

}  // namespace faststream::redis
