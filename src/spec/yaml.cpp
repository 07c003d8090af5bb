// JSON and YAML text from a Boost.JSON tree (see yaml.hpp for the quoting rules).
#include "spec/yaml.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <system_error>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

namespace faststream::spec {

namespace {

namespace json = boost::json;

// Longest key written as a YAML implicit key; YAML loaders cap those at 1024 characters.
constexpr std::size_t kMaxImplicitKey = 512;

// Decodes one UTF-8 sequence at s[i]; returns the code point and sets `len`, or returns
// 0xFFFFFFFF with len = 1 for an invalid byte (overlong, surrogate, truncated, > U+10FFFF).
std::uint32_t decode_utf8(std::string_view s, std::size_t i, std::size_t& len) {
  const auto byte = [&s](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  len = 1;
  if (c < 0x80) return c;
  std::size_t n = 0;
  std::uint32_t cp = 0;
  std::uint32_t min = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
    min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
    min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
    min = 0x10000;
  } else {
    return 0xFFFFFFFF;
  }
  if (i + n > s.size()) return 0xFFFFFFFF;
  for (std::size_t k = 1; k < n; ++k) {
    const unsigned char cc = byte(i + k);
    if ((cc & 0xC0) != 0x80) return 0xFFFFFFFF;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFFFFFF;
  len = n;
  return cp;
}

// \uXXXX for a code point below U+10000 (callers escape only control and format characters).
void append_u_escape(std::string& out, std::uint32_t cp) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.append("\\u");
  for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(cp >> shift) & 0xF]);
}

bool is_reserved_word(std::string_view s) {
  // YAML 1.1 booleans and nulls (1.2 has a subset), compared case-insensitively.
  static constexpr std::array<std::string_view, 9> words = {"y",   "n",    "yes",   "no",  "on",
                                                            "off", "true", "false", "null"};
  for (std::string_view w : words) {
    if (w.size() != s.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < w.size() && same; ++i) {
      char ch = s[i];
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
      same = ch == w[i];
    }
    if (same) return true;
  }
  return false;
}

bool is_alnum(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

std::string scalar_text(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return v.get_bool() ? "true" : "false";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return number_text(v);
    case json::kind::string:
      return quote(v.get_string());
    default:
      return {};
  }
}

// --- JSON ----------------------------------------------------------------------------------

void pad(std::string& out, std::size_t indent) {
  out.append(indent, ' ');
}

void json_value(std::string& out, const json::value& v, std::size_t indent) {
  if (v.is_object()) {
    const auto& o = v.get_object();
    if (o.empty()) {
      out.append("{}");
      return;
    }
    out.append("{\n");
    bool first = true;
    for (const auto& kv : o) {
      if (!first) out.append(",\n");
      first = false;
      pad(out, indent + 2);
      out.append(quote(kv.key()));
      out.append(": ");
      json_value(out, kv.value(), indent + 2);
    }
    out.push_back('\n');
    pad(out, indent);
    out.push_back('}');
  } else if (v.is_array()) {
    const auto& a = v.get_array();
    if (a.empty()) {
      out.append("[]");
      return;
    }
    out.append("[\n");
    bool first = true;
    for (const auto& item : a) {
      if (!first) out.append(",\n");
      first = false;
      pad(out, indent + 2);
      json_value(out, item, indent + 2);
    }
    out.push_back('\n');
    pad(out, indent);
    out.push_back(']');
  } else {
    out.append(scalar_text(v));
  }
}

// --- YAML ----------------------------------------------------------------------------------

std::string yaml_scalar(const json::value& v) {
  if (v.is_string() && yaml_plain_safe(v.get_string())) return std::string(v.get_string());
  if (v.is_object()) return "{}";  // only called for empty containers
  if (v.is_array()) return "[]";
  return scalar_text(v);
}

bool is_block(const json::value& v) {
  return (v.is_object() && !v.get_object().empty()) || (v.is_array() && !v.get_array().empty());
}

void yaml_mapping(std::string& out, const json::object& o, std::size_t indent, bool inline_first);
void yaml_sequence(std::string& out, const json::array& a, std::size_t indent, bool inline_first);

// The value of a mapping entry, after "key:".
void yaml_entry_value(std::string& out, const json::value& v, std::size_t indent) {
  if (!is_block(v)) {
    out.push_back(' ');
    out.append(yaml_scalar(v));
    out.push_back('\n');
  } else if (v.is_object()) {
    out.push_back('\n');
    yaml_mapping(out, v.get_object(), indent + 2, false);
  } else {
    out.push_back('\n');
    yaml_sequence(out, v.get_array(), indent + 2, false);
  }
}

void yaml_mapping(std::string& out, const json::object& o, std::size_t indent, bool inline_first) {
  bool first = true;
  for (const auto& kv : o) {
    if (!(first && inline_first)) pad(out, indent);
    first = false;
    const std::string_view key = kv.key();
    if (key.size() > kMaxImplicitKey) {
      // Explicit key: "? key" then ": value" at the same indentation.
      out.append("? ");
      out.append(quote(key));
      out.push_back('\n');
      pad(out, indent);
      out.push_back(':');
    } else {
      out.append(yaml_plain_safe(key) ? std::string(key) : quote(key));
      out.push_back(':');
    }
    yaml_entry_value(out, kv.value(), indent);
  }
}

void yaml_sequence(std::string& out, const json::array& a, std::size_t indent, bool inline_first) {
  bool first = true;
  for (const auto& item : a) {
    if (!(first && inline_first)) pad(out, indent);
    first = false;
    out.append("- ");
    if (!is_block(item)) {
      out.append(yaml_scalar(item));
      out.push_back('\n');
    } else if (item.is_object()) {
      yaml_mapping(out, item.get_object(), indent + 2, true);
    } else {
      yaml_sequence(out, item.get_array(), indent + 2, true);
    }
  }
}

}  // namespace

bool yaml_plain_safe(std::string_view s) {
  if (s.empty()) return false;
  const char first = s.front();
  if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') || first == '_' ||
        first == '/' || first == '$'))
    return false;
  if (is_reserved_word(s)) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    const bool last = i + 1 == s.size();
    if (is_alnum(ch) || ch == '_' || ch == '.' || ch == '/' || ch == '$' || ch == '-' ||
        ch == '(' || ch == ')')
      continue;
    // ": " starts a value and " #" a comment; a final ':' or ' ' would be lost or misread.
    if (ch == ':' && !last && s[i + 1] != ' ') continue;
    if (ch == ' ' && !last && s[i + 1] != ' ' && s[i + 1] != '#') continue;
    return false;
  }
  return true;
}

std::string quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    std::size_t len = 1;
    const std::uint32_t cp = decode_utf8(s, i, len);
    switch (cp) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case 0xFFFFFFFF:
        out.append("\xEF\xBF\xBD");  // U+FFFD for a byte that is not UTF-8
        break;
      default:
        // Controls, C1 controls (incl. NEL), line/paragraph separators, BOM and non-characters:
        // YAML readers reject or reinterpret them raw.
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
            cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF) {
          append_u_escape(out, cp);
        } else {
          out.append(s.substr(i, len));
        }
    }
    i += len;
  }
  out.push_back('"');
  return out;
}

std::string number_text(const json::value& v) {
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  const double d = v.to_number<double>();
  if (!std::isfinite(d)) return "null";  // JSON has no NaN/Infinity
  std::array<char, 64> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), d);
  std::string text(buf.data(), res.ptr);
  // YAML 1.1 reads a float only with a '.' and a signed exponent: "1e+20" -> "1.0e+20".
  const auto e = text.find_first_of("eE");
  const std::string mantissa = text.substr(0, e);
  const std::string exponent = e == std::string::npos ? std::string() : text.substr(e + 1);
  std::string result = mantissa;
  if (mantissa.find('.') == std::string::npos) result.append(".0");
  if (!exponent.empty()) {
    result.push_back('e');
    if (exponent.front() != '+' && exponent.front() != '-') result.push_back('+');
    result.append(exponent);
  }
  return result;
}

std::string to_json(const json::value& value) {
  std::string out;
  json_value(out, value, 0);
  out.push_back('\n');
  return out;
}

std::string to_yaml(const json::value& value) {
  std::string out;
  if (value.is_object() && !value.get_object().empty()) {
    yaml_mapping(out, value.get_object(), 0, false);
  } else if (value.is_array() && !value.get_array().empty()) {
    yaml_sequence(out, value.get_array(), 0, false);
  } else {
    out.append(yaml_scalar(value));
    out.push_back('\n');
  }
  return out;
}

}  // namespace faststream::spec
