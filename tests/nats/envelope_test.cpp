// The sans-I/O parts of the NATS backend: FastStream's headers, subject plans, stream plans.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <faststream/exceptions.hpp>

#include "nats/envelope.hpp"

namespace nats = faststream::nats;
using faststream::ConfigError;
using faststream::Headers;
using faststream::OutgoingMessage;

namespace {
OutgoingMessage message() {
  OutgoingMessage m;
  m.destination = "orders";
  m.body = R"({"id":"A"})";
  m.content_type = "application/json";
  m.correlation_id = "c-1";
  return m;
}
std::vector<std::string> names(const Headers& h) {
  std::vector<std::string> out;
  for (const auto& [k, v] : h) out.push_back(k);
  return out;
}
}  // namespace

TEST(NatsEnvelope, CoreHeadersAreFastStreams) {
  auto m = message();
  m.reply_to = "_INBOX.x";  // the NATS reply, not a header, on core NATS
  auto h = nats::outgoing_headers(m, false);
  EXPECT_EQ(names(h), (std::vector<std::string>{"content-type", "correlation_id"}));
  EXPECT_EQ(h.get("content-type"), "application/json");
  EXPECT_EQ(h.get("correlation_id"), "c-1");
}

TEST(NatsEnvelope, JetStreamAddsReplyToAndMsgId) {
  auto m = message();
  m.reply_to = "_INBOX.x";
  auto h = nats::outgoing_headers(m, true);
  EXPECT_EQ(names(h), (std::vector<std::string>{"content-type", "correlation_id", "reply_to",
                                                "Nats-Msg-Id"}));
  // Without a message id: a fresh one, not the correlation id (results of one request share
  // that, and the stream would keep only the first).
  auto generated = std::string(*h.get("Nats-Msg-Id"));
  EXPECT_NE(generated, "c-1");
  EXPECT_EQ(generated.size(), 36u);
  EXPECT_NE(*nats::outgoing_headers(m, true).get("Nats-Msg-Id"), generated);
  m.message_id = "m-9";
  h = nats::outgoing_headers(m, true);
  EXPECT_EQ(h.get("message_id"), "m-9");
  EXPECT_EQ(h.get("Nats-Msg-Id"), "m-9");
}

TEST(NatsEnvelope, UserHeadersWinAndKeepTheirPlace) {
  auto m = message();
  m.headers.add("x-tenant", "t1");
  m.headers.add("correlation_id", "mine");
  auto h = nats::outgoing_headers(m, false);
  EXPECT_EQ(h.get("correlation_id"), "mine");
  EXPECT_EQ(h.get("x-tenant"), "t1");
  EXPECT_EQ(h.size(), 3u);
}

TEST(NatsSubject, PlaceholdersBecomeStars) {
  auto plan = nats::plan_subject("logs.{level}.{service}.>");
  EXPECT_EQ(plan.subject, "logs.*.*.>");
  EXPECT_EQ(plan.params, (std::vector<std::string>{"level", "service"}));
  EXPECT_EQ(nats::plan_subject("orders").subject, "orders");
  EXPECT_TRUE(nats::plan_subject("a.*").params.empty());
}

TEST(NatsSubject, MalformedSubjectsAreRefused) {
  for (const char* bad : {"", "a..b", ".a", "a.", "a b", "a.>.b", "a.x{y}", "a.{}"})
    EXPECT_THROW(nats::plan_subject(bad), ConfigError) << bad;
}

TEST(NatsSubject, MatchingFollowsNatsRules) {
  EXPECT_TRUE(nats::subject_matches("a.*", "a.b"));
  EXPECT_FALSE(nats::subject_matches("a.*", "a.b.c"));
  EXPECT_FALSE(nats::subject_matches("a.*", "a"));
  EXPECT_TRUE(nats::subject_matches("a.>", "a.b.c"));
  EXPECT_FALSE(nats::subject_matches("a.>", "a"));
  EXPECT_TRUE(nats::subject_matches("a.b", "a.b"));
  EXPECT_FALSE(nats::subject_matches("a.b", "a.c"));
  EXPECT_TRUE(nats::subject_matches(">", "x"));
  EXPECT_TRUE(nats::subject_matches("*.b", "a.b"));
}

TEST(NatsStreams, SubscribersOfOneStreamShareADeclaration) {
  nats::Stream s{.name = "ORDERS"};
  auto plan = nats::plan_streams({{s, "orders.created"}, {s, "orders.paid"}, {s, "orders.*"}});
  ASSERT_EQ(plan.size(), 1u);
  // orders.created and orders.paid are inside orders.*: the server refuses overlaps.
  EXPECT_EQ(plan[0].subjects, std::vector<std::string>{"orders.*"});
  nats::Stream listed{.name = "LOGS", .subjects = {"logs.>"}};
  plan = nats::plan_streams({{listed, "logs.error"}});
  EXPECT_EQ(plan[0].subjects, std::vector<std::string>{"logs.>"});
}

TEST(NatsStreams, ConflictingDeclarationsAndBadNamesAreRefused) {
  nats::Stream a{.name = "S"};
  nats::Stream b{.name = "S", .storage = nats::Storage::memory};
  EXPECT_THROW(nats::plan_streams({{a, "x"}, {b, "y"}}), ConfigError);
  nats::Stream dotted{.name = "a.b"};
  EXPECT_THROW(nats::plan_streams({{dotted, "x"}}), ConfigError);
  nats::Stream unnamed{};
  EXPECT_THROW(nats::plan_streams({{unnamed, "x"}}), ConfigError);
}

TEST(NatsStreams, CoveredSubjectsAreLeftOut) {
  EXPECT_EQ(nats::without_covered({"orders.created", "orders.>", "logs.*", "logs.a", "x"}),
            (std::vector<std::string>{"orders.>", "logs.*", "x"}));
  EXPECT_EQ(nats::without_covered({"a", "a", "b"}), (std::vector<std::string>{"a", "b"}));
  // `>` covers `*`, not the other way round.
  EXPECT_EQ(nats::without_covered({"a.*", "a.>"}), (std::vector<std::string>{"a.>"}));
  EXPECT_EQ(nats::without_covered({"a.>", "a.*"}), (std::vector<std::string>{"a.>"}));
  EXPECT_EQ(nats::without_covered({"a.*.c", "a.b.*"}),
            (std::vector<std::string>{"a.*.c", "a.b.*"}));
}

TEST(NatsStartTime, FractionKeepsItsLeadingZeros) {
  using namespace std::chrono;
  const sys_seconds noon = sys_days{year{2026} / 11 / 28} + hours{12};
  EXPECT_EQ(nats::rfc3339_utc(noon + milliseconds{50}), "2026-11-28T12:00:00.050000000Z");
  EXPECT_EQ(nats::rfc3339_utc(noon + nanoseconds{7}), "2026-11-28T12:00:00.000000007Z");
  EXPECT_EQ(nats::rfc3339_utc(noon), "2026-11-28T12:00:00.000000000Z");
  EXPECT_EQ(nats::rfc3339_utc(noon + seconds{59} + nanoseconds{999'999'999}),
            "2026-11-28T12:00:59.999999999Z");
}

TEST(NatsStartTime, ConsumerRequestCarriesTheWholeConfig) {
  using namespace std::chrono;
  nats::StartTimeConsumer consumer;
  consumer.stream = "ORDERS";
  consumer.filter_subject = "orders.*";
  consumer.deliver_subject = "_INBOX.x";
  consumer.deliver_group = "workers";
  consumer.start_time = sys_days{year{2026} / 1 / 2} + milliseconds{30};
  consumer.ack_wait = seconds{30};
  consumer.max_deliver = 5;
  consumer.max_ack_pending = 10;
  consumer.inactive_threshold = minutes{5};
  EXPECT_EQ(nats::consumer_create_subject(consumer), "$JS.API.CONSUMER.CREATE.ORDERS");
  auto body = boost::json::parse(nats::consumer_create_body(consumer)).as_object();
  EXPECT_EQ(body.at("stream_name"), "ORDERS");
  const auto& config = body.at("config").as_object();
  EXPECT_EQ(config.at("deliver_policy"), "by_start_time");
  EXPECT_EQ(config.at("opt_start_time"), "2026-01-02T00:00:00.030000000Z");
  EXPECT_EQ(config.at("ack_policy"), "explicit");
  EXPECT_EQ(config.at("ack_wait").to_number<std::int64_t>(), 30'000'000'000);
  EXPECT_EQ(config.at("max_deliver").to_number<std::int64_t>(), 5);
  EXPECT_EQ(config.at("max_ack_pending").to_number<std::int64_t>(), 10);
  EXPECT_EQ(config.at("filter_subject"), "orders.*");
  EXPECT_EQ(config.at("deliver_subject"), "_INBOX.x");
  EXPECT_EQ(config.at("deliver_group"), "workers");
  EXPECT_EQ(config.at("inactive_threshold").to_number<std::int64_t>(), 300'000'000'000);
  EXPECT_FALSE(config.contains("durable_name"));

  consumer.durable = "billing";
  consumer.deliver_subject.clear();
  consumer.deliver_group.clear();
  consumer.max_ack_pending = 0;
  consumer.inactive_threshold = nanoseconds{0};
  EXPECT_EQ(nats::consumer_create_subject(consumer),
            "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.billing");
  const auto durable = boost::json::parse(nats::consumer_create_body(consumer));
  const auto& pull = durable.at("config").as_object();
  EXPECT_EQ(pull.at("durable_name"), "billing");
  EXPECT_FALSE(pull.contains("deliver_subject"));  // a pull consumer
  EXPECT_FALSE(pull.contains("deliver_group"));
  EXPECT_FALSE(pull.contains("max_ack_pending"));
  EXPECT_FALSE(pull.contains("inactive_threshold"));
}

TEST(NatsStartTime, ServerAnswersAreRead) {
  EXPECT_EQ(
      nats::created_consumer_name(
          R"({"type":"io.nats.jetstream.api.v1.consumer_create_response","stream_name":"S","name":"abc123","config":{}})"),
      "abc123");
  try {
    nats::created_consumer_name(
        R"({"type":"io.nats.jetstream.api.v1.consumer_create_response","error":{"code":404,"err_code":10059,"description":"stream not found"}})");
    FAIL() << "an error answer must throw";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "stream not found");
  }
  EXPECT_THROW(nats::created_consumer_name("not json"), std::runtime_error);
  EXPECT_THROW(nats::created_consumer_name(R"({"config":{}})"), std::runtime_error);
}
