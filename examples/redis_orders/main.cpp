// The orders service on Redis: orders arrive on a list (at-most-once work queue), receipts go
// to a stream consumed by a group (acknowledged with XACK), and status notices on a channel.
//
//   ./redis_orders --url redis://localhost:6379          run the service
//   ./redis_orders demo --url redis://... FILE             publish FILE's orders, print receipts,
//                                                          stop (invalid orders are rejected)
#include <faststream/faststream.hpp>
#include <faststream/redis.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "../orders/models.hpp"

using shop::Notice;
using shop::Order;
using shop::Receipt;
namespace redis = faststream::redis;

namespace {

faststream::Task<void> announce(faststream::Publisher<Notice> notices, Receipt receipt) {
  Notice notice{receipt.order_id, receipt.accepted ? "accepted" : "on hold"};
  co_await notices.publish(notice);
}

}  // namespace

int main(int argc, char** argv) {
  // `demo [--url URL] FILE` is handled here; everything else goes to app.main().
  const bool demo = argc >= 2 && std::string_view(argv[1]) == "demo";
  std::string url = "redis://localhost:6379";
  std::string file;
  if (demo) {
    for (int i = 2; i < argc; ++i) {
      std::string_view arg = argv[i];
      if (arg == "--url" && i + 1 < argc) {
        url = argv[++i];
      } else {
        file = arg;
      }
    }
    if (file.empty()) {
      std::cerr << "usage: " << argv[0] << " demo [--url URL] ORDERS.jsonl\n";
      return 2;
    }
  }

  redis::Broker broker{url};
  faststream::App app{broker,
                      {.title = "redis-orders",
                       .version = "1.0.0",
                       .description = "Orders from a Redis list, receipts to a stream"}};

  broker.subscriber("shop:orders", redis::list())
      .publishes_to(redis::to_stream("shop:receipts", 10'000))
      .handle([](const Order& order, faststream::Logger& log) -> Receipt {
        log.info("order {} from {}", order.id, order.customer);
        return shop::make_receipt(order);
      });

  auto notices = broker.publisher<Notice>(redis::to_channel("shop:notices"));
  std::atomic<int> receipts{0};
  broker.subscriber("shop:receipts", redis::stream({.group = "billing", .consumer = "billing-1"}))
      .handle([notices, &receipts](Receipt receipt) -> faststream::Task<void> {
        std::cout << fmt::format("receipt order={} accepted={} total={:.2f}\n", receipt.order_id,
                                 receipt.accepted, receipt.total)
                  << std::flush;
        ++receipts;
        return announce(notices, std::move(receipt));
      });
  std::atomic<int> notice_count{0};
  broker.subscriber("shop:notices").handle([&notice_count, demo](const Notice& notice) {
    if (!demo)  // the service prints one line per event (its tests read them); the demo counts
      std::cout << fmt::format("notice order={} text={}\n", notice.order_id, notice.text)
                << std::flush;
    ++notice_count;
  });

  if (!demo) return app.main(argc, argv);

  std::ifstream input(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(input, line);)
    if (!line.empty()) lines.push_back(line);
  app.after_startup([&] {
    for (const auto& line : lines)
      broker.publish(faststream::RawJson{line}, redis::to_list("shop:orders")).get();
    auto& orders = broker.core().subscribers().front();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      auto s = orders->stats();
      if (s.processed + s.failed == lines.size() &&
          notice_count.load() == static_cast<int>(s.processed))
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto s = orders->stats();
    std::cout << fmt::format("orders: {} processed, {} rejected; receipts: {}; notices: {}\n",
                             s.processed, s.failed, receipts.load(), notice_count.load())
              << std::flush;
    app.stop();
  });
  return app.run();
}
