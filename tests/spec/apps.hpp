#pragma once
// The applications whose AsyncAPI documents the tests generate:
//  - orders: the same declarations as examples/orders (models, subscribers, publisher);
//  - features: every documented feature (titles, descriptions, include_in_schema=false,
//    filters, batch, path placeholders, no_reply, handler-level publishes_to, untyped and
//    text payloads, variants and enums) on a broker whose URL carries credentials.
// tests/spec/expected/*.json say what the documents must contain.
#include <faststream/faststream.hpp>

#include "orders/models.hpp"  // examples/orders: the same models the example declares

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace spec_test {

// --- orders (examples/orders) ------------------------------------------------------------------

using shop::Item;
using shop::Notice;
using shop::Order;
using shop::Receipt;

inline faststream::Task<void> announce(faststream::Publisher<Notice> notices, Receipt receipt) {
  Notice notice{receipt.order_id, receipt.accepted ? "accepted" : "on hold"};
  co_await notices.publish(notice);
}

inline faststream::AppInfo orders_info() {
  return {.title = "orders", .version = "1.0.0", .description = "Turns orders into receipts"};
}

inline void declare_orders(faststream::memory::Broker& broker) {
  broker.subscriber("orders")
      .publishes_to("receipts")
      .handle([](const Order& order, faststream::Logger&) -> Receipt {
        return shop::make_receipt(order);
      });
  auto notices = broker.publisher<Notice>("notices", {.description = "Order status notices"});
  broker.subscriber("receipts").handle([notices](Receipt receipt) -> faststream::Task<void> {
    return announce(notices, std::move(receipt));
  });
  broker.subscriber("notices").handle([](const Notice&) {});
}

// --- features --------------------------------------------------------------------------------

enum class Currency { eur, usd };
FASTSTREAM_ENUM(Currency, eur, usd);

struct Card {
  std::string number;
};
FASTSTREAM_MODEL(Card, number);
FASTSTREAM_TAG(Card, "method", "card");

struct Cash {
  double tendered = 0;
};
FASTSTREAM_MODEL(Cash, tendered);
FASTSTREAM_TAG(Cash, "method", "cash");

struct Payment {
  std::string order_id;
  double amount = 0;
  Currency currency = Currency::eur;
  std::variant<Card, Cash> method;
};
FASTSTREAM_MODEL(Payment, order_id, amount, currency, method);

struct Confirmation {
  std::string payment_id;
};
FASTSTREAM_MODEL(Confirmation, payment_id);

struct Created {
  std::string id;
};
FASTSTREAM_MODEL(Created, id);

struct AuditEntry {
  std::string actor;
  std::string action;
};
FASTSTREAM_MODEL(AuditEntry, actor, action);

inline faststream::AppInfo features_info() {
  return {.title = "features", .version = "2.1.0", .description = ""};
}

// The URL carries credentials on purpose: they must not reach the document.
inline constexpr const char* kFeaturesUrl = "memory://spec-user:s3cr3t-pw@broker.example:4222";

inline void declare_features(faststream::memory::Broker& broker) {
  // Title and description; the result answers requests (reply) and is published.
  broker.subscriber("payments")
      .title("PaymentsIn")
      .description("Payments from the bank")
      .handle([](const Payment& p) -> Confirmation { return {p.order_id}; },
              {.publishes_to = {"confirmations"}, .description = "Confirms a payment"});
  // Hidden from the document.
  broker.subscriber("internal").include_in_schema(false).handle([](const Order&) {});
  broker.publisher<Notice>("hidden", {.include_in_schema = false});
  // Two handlers (filters): two messages on one channel.
  broker.subscriber("events")
      .handle(
          [](const Created&) {},
          {.filter = [](const faststream::Message& m) { return m.content_type() != "text/plain"; },
           .description = "A created event"})
      .handle([](const std::string&) {});
  // Batch: the payload is an array of the element model.
  broker.subscriber("audit").batch().handle([](std::vector<AuditEntry>) {});
  // Path placeholder.
  broker.subscriber("logs.{level}").handle([](std::string, faststream::Path<"level">) {});
  // A result, but no reply and no publishes_to: nothing is sent.
  broker.subscriber("quiet").no_reply().handle([](const Order& o) -> Receipt {
    return {o.id, true, 0};
  });
  // Declared publishers: untyped (with a title) and typed.
  broker.publisher("raw", {.title = "RawOut", .description = "Anything, as is"});
  broker.publisher<Confirmation>("confirmations");
}

}  // namespace spec_test
