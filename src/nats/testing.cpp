// TestBroker for NATS: NATS's routing rules in memory, handlers run inline in publish().
//   subjects:     `*` matches one token, `>` one or more trailing tokens, `{name}` one token;
//   queue groups: the subscribers of one queue group on one subject share the messages
//                 (one of them gets each);
//   JetStream:    a subscriber on a stream gets what its filter subject matches and the
//                 stream's subjects cover; subscribers sharing a durable consumer share its
//                 messages. A JetStream publish no stream covers fails, as on a server.
//   Core subscribers also see what is published to a stream's subject (it is a subject).
#include <fmt/format.h>

#include <atomic>
#include <map>
#include <mutex>

#include "core/backend.hpp"
#include "faststream/exceptions.hpp"
#include "nats/transport.hpp"

namespace faststream::nats {
namespace {

constexpr std::string_view kTestReplyPrefix = "_INBOX.faststream-test.";

class TestMessage final : public Message {
 public:
  TestMessage(Source source, OutgoingMessage&& out, std::string stream, std::uint64_t sequence) {
    source_ = source;
    body_ = std::move(out.body);
    headers_ = outgoing_headers(out, source == Source::jetstream);
    correlation_id_ = out.correlation_id.empty() ? generate_id() : std::move(out.correlation_id);
    reply_to_ = std::move(out.reply_to);
    content_type_ = std::move(out.content_type);
    message_id_ = std::move(out.message_id);
    destination_ = std::move(out.destination);
    stream_ = std::move(stream);
    stream_sequence_ = sequence;
    timestamp_ = std::chrono::system_clock::now();
  }
  DeliveryCapabilities capabilities() const noexcept override {
    return source_ == Source::jetstream ? DeliveryCapabilities{true, true} : DeliveryCapabilities{};
  }

 protected:
  void on_settle(Settlement, const NackOptions&) override {}  // nothing behind it
};

// The subjects a subscriber's stream stores (its declared subjects, else its own subject).
bool stream_covers(const SubscriberOptions& o, const std::string& own_subject,
                   std::string_view subject) {
  if (!o.stream) return false;
  if (o.stream->subjects.empty()) return subject_matches(own_subject, subject);
  for (const auto& s : o.stream->subjects)
    if (subject_matches(s, subject)) return true;
  return false;
}

class NatsTestTransport final : public NatsRouting {
 public:
  std::string protocol() const override { return "nats"; }
  bool in_process() const override { return true; }
  std::string public_url() const override { return url_.redacted(); }
  void set_url(std::string url) override { url_ = parse_url(url); }
  ServerSpec server_spec() const override { return {url_.public_hosts(), "nats", "", "", ""}; }
  void validate(const SubscriberConfig& config) const override { validate_subscriber(config); }

  // Key-Value buckets are maps in memory here; watches are not fed (use the real server).
  void start(BrokerCore& broker) override {
    inline_.start(broker);
    if (broker.dependencies().contains(typeid(KeyValues)))
      for (auto& bucket : broker.dependencies().resolve<KeyValues>()->all()) {
        std::unique_lock lock(bucket->impl().mutex);
        bucket->impl().in_memory = true;
      }
  }
  void stop_consuming() override {}
  void close() override { inline_.close(); }

  Task<void> publish(OutgoingMessage message) override {
    return inline_.publish(
        std::move(message), [this](const OutgoingMessage& m) { return deliveries(m); },
        [](OutgoingMessage&& reply) -> MessagePtr {
          return std::make_unique<TestMessage>(Source::core, std::move(reply), "", 0);
        });
  }
  Task<MessagePtr> request(OutgoingMessage message, std::chrono::milliseconds timeout) override {
    const bool answerable = any_target(message.destination);
    return inline_.request(*this, std::move(message), timeout, answerable);
  }

 private:
  struct Target {
    SubscriberCore* subscriber;
    bool jetstream;
    std::string stream;
  };

  // Whether a subscriber gets what is published to `subject`: its filter matches and, on
  // JetStream, its stream stores the subject. Key-Value filters are not subjects.
  static bool receives(const SubscriberCore& s, std::string_view subject) {
    const auto& o = options_of(s.config());
    if (o.kv) return false;
    auto plan = plan_subject(s.config().destination);
    return subject_matches(plan.subject, subject) &&
           (!o.stream || stream_covers(o, plan.subject, subject));
  }

  // Whether anything receives `subject` (without advancing the round-robin counters).
  bool any_target(std::string_view subject) const {
    for (const auto& s : inline_.broker().subscribers())
      if (receives(*s, subject)) return true;
    return false;
  }

  std::vector<Target> route(std::string_view subject) {
    std::lock_guard lock(route_mutex_);
    std::vector<Target> out;
    std::map<std::string, std::vector<Target>> competing;  // queue group / durable consumer
    for (auto& s : inline_.broker().subscribers()) {
      if (!receives(*s, subject)) continue;
      const auto& o = options_of(s->config());
      if (o.stream) {
        Target t{s.get(), true, o.stream->name};
        if (!o.durable.empty()) {
          competing["durable\n" + o.stream->name + "\n" + o.durable].push_back(t);
        } else if (!o.queue.empty()) {
          competing["deliver-group\n" + o.stream->name + "\n" + o.queue].push_back(t);
        } else {
          out.push_back(t);
        }
      } else if (!o.queue.empty()) {
        competing["queue\n" + o.queue + "\n" + plan_subject(s->config().destination).subject]
            .push_back({s.get(), false, {}});
      } else {
        out.push_back({s.get(), false, {}});
      }
    }
    for (auto& [key, members] : competing) {
      auto& next = round_robin_[key];
      out.push_back(members[next++ % members.size()]);
    }
    return out;
  }

  bool any_stream_covers(std::string_view subject) {
    for (auto& s : inline_.broker().subscribers()) {
      const auto& o = options_of(s->config());
      if (stream_covers(o, plan_subject(s->config().destination).subject, subject)) return true;
    }
    return false;
  }

  // NATS's rules: the message each receiving subscriber gets.
  std::vector<core::InlineDelivery::Delivery> deliveries(const OutgoingMessage& message) {
    auto* target = core::options_of<Tag, TargetOptions>(message.native, message.destination);
    const bool jetstream = target && target->kind == Source::jetstream;
    if (jetstream && !any_stream_covers(message.destination))
      throw PublishError(fmt::format(
          "nats: JetStream did not store the message for '{}': no stream covers the subject",
          message.destination));
    auto targets = route(message.destination);
    if (targets.empty() && message.require_receiver && !jetstream)
      throw NoResponders(fmt::format("nobody received the message: no subscriber on subject '{}'",
                                     message.destination));
    std::vector<core::InlineDelivery::Delivery> out;
    for (auto& t : targets) {
      OutgoingMessage copy = message;
      auto m =
          std::make_unique<TestMessage>(t.jetstream ? Source::jetstream : Source::core,
                                        std::move(copy), t.stream, t.jetstream ? ++sequence_ : 0);
      const auto& destination = t.subscriber->config().destination;
      if (!plan_subject(destination).params.empty()) {
        core::Captures captures;
        if (core::Pattern::compile(destination).match(m->destination(), &captures)) {
          m->set_path_params(std::move(captures));
        } else {
          m->set_bad_input(
              fmt::format("subject '{}' does not fit '{}'", m->destination(), destination));
        }
      }
      out.push_back({t.subscriber, std::move(m)});
    }
    return out;
  }

  Url url_ = parse_url("nats://localhost:4222");
  core::InlineDelivery inline_{"the NATS TestBroker", std::string(kTestReplyPrefix)};
  std::mutex route_mutex_;
  std::map<std::string, std::size_t> round_robin_;
  std::atomic<std::uint64_t> sequence_{0};
};

}  // namespace

std::unique_ptr<Transport> Broker::make_test_transport() {
  return std::make_unique<NatsTestTransport>();
}

}  // namespace faststream::nats
