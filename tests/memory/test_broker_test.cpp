// TestBroker over the memory broker. Every test runs twice (see CMakeLists.txt): in memory
// (handlers run inside publish, exceptions reach the caller) and with FASTSTREAM_TEST_REAL=1
// (the queued memory broker; results are observed through wait_call and Call::error).
#include <gtest/gtest.h>

#include <faststream/testing.hpp>

#include <atomic>
#include <stdexcept>
#include <string>

#include "memory_test_util.hpp"

namespace {

using namespace std::chrono_literals;
using faststream::Task;
using faststream::memory::Broker;
using memtest::Order;
using memtest::Receipt;
using TestBroker = faststream::testing::TestBroker<Broker>;

constexpr auto kWait = 5s;

struct OutOfStock : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class E>
bool holds(std::exception_ptr error) {
  if (!error) return false;
  try {
    std::rethrow_exception(error);
  } catch (const E&) {
    return true;
  } catch (...) {
    return false;
  }
}

Receipt receipt_for(const Order& o) {
  return {o.id, o.amount <= 100};
}

TEST(TestBroker, ModeFollowsTheEnvironment) {
  Broker broker("memory://", memtest::quiet());
  broker.subscriber("x").handle([](int) {});
  TestBroker tb(broker);
  EXPECT_EQ(tb.real(), faststream::testing::real_broker_requested());
  EXPECT_TRUE(broker.running());
}

TEST(TestBroker, PublishReachesExactAndWildcardSubscribers) {
  Broker broker("memory://", memtest::quiet());
  broker.subscriber("orders.created").handle([](const Order&) {});
  broker.subscriber("orders.*").handle([](const Order&) {});
  broker.subscriber("orders.{kind}.eu").handle([](const Order&, faststream::Path<"kind">) {});
  broker.subscriber("payments").handle([](const Order&) {});
  TestBroker tb(broker);

  Order order{"A-1", 42.5, std::string("gift")};
  tb.publish(order, "orders.created");
  Order other{"A-2", 1.0, std::nullopt};
  tb.publish(other, "orders.refunded.eu");
  ASSERT_TRUE(tb.calls("orders.created").wait_call(kWait));
  ASSERT_TRUE(tb.calls("orders.*").wait_call(kWait));
  ASSERT_TRUE(tb.calls("orders.{kind}.eu").wait_call(kWait));
  broker.stop();  // nothing more can arrive: the counts are final

  EXPECT_EQ(tb.calls("orders.created").count(), 1u);
  EXPECT_EQ(tb.calls("orders.*").count(), 1u);
  EXPECT_EQ(tb.calls("orders.{kind}.eu").count(), 1u);
  EXPECT_EQ(tb.calls("payments").count(), 0u);

  auto call = tb.calls("orders.created").last();
  auto decoded = call.decode<Order>();
  EXPECT_EQ(decoded.id, "A-1");
  EXPECT_DOUBLE_EQ(decoded.amount, 42.5);
  EXPECT_EQ(decoded.note, std::optional<std::string>("gift"));
  EXPECT_EQ(call.subscriber, "orders.created");
  EXPECT_EQ(call.destination, "orders.created");
  EXPECT_EQ(call.content_type, "application/json");
  EXPECT_FALSE(call.failed());
  EXPECT_EQ(call.error_message(), "");

  auto wild = tb.calls("orders.{kind}.eu").last();
  EXPECT_EQ(wild.decode<Order>().id, "A-2");
  EXPECT_EQ(wild.destination, "orders.refunded.eu");
  ASSERT_EQ(wild.path.size(), 1u);
  EXPECT_EQ(wild.path[0], (std::pair<std::string, std::string>{"kind", "refunded"}));
  EXPECT_THROW((void)tb.calls("nobody"), std::invalid_argument);
}

TEST(TestBroker, HeadersAndCorrelationIdAreRecorded) {
  std::atomic<int> tenant_seen{0};
  Broker broker("memory://", memtest::quiet());
  broker.subscriber("audit").handle([&tenant_seen](const std::string&, faststream::Message& m) {
    if (m.header("x-tenant") == std::optional<std::string_view>("acme") &&
        m.header("correlation_id") == std::optional<std::string_view>("corr-7"))
      ++tenant_seen;
  });
  TestBroker tb(broker);
  faststream::PublishOptions options;
  options.headers.add("x-tenant", "acme");
  options.correlation_id = "corr-7";
  tb.publish(std::string("hello"), "audit", options);
  ASSERT_TRUE(tb.calls("audit").wait_call(kWait));
  auto call = tb.calls("audit").last();
  EXPECT_EQ(call.decode<std::string>(), "hello");
  EXPECT_EQ(call.body, "hello");
  EXPECT_EQ(call.content_type, "text/plain");
  EXPECT_EQ(call.correlation_id, "corr-7");
  EXPECT_EQ(call.headers.get("x-tenant"), std::optional<std::string_view>("acme"));
  EXPECT_EQ(tenant_seen, 1);
}

TEST(TestBroker, WaitCallCountsCalls) {
  Broker broker("memory://", memtest::quiet());
  broker.subscriber("n").handle([](int) {});
  TestBroker tb(broker);
  for (int i = 0; i < 3; ++i) tb.publish(i, "n");
  EXPECT_TRUE(tb.calls("n").wait_call(kWait, 3));
  broker.stop();
  EXPECT_FALSE(tb.calls("n").wait_call(20ms, 4));  // only three were published
  EXPECT_EQ(tb.calls("n").count(), 3u);
  EXPECT_EQ(tb.calls("n").payloads<int>(), (std::vector<int>{0, 1, 2}));
  tb.calls("n").clear();
  EXPECT_EQ(tb.calls("n").count(), 0u);
  EXPECT_THROW((void)tb.calls("n").last(), std::logic_error);
}

TEST(TestBroker, HandlerExceptionReachesTheTest) {
  Broker broker("memory://", memtest::silent());
  auto sub = broker.subscriber("stock");
  sub.handle([](const Order& o) {
    if (o.amount > 10) throw OutOfStock("out of stock: " + o.id);
  });
  TestBroker tb(broker);
  Order big{"Z-9", 99.0, std::nullopt};
  if (tb.real()) {
    EXPECT_NO_THROW(tb.publish(big, "stock"));  // accepted by the broker; fails later
  } else {
    EXPECT_THROW(tb.publish(big, "stock"), OutOfStock);
  }
  ASSERT_TRUE(tb.calls("stock").wait_call(kWait));
  auto call = tb.calls("stock").last();
  EXPECT_TRUE(call.failed());
  EXPECT_TRUE(holds<OutOfStock>(call.error));
  EXPECT_EQ(call.error_message(), "out of stock: Z-9");
  EXPECT_EQ(call.decode<Order>().id, "Z-9");

  Order small{"Z-1", 1.0, std::nullopt};
  EXPECT_NO_THROW(tb.publish(small, "stock"));
  ASSERT_TRUE(tb.calls("stock").wait_call(kWait, 2));
  broker.stop();
  EXPECT_FALSE(tb.calls("stock").last().failed());
  auto s = sub.stats();
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.rejected, 1u);
  EXPECT_EQ(s.processed, 1u);
}

TEST(TestBroker, ValidationErrorReachesTheTest) {
  std::atomic<int> handled{0};
  Broker broker("memory://", memtest::silent());
  broker.subscriber("orders").handle([&handled](const Order&) { ++handled; });
  TestBroker tb(broker);
  faststream::RawJson bad{"{\"bad\":1}"};
  if (tb.real()) {
    EXPECT_NO_THROW(tb.publish(bad, "orders"));
  } else {
    EXPECT_THROW(tb.publish(bad, "orders"), faststream::DecodeError);
  }
  ASSERT_TRUE(tb.calls("orders").wait_call(kWait));
  broker.stop();
  auto call = tb.calls("orders").last();
  EXPECT_TRUE(holds<faststream::DecodeError>(call.error));
  EXPECT_EQ(call.body, "{\"bad\":1}");
  EXPECT_EQ(handled, 0);  // the handler never saw it
  EXPECT_EQ(tb.calls("orders").count(), 1u);
}

Task<Receipt> check_later(Order o) {
  co_await faststream::sleep(1ms);
  co_return receipt_for(o);
}

TEST(TestBroker, RequestGetsTheReply) {
  Broker broker("memory://", memtest::silent());
  broker.subscriber("check").handle([](const Order& o) { return receipt_for(o); });
  broker.subscriber("check.async").handle([](Order o) { return check_later(std::move(o)); });
  broker.subscriber("check.broken").handle([](const Order& o) -> Receipt {
    throw OutOfStock("cannot check " + o.id);
  });
  TestBroker tb(broker);

  Order order{"R-1", 12.0, std::nullopt};
  faststream::RequestOptions options;
  options.correlation_id = "rpc-1";
  auto reply = tb.request(order, "check", options);
  EXPECT_EQ(reply.correlation_id(), "rpc-1");
  auto receipt = reply.decode<Receipt>();
  EXPECT_EQ(receipt.order_id, "R-1");
  EXPECT_TRUE(receipt.accepted);

  Order big{"R-2", 500.0, std::nullopt};
  auto late = tb.request(big, "check.async").decode<Receipt>();
  EXPECT_EQ(late.order_id, "R-2");
  EXPECT_FALSE(late.accepted);

  // A failing handler sends no reply: in memory its exception reaches the caller, on the
  // queued broker the request times out.
  faststream::RequestOptions quick;
  quick.timeout = 200ms;
  if (tb.real()) {
    EXPECT_THROW((void)tb.request(order, "check.broken", quick), faststream::RequestTimeout);
  } else {
    EXPECT_THROW((void)tb.request(order, "check.broken", quick), OutOfStock);
  }
  ASSERT_TRUE(tb.calls("check.broken").wait_call(kWait));
  EXPECT_TRUE(holds<OutOfStock>(tb.calls("check.broken").last().error));

  EXPECT_THROW((void)tb.request(order, "nobody"), faststream::NoResponders);
  broker.stop();
  EXPECT_EQ(tb.calls("check").count(), 1u);
  EXPECT_EQ(tb.calls("check.async").count(), 1u);
  EXPECT_EQ(tb.calls("check").last().correlation_id, "rpc-1");
}

TEST(TestBroker, ResultsArePublishedToOtherSubscribers) {
  Broker broker("memory://", memtest::quiet());
  broker.subscriber("in").publishes_to("out").handle([](int x) { return x + 1; });
  broker.subscriber("out").handle([](int) {});
  TestBroker tb(broker);
  tb.publish(1, "in");
  if (!tb.real()) {
    // In memory the whole chain ran inside publish().
    EXPECT_EQ(tb.calls("out").count(), 1u);
  }
  ASSERT_TRUE(tb.calls("out").wait_call(kWait));
  broker.stop();
  EXPECT_EQ(tb.calls("out").count(), 1u);
  EXPECT_EQ(tb.calls("out").last().decode<int>(), 2);
}

TEST(TestBroker, BrokerIsRestoredAfterTheTest) {
  std::atomic<int> seen{0};
  Broker broker("memory://", memtest::quiet());
  auto sub = broker.subscriber("r");
  sub.handle([&seen](int) { ++seen; });
  {
    TestBroker tb(broker);
    tb.publish(1, "r");
    ASSERT_TRUE(tb.calls("r").wait_call(kWait));
  }
  EXPECT_FALSE(broker.running());
  EXPECT_TRUE(sub.core().config().middlewares.empty());  // the recorder is gone
  broker.start();                                        // the real memory transport is back
  broker.publish(2, "r").get();
  broker.stop();
  EXPECT_EQ(seen, 2);
}

}  // namespace
