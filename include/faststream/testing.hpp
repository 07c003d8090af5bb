#pragma once
// TestBroker: runs an app's handlers in memory with the backend's own routing rules, records
// every call, and lets handler exceptions reach the test. With FASTSTREAM_TEST_REAL=1 the same
// test runs against the real broker (then publish() returns once the broker accepted the
// message; use wait_call() and Call::error to see what the handler did).
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "faststream/broker.hpp"

namespace faststream::testing {

// One handler call.
struct Call {
  std::string subscriber;   // the subscriber's destination as declared ("logs.{level}")
  std::string destination;  // where the message arrived ("logs.error")
  std::string body;
  std::string content_type;
  std::string correlation_id;
  Headers headers;
  std::vector<std::pair<std::string, std::string>> path;
  std::size_t batch_size = 0;  // batch subscribers: messages in the call (body = the first)
  std::exception_ptr error;    // what the handler (or decoding) threw, if anything

  bool failed() const noexcept { return static_cast<bool>(error); }
  // The decoded payload, as the handler saw it.
  template <class T>
  T decode(const DecodeOptions& options = {}) const {
    return decode_payload<T>(body, content_type, options);
  }
  // The error's message ("" when the call succeeded).
  std::string error_message() const;
};

// The calls of one subscriber, in completion order. Thread-safe.
class CallLog {
 public:
  std::size_t count() const;
  std::vector<Call> all() const;
  Call last() const;  // throws std::logic_error when there was no call
  // Waits until at least `n` calls completed; false on timeout.
  bool wait_call(std::chrono::milliseconds timeout, std::size_t n = 1) const;
  template <class T>
  std::vector<T> payloads() const {
    std::vector<T> out;
    for (const auto& c : all()) out.push_back(c.decode<T>());
    return out;
  }
  void record(Call call);
  void clear();

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::vector<Call> calls_;
};

// Records calls into a CallLog (installed as the outermost subscriber middleware).
class Recorder : public Middleware {
 public:
  explicit Recorder(std::shared_ptr<CallLog> log) : log_(std::move(log)) {}
  Task<void> on_consume(Context& ctx, ConsumeNext next) override;

 private:
  std::shared_ptr<CallLog> log_;
};

// Whether FASTSTREAM_TEST_REAL=1 asks for the real broker.
bool real_broker_requested();

class TestBrokerBase {
 public:
  CallLog& calls(std::string_view subscriber);
  bool real() const noexcept { return real_; }

 protected:
  TestBrokerBase(BrokerCore& core, std::unique_ptr<Transport> test_transport, bool real);
  ~TestBrokerBase();
  BrokerCore& core_;

 private:
  bool real_;
  std::unique_ptr<Transport> saved_;
  std::map<std::string, std::shared_ptr<CallLog>, std::less<>> logs_;
};

template <class BrokerT>
class TestBroker : public TestBrokerBase {
 public:
  explicit TestBroker(BrokerT& broker, bool real = real_broker_requested())
      : TestBrokerBase(broker.core(), real ? nullptr : BrokerT::make_test_transport(), real),
        broker_(broker) {}

  // Publishes and (in memory) runs the matching handlers before returning; a handler's
  // exception is rethrown here.
  template <Payload T>
  void publish(const T& value, typename BrokerT::Target target,
               typename BrokerT::CallOptions options = {}) {
    broker_.publish(value, std::move(target), std::move(options)).get();
  }
  template <Payload T>
  Reply request(const T& value, typename BrokerT::Target target, RequestOptions options = {}) {
    return broker_.request(value, std::move(target), std::move(options)).get();
  }
  BrokerT& broker() noexcept { return broker_; }

 private:
  BrokerT& broker_;
};

}  // namespace faststream::testing
