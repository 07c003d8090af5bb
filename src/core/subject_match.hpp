#pragma once
// Sans-I/O matching of dot-separated names against subscription patterns, for every place
// where the framework routes on the client side (the memory broker, TestBroker, the CLI).
// Brokers that route on their server (RabbitMQ, Redis globs) do it there; this reproduces
// their rules for tests and tools.
//
//   Wildcards::nats   `*` exactly one token, `>` one or more trailing tokens (last only);
//                     tokens are non-empty (NATS subjects, the memory broker)
//   Wildcards::amqp   `*` exactly one word, `#` zero or more words anywhere (`a.#` matches
//                     `a`); the empty routing key has zero words (RabbitMQ topic exchanges)
//   both              `{name}` one token (word), captured for Path<"name">; the server sees `*`
#include <boost/container/small_vector.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace faststream::core {

using Captures = std::vector<std::pair<std::string, std::string>>;

enum class Wildcards : std::uint8_t { nats, amqp };

class Pattern {
 public:
  // Throws ConfigError for malformed patterns (NATS `>` not last, `{` inside a token, an
  // empty or repeated placeholder name, an empty NATS pattern).
  static Pattern compile(std::string_view destination, Wildcards rules = Wildcards::nats);

  // Whether `subject` matches; fills `captures` (if given) with the `{name}` values.
  bool match(std::string_view subject, Captures* captures) const;
  bool exact() const noexcept { return exact_; }
  const std::string& text() const noexcept { return text_; }
  // What the broker's server is asked for: each `{name}` as `*` (`logs.{level}` -> `logs.*`).
  std::string server_form() const;
  // The `{name}` placeholders, in order.
  std::vector<std::string> placeholders() const;

 private:
  enum class Kind : std::uint8_t { literal, star, capture, tail, any };
  struct Token {
    Kind kind;
    std::string text;  // literal text or capture name
  };
  bool match_from(std::size_t token, const std::vector<std::string_view>& parts, std::size_t part,
                  Captures* captures) const;

  std::string text_;
  std::vector<Token> tokens_;
  Wildcards rules_ = Wildcards::nats;
  bool exact_ = true;
};

// Routes a published destination to subscriptions: every matching subscription gets the
// message, except that subscriptions with the same group and pattern share it round robin.
template <class Target>
class RoutingTable {
 public:
  struct Match {
    Target* target;
    Captures captures;
  };
  using Matches = boost::container::small_vector<Match, 2>;  // no allocation for 1-2 targets

  void add(const Pattern& pattern, std::string group, Target* target) {
    std::string key = group.empty() ? std::string{} : group + '\n' + pattern.text();
    if (!key.empty()) {
      for (auto& g : groups_) {
        if (g->key == key) {
          g->members.push_back(target);
          return;
        }
      }
    }
    auto g = std::make_unique<Group>();
    g->key = std::move(key);
    g->pattern = pattern;
    g->members.push_back(target);
    if (pattern.exact()) {
      exact_[pattern.text()].push_back(g.get());
    } else {
      wildcard_.push_back(g.get());
    }
    groups_.push_back(std::move(g));
  }

  // Thread-safe once built (round-robin counters are atomic).
  Matches route(std::string_view destination) const {
    Matches out;
    auto pick = [&](Group& g, Captures captures) {
      std::size_t n = g.members.size();
      std::size_t i = n == 1 ? 0 : g.next.fetch_add(1, std::memory_order_relaxed) % n;
      out.push_back(Match{g.members[i], std::move(captures)});
    };
    if (auto it = exact_.find(destination); it != exact_.end())
      for (Group* g : it->second) pick(*g, {});
    for (Group* g : wildcard_) {
      Captures captures;
      if (g->pattern.match(destination, &captures)) pick(*g, std::move(captures));
    }
    return out;
  }
  // Whether any subscription matches, without advancing the round-robin counters.
  bool matches(std::string_view destination) const {
    if (exact_.find(destination) != exact_.end()) return true;
    for (Group* g : wildcard_)
      if (g->pattern.match(destination, nullptr)) return true;
    return false;
  }
  bool empty() const noexcept { return groups_.empty(); }

 private:
  struct Group {
    std::string key;
    Pattern pattern;
    std::vector<Target*> members;
    mutable std::atomic<std::size_t> next{0};
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::vector<std::unique_ptr<Group>> groups_;
  std::unordered_map<std::string, std::vector<Group*>, StringHash, std::equal_to<>> exact_;
  std::vector<Group*> wildcard_;
};

}  // namespace faststream::core
