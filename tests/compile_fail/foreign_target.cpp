// Must NOT compile: a NATS target handed to a Redis broker (each backend's targets are its own
// type; the broker says so in one static_assert).
#include <faststream/faststream.hpp>
#include <faststream/nats.hpp>
#include <faststream/redis.hpp>

struct Ping {
  std::string text;
};
FASTSTREAM_MODEL(Ping, text);

int main() {
  faststream::redis::Broker broker;
  Ping ping{"hi"};
  (void)broker.publish(ping, faststream::nats::to_stream("pings"));
}
