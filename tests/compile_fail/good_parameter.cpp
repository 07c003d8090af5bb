// Positive control for bad_parameter.cpp: the same handler with injectable parameters.
#include <faststream/faststream.hpp>

struct NotInjectable {
  int value = 0;
};

struct Ping {
  std::string text;
};
FASTSTREAM_MODEL(Ping, text);

int main() {
  faststream::memory::Broker broker;
  broker.subscriber("ping").handle(
      [](const Ping&, faststream::Depends<NotInjectable>, faststream::Logger&) {});
}
