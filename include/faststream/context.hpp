#pragma once
// Per-message context: the message, a logger carrying the message's context, the reply being
// built, and a small key-value store that middlewares and handlers share.
#include <any>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "faststream/logger.hpp"
#include "faststream/message.hpp"

namespace faststream {

class BrokerCore;

class Context {
 public:
  Context(Message& message, Logger logger, BrokerCore& broker, std::string_view subscriber)
      : message_(&message), logger_(std::move(logger)), broker_(&broker), subscriber_(subscriber) {}
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  Message& message() noexcept { return *message_; }
  const Message& message() const noexcept { return *message_; }
  Logger& logger() noexcept { return logger_; }
  BrokerCore& broker() noexcept { return *broker_; }
  // The name of the subscriber handling the message (its destination as declared).
  std::string_view subscriber() const noexcept { return subscriber_; }

  // Shared values for this message (set by middlewares, read by handlers).
  template <class T>
  void set(std::string key, T value) {
    values_.insert_or_assign(std::move(key), std::any(std::move(value)));
  }
  // nullptr when absent or of another type.
  template <class T>
  T* get(std::string_view key) {
    auto it = values_.find(key);
    return it == values_.end() ? nullptr : std::any_cast<T>(&it->second);
  }

  // The handler's result, encoded, before it is published to reply-to and the attached
  // publishers. Middlewares (e.g. the exception middleware) may set or replace it.
  std::optional<OutgoingMessage>& result() noexcept { return result_; }

  // Batch subscribers: the messages handled together (message() is the first of them);
  // nullptr for single messages.
  const std::vector<Message*>* batch_messages() const noexcept { return batch_messages_; }

  // Internal: the pipeline's batch bookkeeping.
  void* batch_state() const noexcept { return batch_; }
  void set_batch_state(void* batch, const std::vector<Message*>* messages) noexcept {
    batch_ = batch;
    batch_messages_ = messages;
  }

 private:
  Message* message_;
  Logger logger_;
  BrokerCore* broker_;
  std::string_view subscriber_;
  std::map<std::string, std::any, std::less<>> values_;
  std::optional<OutgoingMessage> result_;
  void* batch_ = nullptr;
  const std::vector<Message*>* batch_messages_ = nullptr;
};

}  // namespace faststream
