// Ack policies on the memory broker, observed through the subscriber's counters.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>

#include "memory_test_util.hpp"

namespace {

using namespace std::chrono_literals;
using faststream::AckPolicy;
using faststream::memory::Broker;
using memtest::eventually;
using memtest::silent;

// Publishes 0..n-1 and waits until `settled(stats)` holds, then stops the broker (so nothing
// more can arrive) and returns the final counters.
template <class Settled>
faststream::SubscriberStats run(Broker& broker,
                                faststream::Subscriber<faststream::memory::Message>& sub,
                                const char* destination, int n, Settled settled) {
  broker.start();
  for (int i = 0; i < n; ++i) broker.publish(i, destination).get();
  EXPECT_TRUE(eventually([&] { return settled(sub.stats()); }));
  broker.stop();
  return sub.stats();
}

void fail_odd(int v) {
  if (v % 2) throw std::runtime_error("odd");
}

TEST(MemoryAck, RejectOnErrorIsTheDefault) {
  Broker broker("memory://", silent());
  auto sub = broker.subscriber("p.default");
  sub.handle([](int v) { fail_odd(v); });
  EXPECT_EQ(sub.core().config().ack_policy, AckPolicy::reject_on_error);
  auto s = run(broker, sub, "p.default", 10, [](auto s) { return s.processed + s.failed == 10; });
  EXPECT_EQ(s.received, 10u);
  EXPECT_EQ(s.processed, 5u);
  EXPECT_EQ(s.failed, 5u);
  EXPECT_EQ(s.acked, 5u);
  EXPECT_EQ(s.rejected, 5u);
  EXPECT_EQ(s.nacked, 0u);
  EXPECT_EQ(s.skipped, 0u);
}

TEST(MemoryAck, AckPolicyAcksFailuresToo) {
  Broker broker("memory://", silent());
  auto sub = broker.subscriber("p.ack");
  sub.ack_policy(AckPolicy::ack).handle([](int v) { fail_odd(v); });
  auto s = run(broker, sub, "p.ack", 10, [](auto s) { return s.processed + s.failed == 10; });
  EXPECT_EQ(s.received, 10u);
  EXPECT_EQ(s.processed, 5u);
  EXPECT_EQ(s.failed, 5u);
  EXPECT_EQ(s.acked, 10u);
  EXPECT_EQ(s.rejected, 0u);
  EXPECT_EQ(s.nacked, 0u);
}

TEST(MemoryAck, AckFirstAcksBeforeTheHandlerRuns) {
  std::atomic<int> settled_on_entry{0};
  Broker broker("memory://", silent());
  auto sub = broker.subscriber("p.first");
  sub.ack_policy(AckPolicy::ack_first).handle([&](int v, faststream::Message& m) {
    if (m.settlement() == faststream::Settlement::ack) ++settled_on_entry;
    EXPECT_FALSE(m.nack());  // too late: the first settlement wins
    fail_odd(v);
  });
  auto s = run(broker, sub, "p.first", 10, [](auto s) { return s.processed + s.failed == 10; });
  EXPECT_EQ(settled_on_entry, 10);
  EXPECT_EQ(s.received, 10u);
  EXPECT_EQ(s.acked, 10u);
  EXPECT_EQ(s.processed, 5u);
  EXPECT_EQ(s.failed, 5u);
  EXPECT_EQ(s.nacked, 0u);
  EXPECT_EQ(s.rejected, 0u);
}

TEST(MemoryAck, NackOnErrorRedeliversFailures) {
  std::mutex mutex;
  std::map<int, int> deliveries;
  Broker broker("memory://", silent());
  auto sub = broker.subscriber("p.nack");
  sub.ack_policy(AckPolicy::nack_on_error).handle([&](int v, faststream::Message& m) {
    {
      std::lock_guard lock(mutex);
      ++deliveries[v];
    }
    if (m.delivery_count() == 1) fail_odd(v);  // odd ones succeed on the second delivery
  });
  auto s = run(broker, sub, "p.nack", 10, [](auto s) { return s.processed == 10; });
  EXPECT_EQ(s.received, 15u);
  EXPECT_EQ(s.processed, 10u);
  EXPECT_EQ(s.failed, 5u);
  EXPECT_EQ(s.nacked, 5u);
  EXPECT_EQ(s.acked, 10u);
  EXPECT_EQ(s.rejected, 0u);
  for (auto& [v, n] : deliveries) EXPECT_EQ(n, v % 2 ? 2 : 1) << "value " << v;
}

TEST(MemoryAck, ManualLeavesSettlingToTheHandler) {
  Broker broker("memory://", silent());
  auto sub = broker.subscriber("p.manual");
  sub.ack_policy(AckPolicy::manual).handle([](int v, faststream::Message& m) {
    switch (v % 4) {
      case 0:
        m.ack();
        break;
      case 1:
        m.reject();
        break;
      case 2:
        if (m.delivery_count() == 1)
          m.nack();
        else
          m.ack();
        break;
      default:
        throw std::runtime_error("left unsettled");
    }
  });
  // 0..11: three of each kind; the three nacked ones come back once and are acked.
  auto s = run(broker, sub, "p.manual", 12, [](auto s) { return s.processed + s.failed == 15; });
  EXPECT_EQ(s.received, 15u);
  EXPECT_EQ(s.processed, 12u);
  EXPECT_EQ(s.failed, 3u);
  EXPECT_EQ(s.acked, 6u);
  EXPECT_EQ(s.rejected, 3u);
  EXPECT_EQ(s.nacked, 3u);
}

TEST(MemoryAck, HandlerControlExceptionsSettleExplicitly) {
  Broker broker("memory://", silent());
  auto sub = broker.subscriber("p.control");
  sub.handle([](int v, faststream::Message& m) {
    switch (v) {
      case 0:
        throw faststream::AckMessage();
      case 1:
        throw faststream::RejectMessage();
      case 2:
        if (m.delivery_count() == 1) throw faststream::NackMessage();
        break;
      case 3:
        throw faststream::SkipMessage();
      default:
        break;
    }
  });
  auto s = run(broker, sub, "p.control", 5,
               [](auto s) { return s.acked == 3 && s.rejected == 1 && s.skipped == 1; });
  EXPECT_EQ(s.received, 6u);  // the nacked one came back
  EXPECT_EQ(s.acked, 3u);     // AckMessage, the redelivered one, the plain return
  EXPECT_EQ(s.rejected, 1u);
  EXPECT_EQ(s.nacked, 1u);
  EXPECT_EQ(s.skipped, 1u);
  EXPECT_EQ(s.failed, 0u);
}

TEST(MemoryAck, NackWithoutRequeueIsNotRedelivered) {
  std::atomic<int> calls{0};
  Broker broker("memory://", silent());
  auto sub = broker.subscriber("p.norequeue");
  sub.handle([&calls](int) {
    ++calls;
    throw faststream::NackMessage(faststream::NackOptions{0ms, false});
  });
  broker.start();
  broker.publish(1, "p.norequeue").get();
  ASSERT_TRUE(eventually([&] { return sub.stats().nacked == 1 && sub.stats().in_flight == 0; }));
  EXPECT_EQ(sub.stats().queued, 0u);
  broker.stop();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(sub.stats().received, 1u);
}

TEST(MemoryAck, ManualIgnoresThrownSettlements) {
  // core.hpp: AckMessage/NackMessage/RejectMessage settle "under every policy but manual".
  std::atomic<int> calls{0};
  Broker broker("memory://", silent());
  auto sub = broker.subscriber("p.manual.control");
  sub.ack_policy(AckPolicy::manual).handle([&calls](int v) {
    ++calls;
    if (v == 0) throw faststream::AckMessage();
    if (v == 1) throw faststream::NackMessage();
    throw faststream::RejectMessage();
  });
  broker.start();
  for (int i = 0; i < 3; ++i) broker.publish(i, "p.manual.control").get();
  // Settled (or not) once nothing is in flight; a nack would have queued a redelivery by then.
  ASSERT_TRUE(eventually([&] { return calls >= 3 && sub.stats().in_flight == 0; }));
  EXPECT_EQ(sub.stats().queued, 0u);
  broker.stop();
  auto s = sub.stats();
  EXPECT_EQ(calls, 3);  // no redelivery of the "nacked" one
  EXPECT_EQ(s.received, 3u);
  EXPECT_EQ(s.acked, 0u);
  EXPECT_EQ(s.nacked, 0u);
  EXPECT_EQ(s.rejected, 0u);
}

}  // namespace
