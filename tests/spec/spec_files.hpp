#pragma once
// Data the tests write for the Node and Python checks.
#include <boost/json.hpp>

#include <string>
#include <vector>

namespace spec_test {

// Strings and numbers a YAML reader could take for something else, as keys and as values.
inline boost::json::value yaml_corpus() {
  namespace json = boost::json;
  const std::vector<std::string> strings = {"",
                                            " ",
                                            "plain",
                                            "yes",
                                            "Yes",
                                            "NO",
                                            "on",
                                            "Off",
                                            "y",
                                            "n",
                                            "true",
                                            "False",
                                            "null",
                                            "Null",
                                            "~",
                                            "0",
                                            "1",
                                            "-1",
                                            "+1",
                                            "1.0",
                                            "1e3",
                                            "1.0e+3",
                                            ".5",
                                            "0x1F",
                                            "0o17",
                                            "017",
                                            "0b101",
                                            "1_000",
                                            "1:20",
                                            "190:20:30",
                                            ".inf",
                                            "-.inf",
                                            ".NaN",
                                            "2024-01-02",
                                            "2024-01-02T03:04:05Z",
                                            "1.0.3",
                                            "-",
                                            "- a",
                                            "--- a",
                                            "---",
                                            "...",
                                            "? a",
                                            ": a",
                                            "a: b",
                                            "a:b",
                                            "a:",
                                            "a #b",
                                            "a#b",
                                            "#b",
                                            "@x",
                                            "`x",
                                            "!x",
                                            "&x",
                                            "*x",
                                            "|",
                                            ">",
                                            "%x",
                                            "'q'",
                                            "\"q\"",
                                            "{a: 1}",
                                            "[1, 2]",
                                            "a, b",
                                            "<<",
                                            "=",
                                            "a\nb",
                                            "a\r\nb",
                                            "tab\there",
                                            " lead",
                                            "trail ",
                                            "two  spaces",
                                            "back\\slash",
                                            "caf\xc3\xa9",
                                            "\xe2\x82\xac 5",
                                            "\xf0\x9f\x98\x80",
                                            "nel\xc2\x85",
                                            "ls\xe2\x80\xa8",
                                            "bom\xef\xbb\xbf",
                                            std::string("nul\0x", 5),
                                            "\x1b[0m",
                                            "del\x7f",
                                            "#/components/schemas/Order",
                                            "$message.header#/correlation_id",
                                            "logs.{level}:HandleString",
                                            "events:[HandleCreated,HandleString]"};
  json::object by_key;
  json::array values;
  for (const auto& s : strings) {
    by_key[s] = s;
    values.push_back(json::value(s));
  }
  json::array numbers = {0,
                         -0.0,
                         1,
                         -1,
                         1.5,
                         100.0,
                         1e20,
                         1e-7,
                         -3.4028235e+38,
                         9007199254740993LL,
                         -9223372036854775807LL - 1,
                         18446744073709551615ULL,
                         0.1,
                         123456789.125};
  json::object doc;
  doc["strings"] = std::move(values);
  doc["keys"] = std::move(by_key);
  doc["numbers"] = std::move(numbers);
  doc["scalars"] = json::array{true, false, nullptr};
  doc["empty"] = json::object{{"object", json::object{}}, {"array", json::array{}}};
  doc["nested"] = json::array{json::array{json::array{1, 2}, json::array{}},
                              json::object{{"a", json::array{json::object{{"b", nullptr}}}}}};
  doc[std::string(600, 'k')] = "a key longer than YAML's implicit-key limit";
  return doc;
}

}  // namespace spec_test
