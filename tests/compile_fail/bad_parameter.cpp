// Must NOT compile: `int` after the message is neither a framework type nor Depends<T>.
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
  broker.subscriber("ping").handle([](const Ping&, NotInjectable&) {});
}
