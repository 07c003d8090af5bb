// Models shared by the codec tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <faststream/codec.hpp>

namespace codec_test {

enum class Side { buy, sell };
FASTSTREAM_ENUM(Side, buy, sell);

struct Item {
  std::string sku;
  double price = 0;
  std::int32_t qty = 1;
  friend bool operator==(const Item&, const Item&) = default;
};
FASTSTREAM_MODEL(Item, sku, price, qty);
FASTSTREAM_FIELDS(Item, field(&Item::price).ge(0), field(&Item::qty).gt(0).le(1000).with_default());

struct Card {
  std::string number;
  friend bool operator==(const Card&, const Card&) = default;
};
FASTSTREAM_MODEL(Card, number);
FASTSTREAM_TAG(Card, "type", "card");
FASTSTREAM_FIELDS(Card, field(&Card::number).pattern("^[0-9]{12,19}$"));

struct Cash {
  std::string currency = "EUR";
  friend bool operator==(const Cash&, const Cash&) = default;
};
FASTSTREAM_MODEL(Cash, currency);
FASTSTREAM_TAG(Cash, "type", "cash");
FASTSTREAM_FIELDS(Cash, field(&Cash::currency).one_of({"EUR", "USD"}).with_default());

using Payment = std::variant<Card, Cash>;

struct Order {
  std::string id;
  double amount = 0;
  std::optional<std::string> note;
  std::vector<Item> items;
  Side side = Side::buy;
  std::map<std::string, std::int64_t> tags;
  Payment payment;
  std::chrono::system_clock::time_point created;
  std::string currency = "EUR";
  friend bool operator==(const Order&, const Order&) = default;
};
FASTSTREAM_MODEL(Order, id, amount, note, items, side, tags, payment, created, currency);
FASTSTREAM_FIELDS(
    Order, model().description("An order").forbid_unknown_fields(),
    field(&Order::id).alias("order_id").min_length(1).max_length(16).pattern("^[A-Z0-9-]+$"),
    field(&Order::amount).ge(0).lt(1000000).description("EUR"), field(&Order::note).max_length(10),
    field(&Order::items).min_length(1).max_length(5), field(&Order::side).with_default(),
    field(&Order::tags).max_length(3).with_default(),
    field(&Order::currency).one_of({"EUR", "USD"}).with_default());

struct Ints {
  std::int8_t i8 = 0;
  std::uint8_t u8 = 0;
  std::int16_t i16 = 0;
  std::uint16_t u16 = 0;
  std::int32_t i32 = 0;
  std::uint32_t u32 = 0;
  std::int64_t i64 = 0;
  std::uint64_t u64 = 0;
  friend bool operator==(const Ints&, const Ints&) = default;
};
FASTSTREAM_MODEL(Ints, i8, u8, i16, u16, i32, u32, i64, u64);

struct Scalars {
  bool flag = false;
  float f = 0;
  double d = 0;
  std::string text;
  faststream::RawJson raw;
  std::optional<std::int32_t> maybe;
  std::vector<std::vector<std::int32_t>> grid;
  std::map<std::string, Item> by_sku;
  std::vector<bool> bits;
  std::vector<Side> sides;
  friend bool operator==(const Scalars&, const Scalars&) = default;
};
FASTSTREAM_MODEL(Scalars, flag, f, d, text, raw, maybe, grid, by_sku, bits, sides);

struct Limits {
  std::int32_t count = 0;
  double ratio = 0;
  std::string code;
  std::vector<std::int32_t> list;
  std::map<std::string, std::string> attrs;
  std::int64_t level = 1;
  double weight = 0.5;
  bool enabled = true;
  std::optional<std::string> label;
  friend bool operator==(const Limits&, const Limits&) = default;
};
FASTSTREAM_MODEL(Limits, count, ratio, code, list, attrs, level, weight, enabled, label);
FASTSTREAM_FIELDS(Limits, field(&Limits::count).ge(-5).le(5), field(&Limits::ratio).gt(0).lt(1),
                  field(&Limits::code).min_length(2).max_length(4).pattern("^[a-z]+$"),
                  field(&Limits::list).min_length(1).max_length(3),
                  field(&Limits::attrs).min_length(1).max_length(2),
                  field(&Limits::level).one_of({1, 2, 3}).with_default(),
                  field(&Limits::weight).one_of({0.5, 1.5}).with_default(),
                  field(&Limits::enabled).one_of({true}).with_default(),
                  field(&Limits::label).pattern("^L").min_length(2));

struct Node {
  std::string name;
  std::vector<Node> children;
  friend bool operator==(const Node&, const Node&) = default;
};
FASTSTREAM_MODEL(Node, name, children);

struct Empty {
  friend bool operator==(const Empty&, const Empty&) = default;
};
FASTSTREAM_MODEL(Empty);

struct Event {
  std::chrono::system_clock::time_point at;
  std::optional<std::chrono::system_clock::time_point> until;
  friend bool operator==(const Event&, const Event&) = default;
};
FASTSTREAM_MODEL(Event, at, until);

}  // namespace codec_test
