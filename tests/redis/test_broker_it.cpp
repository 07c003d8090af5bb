// TestBroker with Redis's routing rules. The same tests run in memory (handlers inline in
// publish) and, registered again with FASTSTREAM_TEST_REAL=1 (suffix .real), against the
// real redis-server.
#include <gtest/gtest.h>

#include <faststream/redis.hpp>
#include <faststream/testing.hpp>

#include <atomic>

#include "support/models.hpp"
#include "support/redis_server.hpp"

using namespace std::chrono_literals;
using fs_test::Order;
using fs_test::quiet;
using fs_test::Receipt;
namespace redis = faststream::redis;
using faststream::testing::TestBroker;

namespace {

// The run's shared server when the test runs against the real broker; in memory nothing
// connects, so no server is started for it.
std::string server_url() {
  if (!faststream::testing::real_broker_requested()) return "redis://127.0.0.1:6379";
  return fs_test::shared_redis_server().url();
}

std::string unique(const std::string& base) {
  return base + faststream::generate_id().substr(0, 8);
}

Order order(std::string id) {
  return Order{std::move(id), 1, std::nullopt};
}

}  // namespace

TEST(RedisTestBroker, ChannelsRouteExactlyAndByPattern) {
  redis::Broker broker(server_url(), quiet());
  const auto ns = unique("tb");
  broker.subscriber(ns + ".orders").handle([](const Order&) {});
  broker.subscriber(ns + ".logs.*").handle([](const std::string&) {});
  broker.subscriber(ns + ".logs.{level}").handle([](const std::string&, faststream::Path<"level">) {
  });
  TestBroker tb{broker};
  tb.publish(order("A"), ns + ".orders");
  tb.publish(std::string("disk"), ns + ".logs.error");
  ASSERT_TRUE(tb.calls(ns + ".orders").wait_call(5s));
  ASSERT_TRUE(tb.calls(ns + ".logs.*").wait_call(5s));
  ASSERT_TRUE(tb.calls(ns + ".logs.{level}").wait_call(5s));
  auto capture = tb.calls(ns + ".logs.{level}").last();
  EXPECT_EQ(capture.path, (std::vector<std::pair<std::string, std::string>>{{"level", "error"}}));
  EXPECT_EQ(tb.calls(ns + ".orders").last().decode<Order>().id, "A");
  // The exact channel did not see the log line, nor the patterns the order.
  EXPECT_EQ(tb.calls(ns + ".orders").count(), 1u);
  EXPECT_EQ(tb.calls(ns + ".logs.*").count(), 1u);
}

TEST(RedisTestBroker, ListSubscribersCompeteAndStreamGroupsShare) {
  redis::Broker broker(server_url(), quiet());
  const auto jobs = unique("jobs"), events = unique("events");
  broker.subscriber(jobs, redis::list()).title("w1").handle([](const Order&) {});
  broker.subscriber(jobs, redis::list()).title("w2").handle([](const Order&) {});
  broker.subscriber(events, redis::stream({.group = "g", .consumer = "a"}))
      .handle([](const Order&) {});
  broker.subscriber(events, redis::stream({.group = "g", .consumer = "b"}))
      .handle([](const Order&) {});
  broker.subscriber(events, redis::stream()).handle([](const Order&) {});
  TestBroker tb{broker};
  for (int i = 0; i < 10; ++i) {
    tb.publish(order("L" + std::to_string(i)), redis::to_list(jobs));
    tb.publish(order("S" + std::to_string(i)), redis::to_stream(events));
  }
  // Subscribers are recorded by destination: both list workers share one log, as do the
  // three stream subscribers. The group's two members split the 10 entries; the ungrouped
  // subscriber sees all 10 — 20 calls, and no list entry handled twice.
  ASSERT_TRUE(tb.calls(jobs).wait_call(10s, 10));
  ASSERT_TRUE(tb.calls(events).wait_call(10s, 20));
  std::this_thread::sleep_for(200ms);  // nothing more may arrive
  EXPECT_EQ(tb.calls(jobs).count(), 10u);
  EXPECT_EQ(tb.calls(events).count(), 20u);
}

TEST(RedisTestBroker, HandlerErrorsReachTheTest) {
  redis::Broker broker(server_url(), quiet(faststream::LogLevel::off));
  const auto ch = unique("fail");
  broker.subscriber(ch).handle([](const Order& o) {
    if (o.id == "boom") throw std::runtime_error("handler exploded");
  });
  TestBroker tb{broker};
  if (tb.real()) {
    tb.publish(order("boom"), ch);  // accepted by Redis; the handler fails later
  } else {
    EXPECT_THROW(tb.publish(order("boom"), ch), std::runtime_error);
  }
  ASSERT_TRUE(tb.calls(ch).wait_call(5s));
  EXPECT_EQ(tb.calls(ch).last().error_message(), "handler exploded");
  if (!tb.real()) {
    EXPECT_THROW(tb.publish(faststream::RawJson{R"({"id": 5})"}, ch), faststream::DecodeError);
  }
}

TEST(RedisTestBroker, RequestsGetReplies) {
  redis::Broker broker(server_url(), quiet());
  const auto rpc = unique("rpc");
  broker.subscriber(rpc).handle([](const Order& o) -> Receipt { return {o.id, true}; });
  TestBroker tb{broker};
  faststream::RequestOptions options;
  options.timeout = 3s;
  auto reply = tb.request(order("Q"), rpc, options);
  EXPECT_EQ(reply.decode<Receipt>().order_id, "Q");
}
