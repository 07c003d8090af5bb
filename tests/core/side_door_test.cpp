// The HTTP side door (App::serve_http) and FastStream's Prometheus metrics, on the memory
// broker. Real brokers' readiness: tests/redis and tests/nats.
#include <gtest/gtest.h>

#include <faststream/metrics.hpp>
#include <thread>

#include "support/http_get.hpp"
#include "support/models.hpp"

namespace {

using namespace std::chrono_literals;
using fs_test::eventually;
using fs_test::http_get;
using fs_test::Order;
using fs_test::parse_prometheus;
using fs_test::quiet;
using fs_test::Receipt;

std::string series(const std::string& name, const std::string& labels) {
  return "faststream_" + name + "{app_name=\"shop\",broker=\"memory\"," + labels + "}";
}

TEST(CoreSideDoor, HealthMetricsAndDocsWhileTheAppRuns) {
  faststream::memory::Broker broker("memory://", quiet());
  faststream::App app{broker, {.title = "shop"}};
  app.serve_http({.port = 0, .metrics_app_name = "shop"});
  std::atomic<int> receipts{0};
  broker.subscriber("orders")
      .publishes_to("receipts")
      .ack_policy(faststream::AckPolicy::reject_on_error)
      .handle([](const Order& o) -> Receipt {
        if (o.note == std::optional<std::string>("fail")) throw std::runtime_error("no stock");
        if (o.note == std::optional<std::string>("skip")) throw faststream::SkipMessage();
        return {o.id, true};
      });
  broker.subscriber("receipts").handle([&](const Receipt&) { ++receipts; });
  EXPECT_EQ(app.http_url(), "");
  std::thread runner([&] { app.run(); });
  ASSERT_TRUE(eventually([&] { return !app.http_url().empty() && broker.running(); }));
  const std::string url = app.http_url();

  EXPECT_EQ(http_get(url, "/health/live").status, 204);
  EXPECT_EQ(http_get(url, "/health/ready").status, 204);

  for (int i = 0; i < 7; ++i)
    broker.publish(Order{"A-" + std::to_string(i), 1, {}}, "orders").get();
  broker.publish(Order{"F-1", 1, "fail"}, "orders").get();
  broker.publish(Order{"F-2", 1, "fail"}, "orders").get();
  broker.publish(Order{"S-1", 1, "skip"}, "orders").get();
  broker.publish(Order{"", 1, {}}, "orders").get();  // invalid: a DecodeError, rejected
  ASSERT_TRUE(eventually(
      [&] { return receipts == 7 && broker.core().subscribers()[0]->stats().in_flight == 0; }));

  const auto reply = http_get(url, "/metrics");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, faststream::metrics::kContentType);
  const auto m = parse_prometheus(reply.body);
  const std::string orders = "handler=\"orders\"";
  EXPECT_EQ(m.at(series("received_messages_total", orders)), 11);
  EXPECT_EQ(m.at(series("received_messages_in_process", orders)), 0);
  EXPECT_EQ(m.at(series("received_processed_messages_total", orders + ",status=\"acked\"")), 7);
  EXPECT_EQ(m.at(series("received_processed_messages_total", orders + ",status=\"rejected\"")), 3);
  EXPECT_EQ(m.at(series("received_processed_messages_total", orders + ",status=\"skipped\"")), 1);
  EXPECT_EQ(m.count(series("received_processed_messages_total", orders + ",status=\"error\"")), 0u);
  EXPECT_EQ(m.at(series("received_processed_messages_exceptions_total",
                        orders + ",exception_type=\"std::runtime_error\"")),
            2);
  EXPECT_EQ(m.at(series("received_processed_messages_exceptions_total",
                        orders + ",exception_type=\"faststream::DecodeError\"")),
            1);
  // Histograms: cumulative buckets ending in +Inf == _count == messages.
  EXPECT_EQ(m.at(series("received_processed_messages_duration_seconds_count", orders)), 11);
  EXPECT_EQ(
      m.at(series("received_processed_messages_duration_seconds_bucket", orders + ",le=\"+Inf\"")),
      11);
  EXPECT_LE(
      m.at(series("received_processed_messages_duration_seconds_bucket", orders + ",le=\"0.005\"")),
      m.at(series("received_processed_messages_duration_seconds_bucket", orders + ",le=\"10.0\"")));
  EXPECT_EQ(m.at(series("received_messages_size_bytes_count", orders)), 11);
  // Every order is between 16 and 64 bytes of JSON.
  EXPECT_EQ(m.at(series("received_messages_size_bytes_bucket", orders + ",le=\"16.0\"")), 0);
  EXPECT_EQ(m.at(series("received_messages_size_bytes_bucket", orders + ",le=\"64.0\"")), 11);
  // prometheus_client's spelling of the large bounds (Go's exponent rule).
  EXPECT_EQ(m.at(series("received_messages_size_bytes_bucket", orders + ",le=\"262144.0\"")), 11);
  EXPECT_EQ(m.at(series("received_messages_size_bytes_bucket", orders + ",le=\"1.048576e+06\"")),
            11);
  EXPECT_EQ(m.at(series("received_messages_size_bytes_bucket", orders + ",le=\"1.6777216e+07\"")),
            11);
  EXPECT_GT(m.at(series("received_messages_size_bytes_sum", orders)), 16 * 11);
  // Publishes: the 11 orders and the 7 receipts the handler returned.
  EXPECT_EQ(m.at(series("published_messages_total", "destination=\"orders\",status=\"success\"")),
            11);
  EXPECT_EQ(m.at(series("published_messages_total", "destination=\"receipts\",status=\"success\"")),
            7);
  EXPECT_EQ(m.at(series("published_messages_duration_seconds_count", "destination=\"receipts\"")),
            7);
  EXPECT_EQ(m.at(series("received_messages_total", "handler=\"receipts\"")), 7);

  const auto json = http_get(url, "/asyncapi.json");
  EXPECT_EQ(json.status, 200);
  EXPECT_NE(json.body.find("\"title\": \"shop\""), std::string::npos) << json.body.substr(0, 300);
  const auto page = http_get(url, "/asyncapi");
  EXPECT_EQ(page.status, 200);
  EXPECT_TRUE(page.content_type.starts_with("text/html"));
  EXPECT_NE(page.body.find("AsyncApiStandalone.render("), std::string::npos);
  EXPECT_EQ(http_get(url, "/nope").status, 404);

  app.stop();
  runner.join();
  EXPECT_EQ(app.http_url(), "");  // closed with the app
}

TEST(CoreSideDoor, NotReadyWhileDrainingButAlive) {
  faststream::memory::Broker broker("memory://", quiet());
  faststream::App app{broker};
  app.serve_http({.port = 0, .metrics = false, .asyncapi = false});
  std::atomic<bool> release{false}, busy{false};
  broker.subscriber("x").handle([&](const std::string&) {
    busy = true;
    while (!release) std::this_thread::sleep_for(5ms);
  });
  std::thread runner([&] { app.run(); });
  ASSERT_TRUE(eventually([&] { return !app.http_url().empty() && broker.running(); }));
  const std::string url = app.http_url();
  EXPECT_EQ(http_get(url, "/health/ready").status, 204);
  broker.publish(std::string("slow"), "x").get();
  ASSERT_TRUE(eventually([&] { return busy.load(); }));
  app.stop();  // the drain waits for the handler; the side door stays up meanwhile
  ASSERT_TRUE(eventually([&] { return !broker.running(); }));
  EXPECT_EQ(http_get(url, "/health/live").status, 204);
  const auto ready = http_get(url, "/health/ready");
  EXPECT_EQ(ready.status, 500);
  EXPECT_NE(ready.body.find("not running"), std::string::npos) << ready.body;
  EXPECT_EQ(http_get(url, "/metrics").status, 404);  // switched off
  release = true;
  runner.join();
  EXPECT_EQ(app.http_url(), "");
}

TEST(CoreSideDoor, APortInUseFailsTheRun) {
  faststream::memory::Broker first_broker("memory://", quiet());
  faststream::App first{first_broker};
  first.serve_http({.port = 0});
  first_broker.subscriber("x").handle([](const std::string&) {});
  std::thread runner([&] { first.run(); });
  ASSERT_TRUE(eventually([&] { return !first.http_url().empty(); }));
  const auto url = first.http_url();
  const auto port = static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));

  faststream::memory::Broker second_broker("memory://", quiet(faststream::LogLevel::off));
  faststream::App second{second_broker};
  second.serve_http({.port = port});
  second_broker.subscriber("x").handle([](const std::string&) {});
  EXPECT_EQ(second.run(), 1);
  EXPECT_FALSE(second_broker.running());
  first.stop();
  runner.join();
}

TEST(CoreMetrics, NothingIsCountedUnlessAsked) {
  faststream::memory::Broker broker("memory://", quiet());
  broker.subscriber("x").handle([](const std::string&) {});
  broker.start();
  broker.publish(std::string("a"), "x").get();
  broker.stop();
  EXPECT_EQ(broker.core().subscribers()[0]->metrics(), nullptr);
  const auto text = faststream::metrics::prometheus_text(broker.core());
  EXPECT_NE(text.find("# TYPE faststream_received_messages_total counter"), std::string::npos);
  EXPECT_EQ(text.find("handler="), std::string::npos) << text;
  EXPECT_EQ(text.find("destination="), std::string::npos) << text;
}

TEST(CoreMetrics, RequestsCountAsPublishesAndRepliesDoNot) {
  auto settings = quiet();
  settings.collect_metrics = true;
  faststream::memory::Broker broker("memory://", settings);
  broker.subscriber("rpc").handle([](const Order& o) -> Receipt { return {o.id, true}; });
  broker.start();
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(broker.request(Order{"R-" + std::to_string(i), 1, {}}, "rpc")
                  .get()
                  .decode<Receipt>()
                  .order_id,
              "R-" + std::to_string(i));
  EXPECT_THROW(broker.request(Order{"X", 1, {}}, "nobody").get(), faststream::NoResponders);
  const auto m = parse_prometheus(faststream::metrics::prometheus_text(broker.core(), "shop"));
  broker.stop();
  EXPECT_EQ(m.at(series("published_messages_total", "destination=\"rpc\",status=\"success\"")), 2);
  EXPECT_EQ(m.at(series("published_messages_total", "destination=\"nobody\",status=\"error\"")), 1);
  EXPECT_EQ(m.at(series("published_messages_exceptions_total",
                        "destination=\"nobody\",exception_type=\"faststream::NoResponders\"")),
            1);
  EXPECT_EQ(m.at(series("received_messages_total", "handler=\"rpc\"")), 2);
  // The two replies went to reply destinations: not counted as publishes.
  for (const auto& [name, value] : m) {
    if (!name.starts_with("faststream_published_messages_total")) continue;
    EXPECT_TRUE(name.find("\"rpc\"") != std::string::npos ||
                name.find("\"nobody\"") != std::string::npos)
        << name;
  }
}

}  // namespace
