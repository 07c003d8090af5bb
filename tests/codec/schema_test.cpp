// JSON Schema: structure, and the cases for the jsonschema agreement test.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <fstream>

#include "test_models.hpp"

namespace other {
struct Item {
  int x = 0;
};
FASTSTREAM_MODEL(Item, x);
struct Holder {
  codec_test::Item a;
  other::Item b;
};
FASTSTREAM_MODEL(Holder, a, b);
}  // namespace other

namespace {

using namespace codec_test;
namespace json = boost::json;
using faststream::json_schema;
using faststream::json_schema_of;
using faststream::SchemaRegistry;

json::object parse(const std::string& text) {
  return json::parse(text).as_object();
}

TEST(CodecSchema, ModelStructure) {
  const json::object s = parse(json_schema<Order>());
  EXPECT_EQ(s.at("title"), "Order");
  EXPECT_EQ(s.at("description"), "An order");
  EXPECT_EQ(s.at("type"), "object");
  EXPECT_EQ(s.at("additionalProperties"), false);
  EXPECT_EQ(s.at("required"), json::parse(R"(["order_id","amount","items","payment","created"])"));
  const auto& p = s.at("properties").as_object();
  EXPECT_EQ(p.at("order_id"), json::parse(R"({"title":"Order Id","type":"string","minLength":1,)"
                                          R"("maxLength":16,"pattern":"^[A-Z0-9-]+$"})"));
  EXPECT_EQ(p.at("amount"), json::parse(R"({"title":"Amount","type":"number","minimum":0,)"
                                        R"("exclusiveMaximum":1000000,"description":"EUR"})"));
  EXPECT_EQ(p.at("note"),
            json::parse(R"({"title":"Note","anyOf":[{"type":"string","maxLength":10},)"
                        R"({"type":"null"}],"default":null})"));
  EXPECT_EQ(p.at("items"),
            json::parse(R"({"title":"Items","type":"array","items":{"$ref":"#/$defs/Item"},)"
                        R"("minItems":1,"maxItems":5})"));
  EXPECT_EQ(p.at("side"), json::parse(R"({"$ref":"#/$defs/Side","default":"buy"})"));
  EXPECT_EQ(p.at("tags").at("maxProperties"), 3);
  EXPECT_EQ(p.at("tags").at("default"), json::object());
  EXPECT_EQ(p.at("created"),
            json::parse(R"({"title":"Created","type":"string","format":"date-time"})"));
  EXPECT_EQ(p.at("currency"),
            json::parse(R"({"title":"Currency","type":"string","enum":["EUR","USD"],)"
                        R"("default":"EUR"})"));
  EXPECT_EQ(
      p.at("payment"),
      json::parse(R"({"title":"Payment","oneOf":[{"$ref":"#/$defs/Card"},{"$ref":"#/$defs/Cash"}],)"
                  R"("discriminator":{"propertyName":"type","mapping":{"card":"#/$defs/Card",)"
                  R"("cash":"#/$defs/Cash"}}})"));
  const auto& defs = s.at("$defs").as_object();
  EXPECT_EQ(defs.size(), 4u);  // Card, Cash, Item, Side (not Order itself)
  EXPECT_EQ(defs.at("Side"),
            json::parse(R"({"title":"Side","type":"string","enum":["buy","sell"]})"));
  EXPECT_EQ(defs.at("Card").at("required"), json::parse(R"(["type","number"])"));
  EXPECT_EQ(defs.at("Card").at("properties").at("type"),
            json::parse(R"({"const":"card","title":"Type","type":"string"})"));
  EXPECT_EQ(defs.at("Cash").at("required"), json::parse(R"(["type"])"));
  const auto& item = defs.at("Item").as_object();
  EXPECT_EQ(item.at("required"), json::parse(R"(["sku","price"])"));
  EXPECT_EQ(item.at("properties").at("qty"),
            json::parse(R"({"title":"Qty","type":"integer","minimum":-2147483648,"maximum":1000,)"
                        R"("exclusiveMinimum":0,"default":1})"));
}

TEST(CodecSchema, ScalarTypes) {
  EXPECT_EQ(parse(json_schema<bool>()), json::parse(R"({"type":"boolean"})"));
  EXPECT_EQ(parse(json_schema<std::int8_t>()),
            json::parse(R"({"type":"integer","minimum":-128,"maximum":127})"));
  EXPECT_EQ(parse(json_schema<std::uint64_t>()),
            json::parse(R"({"type":"integer","minimum":0,"maximum":18446744073709551615})"));
  EXPECT_EQ(parse(json_schema<double>()), json::parse(R"({"type":"number"})"));
  EXPECT_EQ(parse(json_schema<float>()),
            json::parse(R"({"type":"number","minimum":-3.4028235e+38,"maximum":3.4028235e+38})"));
  EXPECT_EQ(parse(json_schema<std::string>()), json::parse(R"({"type":"string"})"));
  EXPECT_EQ(parse(json_schema<faststream::RawJson>()), json::object());
  EXPECT_EQ(parse(json_schema<std::optional<std::string>>()),
            json::parse(R"({"anyOf":[{"type":"string"},{"type":"null"}]})"));
  EXPECT_EQ(parse(json_schema<std::map<std::string, bool>>()),
            json::parse(R"({"type":"object","additionalProperties":{"type":"boolean"}})"));
  EXPECT_EQ(parse(json_schema<Side>()),
            json::parse(R"({"title":"Side","type":"string","enum":["buy","sell"]})"));
  const auto list = parse(json_schema<std::vector<Item>>());
  EXPECT_EQ(list.at("items"), json::parse(R"({"$ref":"#/$defs/Item"})"));
  EXPECT_TRUE(list.at("$defs").as_object().contains("Item"));
}

TEST(CodecSchema, RecursiveModel) {
  const auto s = parse(json_schema<Node>());
  EXPECT_EQ(s.at("$ref"), "#/$defs/Node");
  EXPECT_EQ(s.at("$defs").at("Node").at("properties").at("children").at("items"),
            json::parse(R"({"$ref":"#/$defs/Node"})"));
}

TEST(CodecSchema, Registry) {
  SchemaRegistry reg("#/components/schemas/");
  EXPECT_EQ(json_schema_of<Order>(reg), R"({"$ref":"#/components/schemas/Order"})");
  EXPECT_EQ(json_schema_of<std::vector<Item>>(reg),
            R"({"type":"array","items":{"$ref":"#/components/schemas/Item"}})");
  EXPECT_EQ(json_schema_of<int>(reg),
            R"({"type":"integer","minimum":-2147483648,"maximum":2147483647})");
  std::vector<std::string> names;
  for (const auto& [name, def] : reg.definitions()) {
    names.push_back(name);
    EXPECT_NO_THROW(json::parse(def)) << def;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"Card", "Cash", "Item", "Order", "Side"}));
  EXPECT_NE(reg.definitions().at("Order").find("#/components/schemas/Item"), std::string::npos);
  // a second model named "Item" in another namespace is a clash, reported clearly
  try {
    (void)json_schema_of<other::Holder>(reg);
    ADD_FAILURE();
  } catch (const std::logic_error& e) {
    EXPECT_STREQ(
        e.what(),
        "JSON Schema: two different types are named \"Item\"; model and enum names must be unique");
  }
  EXPECT_EQ(faststream::model_name<Order>(), "Order");
}

// ---- agreement with jsonschema -------------------------------------------------------

struct Case {
  std::string name;
  std::string schema;
  std::string payload;
  bool accepted;
};

template <class T>
void add(std::vector<Case>& out, std::string_view name, std::string_view payload, bool expect) {
  bool accepted = true;
  std::string why;
  try {
    (void)faststream::decode_json<T>(payload);
  } catch (const faststream::DecodeError& e) {
    accepted = false;
    why = e.what();
  }
  EXPECT_EQ(accepted, expect) << name << ": " << payload << " " << why;
  out.push_back({std::string(name), json_schema<T>(), std::string(payload), accepted});
}

std::vector<Case> agreement_cases() {
  std::vector<Case> c;
  const std::string order =
      R"({"order_id":"ORD-1","amount":12.5,"note":"hi","items":[{"sku":"a","price":1.5,"qty":2}],)"
      R"("side":"sell","tags":{"x":1},"payment":{"type":"card","number":"123456789012"},)"
      R"("created":"2024-05-06T07:08:09.123456Z","currency":"USD"})";
  auto with = [&order](std::string_view from, std::string_view to) {
    std::string s = order;
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    s.replace(at, from.size(), to);
    return s;
  };
  add<Order>(c, "order ok", order, true);
  add<Order>(
      c, "order minimal",
      R"({"order_id":"A","amount":0,"items":[{"sku":"s","price":0}],"payment":{"type":"cash"},)"
      R"("created":"2024-01-01T00:00:00+01:00"})",
      true);
  add<Order>(c, "order null note", with(R"("note":"hi")", R"("note":null)"), true);
  add<Order>(c, "order missing id", with(R"("order_id":"ORD-1",)", ""), false);
  add<Order>(c, "order C++ name instead of alias", with(R"("order_id")", R"("id")"), false);
  add<Order>(c, "order empty id", with(R"("ORD-1")", R"("")"), false);
  add<Order>(c, "order id too long", with(R"("ORD-1")", R"("ORD-1234567890123")"), false);
  add<Order>(c, "order id pattern", with(R"("ORD-1")", R"("ord-1")"), false);
  add<Order>(c, "order negative amount", with(R"("amount":12.5)", R"("amount":-0.01)"), false);
  add<Order>(c, "order amount at exclusive max", with(R"("amount":12.5)", R"("amount":1000000)"),
             false);
  add<Order>(c, "order amount as string", with(R"("amount":12.5)", R"("amount":"12.5")"), false);
  add<Order>(c, "order amount integer", with(R"("amount":12.5)", R"("amount":12)"), true);
  add<Order>(c, "order note too long", with(R"("note":"hi")", R"("note":"01234567890")"), false);
  add<Order>(
      c, "order note 10 code points",
      with(R"("note":"hi")",
           "\"note\":"
           "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\""),
      true);
  add<Order>(c, "order no items", with(R"([{"sku":"a","price":1.5,"qty":2}])", "[]"), false);
  add<Order>(c, "order item missing price", with(R"("price":1.5,)", ""), false);
  add<Order>(c, "order item qty zero", with(R"("qty":2)", R"("qty":0)"), false);
  add<Order>(c, "order item qty 2.0", with(R"("qty":2)", R"("qty":2.0)"), true);
  add<Order>(c, "order item qty 2.5", with(R"("qty":2)", R"("qty":2.5)"), false);
  add<Order>(c, "order item qty bool", with(R"("qty":2)", R"("qty":true)"), false);
  add<Order>(c, "order item qty over int32", with(R"("qty":2)", R"("qty":2147483648)"), false);
  add<Order>(c, "order side unknown", with(R"("sell")", R"("hold")"), false);
  add<Order>(c, "order tags too many", with(R"({"x":1})", R"({"a":1,"b":2,"c":3,"d":4})"), false);
  add<Order>(c, "order tag not integer", with(R"({"x":1})", R"({"x":"1"})"), false);
  add<Order>(c, "order tag int64 min", with(R"({"x":1})", R"({"x":-9223372036854775808})"), true);
  add<Order>(c, "order tag below int64", with(R"({"x":1})", R"({"x":-9223372036854775809})"),
             false);
  add<Order>(
      c, "order payment cash",
      with(R"({"type":"card","number":"123456789012"})", R"({"type":"cash","currency":"USD"})"),
      true);
  add<Order>(c, "order payment unknown tag", with(R"("type":"card")", R"("type":"check")"), false);
  add<Order>(c, "order payment no tag", with(R"("type":"card",)", ""), false);
  add<Order>(c, "order payment bad card", with(R"("123456789012")", R"("12")"), false);
  add<Order>(
      c, "order payment bad currency",
      with(R"({"type":"card","number":"123456789012"})", R"({"type":"cash","currency":"GBP"})"),
      false);
  add<Order>(c, "order created offset",
             with(R"("2024-05-06T07:08:09.123456Z")", R"("2024-05-06T07:08:09-05:30")"), true);
  add<Order>(c, "order created no zone",
             with(R"("2024-05-06T07:08:09.123456Z")", R"("2024-05-06T07:08:09")"), false);
  add<Order>(c, "order created date only",
             with(R"("2024-05-06T07:08:09.123456Z")", R"("2024-05-06")"), false);
  add<Order>(c, "order created bad day",
             with(R"("2024-05-06T07:08:09.123456Z")", R"("2023-02-29T00:00:00Z")"), false);
  add<Order>(c, "order currency", with(R"("currency":"USD")", R"("currency":"GBP")"), false);
  add<Order>(c, "order unknown field", with(R"("currency":"USD")", R"("currency":"USD","x":1)"),
             false);
  add<Order>(c, "order not an object", "[]", false);
  add<Item>(c, "item ok, unknown field ignored", R"({"sku":"a","price":1,"extra":[1]})", true);
  add<Item>(c, "item price null", R"({"sku":"a","price":null})", false);
  add<Limits>(c, "limits ok",
              R"({"count":-5,"ratio":0.999,"code":"ab","list":[1,2,3],"attrs":{"a":"b"}})", true);
  add<Limits>(c, "limits count",
              R"({"count":6,"ratio":0.5,"code":"ab","list":[1],"attrs":{"a":"b"}})", false);
  add<Limits>(c, "limits ratio 0",
              R"({"count":0,"ratio":0,"code":"ab","list":[1],"attrs":{"a":"b"}})", false);
  add<Limits>(c, "limits code short",
              R"({"count":0,"ratio":0.5,"code":"a","list":[1],"attrs":{"a":"b"}})", false);
  add<Limits>(c, "limits code upper",
              R"({"count":0,"ratio":0.5,"code":"AB","list":[1],"attrs":{"a":"b"}})", false);
  add<Limits>(c, "limits code non-ascii",
              R"({"count":0,"ratio":0.5,"code":"\u00e9\u00e9","list":[1],"attrs":{"a":"b"}})",
              false);
  add<Limits>(c, "limits list long",
              R"({"count":0,"ratio":0.5,"code":"ab","list":[1,2,3,4],"attrs":{"a":"b"}})", false);
  add<Limits>(c, "limits attrs empty",
              R"({"count":0,"ratio":0.5,"code":"ab","list":[1],"attrs":{}})", false);
  add<Limits>(c, "limits level",
              R"({"count":0,"ratio":0.5,"code":"ab","list":[1],"attrs":{"a":"b"},"level":4})",
              false);
  add<Limits>(c, "limits level 2.0",
              R"({"count":0,"ratio":0.5,"code":"ab","list":[1],"attrs":{"a":"b"},"level":2.0})",
              true);
  add<Limits>(c, "limits weight",
              R"({"count":0,"ratio":0.5,"code":"ab","list":[1],"attrs":{"a":"b"},"weight":1})",
              false);
  add<Limits>(c, "limits enabled",
              R"({"count":0,"ratio":0.5,"code":"ab","list":[1],"attrs":{"a":"b"},"enabled":false})",
              false);
  add<Limits>(c, "limits label",
              R"({"count":0,"ratio":0.5,"code":"ab","list":[1],"attrs":{"a":"b"},"label":"xL"})",
              false);
  add<Limits>(c, "limits label ok",
              R"({"count":0,"ratio":0.5,"code":"ab","list":[1],"attrs":{"a":"b"},"label":"Lx"})",
              true);
  const std::string ints_tail = R"(,"i16":0,"u16":0,"i32":0,"u32":0,"i64":0,"u64":0})";
  add<Ints>(
      c, "ints limits",
      R"({"i8":-128,"u8":255,"i16":-32768,"u16":65535,"i32":-2147483648,"u32":4294967295,"i64":9223372036854775807,"u64":18446744073709551615})",
      true);
  add<Ints>(c, "ints i8 over", R"({"i8":128,"u8":0)" + ints_tail, false);
  add<Ints>(c, "ints u8 negative", R"({"i8":0,"u8":-1)" + ints_tail, false);
  add<Ints>(c, "ints u64 2^64",
            R"({"i8":0,"u8":0,"i16":0,"u16":0,"i32":0,"u32":0,"i64":0,"u64":18446744073709551616})",
            false);
  add<Ints>(c, "ints i64 2^63",
            R"({"i8":0,"u8":0,"i16":0,"u16":0,"i32":0,"u32":0,"i64":9223372036854775808,"u64":0})",
            false);
  add<Ints>(c, "ints 1e2", R"({"i8":1e2,"u8":0)" + ints_tail, true);
  const std::string sc =
      R"("text":"","raw":{"any":[1,"x"]},"grid":[[1],[]],"by_sku":{"k":{"sku":"k","price":2}},"bits":[true],"sides":["buy"]})";
  add<Scalars>(c, "scalars ok", R"({"flag":true,"f":3.4e38,"d":-1e308,)" + sc, true);
  add<Scalars>(c, "scalars float too big", R"({"flag":true,"f":3.5e38,"d":0,)" + sc, false);
  add<Scalars>(c, "scalars flag as int", R"({"flag":1,"f":0,"d":0,)" + sc, false);
  add<Scalars>(
      c, "scalars raw null",
      R"({"flag":true,"f":0,"d":0,"text":"","raw":null,"grid":[],"by_sku":{},"bits":[],"sides":[]})",
      true);
  add<Scalars>(c, "scalars raw missing",
               R"({"flag":true,"f":0,"d":0,"text":"","grid":[],"by_sku":{},"bits":[],"sides":[]})",
               false);
  add<Scalars>(
      c, "scalars grid wrong",
      R"({"flag":true,"f":0,"d":0,"text":"","raw":1,"grid":[1],"by_sku":{},"bits":[],"sides":[]})",
      false);
  add<Scalars>(
      c, "scalars map item bad",
      R"({"flag":true,"f":0,"d":0,"text":"","raw":1,"grid":[],"by_sku":{"k":{"sku":"k","price":-1}},"bits":[],"sides":[]})",
      false);
  add<Node>(c, "node tree", R"({"name":"a","children":[{"name":"b","children":[]}]})", true);
  add<Node>(c, "node deep bad",
            R"({"name":"a","children":[{"name":"b","children":[{"children":[]}]}]})", false);
  add<std::vector<Payment>>(c, "payments",
                            R"([{"type":"cash"},{"type":"card","number":"1234567890123"}])", true);
  add<std::vector<Payment>>(c, "payments bad", R"([{"type":"cash"},{"type":"card"}])", false);
  add<Event>(c, "event lowercase t z", R"({"at":"2024-05-06t07:08:09z","until":null})", true);
  add<Event>(c, "event fraction", R"({"at":"2024-05-06T07:08:09.000000001+14:00"})", true);
  add<Event>(c, "event space separator", R"({"at":"2024-05-06 07:08:09Z"})", false);
  add<Event>(c, "event bad month", R"({"at":"2024-13-06T07:08:09Z"})", false);
  add<Side>(c, "side", R"("sell")", true);
  add<Side>(c, "side case", R"("Sell")", false);
  return c;
}

TEST(CodecSchemaAgreement, WriteCases) {
  const std::vector<Case> cases = agreement_cases();
  EXPECT_GE(cases.size(), 40u);
  json::array out;
  for (const Case& k : cases) {
    EXPECT_NO_THROW(json::parse(k.schema)) << k.schema;
    out.push_back(json::object{
        {"name", k.name}, {"schema", k.schema}, {"payload", k.payload}, {"accepted", k.accepted}});
  }
  // Written for tests/codec/schema_agreement.py when run by CTest's CodecSchemaCases.
  if (const char* path = std::getenv("FASTSTREAM_SCHEMA_CASES")) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << json::serialize(out);
    ASSERT_TRUE(f.good()) << path;
  }
}

}  // namespace
