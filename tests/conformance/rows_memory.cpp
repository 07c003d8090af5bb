#include <faststream/memory.hpp>

#include "conformance.hpp"
#include "support/models.hpp"

namespace conformance {
namespace {

class MemoryFixture final : public Fixture {
 public:
  MemoryFixture() : broker_("memory://", fs_test::quiet(faststream::LogLevel::off)) {}
  std::string fresh_destination() override { return "conf." + faststream::generate_id(); }
  void subscribe(const std::string& destination, const std::string& group,
                 faststream::AckPolicy policy, Handler handler) override {
    broker_.subscriber(destination, {.group = group})
        .ack_policy(policy)
        .handle([handler](const Item& item, faststream::Message& m) { handler(item, m); });
  }
  void subscribe_replier(const std::string& destination) override {
    broker_.subscriber(destination).handle([](const Item& i) -> Item {
      return {i.id + "-reply", i.seq + 1};
    });
  }
  faststream::BrokerCore& core() override { return broker_.core(); }
  void publish(const Item& item, const std::string& destination) override {
    broker_.publish(item, destination).get();
  }
  Item request(const Item& item, const std::string& destination) override {
    return broker_.request(item, destination).get().decode<Item>();
  }

 private:
  faststream::memory::Broker broker_;
};

}  // namespace

[[maybe_unused]] const bool registered = register_rows([]() -> std::vector<Row> {
  // In-process: nothing outlives the process, and a message published with no subscriber
  // goes nowhere (no persistence); groups compete; nack redelivers; queues keep order.
  return {{"Memory",
           {.persistence = false,
            .fan_out = true,
            .consumer_groups = true,
            .redelivery = true,
            .ordering = true,
            .rpc = true},
           [] { return std::make_unique<MemoryFixture>(); }}};
});

}  // namespace conformance
