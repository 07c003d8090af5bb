// TestBroker with NATS's routing rules. The same tests run in memory (handlers inline in
// publish) and, registered again with FASTSTREAM_TEST_REAL=1 (suffix .real), against the
// real nats-server.
#include <gtest/gtest.h>

#include <faststream/nats.hpp>
#include <faststream/testing.hpp>

#include "support/models.hpp"
#include "support/nats_server.hpp"

using namespace std::chrono_literals;
using fs_test::Order;
using fs_test::quiet;
using fs_test::Receipt;
namespace nats = faststream::nats;
using faststream::testing::TestBroker;

namespace {

// The run's shared server when the test runs against the real broker; in memory nothing
// connects, so no server is started for it.
std::string server_url() {
  if (!faststream::testing::real_broker_requested()) return "nats://127.0.0.1:4222";
  return fs_test::shared_nats_server().url();
}

std::string unique(const std::string& base) {
  auto id = faststream::generate_id();
  return base + id.substr(0, 8);
}

Order order(std::string id) {
  return Order{std::move(id), 1, std::nullopt};
}

}  // namespace

TEST(NatsTestBroker, StarIsOneTokenAndTailIsTheRest) {
  nats::Broker broker(server_url(), quiet());
  const auto ns = unique("tb");
  broker.subscriber(ns + ".orders").handle([](const Order&) {});
  broker.subscriber(ns + ".logs.*").handle([](const std::string&) {});
  broker.subscriber(ns + ".logs.>").handle([](const std::string&) {});
  broker.subscriber(ns + ".logs.{level}").handle([](const std::string&, faststream::Path<"level">) {
  });
  TestBroker tb{broker};
  tb.publish(order("A"), ns + ".orders");
  tb.publish(std::string("disk"), ns + ".logs.error");
  tb.publish(std::string("deep"), ns + ".logs.a.b");
  ASSERT_TRUE(tb.calls(ns + ".orders").wait_call(5s));
  ASSERT_TRUE(tb.calls(ns + ".logs.*").wait_call(5s));
  ASSERT_TRUE(tb.calls(ns + ".logs.>").wait_call(5s, 2));
  ASSERT_TRUE(tb.calls(ns + ".logs.{level}").wait_call(5s));
  std::this_thread::sleep_for(100ms);  // nothing more may arrive
  EXPECT_EQ(tb.calls(ns + ".logs.{level}").last().path,
            (std::vector<std::pair<std::string, std::string>>{{"level", "error"}}));
  EXPECT_EQ(tb.calls(ns + ".orders").count(), 1u);
  EXPECT_EQ(tb.calls(ns + ".logs.*").count(), 1u);  // logs.a.b is two tokens
  EXPECT_EQ(tb.calls(ns + ".logs.>").count(), 2u);
  EXPECT_EQ(tb.calls(ns + ".logs.{level}").count(), 1u);
}

TEST(NatsTestBroker, QueueGroupMembersAndDurablesShare) {
  nats::Broker broker(server_url(), quiet());
  const auto jobs = unique("jobs"), events = unique("events"), stream = unique("TB");
  broker.subscriber(jobs, {.queue = "w"}).handle([](const Order&) {});
  broker.subscriber(jobs, {.queue = "w"}).handle([](const Order&) {});
  nats::Stream s{.name = stream, .storage = nats::Storage::memory};
  auto pull = nats::Pull{.batch = 10, .fetch_timeout = 100ms};
  broker.subscriber(events, {.stream = s, .durable = "shared", .pull = pull})
      .handle([](const Order&) {});
  broker.subscriber(events, {.stream = s, .durable = "shared", .pull = pull})
      .handle([](const Order&) {});
  broker.subscriber(events, {.stream = s}).handle([](const Order&) {});  // its own consumer
  TestBroker tb{broker};
  for (int i = 0; i < 10; ++i) {
    tb.publish(order("J" + std::to_string(i)), jobs);
    tb.publish(order("E" + std::to_string(i)), nats::to_stream(events));
  }
  // Calls are logged per subject: the queue group handles each job once (10); the shared
  // durable handles each event once and the other consumer each again (20).
  ASSERT_TRUE(tb.calls(jobs).wait_call(10s, 10));
  ASSERT_TRUE(tb.calls(events).wait_call(10s, 20));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(tb.calls(jobs).count(), 10u);
  EXPECT_EQ(tb.calls(events).count(), 20u);
}

TEST(NatsTestBroker, AStreamStoresOnlyItsSubjects) {
  nats::Broker broker(server_url(), quiet());
  const auto base = unique("filtered");
  nats::Stream s{
      .name = unique("FILTER"), .subjects = {base + ".>"}, .storage = nats::Storage::memory};
  broker.subscriber(base + ".paid", {.stream = s}).handle([](const Order&) {});
  TestBroker tb{broker};
  tb.publish(order("P"), nats::to_stream(base + ".paid"));
  tb.publish(order("C"), nats::to_stream(base + ".created"));  // stored, not for this filter
  EXPECT_THROW(tb.publish(order("X"), nats::to_stream(unique("elsewhere"))),
               faststream::PublishError);
  ASSERT_TRUE(tb.calls(base + ".paid").wait_call(5s));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(tb.calls(base + ".paid").count(), 1u);
  EXPECT_EQ(tb.calls(base + ".paid").last().decode<Order>().id, "P");
}

TEST(NatsTestBroker, HandlerErrorsReachTheTest) {
  nats::Broker broker(server_url(), quiet(faststream::LogLevel::off));
  const auto subject = unique("fail");
  broker.subscriber(subject).handle([](const Order& o) {
    if (o.id == "boom") throw std::runtime_error("handler exploded");
  });
  TestBroker tb{broker};
  if (tb.real()) {
    tb.publish(order("boom"), subject);  // accepted by the server; the handler fails later
  } else {
    EXPECT_THROW(tb.publish(order("boom"), subject), std::runtime_error);
  }
  ASSERT_TRUE(tb.calls(subject).wait_call(5s));
  EXPECT_EQ(tb.calls(subject).last().error_message(), "handler exploded");
}

TEST(NatsTestBroker, RequestsGetRepliesAndNobodyMeansNoResponders) {
  nats::Broker broker(server_url(), quiet());
  const auto rpc = unique("rpc");
  broker.subscriber(rpc).handle([](const Order& o) -> Receipt { return {o.id, true}; });
  TestBroker tb{broker};
  faststream::RequestOptions options;
  options.timeout = 3s;
  auto reply = tb.request(order("Q"), rpc, options);
  EXPECT_EQ(reply.decode<Receipt>().order_id, "Q");
  EXPECT_THROW(tb.request(order("Q"), unique("nobody"), options), faststream::NoResponders);
}
