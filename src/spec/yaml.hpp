#pragma once
// Text emitters for a JSON tree: pretty JSON and block-style YAML (sans-I/O, no YAML library).
//
// The YAML is written so that any YAML 1.1 or 1.2 loader (PyYAML, js-yaml) reads back exactly
// the JSON data: a string is written plain only when it cannot be read as anything else
// (starts with a letter, `_`, `/` or `$`, uses a small safe alphabet, is no boolean/null word);
// every other string is double-quoted with JSON escapes. Numbers are written so that both YAML
// versions read integers as integers and floating-point values as floats.
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace faststream::spec {

// Pretty JSON: 2-space indent, `"key": value`, empty containers as {} and [], final newline.
std::string to_json(const boost::json::value& value);

// Block-style YAML (mappings and sequences), final newline.
std::string to_yaml(const boost::json::value& value);

// --- Exposed for the tests ---------------------------------------------------------------------
// Whether `text` may be written as a plain (unquoted) YAML scalar.
bool yaml_plain_safe(std::string_view text);
// `text` double-quoted with JSON escapes (also valid YAML); invalid UTF-8 becomes U+FFFD.
std::string quote(std::string_view text);
// A number as JSON/YAML text: integers as is, doubles always with a '.' (and a signed exponent).
std::string number_text(const boost::json::value& number);

}  // namespace faststream::spec
