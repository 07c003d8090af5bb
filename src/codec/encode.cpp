// JSON output primitives and UTF-8 helpers.
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>

#include "codec/internal.hpp"

namespace faststream::codec_detail {

namespace {

// Length of the valid UTF-8 sequence starting at s[i] (0 if invalid). s[i] >= 0x80.
std::size_t utf8_seq(const unsigned char* s, std::size_t i, std::size_t n) noexcept {
  const unsigned char c = s[i];
  auto cont = [&](std::size_t k) { return i + k < n && (s[i + k] & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    const unsigned char c1 = s[i + 1];
    if (c == 0xE0 && c1 < 0xA0) return 0;   // overlong
    if (c == 0xED && c1 >= 0xA0) return 0;  // surrogates
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const unsigned char c1 = s[i + 1];
    if (c == 0xF0 && c1 < 0x90) return 0;   // overlong
    if (c == 0xF4 && c1 >= 0x90) return 0;  // > U+10FFFF
    return 4;
  }
  return 0;
}

constexpr char kHex[] = "0123456789abcdef";

// 0: copy, 1: escape, 2: non-ASCII (validate).
struct EscapeTable {
  unsigned char v[256];
  constexpr EscapeTable() : v() {
    for (int i = 0; i < 256; ++i) v[i] = i < 0x20 ? 1 : (i >= 0x80 ? 2 : 0);
    v[static_cast<unsigned char>('"')] = 1;
    v[static_cast<unsigned char>('\\')] = 1;
  }
};
constexpr EscapeTable kEscape;

}  // namespace

std::size_t find_invalid_utf8(std::string_view str) noexcept {
  const auto* s = reinterpret_cast<const unsigned char*>(str.data());
  const std::size_t n = str.size();
  std::size_t i = 0;
  while (i < n) {
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    const std::size_t k = utf8_seq(s, i, n);
    if (k == 0) return i;
    i += k;
  }
  return std::string_view::npos;
}

std::size_t count_code_points(std::string_view s) noexcept {
  std::size_t n = 0;
  for (char ch : s) n += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
  return n;
}

void enc_string(std::string& out, std::string_view str) {
  const auto* s = reinterpret_cast<const unsigned char*>(str.data());
  const std::size_t n = str.size();
  out.push_back('"');
  std::size_t run = 0;  // start of the pending verbatim run
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    const unsigned char e = kEscape.v[c];
    if (e == 0) {
      ++i;
      continue;
    }
    if (e == 2) {
      const std::size_t k = utf8_seq(s, i, n);
      if (k != 0) {
        i += k;
        continue;
      }
    }
    out.append(str.data() + run, i - run);
    if (e == 2) {
      out.append("\\ufffd");  // invalid UTF-8 byte
    } else {
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
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
        case '\b':
          out.append("\\b");
          break;
        case '\f':
          out.append("\\f");
          break;
        default: {
          const char u[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
          out.append(u, sizeof u);
        }
      }
    }
    ++i;
    run = i;
  }
  out.append(str.data() + run, n - run);
  out.push_back('"');
}

void enc_int(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void enc_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

namespace {
template <class F>
void enc_floating(std::string& out, F v) {
  if (!std::isfinite(v)) {
    out.append("null");  // JSON has no NaN/Infinity (pydantic's default too)
    return;
  }
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
  // Keep floats recognisable as such for dynamically typed peers: 2 -> 2.0.
  if (std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)).find_first_of(".en") ==
      std::string_view::npos) {
    out.append(".0");
  }
}
}  // namespace

void enc_double(std::string& out, double v) {
  enc_floating(out, v);
}
void enc_float(std::string& out, float v) {
  enc_floating(out, v);
}

void enc_time(std::string& out, time_point t) {
  out.push_back('"');
  format_rfc3339(t, out);
  out.push_back('"');
}

void enc_raw(std::string& out, std::string_view text) {
  if (text.empty()) {
    out.append("null");
  } else {
    out.append(text);
  }
}

void throw_unnamed_enum(const EnumInfo& e, std::int64_t value) {
  throw std::invalid_argument(std::string(e.name) + ": value " + std::to_string(value) +
                              " has no enumerator name (FASTSTREAM_ENUM) and cannot be encoded");
}

std::string quote_short(std::string_view s, std::size_t max) {
  std::string out;
  if (s.size() <= max) {
    enc_string(out, s);
    return out;
  }
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  enc_string(out, s.substr(0, cut));
  out.insert(out.size() - 1, "...");
  return out;
}

std::string render_token(const Tok& t) {
  switch (t.kind) {
    case TokKind::object:
      return "object";
    case TokKind::array:
      return "array";
    case TokKind::key:
    case TokKind::string:
      return quote_short(std::string_view(t.text, t.n));
    case TokKind::int64:
    case TokKind::uint64:
    case TokKind::dbl: {
      const std::string_view s(t.text, t.n);
      return s.size() > 40 ? std::string(s.substr(0, 37)) + "..." : std::string(s);
    }
    case TokKind::true_:
      return "true";
    case TokKind::false_:
      return "false";
    case TokKind::null:
      return "null";
  }
  return "?";
}

}  // namespace faststream::codec_detail
