// Declared Redis channels and path parameters (src/redis/channel_pattern.hpp), and Redis's
// own glob matching as PSUBSCRIBE applies it.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "faststream/exceptions.hpp"
#include "redis/channel_pattern.hpp"

namespace {

using namespace std::string_view_literals;
using faststream::ConfigError;
using faststream::redis::ChannelPattern;
using faststream::redis::compile_channel;
using faststream::redis::glob_match;
using Captures = std::vector<std::pair<std::string, std::string>>;

struct GlobCase {
  std::string_view pattern;
  std::string_view text;
  bool match;
};

// Every row was checked against redis-server 7.0.15: PSUBSCRIBE pattern, PUBLISH text, see
// whether the pmessage arrives.
constexpr GlobCase kRedisVerified[] = {
    {"*", "anything", true},
    {"*", "", false},  // Redis tries nothing against an empty channel
    {"", "", true},
    {"", "a", false},
    {"a", "", false},
    {"orders.*", "orders.created", true},
    {"orders.*", "orders.", true},
    {"orders.*", "orders", false},
    {"orders.*", "orders.a.b", true},
    {"orders.*", "xorders.a", false},
    {"h?llo", "hello", true},
    {"h?llo", "hllo", false},
    {"h?llo", "heello", false},
    {"h[ae]llo", "hallo", true},
    {"h[ae]llo", "hillo", false},
    {"h[^e]llo", "hallo", true},
    {"h[^e]llo", "hello", false},
    {"h[a-b]llo", "hbllo", true},
    {"h[a-b]llo", "hcllo", false},
    {"h[b-a]llo", "hallo", true},  // reversed range
    {"h\\*llo", "h*llo", true},
    {"h\\*llo", "hello", false},
    {"a\\", "a\\", true},  // a trailing backslash is literal
    {"\\a", "a", true},
    {"[\\]]", "]", true},
    {"[\\]", "]", true},  // unterminated class after an escaped ']'
    {"[\\]", "\\", false},
    {"[]", "]", false},
    {"[]]", "]", false},
    {"[a-]", "^", true},  // the range a-] (swapped: ']'..'a')
    {"[a-]", "b", false},
    {"[a-]x", "^", true},  // ... and the class runs on to the end
    {"[a-]x", "^x", false},
    {"a[", "ab", false},
    {"a[", "a", false},
    {"a[^", "ab", true},
    {"a[^", "a", false},
    {"[^]", "x", true},
    {"[^]x", "x", false},
    {"[abc", "b", true},
    {"[abc", "d", false},
    {"a*b*c", "aXbYc", true},
    {"a*b*c", "abc", true},
    {"a*b*c", "aXbYcZ", false},
    {"a*b", "ab", true},
    {"*a", "a", true},
    {"a**b", "ab", true},
    {"*.*", "a.b", true},
    {"*.*", "ab", false},
    {"*.*", ".", true},
    {"**", "x", true},
    {"a*", "a", true},
    {"a*?", "a", false},
    {"a*?", "ab", true},
    {"?*", "a", true},
    {"*?*", "ab", true},
    {"[a-\xff]", "\xff", true},  // range bounds compare as signed chars: -1..'a'
    {"[a-\xff]", "b", false},
    {"[a-\xff]", "A", true},
    {"[\xe0-\xef]", "\xe5", true},
    {"[\xe0-\xef]", "e", false},
    {"??", "\xc3\xa9", true},  // bytes, not characters
    {"?", "\xc3\xa9", false},
    {"[\x00-\x7f]"sv, "\x80", false},
    {"[\x00-\x7f]"sv, "\x7f", true},
    {"*\xe9", "caf\xe9", true},
    {"logs.*", "logs.a.b", true},
    {"*.orders.*", "acme.orders.42", true},
    {"*.orders.*", "a.b.orders.42", true},
    {"A", "a", false},
    {"[A-Z]", "a", false},
};

TEST(RedisGlob, MatchesLikeRedis) {
  for (const auto& c : kRedisVerified)
    EXPECT_EQ(glob_match(c.pattern, c.text), c.match)
        << "pattern '" << c.pattern << "' text '" << c.text << "'";
}

TEST(RedisGlob, NestingLimitLikeRedis) {
  // Also checked against redis-server 7.0.15: more than 1000 nested stars never match.
  std::string p1000, p1001;
  for (int i = 0; i < 1000; ++i) p1000 += "*a";
  p1001 = p1000 + "*a";
  EXPECT_TRUE(glob_match(p1000, std::string(1000, 'a')));
  EXPECT_FALSE(glob_match(p1001, std::string(1001, 'a')));
}

TEST(RedisGlob, NoExponentialBacktracking) {
  // Redis's cut-off: fails fast (checked against redis-server as well).
  EXPECT_FALSE(glob_match("*a*a*a*a*a*a*a*a*a*a*b", std::string(5000, 'a')));
  EXPECT_TRUE(glob_match("*a*a*a*a*a*a*a*a*a*a*b", std::string(5000, 'a') + "b"));
}

// --- Declared channels ---------------------------------------------------------------------

TEST(RedisChannelPattern, PlainChannel) {
  const ChannelPattern c = compile_channel("orders");
  EXPECT_EQ(c.declared, "orders");
  EXPECT_EQ(c.redis_name, "orders");
  EXPECT_FALSE(c.pattern);
  EXPECT_TRUE(c.params.empty());
  Captures out{{"stale", "x"}};
  EXPECT_TRUE(c.capture("orders", out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(c.capture("orders2", out));
  EXPECT_FALSE(c.capture("order?", out));
  // Glob characters without `*` stay a plain SUBSCRIBE, matched literally...
  const ChannelPattern q = compile_channel("orders?");
  EXPECT_FALSE(q.pattern);
  EXPECT_TRUE(q.capture("orders?", out));
  EXPECT_FALSE(q.capture("orders1", out));
  // ... unless the declaration asks for a pattern.
  const ChannelPattern forced = compile_channel("orders?", true);
  EXPECT_TRUE(forced.pattern);
  EXPECT_TRUE(forced.capture("orders1", out));
}

TEST(RedisChannelPattern, StarMakesAPatternWithoutCaptures) {
  const ChannelPattern c = compile_channel("orders.*");
  EXPECT_EQ(c.redis_name, "orders.*");
  EXPECT_TRUE(c.pattern);
  EXPECT_TRUE(c.params.empty());
  Captures out;
  EXPECT_TRUE(c.capture("orders.created", out));
  EXPECT_TRUE(c.capture("orders.a.b", out));  // Redis's `*` spans dots
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(c.capture("orders", out));
}

TEST(RedisChannelPattern, ParamIsOneDotFreeToken) {
  const ChannelPattern c = compile_channel("logs.{level}");
  EXPECT_EQ(c.redis_name, "logs.*");
  EXPECT_TRUE(c.pattern);
  EXPECT_EQ(c.params, std::vector<std::string>{"level"});
  EXPECT_EQ(c.param_offsets, std::vector<std::size_t>{5});
  Captures out;
  EXPECT_TRUE(c.capture("logs.info", out));
  EXPECT_EQ(out, (Captures{{"level", "info"}}));
  EXPECT_TRUE(c.capture("logs.\xc3\xa9t\xc3\xa9", out));
  EXPECT_EQ(out, (Captures{{"level", "\xc3\xa9t\xc3\xa9"}}));
}

TEST(RedisChannelPattern, LogsLevelAgainstLogsAB) {
  // Redis delivers logs.a.b to PSUBSCRIBE logs.* (its `*` spans dots), but `{level}` is one
  // token: the declaration does not fit, capture says so and the backend fails the message.
  const ChannelPattern c = compile_channel("logs.{level}");
  ASSERT_TRUE(glob_match(c.redis_name, "logs.a.b"));
  Captures out{{"stale", "x"}};
  EXPECT_FALSE(c.capture("logs.a.b", out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(c.capture("logs.", out));  // a parameter is never empty
  EXPECT_FALSE(c.capture("logs", out));
  EXPECT_FALSE(c.capture("logs.logs.x", out));  // anchored (FastStream's regex is not)
  EXPECT_FALSE(c.capture("", out));
}

TEST(RedisChannelPattern, SeveralParams) {
  const ChannelPattern c = compile_channel("{tenant}.orders.{id}");
  EXPECT_EQ(c.redis_name, "*.orders.*");
  EXPECT_EQ(c.params, (std::vector<std::string>{"tenant", "id"}));
  EXPECT_EQ(c.param_offsets, (std::vector<std::size_t>{0, 9}));
  Captures out;
  EXPECT_TRUE(c.capture("acme.orders.42", out));
  EXPECT_EQ(out, (Captures{{"tenant", "acme"}, {"id", "42"}}));
  EXPECT_FALSE(c.capture("a.b.orders.42", out));
  EXPECT_FALSE(c.capture("acme.orders.4.2", out));
  EXPECT_FALSE(c.capture("acme.order.42", out));

  const ChannelPattern infix = compile_channel("pre{x}post");
  EXPECT_TRUE(infix.capture("preMIDpost", out));
  EXPECT_EQ(out, (Captures{{"x", "MID"}}));
  EXPECT_FALSE(infix.capture("prepost", out));
}

TEST(RedisChannelPattern, AmbiguousFitsTakeTheLongestLeftmost) {
  // The same captures as FastStream's greedy regex (checked with FastStream 0.7.8).
  Captures out;
  EXPECT_TRUE(compile_channel("{a}-{b}").capture("x-y-z", out));
  EXPECT_EQ(out, (Captures{{"a", "x-y"}, {"b", "z"}}));
  EXPECT_TRUE(compile_channel("{a}{b}").capture("xyz", out));
  EXPECT_EQ(out, (Captures{{"a", "xy"}, {"b", "z"}}));
  EXPECT_FALSE(compile_channel("{a}{b}").capture("x", out));
  EXPECT_TRUE(compile_channel("*-{b}").capture("a-b-c", out));
  EXPECT_EQ(out, (Captures{{"b", "c"}}));
  EXPECT_TRUE(compile_channel("a.*.{id}").capture("a.x.y.z", out));
  EXPECT_EQ(out, (Captures{{"id", "z"}}));
  EXPECT_FALSE(compile_channel("a.*.{id}").capture("a.x", out));
  EXPECT_TRUE(compile_channel("{x}*").capture("abc.def", out));
  EXPECT_EQ(out, (Captures{{"x", "abc"}}));
  EXPECT_TRUE(compile_channel("*{x}").capture("abc.def", out));
  EXPECT_EQ(out, (Captures{{"x", "f"}}));
  EXPECT_TRUE(compile_channel("{a}.{b}").capture("1.2", out));
  EXPECT_EQ(out, (Captures{{"a", "1"}, {"b", "2"}}));
}

TEST(RedisChannelPattern, LiteralPartsFollowRedisGlob) {
  // What Redis delivered fits the literal parts by construction (FastStream's regex reads
  // them literally and captures nothing here).
  Captures out;
  EXPECT_TRUE(compile_channel("l?gs.{level}").capture("lags.info", out));
  EXPECT_EQ(out, (Captures{{"level", "info"}}));
  EXPECT_TRUE(compile_channel("[xy].{a}").capture("x.foo", out));
  EXPECT_EQ(out, (Captures{{"a", "foo"}}));
  EXPECT_FALSE(compile_channel("[xy].{a}").capture("z.foo", out));
  EXPECT_TRUE(compile_channel("a\\?.{a}").capture("a?.v", out));
  EXPECT_FALSE(compile_channel("a\\?.{a}").capture("ab.v", out));
}

TEST(RedisChannelPattern, Braces) {
  // `{{` and `}}` escape literal braces (FastStream 0.7.8); other non-parameters stay literal.
  struct Case {
    std::string_view declared, redis_name;
    std::vector<std::string> params;
  };
  const Case cases[] = {
      {"{{a}}", "{a}", {}},    {"{{{a}", "{*", {"a"}},
      {"{a}}", "{a}", {}},     {"{{a}.{b}}", "{a}.{b}", {}},
      {"{a-b}", "{a-b}", {}},  {"{}", "{}", {}},
      {"{a", "{a", {}},        {"a}", "a}", {}},
      {"{{", "{", {}},         {"}}}", "}}", {}},
      {"{_x9}", "*", {"_x9"}}, {"{A}.{b_2}", "*.*", {"A", "b_2"}},
      {"{a b}", "{a b}", {}},  {"{a}{b}", "**", {"a", "b"}},
  };
  for (const auto& c : cases) {
    const ChannelPattern p = compile_channel(c.declared);
    EXPECT_EQ(p.redis_name, c.redis_name) << c.declared;
    EXPECT_EQ(p.params, c.params) << c.declared;
    EXPECT_EQ(p.pattern, !c.params.empty()) << c.declared;
  }
  Captures out;
  EXPECT_TRUE(compile_channel("{{a}}").capture("{a}", out));
  EXPECT_TRUE(compile_channel("{{{a}").capture("{v", out));
  EXPECT_EQ(out, (Captures{{"a", "v"}}));
}

TEST(RedisChannelPattern, ConfigErrors) {
  auto message = [](std::string_view declared) -> std::string {
    try {
      (void)compile_channel(declared);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(no error)";
  };
  EXPECT_EQ(message("a.{x}.{x}"), "duplicated path parameter name x in channel 'a.{x}.{x}'");
  EXPECT_EQ(message("{b}{a}{a}{b}"),
            "duplicated path parameter names a, b in channel '{b}{a}{a}{b}'");
  EXPECT_EQ(message("logs.{1st}"),
            "path parameter {1st} in channel 'logs.{1st}': a name must not start with a digit");
  EXPECT_NE(message("a[{x}]").find("inside [...]"), std::string::npos);
  EXPECT_NE(message("a[b-{x}]").find("inside [...]"), std::string::npos);
  EXPECT_NE(message("a[{x}").find("inside [...]"), std::string::npos);
  EXPECT_NE(message("a\\{x}").find("right after '\\'"), std::string::npos);
  EXPECT_EQ(message("a\\\\{x}"), "(no error)");  // an escaped backslash, then a parameter
  EXPECT_EQ(message("[ab]{x}"), "(no error)");
}

TEST(RedisChannelPattern, CaptureImpliesRedisDelivers) {
  // Whatever capture accepts, PSUBSCRIBE on redis_name delivers; and with no parameter that
  // is all capture checks.
  const char* declarations[] = {"{a}.{b}", "{a}-{b}", "x.*.{a}", "*{a}",     "{a}*{b}",
                                "{a}.b.*", "a.*",     "?.{a}",   "[ab].{b}", "{a}{b}.{c}"};
  const char alphabet[] = {'a', 'b', '.', '-', 'x'};
  std::mt19937 rng(42);
  Captures out;
  for (const char* d : declarations) {
    const ChannelPattern p = compile_channel(d);
    int fits = 0;
    for (int n = 0; n < 3000; ++n) {
      std::string channel;
      const int len = 1 + static_cast<int>(rng() % 8);
      for (int i = 0; i < len; ++i) channel += alphabet[rng() % sizeof alphabet];
      const bool captured = p.capture(channel, out);
      if (captured) {
        ++fits;
        EXPECT_TRUE(glob_match(p.redis_name, channel)) << d << " " << channel;
        ASSERT_EQ(out.size(), p.params.size());
        for (const auto& [name, value] : out)
          EXPECT_TRUE(!value.empty() && value.find('.') == std::string::npos)
              << d << " " << channel;
      }
      if (p.params.empty()) {
        EXPECT_EQ(captured, glob_match(p.redis_name, channel)) << d;
      }
    }
    EXPECT_GT(fits, 0) << d;
  }
}

TEST(RedisChannelPattern, NoExponentialBacktracking) {
  const ChannelPattern p = compile_channel("*a*a*a*a*a*a*-{x}-*b");
  Captures out;
  const std::string channel(3000, 'a');
  EXPECT_FALSE(p.capture(channel + "-x-", out));
  EXPECT_TRUE(p.capture(channel + "-x-b", out));
  EXPECT_EQ(out, (Captures{{"x", "x"}}));
}

}  // namespace
