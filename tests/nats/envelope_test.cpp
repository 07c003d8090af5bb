// The sans-I/O parts of the NATS backend: FastStream's headers, subject plans, stream plans.
#include <gtest/gtest.h>

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
