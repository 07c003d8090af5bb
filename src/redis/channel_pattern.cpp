#include "redis/channel_pattern.hpp"

#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <set>

#include "faststream/exceptions.hpp"

namespace faststream::redis {
namespace {

// Redis gives up (no match) beyond this many nested `*` (stringmatchlen's nesting guard).
constexpr int max_nesting = 1000;

// Where the character class starting at `open` ('[') ends: the index of its ']' or, for an
// unterminated class, the pattern's size. Same scanning rules as the matcher below.
std::size_t class_end(std::string_view pat, std::size_t open) {
  std::size_t p = open + 1;
  if (p < pat.size() && pat[p] == '^') ++p;
  while (p < pat.size()) {
    if (pat[p] == '\\' && pat.size() - p >= 2) {
      p += 2;
    } else if (pat[p] == ']') {
      return p;
    } else if (pat.size() - p >= 3 && pat[p + 1] == '-') {
      p += 3;
    } else {
      ++p;
    }
  }
  return pat.size();
}

// One glob matcher for two jobs:
//  - Redis mode (no parameters): PSUBSCRIBE's semantics, `*` tried shortest first with
//    Redis's "a later start cannot help" cut-off;
//  - capture mode: some `*` stand for `{param}` (one or more non-'.' characters) and every
//    `*` or parameter is tried longest first, like FastStream's greedy regex. A memo of
//    failed (pattern, text) positions keeps the backtracking polynomial.
class Matcher {
 public:
  using Span = std::pair<std::size_t, std::size_t>;  // [begin, end) in text

  // Redis mode: params, spans and fail_from are null. Capture mode: spans has one entry per
  // parameter, fail_from pat.size() + 1 entries set to text.size().
  Matcher(std::string_view pat, std::string_view text, const std::vector<std::size_t>* params,
          Span* spans, std::size_t* fail_from)
      : pat_(pat), text_(text), params_(params), spans_(spans), fail_from_(fail_from) {}

  bool run(std::size_t p, std::size_t s, int nesting) {
    if (nesting > max_nesting) return false;
    if (capturing() && failed_before(p, s)) return false;
    const bool ok = step(p, s, nesting);
    if (!ok && capturing()) remember_failure(p, s);
    return ok;
  }

 private:
  bool capturing() const noexcept { return params_ != nullptr; }

  // Index of the parameter whose `*` is at pat_[p], or -1 for a plain `*`.
  int param_at(std::size_t p) const noexcept {
    if (!capturing()) return -1;
    auto it = std::lower_bound(params_->begin(), params_->end(), p);
    return it != params_->end() && *it == p ? static_cast<int>(it - params_->begin()) : -1;
  }
  bool plain_star(std::size_t p) const noexcept {
    return p < pat_.size() && pat_[p] == '*' && param_at(p) < 0;
  }

  bool step(std::size_t p, std::size_t s, int nesting) {
    const std::size_t P = pat_.size();
    const std::size_t S = text_.size();
    while (p < P) {
      if (s == S) {  // text used up: only plain stars may remain
        while (plain_star(p)) ++p;
        return p == P;
      }
      const char c = pat_[p];
      if (c == '*') {
        if (const int param = param_at(p); param >= 0) return parameter(param, p, s, nesting);
        while (plain_star(p + 1)) ++p;  // consecutive stars act as one
        if (p + 1 == P) return true;    // a trailing star takes the rest
        if (capturing()) {
          // Longest first; the rest of the pattern is known to fail from fail_from_[p + 1]
          // on (the rest's outcome does not depend on how we got there).
          std::size_t& known = fail_from_[p + 1];
          for (std::size_t t = std::min(known, S); t-- > s;)
            if (run(p + 1, t, nesting + 1)) return true;
          known = std::min(known, s);
          return false;
        }
        for (std::size_t t = s; t < S; ++t) {
          if (run(p + 1, t, nesting + 1)) return true;
          if (give_up_) return false;
        }
        // The rest of the pattern matches from no position from s on: an earlier `*` taking
        // more text would only start it later, so stop trying (Redis does the same).
        give_up_ = true;
        return false;
      }
      if (c == '?') {
        ++s;
      } else if (c == '[') {
        if (!character_class(p, text_[s])) return false;
        ++s;
      } else {
        if (c == '\\' && P - p >= 2) ++p;
        if (pat_[p] != text_[s]) return false;
        ++s;
      }
      ++p;
    }
    return s == S;
  }

  // `[...]` at pat_[p] against ch; leaves p on the closing ']' (or the pattern's last char).
  bool character_class(std::size_t& p, char ch) const {
    const std::size_t P = pat_.size();
    // Redis compares chars as (signed on x86) ints, also in ranges.
    const int x = static_cast<signed char>(ch);
    ++p;
    const bool negate = p < P && pat_[p] == '^';
    if (negate) ++p;
    bool match = false;
    for (;; ++p) {
      if (p >= P) {  // unterminated: the class runs to the end of the pattern
        p = P - 1;
        break;
      }
      if (pat_[p] == '\\' && P - p >= 2) {
        ++p;
        if (pat_[p] == ch) match = true;
      } else if (pat_[p] == ']') {
        break;
      } else if (P - p >= 3 && pat_[p + 1] == '-') {
        int lo = static_cast<signed char>(pat_[p]);
        int hi = static_cast<signed char>(pat_[p + 2]);
        if (lo > hi) std::swap(lo, hi);
        if (x >= lo && x <= hi) match = true;
        p += 2;
      } else if (pat_[p] == ch) {
        match = true;
      }
    }
    return negate ? !match : match;
  }

  // `{param}`: one or more characters up to the next '.', longest first.
  bool parameter(int param, std::size_t p, std::size_t s, int nesting) {
    const std::size_t dot = text_.find('.', s);
    const std::size_t end = dot == std::string_view::npos ? text_.size() : dot;
    for (std::size_t t = end; t > s; --t) {
      spans_[param] = {s, t};
      if (run(p + 1, t, nesting + 1)) return true;
    }
    return false;
  }

  bool failed_before(std::size_t p, std::size_t s) const {
    return !failed_.empty() && failed_[p * (text_.size() + 1) + s];
  }
  void remember_failure(std::size_t p, std::size_t s) {
    // Most declarations settle in a few steps; only a long search pays for the memo.
    if (failed_.empty()) {
      if (++steps_ < 256) return;
      failed_.assign((pat_.size() + 1) * (text_.size() + 1), false);
    }
    failed_[p * (text_.size() + 1) + s] = true;
  }

  std::string_view pat_;
  std::string_view text_;
  const std::vector<std::size_t>* params_;
  Span* spans_;
  std::size_t* fail_from_;
  bool give_up_ = false;
  std::size_t steps_ = 0;
  std::vector<bool> failed_;
};

bool is_name_char(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) {
  // Redis tries no element against an empty text: only an empty pattern matches it.
  if (text.empty()) return pattern.empty();
  return Matcher(pattern, text, nullptr, nullptr, nullptr).run(0, 0, 0);
}

ChannelPattern compile_channel(std::string_view declared, bool pattern) {
  ChannelPattern out;
  out.declared = std::string(declared);
  out.redis_name.reserve(declared.size());
  std::set<std::string> seen;
  std::set<std::string> duplicated;
  const std::size_t n = declared.size();
  auto pair_at = [&](std::size_t i, char c) {
    return i + 1 < n && declared[i] == c && declared[i + 1] == c;
  };
  for (std::size_t i = 0; i < n;) {
    // `{{` and `}}` are escaped literal braces (FastStream 0.7.8), paired from the left.
    if (pair_at(i, '{') || pair_at(i, '}')) {
      out.redis_name += declared[i];
      i += 2;
      continue;
    }
    if (declared[i] == '{') {
      std::size_t j = i + 1;
      while (j < n && is_name_char(declared[j])) ++j;
      // The closing brace must not start a `}}` pair, which escaping would take first.
      if (j > i + 1 && j < n && declared[j] == '}' && !pair_at(j, '}')) {
        std::string name(declared.substr(i + 1, j - i - 1));
        if (name.front() >= '0' && name.front() <= '9')
          throw ConfigError("path parameter {" + name + "} in channel '" + out.declared +
                            "': a name must not start with a digit");
        if (!seen.insert(name).second) duplicated.insert(name);
        out.param_offsets.push_back(out.redis_name.size());
        out.redis_name += '*';
        out.params.push_back(std::move(name));
        i = j + 1;
        continue;
      }
    }
    out.redis_name += declared[i++];
  }
  if (!duplicated.empty()) {
    std::string names;
    for (const auto& n : duplicated) names += (names.empty() ? "" : ", ") + n;
    throw ConfigError(std::string("duplicated path parameter name") +
                      (duplicated.size() > 1 ? "s " : " ") + names + " in channel '" +
                      out.declared + "'");
  }

  // Each parameter must reach Redis as a `*` wildcard, not as a literal inside [...] or \*.
  const std::string& name = out.redis_name;
  auto param_in = [&](std::size_t from, std::size_t to) {  // a parameter at [from, to]?
    for (std::size_t off : out.param_offsets)
      if (off >= from && off <= to) return true;
    return false;
  };
  for (std::size_t i = 0; i < name.size();) {
    if (name[i] == '\\' && name.size() - i >= 2) {
      if (param_in(i + 1, i + 1))
        throw ConfigError("channel '" + out.declared +
                          "': a path parameter right after '\\' would be a literal '*'");
      i += 2;
    } else if (name[i] == '[') {
      const std::size_t end = class_end(name, i);
      if (param_in(i + 1, end))
        throw ConfigError("channel '" + out.declared +
                          "': a path parameter inside [...] would be a literal '*'");
      i = end + 1;
    } else {
      ++i;
    }
  }

  out.pattern = pattern || !out.params.empty() || name.find('*') != std::string::npos;
  return out;
}

bool ChannelPattern::capture(std::string_view channel,
                             std::vector<std::pair<std::string, std::string>>& out) const {
  out.clear();
  if (!pattern) return channel == redis_name;
  if (params.empty()) return glob_match(redis_name, channel);
  if (channel.empty()) return false;

  boost::container::small_vector<Matcher::Span, 8> spans(params.size());
  boost::container::small_vector<std::size_t, 32> fail_from(redis_name.size() + 1, channel.size());
  if (!Matcher(redis_name, channel, &param_offsets, spans.data(), fail_from.data()).run(0, 0, 0))
    return false;
  out.reserve(params.size());
  for (std::size_t i = 0; i < params.size(); ++i)
    out.emplace_back(params[i],
                     std::string(channel.substr(spans[i].first, spans[i].second - spans[i].first)));
  return true;
}

}  // namespace faststream::redis
