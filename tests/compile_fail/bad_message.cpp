// Must NOT compile: the message type is not a model (no FASTSTREAM_MODEL).
#include <faststream/faststream.hpp>

struct Undeclared {
  int value = 0;
};

int main() {
  faststream::memory::Broker broker;
  broker.subscriber("ping").handle([](const Undeclared&) {});
}
