// Bounded queues: publishers wait while a subscriber's queue is full, never drop, and give up
// with PublishTimeout when it stays full.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "memory_test_util.hpp"

namespace {

using namespace std::chrono_literals;
using faststream::Task;
using faststream::memory::Broker;
using memtest::eventually;
using memtest::quiet;

Task<void> slow_mark(std::vector<std::atomic<std::uint8_t>>* seen, int i) {
  co_await faststream::sleep(10ms);
  (*seen)[static_cast<std::size_t>(i)].fetch_add(1, std::memory_order_relaxed);
}

TEST(MemoryBackpressure, HundredThousandPublishesIntoSlowHandlersLoseNothing) {
  constexpr int kMessages = 100'000;
  constexpr int kWorkers = 200;
  constexpr std::size_t kCapacity = 1024;  // the default
  std::vector<std::atomic<std::uint8_t>> seen(kMessages);
  Broker broker("memory://", quiet());
  auto sub = broker.subscriber("backlog");
  sub.max_workers(kWorkers).handle([&seen](int i) { return slow_mark(&seen, i); });
  ASSERT_EQ(sub.core().config().queue_capacity, kCapacity);
  broker.start();

  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kMessages; ++i) broker.publish(i, "backlog").get();
  const double publish_ms = memtest::ms_since(t0);
  // Once the queue is full, a publish waits for room: at most kWorkers handlers finish per
  // 10 ms, so publishing cannot be faster than the handlers drain what does not fit.
  const double floor_ms = (kMessages - kCapacity - kWorkers) / double(kWorkers) * 10.0 * 0.9;
  EXPECT_GE(publish_ms, floor_ms);

  ASSERT_TRUE(eventually([&] { return sub.stats().processed == kMessages; }, 30s));
  broker.stop();
  auto s = sub.stats();
  EXPECT_EQ(s.received, static_cast<std::uint64_t>(kMessages));
  EXPECT_EQ(s.processed, static_cast<std::uint64_t>(kMessages));
  EXPECT_EQ(s.acked, static_cast<std::uint64_t>(kMessages));
  EXPECT_EQ(s.failed, 0u);
  EXPECT_LE(s.max_queued, kCapacity);  // the bound holds
  EXPECT_EQ(s.max_queued, kCapacity);  // and was reached: the publisher was held back
  int missing = 0, twice = 0;
  for (auto& n : seen) {
    if (n.load() == 0) ++missing;
    if (n.load() > 1) ++twice;
  }
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(twice, 0);
  RecordProperty("publish_ms", static_cast<int>(publish_ms));
}

TEST(MemoryBackpressure, PublishTimesOutWhileTheQueueStaysFull) {
  std::atomic<bool> release{false};
  std::atomic<int> entered{0};
  std::vector<int> handled;  // touched by the single worker only, read after stop
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  Broker broker("memory://", quiet());
  auto sub = broker.subscriber("stuck", {.queue_capacity = 2});
  sub.handle([&](int v) {
    ++entered;
    while (!release && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(200us);
    handled.push_back(v);
  });
  broker.start();
  broker.publish(1, "stuck").get();
  ASSERT_TRUE(eventually([&] { return entered == 1; }));  // 1 is held by the handler
  broker.publish(2, "stuck").get();
  broker.publish(3, "stuck").get();  // the queue (2) is full now
  EXPECT_EQ(sub.stats().queued, 2u);

  faststream::PublishOptions options;
  options.timeout = 100ms;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(broker.publish(4, "stuck", options).get(), faststream::PublishTimeout);
  EXPECT_GE(memtest::ms_since(t0), 100.0);
  EXPECT_THROW(broker.publish(5, "stuck", options).get(), faststream::PublishTimeout);

  release = true;
  ASSERT_TRUE(eventually([&] { return sub.stats().processed == 3; }));
  broker.publish(6, "stuck", options).get();  // room again
  broker.stop();
  EXPECT_EQ(handled, (std::vector<int>{1, 2, 3, 6}));  // the accepted ones, none lost
  auto s = sub.stats();
  EXPECT_EQ(s.received, 4u);
  EXPECT_EQ(s.processed, 4u);
  EXPECT_LE(s.max_queued, 2u);
}

TEST(MemoryBackpressure, BrokerPublishTimeoutIsTheDefault) {
  std::atomic<bool> release{false};
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  auto settings = quiet();
  settings.publish_timeout = 80ms;
  Broker broker("memory://", settings);
  auto sub = broker.subscriber("stuck.default", {.queue_capacity = 1});
  sub.handle([&](int) {
    while (!release && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(200us);
  });
  broker.start();
  broker.publish(1, "stuck.default").get();
  ASSERT_TRUE(eventually([&] { return sub.stats().in_flight == 1; }));
  broker.publish(2, "stuck.default").get();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(broker.publish(3, "stuck.default").get(), faststream::PublishTimeout);
  EXPECT_GE(memtest::ms_since(t0), 80.0);
  release = true;
  broker.stop();
  EXPECT_EQ(sub.stats().processed, 2u);
}

TEST(MemoryBackpressure, StopReleasesBlockedPublishers) {
  std::atomic<bool> release{false};
  std::vector<int> handled;  // the single worker only; read after stop
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  Broker broker("memory://", quiet());
  auto sub = broker.subscriber("stuck.stop", {.queue_capacity = 1});
  sub.handle([&](int v) {
    while (!release && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(200us);
    handled.push_back(v);
  });
  broker.start();
  broker.publish(1, "stuck.stop").get();
  ASSERT_TRUE(eventually([&] { return sub.stats().in_flight == 1; }));
  broker.publish(2, "stuck.stop").get();  // fills the queue

  std::atomic<bool> refused{false}, returned{false};
  std::thread publisher([&] {
    faststream::PublishOptions options;
    options.timeout = 10s;
    try {
      broker.publish(3, "stuck.stop", options).get();  // waits for room
    } catch (const faststream::BrokerNotRunning&) {
      refused = true;
    } catch (...) {
    }
    returned = true;
  });
  std::thread stopper([&] { broker.stop(); });
  // The stop refuses the waiting publish at once, while the handler is still stuck.
  EXPECT_TRUE(eventually([&] { return returned.load(); }));
  EXPECT_TRUE(refused);
  release = true;
  publisher.join();
  stopper.join();
  EXPECT_EQ(handled, (std::vector<int>{1, 2}));  // what was accepted was handled
  EXPECT_EQ(sub.stats().received, 2u);
}

}  // namespace
