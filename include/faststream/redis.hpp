#pragma once
// The Redis backend: channels (pub/sub), lists and streams on a real redis-server, through
// hiredis's async API on the broker's event loop. No hiredis type appears here.
//
//   faststream::redis::Broker broker{"redis://localhost:6379"};
//   broker.subscriber("orders");                                        // a channel
//   broker.subscriber("logs.{level}");                                  // PSUBSCRIBE logs.*
//   broker.subscriber("jobs", faststream::redis::list());               // a list (LPOP)
//   broker.subscriber("events", faststream::redis::stream({.group = "g", .consumer = "c1"}));
//   broker.publish(value, faststream::redis::to_list("jobs"));
//
// Ack semantics (docs/redis.md): channels and lists are at-most-once (a failed message is
// logged and dropped); on a stream with a group, ack = XACK, nack and reject leave the entry
// pending for claiming (XAUTOCLAIM after min_idle_time), and a dead-letter stream takes an
// entry delivered dead_letter_after times.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "faststream/broker.hpp"

namespace faststream::redis {

enum class Source : std::uint8_t { channel, list, stream };

class Message : public faststream::Message {
 public:
  Source source() const noexcept { return source_; }
  // Streams: the entry id ("1700000000000-0"); empty for channels and lists.
  const std::string& entry_id() const noexcept { return entry_id_; }
  // Channels subscribed by pattern: the pattern that matched ("logs.*").
  const std::string& pattern() const noexcept { return pattern_; }

 protected:
  Message() = default;
  Source source_ = Source::channel;
  std::string entry_id_;
  std::string pattern_;
};

struct ListOptions {
  // Batch subscribers get up to this many per call; others pop up to this many ahead (at
  // most once: popped entries are gone from Redis).
  std::size_t max_records = 10;
  // How long a read waits for new entries before it checks for shutdown.
  std::chrono::milliseconds polling_interval{100};
};

struct StreamOptions {
  // With a group: XREADGROUP (the group is created at start if missing, at last_id).
  std::string group;
  std::string consumer;  // required with a group
  // Without a group: where XREAD starts ("$" = only new entries, "0" = from the beginning).
  // With a group: where a new group starts.
  std::string last_id = "$";
  std::size_t max_records = 100;                    // COUNT per read
  std::chrono::milliseconds polling_interval{100};  // BLOCK per read
  // Claim entries other consumers left pending this long (XAUTOCLAIM). Also the lease of a
  // running handler: while it runs, its entry's idle time is reset (XCLAIM ... JUSTID) so no
  // other consumer claims it.
  std::optional<std::chrono::milliseconds> min_idle_time;
  // Dead letters (needs min_idle_time): an entry claimed after this many deliveries is
  // XADDed to dead_letter_stream with the reason in its headers and XACKed, atomically.
  std::uint32_t dead_letter_after = 0;
  std::string dead_letter_stream;
  std::optional<std::size_t> maxlen_dead_letters;
};

struct SubscriberOptions {
  Source source = Source::channel;
  ListOptions list;
  StreamOptions stream;
  std::size_t queue_capacity = 1024;

  SubscriberConfig to_config(std::string destination) const;
};

inline SubscriberOptions channel() {
  return {};
}
inline SubscriberOptions list(ListOptions options = {}) {
  SubscriberOptions o;
  o.source = Source::list;
  o.list = std::move(options);
  return o;
}
inline SubscriberOptions stream(StreamOptions options = {}) {
  SubscriberOptions o;
  o.source = Source::stream;
  o.stream = std::move(options);
  return o;
}

// Where to publish: a channel (a plain string does the same), a list (RPUSH) or a stream
// (XADD, optionally capped with MAXLEN ~ n).
struct TargetOptions {
  Source kind = Source::channel;
  std::optional<std::size_t> maxlen;
};
// The Redis backend's own target type: only a redis::Broker takes it.
struct Tag {
  static constexpr std::string_view name = "redis";
};
using Target = BackendTarget<Tag>;
Target to_channel(std::string name);
Target to_list(std::string name);
Target to_stream(std::string name, std::optional<std::size_t> maxlen = std::nullopt);

struct BrokerOptions {
  // While disconnected, a publish waits up to the publish timeout for the reconnection
  // (true) or fails at once with BrokerNotRunning (false). Never dropped silently.
  bool wait_for_reconnect = true;
  std::chrono::milliseconds reconnect_initial_delay{100};
  std::chrono::milliseconds reconnect_max_delay{5'000};
};

class Broker : public BasicBroker<Message, SubscriberOptions, Target> {
 public:
  // redis://[user:password@]host:port[/db]; the password never appears in logs or docs.
  explicit Broker(std::string url = "redis://localhost:6379", BrokerSettings settings = {},
                  BrokerOptions options = {});
  ~Broker();

  // Counters of what the connection layer saw (reconnects, pub/sub disconnects).
  struct Stats {
    std::uint64_t reconnects = 0;
    std::uint64_t pubsub_disconnects = 0;  // e.g. client-output-buffer-limit pubsub
    std::uint64_t groups_recreated = 0;
  };
  Stats stats() const;

  // TestBroker's transport: Redis routing (exact channels, glob patterns, lists, one handler
  // per (stream, group)) in memory; handlers run inline in publish().
  static std::unique_ptr<Transport> make_test_transport();
};

using Router = Broker::Router;
using Subscriber = faststream::Subscriber<Message, Target>;

}  // namespace faststream::redis
