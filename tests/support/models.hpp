#pragma once
// Models shared by the core tests.
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

// Quiet brokers for tests: errors only (failures are still logged).
inline faststream::BrokerSettings quiet() {
  faststream::BrokerSettings s;
  s.log_level = faststream::LogLevel::error;
  s.access_log_level = faststream::LogLevel::debug;
  s.graceful_timeout = std::chrono::seconds(5);
  return s;
}

}  // namespace fs_test
