#pragma once
// The NATS backend: core subjects and JetStream on a real nats-server, through nats.c. No
// nats.c type appears here.
//
//   faststream::nats::Broker broker{"nats://localhost:4222"};
//   broker.subscriber("orders.created");                       // core NATS
//   broker.subscriber("logs.{level}");                         // subscribes logs.*
//   broker.subscriber("jobs", {.queue = "workers"});           // a queue group
//   broker.subscriber("orders.>", {.stream = faststream::nats::Stream{"orders"},
//                                  .durable = "billing"});      // JetStream push consumer
//   broker.subscriber("orders.>", {.stream = faststream::nats::Stream{"orders"},
//                                  .durable = "audit",
//                                  .pull = faststream::nats::Pull{.batch = 100}});
//   broker.publish(value, faststream::nats::to_stream("orders.created"));  // awaits PubAck
//
// Ack semantics (docs/nats.md): core NATS is at-most-once (nothing to settle; a failed
// message is logged and dropped). JetStream: ack = Ack, nack = Nak (with the requested
// delay), reject = Term; a handler running longer than ack_wait / 2 sends InProgress.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "faststream/broker.hpp"

namespace faststream::nats {

enum class Source : std::uint8_t { core, jetstream };

class Message : public faststream::Message {
 public:
  Source source() const noexcept { return source_; }
  // The subject it arrived on (= destination()).
  const std::string& subject() const noexcept { return destination_; }
  // JetStream: the stream and the message's sequence in it; empty / 0 for core NATS.
  const std::string& stream() const noexcept { return stream_; }
  std::uint64_t stream_sequence() const noexcept { return stream_sequence_; }
  // JetStream: tells the server the handler is still working (resets ack_wait). The
  // framework does this on its own for handlers that run longer than ack_wait / 2.
  virtual void in_progress() {}

 protected:
  Message() = default;
  Source source_ = Source::core;
  std::string stream_;
  std::uint64_t stream_sequence_ = 0;
};

enum class Storage : std::uint8_t { file, memory };
enum class Retention : std::uint8_t { limits, interest, work_queue };

// A JetStream stream, created at start if missing and updated if its configuration differs.
struct Stream {
  std::string name;
  // The subjects it stores; empty: the subscribers' subjects that name this stream.
  std::vector<std::string> subjects;
  Storage storage = Storage::file;
  Retention retention = Retention::limits;
  std::chrono::seconds max_age{0};  // 0 = unlimited
  std::int64_t max_msgs = -1;       // -1 = unlimited
  std::int64_t max_bytes = -1;
  // Window in which Nats-Msg-Id deduplicates publishes; 0 = the server's default (2 min).
  std::chrono::milliseconds duplicate_window{0};
  // false: the stream must already exist (nothing is declared).
  bool declare = true;
};

enum class DeliverPolicy : std::uint8_t {
  all,                // from the first message in the stream
  new_only,           // only messages published after the consumer was created
  last,               // the last message, then new ones
  last_per_subject,   // the last message of each subject, then new ones
  by_start_sequence,  // from start_sequence
  by_start_time,      // from start_time
};

// A pull consumer: the framework fetches up to `batch` messages at a time, and never more
// than the subscriber's queue has room for (so queued messages do not outlive ack_wait).
struct Pull {
  std::size_t batch = 100;
  // How long one fetch waits for messages before it checks for shutdown.
  std::chrono::milliseconds fetch_timeout{500};
};

struct SubscriberOptions {
  // Core NATS: the queue group (each message goes to one member). JetStream push
  // consumers: the deliver group.
  std::string queue;

  // --- JetStream (set `stream` to consume from a stream) ------------------------------------
  std::optional<Stream> stream;
  // A durable consumer keeps its position across restarts; empty: an ephemeral one.
  std::string durable;
  std::optional<Pull> pull;  // pull consumer; otherwise push
  DeliverPolicy deliver_policy = DeliverPolicy::all;
  std::uint64_t start_sequence = 0;
  std::optional<std::chrono::system_clock::time_point> start_time;
  std::chrono::milliseconds ack_wait{30'000};
  std::int64_t max_deliver = -1;     // -1 = unlimited
  std::int64_t max_ack_pending = 0;  // 0 = the server's default (1000)

  // Messages buffered between nats.c and the handlers; nats.c buffers more behind it, up to
  // its pending limits (beyond: slow-consumer drops, logged and counted).
  std::size_t queue_capacity = 1024;
  int pending_msgs_limit = 65'536;
  int pending_bytes_limit = 64 * 1024 * 1024;

  SubscriberConfig to_config(std::string destination) const;
};

// Where to publish: a core subject (a plain string does the same) or a JetStream subject,
// whose publish waits for the stream's PubAck (Nats-Msg-Id = the message id, so a retried
// publish is stored once).
struct TargetOptions {
  Source kind = Source::core;
  std::string expect_stream;  // JetStream: fail unless this stream stores it
};
PublisherTarget to_subject(std::string subject);
PublisherTarget to_stream(std::string subject, std::string expect_stream = {});

struct BrokerOptions {
  // While disconnected, nats.c keeps publishes in a buffer of this size and sends them after
  // the reconnection; a publish that does not fit fails with an error (never dropped
  // silently). JetStream publishes wait for their PubAck up to the publish timeout.
  int reconnect_buffer_bytes = 8 * 1024 * 1024;
  std::chrono::milliseconds reconnect_wait{250};
  int max_reconnect_attempts = -1;  // -1 = forever
  // TLS (also implied by tls:// URLs). Files in PEM.
  bool tls = false;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  // Credentials when not in the URL.
  std::string user;
  std::string password;
  std::string token;
  std::string connection_name = "faststream-cpp";
};

class Broker : public BasicBroker<Message, SubscriberOptions> {
 public:
  // nats://[user:password@ | token@]host:port[,host2:port2...]; tls://... for TLS.
  // Credentials never appear in logs or docs.
  explicit Broker(std::string url = "nats://localhost:4222", BrokerSettings settings = {},
                  BrokerOptions options = {});
  ~Broker();

  // Counters of what the connection layer saw.
  struct Stats {
    std::uint64_t reconnects = 0;
    std::uint64_t disconnects = 0;
    std::uint64_t slow_consumer_events = 0;  // nats.c reported a subscription over its limits
    std::uint64_t dropped = 0;  // messages nats.c dropped for slow subscriptions (all subs)
  };
  Stats stats() const;

  // TestBroker's transport: NATS routing (`*` one token, `>` the rest, queue groups, stream
  // subjects) in memory; handlers run inline in publish().
  static std::unique_ptr<Transport> make_test_transport();
};

using Router = Broker::Router;

}  // namespace faststream::nats
