#pragma once
// The broker-neutral incoming message (bytes + headers + ids + a settle handle) and the
// outgoing one. Each backend derives its native message (e.g. redis::Message) from Message.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faststream {

// Header names FastStream uses on the wire (Kafka/Redis/NATS headers; AMQP maps them to
// native properties).
namespace headers {
inline constexpr std::string_view content_type = "content-type";
inline constexpr std::string_view correlation_id = "correlation_id";
inline constexpr std::string_view reply_to = "reply_to";
inline constexpr std::string_view message_id = "message_id";
}  // namespace headers

// Ordered, duplicate-tolerant header list (brokers differ; order is preserved on the wire).
class Headers {
 public:
  using value_type = std::pair<std::string, std::string>;
  Headers() = default;
  Headers(std::initializer_list<value_type> items) : items_(items) {}

  // The first value of `name`, if any.
  std::optional<std::string_view> get(std::string_view name) const noexcept {
    for (const auto& [k, v] : items_)
      if (k == name) return std::string_view{v};
    return std::nullopt;
  }
  bool contains(std::string_view name) const noexcept { return get(name).has_value(); }
  // Replaces every value of `name` with `value`.
  void set(std::string_view name, std::string value);
  void add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
  }
  void erase(std::string_view name);
  void reserve(std::size_t n) { items_.reserve(n); }

  auto begin() const noexcept { return items_.begin(); }
  auto end() const noexcept { return items_.end(); }
  std::size_t size() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.empty(); }
  friend bool operator==(const Headers&, const Headers&) = default;

 private:
  std::vector<value_type> items_;
};

// How a message is settled with its broker.
enum class Settlement : std::uint8_t {
  none,    // not settled yet
  ack,     // done: the broker may forget it
  nack,    // failed: the broker may deliver it again (requeue / nak / leave pending)
  reject,  // failed for good: drop or dead-letter, never redeliver
};
std::string_view to_string(Settlement s) noexcept;

struct NackOptions {
  // Ask the broker to redeliver after this delay (NATS nak delay, memory broker); brokers
  // without delayed redelivery ignore it and say so in their docs.
  std::chrono::milliseconds delay{0};
  // false: do not requeue (RabbitMQ basic.nack requeue=false); default requeues.
  bool requeue = true;
};

// What the framework knows about a message's broker, used by retry and docs.
struct DeliveryCapabilities {
  bool redelivery = false;          // nack makes the broker deliver it again
  bool delayed_redelivery = false;  // ... after a requested delay
};

class Message {
 public:
  virtual ~Message() = default;
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  std::string_view body() const noexcept { return body_; }
  const Headers& headers() const noexcept { return headers_; }
  // A header by name; content-type, correlation_id and reply_to are found even when the
  // backend keeps them in dedicated fields rather than in headers().
  std::optional<std::string_view> header(std::string_view name) const noexcept;
  const std::string& correlation_id() const noexcept { return correlation_id_; }
  // The message id; the correlation id when the sender set none (as FastStream does).
  const std::string& message_id() const noexcept {
    return message_id_.empty() ? correlation_id_ : message_id_;
  }
  const std::string& reply_to() const noexcept { return reply_to_; }
  const std::string& content_type() const noexcept { return content_type_; }
  // The concrete destination it arrived on (channel, subject, topic, queue).
  const std::string& destination() const noexcept { return destination_; }
  // 1 on first delivery; brokers that cannot tell report 1.
  std::uint32_t delivery_count() const noexcept { return delivery_count_; }
  // When the message was first published, if the broker says.
  std::optional<std::chrono::system_clock::time_point> timestamp() const noexcept {
    return timestamp_;
  }
  // Values captured by `{name}` placeholders of the subscriber's destination.
  std::optional<std::string_view> path_param(std::string_view name) const noexcept;
  const std::vector<std::pair<std::string, std::string>>& path_params() const noexcept {
    return path_params_;
  }
  virtual DeliveryCapabilities capabilities() const noexcept { return {}; }
  // Where the broker keeps this message, for log lines, so a user can find it there
  // ("stream entry 1700000000000-0", "stream ORDERS sequence 42"); empty when the broker
  // keeps nothing (a channel, a core subject).
  virtual std::string broker_ref() const { return {}; }
  // Set by a backend that could not read the message at all (a corrupt envelope, a channel
  // that does not fit the declared pattern): the pipeline fails it with this reason, as a
  // decode error, under the subscriber's ack policy.
  const std::string& bad_input() const noexcept { return bad_input_; }
  // Why the handler (or decoding) failed, as logged; set by the pipeline before it settles a
  // failed message, so a backend can put it in a dead letter. Empty when it did not fail.
  const std::string& failure_reason() const noexcept { return failure_reason_; }

  // Settle now. The first settlement wins; later calls are ignored (and return false).
  bool ack();
  bool nack(NackOptions options = {});
  bool reject();
  Settlement settlement() const noexcept { return settlement_; }
  bool settled() const noexcept { return settlement_ != Settlement::none; }

  // Framework-internal: the subscriber fills these before dispatch.
  void set_path_params(std::vector<std::pair<std::string, std::string>> params) {
    path_params_ = std::move(params);
  }
  void set_failure_reason(std::string reason) { failure_reason_ = std::move(reason); }
  // The ordering key (a Kafka partition) of a message whose subscriber must run the messages
  // of one key one at a time, in order; different keys run in parallel (max_workers).
  bool has_ordering_key() const noexcept { return has_ordering_key_; }
  std::uint64_t ordering_key() const noexcept { return ordering_key_; }
  // Backend-internal: set before the message is delivered to its subscriber.
  void set_ordering_key(std::uint64_t key) noexcept {
    ordering_key_ = key;
    has_ordering_key_ = true;
  }
  // Backend-internal: the message cannot be read (see bad_input()); the first reason stays.
  void set_bad_input(std::string why) {
    if (bad_input_.empty()) bad_input_ = std::move(why);
  }

 protected:
  Message() = default;

  // Backends perform the settlement on their broker (XACK, basic.ack, Nak...). Must not
  // block on I/O: queue the command and return. Errors are logged by the backend.
  virtual void on_settle(Settlement settlement, const NackOptions& options) = 0;

  std::string body_;
  Headers headers_;
  std::string correlation_id_;
  std::string message_id_;
  std::string reply_to_;
  std::string content_type_;
  std::string destination_;
  std::uint32_t delivery_count_ = 1;
  std::optional<std::chrono::system_clock::time_point> timestamp_;
  std::string bad_input_;

  // Fills correlation_id_, reply_to_, content_type_, message_id_ from FastStream's headers
  // and generates a correlation id when absent (message_id() then falls back to it).
  void adopt_standard_headers();

 private:
  bool settle(Settlement s, const NackOptions& options);
  Settlement settlement_ = Settlement::none;
  bool has_ordering_key_ = false;
  std::uint64_t ordering_key_ = 0;
  std::vector<std::pair<std::string, std::string>> path_params_;
  std::string failure_reason_;
};

using MessagePtr = std::unique_ptr<Message>;

// A backend's own options, carried by a target, an outgoing message or a subscriber's
// config (a Redis list rather than a channel, a JetStream publish...). backend() names whose
// they are: a broker refuses another backend's with a ConfigError naming both.
class BackendOptions {
 public:
  virtual ~BackendOptions() = default;
  virtual std::string_view backend() const noexcept = 0;
};
using BackendOptionsPtr = std::shared_ptr<const BackendOptions>;

// What the broker said about a publish, as far as it says anything (fields it does not fill
// stay empty): where it stored the message, under which id, how many received it.
struct PublishResult {
  std::string id;                          // a Redis stream entry id ("1700000000000-0")
  std::string stream;                      // the JetStream stream (later: the Kafka topic)
  std::optional<std::uint64_t> sequence;   // the JetStream stream sequence (later: Kafka offset)
  std::optional<std::int32_t> partition;   // Kafka
  std::optional<std::uint64_t> receivers;  // a Redis PUBLISH: subscribers that got it
  bool duplicate = false;  // JetStream: already stored under this message id (not again)
};

// A message on its way to a broker.
struct OutgoingMessage {
  std::string destination;
  std::string body;
  std::string content_type;
  std::string correlation_id;
  std::string reply_to;
  std::string message_id;  // empty: the correlation id serves as message id
  Headers headers;
  // Backend-specific publish options of the target (e.g. a Redis stream's maxlen).
  BackendOptionsPtr native;
  // Backend-specific options of this one publish (e.g. a JetStream expected last sequence).
  BackendOptionsPtr call_native;
  // Where the transport writes what the broker said (null: nobody asked); valid until the
  // transport's publish completes.
  PublishResult* result = nullptr;
  // How long the publish may wait on backpressure; 0 = the broker's publish_timeout.
  std::chrono::milliseconds timeout{0};
  // An answer to a request's reply_to: someone waits for it, so backends that batch writes
  // send it at once.
  bool is_reply = false;
  // Fail with NoResponders when the broker can tell that nobody received it (a Redis PUBLISH
  // counted 0 subscribers, a NATS subject without interest). The CLI's publish sets it.
  bool require_receiver = false;

  // FastStream's headers as they go on the wire: content-type, correlation_id, reply_to.
  Headers wire_headers() const;
};

// Where a result (or an explicit publish) goes: a destination in the backend's terms plus
// optional backend-specific options (e.g. "a Redis list" rather than a channel). Each backend
// has its own type of target (redis::Target, nats::Target) that only its broker takes.
struct PublisherTarget {
  std::string destination;
  BackendOptionsPtr native;
  PublisherTarget(std::string dest) : destination(std::move(dest)) {}  // NOLINT: implicit
  PublisherTarget(const char* dest) : destination(dest) {}             // NOLINT: implicit
  PublisherTarget(std::string dest, BackendOptionsPtr options)
      : destination(std::move(dest)), native(std::move(options)) {}
};

// The target type of one backend (Tag: the backend's own tag type). A plain name converts to
// it (the backend's default kind of destination); another backend's target does not.
template <class Tag>
struct BackendTarget : PublisherTarget {
  BackendTarget(std::string dest) : PublisherTarget(std::move(dest)) {}  // NOLINT: implicit
  BackendTarget(const char* dest) : PublisherTarget(dest) {}             // NOLINT: implicit
  BackendTarget(std::string dest, BackendOptionsPtr options)
      : PublisherTarget(std::move(dest), std::move(options)) {}
};

// A new random id in FastStream's format (a UUID4 string).
std::string generate_id();

}  // namespace faststream
