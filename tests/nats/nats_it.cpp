// The NATS backend against a real nats-server -js started by the test (its own ports and pid).
// Raw nats.c clients check what went over the wire.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <faststream/asyncapi.hpp>
#include <faststream/nats.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>

#include "support/http_get.hpp"
#include "support/models.hpp"
#include "support/nats_server.hpp"

using namespace std::chrono_literals;
using fs_test::eventually;
using fs_test::NatsServer;
using fs_test::Order;
using fs_test::quiet;
using fs_test::Receipt;
namespace nats = faststream::nats;

namespace {

// The run's shared server (a CTest fixture); tests that stop, restart or configure a
// server start a NatsServer of their own.
NatsServer& shared_server() {
  return fs_test::shared_nats_server();
}

std::string unique(const std::string& base) {
  auto id = faststream::generate_id();
  return base + "_" + id.substr(0, 8) + id.substr(9, 4);
}

Order order(std::string id, double amount = 1) {
  return Order{std::move(id), amount, std::nullopt};
}

// A raw nats.c connection for checking the wire.
class RawClient {
 public:
  explicit RawClient(const std::string& url) {
    if (natsConnection_ConnectTo(&nc_, url.c_str()) != NATS_OK)
      throw std::runtime_error("raw nats.c connect failed");
    natsConnection_JetStream(&js_, nc_, nullptr);
  }
  ~RawClient() {
    jsCtx_Destroy(js_);
    natsConnection_Destroy(nc_);
  }
  natsConnection* nc() { return nc_; }
  jsCtx* js() { return js_; }
  void publish(const std::string& subject, const std::string& data) {
    ASSERT_EQ(
        natsConnection_Publish(nc_, subject.c_str(), data.data(), static_cast<int>(data.size())),
        NATS_OK);
  }
  void flush() { natsConnection_FlushTimeout(nc_, 5000); }
  // Stream state: messages stored and subjects.
  struct StreamState {
    std::uint64_t messages = 0;
    std::vector<std::string> subjects;
    bool memory = false;
  };
  std::optional<StreamState> stream(const std::string& name) {
    jsStreamInfo* si = nullptr;
    jsErrCode code{};
    if (js_GetStreamInfo(&si, js_, name.c_str(), nullptr, &code) != NATS_OK) return std::nullopt;
    StreamState s;
    s.messages = si->State.Msgs;
    for (int i = 0; i < si->Config->SubjectsLen; ++i)
      s.subjects.emplace_back(si->Config->Subjects[i]);
    s.memory = si->Config->Storage == js_MemoryStorage;
    jsStreamInfo_Destroy(si);
    return s;
  }
  // A consumer's unacknowledged and undelivered counts.
  std::pair<std::int64_t, std::uint64_t> consumer(const std::string& stream,
                                                  const std::string& name) {
    jsConsumerInfo* ci = nullptr;
    jsErrCode code{};
    if (js_GetConsumerInfo(&ci, js_, stream.c_str(), name.c_str(), nullptr, &code) != NATS_OK)
      return {-1, 0};
    std::pair<std::int64_t, std::uint64_t> out{ci->NumAckPending, ci->NumPending};
    jsConsumerInfo_Destroy(ci);
    return out;
  }
  // The names of a stream's consumers, sorted.
  std::vector<std::string> consumer_names(const std::string& stream) {
    jsConsumerNamesList* list = nullptr;
    jsErrCode code{};
    std::vector<std::string> out;
    if (js_ConsumerNames(&list, js_, stream.c_str(), nullptr, &code) != NATS_OK) return out;
    for (int i = 0; i < list->Count; ++i) out.emplace_back(list->List[i]);
    jsConsumerNamesList_Destroy(list);
    std::sort(out.begin(), out.end());
    return out;
  }
  void add_stream(const std::string& name, const std::string& subject) {
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name.c_str();
    const char* subjects[] = {subject.c_str()};
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    jsErrCode code{};
    ASSERT_EQ(js_AddStream(nullptr, js_, &cfg, nullptr, &code), NATS_OK);
  }

 private:
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
};

// Headers of a natsMsg as name -> first value.
std::map<std::string, std::string> headers_of(natsMsg* m) {
  std::map<std::string, std::string> out;
  const char** keys = nullptr;
  int n = 0;
  if (natsMsgHeader_Keys(m, &keys, &n) != NATS_OK) return out;
  for (int i = 0; i < n; ++i) {
    const char* v = nullptr;
    natsMsgHeader_Get(m, keys[i], &v);
    out[keys[i]] = v ? v : "";
  }
  free(static_cast<void*>(keys));
  return out;
}

}  // namespace

TEST(NatsCore, TypedMessagesCarryFastStreamHeadersAndResultsArePublished) {
  auto& server = shared_server();
  RawClient raw(server.url());
  nats::Broker broker(server.url(), quiet());
  const auto in = unique("orders"), out = unique("receipts");
  std::mutex mutex;
  std::vector<Receipt> receipts;
  broker.subscriber(in).publishes_to(out).handle([](const Order& o) -> Receipt {
    return {o.id, o.amount > 0};
  });
  broker.subscriber(out).handle([&](const Receipt& r, nats::Message& m) {
    std::lock_guard lock(mutex);
    receipts.push_back(r);
    EXPECT_EQ(m.source(), nats::Source::core);
    EXPECT_EQ(m.correlation_id(), "corr-1");
    EXPECT_EQ(m.subject(), out);
  });
  natsSubscription* spy = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&spy, raw.nc(), in.c_str()), NATS_OK);
  raw.flush();
  broker.start();
  faststream::PublishOptions options;
  options.correlation_id = "corr-1";
  options.headers.add("x-tenant", "t1");
  broker.publish(order("A-1", 3), in, options).get();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return receipts.size() == 1;
  }));
  natsMsg* seen = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&seen, spy, 5000), NATS_OK);
  auto h = headers_of(seen);
  EXPECT_EQ(h["content-type"], "application/json");
  EXPECT_EQ(h["correlation_id"], "corr-1");
  EXPECT_EQ(h["x-tenant"], "t1");
  EXPECT_EQ(h.count("reply_to"), 0u);  // core NATS: the reply subject is the NATS reply
  EXPECT_EQ(h.count("Nats-Msg-Id"), 0u);
  natsMsg_Destroy(seen);
  natsSubscription_Destroy(spy);
  broker.stop();
  EXPECT_EQ(receipts[0].order_id, "A-1");
  EXPECT_TRUE(receipts[0].accepted);
}

TEST(NatsCore, WildcardsAndPathParameters) {
  auto& server = shared_server();
  nats::Broker broker(server.url(), quiet());
  const auto base = unique("logs");
  std::mutex mutex;
  std::vector<std::string> levels;
  std::atomic<int> star{0}, tail{0};
  broker.subscriber(base + ".{level}")
      .handle([&](const std::string& text, faststream::Path<"level"> level) {
        std::lock_guard lock(mutex);
        levels.push_back(*level + ":" + text);
      });
  broker.subscriber(base + ".*").handle([&](const std::string&) { ++star; });
  broker.subscriber(base + ".>").handle([&](const std::string&) { ++tail; });
  broker.start();
  broker.publish(std::string("disk full"), base + ".error").get();
  // `*` and {level} take exactly one token: logs.a.b reaches only `>`.
  broker.publish(std::string("nested"), base + ".a.b").get();
  broker.publish(std::string("ok"), base + ".info").get();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return levels.size() == 2 && star == 2 && tail == 3;
  }));
  std::this_thread::sleep_for(100ms);  // nothing more arrives
  broker.stop();
  std::multiset<std::string> got(levels.begin(), levels.end());
  EXPECT_EQ(got, (std::multiset<std::string>{"error:disk full", "info:ok"}));
  EXPECT_EQ(star, 2);
  EXPECT_EQ(tail, 3);
}

TEST(NatsCore, QueueGroupMembersShareTheMessages) {
  auto& server = shared_server();
  const auto subject = unique("jobs");
  nats::Broker a(server.url(), quiet()), b(server.url(), quiet());
  std::mutex mutex;
  std::multiset<std::string> seen;
  std::atomic<int> on_a{0}, on_b{0};
  a.subscriber(subject, {.queue = "workers"}).handle([&](const Order& o) {
    std::lock_guard lock(mutex);
    seen.insert(o.id);
    ++on_a;
  });
  b.subscriber(subject, {.queue = "workers"}).handle([&](const Order& o) {
    std::lock_guard lock(mutex);
    seen.insert(o.id);
    ++on_b;
  });
  a.start();
  b.start();
  constexpr int kCount = 200;
  for (int i = 0; i < kCount; ++i) a.publish(order("J-" + std::to_string(i)), subject).get();
  ASSERT_TRUE(eventually([&] { return on_a + on_b == kCount; }));
  std::this_thread::sleep_for(100ms);
  a.stop();
  b.stop();
  EXPECT_EQ(on_a + on_b, kCount);
  EXPECT_GT(on_a, 0);
  EXPECT_GT(on_b, 0);
  std::set<std::string> distinct(seen.begin(), seen.end());
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kCount));  // no duplicates
}

TEST(NatsCore, RequestIsAnsweredAndNoRespondersFailsFast) {
  auto& server = shared_server();
  nats::Broker broker(server.url(), quiet());
  const auto rpc = unique("rpc");
  broker.subscriber(rpc).handle([](const Order& o, nats::Message& m) -> Receipt {
    EXPECT_FALSE(m.reply_to().empty());
    return {o.id, true};
  });
  broker.start();
  faststream::RequestOptions options;
  options.correlation_id = "rpc-7";
  options.timeout = 3s;
  auto reply = broker.request(order("R-1"), rpc, options).get();
  EXPECT_EQ(reply.correlation_id(), "rpc-7");
  EXPECT_EQ(reply.content_type(), "application/json");
  EXPECT_EQ(reply.decode<Receipt>().order_id, "R-1");
  auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(broker.request(order("R-2"), unique("nobody"), options).get(),
               faststream::NoResponders);
  EXPECT_LT(fs_test::ms_since(started), 2000);  // the server says so; no timeout needed
  broker.stop();
}

TEST(NatsCore, BadInputIsLoggedAndConsumingContinues) {
  auto& server = shared_server();
  RawClient raw(server.url());
  nats::Broker broker(server.url(), fs_test::silent());
  const auto subject = unique("bad");
  std::atomic<int> handled{0};
  auto sub = broker.subscriber(subject);
  sub.handle([&](const Order&) { ++handled; });
  broker.start();
  raw.publish(subject, "{not json");
  raw.publish(subject, R"({"id":"","amount":-1})");
  raw.publish(subject, R"({"id":"RAW-1","amount":3})");  // no headers at all: still JSON
  raw.flush();
  ASSERT_TRUE(eventually([&] { return handled == 1 && sub.stats().failed == 2; }));
  broker.stop();
  EXPECT_EQ(sub.stats().received, 3u);
}

TEST(NatsCore, SlowConsumerDropsAreCountedNeverSilent) {
  auto& server = shared_server();
  const auto subject = unique("flood");
  nats::Broker broker(server.url(), fs_test::silent());
  std::atomic<int> handled{0};
  auto sub = broker.subscriber(subject, {.queue_capacity = 1, .pending_msgs_limit = 20});
  sub.handle([&](const std::string&) {
    std::this_thread::sleep_for(5ms);
    ++handled;
  });
  broker.start();
  RawClient raw(server.url());
  constexpr int kSent = 2000;
  for (int i = 0; i < kSent; ++i) raw.publish(subject, "\"x\"");
  raw.flush();
  // Every message is either handled or counted as dropped.
  ASSERT_TRUE(eventually(
      [&] {
        auto s = broker.stats();
        return handled + static_cast<int>(s.dropped) == kSent;
      },
      20s))
      << "handled " << handled << " dropped " << broker.stats().dropped;
  auto stats = broker.stats();
  broker.stop();
  EXPECT_GT(stats.dropped, 0u);
  EXPECT_GE(stats.slow_consumer_events, 1u);
}

TEST(NatsJetStream, StreamIsDeclaredAndPublishWaitsForThePubAck) {
  auto& server = shared_server();
  RawClient raw(server.url());
  const auto stream = unique("ORDERS"), subject = unique("js.orders");
  nats::Broker broker(server.url(), quiet());
  std::atomic<int> handled{0};
  broker
      .subscriber(subject + ".*",
                  {.stream = nats::Stream{.name = stream, .storage = nats::Storage::memory},
                   .durable = "billing"})
      .handle([&](const Order&, nats::Message& m) {
        EXPECT_EQ(m.source(), nats::Source::jetstream);
        EXPECT_EQ(m.stream(), stream);
        EXPECT_GT(m.stream_sequence(), 0u);
        ++handled;
      });
  broker.start();
  auto state = raw.stream(stream);
  ASSERT_TRUE(state);
  EXPECT_EQ(state->subjects, std::vector<std::string>{subject + ".*"});
  EXPECT_TRUE(state->memory);
  broker.publish(order("J-1"), nats::to_stream(subject + ".created")).get();
  EXPECT_EQ(raw.stream(stream).value().messages, 1u);  // stored once publish returned
  ASSERT_TRUE(eventually([&] { return handled == 1; }));
  // No stream stores this subject: the server has no responder for the PubAck.
  EXPECT_THROW(broker.publish(order("J-2"), nats::to_stream(unique("nowhere"))).get(),
               faststream::PublishError);
  ASSERT_TRUE(eventually([&] { return raw.consumer(stream, "billing").first == 0; }));
  broker.stop();
}

TEST(NatsJetStream, MessageIdDeduplicatesRetriedPublishes) {
  auto& server = shared_server();
  RawClient raw(server.url());
  const auto stream = unique("DEDUP"), subject = unique("dedup");
  raw.add_stream(stream, subject);
  nats::Broker broker(server.url(), quiet());
  broker.start();
  faststream::PublishOptions options;
  options.message_id = "order-42";
  // The publish says what the PubAck said: the stream, the sequence, a duplicate.
  auto first = broker.publish(order("D-1"), nats::to_stream(subject), options).get();
  auto retry = broker.publish(order("D-1"), nats::to_stream(subject), options).get();
  EXPECT_EQ(first.stream, stream);
  EXPECT_EQ(first.sequence, 1u);
  EXPECT_FALSE(first.duplicate);
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.sequence, 1u);
  options.message_id = "order-43";
  auto second = broker.publish(order("D-2"), nats::to_stream(subject), options).get();
  EXPECT_EQ(second.sequence, 2u);
  EXPECT_EQ(raw.stream(stream).value().messages, 2u);
  // Two messages sharing a correlation id (a handler's results do) are both stored.
  faststream::PublishOptions same_correlation;
  same_correlation.correlation_id = "shared";
  broker.publish(order("D-4"), nats::to_stream(subject), same_correlation).get();
  broker.publish(order("D-5"), nats::to_stream(subject), same_correlation).get();
  EXPECT_EQ(raw.stream(stream).value().messages, 4u);
  // The expected stream is checked by the server.
  EXPECT_THROW(
      broker.publish(order("D-3"), nats::to_stream(subject, {.expect_stream = "OTHER"})).get(),
      faststream::PublishError);
  broker.stop();
}

// Per-call options of the NATS backend (nats::PublishOptions) beside the target's: JetStream's
// optimistic concurrency, checked by the server.
TEST(NatsJetStream, PublishExpectationsAreCheckedByTheServer) {
  auto& server = shared_server();
  RawClient raw(server.url());
  const auto stream = unique("EXPECT"), subject = unique("expect");
  raw.add_stream(stream, subject);
  nats::Broker broker(server.url(), quiet());
  broker.start();
  EXPECT_EQ(broker.publish(order("E-1"), nats::to_stream(subject)).get().sequence, 1u);
  nats::PublishOptions second;
  second.message_id = "m-2";
  second.expect.last_sequence = 1;
  EXPECT_EQ(broker.publish(order("E-2"), nats::to_stream(subject), second).get().sequence, 2u);
  nats::PublishOptions stale;
  stale.expect.last_sequence = 1;  // someone stored another meanwhile: refused
  try {
    broker.publish(order("E-3"), nats::to_stream(subject), stale).get();
    ADD_FAILURE() << "a stale expected sequence was stored";
  } catch (const faststream::PublishError& e) {
    EXPECT_NE(std::string(e.what()).find("wrong last sequence: 2"), std::string::npos) << e.what();
  }
  nats::PublishOptions fresh;
  fresh.expect.last_sequence = 2;
  fresh.expect.last_message_id = "m-2";
  fresh.expect.last_subject_sequence = 2;
  EXPECT_EQ(broker.publish(order("E-4"), nats::to_stream(subject), fresh).get().sequence, 3u);
  nats::PublishOptions wrong_id;
  wrong_id.expect.last_message_id = "m-1";
  EXPECT_THROW(broker.publish(order("E-5"), nats::to_stream(subject), wrong_id).get(),
               faststream::PublishError);
  EXPECT_EQ(raw.stream(stream).value().messages, 3u);
  broker.stop();
}

TEST(NatsJetStream, NakRedeliversAndTermDoesNot) {
  auto& server = shared_server();
  RawClient raw(server.url());
  const auto stream = unique("RETRY");
  const auto retry = unique("retry"), term = unique("term");
  nats::Broker broker(server.url(), fs_test::silent());
  std::mutex mutex;
  std::vector<std::uint32_t> retry_deliveries, term_deliveries;
  nats::Stream s{.name = stream, .subjects = {retry, term}, .storage = nats::Storage::memory};
  broker.subscriber(retry, {.stream = s, .durable = "retry", .ack_wait = 2s})
      .ack_policy(faststream::AckPolicy::nack_on_error)
      .handle([&](const Order&, nats::Message& m) {
        std::lock_guard lock(mutex);
        retry_deliveries.push_back(m.delivery_count());
        if (m.delivery_count() < 3) throw std::runtime_error("not yet");
      });
  broker.subscriber(term, {.stream = s, .durable = "term", .ack_wait = 500ms})
      .ack_policy(faststream::AckPolicy::reject_on_error)
      .handle([&](const Order&, nats::Message& m) {
        std::lock_guard lock(mutex);
        term_deliveries.push_back(m.delivery_count());
        throw std::runtime_error("never");
      });
  broker.start();
  broker.publish(order("N-1"), nats::to_stream(retry)).get();
  broker.publish(order("T-1"), nats::to_stream(term)).get();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return retry_deliveries.size() == 3 && term_deliveries.size() == 1;
  }));
  std::this_thread::sleep_for(1200ms);  // > ack_wait of the terminated one
  broker.stop();
  EXPECT_EQ(retry_deliveries, (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_EQ(term_deliveries, (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(raw.consumer(stream, "retry").first, 0);
  EXPECT_EQ(raw.consumer(stream, "term").first, 0);
}

TEST(NatsJetStream, NakDelayIsHonoured) {
  auto& server = shared_server();
  const auto stream = unique("DELAY"), subject = unique("delay");
  nats::Broker broker(server.url(), fs_test::silent());
  std::mutex mutex;
  std::vector<std::chrono::steady_clock::time_point> at;
  broker
      .subscriber(subject,
                  {.stream = nats::Stream{.name = stream, .storage = nats::Storage::memory},
                   .durable = "d"})
      .ack_policy(faststream::AckPolicy::manual)
      .handle([&](const Order&, nats::Message& m) {
        std::lock_guard lock(mutex);
        at.push_back(std::chrono::steady_clock::now());
        if (at.size() == 1) {
          m.nack({.delay = 700ms});
        } else {
          m.ack();
        }
      });
  broker.start();
  broker.publish(order("DL-1"), nats::to_stream(subject)).get();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return at.size() == 2;
  }));
  broker.stop();
  EXPECT_GE(at[1] - at[0], 650ms);
}

TEST(NatsJetStream, PullConsumerFetchesABacklogInBatches) {
  auto& server = shared_server();
  RawClient raw(server.url());
  const auto stream = unique("PULL"), subject = unique("pull");
  raw.add_stream(stream, subject);
  {
    nats::Broker producer(server.url(), quiet());
    producer.start();
    for (int i = 0; i < 250; ++i)
      producer.publish(order("P-" + std::to_string(i)), nats::to_stream(subject)).get();
    producer.stop();
  }
  nats::Broker broker(server.url(), quiet());
  std::mutex mutex;
  std::vector<std::string> ids;
  std::vector<std::size_t> batch_sizes;
  broker
      .subscriber(subject, {.stream = nats::Stream{.name = stream, .declare = false},
                            .durable = "puller",
                            .pull = nats::Pull{.batch = 100},
                            .queue_capacity = 300})
      .batch({.max_records = 100, .timeout = 50ms})
      .handle([&](const std::vector<Order>& batch) {
        std::lock_guard lock(mutex);
        batch_sizes.push_back(batch.size());
        for (const auto& o : batch) ids.push_back(o.id);
      });
  broker.start();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return ids.size() == 250;
  }));
  ASSERT_TRUE(eventually([&] { return raw.consumer(stream, "puller").first == 0; }));
  broker.stop();
  for (int i = 0; i < 250; ++i) EXPECT_EQ(ids[i], "P-" + std::to_string(i));  // in order
  EXPECT_LE(batch_sizes.size(), 25u) << "not batched";  // 250 in batches of up to 100
}

TEST(NatsJetStream, ALongHandlerKeepsItsMessageWithInProgress) {
  auto& server = shared_server();
  RawClient raw(server.url());
  const auto stream = unique("SLOW"), subject = unique("slow");
  nats::Broker broker(server.url(), quiet());
  std::atomic<int> deliveries{0};
  broker
      .subscriber(subject,
                  {.stream = nats::Stream{.name = stream, .storage = nats::Storage::memory},
                   .durable = "slow",
                   .ack_wait = 1s})
      .handle([&](const Order&) {
        ++deliveries;
        std::this_thread::sleep_for(2500ms);  // 2.5 x ack_wait
      });
  broker.start();
  broker.publish(order("S-1"), nats::to_stream(subject)).get();
  ASSERT_TRUE(
      eventually([&] { return raw.consumer(stream, "slow").first == 0 && deliveries == 1; }, 10s));
  std::this_thread::sleep_for(1500ms);
  broker.stop();
  EXPECT_EQ(deliveries, 1);  // never redelivered while it ran
}

TEST(NatsJetStream, ADurableConsumerResumesWhereItStopped) {
  auto& server = shared_server();
  const auto stream = unique("RESUME"), subject = unique("resume");
  nats::SubscriberOptions options{.stream = nats::Stream{.name = stream}, .durable = "keeper"};
  std::mutex mutex;
  std::vector<std::string> first, second;
  {
    nats::Broker broker(server.url(), quiet());
    broker.subscriber(subject, options).handle([&](const Order& o) {
      std::lock_guard lock(mutex);
      first.push_back(o.id);
    });
    broker.start();
    for (int i = 0; i < 10; ++i)
      broker.publish(order("A-" + std::to_string(i)), nats::to_stream(subject)).get();
    ASSERT_TRUE(eventually([&] {
      std::lock_guard lock(mutex);
      return first.size() == 10;
    }));
    broker.stop();
  }
  {
    nats::Broker producer(server.url(), quiet());
    producer.start();
    for (int i = 0; i < 10; ++i)
      producer.publish(order("B-" + std::to_string(i)), nats::to_stream(subject)).get();
    producer.stop();
  }
  nats::Broker broker(server.url(), quiet());
  broker.subscriber(subject, options).handle([&](const Order& o) {
    std::lock_guard lock(mutex);
    second.push_back(o.id);
  });
  broker.start();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return second.size() == 10;
  }));
  std::this_thread::sleep_for(200ms);
  broker.stop();
  ASSERT_EQ(second.size(), 10u);  // exactly the new ones
  for (int i = 0; i < 10; ++i) EXPECT_EQ(second[i], "B-" + std::to_string(i));
}

TEST(NatsJetStream, DeliverPoliciesStartWhereAsked) {
  auto& server = shared_server();
  RawClient raw(server.url());
  const auto stream = unique("POLICY"), subject = unique("policy");
  raw.add_stream(stream, subject);
  std::chrono::system_clock::time_point between;
  {
    nats::Broker producer(server.url(), quiet());
    producer.start();
    for (int i = 1; i <= 4; ++i)
      producer.publish(order("O-" + std::to_string(i)), nats::to_stream(subject)).get();
    // The start time is 20 ms past a whole second: nats.c alone would send it as 200 ms past
    // (it drops the fraction's leading zeros) and skip O-5, stored at about 50 ms past.
    const auto second = std::chrono::ceil<std::chrono::seconds>(std::chrono::system_clock::now());
    between = second + 20ms;  // after O-4 was stored, before O-5
    std::this_thread::sleep_until(second + 50ms);
    producer.publish(order("O-5"), nats::to_stream(subject)).get();
    producer.stop();
  }
  nats::Broker broker(server.url(), quiet());
  std::mutex mutex;
  std::map<std::string, std::vector<std::string>> got;
  auto record = [&](const std::string& who) {
    return [&, who](const Order& o) {
      std::lock_guard lock(mutex);
      got[who].push_back(o.id);
    };
  };
  nats::Stream existing{.name = stream, .declare = false};
  broker.subscriber(subject, {.stream = existing, .deliver_policy = nats::DeliverPolicy::all})
      .handle(record("all"));
  broker.subscriber(subject, {.stream = existing, .deliver_policy = nats::DeliverPolicy::last})
      .handle(record("last"));
  broker
      .subscriber(subject, {.stream = existing,
                            .deliver_policy = nats::DeliverPolicy::by_start_sequence,
                            .start_sequence = 4})
      .handle(record("from4"));
  broker.subscriber(subject, {.stream = existing, .deliver_policy = nats::DeliverPolicy::new_only})
      .handle(record("new"));
  broker
      .subscriber(subject, {.stream = existing,
                            .deliver_policy = nats::DeliverPolicy::by_start_time,
                            .start_time = between})
      .handle(record("since"));
  broker
      .subscriber(subject, {.stream = existing,
                            .durable = "since-durable",
                            .deliver_policy = nats::DeliverPolicy::by_start_time,
                            .start_time = between})
      .handle(record("since durable"));
  broker
      .subscriber(subject, {.stream = existing,
                            .pull = nats::Pull{.batch = 10},
                            .deliver_policy = nats::DeliverPolicy::by_start_time,
                            .start_time = between})
      .handle(record("since pull"));
  broker.start();
  broker.publish(order("O-6"), nats::to_stream(subject)).get();
  ASSERT_TRUE(eventually(
      [&] {
        std::lock_guard lock(mutex);
        return got["all"].size() == 6 && got["last"].size() == 2 && got["from4"].size() == 3 &&
               got["new"].size() == 1 && got["since"].size() == 2 &&
               got["since durable"].size() == 2 && got["since pull"].size() == 2;
      },
      15s))
      << [&] {
           std::lock_guard lock(mutex);
           std::string seen;
           for (const auto& [who, ids] : got) seen += who + "=" + std::to_string(ids.size()) + " ";
           return seen;
         }();
  std::this_thread::sleep_for(100ms);
  broker.stop();
  EXPECT_EQ(got["all"], (std::vector<std::string>{"O-1", "O-2", "O-3", "O-4", "O-5", "O-6"}));
  EXPECT_EQ(got["last"], (std::vector<std::string>{"O-5", "O-6"}));
  EXPECT_EQ(got["from4"], (std::vector<std::string>{"O-4", "O-5", "O-6"}));
  EXPECT_EQ(got["new"], (std::vector<std::string>{"O-6"}));
  for (const char* who : {"since", "since durable", "since pull"})
    EXPECT_EQ(got[who], (std::vector<std::string>{"O-5", "O-6"})) << who;
  // Ephemeral consumers are gone after stop (ours deleted as nats.c deletes its own); the
  // durable stays.
  EXPECT_TRUE(eventually(
      [&] { return raw.consumer_names(stream) == std::vector<std::string>{"since-durable"}; }));
}

TEST(NatsJetStream, RequestOverAStreamIsAnswered) {
  auto& server = shared_server();
  const auto stream = unique("RPC"), subject = unique("jsrpc");
  nats::Broker broker(server.url(), quiet());
  broker
      .subscriber(subject,
                  {.stream = nats::Stream{.name = stream, .storage = nats::Storage::memory}})
      .handle([](const Order& o, nats::Message& m) -> Receipt {
        EXPECT_EQ(m.source(), nats::Source::jetstream);
        return {o.id + "-done", true};
      });
  broker.start();
  faststream::RequestOptions options;
  options.correlation_id = "js-rpc-1";
  auto reply = broker.request(order("Q-1"), nats::to_stream(subject), options).get();
  EXPECT_EQ(reply.correlation_id(), "js-rpc-1");
  EXPECT_EQ(reply.decode<Receipt>().order_id, "Q-1-done");
  broker.stop();
}

TEST(NatsSecurity, CredentialsStayOutOfLogsAndDocs) {
  NatsServer server({"--user", "svc", "--pass", "s3cret-pw"});
  nats::Broker broker(server.url("svc:s3cret-pw"), quiet(faststream::LogLevel::info));
  faststream::App app{broker, {.title = "secure"}};
  std::atomic<int> handled{0};
  broker.subscriber("secure.orders", {.queue = "q"}).handle([&](const Order&) { ++handled; });
  testing::internal::CaptureStderr();
  broker.start();
  broker.publish(order("S-1"), "secure.orders").get();
  eventually([&] { return handled == 1; });
  broker.stop();
  std::string logs = testing::internal::GetCapturedStderr();
  EXPECT_EQ(handled, 1);
  EXPECT_NE(logs.find("broker started"), std::string::npos) << logs;  // the logs were captured
  EXPECT_EQ(logs.find("s3cret-pw"), std::string::npos) << logs;
  for (auto version :
       {faststream::asyncapi::Version::v3_0_0, faststream::asyncapi::Version::v2_6_0}) {
    auto doc = faststream::asyncapi::generate(broker.core(), app.info(), {.version = version});
    EXPECT_EQ(doc.find("s3cret-pw"), std::string::npos) << doc;
    EXPECT_NE(doc.find("127.0.0.1:" + std::to_string(server.port())), std::string::npos);
    EXPECT_NE(doc.find("\"queue\": \"q\""), std::string::npos) << doc;
  }
  nats::Broker wrong(server.url("svc:not-it"), quiet(faststream::LogLevel::off));
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

TEST(NatsJetStream, AMessageFailingTooOftenIsDeadLettered) {
  auto& server = shared_server();
  RawClient raw(server.url());
  const auto stream = unique("DLQ"), work = unique("work"), dead = unique("dead");
  nats::Broker broker(server.url(), fs_test::silent());
  nats::Stream s{.name = stream, .subjects = {work, dead}, .storage = nats::Storage::memory};
  std::atomic<int> attempts{0};
  broker
      .subscriber(work, {.stream = s,
                         .durable = "worker",
                         .ack_wait = 2s,
                         .dead_letter_after = 2,
                         .dead_letter_subject = dead})
      .ack_policy(faststream::AckPolicy::nack_on_error)
      .handle([&](const Order&) {
        ++attempts;
        throw std::runtime_error("payment service down");
      });
  std::mutex mutex;
  std::vector<std::map<std::string, std::string>> letters;
  std::vector<std::string> letter_ids;
  broker.subscriber(dead, {.stream = s, .durable = "morgue"})
      .handle([&](const Order& o, nats::Message& m) {
        std::lock_guard lock(mutex);
        std::map<std::string, std::string> h;
        for (const auto& [k, v] : m.headers()) h[k] = v;
        h["correlation_id"] = m.correlation_id();
        letters.push_back(h);
        letter_ids.push_back(o.id);
      });
  broker.start();
  faststream::PublishOptions options;
  options.correlation_id = "dl-corr";
  broker.publish(order("DL-1"), nats::to_stream(work), options).get();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return letters.size() == 1;
  }));
  ASSERT_TRUE(eventually([&] { return raw.consumer(stream, "worker").first == 0; }));
  std::this_thread::sleep_for(300ms);  // terminated: no third attempt
  auto stats = broker.stats();
  broker.stop();
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(stats.dead_lettered, 1u);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letter_ids[0], "DL-1");
  auto& h = letters[0];
  EXPECT_NE(h["x-dead-letter-reason"].find("payment service down"), std::string::npos)
      << h["x-dead-letter-reason"];
  EXPECT_NE(h["x-dead-letter-reason"].find("delivered 2 times (limit 2)"), std::string::npos);
  EXPECT_EQ(h["x-dead-letter-source"], work);
  EXPECT_EQ(h["x-dead-letter-stream"], stream);
  EXPECT_EQ(h["x-dead-letter-deliveries"], "2");
  EXPECT_EQ(h["correlation_id"], "dl-corr");
}

TEST(NatsJetStream, ADeadLetterNobodyStoresIsNakdNotLost) {
  auto& server = shared_server();
  const auto stream = unique("NODLQ"), work = unique("work");
  nats::Broker broker(server.url(), fs_test::silent());
  std::atomic<int> attempts{0};
  broker
      .subscriber(work, {.stream = nats::Stream{.name = stream, .storage = nats::Storage::memory},
                         .durable = "w",
                         .dead_letter_after = 1,
                         .dead_letter_subject = unique("unstored")})
      .handle([&](const Order&) {
        ++attempts;
        throw std::runtime_error("fails");
      });
  broker.start();
  broker.publish(order("K-1"), nats::to_stream(work)).get();
  // No stream stores the dead-letter subject: the publish fails, the original is Nak'd and
  // comes back (reject_on_error would have terminated it, the dead letter overrides that).
  ASSERT_TRUE(eventually([&] { return attempts >= 3; }, 10s));
  auto stats = broker.stats();
  broker.stop();
  EXPECT_EQ(stats.dead_lettered, 0u);
}

TEST(NatsJetStream, FastPathPublishesAreAckedInTheBackground) {
  auto& server = shared_server();
  RawClient raw(server.url());
  const auto stream = unique("FAST"), subject = unique("fast");
  raw.add_stream(stream, subject);
  nats::Broker broker(server.url(), fs_test::silent());
  broker.start();
  constexpr int kCount = 2000;
  for (int i = 0; i < kCount; ++i)
    broker
        .publish(order("F-" + std::to_string(i)), nats::to_stream(subject, {.wait_for_ack = false}))
        .get();
  broker.publish(order("lost"), nats::to_stream(unique("unstored"), {.wait_for_ack = false})).get();
  ASSERT_TRUE(broker.wait_for_pub_acks(10s));
  EXPECT_EQ(raw.stream(stream).value().messages, static_cast<std::uint64_t>(kCount));
  ASSERT_TRUE(eventually([&] { return broker.stats().async_publish_failures == 1; }));
  broker.stop();
}

namespace {
struct Setting {
  std::string value;
};
FASTSTREAM_MODEL(Setting, value);
}  // namespace

TEST(NatsKeyValue, AWatchSeesCurrentValuesThenChangesAndHandlersGetTheBucket) {
  auto& server = shared_server();
  const auto bucket = unique("settings");
  const nats::KeyValueConfig config{.bucket = bucket, .storage = nats::Storage::memory};
  nats::Broker broker(server.url(), quiet());
  auto kv = broker.key_value(config);
  std::mutex mutex;
  std::vector<std::string> seen;
  auto record = [&](std::vector<std::string>& into) {
    return [&](const std::string& body, nats::Message& m) {
      std::lock_guard lock(mutex);
      EXPECT_EQ(m.source(), nats::Source::kv);
      into.push_back(m.subject() + "=" + body + "@" + std::to_string(m.stream_sequence()) +
                     (m.kv_operation() == nats::KvOperation::del ? " (deleted)" : ""));
    };
  };
  broker.subscriber("app.>", {.kv = nats::KvWatch{.bucket = config}}).handle(record(seen));
  // A handler updates the bucket through the injected handle.
  const auto in = unique("cfg");
  broker.subscriber(in).handle(
      [bucket](const Setting& s, faststream::Depends<nats::KeyValues> kvs) {
        kvs->bucket(bucket).put_value("app.mode", s);
      });
  auto count = [&](std::vector<std::string>& v) {
    std::lock_guard lock(mutex);
    return v.size();
  };
  broker.start();
  kv->put("app.a", "one");
  ASSERT_TRUE(eventually([&] { return count(seen) == 1; }));
  broker.publish(Setting{"fast"}, in).get();
  ASSERT_TRUE(eventually([&] { return count(seen) == 2; }));
  kv->put("other.key", "not watched");
  kv->erase("app.a");
  ASSERT_TRUE(eventually([&] { return count(seen) == 3; }));
  EXPECT_EQ(kv->get_value<Setting>("app.mode")->value, "fast");
  EXPECT_EQ(kv->get("app.a"), std::nullopt);
  EXPECT_EQ(kv->get("other.key"), "not watched");
  broker.stop();
  EXPECT_EQ(seen, (std::vector<std::string>{"app.a=one@1", R"(app.mode={"value":"fast"}@2)",
                                            "app.a=@4 (deleted)"}));
  EXPECT_THROW(kv->get("app.a"), faststream::BrokerNotRunning);

  // A new watch gets the current values first (deletes skipped on request).
  nats::Broker again(server.url(), quiet());
  std::vector<std::string> later;
  again.subscriber("app.>", {.kv = nats::KvWatch{.bucket = config, .ignore_deletes = true}})
      .handle(record(later));
  again.start();
  ASSERT_TRUE(eventually([&] { return count(later) == 1; }));
  std::this_thread::sleep_for(200ms);
  again.stop();
  EXPECT_EQ(later, std::vector<std::string>{R"(app.mode={"value":"fast"}@2)"});
}

TEST(NatsReconnect, SubscriptionsAndDurablesSurviveAServerRestart) {
  NatsServer server;  // its own: it is restarted (JetStream's file store survives)
  const std::string stream = "RESTART", js_subject = "restart.js", core_subject = "restart.core";
  nats::Broker broker(server.url(), quiet(faststream::LogLevel::off),
                      {.reconnect_wait = std::chrono::milliseconds(100)});
  std::mutex mutex;
  std::multiset<std::string> js_seen, core_seen;
  auto count = [&](std::multiset<std::string>& s) {
    std::lock_guard lock(mutex);
    return s.size();
  };
  broker.subscriber(js_subject, {.stream = nats::Stream{.name = stream}, .durable = "keeper"})
      .handle([&](const Order& o) {
        std::lock_guard lock(mutex);
        js_seen.insert(o.id);
      });
  broker.subscriber(core_subject).handle([&](const Order& o) {
    std::lock_guard lock(mutex);
    core_seen.insert(o.id);
  });
  broker.start();
  for (int i = 0; i < 50; ++i)
    broker.publish(order("A-" + std::to_string(i)), nats::to_stream(js_subject)).get();
  broker.publish(order("C-1"), core_subject).get();
  ASSERT_TRUE(eventually([&] { return count(js_seen) == 50 && count(core_seen) == 1; }));

  server.stop();
  ASSERT_TRUE(eventually([&] { return broker.stats().disconnects >= 2; }));
  // During the outage: a JetStream publish fails clearly (no PubAck in time)...
  faststream::PublishOptions short_wait;
  short_wait.timeout = 300ms;
  EXPECT_THROW(broker.publish(order("X"), nats::to_stream(js_subject), short_wait).get(),
               faststream::PublishError);
  // ...a core publish is buffered by nats.c (it does not fail).
  EXPECT_NO_THROW(broker.publish(order("C-buffered"), core_subject).get());

  server.start();
  ASSERT_TRUE(eventually([&] { return broker.stats().reconnects >= 2; }, 15s));
  for (int i = 0; i < 50; ++i)
    broker.publish(order("B-" + std::to_string(i)), nats::to_stream(js_subject)).get();
  // The core subscription is back: a message published now arrives.
  ASSERT_TRUE(eventually([&] {
    broker.publish(order("C-2"), core_subject).get();
    std::lock_guard lock(mutex);
    return core_seen.size() >= 2 && core_seen.count("C-2") > 0;
  }));
  ASSERT_TRUE(eventually([&] { return count(js_seen) >= 100; }, 15s));
  std::this_thread::sleep_for(200ms);
  broker.stop();
  std::set<std::string> distinct(js_seen.begin(), js_seen.end());
  EXPECT_EQ(distinct.size(), 100u);  // nothing lost (the failed "X" was never stored)
  EXPECT_EQ(distinct.count("X"), 0u);
}

TEST(NatsJetStream, SigtermInABacklogLeavesNothingHandledButUnackedAndLosesNothing) {
  auto& server = shared_server();
  RawClient raw(server.url());
  const auto stream = unique("SIGTERM"), subject = unique("sigterm");
  constexpr int kMessages = 400;
  raw.add_stream(stream, subject);
  {
    nats::Broker producer(server.url(), quiet());
    producer.start();
    for (int i = 0; i < kMessages; ++i)
      producer
          .publish(order("T-" + std::to_string(i)),
                   nats::to_stream(subject, {.wait_for_ack = false}))
          .get();
    ASSERT_TRUE(producer.wait_for_pub_acks(10s));
    producer.stop();
  }
  std::mutex mutex;
  std::multiset<std::string> handled;
  auto count = [&] {
    std::lock_guard lock(mutex);
    return handled.size();
  };
  auto declare = [&](nats::Broker& broker, bool pull) {
    nats::SubscriberOptions options{.stream = nats::Stream{.name = stream, .declare = false},
                                    .durable = pull ? "drain-pull" : "drain-push",
                                    .ack_wait = 30s};
    if (pull) options.pull = nats::Pull{.batch = 50};
    broker.subscriber(subject, options).max_workers(4).handle([&](const Order& o) {
      std::this_thread::sleep_for(3ms);
      std::lock_guard lock(mutex);
      handled.insert(o.id);
    });
  };
  for (bool pull : {false, true}) {
    {
      std::lock_guard lock(mutex);
      handled.clear();
    }
    {
      nats::Broker broker(server.url(), quiet());
      faststream::App app{broker};
      declare(broker, pull);
      app.after_startup([&] {
        std::thread([&] {
          eventually([&] { return count() >= 50; });
          std::raise(SIGTERM);  // what `kill` or Ctrl+C sends the service
        }).detach();
      });
      ASSERT_EQ(app.run(), 0);
      const std::size_t done = count();
      ASSERT_GE(done, 50u) << "the signal came before any backlog was handled";
      ASSERT_LT(done, static_cast<std::size_t>(kMessages)) << "the signal came too late";
      EXPECT_EQ(broker.core().subscribers().front()->stats().acked, done);
    }
    // The service comes back and handles the rest: nothing lost, no duplicates (a message
    // handled but not acked would come again). What was delivered but not handled went back
    // with Nak, so it arrives now, not after ack_wait (30 s).
    nats::Broker again(server.url(), quiet());
    declare(again, pull);
    again.start();
    ASSERT_TRUE(eventually([&] { return count() >= static_cast<std::size_t>(kMessages); }, 10s))
        << (pull ? "pull" : "push") << ": " << count() << " of " << kMessages;
    std::this_thread::sleep_for(200ms);
    again.stop();
    std::lock_guard lock(mutex);
    EXPECT_EQ(std::set<std::string>(handled.begin(), handled.end()).size(),
              static_cast<std::size_t>(kMessages));
    EXPECT_EQ(handled.size(), static_cast<std::size_t>(kMessages)) << "duplicates";
  }
}

TEST(NatsSecurity, TokenAuthAndSeveralServers) {
  NatsServer server({"--auth", "t0ken-secret"});
  // The first server of the list is not there: nats.c goes on to the next one.
  const int dead_port = fs_test::free_port();
  const std::string url = "nats://t0ken-secret@127.0.0.1:" + std::to_string(dead_port) +
                          ",127.0.0.1:" + std::to_string(server.port());
  // In the given order, so the dead one really is tried first.
  nats::Broker broker(url, quiet(faststream::LogLevel::info), {.randomize_servers = false});
  std::atomic<int> handled{0};
  broker.subscriber("token.orders").handle([&](const Order&) { ++handled; });
  testing::internal::CaptureStderr();
  broker.start();
  broker.publish(order("T-1"), "token.orders").get();
  eventually([&] { return handled == 1; });
  broker.stop();
  std::string logs = testing::internal::GetCapturedStderr();
  EXPECT_EQ(handled, 1);
  EXPECT_NE(logs.find("broker started"), std::string::npos) << logs;  // the logs were captured
  EXPECT_EQ(logs.find("t0ken-secret"), std::string::npos) << logs;
  faststream::App app{broker, {.title = "token"}};
  auto doc = faststream::asyncapi::generate(broker.core(), app.info());
  EXPECT_EQ(doc.find("t0ken-secret"), std::string::npos) << doc;
  nats::Broker wrong("nats://not-the-token@127.0.0.1:" + std::to_string(server.port()),
                     quiet(faststream::LogLevel::off));
  try {
    wrong.start();
    FAIL() << "start must fail";
  } catch (const std::exception& e) {
    EXPECT_EQ(std::string(e.what()).find("not-the-token"), std::string::npos) << e.what();
  }
}

namespace {
// A CA and a server certificate for 127.0.0.1, made with the openssl command line.
struct TestCertificates {
  std::string dir;
  TestCertificates() {
    char tmpl[] = "/tmp/faststream-tls-XXXXXX";
    dir = ::mkdtemp(tmpl);
    const std::string d = dir;
    const std::string script =
        "cd " + d +
        " && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=faststream-test-ca "
        "-keyout ca.key -out ca.pem"
        " && openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key "
        "-out server.csr"
        " && printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext"
        " && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
        "-extfile san.ext -out server.pem";
    if (std::system(("(" + script + ") >/dev/null 2>&1").c_str()) != 0)
      throw std::runtime_error("openssl could not make the test certificates in " + d);
  }
  ~TestCertificates() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};
}  // namespace

TEST(NatsSecurity, TlsWithOurOwnCertificateAuthority) {
  TestCertificates certs;
  NatsServer server(
      {"--tls", "--tlscert", certs.dir + "/server.pem", "--tlskey", certs.dir + "/server.key"});
  const std::string url = "tls://127.0.0.1:" + std::to_string(server.port());
  nats::Broker broker(url, quiet(), {.tls_ca_file = certs.dir + "/ca.pem"});
  std::atomic<int> handled{0};
  broker.subscriber("tls.orders").handle([&](const Order&) { ++handled; });
  broker.start();
  broker.publish(order("TLS-1"), "tls.orders").get();
  EXPECT_TRUE(eventually([&] { return handled == 1; }));
  broker.stop();
  // Without our CA the server's certificate is not trusted: start fails, saying why.
  nats::Broker untrusting(url, quiet(faststream::LogLevel::off));
  try {
    untrusting.start();
    ADD_FAILURE() << "start must fail without our CA";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("SSL"), std::string::npos) << e.what();
  }
}

TEST(NatsJetStream, BadInputIsTerminatedAndTheConsumerGoesOn) {
  auto& server = shared_server();
  RawClient raw(server.url());
  const auto stream = unique("BADJS"), subject = unique("badjs");
  raw.add_stream(stream, subject);
  nats::Broker broker(server.url(), fs_test::silent());
  std::atomic<int> handled{0};
  auto sub = broker.subscriber(subject, {.stream = nats::Stream{.name = stream, .declare = false},
                                         .durable = "strict",
                                         .ack_wait = 500ms});
  sub.handle([&](const Order&) { ++handled; });
  broker.start();
  jsErrCode code{};
  for (const char* body : {"{broken", R"({"id":"","amount":-1})", R"({"id":"OK-1","amount":1})"})
    ASSERT_EQ(js_Publish(nullptr, raw.js(), subject.c_str(), body, static_cast<int>(strlen(body)),
                         nullptr, &code),
              NATS_OK);
  ASSERT_TRUE(eventually([&] { return handled == 1 && sub.stats().rejected == 2; }));
  std::this_thread::sleep_for(1200ms);  // > ack_wait: terminated ones do not come back
  broker.stop();
  EXPECT_EQ(sub.stats().received, 3u);
  EXPECT_EQ(raw.consumer(stream, "strict").first, 0);
}

TEST(NatsJetStream, AnExistingStreamKeepsItsSubjectsAndGainsOurs) {
  auto& server = shared_server();
  RawClient raw(server.url());
  const auto stream = unique("MERGE"), theirs = unique("theirs"), ours = unique("ours");
  raw.add_stream(stream, theirs + ".>");
  nats::Broker broker(server.url(), fs_test::silent());
  std::atomic<int> handled{0};
  broker.subscriber(ours, {.stream = nats::Stream{.name = stream}}).handle([&](const Order&) {
    ++handled;
  });
  // Already covered by their wildcard: not added again (the server refuses overlaps).
  broker.subscriber(theirs + ".created", {.stream = nats::Stream{.name = stream}})
      .handle([](const Order&) {});
  broker.start();
  auto state = raw.stream(stream);
  ASSERT_TRUE(state);
  std::set<std::string> subjects(state->subjects.begin(), state->subjects.end());
  EXPECT_EQ(subjects, (std::set<std::string>{theirs + ".>", ours}));
  broker.publish(order("M-1"), nats::to_stream(ours)).get();
  broker.publish(order("M-2"), nats::to_stream(theirs + ".x")).get();  // still stored
  EXPECT_TRUE(eventually([&] { return handled == 1; }));
  EXPECT_EQ(raw.stream(stream).value().messages, 2u);
  broker.stop();
}

TEST(NatsCore, TheReplySubjectIsTheNatsReplyNotAReplyToHeader) {
  auto& server = shared_server();
  RawClient raw(server.url());
  nats::Broker broker(server.url(), quiet());
  const auto subject = unique("replies");
  std::mutex mutex;
  std::vector<std::string> reply_tos;
  broker.subscriber(subject).handle([&](const std::string&, nats::Message& m) {
    std::lock_guard lock(mutex);
    reply_tos.push_back(m.reply_to());
  });
  broker.start();
  // FastStream reads the NATS reply on core NATS; a `reply_to` header means nothing there.
  natsMsg* with_header = nullptr;
  ASSERT_EQ(natsMsg_Create(&with_header, subject.c_str(), nullptr, "\"a\"", 3), NATS_OK);
  natsMsgHeader_Set(with_header, "reply_to", "_INBOX.header");
  ASSERT_EQ(natsConnection_PublishMsg(raw.nc(), with_header), NATS_OK);
  natsMsg_Destroy(with_header);
  ASSERT_EQ(natsConnection_PublishRequest(raw.nc(), subject.c_str(), "_INBOX.nats", "\"b\"", 3),
            NATS_OK);
  raw.flush();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return reply_tos.size() == 2;
  }));
  broker.stop();
  EXPECT_EQ(reply_tos, (std::vector<std::string>{"", "_INBOX.nats"}));
}

TEST(NatsJetStream, AQueueGroupStartingAtATimeSharesOneConsumer) {
  auto& server = shared_server();
  RawClient raw(server.url());
  const auto stream = unique("QSTART"), subject = unique("qstart");
  raw.add_stream(stream, subject);
  const auto since = std::chrono::system_clock::now() - std::chrono::seconds(1);
  std::mutex mutex;
  std::vector<std::string> seen;
  std::atomic<int> first_count{0}, second_count{0};
  auto member = [&](std::atomic<int>& count) {
    auto broker = std::make_unique<nats::Broker>(server.url(), quiet());
    broker
        ->subscriber(subject, {.queue = "workers",
                               .stream = nats::Stream{.name = stream, .declare = false},
                               .deliver_policy = nats::DeliverPolicy::by_start_time,
                               .start_time = since})
        .handle([&](const Order& o) {
          ++count;
          std::lock_guard lock(mutex);
          seen.push_back(o.id);
        });
    broker->start();
    return broker;
  };
  auto first = member(first_count);
  auto second = member(second_count);
  for (int i = 0; i < 40; ++i)
    first->publish(order("Q-" + std::to_string(i)), nats::to_stream(subject)).get();
  ASSERT_TRUE(eventually([&] { return first_count + second_count >= 40; }, 10s));
  std::this_thread::sleep_for(200ms);
  first->stop();
  second->stop();
  // Each message once in the group (not once per member), shared by both members.
  std::set<std::string> distinct(seen.begin(), seen.end());
  EXPECT_EQ(seen.size(), 40u);
  EXPECT_EQ(distinct.size(), 40u);
  EXPECT_GT(first_count.load(), 0);
  EXPECT_GT(second_count.load(), 0);
  // The group's consumer is named after it and survives the members' stop.
  EXPECT_EQ(raw.consumer_names(stream), std::vector<std::string>{"workers"});
}

TEST(NatsSideDoor, ReadinessFollowsTheServerAndMetricsCountItsMessages) {
  NatsServer server;  // its own: this test stops it
  nats::Broker broker(server.url(), quiet(faststream::LogLevel::off));
  faststream::App app{broker, {.title = "side"}};
  app.serve_http({.port = 0, .ping_timeout = 500ms});
  const auto subject = unique("side");
  std::atomic<int> handled{0};
  broker.subscriber(subject).handle([&](const Order&) { ++handled; });
  std::thread runner([&] { app.run(); });
  ASSERT_TRUE(eventually([&] { return !app.http_url().empty() && broker.running(); }));
  const auto url = app.http_url();
  for (int i = 0; i < 3; ++i) broker.publish(order("M-" + std::to_string(i)), subject).get();
  ASSERT_TRUE(eventually([&] { return handled == 3; }));
  const auto metrics = fs_test::parse_prometheus(fs_test::http_get(url, "/metrics").body);
  const std::string labels = "{app_name=\"faststream\",broker=\"nats\",handler=\"" + subject + "\"";
  EXPECT_EQ(metrics.at("faststream_received_messages_total" + labels + "}"), 3);
  EXPECT_EQ(
      metrics.at("faststream_received_processed_messages_total" + labels + ",status=\"acked\"}"),
      3);

  fs_test::expect_readiness_follows(url, server);
  app.stop();
  runner.join();
}
