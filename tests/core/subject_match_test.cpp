// The core's client-side matcher (src/core/subject_match.hpp) with NATS and AMQP rules, and the
// routing table of the memory broker and TestBroker. The tables of cases come from each
// broker's own documentation.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "core/subject_match.hpp"
#include "faststream/exceptions.hpp"

namespace {

using faststream::ConfigError;
using faststream::core::Captures;
using faststream::core::Pattern;
using faststream::core::RoutingTable;
using faststream::core::Wildcards;

bool matches(std::string_view pattern, std::string_view subject) {
  return Pattern::compile(pattern).match(subject, nullptr);
}

struct Case {
  const char* pattern;
  const char* subject;
  bool matches;
};

// docs.nats.io, "Subject-Based Messaging" (wildcards): `*` one token, `>` one or more at the end.
TEST(SubjectMatch, NatsDocsTable) {
  const Case cases[] = {
      {"time.*.east", "time.us.east", true},
      {"time.*.east", "time.eu.east", true},
      {"time.*.east", "time.us.east.atlanta", false},
      {"time.*.east", "time.east", false},
      {"time.us.*", "time.us.east", true},
      {"time.us.*", "time.us.east.atlanta", false},
      {"time.us.>", "time.us.east", true},
      {"time.us.>", "time.us.east.atlanta", true},
      {"time.us.>", "time.us", false},
      {"time.>", "time.us.east.atlanta", true},
      {"*.*.east.>", "time.us.east.atlanta", true},
      {"*.*.east.>", "time.us.east", false},
      {">", "a", true},
      {">", "a.b.c", true},
      {"a.b", "a.b", true},
      {"a.*", "a..b", false},  // empty tokens are not subjects
      {"a.>", "a.b.", false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(Pattern::compile(c.pattern, Wildcards::nats).match(c.subject, nullptr), c.matches)
        << c.pattern << " vs " << c.subject;
}

// rabbitmq.com tutorial five (topic exchanges): `*` exactly one word, `#` zero or more words.
TEST(SubjectMatch, AmqpTopicDocsTable) {
  // Q1 binds *.orange.*; Q2 binds *.*.rabbit and lazy.#
  const Case cases[] = {
      {"*.orange.*", "quick.orange.rabbit", true},
      {"*.*.rabbit", "quick.orange.rabbit", true},
      {"*.orange.*", "lazy.orange.elephant", true},
      {"lazy.#", "lazy.orange.elephant", true},
      {"*.orange.*", "quick.orange.fox", true},
      {"*.*.rabbit", "quick.orange.fox", false},
      {"lazy.#", "quick.orange.fox", false},
      {"lazy.#", "lazy.brown.fox", true},
      {"*.*.rabbit", "lazy.pink.rabbit", true},
      {"lazy.#", "lazy.pink.rabbit", true},
      {"*.orange.*", "quick.brown.fox", false},
      {"*.*.rabbit", "quick.brown.fox", false},
      {"lazy.#", "quick.brown.fox", false},
      {"*.orange.*", "orange", false},
      {"*.orange.*", "quick.orange.new.rabbit", false},
      {"*.*.rabbit", "quick.orange.new.rabbit", false},
      {"lazy.#", "lazy.orange.new.rabbit", true},
      {"*.*.rabbit", "lazy.orange.new.rabbit", false},
      // `#` takes zero words too, anywhere in the key.
      {"a.#", "a", true},
      {"#.a", "a", true},
      {"a.#.b", "a.b", true},
      {"a.#.b", "a.x.y.b", true},
      {"a.#.b", "a.x.y.c", false},
      {"#", "", true},
      {"#", "any.thing", true},
      {"#.#", "x", true},
      {"*", "", false},  // the empty key has no words
      {"", "", true},
      {"a.*", "a.", true},  // an empty word is a word in AMQP
      {"a.#.#.c", "a.b.c", true},
      // `>` means nothing in AMQP.
      {"a.>", "a.b", false},
      {"a.>", "a.>", true},
  };
  for (const auto& c : cases)
    EXPECT_EQ(Pattern::compile(c.pattern, Wildcards::amqp).match(c.subject, nullptr), c.matches)
        << c.pattern << " vs " << c.subject;
}

TEST(SubjectMatch, AmqpCapturesAroundHashesBacktrack) {
  auto p = Pattern::compile("logs.#.{level}", Wildcards::amqp);
  EXPECT_EQ(p.server_form(), "logs.#.*");
  Captures got;
  ASSERT_TRUE(p.match("logs.eu.db.error", &got));
  EXPECT_EQ(got, (Captures{{"level", "error"}}));
  ASSERT_TRUE(p.match("logs.warn", &got));
  EXPECT_EQ(got, (Captures{{"level", "warn"}}));
  EXPECT_FALSE(p.match("logs", &got));
  EXPECT_TRUE(got.empty());
  // `#` in NATS and `>` in AMQP are plain tokens.
  EXPECT_TRUE(Pattern::compile("a.#", Wildcards::nats).exact());
  EXPECT_EQ(Pattern::compile("a.{x}.>", Wildcards::nats).server_form(), "a.*.>");
  EXPECT_EQ(Pattern::compile("a.{x}.{y}", Wildcards::nats).placeholders(),
            (std::vector<std::string>{"x", "y"}));
  EXPECT_THROW(Pattern::compile("a.{x}.{x}", Wildcards::amqp), ConfigError);
}

TEST(SubjectMatch, ExactNameMatchesOnlyItself) {
  auto p = Pattern::compile("orders.created");
  EXPECT_TRUE(p.exact());
  EXPECT_EQ(p.text(), "orders.created");
  EXPECT_TRUE(p.match("orders.created", nullptr));
  EXPECT_FALSE(p.match("orders", nullptr));
  EXPECT_FALSE(p.match("orders.created.eu", nullptr));
  EXPECT_FALSE(p.match("orders.create", nullptr));
  EXPECT_FALSE(p.match("Orders.created", nullptr));
  EXPECT_FALSE(p.match("", nullptr));
}

TEST(SubjectMatch, StarMatchesExactlyOneToken) {
  EXPECT_FALSE(Pattern::compile("a.*.c").exact());
  EXPECT_TRUE(matches("a.*.c", "a.b.c"));
  EXPECT_TRUE(matches("a.*.c", "a.xyz.c"));
  EXPECT_FALSE(matches("a.*.c", "a.c"));      // zero tokens
  EXPECT_FALSE(matches("a.*.c", "a.b.x.c"));  // two tokens
  EXPECT_FALSE(matches("a.*.c", "a..c"));     // an empty token is no token
  EXPECT_FALSE(matches("a.*.c", "a.b.d"));
  EXPECT_TRUE(matches("a.*", "a.b"));
  EXPECT_FALSE(matches("a.*", "a"));
  EXPECT_FALSE(matches("a.*", "a.b.c"));
  EXPECT_TRUE(matches("*", "x"));
  EXPECT_FALSE(matches("*", "x.y"));
  EXPECT_TRUE(matches("*.*", "x.y"));
  EXPECT_FALSE(matches("*.*", "x"));
}

TEST(SubjectMatch, TailMatchesOneOrMoreTrailingTokens) {
  EXPECT_TRUE(matches("a.>", "a.b"));
  EXPECT_TRUE(matches("a.>", "a.b.c"));
  EXPECT_TRUE(matches("a.>", "a.b.c.d.e"));
  EXPECT_FALSE(matches("a.>", "a"));  // not zero
  EXPECT_FALSE(matches("a.>", "b.c"));
  EXPECT_TRUE(matches("a.*.>", "a.b.c"));
  EXPECT_FALSE(matches("a.*.>", "a.b"));
  EXPECT_TRUE(matches(">", "x"));
  EXPECT_TRUE(matches(">", "x.y.z"));
}

TEST(SubjectMatch, CaptureTakesOneTokenAndItsValue) {
  auto p = Pattern::compile("logs.{level}");
  EXPECT_FALSE(p.exact());
  Captures c;
  ASSERT_TRUE(p.match("logs.error", &c));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].first, "level");
  EXPECT_EQ(c[0].second, "error");
  EXPECT_FALSE(p.match("logs", nullptr));
  EXPECT_FALSE(p.match("logs.error.extra", nullptr));
  EXPECT_FALSE(p.match("logs.", nullptr));
  EXPECT_FALSE(p.match("metrics.error", nullptr));
}

TEST(SubjectMatch, SeveralCapturesInOrder) {
  auto p = Pattern::compile("users.{user}.orders.{order}.*");
  Captures c;
  ASSERT_TRUE(p.match("users.42.orders.A-7.created", &c));
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], (std::pair<std::string, std::string>{"user", "42"}));
  EXPECT_EQ(c[1], (std::pair<std::string, std::string>{"order", "A-7"}));
  EXPECT_FALSE(p.match("users.42.orders.A-7", nullptr));
  EXPECT_FALSE(p.match("users.42.items.A-7.created", nullptr));

  auto tail = Pattern::compile("{service}.>");
  Captures t;
  ASSERT_TRUE(tail.match("billing.v1.invoice", &t));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].second, "billing");
}

TEST(SubjectMatch, MalformedPatternsAreConfigErrors) {
  for (const char* bad :
       {"a.>.b", ">.a", "a.{x", "a.x{y}", "a.{x}y", "a.x}", "a.{}", "a.{x{y}", "{a.b}", ""}) {
    EXPECT_THROW((void)Pattern::compile(bad), ConfigError) << "pattern '" << bad << "'";
  }
  // Well-formed ones do not throw.
  for (const char* good : {"a", "a.b", "a.*", "a.>", ">", "*", "a.{x}", "{x}.{y}.>"}) {
    EXPECT_NO_THROW((void)Pattern::compile(good)) << "pattern '" << good << "'";
  }
}

struct Sub {
  int id;
};

std::map<int, int> histogram(const RoutingTable<Sub>& table, std::string_view dest, int times) {
  std::map<int, int> out;
  for (int i = 0; i < times; ++i)
    for (auto& m : table.route(dest)) ++out[m.target->id];
  return out;
}

TEST(SubjectMatch, TableFansOutToEveryMatchingSubscription) {
  Sub exact{1}, star{2}, tail{3}, other{4}, capture{5};
  RoutingTable<Sub> table;
  EXPECT_TRUE(table.empty());
  table.add(Pattern::compile("a.b"), "", &exact);
  table.add(Pattern::compile("a.*"), "", &star);
  table.add(Pattern::compile(">"), "", &tail);
  table.add(Pattern::compile("x.y"), "", &other);
  table.add(Pattern::compile("{first}.b"), "", &capture);
  EXPECT_FALSE(table.empty());

  EXPECT_EQ(histogram(table, "a.b", 1), (std::map<int, int>{{1, 1}, {2, 1}, {3, 1}, {5, 1}}));
  EXPECT_EQ(histogram(table, "a.c", 1), (std::map<int, int>{{2, 1}, {3, 1}}));
  EXPECT_EQ(histogram(table, "z", 1), (std::map<int, int>{{3, 1}}));
  EXPECT_EQ(histogram(table, "x.y", 1), (std::map<int, int>{{3, 1}, {4, 1}}));

  for (auto& m : table.route("q.b")) {
    if (m.target == &capture) {
      ASSERT_EQ(m.captures.size(), 1u);
      EXPECT_EQ(m.captures[0].second, "q");
    } else {
      EXPECT_TRUE(m.captures.empty());
    }
  }
}

TEST(SubjectMatch, GroupMembersShareRoundRobin) {
  Sub g1{1}, g2{2}, g3{3}, solo{4}, h1{5}, h2{6};
  RoutingTable<Sub> table;
  table.add(Pattern::compile("jobs"), "workers", &g1);
  table.add(Pattern::compile("jobs"), "workers", &g2);
  table.add(Pattern::compile("jobs"), "workers", &g3);
  table.add(Pattern::compile("jobs"), "", &solo);
  table.add(Pattern::compile("jobs"), "audit", &h1);
  table.add(Pattern::compile("jobs"), "audit", &h2);

  // One member of each group per message; every ungrouped subscription gets each one.
  EXPECT_EQ(table.route("jobs").size(), 3u);
  RoutingTable<Sub> fresh;
  fresh.add(Pattern::compile("jobs"), "workers", &g1);
  fresh.add(Pattern::compile("jobs"), "workers", &g2);
  fresh.add(Pattern::compile("jobs"), "workers", &g3);
  fresh.add(Pattern::compile("jobs"), "", &solo);
  fresh.add(Pattern::compile("jobs"), "audit", &h1);
  fresh.add(Pattern::compile("jobs"), "audit", &h2);
  EXPECT_EQ(histogram(fresh, "jobs", 300),
            (std::map<int, int>{{1, 100}, {2, 100}, {3, 100}, {4, 300}, {5, 150}, {6, 150}}));
}

TEST(SubjectMatch, SameGroupOnAnotherPatternIsAnotherGroup) {
  Sub a{1}, b{2}, c{3};
  RoutingTable<Sub> table;
  table.add(Pattern::compile("jobs.*"), "g", &a);
  table.add(Pattern::compile("jobs.*"), "g", &b);
  table.add(Pattern::compile("jobs.>"), "g", &c);
  EXPECT_EQ(histogram(table, "jobs.x", 10), (std::map<int, int>{{1, 5}, {2, 5}, {3, 10}}));
  // Captures reach the member that was picked.
  Sub p{4}, q{5};
  RoutingTable<Sub> caps;
  caps.add(Pattern::compile("u.{id}"), "g", &p);
  caps.add(Pattern::compile("u.{id}"), "g", &q);
  for (int i = 0; i < 4; ++i) {
    auto r = caps.route("u." + std::to_string(i));
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].target, i % 2 == 0 ? &p : &q);
    ASSERT_EQ(r[0].captures.size(), 1u);
    EXPECT_EQ(r[0].captures[0].second, std::to_string(i));
  }
}

TEST(SubjectMatch, MatchesDoesNotAdvanceRoundRobin) {
  Sub a{1}, b{2};
  RoutingTable<Sub> table;
  table.add(Pattern::compile("rpc.{name}"), "g", &a);
  table.add(Pattern::compile("rpc.{name}"), "g", &b);
  table.add(Pattern::compile("exact"), "", &a);
  EXPECT_TRUE(table.matches("rpc.x"));
  EXPECT_TRUE(table.matches("exact"));
  EXPECT_FALSE(table.matches("rpc"));
  EXPECT_FALSE(table.matches("other"));
  EXPECT_TRUE(table.matches("rpc.y"));
  // A request checks matches() and then routes: the members still alternate.
  std::vector<int> picked;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(table.matches("rpc.x"));
    picked.push_back(table.route("rpc.x").at(0).target->id);
  }
  EXPECT_EQ(picked, (std::vector<int>{1, 2, 1, 2}));
}

TEST(SubjectMatch, RoundRobinIsExactUnderConcurrentRouting) {
  Sub m[4] = {{0}, {1}, {2}, {3}};
  RoutingTable<Sub> table;
  for (auto& s : m) table.add(Pattern::compile("work.{kind}"), "pool", &s);
  constexpr int kThreads = 4, kEach = 5000;
  std::atomic<int> counts[4] = {};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto r = table.route("work.x");
        if (r.size() == 1) counts[r[0].target->id].fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& c : counts) EXPECT_EQ(c.load(), kThreads * kEach / 4);
}

}  // namespace
