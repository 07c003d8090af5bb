// The memory broker's transport: routing to subscriber inboxes, redelivery on nack, and
// request/reply through private reply destinations.
#include <fmt/format.h>

#include <atomic>
#include <stdexcept>

#include "core/backend.hpp"
#include "faststream/exceptions.hpp"
#include "faststream/memory.hpp"

namespace faststream::memory {
namespace {

constexpr std::string_view kReplyPrefix = "$faststream.reply.";

struct NativeOptions {
  std::string group;
};
struct Tag {
  static constexpr std::string_view name = "memory";
};

class MemoryTransport;

class MemoryMessage final : public Message {
 public:
  MemoryMessage(MemoryTransport* transport, SubscriberCore* subscriber, OutgoingMessage&& out,
                std::uint32_t delivery, std::chrono::system_clock::time_point published)
      : transport_(transport), subscriber_(subscriber) {
    body_ = std::move(out.body);
    // Standard headers stay in their fields (Message::header() finds them there).
    headers_ = std::move(out.headers);
    correlation_id_ = std::move(out.correlation_id);
    reply_to_ = std::move(out.reply_to);
    content_type_ = std::move(out.content_type);
    message_id_ = std::move(out.message_id);
    destination_ = std::move(out.destination);
    delivery_count_ = delivery;
    timestamp_ = published;
    if (correlation_id_.empty()) correlation_id_ = generate_id();
  }

  // The message as it was published, for a redelivery.
  OutgoingMessage to_outgoing() const {
    OutgoingMessage out;
    out.destination = destination_;
    out.body = body_;
    out.content_type = content_type_;
    out.correlation_id = correlation_id_;
    out.reply_to = reply_to_;
    out.message_id = message_id_;
    out.headers = headers_;
    return out;
  }

 protected:
  void on_settle(Settlement settlement, const NackOptions& options) override;

 private:
  MemoryTransport* transport_;
  SubscriberCore* subscriber_;
};

class MemoryTransport final : public Transport {
 public:
  MemoryTransport(std::string url, bool inline_delivery)
      : url_(std::move(url)), inline_(inline_delivery) {}

  std::string protocol() const override { return "memory"; }
  bool in_process() const override { return true; }
  // Logged at start and named in CLI errors: the name only.
  std::string public_url() const override { return "memory://" + public_name(); }
  void set_url(std::string url) override {
    if (!url.starts_with("memory://"))
      throw std::invalid_argument("the memory broker takes a memory:// URL, got '" +
                                  without_userinfo(url) + "'");
    url_ = std::move(url);
  }
  ServerSpec server_spec() const override {
    return {public_name().empty() ? "localhost" : public_name(), "memory", "", "", ""};
  }
  std::vector<SourceRoute> routes_to(const BrokerCore& broker,
                                     std::string_view destination) const override {
    std::vector<SourceRoute> routes;
    for (const auto& s : broker.subscribers())
      if (core::Pattern::compile(s->config().destination).match(destination, nullptr))
        routes.push_back({s.get(), {}, std::string(destination)});
    return routes;
  }

  void validate(const SubscriberConfig& config) const override {
    (void)core::Pattern::compile(config.destination);
  }

  void start(BrokerCore& broker) override {
    broker_ = &broker;
    routing_ = {};
    for (auto& s : broker.subscribers()) {
      std::string group;
      if (auto* native =
              core::options_of<Tag, NativeOptions>(s->config().native, s->config().destination))
        group = native->group;
      routing_.add(core::Pattern::compile(s->config().destination), group, s.get());
    }
    running_ = true;
  }
  void stop_consuming() override {}
  void close() override {
    running_ = false;
    replies_.close_all();
  }

  Task<void> publish(OutgoingMessage message) override {
    return publish_impl(this, std::move(message));
  }
  Task<MessagePtr> request(OutgoingMessage message, std::chrono::milliseconds timeout) override {
    return request_impl(this, std::move(message), timeout);
  }

  void redeliver(const MemoryMessage& message, SubscriberCore* subscriber,
                 std::chrono::milliseconds delay);

 private:
  std::chrono::milliseconds publish_timeout(const OutgoingMessage& m) const {
    return m.timeout.count() > 0 ? m.timeout : broker_->settings().publish_timeout;
  }

  void check_running(std::string_view destination) const {
    if (!running_)
      throw BrokerNotRunning(fmt::format(
          "cannot publish to '{}': the memory broker is not running (start the broker or run "
          "the app first)",
          destination));
  }

  static Task<void> publish_impl(MemoryTransport* self, OutgoingMessage message) {
    self->check_running(message.destination);
    if (message.destination.starts_with(kReplyPrefix)) {
      self->complete_reply(std::move(message));
      co_return;
    }
    auto matches = self->routing_.route(message.destination);
    if (matches.empty() && message.require_receiver)
      throw NoResponders(fmt::format("no subscriber consumes '{}'", message.destination));
    const auto timeout = self->publish_timeout(message);
    const auto now = std::chrono::system_clock::now();
    std::exception_ptr first_error;
    for (std::size_t i = 0; i < matches.size(); ++i) {
      auto& match = matches[i];
      // The last target takes the message itself; the others get copies.
      MessagePtr ptr;
      if (i + 1 == matches.size()) {
        ptr = std::make_unique<MemoryMessage>(self, match.target, std::move(message), 1, now);
      } else {
        OutgoingMessage copy = message;
        ptr = std::make_unique<MemoryMessage>(self, match.target, std::move(copy), 1, now);
      }
      if (!match.captures.empty()) ptr->set_path_params(std::move(match.captures));
      if (self->inline_) {
        // TestBroker: handle it right here and let the handler's exception reach the caller.
        try {
          co_await core::process_now(*match.target, std::move(ptr));
        } catch (...) {
          if (!first_error) first_error = std::current_exception();
        }
      } else if (!match.target->try_deliver(ptr)) {
        co_await match.target->deliver(std::move(ptr), timeout);
      }
    }
    if (first_error) std::rethrow_exception(first_error);
  }

  static Task<MessagePtr> request_impl(MemoryTransport* self, OutgoingMessage message,
                                       std::chrono::milliseconds timeout) {
    self->check_running(message.destination);
    if (!self->routing_.matches(message.destination))
      throw NoResponders(
          fmt::format("no subscriber consumes '{}': nobody can reply", message.destination));
    // Each request gets its own reply destination; the reply is routed back to it.
    co_return co_await core::request_via_publish(*self, self->replies_, *self->broker_,
                                                 std::move(message), timeout,
                                                 std::string(kReplyPrefix));
  }

  void complete_reply(OutgoingMessage message) {
    std::string key = message.destination;
    auto reply = std::make_unique<MemoryMessage>(this, nullptr, std::move(message), 1,
                                                 std::chrono::system_clock::now());
    if (!replies_.complete(key, std::move(reply)))
      broker_->logger().warning("reply to '{}' arrived after its request gave up; dropped", key);
  }

  // Any URL shown to the user: scheme://user:password@rest becomes scheme://rest.
  static std::string without_userinfo(const std::string& url) {
    const auto at = url.rfind('@');
    if (at == std::string::npos) return url;
    const auto scheme_end = url.find("://");
    return (scheme_end < at ? url.substr(0, scheme_end + 3) : std::string()) + url.substr(at + 1);
  }
  // memory://[user[:password]@]name: only the name is public.
  std::string public_name() const {
    std::string_view host = std::string_view(url_).substr(std::string_view("memory://").size());
    if (auto at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
    return std::string(host);
  }

  std::string url_;
  bool inline_;
  BrokerCore* broker_ = nullptr;
  core::RoutingTable<SubscriberCore> routing_;
  std::atomic<bool> running_{false};
  core::ReplyRegistry replies_;
};

void MemoryMessage::on_settle(Settlement settlement, const NackOptions& options) {
  // ack and reject need nothing: the message lives only here. nack redelivers.
  if (settlement == Settlement::nack && options.requeue && subscriber_)
    transport_->redeliver(*this, subscriber_, options.delay);
}

Task<void> deliver_later(SubscriberCore* subscriber, MessagePtr message,
                         std::chrono::milliseconds timeout, Logger logger) {
  try {
    co_await subscriber->deliver(std::move(message), timeout);
  } catch (const std::exception& e) {
    logger.warning("redelivery to '{}' failed: {}", subscriber->config().destination, e.what());
  }
}

void MemoryTransport::redeliver(const MemoryMessage& message, SubscriberCore* subscriber,
                                std::chrono::milliseconds delay) {
  auto again = std::make_unique<MemoryMessage>(
      this, subscriber, message.to_outgoing(), message.delivery_count() + 1,
      message.timestamp().value_or(std::chrono::system_clock::now()));
  again->set_path_params(message.path_params());
  MessagePtr ptr(std::move(again));
  auto timeout = broker_->settings().publish_timeout;
  auto logger = broker_->logger();
  auto send = [subscriber, timeout, logger](MessagePtr m) {
    if (subscriber->try_deliver(m)) return;
    detail::spawn(deliver_later(subscriber, std::move(m), timeout, logger),
                  [](std::exception_ptr) {});
  };
  if (delay.count() <= 0) {
    send(std::move(ptr));
    return;
  }
  // The timer owns the message until it fires; a stop cuts it short and the message is lost
  // with the process's memory, which the log line says.
  auto holder = std::make_shared<MessagePtr>(std::move(ptr));
  broker_->event_loop().post_after(delay, [holder, send, logger, subscriber](bool cancelled) {
    if (cancelled) {
      logger.warning("delayed redelivery to '{}' dropped: the broker is stopping",
                     subscriber->config().destination);
      return;
    }
    send(std::move(*holder));
  });
}

}  // namespace

SubscriberConfig SubscriberOptions::to_config(std::string destination) const {
  SubscriberConfig config;
  config.destination = std::move(destination);
  config.queue_capacity = queue_capacity == 0 ? 1 : queue_capacity;
  // The memory broker is the only holder of its queued messages: finish them on stop.
  config.drain_queued_on_stop = true;
  config.native = core::tag_options<Tag>(NativeOptions{group});
  return config;
}

Broker::Broker(std::string url, BrokerSettings settings)
    : BasicBroker(
          std::make_unique<BrokerCore>(make_transport(std::move(url)), std::move(settings))) {}
Broker::~Broker() = default;

std::unique_ptr<Transport> make_transport(std::string url) {
  return std::make_unique<MemoryTransport>(std::move(url), false);
}

std::unique_ptr<Transport> Broker::make_test_transport() {
  return std::make_unique<MemoryTransport>("memory://", true);
}

}  // namespace faststream::memory
