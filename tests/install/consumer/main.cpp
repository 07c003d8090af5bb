// A tiny service built against the installed faststream: a model, a handler on the memory
// broker, one published message. Prints the library version and what the handler got.
#include <faststream/faststream.hpp>
#include <faststream/version.hpp>

#include <chrono>
#include <cstdio>
#include <future>
#include <string>

struct Greeting {
  std::string name;
  int times = 1;
};
FASTSTREAM_MODEL(Greeting, name, times);
FASTSTREAM_FIELDS(Greeting, field(&Greeting::name).min_length(1), field(&Greeting::times).ge(1));

int main() {
  std::promise<std::string> handled;
  faststream::memory::Broker broker;
  broker.subscriber("greetings").handle([&handled](const Greeting& g) {
    handled.set_value(g.name + " x" + std::to_string(g.times));
  });
  broker.start();
  Greeting hello{"installed", 3};
  broker.publish(hello, "greetings").get();
  auto result = handled.get_future();
  if (result.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    std::fprintf(stderr, "consumer: the handler did not run\n");
    return 1;
  }
  broker.stop();
  std::printf("handled: %s\n", result.get().c_str());
  std::printf("faststream %.*s\n", static_cast<int>(faststream::version().size()),
              faststream::version().data());
  return 0;
}
