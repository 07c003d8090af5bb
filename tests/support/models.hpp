#pragma once
// Models and helpers shared by the tests.
#include <faststream/faststream.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace fs_test {

struct Order {
  std::string id;
  double amount = 0;
  std::optional<std::string> note;
};
FASTSTREAM_MODEL(Order, id, amount, note);
FASTSTREAM_FIELDS(Order, field(&Order::id).min_length(1), field(&Order::amount).ge(0));

struct Receipt {
  std::string order_id;
  bool accepted = false;
};
FASTSTREAM_MODEL(Receipt, order_id, accepted);

// Waits until `done()` holds or the deadline passes; returns done().
template <class F>
bool eventually(F done, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

// Quiet brokers for tests: errors only (failures are still logged); access log lines are
// at debug, below the level.
inline faststream::BrokerSettings quiet(faststream::LogLevel level = faststream::LogLevel::error) {
  faststream::BrokerSettings s;
  s.log_level = level;
  s.access_log_level = faststream::LogLevel::debug;
  s.graceful_timeout = std::chrono::seconds(10);
  return s;
}

// For tests whose handlers fail on purpose.
inline faststream::BrokerSettings silent() {
  return quiet(faststream::LogLevel::off);
}

inline double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace fs_test
