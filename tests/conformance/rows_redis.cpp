#include <faststream/redis.hpp>

#include "conformance.hpp"
#include "support/models.hpp"
#include "support/redis_server.hpp"

using namespace std::chrono_literals;
namespace redis = faststream::redis;

namespace conformance {
namespace {

fs_test::RedisServer& server() {
  return fs_test::shared_redis_server();
}

class RedisFixture final : public Fixture {
 public:
  explicit RedisFixture(redis::Source source)
      : source_(source), broker_(server().url(), fs_test::quiet(faststream::LogLevel::off)) {}
  std::string fresh_destination() override { return "conf:" + faststream::generate_id(); }
  void subscribe(const std::string& destination, const std::string& group,
                 faststream::AckPolicy policy, Handler handler) override {
    redis::SubscriberOptions options;
    switch (source_) {
      case redis::Source::channel:
        break;
      case redis::Source::list:
        options = redis::list({.polling_interval = 50ms});
        break;
      case redis::Source::stream:
        // Every group member has its own consumer name; claiming makes nack redeliver.
        options = redis::stream(
            {.group = group.empty() ? "" : group,
             .consumer = group.empty() ? "" : "c" + std::to_string(++members_),
             .last_id = group.empty() ? "$" : "0",
             .polling_interval = 50ms,
             .min_idle_time =
                 group.empty() ? std::nullopt : std::optional(std::chrono::milliseconds(150))});
        break;
    }
    broker_.subscriber(destination, options)
        .ack_policy(policy)
        .handle([handler](const Item& item, faststream::Message& m) { handler(item, m); });
  }
  void subscribe_replier(const std::string& destination) override {
    redis::SubscriberOptions options;
    if (source_ == redis::Source::list) options = redis::list({.polling_interval = 50ms});
    if (source_ == redis::Source::stream) options = redis::stream({.polling_interval = 50ms});
    broker_.subscriber(destination, options).handle([](const Item& i) -> Item {
      return {i.id + "-reply", i.seq + 1};
    });
  }
  faststream::BrokerCore& core() override { return broker_.core(); }
  void publish(const Item& item, const std::string& destination) override {
    broker_.publish(item, target(destination)).get();
  }
  Item request(const Item& item, const std::string& destination) override {
    faststream::RequestOptions options;
    options.timeout = 5s;
    return broker_.request(item, target(destination), options).get().decode<Item>();
  }

 private:
  faststream::redis::Target target(const std::string& destination) const {
    switch (source_) {
      case redis::Source::list:
        return redis::to_list(destination);
      case redis::Source::stream:
        return redis::to_stream(destination);
      default:
        return redis::to_channel(destination);
    }
  }
  redis::Source source_;
  redis::Broker broker_;
  int members_ = 0;
};

}  // namespace

[[maybe_unused]] const bool registered = register_rows([]() -> std::vector<Row> {
  return {
      // Pub/sub: no persistence, no redelivery; every subscriber gets every message.
      {"RedisChannel",
       {.persistence = false,
        .fan_out = true,
        .consumer_groups = false,
        .redelivery = false,
        .ordering = true,
        .rpc = true},
       [] { return std::make_unique<RedisFixture>(redis::Source::channel); }},
      // A list is a work queue: it persists, its consumers compete (no fan-out), at most once.
      {"RedisList",
       {.persistence = true,
        .fan_out = false,
        .consumer_groups = true,
        .redelivery = false,
        .ordering = true,
        .rpc = true},
       [] { return std::make_unique<RedisFixture>(redis::Source::list); }},
      // A stream with groups: persists, groups split, nacked entries are claimed again, order
      // kept within a consumer.
      {"RedisStream",
       {.persistence = true,
        .fan_out = true,
        .consumer_groups = true,
        .redelivery = true,
        .ordering = true,
        .rpc = true},
       [] { return std::make_unique<RedisFixture>(redis::Source::stream); }},
  };
});

}  // namespace conformance
