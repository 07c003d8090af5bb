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
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "faststream/broker.hpp"

namespace faststream::nats {

enum class Source : std::uint8_t { core, jetstream, kv };
// What a Key-Value watch saw happen to a key.
enum class KvOperation : std::uint8_t { none, put, del, purge };

class Message : public faststream::Message {
 public:
  Source source() const noexcept { return source_; }
  // The subject it arrived on (= destination()).
  const std::string& subject() const noexcept { return destination_; }
  // JetStream: the stream and the message's sequence in it; empty / 0 for core NATS.
  // Key-Value watches: the bucket's stream (KV_<bucket>) and the key's revision.
  const std::string& stream() const noexcept { return stream_; }
  std::uint64_t stream_sequence() const noexcept { return stream_sequence_; }
  // Key-Value watches: the key (= subject()) and what happened to it (a delete or purge
  // arrives with an empty body).
  KvOperation kv_operation() const noexcept { return kv_operation_; }
  // JetStream: tells the server the handler is still working (resets ack_wait). The
  // framework does this on its own for handlers that run longer than ack_wait / 2.
  virtual void in_progress() {}

 protected:
  Message() = default;
  Source source_ = Source::core;
  std::string stream_;
  std::uint64_t stream_sequence_ = 0;
  KvOperation kv_operation_ = KvOperation::none;
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

// A Key-Value bucket, created at start if missing (declare = true).
struct KeyValueConfig {
  std::string bucket;
  std::uint8_t history = 1;     // values kept per key
  std::chrono::seconds ttl{0};  // 0 = keep forever
  Storage storage = Storage::file;
  bool declare = true;
};

// A Key-Value watch: the subscriber's destination is the key filter (`*` and `>` work, as on
// subjects); the handler gets the current values first, then every change. At most once.
struct KvWatch {
  KeyValueConfig bucket;
  bool ignore_deletes = false;  // deletes and purges arrive with an empty body unless set
  bool include_history = false;
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

  // Dead letters (JetStream; beyond FastStream): a message that fails (nack or reject) on its
  // dead_letter_after-th delivery or later is published to dead_letter_subject, which a
  // stream must store (its PubAck is awaited), with the reason in its headers; then the
  // original is terminated. If the dead-letter publish fails, the original is Nak'd instead:
  // a crash or an outage may duplicate, never lose. 0 = off.
  std::uint32_t dead_letter_after = 0;
  std::string dead_letter_subject;

  // --- Key-Value (set `kv` to watch a bucket instead of a subject) ------------------------
  std::optional<KvWatch> kv;

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
struct StreamPublish {
  std::string expect_stream;  // fail unless this stream stores it
  // false: the fast path. publish() returns once nats.c has the message; PubAcks arrive in
  // the background, failures are logged and counted (Broker::Stats::async_publish_failures),
  // and Broker::wait_for_pub_acks() waits for the outstanding ones.
  bool wait_for_ack = true;
};
struct TargetOptions {
  Source kind = Source::core;
  StreamPublish stream;
};
// What a JetStream publish may require of the stream before it stores the message
// (optimistic concurrency); the server refuses the publish otherwise (PublishError). A
// sequence of 0 asks nothing (nats.c sends no expectation for it: an empty stream cannot be
// required).
struct Expect {
  std::optional<std::uint64_t> last_sequence;          // the stream's last sequence
  std::optional<std::uint64_t> last_subject_sequence;  // the last sequence of this subject
  std::string last_message_id;                         // the last Nats-Msg-Id stored
};

// The options of one publish: FastStream's (headers, ids, timeout) and NATS's own.
struct PublishOptions : faststream::PublishOptions {
  Expect expect;  // JetStream publishes only
  BackendOptionsPtr call_options() const;
};

// The NATS backend's own target type: only a nats::Broker takes it.
struct Tag {
  static constexpr std::string_view name = "nats";
};
using Target = BackendTarget<Tag>;
Target to_subject(std::string subject);
Target to_stream(std::string subject, StreamPublish options = {});

// A Key-Value bucket (Broker::key_value). Thread-safe; the calls block on the server's
// answer (nats.c's Key-Value API is synchronous), so call them from plain handlers or other
// threads, not from coroutine handlers on the event loop.
class KeyValue {
 public:
  ~KeyValue();
  KeyValue(const KeyValue&) = delete;
  KeyValue& operator=(const KeyValue&) = delete;
  const std::string& bucket() const noexcept;
  // The key's value; nullopt when missing or deleted.
  std::optional<std::string> get(const std::string& key);
  // Stores a value; returns the key's new revision.
  std::uint64_t put(const std::string& key, std::string_view value);
  template <Payload T>
  std::uint64_t put_value(const std::string& key, const T& value) {
    std::string bytes;
    encode_payload(value, bytes);
    return put(key, bytes);
  }
  template <Payload T>
  std::optional<T> get_value(const std::string& key, const DecodeOptions& options = {}) {
    auto bytes = get(key);
    if (!bytes) return std::nullopt;
    return decode_payload<T>(*bytes, content_type_of<T>(), options);
  }
  void erase(const std::string& key);

  struct Impl;
  explicit KeyValue(std::unique_ptr<Impl> impl);
  Impl& impl() noexcept { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// The broker's declared buckets, for handlers: `faststream::Depends<nats::KeyValues> kv`,
// then `kv->bucket("settings").put(...)`.
class KeyValues {
 public:
  // Throws std::out_of_range naming the bucket when it was not declared with key_value().
  KeyValue& bucket(const std::string& name) const;
  void add(std::shared_ptr<KeyValue> bucket);
  std::vector<std::shared_ptr<KeyValue>> all() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<KeyValue>, std::less<>> buckets_;
};

struct BrokerOptions {
  // While disconnected, nats.c keeps publishes in a buffer of this size and sends them after
  // the reconnection; a publish that does not fit fails with an error (never dropped
  // silently). JetStream publishes wait for their PubAck up to the publish timeout.
  int reconnect_buffer_bytes = 8 * 1024 * 1024;
  std::chrono::milliseconds reconnect_wait{250};
  int max_reconnect_attempts = -1;  // -1 = forever
  // nats.c shuffles the server list (spreading clients); false: try them in the given order.
  bool randomize_servers = true;
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

class Broker : public BasicBroker<Message, SubscriberOptions, Target, PublishOptions> {
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
    std::uint64_t async_publish_failures = 0;  // fast-path JetStream publishes not stored
    std::uint64_t dead_lettered = 0;
  };
  Stats stats() const;

  // Declares a Key-Value bucket (created at start if missing) and returns its handle, usable
  // once the broker runs. Handlers also reach it through Depends<KeyValues>.
  std::shared_ptr<KeyValue> key_value(KeyValueConfig config);

  // Waits until every fast-path JetStream publish has its PubAck (or failed); false when
  // some are still outstanding after `timeout`.
  bool wait_for_pub_acks(std::chrono::milliseconds timeout);

  // TestBroker's transport: NATS routing (`*` one token, `>` the rest, queue groups, stream
  // subjects) in memory; handlers run inline in publish().
  static std::unique_ptr<Transport> make_test_transport();
};

using Router = Broker::Router;
using Subscriber = faststream::Subscriber<Message, Target>;

}  // namespace faststream::nats
