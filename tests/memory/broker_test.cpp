// The memory broker: fan-out, groups, wildcards and captures, RPC, redelivery, coroutine and
// plain handlers, concurrency and graceful stop.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
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
using memtest::Order;
using memtest::quiet;
using memtest::Receipt;
using memtest::silent;

Task<void> count_async(std::atomic<int>* counter) {
  counter->fetch_add(1);
  co_return;
}

void raise_peak(std::atomic<int>& peak, int now) {
  int seen = peak.load();
  while (now > seen && !peak.compare_exchange_weak(seen, now)) {
  }
}

TEST(MemoryBroker, FanOutGivesEverySubscriberACopy) {
  std::atomic<int> a{0}, b{0}, c{0}, other{0};
  Broker broker("memory://", quiet());
  auto sa = broker.subscriber("events");
  sa.handle([&a](int) { ++a; });
  auto sb = broker.subscriber("events");
  sb.handle([&b](int) { return count_async(&b); });  // a coroutine handler
  auto sc = broker.subscriber("events");
  sc.max_workers(3).handle([&c](int) { ++c; });
  broker.subscriber("events.other").handle([&other](int) { ++other; });
  broker.start();
  for (int i = 0; i < 20; ++i) broker.publish(i, "events").get();
  ASSERT_TRUE(eventually([&] { return a == 20 && b == 20 && c == 20; }));
  broker.stop();
  EXPECT_EQ(a, 20);
  EXPECT_EQ(b, 20);
  EXPECT_EQ(c, 20);
  EXPECT_EQ(other, 0);
  for (auto* s : {&sa, &sb, &sc}) {
    auto st = s->stats();
    EXPECT_EQ(st.received, 20u);
    EXPECT_EQ(st.processed, 20u);
    EXPECT_EQ(st.acked, 20u);
    EXPECT_EQ(st.failed, 0u);
  }
}

TEST(MemoryBroker, GroupMembersCompeteForEachMessage) {
  constexpr int kMessages = 300;
  std::mutex mutex;
  std::map<int, int> handled;  // message -> times handled within the group
  std::atomic<int> per_member[3] = {};
  std::atomic<int> audit{0};
  Broker broker("memory://", quiet());
  for (int m = 0; m < 3; ++m) {
    broker.subscriber("jobs", {.group = "workers"}).handle([&, m](int job) {
      ++per_member[m];
      std::lock_guard lock(mutex);
      ++handled[job];
    });
  }
  broker.subscriber("jobs").handle([&audit](int) { ++audit; });  // not in the group
  broker.start();
  for (int i = 0; i < kMessages; ++i) broker.publish(i, "jobs").get();
  ASSERT_TRUE(eventually([&] {
    return per_member[0] + per_member[1] + per_member[2] == kMessages && audit == kMessages;
  }));
  broker.stop();
  EXPECT_EQ(audit, kMessages);
  ASSERT_EQ(handled.size(), static_cast<std::size_t>(kMessages));
  for (auto& [job, times] : handled) EXPECT_EQ(times, 1) << "job " << job;
  // Round robin: one publisher, so the split is exact.
  for (auto& n : per_member) EXPECT_EQ(n, kMessages / 3);
}

TEST(MemoryBroker, WildcardsAndCapturesReachTheHandler) {
  std::mutex mutex;
  std::vector<std::string> by_level;
  std::vector<std::string> orders;
  std::atomic<int> star{0}, tail{0};
  Broker broker("memory://", silent());
  auto levels = broker.subscriber("logs.{level}");
  levels.handle([&](const std::string& text, faststream::Path<"level"> level) {
    std::lock_guard lock(mutex);
    by_level.push_back(std::string(*level) + ":" + text);
  });
  broker.subscriber("logs.*").handle([&star](const std::string&) { ++star; });
  broker.subscriber("logs.>").handle([&tail](const std::string&) { ++tail; });
  auto shop = broker.subscriber("shop.{region}.orders.{id}");
  shop.handle([&](const Order& o, faststream::Path<"region"> region, faststream::Path<"id", int> id,
                  faststream::memory::Message& msg) {
    std::lock_guard lock(mutex);
    orders.push_back(fmt::format("{}|{}|{}|{}|{}", o.id, *region, *id + 1, msg.destination(),
                                 msg.path_param("region").value_or("?")));
  });
  broker.start();
  broker.publish(std::string("disk full"), "logs.error").get();
  broker.publish(std::string("started"), "logs.info").get();
  broker.publish(std::string("deep"), "logs.a.b").get();
  Order order{"A-1", 5.0, std::nullopt};
  broker.publish(order, "shop.eu.orders.41").get();
  broker.publish(order, "shop.eu.orders.not-a-number").get();  // Path<"id", int> fails
  ASSERT_TRUE(eventually([&] {
    auto s = shop.stats();
    return star == 2 && tail == 3 && levels.stats().processed == 2 && s.processed + s.failed == 2;
  }));
  broker.stop();
  std::sort(by_level.begin(), by_level.end());
  EXPECT_EQ(by_level, (std::vector<std::string>{"error:disk full", "info:started"}));
  EXPECT_EQ(star, 2);
  EXPECT_EQ(tail, 3);
  EXPECT_EQ(orders, (std::vector<std::string>{"A-1|eu|42|shop.eu.orders.41|eu"}));
  EXPECT_EQ(shop.stats().failed, 1u);
  EXPECT_EQ(shop.stats().rejected, 1u);
}

TEST(MemoryBroker, PublishToADestinationWithoutSubscribersDeliversNothing) {
  std::atomic<int> seen{0};
  Broker broker("memory://", quiet());
  auto sub = broker.subscriber("a.b");
  sub.handle([&seen](int) { ++seen; });
  broker.start();
  EXPECT_NO_THROW(broker.publish(1, "nobody.listens").get());
  EXPECT_NO_THROW(broker.publish(2, "a").get());
  EXPECT_NO_THROW(broker.publish(3, "a.b.c").get());
  broker.publish(4, "a.b").get();
  ASSERT_TRUE(eventually([&] { return seen == 1; }));
  broker.stop();
  EXPECT_EQ(seen, 1);
  EXPECT_EQ(sub.stats().received, 1u);
}

// Records why the handler's chain failed (the text the failure log line carries).
class FailureRecorder : public faststream::Middleware {
 public:
  Task<void> on_consume(faststream::Context&, faststream::ConsumeNext next) override {
    try {
      co_await next();
    } catch (const std::exception& e) {
      std::lock_guard lock(mutex);
      reasons.emplace_back(e.what());
      throw;
    }
  }
  std::vector<std::string> seen() {
    std::lock_guard lock(mutex);
    return reasons;
  }

 private:
  std::mutex mutex;
  std::vector<std::string> reasons;
};

TEST(MemoryBroker, MaxMessageSizeIsABrokerSettingNamedInTheRejection) {
  auto settings = silent();
  settings.max_message_size = 64;
  Broker broker("memory://", settings);
  auto recorder = std::make_shared<FailureRecorder>();
  std::atomic<int> handled{0};
  auto sub = broker.subscriber("docs");
  sub.middleware(recorder).handle([&handled](const std::string&) { ++handled; });
  // A subscriber's own decode options win over the broker's setting.
  faststream::DecodeOptions roomy;
  roomy.max_message_size = 1000;
  std::atomic<int> roomy_handled{0};
  broker.subscriber("big-docs").decode_options(roomy).handle([&roomy_handled](const std::string&) {
    ++roomy_handled;
  });
  broker.start();
  broker.publish(std::string(100, 'x'), "docs").get();
  broker.publish(std::string(64, 'y'), "docs").get();
  broker.publish(std::string(100, 'z'), "big-docs").get();
  ASSERT_TRUE(eventually([&] { return sub.stats().failed == 1 && handled == 1; }));
  ASSERT_TRUE(eventually([&] { return roomy_handled == 1; }));
  broker.stop();
  auto reasons = recorder->seen();
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_NE(reasons[0].find("message of 100 bytes exceeds max_message_size (64 bytes)"),
            std::string::npos)
      << reasons[0];
  EXPECT_EQ(sub.stats().rejected, 1u);
}

TEST(MemoryBroker, PublishNeedsARunningBroker) {
  std::atomic<int> seen{0};
  Broker broker("memory://", quiet());
  broker.subscriber("x").handle([&seen](int) { ++seen; });
  EXPECT_THROW(broker.publish(1, "x").get(), faststream::BrokerNotRunning);
  broker.start();
  broker.publish(2, "x").get();
  broker.stop();
  EXPECT_EQ(seen, 1);
  EXPECT_THROW(broker.publish(3, "x").get(), faststream::BrokerNotRunning);
  EXPECT_EQ(seen, 1);
}

Task<Receipt> check_order(Order order) {
  co_await faststream::sleep(1ms);
  co_return Receipt{order.id, order.amount <= 100};
}

TEST(MemoryBroker, RequestGetsTheHandlersReplyWithTheSameCorrelationId) {
  std::mutex mutex;
  std::vector<std::string> seen_ids;
  Broker broker("memory://", quiet());
  broker.subscriber("rpc.double").handle([&](int x, faststream::Message& m) {
    std::lock_guard lock(mutex);
    seen_ids.push_back(m.correlation_id());
    return x * 2;
  });
  broker.subscriber("rpc.check").handle([](Order o) { return check_order(std::move(o)); });
  broker.start();

  faststream::RequestOptions options;
  options.correlation_id = "corr-42";
  auto reply = broker.request(21, "rpc.double", options).get();
  EXPECT_EQ(reply.decode<int>(), 42);
  EXPECT_EQ(reply.correlation_id(), "corr-42");
  EXPECT_EQ(reply.content_type(), "application/json");

  auto second = broker.request(5, "rpc.double").get();
  EXPECT_EQ(second.decode<int>(), 10);
  EXPECT_FALSE(second.correlation_id().empty());
  EXPECT_NE(second.correlation_id(), "corr-42");

  Order big{"B-7", 250.0, std::nullopt};
  auto receipt = broker.request(big, "rpc.check").get().decode<Receipt>();
  EXPECT_EQ(receipt.order_id, "B-7");
  EXPECT_FALSE(receipt.accepted);
  broker.stop();
  std::lock_guard lock(mutex);
  ASSERT_EQ(seen_ids.size(), 2u);
  EXPECT_EQ(seen_ids[0], "corr-42");
  EXPECT_EQ(seen_ids[1], second.correlation_id());
}

Task<int> slow_double(int x, std::chrono::milliseconds delay) {
  co_await faststream::sleep(delay);
  co_return x * 2;
}

TEST(MemoryBroker, RequestTimesOutWhenTheHandlerIsSlower) {
  Broker broker("memory://", quiet());
  broker.subscriber("rpc.slow").handle([](int x) { return slow_double(x, 300ms); });
  broker.start();
  faststream::RequestOptions options;
  options.timeout = 50ms;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(broker.request(1, "rpc.slow", options).get(), faststream::RequestTimeout);
  const double waited = memtest::ms_since(t0);
  EXPECT_GE(waited, 50.0);
  EXPECT_LT(waited, 300.0);  // gave up before the reply could come
  // The late reply to the first request does not answer the next one.
  auto reply = broker.request(2, "rpc.slow").get();
  EXPECT_EQ(reply.decode<int>(), 4);
  broker.stop();
}

TEST(MemoryBroker, RequestToANonConsumedDestinationHasNoResponders) {
  std::atomic<int> seen{0};
  Broker broker("memory://", quiet());
  broker.subscriber("rpc.x").handle([&seen](int x) {
    ++seen;
    return x;
  });
  broker.start();
  EXPECT_THROW(broker.request(1, "rpc.y").get(), faststream::NoResponders);
  EXPECT_THROW(broker.request(1, "rpc").get(), faststream::NoResponders);
  broker.stop();
  EXPECT_EQ(seen, 0);
}

TEST(MemoryBroker, RequestsAreSharedWithinAGroup) {
  constexpr int kMembers = 2, kRequests = 12;
  std::atomic<int> per_member[kMembers] = {};
  Broker broker("memory://", quiet());
  for (int m = 0; m < kMembers; ++m) {
    broker.subscriber("rpc.pool", {.group = "pool"}).handle([&per_member, m](int x) {
      ++per_member[m];
      return x + m * 1000;
    });
  }
  broker.start();
  for (int i = 0; i < kRequests; ++i) {
    int answer = broker.request(i, "rpc.pool").get().decode<int>();
    EXPECT_EQ(answer % 1000, i);
  }
  broker.stop();
  // Round robin, as for publish: every member answers its share.
  for (auto& n : per_member) EXPECT_EQ(n, kRequests / kMembers);
}

TEST(MemoryBroker, ManualNackRedeliversWithAHigherDeliveryCount) {
  std::mutex mutex;
  std::map<int, std::vector<std::uint32_t>> deliveries;  // value -> delivery counts seen
  Broker broker("memory://", quiet());
  auto sub = broker.subscriber("retry.manual");
  sub.handle([&](int v, faststream::memory::Message& m) {
    {
      std::lock_guard lock(mutex);
      deliveries[v].push_back(m.delivery_count());
    }
    if (m.delivery_count() == 1) {
      EXPECT_TRUE(m.nack());
    }
  });
  broker.start();
  for (int i = 0; i < 5; ++i) broker.publish(i, "retry.manual").get();
  ASSERT_TRUE(eventually([&] { return sub.stats().processed == 10; }));
  broker.stop();
  ASSERT_EQ(deliveries.size(), 5u);
  for (auto& [v, counts] : deliveries)
    EXPECT_EQ(counts, (std::vector<std::uint32_t>{1, 2})) << "value " << v;
  auto s = sub.stats();
  EXPECT_EQ(s.received, 10u);
  EXPECT_EQ(s.processed, 10u);
  EXPECT_EQ(s.nacked, 5u);  // the handler's own nacks count
  EXPECT_EQ(s.acked, 5u);
  EXPECT_EQ(s.failed, 0u);
}

TEST(MemoryBroker, ThrownNackRedeliversTheSameMessage) {
  struct Seen {
    std::uint32_t delivery;
    std::string body, correlation_id, trace, destination;
  };
  std::mutex mutex;
  std::vector<Seen> seen;
  Broker broker("memory://", quiet());
  auto sub = broker.subscriber("retry.{kind}");
  sub.handle([&](const Order& o, faststream::Message& m, faststream::Path<"kind"> kind) {
    {
      std::lock_guard lock(mutex);
      seen.push_back({m.delivery_count(), o.id + "/" + *kind, m.correlation_id(),
                      std::string(m.header("x-trace").value_or("")), m.destination()});
    }
    if (m.delivery_count() < 3) throw faststream::NackMessage();
  });
  broker.start();
  faststream::PublishOptions options;
  options.correlation_id = "c-9";
  options.headers.add("x-trace", "t-1");
  Order order{"O-3", 1.0, std::nullopt};
  broker.publish(order, "retry.thrown", options).get();
  ASSERT_TRUE(eventually([&] { return sub.stats().processed == 1; }));
  broker.stop();
  ASSERT_EQ(seen.size(), 3u);
  for (std::uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(seen[i].delivery, i + 1);
    EXPECT_EQ(seen[i].body, "O-3/thrown");
    EXPECT_EQ(seen[i].correlation_id, "c-9");
    EXPECT_EQ(seen[i].trace, "t-1");
    EXPECT_EQ(seen[i].destination, "retry.thrown");
  }
  auto s = sub.stats();
  EXPECT_EQ(s.received, 3u);
  EXPECT_EQ(s.nacked, 2u);
  EXPECT_EQ(s.acked, 1u);
  EXPECT_EQ(s.failed, 0u);  // a nack is a decision, not a failure
}

TEST(MemoryBroker, NackWithDelayRedeliversNoSooner) {
  constexpr auto kDelay = 150ms;
  std::mutex mutex;
  std::vector<std::chrono::steady_clock::time_point> at;
  Broker broker("memory://", quiet());
  auto sub = broker.subscriber("retry.later");
  sub.handle([&](int, faststream::Message& m) {
    {
      std::lock_guard lock(mutex);
      at.push_back(std::chrono::steady_clock::now());
    }
    if (m.delivery_count() == 1) throw faststream::NackMessage(faststream::NackOptions{kDelay});
  });
  broker.start();
  broker.publish(7, "retry.later").get();
  ASSERT_TRUE(eventually([&] { return sub.stats().processed == 1; }));
  broker.stop();
  ASSERT_EQ(at.size(), 2u);
  EXPECT_GE(at[1] - at[0], kDelay);
}

Task<void> forward_next(Broker* broker, int x) {
  co_await faststream::sleep(1ms);
  int next = x + 1;
  auto publish = broker->publish(next, "stage2");
  co_await std::move(publish);
}

Task<int> square_later(int x) {
  co_await faststream::sleep(1ms);
  co_return x* x;
}

TEST(MemoryBroker, CoroutineAndPlainHandlersChain) {
  std::atomic<int> sum{0}, count{0}, squares{0};
  Broker broker("memory://", quiet());
  broker.subscriber("stage1").max_workers(8).handle(
      [&broker](int x) { return forward_next(&broker, x); });
  broker.subscriber("stage2").handle([&](int x) {
    sum += x;
    ++count;
  });
  broker.subscriber("square").publishes_to("squares").handle([](int x) { return square_later(x); });
  broker.subscriber("squares").handle([&squares](int y) { squares += y; });
  broker.start();
  for (int i = 0; i < 50; ++i) broker.publish(i, "stage1").get();
  for (int i = 1; i <= 4; ++i) broker.publish(i, "square").get();
  ASSERT_TRUE(eventually([&] { return count == 50 && squares == 30; }));
  broker.stop();
  EXPECT_EQ(count, 50);
  EXPECT_EQ(sum, 50 * 51 / 2);  // 1..50
  EXPECT_EQ(squares, 1 + 4 + 9 + 16);
}

TEST(MemoryBroker, ResultGoesToTheReplyToOfAPublish) {
  std::mutex mutex;
  std::vector<std::string> answers;
  std::atomic<int> quiet_calls{0};
  Broker broker("memory://", quiet());
  broker.subscriber("ask").handle([](int x) { return "answer " + std::to_string(x); });
  broker.subscriber("ask.quiet").no_reply().handle([&quiet_calls](int x) {
    ++quiet_calls;
    return x;
  });
  auto inbox = broker.subscriber("inbox");
  inbox.handle([&](const std::string& text, faststream::Message& m) {
    std::lock_guard lock(mutex);
    answers.push_back(text + " / " + m.correlation_id());
  });
  broker.start();
  faststream::PublishOptions options;
  options.reply_to = "inbox";
  options.correlation_id = "q-1";
  broker.publish(7, "ask", options).get();
  faststream::PublishOptions quiet_options;
  quiet_options.reply_to = "inbox";
  broker.publish(8, "ask.quiet", quiet_options).get();
  ASSERT_TRUE(eventually([&] { return inbox.stats().processed == 1 && quiet_calls == 1; }));
  broker.stop();
  EXPECT_EQ(answers, (std::vector<std::string>{"answer 7 / q-1"}));
  EXPECT_EQ(inbox.stats().received, 1u);  // no_reply: nothing from ask.quiet
}

TEST(MemoryBroker, MaxWorkersRunsPlainHandlersConcurrentlyUpToTheLimit) {
  constexpr int kWorkers = 4, kMessages = 40;
  std::atomic<int> current{0}, peak{0}, done{0};
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  Broker broker("memory://", quiet());
  broker.subscriber("work").max_workers(kWorkers).handle([&](int) {
    raise_peak(peak, ++current);
    // Hold on until kWorkers handlers overlapped (bounded): proves they run at once.
    while (peak.load() < kWorkers && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(200us);
    std::this_thread::sleep_for(1ms);
    --current;
    ++done;
  });
  broker.start();
  for (int i = 0; i < kMessages; ++i) broker.publish(i, "work").get();
  ASSERT_TRUE(eventually([&] { return done == kMessages; }, 10s));
  broker.stop();
  EXPECT_EQ(peak, kWorkers);
}

Task<void> hold_together(std::atomic<int>* current, std::atomic<int>* peak, std::atomic<int>* done,
                         int wanted, std::chrono::steady_clock::time_point deadline) {
  raise_peak(*peak, ++*current);
  while (peak->load() < wanted && std::chrono::steady_clock::now() < deadline)
    co_await faststream::sleep(1ms);
  co_await faststream::sleep(2ms);
  --*current;
  ++*done;
}

TEST(MemoryBroker, MaxWorkersRunsCoroutineHandlersConcurrentlyUpToTheLimit) {
  constexpr int kWorkers = 50, kMessages = 300;
  std::atomic<int> current{0}, peak{0}, done{0};
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  Broker broker("memory://", quiet());
  broker.subscriber("work.async").max_workers(kWorkers).handle([&](int) {
    return hold_together(&current, &peak, &done, kWorkers, deadline);
  });
  broker.start();
  for (int i = 0; i < kMessages; ++i) broker.publish(i, "work.async").get();
  ASSERT_TRUE(eventually([&] { return done == kMessages; }, 10s));
  broker.stop();
  EXPECT_EQ(peak, kWorkers);
}

TEST(MemoryBroker, GracefulStopFinishesQueuedMessages) {
  constexpr int kMessages = 300;
  std::atomic<bool> go{false};
  std::vector<std::atomic<int>> seen(kMessages);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  Broker broker("memory://", quiet());
  auto sub = broker.subscriber("drain");
  sub.handle([&](int i) {
    while (!go && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(100us);
    ++seen[i];
  });
  broker.start();
  for (int i = 0; i < kMessages; ++i) broker.publish(i, "drain").get();
  // The first message is held in the handler; every other one waits in the queue.
  ASSERT_TRUE(eventually([&] { return sub.stats().in_flight == 1; }));
  EXPECT_EQ(sub.stats().queued, static_cast<std::size_t>(kMessages - 1));
  go = true;
  broker.stop();
  for (int i = 0; i < kMessages; ++i) EXPECT_EQ(seen[i], 1) << "message " << i;
  auto s = sub.stats();
  EXPECT_EQ(s.processed, static_cast<std::uint64_t>(kMessages));
  EXPECT_EQ(s.queued, 0u);
  EXPECT_EQ(s.in_flight, 0u);
}

Task<void> sleep_then_mark(std::vector<std::atomic<int>>* seen, int i) {
  co_await faststream::sleep(2ms);
  ++(*seen)[i];
}

TEST(MemoryBroker, GracefulStopFinishesSleepingCoroutines) {
  constexpr int kMessages = 500;
  std::vector<std::atomic<int>> seen(kMessages);
  Broker broker("memory://", quiet());
  auto sub = broker.subscriber("drain.async");
  sub.max_workers(10).handle([&seen](int i) { return sleep_then_mark(&seen, i); });
  broker.start();
  for (int i = 0; i < kMessages; ++i) broker.publish(i, "drain.async").get();
  broker.stop();  // right away: most are still queued or asleep
  for (int i = 0; i < kMessages; ++i) EXPECT_EQ(seen[i], 1) << "message " << i;
  EXPECT_EQ(sub.stats().processed, static_cast<std::uint64_t>(kMessages));
}

TEST(MemoryBroker, CredentialsInItsUrlStayOutOfLogsAndErrors) {
  Broker broker("memory://admin:s3cret-pw@box", quiet(faststream::LogLevel::info));
  EXPECT_EQ(broker.core().transport().public_url(), "memory://box");
  testing::internal::CaptureStderr();
  broker.start();
  broker.stop();
  const std::string logs = testing::internal::GetCapturedStderr();
  EXPECT_NE(logs.find("broker started: memory memory://box"), std::string::npos) << logs;
  EXPECT_EQ(logs.find("s3cret"), std::string::npos) << logs;
  try {
    broker.core().transport().set_url("redis://admin:s3cret-pw@box");
    FAIL() << "a redis:// URL must be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).find("s3cret"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("got 'redis://box'"), std::string::npos) << e.what();
  }
}

}  // namespace
