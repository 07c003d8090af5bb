// The orders service on NATS: orders are stored by a JetStream stream and billed by a durable
// pull consumer (at-least-once), receipts fan out on core NATS to a queue group of notifiers,
// a live board follows each sales channel, and price quotes answer by request/reply.
//
//   ./nats_orders --url nats://localhost:4222                     run the service
//   ./nats_orders publish shop.orders.web '{"id": "A-1", "customer": "ann",
//       "items": [{"sku": "TEA-1", "quantity": 2, "price": 3}]}'  place an order
//   ./nats_orders publish --rpc shop.quote '{...same order...}'   a typed Receipt back
//   ./nats_orders docs gen --yaml                                  its AsyncAPI document
#include <faststream/faststream.hpp>
#include <faststream/nats.hpp>

#include <chrono>
#include <iostream>
#include <string>

#include "../orders/models.hpp"

using shop::Notice;
using shop::Order;
using shop::Receipt;
namespace nats = faststream::nats;

namespace {

// Prints one line per event: the tests read the service's stdout.
void say(const std::string& line) {
  std::cout << line << std::endl;
}

// A free coroutine, not a capturing coroutine lambda: its frame owns copies of what it uses.
faststream::Task<void> announce(faststream::Publisher<Notice> notices, Receipt receipt) {
  say(fmt::format("receipt order={} accepted={} total={:.2f}", receipt.order_id, receipt.accepted,
                  receipt.total));
  // A named local: g++ 12 destroys a braced temporary inside co_await twice (README, Building).
  Notice notice{receipt.order_id, receipt.accepted ? "accepted" : "on hold"};
  co_await notices.publish(notice);
}

}  // namespace

int main(int argc, char** argv) {
  nats::Broker broker{"nats://localhost:4222"};
  faststream::App app{broker,
                      {.title = "nats-orders",
                       .version = "1.0.0",
                       .description = "Orders billed from a JetStream stream, receipts and "
                                      "notices on core NATS, quotes by request/reply"}};

  // Billing must not lose an order: the stream stores shop.orders.* (declared at start),
  // the durable consumer keeps its position across restarts, and pulling lets each instance
  // take only what it has room for. Invalid orders are terminated (reject_on_error).
  broker
      .subscriber("shop.orders.*",
                  {.stream = nats::Stream{.name = "ORDERS", .max_age = std::chrono::hours(24 * 7)},
                   .durable = "billing",
                   .pull = nats::Pull{.batch = 50}})
      .publishes_to("shop.receipts")
      .handle([](const Order& order, faststream::Logger& log) -> Receipt {
        log.info("billing order {} for {}", order.id, order.customer);
        return shop::make_receipt(order);
      });

  // One notice per receipt however many instances run: they share the queue group.
  auto notices = broker.publisher<Notice>("shop.notices", {.description = "Order status notices"});
  broker.subscriber("shop.receipts", {.queue = "notifiers"}).handle([notices](Receipt receipt) {
    return announce(notices, std::move(receipt));
  });

  // A live board: core NATS (at-most-once is fine for a display) sees what is published to
  // the stream's subjects too; the sales channel is the subject's last token. It sees the
  // reply inbox of every JetStream publish as well: no_reply keeps it from answering there
  // (an empty answer would race the stream's PubAck).
  broker.subscriber("shop.orders.{channel}")
      .no_reply()
      .handle([](const Order& order, faststream::Path<"channel"> channel) {
        say(fmt::format("board order={} channel={} items={}", order.id, *channel,
                        order.items.size()));
      });

  // A price check without placing the order: the return value is the reply.
  broker.subscriber("shop.quote").handle([](const Order& order) -> Receipt {
    say(fmt::format("quote order={}", order.id));
    return shop::make_receipt(order);
  });

  return app.main(argc, argv);
}
