// Must compile: each broker takes its own targets and plain names (positive control of
// foreign_target.cpp).
#include <faststream/faststream.hpp>
#include <faststream/nats.hpp>
#include <faststream/redis.hpp>

struct Ping {
  std::string text;
};
FASTSTREAM_MODEL(Ping, text);

int main() {
  faststream::redis::Broker redis_broker;
  faststream::nats::Broker nats_broker;
  faststream::memory::Broker memory_broker;
  Ping ping{"hi"};
  (void)redis_broker.publish(ping, faststream::redis::to_list("pings"));
  (void)redis_broker.publish(ping, "pings");
  (void)nats_broker.publish(ping, faststream::nats::to_stream("pings"));
  (void)memory_broker.publish(ping, "pings");
  redis_broker.subscriber("in")
      .publishes_to(faststream::redis::to_stream("out"))
      .handle([](const Ping& p) { return p; });
}
