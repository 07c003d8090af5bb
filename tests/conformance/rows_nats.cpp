#include <nats/nats.h>

#include <faststream/nats.hpp>

#include "conformance.hpp"
#include "support/models.hpp"
#include "support/nats_server.hpp"

using namespace std::chrono_literals;
namespace nats = faststream::nats;

namespace conformance {
namespace {

fs_test::NatsServer& server() {
  return fs_test::shared_nats_server();
}

class NatsFixture final : public Fixture {
 public:
  explicit NatsFixture(bool jetstream)
      : jetstream_(jetstream), broker_(server().url(), fs_test::quiet(faststream::LogLevel::off)) {}

  // JetStream: every destination is a subject with a stream of its own, created here so that
  // a producer can publish before any subscriber exists.
  std::string fresh_destination() override {
    auto id = faststream::generate_id();
    std::string subject = "conf." + id;
    if (jetstream_) create_stream(stream_name(subject), subject);
    return subject;
  }
  void subscribe(const std::string& destination, const std::string& group,
                 faststream::AckPolicy policy, Handler handler) override {
    nats::SubscriberOptions options;
    if (jetstream_) {
      options.stream = nats::Stream{.name = stream_name(destination), .declare = false};
      // A group is a durable pull consumer its members share; without one, every
      // subscriber has its own (ephemeral, push) consumer and gets every message.
      if (!group.empty()) {
        options.durable = group;
        options.pull = nats::Pull{.batch = 50, .fetch_timeout = 200ms};
      }
      options.ack_wait = 2s;
    } else {
      options.queue = group;
    }
    broker_.subscriber(destination, options)
        .ack_policy(policy)
        .handle([handler](const Item& item, faststream::Message& m) { handler(item, m); });
  }
  void subscribe_replier(const std::string& destination) override {
    nats::SubscriberOptions options;
    if (jetstream_)
      options.stream = nats::Stream{.name = stream_name(destination), .declare = false};
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
  static std::string stream_name(const std::string& subject) {
    std::string name = "CONF_" + subject.substr(5);
    for (char& ch : name)
      if (ch == '-') ch = '_';
    return name;
  }
  static void create_stream(const std::string& name, const std::string& subject) {
    natsConnection* nc = nullptr;
    jsCtx* js = nullptr;
    if (natsConnection_ConnectTo(&nc, server().url().c_str()) != NATS_OK)
      throw std::runtime_error("conformance: cannot connect to nats-server");
    natsConnection_JetStream(&js, nc, nullptr);
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name.c_str();
    const char* subjects[] = {subject.c_str()};
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_MemoryStorage;
    jsErrCode code{};
    natsStatus s = js_AddStream(nullptr, js, &cfg, nullptr, &code);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    if (s != NATS_OK) throw std::runtime_error("conformance: cannot create stream " + name);
  }
  faststream::nats::Target target(const std::string& destination) const {
    return jetstream_ ? nats::to_stream(destination) : nats::to_subject(destination);
  }
  bool jetstream_;
  nats::Broker broker_;
};

}  // namespace

[[maybe_unused]] const bool registered = register_rows([]() -> std::vector<Row> {
  return {
      // Core NATS: no persistence, no redelivery; queue groups split, subscribers without a
      // group each get every message; request/reply in the protocol.
      {"NatsCore",
       {.persistence = false,
        .fan_out = true,
        .consumer_groups = true,
        .redelivery = false,
        .ordering = true,
        .rpc = true},
       [] { return std::make_unique<NatsFixture>(false); }},
      // JetStream: persists, a shared durable consumer splits, Nak redelivers, order kept
      // within a consumer.
      {"NatsJetStream",
       {.persistence = true,
        .fan_out = true,
        .consumer_groups = true,
        .redelivery = true,
        .ordering = true,
        .rpc = true},
       [] { return std::make_unique<NatsFixture>(true); }},
  };
});

}  // namespace conformance
