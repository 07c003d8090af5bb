// The sans-I/O router of the memory broker: patterns and the routing table.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "faststream/exceptions.hpp"
#include "memory/routing.hpp"

namespace {

using faststream::ConfigError;
using faststream::memory::Captures;
using faststream::memory::Pattern;
using faststream::memory::RoutingTable;

bool matches(std::string_view pattern, std::string_view subject) {
  return Pattern::compile(pattern).match(subject, nullptr);
}

TEST(MemoryRouting, ExactNameMatchesOnlyItself) {
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

TEST(MemoryRouting, StarMatchesExactlyOneToken) {
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

TEST(MemoryRouting, TailMatchesOneOrMoreTrailingTokens) {
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

TEST(MemoryRouting, CaptureTakesOneTokenAndItsValue) {
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

TEST(MemoryRouting, SeveralCapturesInOrder) {
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

TEST(MemoryRouting, MalformedPatternsAreConfigErrors) {
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

TEST(MemoryRouting, TableFansOutToEveryMatchingSubscription) {
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

TEST(MemoryRouting, GroupMembersShareRoundRobin) {
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

TEST(MemoryRouting, SameGroupOnAnotherPatternIsAnotherGroup) {
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

TEST(MemoryRouting, MatchesDoesNotAdvanceRoundRobin) {
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

TEST(MemoryRouting, RoundRobinIsExactUnderConcurrentRouting) {
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
