// Encoding, round trips, time, payloads.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "test_models.hpp"

namespace bad {
struct Unlisted {
  int a = 0;
  int b = 0;
};
FASTSTREAM_MODEL(Unlisted, a);
FASTSTREAM_FIELDS(Unlisted, field(&Unlisted::b).ge(0));
struct DupAlias {
  int a = 0;
  int b = 0;
};
FASTSTREAM_MODEL(DupAlias, a, b);
FASTSTREAM_FIELDS(DupAlias, field(&DupAlias::b).alias("a"));
struct BadPattern {
  std::string s;
};
FASTSTREAM_MODEL(BadPattern, s);
FASTSTREAM_FIELDS(BadPattern, field(&BadPattern::s).pattern("(["));
struct BadOneOf {
  int i = 0;
};
FASTSTREAM_MODEL(BadOneOf, i);
FASTSTREAM_FIELDS(BadOneOf, field(&BadOneOf::i).one_of({"x"}));
struct Twice {
  int i = 0;
};
FASTSTREAM_MODEL(Twice, i);
FASTSTREAM_FIELDS(Twice, field(&Twice::i).ge(0), field(&Twice::i).le(3));
}  // namespace bad

namespace {

using namespace codec_test;
using namespace std::chrono;
using faststream::Bytes;
using faststream::decode_json;
using faststream::decode_payload;
using faststream::DecodeError;
using faststream::DecodeOptions;
using faststream::encode_json;
using faststream::encode_payload;
using faststream::RawJson;

template <class T>
void expect_round_trip(const T& value) {
  const std::string json = encode_json(value);
  EXPECT_EQ(decode_json<T>(json), value) << json;
  EXPECT_EQ(encode_json(decode_json<T>(json)), json);
}

system_clock::time_point at(std::int64_t ns) {
  return system_clock::time_point(nanoseconds(ns));
}

TEST(CodecEncode, RoundTripsEveryType) {
  expect_round_trip(true);
  expect_round_trip(false);
  expect_round_trip(std::int8_t{-128});
  expect_round_trip(std::uint8_t{255});
  expect_round_trip(std::int16_t{-32768});
  expect_round_trip(std::uint16_t{65535});
  expect_round_trip(std::numeric_limits<std::int32_t>::min());
  expect_round_trip(std::numeric_limits<std::uint32_t>::max());
  expect_round_trip(std::numeric_limits<std::int64_t>::min());
  expect_round_trip(std::numeric_limits<std::uint64_t>::max());
  expect_round_trip(0.1);
  expect_round_trip(-1e300);
  expect_round_trip(5e-324);
  expect_round_trip(std::numeric_limits<double>::max());
  expect_round_trip(0.1f);
  expect_round_trip(std::numeric_limits<float>::max());
  expect_round_trip(std::string("plain"));
  expect_round_trip(
      std::string("quote\" backslash\\ ctrl\x01\x1f nl\n tab\t \xe2\x82\xac \xf0\x9f\x98\x80"));
  expect_round_trip(std::string());
  expect_round_trip(Side::sell);
  expect_round_trip(std::optional<int>{});
  expect_round_trip(std::optional<int>{7});
  expect_round_trip(std::vector<std::optional<std::string>>{"a", std::nullopt});
  expect_round_trip(std::map<std::string, std::vector<double>>{{"a", {1.5}}, {"b", {}}});
  expect_round_trip(RawJson{R"({"a":[1,2.50,"x",null,true,false,{}],"b":{}})"});
  expect_round_trip(Payment{Card{"123456789012"}});
  expect_round_trip(Payment{Cash{"USD"}});
  expect_round_trip(at(1700000000123456000));
  expect_round_trip(Node{"root", {Node{"a", {}}, Node{"b", {Node{"c", {}}}}}});
  expect_round_trip(Empty{});
  Scalars s;
  s.flag = true;
  s.f = 1.25f;
  s.d = -2.5;
  s.text = "t";
  s.raw = RawJson{"[1,{\"k\":\"v\"}]"};
  s.maybe = 5;
  s.grid = {{1, 2}, {}, {3}};
  s.by_sku = {{"x", Item{"x", 1, 2}}};
  s.bits = {true, false, true};
  s.sides = {Side::buy, Side::sell};
  expect_round_trip(s);
  Order o;
  o.id = "A-1";
  o.amount = 10;
  o.items = {Item{"a", 1, 1}};
  o.payment = Cash{};
  o.created = at(-1000);  // before the epoch
  expect_round_trip(o);
  Event e{at(0), at(86400LL * 1000000000LL)};
  expect_round_trip(e);
}

TEST(CodecEncode, Texts) {
  Order o;
  o.id = "A";
  o.amount = 2;
  o.items = {Item{"s", 0.5, 3}};
  o.payment = Card{"123456789012"};
  o.created = at(1714979289000000000);
  EXPECT_EQ(encode_json(o),
            R"({"order_id":"A","amount":2.0,"note":null,"items":[{"sku":"s","price":0.5,"qty":3}],)"
            R"("side":"buy","tags":{},"payment":{"type":"card","number":"123456789012"},)"
            R"("created":"2024-05-06T07:08:09Z","currency":"EUR"})");
  std::string out = "prefix:";
  faststream::encode_json(Item{"a", 1, 1}, out);  // appends
  EXPECT_EQ(out, R"(prefix:{"sku":"a","price":1.0,"qty":1})");
}

TEST(CodecEncode, Numbers) {
  EXPECT_EQ(encode_json(2.0), "2.0");
  EXPECT_EQ(encode_json(-0.5), "-0.5");
  EXPECT_EQ(encode_json(1e20), "1e+20");
  EXPECT_EQ(encode_json(0.1f), "0.1");
  EXPECT_EQ(encode_json(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(encode_json(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(encode_json(-std::numeric_limits<float>::infinity()), "null");
  EXPECT_EQ(encode_json(std::vector<std::int8_t>{-1, 2}), "[-1,2]");
}

TEST(CodecEncode, StringsAreValidJson) {
  EXPECT_EQ(encode_json(std::string("a\x7f\x00z", 4)), "\"a\x7f\\u0000z\"");
  // invalid UTF-8 in a C++ string becomes U+FFFD, never invalid JSON
  EXPECT_EQ(encode_json(std::string("a\xff"
                                    "b\xc3")),
            R"("a\ufffdb\ufffd")");
  EXPECT_EQ(decode_json<std::string>(encode_json(std::string("\xed\xa0\x80"))),
            "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(CodecEncode, EnumWithoutName) {
  EXPECT_THROW(encode_json(static_cast<Side>(7)), std::invalid_argument);
}

TEST(CodecEncode, RawJsonIsCompactAndVerbatim) {
  EXPECT_EQ(
      decode_json<RawJson>(
          " { \"a\" : [ 1 , 2.50 , \"\\u0041\" ] , \"big\": 123456789012345678901234567890 } ")
          .text,
      R"({"a":[1,2.50,"A"],"big":123456789012345678901234567890})");
  EXPECT_EQ(encode_json(RawJson{"{\"x\": 1}"}), "{\"x\": 1}");  // verbatim
  EXPECT_EQ(encode_json(RawJson{}), "null");
  EXPECT_EQ(decode_json<RawJson>("null").text, "null");
}

TEST(CodecTime, ParsesRfc3339) {
  const auto base = at(1714979289000000000);  // 2024-05-06T07:08:09Z
  EXPECT_EQ(decode_json<system_clock::time_point>(R"("2024-05-06T07:08:09Z")"), base);
  EXPECT_EQ(decode_json<system_clock::time_point>(R"("2024-05-06t07:08:09z")"), base);
  EXPECT_EQ(decode_json<system_clock::time_point>(R"("2024-05-06T09:08:09+02:00")"), base);
  EXPECT_EQ(decode_json<system_clock::time_point>(R"("2024-05-06T01:38:09-05:30")"), base);
  EXPECT_EQ(decode_json<system_clock::time_point>(R"("2024-05-06T07:08:09.5Z")"),
            base + milliseconds(500));
  EXPECT_EQ(decode_json<system_clock::time_point>(R"("2024-05-06T07:08:09.123456789Z")"),
            base + nanoseconds(123456789));
  EXPECT_EQ(decode_json<system_clock::time_point>(R"("2024-05-06T07:08:09.1234567891234Z")"),
            base + nanoseconds(123456789));  // truncated to the clock's precision
  EXPECT_EQ(decode_json<system_clock::time_point>(R"("1969-12-31T23:59:59.999999Z")"), at(-1000));
  EXPECT_EQ(decode_json<system_clock::time_point>(R"("2024-02-29T00:00:00Z")").time_since_epoch(),
            seconds(1709164800));
  for (std::string_view bad :
       {R"("2024-05-06")", R"("2024-05-06T07:08:09")", R"("2024-05-06 07:08:09Z")",
        R"("2024-13-01T00:00:00Z")", R"("2023-02-29T00:00:00Z")", R"("2024-05-06T24:00:00Z")",
        R"("2024-05-06T07:60:00Z")", R"("2024-05-06T07:08:60Z")", R"("2024-05-06T07:08:09.Z")",
        R"("2024-05-06T07:08:09+0200")", R"("2024-05-06T07:08:09+24:00")",
        R"("2024-05-06T07:08:09Zx")", R"("24-05-06T07:08:09Z")", R"("")"}) {
    try {
      (void)decode_json<system_clock::time_point>(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const DecodeError& e) {
      EXPECT_EQ(e.errors()[0].message, "expected RFC 3339 date-time, got " + std::string(bad))
          << bad;
    }
  }
  try {
    (void)decode_json<system_clock::time_point>(R"("9999-12-31T23:59:59Z")");
    ADD_FAILURE();
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.errors()[0].message, "out of range for time_point, got \"9999-12-31T23:59:59Z\"");
  }
}

TEST(CodecTime, EncodesUtcWithMicroseconds) {
  EXPECT_EQ(encode_json(at(0)), R"("1970-01-01T00:00:00Z")");
  EXPECT_EQ(encode_json(at(1714979289000000000)), R"("2024-05-06T07:08:09Z")");
  EXPECT_EQ(encode_json(at(1714979289123456789)), R"("2024-05-06T07:08:09.123456Z")");
  EXPECT_EQ(encode_json(at(1714979289000001000)), R"("2024-05-06T07:08:09.000001Z")");
  EXPECT_EQ(encode_json(at(1714979289000000999)), R"("2024-05-06T07:08:09Z")");
  EXPECT_EQ(encode_json(at(-1)), R"("1969-12-31T23:59:59.999999Z")");
  EXPECT_EQ(encode_json(at(-1000000000)), R"("1969-12-31T23:59:59Z")");
}

TEST(CodecPayload, ContentTypes) {
  static_assert(faststream::content_type_of<std::string>() == "text/plain");
  static_assert(faststream::content_type_of<Bytes>() == "application/octet-stream");
  static_assert(faststream::content_type_of<Item>() == "application/json");
  static_assert(faststream::content_type_of<std::vector<int>>() == "application/json");
  static_assert(faststream::Payload<Item> && faststream::Payload<std::string> &&
                faststream::Payload<Bytes>);
  static_assert(faststream::Payload<std::variant<Card, Cash>> && faststream::Payload<RawJson>);
  static_assert(!faststream::Payload<std::variant<int, std::string>>);
  static_assert(!faststream::Payload<char> && !faststream::Payload<std::vector<Bytes>>);
  static_assert(!faststream::JsonCodable<std::string_view>);
  const DecodeOptions o;
  const std::string body = R"({"sku":"a","price":1})";
  EXPECT_EQ(decode_payload<Item>(body, "", o).sku, "a");
  EXPECT_EQ(decode_payload<Item>(body, "application/json", o).sku, "a");
  EXPECT_EQ(decode_payload<Item>(body, "Application/JSON; charset=utf-8", o).sku, "a");
  EXPECT_EQ(decode_payload<Item>(body, "application/vnd.api+json", o).sku, "a");
  try {
    (void)decode_payload<Item>(body, "text/plain", o);
    ADD_FAILURE();
  } catch (const DecodeError& e) {
    EXPECT_STREQ(e.what(),
                 "Item: unsupported content type \"text/plain\" for a JSON payload (expected "
                 "application/json)");
  }
  EXPECT_THROW(decode_payload<Item>(body, "application/octet-stream", o), DecodeError);
  // text and bytes take the body as it is, whatever the content type
  EXPECT_EQ(decode_payload<std::string>(body, "application/json", o), body);
  EXPECT_EQ(decode_payload<std::string>("héllo", "text/plain", o), "héllo");
  EXPECT_EQ(decode_payload<Bytes>(std::string("\x00\xff", 2), "", o).data,
            std::string("\x00\xff", 2));
  try {
    (void)decode_payload<std::string>("a\xff", "text/plain", o);
    ADD_FAILURE();
  } catch (const DecodeError& e) {
    EXPECT_STREQ(e.what(), "string: invalid UTF-8 at offset 1");
  }
  DecodeOptions small;
  small.max_message_size = 3;
  EXPECT_THROW(decode_payload<Bytes>("abcd", "", small), DecodeError);
  EXPECT_THROW(decode_payload<std::string>("abcd", "", small), DecodeError);
  EXPECT_THROW(decode_payload<Item>("abcd", "", small), DecodeError);

  std::string out;
  encode_payload(std::string("txt"), out);
  encode_payload(Bytes{"|b|"}, out);
  encode_payload(Item{"i", 1, 1}, out);
  EXPECT_EQ(out, R"(txt|b|{"sku":"i","price":1.0,"qty":1})");
}

TEST(CodecModel, RuleMistakesAreReportedAtFirstUse) {
  EXPECT_EQ(faststream::codec_detail::model_info<Order>().fields[0].json_name, "order_id");
  EXPECT_FALSE(faststream::codec_detail::model_info<Order>().fields[2].required);  // optional
  EXPECT_FALSE(faststream::codec_detail::model_info<Order>().fields[4].required);  // with_default
  auto message = [](auto f) {
    try {
      f();
    } catch (const std::logic_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(
      message([] { (void)decode_json<bad::Unlisted>("{}"); }),
      "FASTSTREAM_FIELDS(Unlisted): field(...) names a member not listed in FASTSTREAM_MODEL");
  EXPECT_EQ(message([] { (void)encode_json(bad::DupAlias{}); }),
            "model DupAlias: two fields (or a field and the tag) named \"a\"");
  EXPECT_EQ(message([] {
              (void)faststream::json_schema<bad::BadPattern>();
            }).rfind("FASTSTREAM_FIELDS(BadPattern): field s: invalid pattern ([", 0),
            0u);
  EXPECT_EQ(
      message([] { (void)decode_json<bad::BadOneOf>("{}"); }),
      "FASTSTREAM_FIELDS(BadOneOf): field i: one_of() value of the wrong type for this field");
  EXPECT_EQ(message([] { (void)decode_json<bad::Twice>("{}"); }),
            "FASTSTREAM_FIELDS(Twice): a field is listed twice");
}

}  // namespace
