// Ordering keys in the subscriber core, under the memory broker (no sockets; make test-tsan
// runs it): messages of one key (a Kafka partition) run one at a time in arrival order,
// different keys in parallel up to max_workers; one key's queue is bounded; a key can be
// paused, resumed, its queued messages discarded (handed back, not settled), and its running
// one awaited.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "support/models.hpp"

namespace {

using namespace std::chrono_literals;
using fs_test::eventually;
using fs_test::quiet;

struct Keyed {
  std::uint64_t key = 0;
  int seq = 0;
};
FASTSTREAM_MODEL(Keyed, key, seq);

// A message as a backend hands it over: with an ordering key; counts its settlements.
class KeyedMessage final : public faststream::Message {
 public:
  KeyedMessage(std::uint64_t key, int seq, std::atomic<int>* settled) : settled_(settled) {
    body_ = faststream::encode_json(Keyed{key, seq});
    content_type_ = "application/json";
    destination_ = "keyed";
    correlation_id_ = std::to_string(key) + "-" + std::to_string(seq);
    set_ordering_key(key);
  }

 protected:
  void on_settle(faststream::Settlement, const faststream::NackOptions&) override { ++*settled_; }

 private:
  std::atomic<int>* settled_;
};

// Hands `m` over, waiting while the queue (or the key's share of it) is full.
void deliver(faststream::SubscriberCore& core, faststream::MessagePtr m) {
  while (!core.try_deliver(m)) std::this_thread::sleep_for(100us);
}

void raise_peak(std::atomic<int>& peak, int now) {
  int seen = peak.load();
  while (now > seen && !peak.compare_exchange_weak(seen, now)) {
  }
}

TEST(OrderedKeys, EachKeyInOrderAndKeysInParallel) {
  constexpr int kKeys = 6, kPerKey = 150;
  faststream::memory::Broker broker("memory://", quiet());
  std::mutex mutex;
  std::map<std::uint64_t, std::vector<int>> seen;
  std::map<std::uint64_t, int> running_per_key;
  std::atomic<int> running{0}, peak{0}, overlap_in_a_key{0}, settled{0};
  auto sub = broker.subscriber("keyed");
  sub.max_workers(8).handle([&](const Keyed& k) {
    {
      std::lock_guard lock(mutex);
      if (++running_per_key[k.key] > 1) ++overlap_in_a_key;
      seen[k.key].push_back(k.seq);
    }
    raise_peak(peak, ++running);
    std::this_thread::sleep_for(std::chrono::microseconds(50 + 37 * (k.seq % 7)));
    --running;
    std::lock_guard lock(mutex);
    --running_per_key[k.key];
  });
  broker.start();
  for (int seq = 0; seq < kPerKey; ++seq)
    for (std::uint64_t key = 0; key < kKeys; ++key)
      deliver(sub.core(), std::make_unique<KeyedMessage>(key, seq, &settled));
  ASSERT_TRUE(eventually([&] { return settled == kKeys * kPerKey; }, 30s)) << settled;
  broker.stop();
  EXPECT_EQ(overlap_in_a_key, 0);
  EXPECT_GT(peak, 1) << "keys never ran in parallel";
  EXPECT_LE(peak, 8);
  for (std::uint64_t key = 0; key < kKeys; ++key) {
    std::vector<int> expected(kPerKey);
    for (int i = 0; i < kPerKey; ++i) expected[static_cast<std::size_t>(i)] = i;
    EXPECT_EQ(seen[key], expected) << "key " << key;
  }
  EXPECT_EQ(sub.stats().processed, static_cast<std::uint64_t>(kKeys * kPerKey));
}

// A handler that waits at a gate until the test opens it.
struct Gate {
  std::mutex mutex;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return open; });
  }
  void release() {
    std::lock_guard lock(mutex);
    open = true;
    cv.notify_all();
  }
};

TEST(OrderedKeys, OneKeysQueueIsBoundedAndOthersStillGetIn) {
  faststream::memory::Broker broker("memory://", quiet());
  Gate gate;
  std::atomic<int> settled{0};
  auto sub = broker.subscriber("keyed");
  sub.core().mutable_config().queue_capacity = 100;
  sub.core().mutable_config().key_capacity = 4;
  sub.max_workers(4).handle([&](const Keyed&) { gate.wait(); });
  broker.start();
  int taken = 0;
  for (int seq = 0; seq < 20; ++seq) {
    faststream::MessagePtr m = std::make_unique<KeyedMessage>(7, seq, &settled);
    if (!sub.core().try_deliver(m)) break;
    ++taken;
    // The first one starts running (and leaves the queue): wait for it, so the count is exact.
    if (seq == 0) {
      ASSERT_TRUE(eventually([&] { return sub.core().key_busy(7); }));
    }
  }
  EXPECT_EQ(taken, 5);  // one running + key_capacity queued
  EXPECT_EQ(sub.core().key_room(7), 0u);
  EXPECT_EQ(sub.core().key_room(8), 4u);
  faststream::MessagePtr other = std::make_unique<KeyedMessage>(8, 0, &settled);
  EXPECT_TRUE(sub.core().try_deliver(other));
  gate.release();
  ASSERT_TRUE(eventually([&] { return settled == 6; }));
  broker.stop();
}

TEST(OrderedKeys, PausedKeysWaitDiscardedOnesComeBackAndRunningOnesAreAwaited) {
  faststream::memory::Broker broker("memory://", quiet());
  Gate gate;
  std::atomic<int> settled{0};
  std::mutex mutex;
  std::multiset<std::pair<std::uint64_t, int>> handled;
  auto sub = broker.subscriber("keyed");
  sub.max_workers(8).handle([&](const Keyed& k) {
    if (k.key == 3 && k.seq == 0) gate.wait();
    std::lock_guard lock(mutex);
    handled.insert({k.key, k.seq});
  });
  broker.start();
  auto& core = sub.core();
  core.pause_key(2);
  for (int seq = 0; seq < 10; ++seq) {
    deliver(core, std::make_unique<KeyedMessage>(1, seq, &settled));
    deliver(core, std::make_unique<KeyedMessage>(2, seq, &settled));
    deliver(core, std::make_unique<KeyedMessage>(3, seq, &settled));
  }
  // Key 1 runs through, key 3 is held by its first message, key 2 is paused.
  ASSERT_TRUE(eventually([&] { return settled == 10; }));
  EXPECT_TRUE(core.key_busy(3));
  EXPECT_FALSE(core.key_busy(2));
  // A revoke: key 3's queued messages are handed back (not settled), its running one is
  // awaited with a deadline (from a coroutine).
  auto discarded = core.discard_key(3);
  EXPECT_EQ(discarded.size(), 9u);
  EXPECT_FALSE(core.wait_key_idle(3, std::chrono::steady_clock::now() + 50ms).get());
  gate.release();
  EXPECT_TRUE(core.wait_key_idle(3, std::chrono::steady_clock::now() + 5s).get());
  // Resumed, key 2's messages run in their order.
  core.resume_key(2);
  ASSERT_TRUE(eventually([&] { return settled == 21; }));
  broker.stop();
  // Every delivered message was settled or discarded, exactly once.
  std::multiset<std::pair<std::uint64_t, int>> all = handled;
  for (auto& m : discarded) {
    auto k = faststream::decode_json<Keyed>(m->body());
    all.insert({k.key, k.seq});
  }
  EXPECT_EQ(all.size(), 30u);
  const std::set<std::pair<std::uint64_t, int>> distinct(all.begin(), all.end());
  EXPECT_EQ(distinct.size(), 30u);
  EXPECT_EQ(static_cast<std::size_t>(settled.load()), handled.size());
  for (int seq = 1; seq < 10; ++seq) EXPECT_EQ(handled.count({3, seq}), 0u);
}

}  // namespace
