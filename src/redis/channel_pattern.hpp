#pragma once
// Sans-I/O Redis channel declarations, FastStream-compatible: `logs.{level}` is subscribed
// as the pattern `logs.*` and `{level}` captures one dot-free token of the concrete channel;
// `orders.*` is a pattern subscription without captures. Plus Redis's own glob matcher.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faststream::redis {

struct ChannelPattern {
  std::string declared;             // as written, e.g. "logs.{level}"
  std::string redis_name;           // what to (P)SUBSCRIBE to, e.g. "logs.*"
  bool pattern = false;             // PSUBSCRIBE rather than SUBSCRIBE
  std::vector<std::string> params;  // path parameter names in declaration order
  // Offsets in redis_name of the `*` each parameter became (parallel to params).
  std::vector<std::size_t> param_offsets;

  // Whether the concrete `channel` (as Redis delivered it) fits the declaration; replaces
  // `out` with one (name, value) per parameter (cleared when it does not fit). Literal parts
  // follow Redis's glob rules when pattern is set (exact comparison otherwise), a plain `*`
  // spans anything (dots included), a `{param}` is one or more characters other than '.'.
  // Example: `logs.{level}` fits "logs.info" but not "logs.a.b", which Redis still delivers
  // to `logs.*` (its glob `*` spans dots). Among several ways to fit, the leftmost `*` or
  // parameter takes the longest text (as FastStream's regex does).
  bool capture(std::string_view channel,
               std::vector<std::pair<std::string, std::string>>& out) const;
};

// Compiles a declared channel. `{name}` (letters, digits, '_'; not starting with a digit)
// is a path parameter and becomes `*`; `{{` and `}}` are literal braces (as in FastStream
// 0.7.8: `a{{b}}` names the channel `a{b}`); other braces are literal. `pattern` forces
// PSUBSCRIBE; a parameter or any `*` in the name implies it. Throws ConfigError for a
// duplicated parameter name, a name starting with a digit, or a parameter that Redis would
// not see as a `*` wildcard (inside `[...]` or right after a `\` escape).
ChannelPattern compile_channel(std::string_view declared, bool pattern = false);

// Redis's glob matching (stringmatchlen, case-sensitive), as PSUBSCRIBE applies it: `*`,
// `?`, `[abc]`, `[^a]`, `[a-z]`, `\` escapes. Faithful to its corner cases: an empty text
// matches only an empty pattern (not even "*"), an unterminated `[` runs to the pattern's
// end, range bounds compare as signed chars (x86), more than 1000 nested `*` never match.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace faststream::redis
