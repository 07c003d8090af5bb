// The orders service: orders in, receipts out, on the embedded memory broker.
//
//   ./orders            run the service (Ctrl+C drains and stops)
//   ./orders demo FILE  start it, publish the orders in FILE (one JSON per line, invalid ones
//                       included), print the receipts and the validation errors, then stop
#include <faststream/faststream.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "models.hpp"

using shop::Notice;
using shop::Order;
using shop::Receipt;

namespace {

// A coroutine handler: receipts are announced through a declared publisher.
faststream::Task<void> announce(faststream::Publisher<Notice> notices, Receipt receipt) {
  // Name the value before co_await: g++ 12 mishandles brace-initialized temporaries there.
  Notice notice{receipt.order_id, receipt.accepted ? "accepted" : "on hold"};
  co_await notices.publish(notice);
}

}  // namespace

int main(int argc, char** argv) {
  faststream::memory::Broker broker;
  faststream::App app{
      broker, {.title = "orders", .version = "1.0.0", .description = "Turns orders into receipts"}};

  // Plain handler on the worker pool: decode + validate Order, return a Receipt, which is
  // published to "receipts" (and to the reply-to of a request).
  broker.subscriber("orders")
      .publishes_to("receipts")
      .handle([](const Order& order, faststream::Logger& log) -> Receipt {
        log.info("order {} from {} with {} item(s)", order.id, order.customer, order.items.size());
        return shop::make_receipt(order);
      });

  auto notices = broker.publisher<Notice>("notices", {.description = "Order status notices"});
  std::atomic<int> receipts_seen{0};
  broker.subscriber("receipts")
      .handle([notices, &receipts_seen](Receipt receipt) -> faststream::Task<void> {
        std::cout << fmt::format("receipt order={} accepted={} total={:.2f}\n", receipt.order_id,
                                 receipt.accepted, receipt.total)
                  << std::flush;
        ++receipts_seen;
        return announce(notices, std::move(receipt));
      });

  std::atomic<int> notices_seen{0};
  broker.subscriber("notices").handle([&notices_seen](const Notice&) { ++notices_seen; });

  if (argc >= 2 && std::string_view(argv[1]) == "demo") {
    if (argc < 3) {
      std::cerr << "usage: " << argv[0] << " demo ORDERS.jsonl\n";
      return 2;
    }
    std::ifstream input(argv[2]);
    if (!input) {
      std::cerr << "cannot read " << argv[2] << "\n";
      return 2;
    }
    std::vector<std::string> lines;
    for (std::string line; std::getline(input, line);)
      if (!line.empty()) lines.push_back(line);

    app.after_startup([&] {
      // Raw JSON as another service would send it; invalid orders are rejected by the
      // framework with a log line naming the field.
      for (const auto& line : lines) broker.publish(faststream::RawJson{line}, "orders").get();
      auto& orders = broker.core().subscribers().front();
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (std::chrono::steady_clock::now() < deadline) {
        auto s = orders->stats();
        if (s.processed + s.failed == lines.size() &&
            notices_seen.load() == static_cast<int>(s.processed))
          break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      auto s = orders->stats();
      std::cout << fmt::format("orders: {} processed, {} rejected; receipts: {}; notices: {}\n",
                               s.processed, s.failed, receipts_seen.load(), notices_seen.load())
                << std::flush;
      app.stop();
    });
    return app.run();
  }
  return app.main(argc, argv);
}
