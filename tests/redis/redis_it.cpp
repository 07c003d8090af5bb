// The Redis backend against a real redis-server started by the test (its own port and pid).
#include <gtest/gtest.h>

#include <faststream/asyncapi.hpp>
#include <faststream/redis.hpp>

#include <atomic>
#include <csignal>
#include <mutex>
#include <set>

#include "support/http_get.hpp"
#include "support/models.hpp"
#include "support/redis_server.hpp"

using namespace std::chrono_literals;
using fs_test::eventually;
using fs_test::Order;
using fs_test::quiet;
using fs_test::Receipt;
using fs_test::RedisServer;
namespace redis = faststream::redis;

namespace {

// One server for the tests that do not restart it; every test uses its own key names.
// The run's shared server (a CTest fixture); tests that stop, restart or configure a
// server start a RedisServer of their own.
RedisServer& shared_server() {
  return fs_test::shared_redis_server();
}

std::string unique(const std::string& base) {
  return base + "." + faststream::generate_id();
}

Order order(std::string id, double amount) {
  return Order{std::move(id), amount, std::nullopt};
}

}  // namespace

TEST(RedisChannel, TypedMessagesArriveAndResultsArePublished) {
  auto& server = shared_server();
  redis::Broker broker(server.url(), quiet());
  const auto in = unique("orders"), out = unique("receipts");
  std::mutex mutex;
  std::vector<Receipt> receipts;
  std::vector<std::string> correlations;
  broker.subscriber(in).publishes_to(out).handle([](const Order& o) -> Receipt {
    return {o.id, o.amount > 0};
  });
  broker.subscriber(out).handle([&](const Receipt& r, redis::Message& m) {
    std::lock_guard lock(mutex);
    receipts.push_back(r);
    correlations.push_back(m.correlation_id());
    EXPECT_EQ(m.source(), redis::Source::channel);
  });
  broker.start();
  faststream::PublishOptions options;
  options.correlation_id = "corr-1";
  // The publish says what Redis said: PUBLISH counted one subscriber.
  auto sent = broker.publish(order("A-1", 3), in, options).get();
  EXPECT_EQ(sent.receivers, 1u);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return receipts.size() == 1;
  }));
  EXPECT_EQ(broker.publish(order("A-2", 3), unique("nobody")).get().receivers, 0u);
  // XADD answers the entry's id.
  const auto stream = unique("events");
  auto added = broker.publish(order("A-3", 3), redis::to_stream(stream)).get();
  EXPECT_FALSE(added.id.empty());
  EXPECT_EQ(server.command({"XRANGE", stream, added.id, added.id}), "1");
  broker.stop();
  EXPECT_EQ(receipts[0].order_id, "A-1");
  EXPECT_TRUE(receipts[0].accepted);
  EXPECT_EQ(correlations[0], "corr-1");
}

TEST(RedisChannel, PatternCapturesOneTokenAndRejectsDeeperChannels) {
  auto& server = shared_server();
  redis::Broker broker(server.url(), quiet());
  const auto base = unique("logs");
  std::mutex mutex;
  std::vector<std::string> levels;
  auto sub = broker.subscriber(base + ".{level}");
  sub.handle([&](const std::string& text, faststream::Path<"level"> level, redis::Message& m) {
    std::lock_guard lock(mutex);
    levels.push_back(*level + ":" + text);
    EXPECT_EQ(m.pattern(), base + ".*");
  });
  broker.start();
  // PSUBSCRIBE needs a moment to be active after start.
  ASSERT_TRUE(eventually([&] { return server.command({"PUBSUB", "NUMPAT"}) != "0"; }));
  broker.publish(std::string("disk full"), base + ".error").get();
  // Redis's glob `*` spans dots, so this reaches the subscriber; {level} takes one token, so
  // the message fails (logged, dropped: channels are at-most-once) instead of guessing.
  broker.publish(std::string("nested"), base + ".a.b").get();
  broker.publish(std::string("ok"), base + ".info").get();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return levels.size() == 2 && sub.stats().failed == 1;
  }));
  broker.stop();
  std::multiset<std::string> got(levels.begin(), levels.end());
  EXPECT_EQ(got, (std::multiset<std::string>{"error:disk full", "info:ok"}));
}

TEST(RedisChannel, RequestIsAnsweredByTheHandler) {
  auto& server = shared_server();
  redis::Broker broker(server.url(), quiet());
  const auto rpc = unique("rpc");
  broker.subscriber(rpc).handle([](const Order& o) -> Receipt { return {o.id, true}; });
  broker.start();
  EXPECT_EQ(server.subscribers(rpc), 1);  // start() returns once subscribed
  faststream::RequestOptions options;
  options.correlation_id = "rpc-7";
  options.timeout = 3s;
  auto reply = broker.request(order("R-1", 1), rpc, options).get();
  EXPECT_EQ(reply.correlation_id(), "rpc-7");
  EXPECT_EQ(reply.decode<Receipt>().order_id, "R-1");
  // PUBLISH says how many received it: a request nobody received fails at once.
  faststream::RequestOptions long_wait;
  long_wait.timeout = 30s;
  EXPECT_THROW(broker.request(order("R-2", 1), unique("nobody"), long_wait).get(),
               faststream::NoResponders);
  // Received by a subscriber that never answers: the timeout.
  const auto silent_rpc = unique("silent");
  broker.stop();
  redis::Broker second(server.url(), quiet());
  second.subscriber(silent_rpc).no_reply().handle([](const Order&) {});
  second.start();
  faststream::RequestOptions short_wait;
  short_wait.timeout = 200ms;
  EXPECT_THROW(second.request(order("R-3", 1), silent_rpc, short_wait).get(),
               faststream::RequestTimeout);
  second.stop();
}

TEST(RedisList, EntriesAreConsumedOnceAcrossCompetingSubscribers) {
  auto& server = shared_server();
  const auto key = unique("jobs");
  constexpr int kMessages = 300;
  std::atomic<int> a{0}, b{0};
  std::mutex mutex;
  std::set<std::string> seen;
  auto record = [&](const Order& o) {
    std::lock_guard lock(mutex);
    EXPECT_TRUE(seen.insert(o.id).second) << "duplicate " << o.id;
  };
  redis::Broker first(server.url(), quiet());
  redis::Broker second(server.url(), quiet());
  first.subscriber(key, redis::list()).handle([&](const Order& o) {
    record(o);
    ++a;
  });
  second.subscriber(key, redis::list()).handle([&](const Order& o) {
    record(o);
    ++b;
  });
  first.start();
  second.start();
  for (int i = 0; i < kMessages; ++i)
    first.publish(order("J-" + std::to_string(i), 1), redis::to_list(key)).get();
  ASSERT_TRUE(eventually([&] { return a + b == kMessages; }, 10s));
  first.stop();
  second.stop();
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kMessages));
  EXPECT_EQ(server.command({"LLEN", key}), "0");
}

TEST(RedisList, BatchSubscriberGetsUpToMaxRecords) {
  auto& server = shared_server();
  const auto key = unique("batch");
  // Entries already waiting in the list before the subscriber starts.
  redis::Broker publisher(server.url(), quiet());
  publisher.start();
  for (int i = 0; i < 25; ++i)
    publisher.publish(order("B-" + std::to_string(i), 1), redis::to_list(key)).get();
  publisher.stop();

  redis::Broker broker(server.url(), quiet());
  std::mutex mutex;
  std::vector<std::size_t> sizes;
  broker.subscriber(key, redis::list({.max_records = 10}))
      .batch({.max_records = 10, .timeout = 50ms})
      .handle([&](const std::vector<Order>& batch) {
        std::lock_guard lock(mutex);
        sizes.push_back(batch.size());
      });
  broker.start();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    std::size_t total = 0;
    for (auto s : sizes) total += s;
    return total == 25;
  }));
  broker.stop();
  for (auto s : sizes) EXPECT_LE(s, 10u);
  EXPECT_GE(sizes.size(), 3u);
}

TEST(RedisStream, GroupConsumerAcksWithXack) {
  auto& server = shared_server();
  const auto key = unique("events");
  redis::Broker broker(server.url(), quiet());
  std::atomic<int> handled{0};
  auto sub = broker.subscriber(key, redis::stream({.group = "g", .consumer = "c1"}));
  sub.handle([&](const Order& o, redis::Message& m) {
    EXPECT_EQ(m.source(), redis::Source::stream);
    EXPECT_FALSE(m.entry_id().empty());
    EXPECT_EQ(o.id.rfind("E-", 0), 0u);
    ++handled;
  });
  broker.start();
  for (int i = 0; i < 50; ++i)
    broker.publish(order("E-" + std::to_string(i), 1), redis::to_stream(key)).get();
  ASSERT_TRUE(eventually([&] { return handled == 50 && sub.stats().acked == 50; }));
  // Every entry acknowledged: nothing pending for the group.
  ASSERT_TRUE(eventually([&] {
    return server.command({"XPENDING", key, "g"}) != "" && server.command({"XLEN", key}) == "50";
  }));
  auto pending_after = [&] { return server.command({"XPENDING", key, "g", "-", "+", "100"}); };
  EXPECT_TRUE(eventually([&] { return pending_after() == "0"; })) << pending_after();
  broker.stop();
}

TEST(RedisStream, FailedEntriesStayPendingAndAreClaimedByAnotherConsumer) {
  auto& server = shared_server();
  const auto key = unique("claims");
  redis::StreamOptions slow{.group = "g", .consumer = "a", .min_idle_time = 300ms};
  redis::StreamOptions other{.group = "g", .consumer = "b", .min_idle_time = 300ms};
  redis::Broker first(server.url(), quiet());
  redis::Broker second(server.url(), quiet());
  std::atomic<int> failures{0};
  std::mutex mutex;
  std::vector<std::uint32_t> claimed_deliveries;
  first.subscriber(key, redis::stream(slow)).handle([&](const Order&) {
    ++failures;
    throw std::runtime_error("consumer a cannot handle it");
  });
  first.start();
  first.publish(order("C-1", 1), redis::to_stream(key)).get();
  ASSERT_TRUE(eventually([&] { return failures >= 1; }));
  first.stop();  // a is gone; its entry stays pending

  EXPECT_EQ(server.command({"XPENDING", key, "g", "-", "+", "10"}), "1");
  second.subscriber(key, redis::stream(other)).handle([&](const Order& o, redis::Message& m) {
    EXPECT_EQ(o.id, "C-1");
    std::lock_guard lock(mutex);
    claimed_deliveries.push_back(m.delivery_count());
  });
  second.start();
  ASSERT_TRUE(eventually(
      [&] {
        std::lock_guard lock(mutex);
        return claimed_deliveries.size() == 1;
      },
      5s));
  ASSERT_TRUE(eventually([&] {
    return server.command({"XPENDING", key, "g", "-", "+", "10"}) == "0";
  }));
  second.stop();
  EXPECT_GE(claimed_deliveries[0], 2u);
}

TEST(RedisStream, ClaimedEntriesCarryTheirOwnDeliveryCounts) {
  auto& server = shared_server();
  const auto key = unique("claim-counts");
  ASSERT_EQ(server.command({"XGROUP", "CREATE", key, "g", "0", "MKSTREAM"}), "OK");
  // Five entries read by a consumer that vanished: each delivered once, then claimed back by
  // it k more times, so entry k has been delivered k + 1 times when our consumer claims it.
  for (int k = 0; k < 5; ++k)
    ASSERT_NE(server.command({"XADD", key, std::to_string(k + 1) + "-1", "__data__",
                              R"({"id":"O-)" + std::to_string(k) + R"(","amount":1})"}),
              "");
  ASSERT_EQ(server.command({"XREADGROUP", "GROUP", "g", "gone", "COUNT", "5", "STREAMS", key, ">"}),
            "1");
  for (int k = 0; k < 5; ++k)
    for (int again = 0; again < k; ++again)
      ASSERT_EQ(server.command({"XCLAIM", key, "g", "gone", "0", std::to_string(k + 1) + "-1"}),
                "1");
  redis::Broker broker(server.url(), quiet());
  std::mutex mutex;
  std::map<std::string, std::uint32_t> deliveries;
  broker.subscriber(key, redis::stream({.group = "g", .consumer = "b", .min_idle_time = 50ms}))
      .handle([&](const Order& o, redis::Message& m) {
        std::lock_guard lock(mutex);
        deliveries[o.id] = m.delivery_count();
      });
  broker.start();
  ASSERT_TRUE(eventually(
      [&] {
        std::lock_guard lock(mutex);
        return deliveries.size() == 5;
      },
      5s));
  ASSERT_TRUE(eventually([&] {
    return server.command({"XPENDING", key, "g", "-", "+", "10"}) == "0";
  }));
  broker.stop();
  // The claim itself is one more delivery.
  for (int k = 0; k < 5; ++k)
    EXPECT_EQ(deliveries["O-" + std::to_string(k)], static_cast<std::uint32_t>(k + 2)) << k;
}

TEST(RedisStream, EntriesDeliveredTooOftenGoToTheDeadLetterStream) {
  auto& server = shared_server();
  const auto key = unique("dlq-source");
  const auto dead = unique("dlq");
  redis::Broker broker(server.url(), quiet(faststream::LogLevel::critical));
  std::atomic<int> attempts{0};
  redis::StreamOptions options{.group = "g",
                               .consumer = "c",
                               .min_idle_time = 100ms,
                               .dead_letter_after = 2,
                               .dead_letter_stream = dead};
  broker.subscriber(key, redis::stream(options)).handle([&](const Order&) {
    ++attempts;
    throw std::runtime_error("always fails");
  });
  std::atomic<int> dead_letters{0};
  std::string reason;
  std::mutex mutex;
  broker.subscriber(dead, redis::stream({.last_id = "0"}))
      .handle([&](const Order& o, redis::Message& m) {
        EXPECT_EQ(o.id, "D-1");
        std::lock_guard lock(mutex);
        reason = std::string(m.header("x-dead-letter-reason").value_or(""));
        ++dead_letters;
      });
  broker.start();
  broker.publish(order("D-1", 1), redis::to_stream(key)).get();
  ASSERT_TRUE(eventually([&] { return dead_letters == 1; }, 10s)) << attempts;
  ASSERT_TRUE(eventually([&] {
    return server.command({"XPENDING", key, "g", "-", "+", "10"}) == "0";
  }));
  broker.stop();
  EXPECT_EQ(attempts, 2);  // delivered twice, then dead-lettered at the third delivery
  std::lock_guard lock(mutex);
  EXPECT_NE(reason.find("delivered 3 times"), std::string::npos) << reason;
}

TEST(RedisWire, RawJsonFromOtherProducersIsAccepted) {
  auto& server = shared_server();
  redis::Broker broker(server.url(), quiet());
  const auto ch = unique("raw");
  std::atomic<int> handled{0};
  auto sub = broker.subscriber(ch);
  sub.handle([&](const Order& o) {
    EXPECT_EQ(o.id, "RAW-1");
    ++handled;
  });
  broker.start();
  EXPECT_EQ(server.subscribers(ch), 1);  // start() returns once subscribed
  server.command({"PUBLISH", ch, R"({"id":"RAW-1","amount":2})"});
  // A corrupt FastStream envelope and a schema violation: failed, logged, consumer goes on.
  static const char kCorrupt[] =
      "\x89"
      "BIN\r\n\x1a\n\x00\x01\x00\x00\x00\xff";
  server.command({"PUBLISH", ch, std::string(kCorrupt, sizeof kCorrupt - 1)});
  server.command({"PUBLISH", ch, R"({"id":"","amount":-1})"});
  server.command({"PUBLISH", ch, R"({"id":"RAW-1","amount":3})"});
  ASSERT_TRUE(eventually([&] { return handled == 2 && sub.stats().failed == 2; }));
  broker.stop();
}

TEST(RedisSecurity, PasswordStaysOutOfLogsAndDocs) {
  RedisServer server({"--requirepass", "s3cret-pw"});
  redis::Broker broker(server.url(":s3cret-pw"), quiet(faststream::LogLevel::info));
  faststream::App app{broker, {.title = "secure"}};
  std::atomic<int> handled{0};
  broker.subscriber("secure.orders").handle([&](const Order&) { ++handled; });
  testing::internal::CaptureStderr();
  broker.start();
  broker.publish(order("S-1", 1), "secure.orders").get();
  eventually([&] { return handled == 1; });
  broker.stop();
  std::string logs = testing::internal::GetCapturedStderr();
  EXPECT_EQ(handled, 1);
  EXPECT_EQ(logs.find("s3cret-pw"), std::string::npos) << logs;
  for (auto version :
       {faststream::asyncapi::Version::v3_0_0, faststream::asyncapi::Version::v2_6_0}) {
    auto doc = faststream::asyncapi::generate(broker.core(), app.info(), {.version = version});
    EXPECT_EQ(doc.find("s3cret-pw"), std::string::npos) << doc;
    EXPECT_NE(doc.find("127.0.0.1:" + std::to_string(server.port())), std::string::npos);
  }
  // A wrong password: start fails with a message naming the host, never the password.
  redis::Broker wrong(server.url(":not-it"), quiet(faststream::LogLevel::off));
  wrong.subscriber("x").handle([](const Order&) {});
  try {
    wrong.start();
    FAIL() << "start must fail";
  } catch (const std::exception& e) {
    std::string what = e.what();
    EXPECT_EQ(what.find("not-it"), std::string::npos) << what;
    EXPECT_NE(what.find("127.0.0.1"), std::string::npos) << what;
  }
}

TEST(RedisReconnect, RestartLosesNothingOnAStream) {
  RedisServer server({"--appendonly", "yes", "--appendfsync", "always"});
  const std::string key = "restart.events";
  redis::Broker broker(server.url(), quiet(faststream::LogLevel::critical));
  std::mutex mutex;
  std::set<std::string> seen;
  broker.subscriber(key, redis::stream({.group = "g", .consumer = "c1"}))
      .handle([&](const Order& o) {
        std::lock_guard lock(mutex);
        seen.insert(o.id);
      });
  broker.start();
  for (int i = 0; i < 20; ++i)
    broker.publish(order("R-" + std::to_string(i), 1), redis::to_stream(key)).get();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return seen.size() == 20;
  }));
  server.stop();
  server.start();
  // Publishing waits for the reconnection (wait_for_reconnect) instead of failing or dropping.
  for (int i = 20; i < 40; ++i)
    broker.publish(order("R-" + std::to_string(i), 1), redis::to_stream(key)).get();
  ASSERT_TRUE(eventually(
      [&] {
        std::lock_guard lock(mutex);
        return seen.size() == 40;
      },
      15s));
  EXPECT_GE(broker.stats().reconnects, 1u);
  broker.stop();
}

TEST(RedisStream, ARunningHandlerKeepsItsEntryFromBeingClaimed) {
  auto& server = shared_server();
  const auto key = unique("lease");
  redis::Broker worker(server.url(), quiet());
  redis::Broker claimer(server.url(), quiet());
  std::atomic<int> worker_calls{0}, claimer_calls{0};
  worker
      .subscriber(key, redis::stream({.group = "g", .consumer = "worker", .min_idle_time = 200ms}))
      .handle([&](const Order&) {
        ++worker_calls;
        std::this_thread::sleep_for(1s);  // five times min_idle_time
      });
  claimer
      .subscriber(key, redis::stream({.group = "g", .consumer = "claimer", .min_idle_time = 200ms}))
      .handle([&](const Order&) { ++claimer_calls; });
  worker.start();
  // Only the worker reads new entries at first: the claimer starts once the entry is taken.
  worker.publish(order("L-1", 1), redis::to_stream(key)).get();
  ASSERT_TRUE(eventually([&] { return worker_calls == 1; }));
  claimer.start();
  std::this_thread::sleep_for(1200ms);
  worker.stop();
  claimer.stop();
  EXPECT_EQ(worker_calls, 1);
  EXPECT_EQ(claimer_calls, 0) << "the entry was claimed while its handler still ran";
  EXPECT_EQ(server.command({"XPENDING", key, "g", "-", "+", "10"}), "0");
}

TEST(RedisStream, StopInTheMiddleOfABacklogLeavesNothingHandledButUnacked) {
  auto& server = shared_server();
  const auto key = unique("backlog");
  constexpr int kEntries = 300;
  {
    redis::Broker producer(server.url(), quiet());
    producer.start();
    for (int i = 0; i < kEntries; ++i)
      producer.publish(order("B-" + std::to_string(i), 1), redis::to_stream(key)).get();
    producer.stop();
  }
  std::mutex mutex;
  std::multiset<std::string> handled;
  auto run_consumer = [&](std::chrono::milliseconds run_for) {
    redis::Broker broker(server.url(), quiet());
    broker.subscriber(key, redis::stream({.group = "g", .consumer = "c", .last_id = "0"}))
        .max_workers(4)
        .handle([&](const Order& o) {
          std::this_thread::sleep_for(2ms);
          std::lock_guard lock(mutex);
          handled.insert(o.id);
        });
    broker.start();
    std::this_thread::sleep_for(run_for);
    broker.stop();  // the drain: in-flight entries finish and are acked
    return broker.core().subscribers().front()->stats();
  };
  auto first = run_consumer(100ms);
  {
    std::lock_guard lock(mutex);
    ASSERT_GT(handled.size(), 0u);
    ASSERT_LT(handled.size(), static_cast<std::size_t>(kEntries)) << "stopped too late to test";
    // Every handled entry was acked: the pending entries are exactly the unhandled ones.
    EXPECT_EQ(first.acked, handled.size());
    EXPECT_EQ(server.command({"XPENDING", key, "g", "-", "+", "1000"}),
              std::to_string(std::min<std::size_t>(first.received, kEntries) - handled.size()));
  }
  // The same consumer comes back: its pending entries first, then the rest. Nothing lost.
  run_consumer(3s);
  std::lock_guard lock(mutex);
  std::set<std::string> distinct(handled.begin(), handled.end());
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kEntries));
  EXPECT_EQ(handled.size(), static_cast<std::size_t>(kEntries)) << "duplicates";
  EXPECT_EQ(server.command({"XPENDING", key, "g", "-", "+", "1000"}), "0");
}

TEST(RedisReconnect, ChannelsAreResubscribedAndGroupsRecreatedAfterARestart) {
  // No persistence: the restarted server has no streams and no groups.
  RedisServer server;
  redis::Broker broker(server.url(), quiet(faststream::LogLevel::critical));
  std::atomic<int> channel_calls{0}, stream_calls{0};
  broker.subscriber("restart.ch").handle([&](const Order&) { ++channel_calls; });
  broker.subscriber("restart.st", redis::stream({.group = "g", .consumer = "c"}))
      .handle([&](const Order&) { ++stream_calls; });
  broker.start();
  broker.publish(order("before", 1), "restart.ch").get();
  broker.publish(order("before", 1), redis::to_stream("restart.st")).get();
  ASSERT_TRUE(eventually([&] { return channel_calls == 1 && stream_calls == 1; }));
  server.stop();
  server.start();
  // The pub/sub connection comes back and subscribes again (PUBLISH then counts it).
  ASSERT_TRUE(eventually([&] { return server.subscribers("restart.ch") == 1; }, 15s));
  EXPECT_EQ(broker.publish(order("after", 1), "restart.ch").get().receivers, 1u);
  ASSERT_TRUE(eventually([&] { return channel_calls == 2; }, 10s));
  // The stream and its group are gone: XADD creates the stream, the consumer recreates the
  // group (NOGROUP) and reads on. Entries added before the group is back are older than it
  // ($), so keep publishing until one gets through.
  ASSERT_TRUE(eventually(
      [&] {
        broker.publish(order("after", 1), redis::to_stream("restart.st")).get();
        return stream_calls >= 2;
      },
      15s));
  EXPECT_GE(broker.stats().groups_recreated, 1u);
  EXPECT_GE(broker.stats().reconnects, 1u);
  broker.stop();
}

TEST(RedisReconnect, PublishDuringAnOutageFailsClearlyWhenNotWaiting) {
  RedisServer server;
  redis::BrokerOptions options;
  options.wait_for_reconnect = false;
  redis::Broker broker(server.url(), quiet(faststream::LogLevel::off), options);
  broker.start();
  broker.publish(order("up", 1), "outage").get();
  server.stop();
  ASSERT_TRUE(eventually(
      [&] {
        try {
          broker.publish(order("down", 1), "outage").get();
          return false;
        } catch (const faststream::BrokerNotRunning& e) {
          EXPECT_NE(std::string(e.what()).find("unreachable"), std::string::npos) << e.what();
          return true;
        } catch (const faststream::PublishError&) {
          return false;  // the connection drop itself may surface once as a publish error
        }
      },
      10s));
  server.start();
  ASSERT_TRUE(eventually(
      [&] {
        try {
          broker.publish(order("back", 1), "outage").get();
          return true;
        } catch (const std::exception&) {
          return false;
        }
      },
      15s));
  broker.stop();
}

TEST(RedisChannel, OutputBufferDisconnectsAreCountedAndLogged) {
  RedisServer server({"--client-output-buffer-limit", "pubsub 64kb 32kb 1"});
  redis::Broker broker(server.url(), quiet(faststream::LogLevel::off));
  std::atomic<int> calls{0};
  broker.subscriber("flood", {.queue_capacity = 8}).handle([&](const std::string&) {
    ++calls;
    std::this_thread::sleep_for(20ms);  // far slower than the publisher
  });
  broker.start();
  // Flood from a raw connection: once the kernel's socket buffers are full too, the
  // subscriber's output buffer in Redis passes the limit and Redis cuts it off.
  std::string payload(16 * 1024, 'x');
  int published = 0;
  while (broker.stats().pubsub_disconnects == 0 && published < 4000) {
    server.command({"PUBLISH", "flood", payload});
    ++published;
  }
  ASSERT_TRUE(eventually([&] { return broker.stats().pubsub_disconnects >= 1; }, 15s))
      << published << " published";
  broker.stop();
  EXPECT_LT(calls, published);
}

TEST(RedisWire, OversizeMessagesFailAndTheSubscriberGoesOn) {
  auto& server = shared_server();
  redis::Broker broker(server.url(), quiet(faststream::LogLevel::off));
  const auto key = unique("big");
  std::atomic<int> ok{0};
  faststream::DecodeOptions small;
  small.max_message_size = 256;
  auto sub = broker.subscriber(key, redis::list()).decode_options(small);
  sub.handle([&](const std::string&) { ++ok; });
  broker.start();
  broker.publish(std::string(1000, 'a'), redis::to_list(key)).get();
  broker.publish(std::string("small"), redis::to_list(key)).get();
  ASSERT_TRUE(eventually([&] { return ok == 1 && sub.stats().failed == 1; }));
  broker.stop();
}

TEST(RedisAsyncApi, ServersAndBindingsDescribeTheRedisSources) {
  redis::Broker broker("redis://admin:pw@cache.local:6380/2", quiet());
  faststream::App app{broker, {.title = "bindings"}};
  broker.subscriber("orders").handle([](const Order&) {});
  broker.subscriber("logs.{level}").handle([](const std::string&) {});
  broker.subscriber("jobs", redis::list()).handle([](const Order&) {});
  broker.subscriber("events", redis::stream({.group = "g", .consumer = "c1"}))
      .handle([](const Order&) {});
  broker.publisher<Receipt>(redis::to_stream("receipts"));
  auto doc = faststream::asyncapi::generate(broker.core(), app.info(), {});
  EXPECT_NE(doc.find(R"("host": "cache.local:6380")"), std::string::npos) << doc;
  EXPECT_NE(doc.find(R"("pathname": "/2")"), std::string::npos);
  EXPECT_NE(doc.find(R"("protocol": "redis")"), std::string::npos);
  for (auto method : {"subscribe", "psubscribe", "lpop", "xreadgroup", "xadd"})
    EXPECT_NE(doc.find(std::string(R"("method": ")") + method + "\""), std::string::npos) << method;
  EXPECT_NE(doc.find(R"("groupName": "g")"), std::string::npos);
  EXPECT_EQ(doc.find("pw"), std::string::npos);
  EXPECT_EQ(doc.find("admin"), std::string::npos);
}

TEST(RedisList, BatchPublishIsOneAtomicPushInOrder) {
  auto& server = shared_server();
  redis::Broker broker(server.url(), quiet());
  const auto key = unique("pushed");
  broker.start();
  std::vector<Order> orders;
  for (int i = 0; i < 20; ++i) orders.push_back(order("P-" + std::to_string(i), i));
  broker.publish_batch(orders, redis::to_list(key)).get();
  EXPECT_EQ(server.command({"LLEN", key}), "20");
  broker.stop();
  // Consumed in the order they were pushed.
  redis::Broker consumer(server.url(), quiet());
  std::mutex mutex;
  std::vector<std::string> ids;
  consumer.subscriber(key, redis::list()).handle([&](const Order& o) {
    std::lock_guard lock(mutex);
    ids.push_back(o.id);
  });
  consumer.start();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return ids.size() == 20;
  }));
  consumer.stop();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(ids[i], "P-" + std::to_string(i));
}

TEST(RedisStream, SigtermDrainsAndLeavesOnlyUnhandledEntriesPending) {
  auto& server = shared_server();
  const auto key = unique("sigterm");
  constexpr int kEntries = 400;
  redis::Broker producer(server.url(), quiet());
  producer.start();
  for (int i = 0; i < kEntries; ++i)
    producer.publish(order("T-" + std::to_string(i), 1), redis::to_stream(key)).get();
  producer.stop();

  std::mutex mutex;
  std::multiset<std::string> handled;
  auto count = [&] {
    std::lock_guard lock(mutex);
    return handled.size();
  };
  auto declare = [&](redis::Broker& broker) {
    broker.subscriber(key, redis::stream({.group = "g", .consumer = "c", .last_id = "0"}))
        .max_workers(4)
        .handle([&](const Order& o) {
          std::this_thread::sleep_for(3ms);
          std::lock_guard lock(mutex);
          handled.insert(o.id);
        });
  };
  {
    redis::Broker broker(server.url(), quiet());
    faststream::App app{broker};
    declare(broker);
    app.after_startup([&] {
      std::thread([&] {
        eventually([&] { return count() >= 50; });
        std::raise(SIGTERM);  // what `kill` or Ctrl+C sends the service
      }).detach();
    });
    ASSERT_EQ(app.run(), 0);
    const std::size_t done = count();
    ASSERT_LT(done, static_cast<std::size_t>(kEntries)) << "the signal came too late";
    // Every handled entry was acked before the service exited.
    EXPECT_EQ(broker.core().subscribers().front()->stats().acked, done);
    // Pending = read but never handled: none of them was handled.
    EXPECT_EQ(server.command({"XPENDING", key, "g", "-", "+", "1000"}) == "0", false);
  }
  // The service comes back: its pending entries, then the rest. Nothing lost, no duplicates.
  redis::Broker again(server.url(), quiet());
  declare(again);
  again.start();
  ASSERT_TRUE(eventually([&] { return count() >= static_cast<std::size_t>(kEntries); }, 15s));
  again.stop();
  std::lock_guard lock(mutex);
  EXPECT_EQ(std::set<std::string>(handled.begin(), handled.end()).size(),
            static_cast<std::size_t>(kEntries));
  EXPECT_EQ(handled.size(), static_cast<std::size_t>(kEntries)) << "duplicates";
  EXPECT_EQ(server.command({"XPENDING", key, "g", "-", "+", "1000"}), "0");
}

TEST(RedisSideDoor, ReadinessFollowsTheServerAndMetricsCountItsMessages) {
  RedisServer server;  // its own: this test stops it
  redis::Broker broker(server.url(), quiet(faststream::LogLevel::off),
                       {.reconnect_max_delay = 200ms});
  faststream::App app{broker, {.title = "side"}};
  app.serve_http({.port = 0, .ping_timeout = 500ms});
  const auto key = unique("side");
  std::atomic<int> handled{0};
  broker.subscriber(key, redis::list()).handle([&](const Order&) { ++handled; });
  std::thread runner([&] { app.run(); });
  ASSERT_TRUE(eventually([&] { return !app.http_url().empty() && broker.running(); }));
  const auto url = app.http_url();
  for (int i = 0; i < 3; ++i)
    broker.publish(order("M-" + std::to_string(i), 1), redis::to_list(key)).get();
  ASSERT_TRUE(eventually([&] { return handled == 3; }));
  const auto metrics = fs_test::parse_prometheus(fs_test::http_get(url, "/metrics").body);
  const std::string labels = "{app_name=\"faststream\",broker=\"redis\",handler=\"" + key + "\"";
  EXPECT_EQ(metrics.at("faststream_received_messages_total" + labels + "}"), 3);
  EXPECT_EQ(
      metrics.at("faststream_received_processed_messages_total" + labels + ",status=\"acked\"}"),
      3);
  EXPECT_EQ(
      metrics.at("faststream_published_messages_total{app_name=\"faststream\",broker=\"redis\","
                 "destination=\"" +
                 key + "\",status=\"success\"}"),
      3);

  fs_test::expect_readiness_follows(url, server);
  app.stop();
  runner.join();
}
