// TestBroker for Redis: Redis's routing rules in memory, handlers run inline in publish().
//   channels: every subscriber whose channel matches (exact, or glob for patterns) gets a copy;
//   lists:    the subscribers of a list compete (one of them gets each entry);
//   streams:  one handler per (stream, group) gets each entry; subscribers without a group
//             each get every entry.
#include <fmt/format.h>

#include <atomic>
#include <map>
#include <mutex>

#include "core/backend.hpp"
#include "faststream/exceptions.hpp"
#include "redis/transport.hpp"

namespace faststream::redis {
namespace {

constexpr std::string_view kTestReplyPrefix = "faststream.test-reply.";

class TestMessage final : public Message {
 public:
  TestMessage(Source source, OutgoingMessage&& out) {
    source_ = source;
    body_ = std::move(out.body);
    headers_ = std::move(out.headers);
    correlation_id_ = std::move(out.correlation_id);
    reply_to_ = std::move(out.reply_to);
    content_type_ = std::move(out.content_type);
    message_id_ = std::move(out.message_id);
    destination_ = std::move(out.destination);
    timestamp_ = std::chrono::system_clock::now();
    if (correlation_id_.empty()) correlation_id_ = generate_id();
  }
  void set_entry(std::string id) { entry_id_ = std::move(id); }
  void set_pattern(std::string p) { pattern_ = std::move(p); }

 protected:
  void on_settle(Settlement, const NackOptions&) override {}  // nothing behind it
};

class RedisTestTransport final : public RedisRouting {
 public:
  std::string protocol() const override { return "redis"; }
  bool in_process() const override { return true; }
  std::string public_url() const override { return url_.redacted(); }
  void set_url(std::string url) override { url_ = parse_url(url); }
  ServerSpec server_spec() const override {
    return {url_.public_host(), "redis", "", url_.db ? "/" + std::to_string(url_.db) : "", ""};
  }
  void validate(const SubscriberConfig& config) const override { validate_subscriber(config); }

  void start(BrokerCore& broker) override { inline_.start(broker); }
  void stop_consuming() override {}
  void close() override { inline_.close(); }

  Task<void> publish(OutgoingMessage message) override {
    return inline_.publish(
        std::move(message), [this](const OutgoingMessage& m) { return deliveries(m); },
        [](OutgoingMessage&& reply) -> MessagePtr {
          return std::make_unique<TestMessage>(Source::channel, std::move(reply));
        });
  }
  Task<MessagePtr> request(OutgoingMessage message, std::chrono::milliseconds timeout) override {
    const bool answerable = any_target(kind_of(message), message.destination);
    return inline_.request(*this, std::move(message), timeout, answerable);
  }

 private:
  static bool matches(const SubscriberCore& s, Source kind, std::string_view destination,
                      std::string* pattern) {
    const auto& o = options_of(s.config());
    if (o.source != kind) return false;
    if (kind != Source::channel) return s.config().destination == destination;
    auto compiled = compile_channel(s.config().destination);
    if (!compiled.pattern) return compiled.redis_name == destination;
    if (!glob_match(compiled.redis_name, destination)) return false;
    if (pattern) *pattern = compiled.redis_name;
    return true;
  }

  // Whether anything consumes `destination` (without advancing the round-robin counters).
  bool any_target(Source kind, std::string_view destination) const {
    for (const auto& s : inline_.broker().subscribers())
      if (matches(*s, kind, destination, nullptr)) return true;
    return false;
  }

  struct Target {
    SubscriberCore* subscriber;
    std::string pattern;
  };

  std::vector<Target> route(Source kind, std::string_view destination) {
    std::lock_guard lock(route_mutex_);
    std::vector<Target> out;
    std::map<std::string, std::vector<Target>> competing;  // list key / (stream, group)
    for (auto& s : inline_.broker().subscribers()) {
      std::string pattern;
      if (!matches(*s, kind, destination, &pattern)) continue;
      const auto& o = options_of(s->config());
      if (kind == Source::list) {
        competing["list"].push_back({s.get(), {}});
      } else if (kind == Source::stream && !o.stream.group.empty()) {
        competing["group:" + o.stream.group].push_back({s.get(), {}});
      } else {
        out.push_back({s.get(), pattern});
      }
    }
    for (auto& [key, members] : competing) {
      auto& next = round_robin_[std::string(destination) + "\n" + key];
      out.push_back(members[next++ % members.size()]);
    }
    return out;
  }

  static Source kind_of(const OutgoingMessage& message) {
    auto* t = core::options_of<Tag, TargetOptions>(message.native, message.destination);
    return t ? t->kind : Source::channel;
  }

  // Redis's rules: the message each receiving subscriber gets.
  std::vector<core::InlineDelivery::Delivery> deliveries(const OutgoingMessage& message) {
    const Source kind = kind_of(message);
    auto targets = route(kind, message.destination);
    if (targets.empty() && kind == Source::channel && message.require_receiver)
      throw NoResponders(fmt::format("nobody received the message: no subscriber of channel '{}'",
                                     message.destination));
    std::vector<core::InlineDelivery::Delivery> out;
    for (auto& target : targets) {
      OutgoingMessage copy = message;
      auto m = std::make_unique<TestMessage>(kind, std::move(copy));
      if (kind == Source::stream) m->set_entry(fmt::format("{}-0", ++entry_seq_));
      if (!target.pattern.empty()) m->set_pattern(target.pattern);
      auto compiled = compile_channel(target.subscriber->config().destination);
      if (kind == Source::channel && !compiled.params.empty()) {
        std::vector<std::pair<std::string, std::string>> captures;
        if (compiled.capture(m->destination(), captures)) {
          m->set_path_params(std::move(captures));
        } else {
          m->set_bad_input(fmt::format(
              "channel '{}' does not fit '{}': a {{name}} placeholder takes one dot-free token",
              m->destination(), target.subscriber->config().destination));
        }
      }
      out.push_back({target.subscriber, std::move(m)});
    }
    return out;
  }

  Url url_ = parse_url("redis://localhost:6379");
  core::InlineDelivery inline_{"the Redis TestBroker", std::string(kTestReplyPrefix)};
  std::mutex route_mutex_;
  std::map<std::string, std::size_t> round_robin_;
  std::atomic<std::uint64_t> entry_seq_{0};
};

}  // namespace

std::unique_ptr<Transport> Broker::make_test_transport() {
  return std::make_unique<RedisTestTransport>();
}

}  // namespace faststream::redis
