#include "memory/routing.hpp"

#include <fmt/format.h>

#include "faststream/exceptions.hpp"

namespace faststream::memory {
namespace {

std::vector<std::string_view> split(std::string_view text) {
  std::vector<std::string_view> out;
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

Pattern Pattern::compile(std::string_view destination) {
  if (destination.empty()) throw ConfigError("a destination must not be empty");
  Pattern p;
  p.text_ = std::string(destination);
  auto parts = split(destination);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto token = parts[i];
    if (token == "*") {
      p.tokens_.push_back({Kind::star, {}});
      p.exact_ = false;
    } else if (token == ">") {
      if (i + 1 != parts.size())
        throw ConfigError(fmt::format("destination '{}': '>' must be the last token", destination));
      p.tokens_.push_back({Kind::tail, {}});
      p.exact_ = false;
    } else if (token.size() >= 2 && token.front() == '{' && token.back() == '}') {
      auto name = token.substr(1, token.size() - 2);
      if (name.empty() || name.find_first_of("{}") != std::string_view::npos)
        throw ConfigError(
            fmt::format("destination '{}': bad placeholder '{}'", destination, token));
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
  auto parts = split(subject);
  std::size_t n = tokens_.size();
  for (std::size_t i = 0; i < n; ++i) {
    const auto& t = tokens_[i];
    if (t.kind == Kind::tail) return parts.size() > i;  // one or more tokens remain
    if (i >= parts.size()) return false;
    switch (t.kind) {
      case Kind::literal:
        if (parts[i] != t.text) return false;
        break;
      case Kind::star:
        if (parts[i].empty()) return false;
        break;
      case Kind::capture:
        if (parts[i].empty()) return false;
        if (captures) captures->emplace_back(t.text, std::string(parts[i]));
        break;
      case Kind::tail:
        break;
    }
  }
  if (parts.size() != n) {
    if (captures) captures->clear();
    return false;
  }
  return true;
}

}  // namespace faststream::memory
