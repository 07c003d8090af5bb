// The seam between the core and the backends, through the broker-neutral (untyped) paths: a
// target or options of another backend is a ConfigError naming both backends, never a wrong
// cast inside a transport. (The typed API refuses them at compile time:
// tests/compile_fail/foreign_target.cpp.)
#include <gtest/gtest.h>

#include <string>

#include "support/models.hpp"

namespace {

using fs_test::Order;
using fs_test::quiet;

// Options as a NATS target carries them, reaching a memory broker untyped.
class NatsLikeOptions final : public faststream::BackendOptions {
 public:
  std::string_view backend() const noexcept override { return "nats"; }
};

faststream::PublisherTarget nats_like(std::string destination) {
  return {std::move(destination), std::make_shared<NatsLikeOptions>()};
}

void expect_config_error(const std::function<void()>& call, const std::string& what) {
  try {
    call();
    ADD_FAILURE() << "no ConfigError for " << what;
  } catch (const faststream::ConfigError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("nats backend"), std::string::npos) << text;
    EXPECT_NE(text.find("memory broker"), std::string::npos) << text;
    EXPECT_NE(text.find(what), std::string::npos) << text;
  }
}

TEST(BackendSeam, ForeignTargetsFailThroughBrokerCorePublishAndRequest) {
  faststream::memory::Broker broker("memory://", quiet());
  broker.subscriber("orders").handle([](const Order&) {});
  broker.start();
  faststream::OutgoingMessage out;
  out.destination = "orders";
  out.body = R"({"id": "A", "amount": 1})";
  out.native = nats_like("orders").native;
  expect_config_error([&] { broker.core().publish(out).get(); }, "publish to 'orders'");
  expect_config_error([&] { broker.core().request(out, std::chrono::seconds(1)).get(); },
                      "request to 'orders'");
  std::vector<faststream::OutgoingMessage> batch{out};
  expect_config_error([&] { broker.core().publish_batch(batch).get(); }, "publish to 'orders'");
  EXPECT_EQ(broker.core().subscribers().front()->stats().received, 0u);
  broker.stop();
}

TEST(BackendSeam, ForeignTargetsOfDeclarationsFailAtStart) {
  {
    faststream::memory::Broker broker("memory://", quiet());
    auto sub = broker.subscriber("orders");
    sub.handle([](const Order& o) { return o; });
    sub.core().mutable_config().publishes_to.push_back(nats_like("receipts"));
    expect_config_error([&] { broker.start(); }, "'receipts'");
    EXPECT_FALSE(broker.running());
  }
  {
    faststream::memory::Broker broker("memory://", quiet());
    broker.subscriber("orders").handle([](const Order&) {});
    broker.core().add_publisher({nats_like("audit"), "", "", true, {}, {}});
    expect_config_error([&] { broker.start(); }, "publisher 'audit'");
  }
  {
    faststream::memory::Broker broker("memory://", quiet());
    auto sub = broker.subscriber("orders");
    sub.handle([](const Order&) {});
    sub.core().mutable_config().native = nats_like("x").native;
    expect_config_error([&] { broker.start(); }, "subscriber 'orders'");
  }
}

}  // namespace
