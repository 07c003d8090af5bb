#pragma once
// Requests waiting for their replies, keyed by whatever the backend correlates on (a reply
// destination, a correlation id). Shared by the backends' request() implementations.
#include <chrono>
#include <coroutine>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "faststream/core.hpp"

namespace faststream::core {

class ReplyRegistry {
 public:
  struct Pending;

  // Registers a request before it is sent (a fast reply must find it).
  std::shared_ptr<Pending> add(const std::string& key);
  void remove(const std::string& key);
  // Hands a reply to its request; false when nobody waits for `key` (it gave up).
  bool complete(const std::string& key, MessagePtr reply);
  // Fails every waiting request (the broker is closing).
  void close_all();

  // Waits for the reply up to `timeout`; throws RequestTimeout / BrokerNotRunning naming
  // `destination`. Resumes on the executor the caller ran on.
  Task<MessagePtr> wait(std::shared_ptr<Pending> pending, BrokerCore& broker,
                        std::chrono::milliseconds timeout, std::string destination);

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Pending>> pending_;
};

// For TestBroker transports, whose handlers run inline in publish(): sends `message` with a
// fresh reply_to under `reply_prefix` through `transport.publish` and waits for the reply that
// the transport hands to `replies` (complete(reply_to, ...)). Throws like ReplyRegistry::wait.
Task<MessagePtr> request_via_publish(Transport& transport, ReplyRegistry& replies,
                                     BrokerCore& broker, OutgoingMessage message,
                                     std::chrono::milliseconds timeout, std::string reply_prefix);

}  // namespace faststream::core
