// Decoding, validation and error reporting.
#include <gtest/gtest.h>

#include <string>

#include "test_models.hpp"

namespace {

using namespace codec_test;
using faststream::decode_json;
using faststream::DecodeError;
using faststream::DecodeOptions;
using faststream::encode_json;
using faststream::FieldError;

template <class T>
std::vector<FieldError> errors_of(std::string_view json, const DecodeOptions& o = {}) {
  try {
    (void)decode_json<T>(json, o);
  } catch (const DecodeError& e) {
    EXPECT_FALSE(e.errors().empty());
    return e.errors();
  }
  ADD_FAILURE() << "accepted: " << json;
  return {};
}

template <class T>
std::string what_of(std::string_view json, const DecodeOptions& o = {}) {
  try {
    (void)decode_json<T>(json, o);
  } catch (const DecodeError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << json;
  return {};
}

template <class T>
FieldError only_error(std::string_view json, const DecodeOptions& o = {}) {
  auto errors = errors_of<T>(json, o);
  EXPECT_EQ(errors.size(), 1u) << json;
  return errors.empty() ? FieldError{} : errors.front();
}

constexpr std::string_view kOrder =
    R"({"order_id":"ORD-1","amount":12.5,"note":"hi","items":[{"sku":"a","price":1.5,"qty":2}],)"
    R"("side":"sell","tags":{"x":1},"payment":{"type":"card","number":"123456789012"},)"
    R"("created":"2024-05-06T07:08:09.123456Z","currency":"USD"})";

TEST(CodecDecode, FullModel) {
  const Order o = decode_json<Order>(kOrder);
  EXPECT_EQ(o.id, "ORD-1");
  EXPECT_EQ(o.amount, 12.5);
  EXPECT_EQ(o.note, "hi");
  ASSERT_EQ(o.items.size(), 1u);
  EXPECT_EQ(o.items[0], (Item{"a", 1.5, 2}));
  EXPECT_EQ(o.side, Side::sell);
  EXPECT_EQ(o.tags.at("x"), 1);
  EXPECT_EQ(std::get<Card>(o.payment).number, "123456789012");
  EXPECT_EQ(o.currency, "USD");
  EXPECT_EQ(encode_json(o), kOrder);
}

TEST(CodecDecode, DefaultsAndOptionalAbsent) {
  const Order o = decode_json<Order>(
      R"({"order_id":"A","amount":0,"items":[{"sku":"s","price":0}],"payment":{"type":"cash"},)"
      R"("created":"1970-01-01T00:00:00Z"})");
  EXPECT_FALSE(o.note.has_value());
  EXPECT_EQ(o.items[0].qty, 1);  // default member initializer
  EXPECT_EQ(o.side, Side::buy);
  EXPECT_TRUE(o.tags.empty());
  EXPECT_EQ(std::get<Cash>(o.payment).currency, "EUR");
  EXPECT_EQ(o.currency, "EUR");
  EXPECT_EQ(o.created.time_since_epoch().count(), 0);
  // null is accepted for an optional
  EXPECT_FALSE(decode_json<Scalars>(R"({"flag":true,"f":1,"d":2,"text":"","raw":1,"maybe":null,)"
                                    R"("grid":[],"by_sku":{},"bits":[],"sides":[]})")
                   .maybe.has_value());
}

TEST(CodecDecode, ExactMessages) {
  EXPECT_EQ(what_of<Order>(R"({"order_id":"A","amount":1,"items":[{"sku":"a","price":1},)"
                           R"({"sku":"b","price":2},{"sku":"c","price":-1}],)"
                           R"("payment":{"type":"cash"},"created":"2024-01-01T00:00:00Z"})"),
            "Order: items[2].price: must be >= 0, got -1");
  EXPECT_EQ(what_of<Ints>(R"({"i8":300,"u8":0,"i16":0,"u16":0,"i32":0,"u32":0,"i64":0,"u64":0})"),
            "Ints: i8: out of range for int8, got 300");
  EXPECT_EQ(what_of<Item>(R"({"sku":"a","price":"abc"})"),
            "Item: price: expected number, got \"abc\"");
  EXPECT_EQ(what_of<Ints>(R"({"i8":"abc","u8":0,"i16":0,"u16":0,"i32":0,"u32":0,"i64":0,"u64":0})"),
            "Ints: i8: expected integer, got \"abc\"");
  EXPECT_EQ(what_of<Item>(R"({"price":1})"), "Item: sku: field required");
  EXPECT_EQ(what_of<Limits>(R"({"count":0,"ratio":0.5,"code":"ABC","list":[1],"attrs":{"a":"b"}})"),
            "Limits: code: must match ^[a-z]+$, got \"ABC\"");
  EXPECT_EQ(what_of<Item>(R"({"sku":1,"price":-2,"qty":0})"),
            "Item: 3 errors: sku: expected string, got 1; price: must be >= 0, got -2; "
            "qty: must be > 0, got 0");
  EXPECT_EQ(what_of<Item>("5"), "Item: expected object, got 5");
  EXPECT_EQ(what_of<std::vector<Item>>(R"([{"sku":"a","price":1},{"sku":"a","price":-3}])"),
            "vector<Item>: [1].price: must be >= 0, got -3");
}

TEST(CodecDecode, EveryFailingFieldIsReported) {
  const auto errors = errors_of<Order>(
      R"({"order_id":"","amount":-1,"note":"this note is too long","items":[],"side":"hold",)"
      R"("tags":{"a":1,"b":"x","c":3,"d":4},"payment":{"type":"card","number":"12"},)"
      R"("created":"yesterday","currency":"GBP","extra":1})");
  const std::vector<FieldError> expected = {
      {"order_id", "must have at least 1 character, got 0"},
      {"order_id", "must match ^[A-Z0-9-]+$, got \"\""},
      {"amount", "must be >= 0, got -1"},
      {"note", "must have at most 10 characters, got 21"},
      {"items", "must have at least 1 item, got 0"},
      {"side", "expected one of \"buy\", \"sell\", got \"hold\""},
      {"tags", "must have at most 3 entries, got 4"},
      {"tags.b", "expected integer, got \"x\""},
      {"payment.number", "must match ^[0-9]{12,19}$, got \"12\""},
      {"created", "expected RFC 3339 date-time, got \"yesterday\""},
      {"currency", "must be one of \"EUR\", \"USD\", got \"GBP\""},
      {"extra", "unknown field"},
  };
  EXPECT_EQ(errors, expected);
}

TEST(CodecDecode, MissingFields) {
  const auto errors = errors_of<Order>("{}");
  const std::vector<FieldError> expected = {
      {"order_id", "field required"}, {"amount", "field required"},  {"items", "field required"},
      {"payment", "field required"},  {"created", "field required"},
  };
  EXPECT_EQ(errors, expected);
}

TEST(CodecDecode, NestedErrorPaths) {
  EXPECT_EQ(
      only_error<Scalars>(R"({"flag":true,"f":1,"d":2,"text":"","raw":1,"grid":[[1],[2,"x"]],)"
                          R"("by_sku":{},"bits":[],"sides":[]})"),
      (FieldError{"grid[1][1]", "expected integer, got \"x\""}));
  EXPECT_EQ(only_error<Scalars>(R"({"flag":true,"f":1,"d":2,"text":"","raw":1,"grid":[],)"
                                R"("by_sku":{"k1":{"sku":"a","price":-1}},"bits":[],"sides":[]})"),
            (FieldError{"by_sku.k1.price", "must be >= 0, got -1"}));
  EXPECT_EQ(only_error<Scalars>(R"({"flag":true,"f":1,"d":2,"text":"","raw":1,"grid":[],)"
                                R"("by_sku":{"a b":{"price":1}},"bits":[],"sides":[]})"),
            (FieldError{R"(by_sku["a b"].sku)", "field required"}));
  EXPECT_EQ(
      errors_of<Scalars>(R"({"flag":true,"f":1,"d":2,"text":"","raw":1,"grid":[],)"
                         R"("by_sku":{},"bits":[true,1],"sides":["buy","x"]})"),
      (std::vector<FieldError>{{"bits[1]", "expected boolean, got 1"},
                               {"sides[1]", "expected one of \"buy\", \"sell\", got \"x\""}}));
  EXPECT_EQ(only_error<std::vector<Payment>>(R"([{"type":"cash"},{"type":"card","number":5}])"),
            (FieldError{"[1].number", "expected string, got 5"}));
  EXPECT_EQ(only_error<std::vector<Payment>>(R"([{"type":"cash"},{"number":"1"}])"),
            (FieldError{"[1].type", "field required"}));
  EXPECT_EQ(only_error<std::vector<Payment>>(R"([{"type":"check"}])"),
            (FieldError{"[0].type", "expected one of \"card\", \"cash\", got \"check\""}));
  EXPECT_EQ(only_error<Payment>("[]"), (FieldError{"", "expected object, got array"}));
  EXPECT_EQ(only_error<Card>(R"({"type":"cash","number":"123456789012"})"),
            (FieldError{"type", "expected \"card\", got \"cash\""}));
  EXPECT_EQ(only_error<Card>(R"({"number":"123456789012"})"),
            (FieldError{"type", "field required"}));
  EXPECT_EQ(
      only_error<Node>(R"({"name":"a","children":[{"name":"b","children":[{"children":[]}]}]})"),
      (FieldError{"children[0].children[0].name", "field required"}));
}

TEST(CodecDecode, MalformedJson) {
  for (std::string_view bad :
       {"", "   ", "{", "{\"sku\":}", "[1,2", "{\"sku\":\"a\",}", "nul", "{\"sku\":\"a\"} x",
        "{'sku':'a'}", "NaN", "{\"price\":Infinity}", "{\"sku\":\"a\" \"price\":1}", "01",
        "{\"sku\":\"\\x\"}", "\"unterminated", "{\"a\":1}{\"b\":2}", "// c\n{}"}) {
    const auto errors = errors_of<Item>(bad);
    ASSERT_EQ(errors.size(), 1u) << bad;
    EXPECT_EQ(errors[0].path, "");
    EXPECT_EQ(errors[0].message.rfind("invalid JSON", 0), 0u) << bad << " -> " << errors[0].message;
  }
  EXPECT_EQ(only_error<Item>(R"({"sku":"a"} x)").message,
            "invalid JSON at offset 12: unexpected data after the value");
}

TEST(CodecDecode, WrongTypes) {
  const std::string tail = R"(,"u8":0,"i16":0,"u16":0,"i32":0,"u32":0,"i64":0,"u64":0})";
  EXPECT_EQ(only_error<Ints>(R"({"i8":true)" + tail),
            (FieldError{"i8", "expected integer, got true"}));
  EXPECT_EQ(only_error<Ints>(R"({"i8":null)" + tail),
            (FieldError{"i8", "expected integer, got null"}));
  EXPECT_EQ(only_error<Ints>(R"({"i8":2.5)" + tail),
            (FieldError{"i8", "expected integer, got 2.5"}));
  EXPECT_EQ(only_error<Ints>(R"({"i8":[1])" + tail),
            (FieldError{"i8", "expected integer, got array"}));
  EXPECT_EQ(only_error<Ints>(R"({"i8":{})" + tail),
            (FieldError{"i8", "expected integer, got object"}));
  EXPECT_EQ(only_error<Ints>(R"({"i8":"1")" + tail),
            (FieldError{"i8", "expected integer, got \"1\""}));
  EXPECT_EQ(only_error<bool>("1"), (FieldError{"", "expected boolean, got 1"}));
  EXPECT_EQ(only_error<std::string>("1"), (FieldError{"", "expected string, got 1"}));
  EXPECT_EQ(only_error<double>("\"1\""), (FieldError{"", "expected number, got \"1\""}));
  EXPECT_EQ(only_error<std::vector<int>>("{}"), (FieldError{"", "expected array, got object"}));
  EXPECT_EQ((only_error<std::map<std::string, int>>("[]")),
            (FieldError{"", "expected object, got array"}));
  EXPECT_EQ(only_error<Side>("1"), (FieldError{"", "expected one of \"buy\", \"sell\", got 1"}));
  EXPECT_EQ(only_error<Item>("null"), (FieldError{"", "expected object, got null"}));
  EXPECT_EQ(only_error<Event>(R"({"at":5})"),
            (FieldError{"at", "expected RFC 3339 date-time string, got 5"}));
  // long strings are shortened in messages
  const std::string long_text(200, 'z');
  const auto e = only_error<int>("\"" + long_text + "\"");
  EXPECT_LT(e.message.size(), 100u);
  EXPECT_NE(e.message.find("...\""), std::string::npos);
}

TEST(CodecDecode, IntegerFromIntegralFloat) {
  // Documented choice: an integral JSON number written as a float (2.0, 1e2) is accepted for an
  // integer field (as JSON Schema "integer" does); a fractional one is rejected.
  EXPECT_EQ(decode_json<std::int32_t>("2.0"), 2);
  EXPECT_EQ(decode_json<std::int32_t>("1e2"), 100);
  EXPECT_EQ(decode_json<std::uint64_t>("1e19"), 10000000000000000000ull);
  EXPECT_EQ(decode_json<std::int64_t>("-0.0"), 0);
  EXPECT_EQ(only_error<std::int32_t>("2.5").message, "expected integer, got 2.5");
  EXPECT_EQ(only_error<std::int32_t>("1e10").message, "out of range for int32, got 1e10");
  EXPECT_EQ(only_error<std::int64_t>("1e19").message, "out of range for int64, got 1e19");
  EXPECT_EQ(only_error<std::uint64_t>("2e19").message, "out of range for uint64, got 2e19");
}

template <class T>
void check_int_limits(std::string_view name) {
  using L = std::numeric_limits<T>;
  EXPECT_EQ(decode_json<T>(std::to_string(L::max())), L::max()) << name;
  EXPECT_EQ(decode_json<T>(std::to_string(L::min())), L::min()) << name;
  // one past each end
  std::string above, below;
  if constexpr (sizeof(T) < 8) {
    above = std::to_string(static_cast<std::int64_t>(L::max()) + 1);
    below = std::to_string(static_cast<std::int64_t>(L::min()) - 1);
  } else if constexpr (std::is_signed_v<T>) {
    above = "9223372036854775808";
    below = "-9223372036854775809";
  } else {
    above = "18446744073709551616";
    below = "-1";
  }
  EXPECT_EQ(only_error<T>(above).message,
            "out of range for " + std::string(name) + ", got " + above);
  EXPECT_EQ(only_error<T>(below).message,
            "out of range for " + std::string(name) + ", got " + below);
  EXPECT_EQ(only_error<T>("1e400").message,
            "out of range for " + std::string(name) + ", got 1e400");
  EXPECT_EQ(only_error<T>("-1e400").message,
            "out of range for " + std::string(name) + ", got -1e400");
  EXPECT_EQ(only_error<T>("18446744073709551616").message,
            "out of range for " + std::string(name) + ", got 18446744073709551616");
  EXPECT_EQ(only_error<T>("-9223372036854775809").message,
            "out of range for " + std::string(name) + ", got -9223372036854775809");
  EXPECT_EQ(only_error<T>("123456789012345678901234567890").message,
            "out of range for " + std::string(name) + ", got 123456789012345678901234567890");
}

TEST(CodecDecode, IntegerWidths) {
  check_int_limits<std::int8_t>("int8");
  check_int_limits<std::uint8_t>("uint8");
  check_int_limits<std::int16_t>("int16");
  check_int_limits<std::uint16_t>("uint16");
  check_int_limits<std::int32_t>("int32");
  check_int_limits<std::uint32_t>("uint32");
  check_int_limits<std::int64_t>("int64");
  check_int_limits<std::uint64_t>("uint64");
  const Ints all = decode_json<Ints>(
      R"({"i8":-128,"u8":255,"i16":-32768,"u16":65535,"i32":-2147483648,"u32":4294967295,)"
      R"("i64":-9223372036854775808,"u64":18446744073709551615})");
  EXPECT_EQ(all.u64, 18446744073709551615ull);
  EXPECT_EQ(encode_json(all),
            R"({"i8":-128,"u8":255,"i16":-32768,"u16":65535,"i32":-2147483648,"u32":4294967295,)"
            R"("i64":-9223372036854775808,"u64":18446744073709551615})");
}

TEST(CodecDecode, Floats) {
  EXPECT_EQ(only_error<double>("1e400").message, "out of range for double, got 1e400");
  EXPECT_EQ(only_error<double>("-1e400").message, "out of range for double, got -1e400");
  EXPECT_EQ(decode_json<double>("1e-400"), 0.0);  // underflow rounds to zero
  EXPECT_EQ(only_error<float>("1e39").message, "out of range for float, got 1e39");
  EXPECT_EQ(decode_json<float>("3.4e38"), 3.4e38f);
  EXPECT_EQ(decode_json<float>("3.4028235e+38"), std::numeric_limits<float>::max());
  EXPECT_EQ(only_error<float>("3.5e38").message, "out of range for float, got 3.5e38");
  EXPECT_EQ(decode_json<double>("18446744073709551616"), 18446744073709551616.0);
  EXPECT_EQ(decode_json<double>("-5"), -5.0);
}

TEST(CodecDecode, Constraints) {
  const std::string ok = R"("ratio":0.5,"code":"ab","list":[1],"attrs":{"a":"b"})";
  auto limits = [&](std::string_view fields) { return "{" + std::string(fields) + "}"; };
  EXPECT_NO_THROW(decode_json<Limits>(limits(R"("count":5,)" + ok)));
  EXPECT_EQ(only_error<Limits>(limits(R"("count":6,)" + ok)),
            (FieldError{"count", "must be <= 5, got 6"}));
  EXPECT_EQ(only_error<Limits>(limits(R"("count":-6,)" + ok)),
            (FieldError{"count", "must be >= -5, got -6"}));
  const std::string base = R"("count":0,"code":"ab","list":[1],"attrs":{"a":"b"})";
  EXPECT_EQ(only_error<Limits>(limits(R"("ratio":0,)" + base)),
            (FieldError{"ratio", "must be > 0, got 0"}));
  EXPECT_EQ(only_error<Limits>(limits(R"("ratio":1.0,)" + base)),
            (FieldError{"ratio", "must be < 1, got 1.0"}));
  const std::string nocode = R"("count":0,"ratio":0.5,"list":[1],"attrs":{"a":"b"})";
  EXPECT_EQ(only_error<Limits>(limits(R"("code":"a",)" + nocode)),
            (FieldError{"code", "must have at least 2 characters, got 1"}));
  EXPECT_EQ(only_error<Limits>(limits(R"("code":"abcde",)" + nocode)),
            (FieldError{"code", "must have at most 4 characters, got 5"}));
  // lengths count code points: 10 characters, 20 bytes
  const std::string order = std::string(kOrder);
  const std::string ten = "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9";
  EXPECT_EQ(decode_json<Order>(order.substr(0, order.find("\"hi\"")) + "\"" + ten + "\"" +
                               order.substr(order.find("\"hi\"") + 4))
                .note->size(),
            20u);
  const std::string nolist = R"("count":0,"ratio":0.5,"code":"ab","attrs":{"a":"b"})";
  EXPECT_EQ(only_error<Limits>(limits(R"("list":[],)" + nolist)),
            (FieldError{"list", "must have at least 1 item, got 0"}));
  EXPECT_EQ(only_error<Limits>(limits(R"("list":[1,2,3,4],)" + nolist)),
            (FieldError{"list", "must have at most 3 items, got 4"}));
  const std::string noattrs = R"("count":0,"ratio":0.5,"code":"ab","list":[1])";
  EXPECT_EQ(only_error<Limits>(limits(R"("attrs":{},)" + noattrs)),
            (FieldError{"attrs", "must have at least 1 entry, got 0"}));
  EXPECT_EQ(only_error<Limits>(limits(R"("attrs":{"a":"1","b":"2","c":"3"},)" + noattrs)),
            (FieldError{"attrs", "must have at most 2 entries, got 3"}));
  const std::string all = R"("count":0,"ratio":0.5,"code":"ab","list":[1],"attrs":{"a":"b"})";
  EXPECT_EQ(only_error<Limits>(limits(R"("level":4,)" + all)),
            (FieldError{"level", "must be one of 1, 2, 3, got 4"}));
  EXPECT_EQ(decode_json<Limits>(limits(R"("level":3.0,)" + all)).level, 3);
  EXPECT_EQ(only_error<Limits>(limits(R"("weight":1,)" + all)),
            (FieldError{"weight", "must be one of 0.5, 1.5, got 1"}));
  EXPECT_EQ(decode_json<Limits>(limits(R"("weight":1.5,)" + all)).weight, 1.5);
  EXPECT_EQ(only_error<Limits>(limits(R"("enabled":false,)" + all)),
            (FieldError{"enabled", "must be one of true, got false"}));
  EXPECT_EQ(errors_of<Limits>(limits(R"("label":"X",)" + all)),
            (std::vector<FieldError>{{"label", "must have at least 2 characters, got 1"},
                                     {"label", "must match ^L, got \"X\""}}));
  EXPECT_EQ(decode_json<Limits>(limits(R"("label":"Lx",)" + all)).label, "Lx");
  EXPECT_FALSE(decode_json<Limits>(limits(R"("label":null,)" + all)).label.has_value());
}

TEST(CodecDecode, PatternsSeeCodePoints) {
  // "^[a-z]+$" does not match é; a pattern with "." counts é as one character.
  const std::string nocode = R"("count":0,"ratio":0.5,"list":[1],"attrs":{"a":"b"})";
  EXPECT_EQ(only_error<Limits>(R"({"code":"\u00e9\u00e9",)" + nocode + "}").message,
            "must match ^[a-z]+$, got \"\u00e9\u00e9\"");
}

TEST(CodecDecode, InvalidUtf8) {
  EXPECT_EQ(only_error<std::string>("\"a\xff\""), (FieldError{"", "invalid UTF-8 at offset 2"}));
  EXPECT_EQ(only_error<Item>("{\"sku\":\"\xc3\x28\",\"price\":1}").message,
            "invalid UTF-8 at offset 8");
  EXPECT_EQ(only_error<Item>("{\"s\xed\xa0\x80\":1}").message,
            "invalid UTF-8 at offset 3");  // surrogate
  EXPECT_EQ(only_error<std::string>("\"\xc0\xaf\"").message,
            "invalid UTF-8 at offset 1");  // overlong
  EXPECT_EQ(decode_json<std::string>("\"\xf0\x9f\x98\x80\""), "\xf0\x9f\x98\x80");
  EXPECT_EQ(decode_json<std::string>(R"("\ud83d\ude00")"), "\xf0\x9f\x98\x80");
}

TEST(CodecDecode, DeepNesting) {
  const std::string deep_arrays(100000, '[');
  EXPECT_EQ(only_error<faststream::RawJson>(deep_arrays).message,
            "invalid JSON at offset 128: nesting deeper than 128");
  std::string deep_objects;
  for (int i = 0; i < 100000; ++i) deep_objects += "{\"a\":";
  EXPECT_EQ(only_error<Node>(deep_objects).message.rfind("invalid JSON at offset", 0), 0u);
  std::string balanced = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(only_error<Scalars>(balanced).path, "");
  // within the limit
  const std::string ok = std::string(100, '[') + std::string(100, ']');
  EXPECT_EQ(decode_json<faststream::RawJson>(ok).text, ok);
  DecodeOptions shallow;
  shallow.max_depth = 3;
  EXPECT_NO_THROW(decode_json<faststream::RawJson>("[[[1]]]", shallow));
  EXPECT_THROW(decode_json<faststream::RawJson>("[[[[1]]]]", shallow), DecodeError);
  // a deep valid tree of models decodes (recursion is bounded by max_depth)
  std::string tree;
  for (int i = 0; i < 60; ++i) tree += R"({"name":"n","children":[)";
  tree += R"({"name":"leaf","children":[]})";
  for (int i = 0; i < 60; ++i) tree += "]}";
  Node n = decode_json<Node>(tree);
  EXPECT_EQ(n.children.size(), 1u);
}

TEST(CodecDecode, Oversize) {
  DecodeOptions small;
  small.max_message_size = 16;
  const std::string body = R"({"sku":"abcdefgh","price":1})";
  EXPECT_EQ(what_of<Item>(body, small),
            "Item: message of 28 bytes exceeds max_message_size (16 bytes)");
  // checked before parsing: even garbage gets the size error
  EXPECT_EQ(only_error<Item>(std::string(17, '{'), small).message,
            "message of 17 bytes exceeds max_message_size (16 bytes)");
  small.max_message_size = 21;
  EXPECT_NO_THROW(decode_json<Item>(R"({"sku":"a","price":1})", small));
}

TEST(CodecDecode, UnknownFields) {
  // ignored by default
  EXPECT_EQ(
      decode_json<Item>(R"({"sku":"a","price":1,"extra":{"deep":[1,2,{"x":null}]},"more":1})").sku,
      "a");
  DecodeOptions strict;
  strict.forbid_unknown_fields = true;
  const auto errors = errors_of<Item>(R"({"sku":"a","extra":1,"price":1,"more":[1]})", strict);
  EXPECT_EQ(errors,
            (std::vector<FieldError>{{"extra", "unknown field"}, {"more", "unknown field"}}));
  // applies to nested models too
  EXPECT_EQ(only_error<std::vector<Item>>(R"([{"sku":"a","price":1,"x":1}])", strict),
            (FieldError{"[0].x", "unknown field"}));
  // the model option (Order forbids)
  EXPECT_EQ(only_error<Order>(std::string(kOrder.substr(0, kOrder.size() - 1)) + R"(,"x":1})"),
            (FieldError{"x", "unknown field"}));
  // the field's C++ name is not accepted when it has an alias
  EXPECT_EQ(errors_of<Order>(std::string(kOrder.substr(0, kOrder.size() - 1)) + R"(,"id":"X"})")[0],
            (FieldError{"id", "unknown field"}));
}

TEST(CodecDecode, DuplicateKeysAreRejected) {
  EXPECT_EQ(only_error<Item>(R"({"sku":"a","price":1,"sku":"b"})"),
            (FieldError{"sku", "duplicate field"}));
  // ...but in maps the last one wins, like Python's json
  EXPECT_EQ((decode_json<std::map<std::string, int>>(R"({"a":1,"a":2})").at("a")), 2);
}

TEST(CodecDecode, ManyErrorsAreCapped) {
  std::string arr = "[";
  for (int i = 0; i < 500; ++i) arr += (i ? ",\"x\"" : "\"x\"");
  arr += "]";
  const auto errors = errors_of<std::vector<int>>(arr);
  EXPECT_EQ(errors.size(), 101u);
  EXPECT_EQ(errors.back().message, "more errors omitted");
  EXPECT_LT(what_of<std::vector<int>>(arr).size(), 1000u);
}

TEST(CodecDecode, EmptyModelAndTopLevelTypes) {
  EXPECT_EQ(decode_json<Empty>(R"({"anything":1})"), Empty{});
  EXPECT_EQ(encode_json(Empty{}), "{}");
  EXPECT_EQ(decode_json<std::vector<std::string>>(R"(["a","b"])"),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(decode_json<std::optional<int>>("null"), std::nullopt);
  EXPECT_EQ(decode_json<std::optional<int>>("3"), 3);
}

TEST(CodecDecode, StringEscapes) {
  const std::string s = decode_json<std::string>(R"("a\"b\\c\/d\n\t\u0001\u00e9\u20ac")");
  EXPECT_EQ(s, "a\"b\\c/d\n\t\x01\xc3\xa9\xe2\x82\xac");
  EXPECT_EQ(encode_json(s), R"("a\"b\\c/d\n\t\u0001é€")");
  // keys with escapes
  EXPECT_EQ(decode_json<Item>(R"({"\u0073ku":"a","price":1})").sku, "a");
}

TEST(CodecDecode, ReentrantUse) {
  // nested decodes on one thread (e.g. from a handler decoding RawJson) do not clobber each other
  const auto outer = decode_json<Scalars>(
      R"({"flag":true,"f":1,"d":2,"text":"t","raw":{"sku":"in","price":3},"grid":[],"by_sku":{},"bits":[],"sides":[]})");
  const Item inner = decode_json<Item>(outer.raw.text);
  EXPECT_EQ(inner.sku, "in");
  EXPECT_EQ(outer.text, "t");
}

}  // namespace
