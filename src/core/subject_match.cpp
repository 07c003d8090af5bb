#include "core/subject_match.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "faststream/exceptions.hpp"

namespace faststream::core {
namespace {

// "a.b.c" -> {"a", "b", "c"}; "" -> {""} (NATS) or {} (AMQP: the empty key has no words).
std::vector<std::string_view> split(std::string_view text, Wildcards rules) {
  std::vector<std::string_view> out;
  if (text.empty() && rules == Wildcards::amqp) return out;
  std::size_t start = 0;
  for (;;) {
    auto dot = text.find('.', start);
    out.push_back(text.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

}  // namespace

Pattern Pattern::compile(std::string_view destination, Wildcards rules) {
  if (destination.empty() && rules == Wildcards::nats)
    throw ConfigError("a destination must not be empty");
  Pattern p;
  p.text_ = std::string(destination);
  p.rules_ = rules;
  auto parts = split(destination, rules);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto token = parts[i];
    if (token == "*") {
      p.tokens_.push_back({Kind::star, {}});
      p.exact_ = false;
    } else if (token == ">" && rules == Wildcards::nats) {
      if (i + 1 != parts.size())
        throw ConfigError(fmt::format("destination '{}': '>' must be the last token", destination));
      p.tokens_.push_back({Kind::tail, {}});
      p.exact_ = false;
    } else if (token == "#" && rules == Wildcards::amqp) {
      // `#.#` is `#`: consecutive ones add nothing but backtracking.
      if (p.tokens_.empty() || p.tokens_.back().kind != Kind::any)
        p.tokens_.push_back({Kind::any, {}});
      p.exact_ = false;
    } else if (token.size() >= 2 && token.front() == '{' && token.back() == '}') {
      auto name = token.substr(1, token.size() - 2);
      if (name.empty() || name.find_first_of("{}") != std::string_view::npos)
        throw ConfigError(
            fmt::format("destination '{}': bad placeholder '{}'", destination, token));
      for (const auto& t : p.tokens_)
        if (t.kind == Kind::capture && t.text == name)
          throw ConfigError(
              fmt::format("destination '{}': placeholder '{}' appears twice", destination, token));
      p.tokens_.push_back({Kind::capture, std::string(name)});
      p.exact_ = false;
    } else if (token.find_first_of("{}") != std::string_view::npos) {
      throw ConfigError(
          fmt::format("destination '{}': a {{name}} placeholder must be a whole token, got '{}'",
                      destination, token));
    } else {
      p.tokens_.push_back({Kind::literal, std::string(token)});
    }
  }
  return p;
}

bool Pattern::match(std::string_view subject, Captures* captures) const {
  if (exact_) return subject == text_;
  auto parts = split(subject, rules_);
  if (captures) captures->clear();
  if (match_from(0, parts, 0, captures)) return true;
  if (captures) captures->clear();
  return false;
}

bool Pattern::match_from(std::size_t t, const std::vector<std::string_view>& parts, std::size_t p,
                         Captures* captures) const {
  // NATS tokens are never empty; an AMQP word may be (`a..b` has three words).
  const bool empty_ok = rules_ == Wildcards::amqp;
  for (; t < tokens_.size(); ++t) {
    const auto& token = tokens_[t];
    switch (token.kind) {
      case Kind::tail:  // NATS `>`: one or more tokens remain
        return parts.size() > p && std::none_of(parts.begin() + static_cast<long>(p), parts.end(),
                                                [](std::string_view s) { return s.empty(); });
      case Kind::any: {  // AMQP `#`: zero or more words, then the rest must match
        const std::size_t mark = captures ? captures->size() : 0;
        for (std::size_t skip = p; skip <= parts.size(); ++skip) {
          if (match_from(t + 1, parts, skip, captures)) return true;
          if (captures) captures->resize(mark);
        }
        return false;
      }
      case Kind::literal:
        if (p >= parts.size() || parts[p] != token.text) return false;
        break;
      case Kind::star:
        if (p >= parts.size() || (parts[p].empty() && !empty_ok)) return false;
        break;
      case Kind::capture:
        if (p >= parts.size() || (parts[p].empty() && !empty_ok)) return false;
        if (captures) captures->emplace_back(token.text, std::string(parts[p]));
        break;
    }
    ++p;
  }
  return p == parts.size();
}

std::string Pattern::server_form() const {
  std::string out;
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    if (i) out += '.';
    switch (tokens_[i].kind) {
      case Kind::literal:
        out += tokens_[i].text;
        break;
      case Kind::star:
      case Kind::capture:
        out += '*';
        break;
      case Kind::tail:
        out += '>';
        break;
      case Kind::any:
        out += '#';
        break;
    }
  }
  return out;
}

std::vector<std::string> Pattern::placeholders() const {
  std::vector<std::string> names;
  for (const auto& t : tokens_)
    if (t.kind == Kind::capture) names.push_back(t.text);
  return names;
}

}  // namespace faststream::core
