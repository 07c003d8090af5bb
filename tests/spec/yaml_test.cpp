// The JSON/YAML emitter of src/spec (sans-I/O). Round trips through real YAML loaders are in
// yaml_roundtrip.py (PyYAML, YAML 1.1) and yaml_roundtrip.js (js-yaml, YAML 1.2), on the
// corpus written by AsyncApiFiles.Write.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "spec/yaml.hpp"
#include "spec_files.hpp"

namespace {

namespace json = boost::json;
using faststream::spec::number_text;
using faststream::spec::quote;
using faststream::spec::to_json;
using faststream::spec::to_yaml;
using faststream::spec::yaml_plain_safe;

TEST(AsyncApiYaml, PlainOnlyWhenUnambiguous) {
  for (const char* s : {"orders", "orders:HandleOrder", "HandleOrder:Message:Payload", "$ref",
                        "/a/b", "_x", "An order placed by a customer", "logs.level", "a-b_c.d"})
    EXPECT_TRUE(yaml_plain_safe(s)) << s;
  for (const char* s : {"",
                        "yes",
                        "No",
                        "ON",
                        "off",
                        "y",
                        "N",
                        "true",
                        "False",
                        "null",
                        "NULL",
                        "~",
                        "1",
                        "1.0",
                        "1.0.3",
                        "0x1F",
                        "1:20",
                        ".inf",
                        ".nan",
                        "-",
                        "- a",
                        "---",
                        "...",
                        "a: b",
                        "a:",
                        "a #b",
                        "a ",
                        " a",
                        "a  b",
                        "#x",
                        "@x",
                        "`x",
                        "!tag",
                        "&a",
                        "*a",
                        "|",
                        ">",
                        "%x",
                        "'a'",
                        "\"a\"",
                        "{a}",
                        "[a]",
                        "a,b",
                        "<<",
                        "=",
                        "?",
                        "a\nb",
                        "a\tb",
                        "caf\xc3\xa9",
                        "x{level}",
                        "#/components/schemas/Order",
                        "$message.header#/correlation_id",
                        "2024-01-01"})
    EXPECT_FALSE(yaml_plain_safe(s)) << s;
}

TEST(AsyncApiYaml, QuotesWithJsonEscapes) {
  EXPECT_EQ(quote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(quote("l1\nl2\tx\r\b\f"), R"("l1\nl2\tx\r\b\f")");
  EXPECT_EQ(quote(std::string("\x01\x7f", 2)), R"("\u0001\u007F")");
  EXPECT_EQ(quote("caf\xc3\xa9 \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
  // NEL, line separator and BOM are escaped: YAML readers break lines on or reject them.
  EXPECT_EQ(quote("\xc2\x85\xe2\x80\xa8\xef\xbb\xbf"), R"("\u0085\u2028\uFEFF")");
  // Not UTF-8: each bad byte becomes U+FFFD, so the output is always valid text.
  EXPECT_EQ(quote("a\xff\xc3"), "\"a\xef\xbf\xbd\xef\xbf\xbd\"");
  EXPECT_EQ(quote("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");  // a surrogate
}

TEST(AsyncApiYaml, NumbersReadBackAsTheSameType) {
  EXPECT_EQ(number_text(json::value(42)), "42");
  EXPECT_EQ(number_text(json::value(-7)), "-7");
  EXPECT_EQ(number_text(json::value(18446744073709551615ULL)), "18446744073709551615");
  EXPECT_EQ(number_text(json::value(1.5)), "1.5");
  EXPECT_EQ(number_text(json::value(100.0)), "100.0");
  EXPECT_EQ(number_text(json::value(1e20)), "1.0e+20");
  EXPECT_EQ(number_text(json::value(1e-7)), "1.0e-07");
  EXPECT_EQ(number_text(json::value(-3.4028235e+38)), "-3.4028235e+38");
}

TEST(AsyncApiYaml, BlockStyle) {
  const json::value doc = json::parse(R"({
    "asyncapi": "3.0.0",
    "info": {"title": "orders", "version": "1.0.0"},
    "empty": {}, "none": [], "nothing": null, "flag": false,
    "list": [1, "two", {"a": 1, "b": {"c": [true]}}, [3, [4]], [], {}],
    "#/x": {"$ref": "#/components/schemas/Order"}
  })");
  EXPECT_EQ(to_yaml(doc),
            "asyncapi: \"3.0.0\"\n"
            "info:\n"
            "  title: orders\n"
            "  version: \"1.0.0\"\n"
            "empty: {}\n"
            "none: []\n"
            "nothing: null\n"
            "flag: false\n"
            "list:\n"
            "  - 1\n"
            "  - two\n"
            "  - a: 1\n"
            "    b:\n"
            "      c:\n"
            "        - true\n"
            "  - - 3\n"
            "    - - 4\n"
            "  - []\n"
            "  - {}\n"
            "\"#/x\":\n"
            "  $ref: \"#/components/schemas/Order\"\n");
}

TEST(AsyncApiYaml, LongKeysAreExplicit) {
  const std::string key(600, 'k');
  json::object o;
  o[key] = json::object{{"a", 1}};
  EXPECT_EQ(to_yaml(o), "? \"" + key + "\"\n:\n  a: 1\n");
}

TEST(AsyncApiYaml, ScalarAndEmptyRoots) {
  EXPECT_EQ(to_yaml(json::value("yes")), "\"yes\"\n");
  EXPECT_EQ(to_yaml(json::object{}), "{}\n");
  EXPECT_EQ(to_yaml(json::array{}), "[]\n");
}

TEST(AsyncApiYaml, PrettyJson) {
  const json::value doc = json::parse(R"({"a": [1, {"b": "x"}], "e": {}, "f": [], "d": 2.0})");
  EXPECT_EQ(to_json(doc),
            "{\n"
            "  \"a\": [\n"
            "    1,\n"
            "    {\n"
            "      \"b\": \"x\"\n"
            "    }\n"
            "  ],\n"
            "  \"e\": {},\n"
            "  \"f\": [],\n"
            "  \"d\": 2.0\n"
            "}\n");
  // The output parses back to the same data.
  EXPECT_EQ(json::parse(to_json(spec_test::yaml_corpus())), spec_test::yaml_corpus());
}

}  // namespace
