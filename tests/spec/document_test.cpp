// AsyncAPI documents built from declarations: names, operations, messages, schemas, bindings.
// The official parser's verdict and the expectations in expected/*.json are checked by
// validate.js on the files AsyncApiFiles.Write produces.
#include <gtest/gtest.h>

#include <faststream/asyncapi.hpp>

#include <boost/json.hpp>

#include <memory>
#include <stdexcept>
#include <string>

#include "apps.hpp"

namespace {

namespace json = boost::json;
using faststream::asyncapi::Options;
using faststream::asyncapi::Version;

json::value generate(faststream::memory::Broker& broker, const faststream::AppInfo& info,
                     Version version = Version::v3_0_0) {
  return json::parse(faststream::asyncapi::generate(broker.core(), info, {version, false}));
}

const json::value& at(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* cur = &v;
  for (std::string_view key : path) {
    const auto* obj = cur->if_object();
    if (obj == nullptr || !obj->contains(key))
      throw std::out_of_range("missing \"" + std::string(key) + "\"");
    cur = &obj->at(key);
  }
  return *cur;
}

std::string ref_of(const json::value& v) {
  return json::value_to<std::string>(at(v, {"$ref"}));
}

json::array strings(std::initializer_list<const char*> items) {
  json::array a;
  for (const char* s : items) a.emplace_back(s);
  return a;
}

TEST(AsyncApiVersion, ParsesAndPrints) {
  using faststream::asyncapi::parse_version;
  using faststream::asyncapi::to_string;
  EXPECT_EQ(parse_version("3.0.0"), Version::v3_0_0);
  EXPECT_EQ(parse_version("2.6.0"), Version::v2_6_0);
  EXPECT_EQ(to_string(Version::v3_0_0), "3.0.0");
  EXPECT_EQ(to_string(Version::v2_6_0), "2.6.0");
  try {
    parse_version("3.1.0");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("3.0.0"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("2.6.0"), std::string::npos) << e.what();
  }
  EXPECT_EQ(Options{}.version, Version::v3_0_0);
  EXPECT_FALSE(Options{}.yaml);
}

TEST(AsyncApiDocument, OrdersV3) {
  faststream::memory::Broker broker;
  spec_test::declare_orders(broker);
  const json::value doc = generate(broker, spec_test::orders_info());

  EXPECT_EQ(at(doc, {"asyncapi"}), "3.0.0");
  EXPECT_EQ(at(doc, {"info"}), json::parse(R"({"title":"orders","version":"1.0.0",
                                               "description":"Turns orders into receipts"})"));
  EXPECT_EQ(at(doc, {"defaultContentType"}), "application/json");
  EXPECT_EQ(at(doc, {"servers"}),
            json::parse(R"({"development":{"host":"localhost","protocol":"memory"}})"));

  // Subscriber: channel "<destination>:<handler>", address = destination, receive + reply.
  const auto& orders = at(doc, {"channels", "orders:HandleOrder"});
  EXPECT_EQ(at(orders, {"address"}), "orders");
  EXPECT_EQ(at(orders, {"servers"}), json::parse(R"([{"$ref":"#/servers/development"}])"));
  EXPECT_EQ(ref_of(at(orders, {"messages", "SubscribeMessage"})),
            "#/components/messages/orders:HandleOrder:SubscribeMessage");
  const auto& receive = at(doc, {"operations", "orders:HandleOrderSubscribe"});
  EXPECT_EQ(at(receive, {"action"}), "receive");
  EXPECT_EQ(ref_of(at(receive, {"channel"})), "#/channels/orders:HandleOrder");
  EXPECT_EQ(at(receive, {"messages"}),
            json::parse(R"([{"$ref":"#/channels/orders:HandleOrder/messages/SubscribeMessage"}])"));
  EXPECT_EQ(at(receive, {"reply"}), json::parse(R"({
      "address": {"location": "$message.header#/reply_to"},
      "channel": {"$ref": "#/channels/orders:HandleOrder:Reply"},
      "messages": [{"$ref": "#/channels/orders:HandleOrder:Reply/messages/ReplyMessage"}]})"));
  EXPECT_TRUE(at(doc, {"channels", "orders:HandleOrder:Reply", "address"}).is_null());

  const auto& message = at(doc, {"components", "messages", "orders:HandleOrder:SubscribeMessage"});
  EXPECT_EQ(at(message, {"title"}), "orders:HandleOrder:SubscribeMessage");
  EXPECT_EQ(at(message, {"correlationId", "location"}), "$message.header#/correlation_id");
  EXPECT_EQ(ref_of(at(message, {"payload"})), "#/components/schemas/Order");
  EXPECT_EQ(
      ref_of(at(doc, {"components", "messages", "orders:HandleOrder:ReplyMessage", "payload"})),
      "#/components/schemas/Receipt");

  // Models are hoisted; nested ones by $ref.
  const auto& schemas = at(doc, {"components", "schemas"});
  EXPECT_EQ(at(schemas, {"Order", "required"}), strings({"id", "customer", "items"}));
  EXPECT_EQ(at(schemas, {"Order", "description"}), "An order placed by a customer");
  EXPECT_EQ(ref_of(at(schemas, {"Order", "properties", "items", "items"})),
            "#/components/schemas/Item");
  EXPECT_EQ(at(schemas, {"Item", "required"}), strings({"sku", "price"}));
  EXPECT_EQ(at(schemas, {"Receipt", "required"}), strings({"order_id", "accepted", "total"}));

  // The coroutine handler returns nothing: no reply.
  EXPECT_FALSE(
      at(doc, {"operations", "receipts:HandleReceiptSubscribe"}).as_object().contains("reply"));
  EXPECT_FALSE(at(doc, {"channels"}).as_object().contains("receipts:HandleReceipt:Reply"));

  // Publishers: the declared one and the subscriber's publishes_to target.
  const auto& notices = at(doc, {"operations", "notices:Publisher"});
  EXPECT_EQ(at(notices, {"action"}), "send");
  EXPECT_EQ(at(doc, {"channels", "notices:Publisher", "description"}), "Order status notices");
  EXPECT_EQ(at(doc, {"channels", "notices:Publisher", "address"}), "notices");
  EXPECT_EQ(ref_of(at(doc, {"components", "messages", "notices:Publisher:Message", "payload"})),
            "#/components/schemas/Notice");
  EXPECT_EQ(at(doc, {"operations", "receipts:Publisher", "action"}), "send");
  EXPECT_EQ(ref_of(at(doc, {"components", "messages", "receipts:Publisher:Message", "payload"})),
            "#/components/schemas/Receipt");

  std::vector<std::string> operations;
  for (const auto& kv : at(doc, {"operations"}).as_object()) operations.emplace_back(kv.key());
  EXPECT_EQ(operations,
            (std::vector<std::string>{
                "orders:HandleOrderSubscribe", "receipts:HandleReceiptSubscribe",
                "notices:HandleNoticeSubscribe", "notices:Publisher", "receipts:Publisher"}));
}

TEST(AsyncApiDocument, OrdersV2) {
  faststream::memory::Broker broker;
  spec_test::declare_orders(broker);
  const json::value doc = generate(broker, spec_test::orders_info(), Version::v2_6_0);

  EXPECT_EQ(at(doc, {"asyncapi"}), "2.6.0");
  EXPECT_EQ(at(doc, {"servers"}),
            json::parse(R"({"development":{"url":"memory://localhost","protocol":"memory"}})"));
  // The application receives on "publish" channels and sends on "subscribe" ones (2.x).
  const auto& orders = at(doc, {"channels", "orders:HandleOrder"});
  EXPECT_EQ(at(orders, {"servers"}), json::parse(R"(["development"])"));
  EXPECT_EQ(at(orders, {"publish", "operationId"}), "orders:HandleOrderSubscribe");
  EXPECT_EQ(ref_of(at(orders, {"publish", "message"})),
            "#/components/messages/orders:HandleOrder:Message");
  EXPECT_FALSE(orders.as_object().contains("subscribe"));
  const auto& message = at(doc, {"components", "messages", "orders:HandleOrder:Message"});
  EXPECT_EQ(at(message, {"messageId"}), "orders:HandleOrder:Message");
  EXPECT_EQ(ref_of(at(message, {"payload"})), "#/components/schemas/Order");
  EXPECT_EQ(at(message, {"correlationId", "location"}), "$message.header#/correlation_id");

  const auto& notices = at(doc, {"channels", "notices:Publisher"});
  EXPECT_EQ(at(notices, {"subscribe", "operationId"}), "notices:Publisher");
  EXPECT_EQ(ref_of(at(notices, {"subscribe", "message"})),
            "#/components/messages/notices:Publisher:Message");
  // No reply channels, operations or messages in 2.6.
  EXPECT_FALSE(at(doc, {"channels"}).as_object().contains("orders:HandleOrder:Reply"));
  EXPECT_FALSE(doc.as_object().contains("operations"));
  for (const auto& kv : at(doc, {"components", "messages"}).as_object())
    EXPECT_EQ(std::string_view(kv.key()).find("Reply"), std::string_view::npos) << kv.key();
  EXPECT_EQ(at(doc, {"components", "schemas", "Item", "required"}), strings({"sku", "price"}));
}

TEST(AsyncApiDocument, FeaturesV3) {
  faststream::memory::Broker broker{spec_test::kFeaturesUrl};
  spec_test::declare_features(broker);
  const std::string text =
      faststream::asyncapi::generate(broker.core(), spec_test::features_info());
  const json::value doc = json::parse(text);

  // Credentials never reach the document.
  EXPECT_EQ(text.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(text.find("spec-user"), std::string::npos);
  EXPECT_EQ(at(doc, {"servers", "development", "host"}), "broker.example:4222");
  EXPECT_FALSE(at(doc, {"info"}).as_object().contains("description"));

  // Title: channel key and operation id; description on the channel; reply and publishes_to.
  const auto& payments = at(doc, {"channels", "PaymentsIn"});
  EXPECT_EQ(at(payments, {"address"}), "payments");
  EXPECT_EQ(at(payments, {"description"}), "Payments from the bank");
  EXPECT_EQ(at(doc, {"operations", "PaymentsIn", "action"}), "receive");
  EXPECT_EQ(ref_of(at(doc, {"operations", "PaymentsIn", "reply", "channel"})),
            "#/channels/PaymentsIn:Reply");
  const auto& payment_msg = at(doc, {"components", "messages", "PaymentsIn:SubscribeMessage"});
  EXPECT_EQ(at(payment_msg, {"description"}), "Confirms a payment");
  EXPECT_EQ(ref_of(at(payment_msg, {"payload"})), "#/components/schemas/Payment");
  // The declared typed publisher and the handler's target share one channel and message.
  const auto& confirmations = at(doc, {"channels", "confirmations:Publisher"});
  EXPECT_EQ(at(confirmations, {"messages"}).as_object().size(), 1U);
  EXPECT_EQ(
      ref_of(at(doc, {"components", "messages", "confirmations:Publisher:Message", "payload"})),
      "#/components/schemas/Confirmation");

  // Hidden subscriber and publisher.
  EXPECT_EQ(text.find("internal"), std::string::npos);
  EXPECT_EQ(text.find("hidden"), std::string::npos);

  // Two handlers: two messages on one channel, named after each handler.
  const std::string events = "events:[HandleCreated,HandleString]";
  const auto& ev = at(doc, {"channels", events});
  EXPECT_EQ(ref_of(at(ev, {"messages", "HandleCreated:SubscribeMessage"})),
            "#/components/messages/events:%5BHandleCreated%2CHandleString%5D:HandleCreated:"
            "SubscribeMessage");
  EXPECT_EQ(at(doc, {"operations", events + "Subscribe", "messages"}).as_array().size(), 2U);
  const auto& text_msg =
      at(doc, {"components", "messages", events + ":HandleString:SubscribeMessage"});
  EXPECT_EQ(at(text_msg, {"contentType"}), "text/plain");
  EXPECT_EQ(ref_of(at(text_msg, {"payload"})), "#/components/schemas/HandleString:Message:Payload");
  EXPECT_EQ(at(doc, {"components", "schemas", "HandleString:Message:Payload"}),
            json::parse(R"({"title":"HandleString:Message:Payload","type":"string"})"));

  // Batch: an array of the element model.
  const auto& audit =
      at(doc, {"components", "messages", "audit:HandleAuditEntryBatch:SubscribeMessage"});
  EXPECT_EQ(ref_of(at(audit, {"payload"})),
            "#/components/schemas/HandleAuditEntryBatch:Message:Payload");
  const auto& batch = at(doc, {"components", "schemas", "HandleAuditEntryBatch:Message:Payload"});
  EXPECT_EQ(at(batch, {"type"}), "array");
  EXPECT_EQ(ref_of(at(batch, {"items"})), "#/components/schemas/AuditEntry");

  // Placeholders become channel parameters.
  const auto& logs = at(doc, {"channels", "logs.{level}:HandleString"});
  EXPECT_EQ(at(logs, {"address"}), "logs.{level}");
  EXPECT_TRUE(at(logs, {"parameters"}).as_object().contains("level"));

  // no_reply: no reply although the handler returns a value; no target: nothing is sent.
  EXPECT_FALSE(at(doc, {"operations", "quiet:HandleOrderSubscribe"}).as_object().contains("reply"));

  // An untyped publisher with a title.
  EXPECT_EQ(at(doc, {"operations", "RawOut", "action"}), "send");
  EXPECT_EQ(at(doc, {"channels", "RawOut", "address"}), "raw");
  EXPECT_EQ(at(doc, {"components", "schemas", "RawOut:Message:Payload"}),
            json::parse(R"({"title":"RawOut:Message:Payload"})"));

  // Variants: the discriminator is a property name (AsyncAPI Schema), enums are hoisted.
  const auto& method = at(doc, {"components", "schemas", "Payment", "properties", "method"});
  EXPECT_EQ(at(method, {"discriminator"}), "method");
  EXPECT_EQ(ref_of(at(doc, {"components", "schemas", "Payment", "properties", "currency"})),
            "#/components/schemas/Currency");
  EXPECT_EQ(at(doc, {"components", "schemas", "Currency", "enum"}), strings({"eur", "usd"}));
  EXPECT_EQ(at(doc, {"components", "schemas", "Card", "required"}), strings({"method", "number"}));
}

TEST(AsyncApiDocument, FeaturesV2) {
  faststream::memory::Broker broker{spec_test::kFeaturesUrl};
  spec_test::declare_features(broker);
  const json::value doc = generate(broker, spec_test::features_info(), Version::v2_6_0);
  EXPECT_EQ(at(doc, {"servers", "development", "url"}), "memory://broker.example:4222");
  // Several messages: oneOf.
  const auto& events = at(doc, {"channels", "events:[HandleCreated,HandleString]", "publish"});
  EXPECT_EQ(at(events, {"message", "oneOf"}).as_array().size(), 2U);
  // 2.6 channel names are the keys: their placeholders are parameters.
  EXPECT_EQ(at(doc, {"channels", "logs.{level}:HandleString", "parameters", "level", "schema"}),
            json::parse(R"({"type":"string"})"));
  EXPECT_EQ(at(doc, {"channels", "RawOut", "subscribe", "operationId"}), "RawOut");
  // A payload only a reply uses is left out with the reply; models stay.
  EXPECT_TRUE(at(doc, {"components", "schemas"}).as_object().contains("Confirmation"));
}

// A transport that runs on another (the memory broker's) and says what the spec test needs.
class ForwardingTransport : public faststream::Transport {
 public:
  explicit ForwardingTransport(std::unique_ptr<faststream::Transport> inner)
      : inner_(std::move(inner)) {}
  void start(faststream::BrokerCore& b) override { inner_->start(b); }
  void stop_consuming() override { inner_->stop_consuming(); }
  void close() override { inner_->close(); }
  faststream::Task<void> publish(faststream::OutgoingMessage m) override {
    return inner_->publish(std::move(m));
  }
  faststream::Task<faststream::MessagePtr> request(faststream::OutgoingMessage m,
                                                   std::chrono::milliseconds t) override {
    return inner_->request(std::move(m), t);
  }

 private:
  std::unique_ptr<faststream::Transport> inner_;
};

// A backend's bindings land on the channel, operation and message; a subscriber without
// handlers and a clashing name are still documented.
class BindingTransport : public ForwardingTransport {
 public:
  using ForwardingTransport::ForwardingTransport;
  std::string protocol() const override { return "redis"; }
  std::string public_url() const override { return "redis://cache:6379/0"; }
  void set_url(std::string) override {}
  faststream::ServerSpec server_spec() const override {
    return {"admin:hunter2@cache:6379", "redis", "custom", "/0",
            R"({"redis":{"bindingVersion":"0.1.0"}})"};
  }
  faststream::SpecBindings subscriber_bindings(
      const faststream::SubscriberConfig& c) const override {
    return {R"({"redis":{"channel":")" + c.destination + R"(","method":"subscribe"}})",
            R"({"redis":{"bindingVersion":"custom"}})", ""};
  }
  faststream::SpecBindings publisher_bindings(const faststream::PublisherTarget& t) const override {
    return {R"({"redis":{"channel":")" + t.destination + R"(","method":"publish"}})", "",
            R"({"redis":{"bindingVersion":"custom"}})"};
  }
};

TEST(AsyncApiDocument, BackendBindingsAndEdgeNames) {
  faststream::memory::Broker broker;
  broker.core().replace_transport(
      std::make_unique<BindingTransport>(faststream::memory::make_transport("memory://")));
  broker.subscriber("jobs");  // no handler yet
  broker.subscriber("a/b").handle([](const spec_test::Notice&) {});
  broker.subscriber("a/b").handle([](const spec_test::Notice&) {});  // same name
  broker.publisher<std::string>("out");
  broker.subscriber("n1").handle([](int) {});
  broker.subscriber("n2").handle([](const std::vector<int>&) {});  // also "HandleJson"
  const std::string text = faststream::asyncapi::generate(broker.core(), {});
  const json::value doc = json::parse(text);

  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  EXPECT_EQ(at(doc, {"servers", "development"}),
            json::parse(R"({"host":"cache:6379","pathname":"/0","protocol":"redis",
                            "protocolVersion":"custom",
                            "bindings":{"redis":{"bindingVersion":"0.1.0"}}})"));
  EXPECT_EQ(at(doc, {"channels", "jobs:Subscriber", "bindings"}),
            json::parse(R"({"redis":{"channel":"jobs","method":"subscribe"}})"));
  EXPECT_EQ(at(doc, {"operations", "jobs:SubscriberSubscribe", "bindings"}),
            json::parse(R"({"redis":{"bindingVersion":"custom"}})"));
  EXPECT_EQ(at(doc, {"components", "schemas", "Subscriber:Message:Payload"}),
            json::parse(R"({"title":"Subscriber:Message:Payload"})"));
  // '/' becomes '.' in names (JSON pointers); the second subscriber gets a number.
  EXPECT_EQ(at(doc, {"channels", "a.b:HandleNotice", "address"}), "a/b");
  EXPECT_EQ(at(doc, {"channels", "a.b:HandleNotice:2", "address"}), "a/b");
  EXPECT_TRUE(at(doc, {"operations"}).as_object().contains("a.b:HandleNotice:2Subscribe"));
  // Publisher bindings; a text payload has its content type.
  EXPECT_EQ(at(doc, {"channels", "out:Publisher", "bindings"}),
            json::parse(R"({"redis":{"channel":"out","method":"publish"}})"));
  const auto& out = at(doc, {"components", "messages", "out:Publisher:Message"});
  EXPECT_EQ(at(out, {"bindings"}), json::parse(R"({"redis":{"bindingVersion":"custom"}})"));
  EXPECT_EQ(at(out, {"contentType"}), "text/plain");
  EXPECT_EQ(ref_of(at(out, {"payload"})), "#/components/schemas/out:Publisher:Message:Payload");

  // Two different payloads under one generated name: the second is named after its channel.
  EXPECT_EQ(
      ref_of(at(doc, {"components", "messages", "n1:HandleJson:SubscribeMessage", "payload"})),
      "#/components/schemas/HandleJson:Message:Payload");
  EXPECT_EQ(
      ref_of(at(doc, {"components", "messages", "n2:HandleJson:SubscribeMessage", "payload"})),
      "#/components/schemas/n2:HandleJson:Message:Payload");
  EXPECT_EQ(at(doc, {"components", "schemas", "n2:HandleJson:Message:Payload", "type"}), "array");
  EXPECT_EQ(at(doc, {"components", "schemas", "n2:HandleJson:Message:Payload", "title"}),
            "n2:HandleJson:Message:Payload");

  const json::value v2 = generate(broker, {}, Version::v2_6_0);
  EXPECT_EQ(at(v2, {"servers", "development", "url"}), "redis://cache:6379/0");
  EXPECT_EQ(at(v2, {"channels", "jobs:Subscriber", "publish", "bindings"}),
            json::parse(R"({"redis":{"bindingVersion":"custom"}})"));
}

TEST(AsyncApiDocument, InvalidBindingsAreReported) {
  class Bad : public BindingTransport {
   public:
    using BindingTransport::BindingTransport;
    faststream::SpecBindings subscriber_bindings(
        const faststream::SubscriberConfig&) const override {
      return {"[1]", "", ""};
    }
  };
  faststream::memory::Broker broker;
  broker.core().replace_transport(
      std::make_unique<Bad>(faststream::memory::make_transport("memory://")));
  broker.subscriber("jobs").handle([](const spec_test::Notice&) {});
  try {
    faststream::asyncapi::generate(broker.core(), {});
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("'jobs'"), std::string::npos) << e.what();
  }
}

TEST(AsyncApiDocument, YamlIsTheSameDocument) {
  faststream::memory::Broker broker;
  spec_test::declare_orders(broker);
  for (const Version v : {Version::v3_0_0, Version::v2_6_0}) {
    const std::string yaml =
        faststream::asyncapi::generate(broker.core(), spec_test::orders_info(), {v, true});
    EXPECT_EQ(yaml.rfind("asyncapi: \"", 0), 0U) << yaml.substr(0, 40);
    EXPECT_NE(yaml.find("  orders:HandleOrder:\n"), std::string::npos);
    EXPECT_NE(yaml.find("$ref: \"#/components/schemas/Order\"\n"), std::string::npos);
  }
}

// A transport names the channels itself: one subscriber on three topics (as a Kafka subscriber
// is) is three channels with their own addresses and receive operations; a target routed by a
// key (as an AMQP exchange) has a name and an address of the transport's choosing.
class ChannelNamingTransport final : public ForwardingTransport {
 public:
  using ForwardingTransport::ForwardingTransport;
  std::string protocol() const override { return "memory"; }
  std::string public_url() const override { return "memory://"; }
  void set_url(std::string) override {}
  faststream::ServerSpec server_spec() const override {
    return {"localhost", "memory", "", "", ""};
  }
  std::vector<faststream::ChannelSpec> subscriber_channels(
      const faststream::SubscriberConfig& c) const override {
    if (c.destination != "t1,t2,t3") return Transport::subscriber_channels(c);
    return {{"t1", "t1"}, {"t2", "t2"}, {"t3", "t3"}};
  }
  faststream::ChannelSpec publisher_channel(const faststream::PublisherTarget& t) const override {
    return {"orders-exchange/" + t.destination, "orders-exchange"};
  }
};

TEST(AsyncApiDocument, TheTransportNamesChannelsAndAddresses) {
  faststream::memory::Broker broker;
  broker.core().replace_transport(
      std::make_unique<ChannelNamingTransport>(faststream::memory::make_transport("memory://")));
  broker.subscriber("t1,t2,t3").publishes_to("created").handle([](const spec_test::Notice& n) {
    return n;
  });
  broker.publisher<spec_test::Notice>("audit");
  const json::value doc = json::parse(faststream::asyncapi::generate(broker.core(), {}));
  for (const char* topic : {"t1", "t2", "t3"}) {
    const std::string key = std::string(topic) + ":HandleNotice";
    EXPECT_EQ(at(doc, {"channels", key, "address"}), topic);
    EXPECT_EQ(at(doc, {"operations", key + "Subscribe", "action"}), "receive");
  }
  // '/' in a name becomes '.' in the key; the address is the transport's.
  EXPECT_EQ(at(doc, {"channels", "orders-exchange.created:Publisher", "address"}),
            "orders-exchange");
  EXPECT_EQ(at(doc, {"channels", "orders-exchange.audit:Publisher", "address"}), "orders-exchange");
  EXPECT_EQ(at(doc, {"operations", "orders-exchange.created:Publisher", "action"}), "send");
  // Three topics, a reply channel each, two publisher channels.
  EXPECT_EQ(at(doc, {"channels"}).as_object().size(), 8u) << at(doc, {"channels"});
}

}  // namespace
