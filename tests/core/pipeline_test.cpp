// The handler pipeline on the memory broker: DI, results and replies, ack policies, explicit
// settlement, filters, routers, middlewares, retry, batches.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>

#include "support/models.hpp"

using namespace std::chrono_literals;
using faststream::AckPolicy;
using fs_test::eventually;
using fs_test::Order;
using fs_test::quiet;
using fs_test::Receipt;

namespace {

struct Database {
  std::atomic<int> writes{0};
};

Order order(std::string id, double amount) {
  return Order{std::move(id), amount, std::nullopt};
}

}  // namespace

TEST(CorePipeline, ResultIsPublishedToAttachedPublisherWithCorrelationId) {
  faststream::memory::Broker broker("memory://", quiet());
  std::mutex mutex;
  std::vector<std::pair<Receipt, std::string>> receipts;
  std::string sent_correlation = "corr-123";
  broker.subscriber("orders").publishes_to("receipts").handle([](const Order& o) -> Receipt {
    return {o.id, o.amount > 0};
  });
  broker.subscriber("receipts").handle([&](const Receipt& r, faststream::Message& m) {
    std::lock_guard lock(mutex);
    receipts.emplace_back(r, m.correlation_id());
    EXPECT_EQ(m.content_type(), "application/json");
  });
  broker.start();
  faststream::PublishOptions options;
  options.correlation_id = sent_correlation;
  broker.publish(order("A-1", 5), "orders", options).get();
  broker.publish(order("A-2", 0), "orders").get();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return receipts.size() == 2;
  }));
  broker.stop();
  std::lock_guard lock(mutex);
  std::map<std::string, std::pair<bool, std::string>> by_id;
  for (auto& [r, c] : receipts) by_id[r.order_id] = {r.accepted, c};
  EXPECT_EQ(by_id["A-1"].first, true);
  EXPECT_EQ(by_id["A-1"].second, sent_correlation);  // copied from the incoming message
  EXPECT_EQ(by_id["A-2"].first, false);
  EXPECT_EQ(by_id["A-2"].second.size(), 36u);  // generated UUID4 when absent
}

TEST(CorePipeline, RequestGetsTheReturnValueAsReply) {
  faststream::memory::Broker broker("memory://", quiet());
  broker.subscriber("rpc").handle([](const Order& o) -> Receipt { return {o.id, true}; });
  broker.start();
  faststream::RequestOptions options;
  options.correlation_id = "abc";
  auto reply = broker.request(order("R-1", 1), "rpc", options).get();
  EXPECT_EQ(reply.correlation_id(), "abc");
  EXPECT_EQ(reply.content_type(), "application/json");
  auto r = reply.decode<Receipt>();
  EXPECT_EQ(r.order_id, "R-1");
  EXPECT_TRUE(r.accepted);
  broker.stop();
}

TEST(CorePipeline, ContentTypeFollowsPayloadKind) {
  faststream::memory::Broker broker("memory://", quiet());
  std::mutex mutex;
  std::map<std::string, std::string> types;
  auto record = [&](faststream::Message& m) {
    std::lock_guard lock(mutex);
    types[m.destination()] = m.content_type();
  };
  broker.subscriber("text").handle([&](const std::string& s, faststream::Message& m) {
    EXPECT_EQ(s, "hello");
    record(m);
  });
  broker.subscriber("bytes").handle([&](const faststream::Bytes& b, faststream::Message& m) {
    EXPECT_EQ(b.data, std::string("\x00\x01\xff", 3));
    record(m);
  });
  broker.subscriber("json").handle([&](const Order&, faststream::Message& m) { record(m); });
  broker.start();
  broker.publish(std::string("hello"), "text").get();
  broker.publish(faststream::Bytes{std::string("\x00\x01\xff", 3)}, "bytes").get();
  broker.publish(order("J", 1), "json").get();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return types.size() == 3;
  }));
  broker.stop();
  EXPECT_EQ(types["text"], "text/plain");
  EXPECT_EQ(types["bytes"], "application/octet-stream");
  EXPECT_EQ(types["json"], "application/json");
}

TEST(CoreDependencyInjection, InjectsContextLoggerMessagePathAndDependencies) {
  faststream::memory::Broker broker("memory://", quiet());
  auto db = std::make_shared<Database>();
  broker.provide(db);
  std::atomic<int> factory_calls{0};
  broker.provide_factory<std::string>([&] {
    ++factory_calls;
    return std::make_shared<std::string>("per-message");
  });
  std::atomic<int> calls{0};
  broker.subscriber("shop.{region}.orders.{shard}")
      .handle([&](const Order& o, faststream::Context& ctx, faststream::Logger& log,
                  faststream::memory::Message& msg, faststream::Path<"region"> region,
                  faststream::Path<"shard", int> shard, faststream::Depends<Database> database,
                  faststream::Depends<std::string> text) {
        EXPECT_EQ(o.id, "D-1");
        EXPECT_EQ(ctx.subscriber(), "shop.{region}.orders.{shard}");
        EXPECT_EQ(&ctx.message(), &msg);
        EXPECT_EQ(msg.destination(), "shop.eu.orders." + std::to_string(shard.value));
        EXPECT_EQ(*region, "eu");
        EXPECT_TRUE(shard.value == 7 || shard.value == 8) << shard.value;
        EXPECT_EQ(*text, "per-message");
        log.debug("handled {}", o.id);
        database->writes++;
        calls++;
      });
  broker.start();
  broker.publish(order("D-1", 1), "shop.eu.orders.7").get();
  broker.publish(order("D-1", 1), "shop.eu.orders.8").get();
  ASSERT_TRUE(eventually([&] { return calls == 2; }));
  broker.stop();
  EXPECT_EQ(db->writes, 2);
  EXPECT_EQ(factory_calls, 2);  // a factory runs once per message
}

TEST(CoreDependencyInjection, MissingDependencyFailsAtStartNamingTheType) {
  faststream::memory::Broker broker("memory://", quiet());
  broker.subscriber("x").handle([](const Order&, faststream::Depends<Database>) {});
  try {
    broker.start();
    FAIL() << "start must fail";
  } catch (const faststream::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("Depends<"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Database"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'x'"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(broker.running());
}

TEST(CoreDependencyInjection, PathParameterNotInDestinationIsRejected) {
  faststream::memory::Broker broker("memory://", quiet());
  EXPECT_THROW(
      broker.subscriber("logs.{level}").handle([](const std::string&, faststream::Path<"lvl">) {}),
      faststream::ConfigError);
}

TEST(CoreDependencyInjection, BadPathValueFailsTheMessageNotTheService) {
  faststream::memory::Broker broker("memory://", quiet());
  std::atomic<int> ok{0};
  auto sub = broker.subscriber("items.{n}");
  sub.handle([&](const std::string&, faststream::Path<"n", int> n) {
    EXPECT_EQ(*n, 5);
    ++ok;
  });
  broker.start();
  broker.publish(std::string("a"), "items.five").get();
  broker.publish(std::string("b"), "items.5").get();
  ASSERT_TRUE(eventually([&] { return ok == 1 && sub.stats().failed == 1; }));
  broker.stop();
  EXPECT_EQ(sub.stats().rejected, 1u);
}

// --- Ack policies ---------------------------------------------------------------------------

struct PolicyCase {
  AckPolicy policy;
  // expected counters after one success and one failure
  std::uint64_t acked, nacked, rejected;
};

class CoreAckPolicy : public ::testing::TestWithParam<PolicyCase> {};

TEST_P(CoreAckPolicy, SettlesSuccessAndFailureAsDocumented) {
  const auto c = GetParam();
  faststream::memory::Broker broker("memory://", quiet());
  std::atomic<int> calls{0};
  auto sub = broker.subscriber("p").ack_policy(c.policy);
  sub.handle([&](const Order& o, faststream::Message& m) {
    ++calls;
    if (o.id == "fail") {
      // nack_on_error redelivers; fail only on the first delivery so the count is finite.
      if (m.delivery_count() == 1) throw std::runtime_error("boom");
    }
  });
  broker.start();
  broker.publish(order("ok", 1), "p").get();
  broker.publish(order("fail", 1), "p").get();
  const int expected_calls = c.policy == AckPolicy::nack_on_error ? 3 : 2;
  ASSERT_TRUE(eventually([&] {
    auto s = sub.stats();
    return calls == expected_calls && s.in_flight == 0 && s.queued == 0;
  }));
  broker.stop();
  auto s = sub.stats();
  EXPECT_EQ(s.acked, c.acked) << to_string(c.policy);
  EXPECT_EQ(s.nacked, c.nacked) << to_string(c.policy);
  EXPECT_EQ(s.rejected, c.rejected) << to_string(c.policy);
  EXPECT_EQ(s.failed, 1u);
}

INSTANTIATE_TEST_SUITE_P(Policies, CoreAckPolicy,
                         ::testing::Values(PolicyCase{AckPolicy::ack_first, 2, 0, 0},
                                           PolicyCase{AckPolicy::ack, 2, 0, 0},
                                           PolicyCase{AckPolicy::reject_on_error, 1, 0, 1},
                                           // the redelivered "fail" succeeds and is acked
                                           PolicyCase{AckPolicy::nack_on_error, 2, 1, 0},
                                           PolicyCase{AckPolicy::manual, 0, 0, 0}),
                         [](const auto& info) {
                           return std::string(to_string(info.param.policy));
                         });

TEST(CoreAckPolicy, HandlerControlExceptionsSettleExplicitly) {
  faststream::memory::Broker broker("memory://", quiet());
  std::atomic<int> calls{0};
  auto sub = broker.subscriber("c").ack_policy(AckPolicy::reject_on_error);
  sub.handle([&](const std::string& what, faststream::Message& m) -> std::string {
    ++calls;
    if (what == "ack") throw faststream::AckMessage();
    if (what == "nack" && m.delivery_count() == 1) throw faststream::NackMessage();
    if (what == "reject") throw faststream::RejectMessage();
    if (what == "skip") throw faststream::SkipMessage();
    return "result";
  });
  broker.start();
  for (auto w : {"ack", "nack", "reject", "skip"}) broker.publish(std::string(w), "c").get();
  ASSERT_TRUE(eventually([&] { return calls == 5 && sub.stats().in_flight == 0; }));
  broker.stop();
  auto s = sub.stats();
  EXPECT_EQ(s.acked, 2u);  // ack + the redelivered nack
  EXPECT_EQ(s.nacked, 1u);
  EXPECT_EQ(s.rejected, 1u);
  EXPECT_EQ(s.skipped, 1u);
  EXPECT_EQ(s.failed, 0u);  // control flow is not a failure
}

TEST(CoreAckPolicy, ManualHandlerSettlesThroughMessage) {
  faststream::memory::Broker broker("memory://", quiet());
  auto sub = broker.subscriber("m").ack_policy(AckPolicy::manual);
  std::atomic<int> calls{0};
  sub.handle([&](const std::string& s, faststream::Message& m) {
    ++calls;
    if (s == "a") {
      EXPECT_TRUE(m.ack());
    }
    if (s == "r") {
      EXPECT_TRUE(m.reject());
    }
    EXPECT_FALSE(m.ack());  // the first settlement wins
  });
  broker.start();
  broker.publish(std::string("a"), "m").get();
  broker.publish(std::string("r"), "m").get();
  ASSERT_TRUE(eventually([&] { return calls == 2 && sub.stats().in_flight == 0; }));
  broker.stop();
  // The handler's own settlements are counted like the framework's.
  EXPECT_EQ(sub.stats().acked, 1u);
  EXPECT_EQ(sub.stats().rejected, 1u);
  EXPECT_EQ(sub.stats().processed, 2u);
}

TEST(CoreAckPolicy, ValidationErrorRejectsAndServiceKeepsConsuming) {
  faststream::memory::Broker broker("memory://", quiet());
  std::atomic<int> good{0};
  auto sub = broker.subscriber("v");
  sub.handle([&](const Order&) { ++good; });
  broker.start();
  broker.publish(faststream::RawJson{R"({"id":"x","amount":-1})"}, "v").get();
  broker.publish(faststream::RawJson{R"({"id":)"}, "v").get();
  broker.publish(order("fine", 2), "v").get();
  ASSERT_TRUE(eventually([&] { return good == 1 && sub.stats().failed == 2; }));
  broker.stop();
  EXPECT_EQ(sub.stats().rejected, 2u);
  EXPECT_EQ(sub.stats().acked, 1u);
}

// --- Filters and routers --------------------------------------------------------------------

TEST(CoreFilters, FirstMatchingHandlerWinsDefaultTakesTheRest) {
  faststream::memory::Broker broker("memory://", quiet());
  std::atomic<int> vip{0}, big{0}, rest{0};
  auto is = [](std::string_view key, std::string_view value) {
    return [key, value](const faststream::Message& m) { return m.header(key) == value; };
  };
  auto sub = broker.subscriber("f");
  sub.handle([&](const Order&) { ++rest; });  // default, registered first
  sub.handle([&](const Order&) { ++vip; }, {.filter = is("tier", "vip")});
  sub.handle([&](const Order&) { ++big; }, {.filter = is("size", "big")});
  EXPECT_THROW(sub.handle([](const Order&) {}), faststream::ConfigError);  // a second default
  broker.start();
  auto send = [&](faststream::Headers h) {
    faststream::PublishOptions o;
    o.headers = std::move(h);
    broker.publish(order("F", 1), "f", o).get();
  };
  send({{"tier", "vip"}, {"size", "big"}});  // vip registered before big: vip wins
  send({{"size", "big"}});
  send({});
  send({{"tier", "basic"}});
  ASSERT_TRUE(eventually([&] { return vip + big + rest == 4; }));
  broker.stop();
  EXPECT_EQ(vip, 1);
  EXPECT_EQ(big, 1);
  EXPECT_EQ(rest, 2);
}

TEST(CoreFilters, NoMatchingHandlerIsAFailure) {
  faststream::memory::Broker broker("memory://", quiet());
  auto sub = broker.subscriber("nf");
  sub.handle([](const std::string&) {},
             {.filter = [](const faststream::Message&) { return false; }});
  broker.start();
  broker.publish(std::string("x"), "nf").get();
  ASSERT_TRUE(eventually([&] { return sub.stats().failed == 1; }));
  broker.stop();
}

TEST(CoreRouters, PrefixesNestAndApplyToPublishers) {
  faststream::memory::Broker broker("memory://", quiet());
  faststream::memory::Router outer("shop.");
  faststream::memory::Router inner("orders.");
  inner.subscriber("created").publishes_to("receipts").handle([](const Order& o) -> Receipt {
    return {o.id, true};
  });
  std::atomic<int> receipts{0};
  outer.subscriber("orders.receipts").handle([&](const Receipt&) { ++receipts; });
  outer.include_router(inner);
  broker.include_router(outer);
  std::set<std::string> names;
  for (auto& s : broker.core().subscribers()) names.insert(s->config().destination);
  EXPECT_EQ(names, (std::set<std::string>{"shop.orders.created", "shop.orders.receipts"}));
  broker.start();
  broker.publish(order("R", 1), "shop.orders.created").get();
  ASSERT_TRUE(eventually([&] { return receipts == 1; }));
  broker.stop();
}

// --- Middlewares ----------------------------------------------------------------------------

class Tracing : public faststream::Middleware {
 public:
  Tracing(std::string name, std::vector<std::string>* log, std::mutex* mutex)
      : name_(std::move(name)), log_(log), mutex_(mutex) {}
  faststream::Task<void> on_consume(faststream::Context& ctx,
                                    faststream::ConsumeNext next) override {
    const std::string where = "@" + std::string(ctx.subscriber());
    push("consume>" + name_ + where);
    ctx.set("seen-by-" + name_, true);
    co_await next();
    push("consume<" + name_ + where);
  }
  faststream::Task<void> on_publish(faststream::OutgoingMessage& m,
                                    faststream::PublishNext next) override {
    push("publish " + name_ + " " + m.destination);
    m.headers.set("x-" + name_, "1");
    co_await next(m);
  }

 private:
  void push(std::string s) {
    std::lock_guard lock(*mutex_);
    log_->push_back(std::move(s));
  }
  std::string name_;
  std::vector<std::string>* log_;
  std::mutex* mutex_;
};

TEST(CoreMiddlewares, WrapConsumeAndPublishInOrder) {
  faststream::memory::Broker broker("memory://", quiet());
  std::mutex mutex;
  std::vector<std::string> log;
  broker.add_middleware(std::make_shared<Tracing>("broker", &log, &mutex));
  std::atomic<int> done{0};
  broker.subscriber("in")
      .middleware(std::make_shared<Tracing>("sub", &log, &mutex))
      .publishes_to("out")
      .handle([&](const std::string& s, faststream::Context& ctx) -> std::string {
        EXPECT_NE(ctx.get<bool>("seen-by-broker"), nullptr);
        EXPECT_NE(ctx.get<bool>("seen-by-sub"), nullptr);
        return s + "!";
      });
  std::string headers_seen;
  broker.subscriber("out").handle([&](const std::string& s, faststream::Message& m) {
    EXPECT_EQ(s, "hi!");
    headers_seen = std::string(m.header("x-broker").value_or("missing"));
    ++done;
  });
  broker.start();
  broker.publish(std::string("hi"), "in").get();
  ASSERT_TRUE(eventually([&] { return done == 1; }));
  broker.stop();
  EXPECT_EQ(headers_seen, "1");
  std::lock_guard lock(mutex);
  // The first publish ("in") and the result ("out") both pass the broker's publish middleware.
  // What happened around the subscriber "in" (the "out" subscriber runs concurrently).
  std::vector<std::string> around_in;
  for (auto& l : log)
    if (l.ends_with("@in") || l == "publish broker out") around_in.push_back(l);
  EXPECT_EQ(around_in,
            (std::vector<std::string>{"consume>broker@in", "consume>sub@in", "publish broker out",
                                      "consume<sub@in", "consume<broker@in"}));
}

struct Overdrawn : std::runtime_error {
  using std::runtime_error::runtime_error;
};

TEST(CoreMiddlewares, ExceptionMiddlewareMapsErrorsToReplies) {
  faststream::memory::Broker broker("memory://", quiet());
  auto mapper = std::make_shared<faststream::ExceptionMiddleware>();
  mapper->on<Overdrawn>([](const Overdrawn& e) { return Receipt{e.what(), false}; });
  mapper->on<std::invalid_argument>([](const std::invalid_argument&, faststream::Context&) {});
  auto sub = broker.subscriber("pay").middleware(mapper);
  sub.handle([](const Order& o) -> Receipt {
    if (o.amount > 100) throw Overdrawn(o.id);
    if (o.amount == 0) throw std::invalid_argument("zero");
    if (o.amount == 1) throw std::logic_error("unmapped");
    return {o.id, true};
  });
  broker.start();
  auto r1 = broker.request(order("big", 500), "pay").get().decode<Receipt>();
  EXPECT_EQ(r1.order_id, "big");
  EXPECT_FALSE(r1.accepted);
  auto r2 = broker.request(order("ok", 5), "pay").get().decode<Receipt>();
  EXPECT_TRUE(r2.accepted);
  broker.publish(order("zero", 0), "pay").get();
  broker.publish(order("one", 1), "pay").get();
  ASSERT_TRUE(eventually([&] { return sub.stats().acked + sub.stats().rejected == 4; }));
  broker.stop();
  EXPECT_EQ(sub.stats().acked, 3u);     // mapped errors are handled: acked
  EXPECT_EQ(sub.stats().rejected, 1u);  // the unmapped one follows the policy
}

// --- Retry ----------------------------------------------------------------------------------

TEST(CoreRetry, UsesBrokerRedeliveryWithBackoffThenGivesUp) {
  faststream::memory::Broker broker("memory://", quiet());
  std::mutex mutex;
  std::vector<std::pair<std::uint32_t, std::chrono::steady_clock::time_point>> attempts;
  faststream::RetryPolicy policy;
  policy.max_attempts = 4;
  policy.initial_delay = 20ms;
  policy.multiplier = 2;
  policy.jitter = 0;
  auto sub = broker.subscriber("r").retry(policy);
  sub.handle([&](const std::string&, faststream::Message& m) {
    std::lock_guard lock(mutex);
    attempts.emplace_back(m.delivery_count(), std::chrono::steady_clock::now());
    throw std::runtime_error("always fails");
  });
  broker.start();
  broker.publish(std::string("x"), "r").get();
  ASSERT_TRUE(eventually([&] { return sub.stats().rejected == 1; }));
  broker.stop();
  std::lock_guard lock(mutex);
  ASSERT_EQ(attempts.size(), 4u);
  for (std::uint32_t i = 0; i < 4; ++i) EXPECT_EQ(attempts[i].first, i + 1);  // redeliveries
  // Backoff: 20, 40, 80 ms between attempts (no jitter).
  for (std::size_t i = 1; i < 4; ++i) {
    auto gap = attempts[i].second - attempts[i - 1].second;
    EXPECT_GE(gap, policy.base_delay(static_cast<std::uint32_t>(i + 1))) << i;
  }
  EXPECT_EQ(sub.stats().nacked, 3u);
}

TEST(CoreRetry, MaxElapsedStopsRetryingBeforeAttemptsRunOut) {
  faststream::memory::Broker broker("memory://", quiet());
  std::atomic<int> calls{0};
  faststream::RetryPolicy policy;
  policy.max_attempts = 100;
  policy.initial_delay = 20ms;
  policy.multiplier = 1;
  policy.jitter = 0;
  policy.max_elapsed = 150ms;
  auto sub = broker.subscriber("elapsed").retry(policy);
  sub.handle([&](const std::string&) {
    ++calls;
    throw std::runtime_error("down");
  });
  broker.start();
  auto t0 = std::chrono::steady_clock::now();
  broker.publish(std::string("x"), "elapsed").get();
  ASSERT_TRUE(eventually([&] { return sub.stats().rejected == 1; }));
  auto took = std::chrono::steady_clock::now() - t0;
  broker.stop();
  // 20 ms apart, within 150 ms since the first delivery: at most 8 attempts, at least 2.
  EXPECT_GE(calls, 2);
  EXPECT_LE(calls, 8);
  EXPECT_LT(took, 1s);
}

TEST(CoreRetry, SucceedsOnALaterAttemptAndSkipsValidationErrors) {
  faststream::memory::Broker broker("memory://", quiet());
  std::atomic<int> calls{0};
  faststream::RetryPolicy policy;
  policy.initial_delay = 1ms;
  auto sub = broker.subscriber("r2").retry(policy);
  sub.handle([&](const Order&, faststream::Message& m) {
    ++calls;
    if (m.delivery_count() < 3) throw std::runtime_error("flaky");
  });
  broker.start();
  broker.publish(order("ok", 1), "r2").get();
  broker.publish(faststream::RawJson{R"({"id":""})"}, "r2").get();  // invalid: no retry
  ASSERT_TRUE(eventually([&] { return sub.stats().acked == 1 && sub.stats().rejected == 1; }));
  broker.stop();
  EXPECT_EQ(calls, 3);
}

TEST(CoreRetry, RetriesInProcessWhenTheBrokerCannotRedeliver) {
  // Batches are retried in process (the broker settles batch messages one by one).
  faststream::memory::Broker broker("memory://", quiet());
  std::atomic<int> calls{0};
  faststream::RetryPolicy policy;
  policy.initial_delay = 1ms;
  policy.max_attempts = 3;
  auto sub = broker.subscriber("rb").batch({.max_records = 10, .timeout = 20ms}).retry(policy);
  sub.handle([&](const std::vector<std::string>& items) {
    ++calls;
    EXPECT_EQ(items.size(), 2u);
    if (calls < 3) throw std::runtime_error("flaky batch");
  });
  broker.start();
  broker.publish(std::string("a"), "rb").get();
  broker.publish(std::string("b"), "rb").get();
  ASSERT_TRUE(eventually([&] { return sub.stats().acked == 2; }));
  broker.stop();
  EXPECT_EQ(calls, 3);
}

// --- Batches --------------------------------------------------------------------------------

TEST(CoreBatch, BadMessagesFailAloneAndHandlerReportsPartialFailure) {
  faststream::memory::Broker broker("memory://", quiet());
  std::atomic<int> batches{0};
  std::atomic<std::size_t> items{0};
  auto sub = broker.subscriber("b").batch({.max_records = 5, .timeout = 50ms});
  sub.handle([&](const std::vector<Order>& orders, faststream::Batch& batch) {
    ++batches;
    items += orders.size();
    EXPECT_EQ(orders.size(), batch.size());
    for (std::size_t i = 0; i < orders.size(); ++i)
      if (orders[i].id == "bad-in-handler") batch.fail(i, "refused by handler");
  });
  broker.start();
  broker.publish(order("a", 1), "b").get();
  broker.publish(faststream::RawJson{R"({"id":"x","amount":-5})"}, "b").get();
  broker.publish(order("bad-in-handler", 1), "b").get();
  broker.publish(order("c", 1), "b").get();
  ASSERT_TRUE(eventually([&] { return sub.stats().acked + sub.stats().rejected == 4; }));
  broker.stop();
  EXPECT_EQ(batches, 1);
  EXPECT_EQ(items, 3u);  // the invalid one never reached the handler
  EXPECT_EQ(sub.stats().acked, 2u);
  EXPECT_EQ(sub.stats().rejected, 2u);
  EXPECT_EQ(sub.stats().failed, 2u);
}

TEST(CoreBatch, BatchSubscriberNeedsVectorHandler) {
  faststream::memory::Broker broker("memory://", quiet());
  broker.subscriber("b").batch().handle([](const Order&) {});
  EXPECT_THROW(broker.start(), faststream::ConfigError);
}

TEST(CoreBatch, VectorOnNonBatchSubscriberIsAJsonArray) {
  faststream::memory::Broker broker("memory://", quiet());
  std::atomic<std::size_t> size{0};
  broker.subscriber("arr").handle([&](const std::vector<int>& v) { size = v.size(); });
  broker.start();
  std::vector<int> values{1, 2, 3};
  broker.publish(values, "arr").get();
  ASSERT_TRUE(eventually([&] { return size == 3; }));
  broker.stop();
}

// --- Plain and coroutine handlers -----------------------------------------------------------

faststream::Task<Receipt> slow_receipt(Order o) {
  co_await faststream::sleep(5ms);
  co_return Receipt{o.id, true};
}

TEST(CoreHandlers, CoroutineAndPlainHandlersBothReplyAndPublishBlocking) {
  faststream::memory::Broker broker("memory://", quiet());
  broker.subscriber("co").handle([](Order o) { return slow_receipt(std::move(o)); });
  std::atomic<int> forwarded{0};
  // A plain handler may block on publish (it runs on the worker pool).
  broker.subscriber("plain").handle([&](const Order& o) {
    broker.publish(Receipt{o.id, true}, "forwarded").get();
  });
  broker.subscriber("forwarded").handle([&](const Receipt&) { ++forwarded; });
  broker.start();
  EXPECT_EQ(broker.request(order("c1", 1), "co").get().decode<Receipt>().order_id, "c1");
  broker.publish(order("p1", 1), "plain").get();
  ASSERT_TRUE(eventually([&] { return forwarded == 1; }));
  broker.stop();
}

TEST(CoreHandlers, BlockingOnTheEventLoopIsRefused) {
  faststream::memory::Broker broker("memory://", quiet());
  std::atomic<int> refused{0};
  broker.subscriber("loop").handle([&](const std::string&) -> faststream::Task<void> {
    try {
      broker.publish(std::string("x"), "elsewhere").get();
    } catch (const std::logic_error&) {
      ++refused;
    }
    return []() -> faststream::Task<void> { co_return; }();
  });
  broker.start();
  broker.publish(std::string("go"), "loop").get();
  ASSERT_TRUE(eventually([&] { return refused == 1; }));
  broker.stop();
}

TEST(CoreHandlers, OptionalResultIsPublishedOnlyWhenPresent) {
  faststream::memory::Broker broker("memory://", quiet());
  std::atomic<int> receipts{0};
  std::atomic<int> ticks{0};
  broker.subscriber("maybe")
      .publishes_to("maybe.out")
      .handle([](const Order& o) -> std::optional<Receipt> {
        if (o.amount > 10) return Receipt{o.id, true};
        return std::nullopt;
      });
  broker.subscriber("maybe.out").handle([&](const Receipt&) { ++receipts; });
  // A handler may take no message at all.
  broker.subscriber("tick").handle([&] { ++ticks; });
  broker.start();
  broker.publish(order("small", 1), "maybe").get();
  broker.publish(order("large", 11), "maybe").get();
  broker.publish(std::string("t"), "tick").get();
  ASSERT_TRUE(eventually([&] {
    auto& subs = broker.core().subscribers();
    return subs[0]->stats().acked == 2 && ticks == 1;
  }));
  ASSERT_TRUE(eventually([&] { return receipts == 1; }));
  broker.stop();
  EXPECT_EQ(receipts, 1);
}

TEST(CoreHandlers, AVoidHandlerAnswersARequestWithAnEmptyReply) {
  faststream::memory::Broker broker("memory://", quiet());
  std::atomic<int> calls{0};
  broker.subscriber("fire").handle([&](const Order&) { ++calls; });
  broker.start();
  faststream::RequestOptions options;
  options.correlation_id = "void-1";
  auto reply = broker.request(order("V", 1), "fire", options).get();
  EXPECT_EQ(reply.body(), "");
  EXPECT_EQ(reply.correlation_id(), "void-1");
  EXPECT_EQ(calls, 1);
  broker.stop();
}
