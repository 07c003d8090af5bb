#pragma once
// The orders service's models (used by main.cpp and by the AsyncAPI tests, which document
// the same declarations).
#include <faststream/faststream.hpp>

#include <optional>
#include <string>
#include <vector>

namespace shop {

struct Item {
  std::string sku;
  int quantity = 1;
  double price = 0;
};
FASTSTREAM_MODEL(Item, sku, quantity, price);
FASTSTREAM_FIELDS(Item, field(&Item::sku).pattern("^[A-Z]{3}-[0-9]+$"),
                  field(&Item::quantity).gt(0).with_default(), field(&Item::price).ge(0));

struct Order {
  std::string id;
  std::string customer;
  std::vector<Item> items;
  std::optional<std::string> note;
};
FASTSTREAM_MODEL(Order, id, customer, items, note);
FASTSTREAM_FIELDS(Order, model().description("An order placed by a customer"),
                  field(&Order::id).min_length(1), field(&Order::items).min_length(1));

struct Receipt {
  std::string order_id;
  bool accepted = false;
  double total = 0;
};
FASTSTREAM_MODEL(Receipt, order_id, accepted, total);

struct Notice {
  std::string order_id;
  std::string text;
};
FASTSTREAM_MODEL(Notice, order_id, text);

// Orders above this total need a manual check: the receipt says not accepted.
inline constexpr double kAutoAcceptLimit = 1000.0;

inline Receipt make_receipt(const Order& order) {
  double total = 0;
  for (const auto& item : order.items) total += item.quantity * item.price;
  return {order.id, total <= kAutoAcceptLimit, total};
}

}  // namespace shop
