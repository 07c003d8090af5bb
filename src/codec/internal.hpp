// Declarations shared by the src/codec translation units. Not installed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "faststream/codec.hpp"

namespace faststream::codec_detail {

// ---- tape: the parsed document as a flat token array -----------------------------------

enum class TokKind : std::uint8_t {
  object,
  array,
  key,
  string,
  int64,
  uint64,
  dbl,
  true_,
  false_,
  null
};

struct Tok {
  TokKind kind;
  std::uint32_t n;    // string/key/number text length; container member count
  std::uint32_t end;  // index one past this value's last token
  const char* text;   // string/key value (unescaped) or number source text
  union {
    std::int64_t i;
    std::uint64_t u;
    double d;
  };
};

struct Tape {
  std::vector<Tok> toks;
  std::vector<std::uint32_t> open;  // indexes of open containers while parsing
  std::vector<char> arena;          // unescaped strings that are not verbatim in the input
};

/// Parses `json` into `tape`. On failure returns false and sets `error` (message for the root).
bool build_tape(std::string_view json, std::size_t max_depth, Tape& tape, std::string& error);

/// The value at `i` and everything inside it ends before the returned index.
inline std::uint32_t skip_value(const Tape& t, std::uint32_t i) {
  const Tok& k = t.toks[i];
  return (k.kind == TokKind::object || k.kind == TokKind::array) ? k.end : i + 1;
}

/// Compact JSON text of the value at tokens [begin, end).
void write_tape_json(const Tok* toks, std::uint32_t begin, std::uint32_t end, std::string& out);

// ---- text helpers ----------------------------------------------------------------------

/// Offset of the first invalid UTF-8 byte, or npos.
std::size_t find_invalid_utf8(std::string_view s) noexcept;
/// Number of code points of valid UTF-8.
std::size_t count_code_points(std::string_view s) noexcept;
/// A short human-readable rendering of a JSON value for error messages ("abc", 12, object).
std::string render_token(const Tok& t);
/// `"text"` JSON-quoted, shortened to about `max` bytes.
std::string quote_short(std::string_view s, std::size_t max = 60);

bool parse_rfc3339(std::string_view s, time_point& out, bool& out_of_range);
void format_rfc3339(time_point t, std::string& out);

// ---- rules -----------------------------------------------------------------------------

/// Searches the compiled pattern in `s` (valid UTF-8). `failed` is set when the regex engine gave
/// up.
bool pattern_search(const CompiledPattern& p, std::string_view s, bool& failed);

/// "int32", "vector<Order>", "optional<string>", ...
std::string type_display_name(const TypeDesc& t);

[[noreturn]] void throw_decode_error(const TypeDesc& t, std::string message);

}  // namespace faststream::codec_detail
