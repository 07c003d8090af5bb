#pragma once
#include <chrono>
#include <exception>
#include <stdexcept>
#include <string>

#include "faststream/message.hpp"

namespace faststream {

// --- Thrown by handlers to settle the message explicitly and stop processing. -------------
// The pipeline catches them: no error is logged and no result is published.
class HandlerControl : public std::exception {};

class AckMessage : public HandlerControl {
 public:
  const char* what() const noexcept override { return "message acked by handler"; }
};
class NackMessage : public HandlerControl {
 public:
  explicit NackMessage(NackOptions options = {}) : options_(options) {}
  const NackOptions& options() const noexcept { return options_; }
  const char* what() const noexcept override { return "message nacked by handler"; }

 private:
  NackOptions options_;
};
class RejectMessage : public HandlerControl {
 public:
  const char* what() const noexcept override { return "message rejected by handler"; }
};
// Stop processing and leave the message unsettled: the broker's own rules apply (pending
// entries stay pending; the memory broker forgets it).
class SkipMessage : public HandlerControl {
 public:
  const char* what() const noexcept override { return "message skipped by handler"; }
};

// --- Errors raised by the framework at the API edge. ---------------------------------------
// Wrong declarations: found at registration or start, before any message flows.
class ConfigError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

class PublishError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// The destination stayed full (backpressure) for the whole publish timeout.
class PublishTimeout : public PublishError {
 public:
  using PublishError::PublishError;
};
// The broker is not running (not started yet, stopping, or disconnected and told not to wait).
class BrokerNotRunning : public PublishError {
 public:
  using PublishError::PublishError;
};
class RequestTimeout : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// A request went to a destination that nobody consumes (where the broker can tell).
class NoResponders : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// No handler of a subscriber accepted the message (every filter said no, and no default).
class NoMatchingHandler : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The message of an exception, for logs ("unknown exception" when it is not a std::exception).
std::string describe_exception(std::exception_ptr error);

}  // namespace faststream
