#pragma once
// The conformance suite every backend row runs (the Watermill idea): one set of tests,
// parameterised by what the row's broker really offers. Later backends add rows
// (rows_<backend>.cpp), not tests.
#include <faststream/faststream.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace conformance {

struct Item {
  std::string id;
  int seq = 0;
};
FASTSTREAM_MODEL(Item, id, seq);

// What a row's broker really does; tests needing a feature the row lacks are skipped with
// the reason, never faked.
struct Features {
  bool persistence = false;      // a message published before the subscriber starts arrives
  bool fan_out = false;          // two subscribers without a group each get every message
  bool consumer_groups = false;  // subscribers sharing a group split the messages
  bool redelivery = false;       // a nacked message is delivered again
  bool ordering = false;         // one subscriber with max_workers=1 sees publish order
  bool rpc = true;               // request/reply
};

using Handler = std::function<void(const Item&, faststream::Message&)>;

// A broker of the row's kind, wrapped so the tests do not know its type.
class Fixture {
 public:
  virtual ~Fixture() = default;
  // A destination no other test uses.
  virtual std::string fresh_destination() = 0;
  // Declares a subscriber; `group` empty means none. Call before start().
  virtual void subscribe(const std::string& destination, const std::string& group,
                         faststream::AckPolicy policy, Handler handler) = 0;
  // A subscriber that answers requests with Item{id + "-reply", seq + 1}.
  virtual void subscribe_replier(const std::string& destination) = 0;
  virtual faststream::BrokerCore& core() = 0;
  virtual void publish(const Item& item, const std::string& destination) = 0;
  virtual Item request(const Item& item, const std::string& destination) = 0;
  void start() { core().start(); }
  void stop() { core().stop(); }
};

struct Row {
  std::string name;  // the test name suffix: Memory, RedisChannel...
  Features features;
  // A new, unstarted broker of the row (several per test: "other processes").
  std::function<std::unique_ptr<Fixture>()> make;
};

// A backend's rows register themselves from their own file (rows_<backend>.cpp, built when
// the backend is: tests/conformance/CMakeLists.txt):
//   const bool registered = conformance::register_rows([] { return std::vector<Row>{...}; });
// conformance_test.cpp runs every registered row (rows are read once the program runs, after
// every file registered its rows).
bool register_rows(std::function<std::vector<Row>()> rows);
std::vector<Row> registered_rows();

}  // namespace conformance
