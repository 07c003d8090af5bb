// Publishing and requesting from several foreign threads at once (also run under TSan).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "memory_test_util.hpp"

namespace {

using namespace std::chrono_literals;
using faststream::Task;
using faststream::memory::Broker;
using memtest::eventually;
using memtest::quiet;

Task<void> count_later(std::atomic<int>* counter) {
  co_await faststream::sleep(100us);
  counter->fetch_add(1);
}

TEST(MemoryThreads, ConcurrentPublishersIntoFanOutAndGroup) {
  constexpr int kThreads = 4, kEach = 500, kTotal = kThreads * kEach;
  std::atomic<int> plain{0}, async{0};
  std::atomic<int> member[3] = {};
  std::vector<std::atomic<int>> seen_in_group(kTotal);
  Broker broker("memory://", quiet());
  auto s1 = broker.subscriber("ts.events");
  s1.max_workers(2).handle([&plain](int) { ++plain; });
  auto s2 = broker.subscriber("ts.*");
  s2.max_workers(4).handle([&async](int) { return count_later(&async); });
  for (int m = 0; m < 3; ++m) {
    broker.subscriber("ts.events", {.group = "g"}).max_workers(2).handle([&, m](int id) {
      ++member[m];
      ++seen_in_group[static_cast<std::size_t>(id)];
    });
  }
  broker.start();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&broker, t] {
      for (int i = 0; i < kEach; ++i) broker.publish(t * kEach + i, "ts.events").get();
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(eventually(
      [&] {
        return plain == kTotal && async == kTotal && member[0] + member[1] + member[2] == kTotal;
      },
      20s));
  broker.stop();
  EXPECT_EQ(plain, kTotal);
  EXPECT_EQ(async, kTotal);
  EXPECT_EQ(s1.stats().processed, static_cast<std::uint64_t>(kTotal));
  EXPECT_EQ(s2.stats().processed, static_cast<std::uint64_t>(kTotal));
  for (int i = 0; i < kTotal; ++i) EXPECT_EQ(seen_in_group[i], 1) << "message " << i;
  // Round robin with an atomic counter: 2000 = 667 + 667 + 666, whoever published.
  std::vector<int> split{member[0], member[1], member[2]};
  std::sort(split.begin(), split.end());
  EXPECT_EQ(split, (std::vector<int>{666, 667, 667}));
}

Task<std::string> echo_later(std::string text) {
  co_await faststream::sleep(100us);
  co_return "echo:" + text;
}

TEST(MemoryThreads, ConcurrentRequestsGetTheirOwnReplies) {
  constexpr int kThreads = 4, kEach = 100;
  Broker broker("memory://", quiet());
  broker.subscriber("ts.rpc").max_workers(4).handle([](int x) { return x * 3; });
  broker.subscriber("ts.echo").max_workers(16).handle(
      [](std::string s) { return echo_later(std::move(s)); });
  broker.start();
  std::atomic<int> ok{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        int x = t * kEach + i;
        faststream::RequestOptions options;
        options.correlation_id = "t" + std::to_string(x);
        auto reply = broker.request(x, "ts.rpc", options).get();
        bool good =
            reply.decode<int>() == 3 * x && reply.correlation_id() == options.correlation_id;
        auto echo = broker.request(std::to_string(x), "ts.echo").get();
        good = good && echo.decode<std::string>() == "echo:" + std::to_string(x);
        ++(good ? ok : wrong);
      }
    });
  }
  for (auto& t : threads) t.join();
  broker.stop();
  EXPECT_EQ(ok, kThreads * kEach);
  EXPECT_EQ(wrong, 0);
}

Task<void> relay(Broker* broker, int x) {
  auto publish = broker->publish(x, "ts.sink");
  co_await std::move(publish);
}

TEST(MemoryThreads, HandlersPublishWhileForeignThreadsDo) {
  constexpr int kThreads = 3, kEach = 300, kTotal = kThreads * kEach;
  std::atomic<long> sum{0};
  std::atomic<int> count{0};
  Broker broker("memory://", quiet());
  // Coroutine relay and a plain relay (blocking publish from a worker thread).
  broker.subscriber("ts.in.async").max_workers(8).handle([&broker](int x) {
    return relay(&broker, x);
  });
  broker.subscriber("ts.in.plain").max_workers(2).handle([&broker](int x) {
    broker.publish(x, "ts.sink").get();
  });
  broker.subscriber("ts.sink").max_workers(2).handle([&](int x) {
    sum += x;
    ++count;
  });
  broker.start();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&broker, t] {
      for (int i = 0; i < kEach; ++i) {
        int x = t * kEach + i;
        broker.publish(x, x % 2 ? "ts.in.async" : "ts.in.plain").get();
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(eventually([&] { return count == kTotal; }, 20s));
  broker.stop();
  EXPECT_EQ(count, kTotal);
  EXPECT_EQ(sum, static_cast<long>(kTotal) * (kTotal - 1) / 2);
}

}  // namespace
