#pragma once
// What every backend's TestBroker transport does the same way (src/<backend>/testing.cpp):
// handlers run inline inside publish() and their exceptions reach the caller; a reply goes
// back through a reply prefix to the request waiting for it; a request nobody can answer fails
// at once (NoResponders). The backend supplies only its routing rules: which subscribers get
// a message, as what, and what its broker would refuse (a publish that provably reached
// nobody when require_receiver is set, a JetStream subject no stream stores).
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/replies.hpp"
#include "faststream/core.hpp"

namespace faststream::core {

class InlineDelivery {
 public:
  // One message for one subscriber, built by the backend (its own Message type, path
  // parameters and broker fields filled in).
  struct Delivery {
    SubscriberCore* subscriber = nullptr;
    MessagePtr message;
  };
  // The backend's routing rules for a publish; throws what the broker would.
  using Route = std::function<std::vector<Delivery>(const OutgoingMessage&)>;
  // The backend's message for a reply arriving at the reply prefix.
  using MakeReply = std::function<MessagePtr(OutgoingMessage&&)>;

  // `name` for errors ("the Redis TestBroker"); `reply_prefix` is where replies go.
  InlineDelivery(std::string name, std::string reply_prefix)
      : name_(std::move(name)), reply_prefix_(std::move(reply_prefix)) {}

  void start(BrokerCore& broker) {
    broker_ = &broker;
    running_ = true;
  }
  void close() {
    running_ = false;
    replies_.close_all();
  }
  BrokerCore& broker() const noexcept { return *broker_; }

  // Delivers `message` inline to what `route` says; the first handler error is rethrown after
  // every receiver ran.
  Task<void> publish(OutgoingMessage message, Route route, MakeReply make_reply);
  // A request through `transport.publish` with a fresh reply subject under the prefix;
  // `answerable` false: NoResponders at once.
  Task<MessagePtr> request(Transport& transport, OutgoingMessage message,
                           std::chrono::milliseconds timeout, bool answerable);

 private:
  std::string name_;
  std::string reply_prefix_;
  BrokerCore* broker_ = nullptr;
  std::atomic<bool> running_{false};
  ReplyRegistry replies_;
};

}  // namespace faststream::core
