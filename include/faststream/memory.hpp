#pragma once
// The in-process memory broker: the embedded default backend and the base of TestBroker.
//
// Destinations are dot-separated names. A subscriber's destination may contain `{name}`
// captures (one token, injected as Path<"name">), `*` (exactly one token) and `>` (one or more
// trailing tokens). Every matching subscriber gets a copy (fan-out), except that subscribers
// sharing a `group` compete: each message goes to one of them (round robin).
// Queues are bounded (queue_capacity, default 1024): publish waits while a queue is full and
// fails with PublishTimeout after the publish timeout; it never drops. nack redelivers (after
// NackOptions::delay) to the same group; reject and failures under reject_on_error drop.
#include <memory>
#include <string>

#include "faststream/broker.hpp"

namespace faststream::memory {

// nack redelivers (after NackOptions::delay), so retries use the broker's redelivery.
class Message : public faststream::Message {
 public:
  DeliveryCapabilities capabilities() const noexcept override { return {true, true}; }

 protected:
  Message() = default;
};

struct SubscriberOptions {
  // Subscribers with the same non-empty group on the same destination compete for messages.
  std::string group;
  std::size_t queue_capacity = 1024;

  SubscriberConfig to_config(std::string destination) const;
};

class Broker : public BasicBroker<Message, SubscriberOptions> {
 public:
  // url is informational ("memory://"); the broker lives in this process.
  explicit Broker(std::string url = "memory://", BrokerSettings settings = {});
  ~Broker();

  // TestBroker's transport for this backend: the same routing, but handlers run inline in
  // publish() and their exceptions reach the caller.
  static std::unique_ptr<Transport> make_test_transport();
};

using Router = Broker::Router;

// The memory transport (queued delivery on the broker's runtime).
std::unique_ptr<Transport> make_transport(std::string url);

}  // namespace faststream::memory
