// The Redis transport. Everything that touches hiredis runs on the broker's event loop;
// publishers on other threads hop there and back.
#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <future>
#include <set>
#include <thread>

#include "core/backend.hpp"
#include "faststream/exceptions.hpp"
#include "redis/envelope.hpp"
#include "redis/transport.hpp"

namespace faststream::redis {
namespace {

constexpr std::string_view kDataField = "__data__";  // FastStream's stream entry field

// Moves the awaiting coroutine onto `target` (no-op when already there or when null).
struct SwitchTo {
  explicit SwitchTo(Executor* t) : target(t) {}
  Executor* target;
  bool await_ready() const noexcept {
    return target == nullptr || target == detail::current_executor();
  }
  void await_suspend(std::coroutine_handle<> h) const {
    target->post([h] { h.resume(); });
  }
  void await_resume() const noexcept {}
};

// Waits until a subscriber's queue has room (or it closed).
struct RoomAwaiter {
  RoomAwaiter(SubscriberCore* c, Executor* l) : core(c), loop(l) {}
  SubscriberCore* core;
  Executor* loop;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const {
    core->when_ready([loop = loop, h] { loop->post([h] { h.resume(); }); });
  }
  void await_resume() const noexcept {}
};

// Connects (or reconnects) a Connection; resumes on the event loop.
struct ConnectAwaiter {
  ConnectAwaiter(std::shared_ptr<Connection> c, Url u, boost::asio::io_context& i)
      : connection(std::move(c)), url(std::move(u)), io(i) {}
  std::shared_ptr<Connection> connection;
  Url url;
  boost::asio::io_context& io;
  std::string error;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    connection->connect(url, [this, h](const std::string& e) {
      error = e;
      boost::asio::post(io, [h] { h.resume(); });
    });
  }
  std::string await_resume() { return std::move(error); }
};

// A command's arguments. Built by a call, not a braced list: g++ 12 cannot keep an
// initializer_list's array alive across co_await.
template <class... A>
std::vector<std::string> cmd(A&&... args) {
  std::vector<std::string> v;
  v.reserve(sizeof...(A));
  (v.emplace_back(std::forward<A>(args)), ...);
  return v;
}

std::string seconds_text(std::chrono::milliseconds ms) {
  return fmt::format("{:.3f}", static_cast<double>(ms.count()) / 1000.0);
}

// A stream entry's payload: FastStream's __data__ field, or the fields as a JSON object.
std::string entry_payload(const Value& fields) {
  for (std::size_t i = 0; i + 1 < fields.elements.size(); i += 2)
    if (fields.elements[i].str == kDataField) return fields.elements[i + 1].str;
  boost::json::object o;
  for (std::size_t i = 0; i + 1 < fields.elements.size(); i += 2)
    o[fields.elements[i].str] = fields.elements[i + 1].str;
  return boost::json::serialize(o);
}

}  // namespace

// --- Messages -------------------------------------------------------------------------------

class RedisMessage final : public Message {
 public:
  RedisMessage(RedisTransport* transport, Consumer* consumer, Source source,
               std::string destination, std::string_view raw)
      : transport_(transport), consumer_(consumer) {
    source_ = source;
    destination_ = std::move(destination);
    // A list entry popped but not handled at stop goes back to the list as it was.
    if (source == Source::list) raw_ = std::string(raw);
    try {
      auto parsed = envelope::parse(raw);
      body_ = std::string(parsed.body);
      headers_ = std::move(parsed.headers);
    } catch (const envelope::EnvelopeError& e) {
      body_ = std::string(raw);
      bad_input_ = e.what();
    }
    adopt_standard_headers();
  }

  void set_entry(std::string id, std::uint32_t deliveries) {
    entry_id_ = std::move(id);
    delivery_count_ = deliveries;
  }
  void set_pattern(std::string pattern) { pattern_ = std::move(pattern); }
  // Lists: the entry's bytes as popped.
  const std::string& raw() const noexcept { return raw_; }

  std::string broker_ref() const override {
    if (entry_id_.empty()) return {};
    if (consumer_ && !consumer_->options.stream.group.empty())
      return fmt::format("stream '{}' entry {}, group '{}'", destination_, entry_id_,
                         consumer_->options.stream.group);
    return fmt::format("stream '{}' entry {}", destination_, entry_id_);
  }
  DeliveryCapabilities capabilities() const noexcept override {
    // Only a stream with a group and claiming delivers a failed entry again.
    if (consumer_ && source_ == Source::stream && !consumer_->options.stream.group.empty() &&
        consumer_->options.stream.min_idle_time)
      return {true, false};
    return {};
  }

 protected:
  void on_settle(Settlement settlement, const NackOptions&) override {
    if (!consumer_ || source_ != Source::stream || consumer_->options.stream.group.empty())
      return;  // channels and lists: nothing to tell Redis (at most once)
    if (settlement == Settlement::ack) {
      transport_->ack_stream_entry(consumer_, entry_id_);
    } else {
      // nack and reject leave the entry pending; it stops being leased so it can be claimed.
      transport_->release_stream_entry(consumer_, entry_id_);
    }
  }

 private:
  RedisTransport* transport_;
  Consumer* consumer_;
  std::string raw_;
};

// --- Transport ------------------------------------------------------------------------------

RedisTransport::RedisTransport(std::string url, BrokerOptions options)
    : url_(parse_url(url)), options_(options) {
  if (url_.tls)
    throw std::invalid_argument(
        "rediss:// (TLS) is not supported: Debian's hiredis 0.14 has no TLS; use redis://");
}

RedisTransport::~RedisTransport() = default;

std::string RedisTransport::public_url() const {
  return url_.redacted();
}

void RedisTransport::set_url(std::string url) {
  Url parsed = parse_url(url);
  if (parsed.tls)
    throw std::invalid_argument("rediss:// (TLS) is not supported by this build; use redis://");
  url_ = std::move(parsed);
}

ServerSpec RedisTransport::server_spec() const {
  return {url_.public_host(), "redis", "", url_.db ? "/" + std::to_string(url_.db) : "", ""};
}

SpecBindings RedisTransport::subscriber_bindings(const SubscriberConfig& config) const {
  const auto& o = options_of(config);
  boost::json::object b{{"channel", config.destination}, {"bindingVersion", "custom"}};
  switch (o.source) {
    case Source::channel:
      b["method"] = compile_channel(config.destination).pattern ? "psubscribe" : "subscribe";
      break;
    case Source::list:
      b["method"] = "lpop";
      break;
    case Source::stream:
      b["method"] = o.stream.group.empty() ? "xread" : "xreadgroup";
      if (!o.stream.group.empty()) {
        b["groupName"] = o.stream.group;
        b["consumerName"] = o.stream.consumer;
      }
      break;
  }
  return {boost::json::serialize(boost::json::object{{"redis", b}}), "", ""};
}

SpecBindings RedisTransport::publisher_bindings(const PublisherTarget& target) const {
  Source kind = Source::channel;
  if (auto* t = core::options_of<Tag, TargetOptions>(target.native, target.destination))
    kind = t->kind;
  const char* method = kind == Source::channel ? "publish"
                       : kind == Source::list  ? "rpush"
                                               : "xadd";
  boost::json::object b{
      {"channel", target.destination}, {"method", method}, {"bindingVersion", "custom"}};
  return {boost::json::serialize(boost::json::object{{"redis", b}}), "", ""};
}

void validate_subscriber(const SubscriberConfig& config) {
  const auto& o = options_of(config);
  if (o.source == Source::channel) {
    (void)compile_channel(config.destination);  // throws ConfigError
    return;
  }
  if (config.destination.find('{') != std::string::npos)
    throw ConfigError("'" + config.destination +
                      "': {name} placeholders work on channels only, not on lists or streams");
  if (o.source == Source::stream) {
    const auto& s = o.stream;
    if (!s.group.empty() && s.consumer.empty())
      throw ConfigError("stream '" + config.destination + "': group '" + s.group +
                        "' needs a consumer name (StreamOptions::consumer)");
    if (s.dead_letter_after > 0 && (!s.min_idle_time || s.dead_letter_stream.empty()))
      throw ConfigError("stream '" + config.destination +
                        "': dead letters need min_idle_time and dead_letter_stream");
    if (s.min_idle_time && s.group.empty())
      throw ConfigError("stream '" + config.destination +
                        "': min_idle_time (claiming) needs a consumer group");
  }
}

void RedisTransport::validate(const SubscriberConfig& config) const {
  validate_subscriber(config);
}

boost::asio::io_context& RedisTransport::io() {
  return core::event_loop_io(*broker_);
}
Executor& RedisTransport::loop() {
  return broker_->event_loop();
}
Logger& RedisTransport::logger() {
  return broker_->logger();
}

std::chrono::milliseconds RedisTransport::backoff(int attempt) const {
  auto delay = options_.reconnect_initial_delay * (1LL << std::min(attempt, 10));
  return std::min<std::chrono::milliseconds>(delay, options_.reconnect_max_delay);
}

Task<void> RedisTransport::connect_with_retry(std::shared_ptr<Connection> connection,
                                              const char* role) {
  for (int attempt = 0; open_; ++attempt) {
    std::string error = co_await ConnectAwaiter(connection, url_, io());
    if (error.empty()) {
      if (attempt > 0) {
        ++reconnects_;
        logger().info("redis {} connection to {} restored after {} attempt(s)", role,
                      url_.redacted(), attempt + 1);
      }
      co_return;
    }
    auto delay = backoff(attempt);
    logger().warning("redis {} connection to {} failed: {}; retrying in {} ms", role,
                     url_.redacted(), error, delay.count());
    co_await sleep(delay);
  }
}

void RedisTransport::start(BrokerCore& broker) {
  broker_ = &broker;
  open_ = true;
  consuming_ = true;
  consumers_.clear();
  for (auto& s : broker.subscribers()) {
    auto c = std::make_unique<Consumer>();
    c->core = s.get();
    c->options = options_of(s->config());
    if (c->options.source == Source::channel) c->channel = compile_channel(s->config().destination);
    c->consumer_name = c->options.stream.consumer;
    consumers_.push_back(std::move(c));
  }
  reply_channel_ = "faststream.reply." + generate_id();
  {
    std::lock_guard lock(ready_mutex_);
    not_ready_ = static_cast<int>(consumers_.size()) + 1;  // + the reply channel
    reply_ready_ = false;
  }

  // The first connection decides whether the broker is reachable at all.
  commands_ = std::make_shared<Connection>(io(), "faststream-commands");
  std::promise<std::string> connected;
  boost::asio::post(io(), [this, &connected] {
    commands_->connect(url_, [&connected](const std::string& e) { connected.set_value(e); });
  });
  auto result = connected.get_future();
  std::string error = result.wait_for(std::chrono::seconds(10)) == std::future_status::ready
                          ? result.get()
                          : "no answer within 10 s";
  if (!error.empty()) {
    open_ = false;
    // The connection is freed on the event loop, before the broker stops it.
    std::promise<void> freed;
    boost::asio::post(io(), [this, &freed] {
      commands_.reset();
      freed.set_value();
    });
    freed.get_future().wait();
    throw std::runtime_error(
        fmt::format("cannot connect to redis at {}: {}", url_.public_host(), error));
  }
  commands_->on_disconnect([this](const std::string& reason) {
    if (!open_) return;
    logger().warning("redis command connection lost ({}); reconnecting", reason);
    spawn_loop(connect_with_retry(commands_, "command"), "reconnect");
  });

  boost::asio::post(io(), [this] {
    connect_pubsub();
    for (auto& c : consumers_) {
      if (c->options.source == Source::channel) continue;
      c->connection = std::make_shared<Connection>(
          io(), fmt::format("faststream-{}", c->core->config().destination));
      spawn_loop(c->options.source == Source::list ? list_loop(c.get()) : stream_loop(c.get()),
                 "consume");
    }
  });
  std::unique_lock lock(ready_mutex_);
  if (!ready_cv_.wait_for(lock, std::chrono::seconds(10), [this] { return not_ready_ <= 0; }))
    logger().warning("redis: subscriptions not all active 10 s after start; continuing");
}

void RedisTransport::mark_ready(bool& announced) {
  if (announced) return;
  announced = true;
  std::lock_guard lock(ready_mutex_);
  if (--not_ready_ <= 0) ready_cv_.notify_all();
}

// Runs a background loop of this transport; close() waits for all of them to end.
void RedisTransport::spawn_loop(Task<void> task, const char* what) {
  background_.spawn(std::move(task), fmt::format("redis {} loop", what), logger());
}

// --- Pub/sub --------------------------------------------------------------------------------

void RedisTransport::connect_pubsub() {
  pubsub_ = std::make_shared<Connection>(io(), "faststream-pubsub");
  pubsub_->on_disconnect([this](const std::string& reason) {
    if (!open_) return;
    ++pubsub_disconnects_;
    logger().warning(
        "redis pub/sub connection lost ({}); channel messages published meanwhile are lost "
        "(pub/sub is at-most-once); reconnecting",
        reason);
    spawn_loop(pubsub_session(), "pub/sub");
  });
  spawn_loop(pubsub_session(), "pub/sub");
}

Task<void> RedisTransport::pubsub_session() {
  co_await connect_with_retry(pubsub_, "pub/sub");
  subscribe_channels();
}

void RedisTransport::subscribe_channels() {
  if (!pubsub_->connected()) return;
  pubsub_->subscribe(false, reply_channel_, [this](redisReply* r) {
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
        std::string_view(r->element[0]->str, r->element[0]->len) == "subscribe")
      mark_ready(reply_ready_);
    on_reply_message(r);
  });
  // One (P)SUBSCRIBE per distinct channel: hiredis keeps one callback per name, so
  // subscribers declared on the same channel (or on patterns that compile to the same Redis
  // pattern, like `logs.*` and `logs.{level}`) share it and each get every message.
  std::map<std::pair<bool, std::string>, std::vector<Consumer*>> by_name;
  for (auto& c : consumers_)
    if (c->options.source == Source::channel && consuming_)
      by_name[{c->channel.pattern, c->channel.redis_name}].push_back(c.get());
  for (auto& [key, group] : by_name) {
    pubsub_->subscribe(key.first, key.second, [this, group = group](redisReply* r) {
      for (Consumer* consumer : group) on_channel_message(consumer, r);
    });
  }
}

void RedisTransport::on_channel_message(Consumer* consumer, redisReply* r) {
  // ["message", channel, data] or ["pmessage", pattern, channel, data]; the rest are
  // subscription confirmations.
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
  std::string_view kind(r->element[0]->str, r->element[0]->len);
  const bool pattern = kind == "pmessage";
  if (kind == "subscribe" || kind == "psubscribe") mark_ready(consumer->announced_ready);
  if (kind != "message" && !pattern) return;
  if (!consuming_) return;
  auto* channel = r->element[pattern ? 2 : 1];
  auto* data = r->element[pattern ? 3 : 2];
  auto message = std::make_unique<RedisMessage>(this, consumer, Source::channel,
                                                std::string(channel->str, channel->len),
                                                std::string_view(data->str, data->len));
  if (pattern) message->set_pattern(std::string(r->element[1]->str, r->element[1]->len));
  if (!consumer->channel.params.empty()) {
    std::vector<std::pair<std::string, std::string>> captures;
    if (consumer->channel.capture(message->destination(), captures)) {
      message->set_path_params(std::move(captures));
    } else {
      message->set_bad_input(fmt::format(
          "channel '{}' does not fit '{}': a {{name}} placeholder takes one dot-free token",
          message->destination(), consumer->core->config().destination));
    }
  }
  MessagePtr ptr = std::move(message);
  if (consumer->core->try_deliver(ptr)) return;
  // The subscriber's queue is full: this message waits for room, and the pub/sub socket is
  // not read until there is room again. Redis then buffers for us, up to its
  // client-output-buffer-limit for pub/sub, past which it disconnects us (counted, logged).
  deliver(consumer, std::move(ptr));
  if (!pubsub_paused_ && pubsub_) {
    pubsub_paused_ = true;
    pubsub_->pause_reading();
    consumer->core->when_ready([this] {
      loop().post([this] {
        pubsub_paused_ = false;
        if (pubsub_) pubsub_->resume_reading();
      });
    });
  }
}

void RedisTransport::on_reply_message(redisReply* r) {
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
  std::string_view kind(r->element[0]->str, r->element[0]->len);
  if (kind != "message") return;
  auto* data = r->element[2];
  auto message = std::make_unique<RedisMessage>(this, nullptr, Source::channel, reply_channel_,
                                                std::string_view(data->str, data->len));
  std::string key = message->correlation_id();
  if (!replies_.complete(key, std::move(message)))
    logger().warning("a reply with correlation id {} arrived after its request gave up", key);
}

void RedisTransport::deliver(Consumer* consumer, MessagePtr message) {
  if (consumer->core->try_deliver(message)) return;
  auto* m = static_cast<RedisMessage*>(message.get());
  if (m->source() == Source::list) {
    // A popped entry exists nowhere else: it waits in `held` for the next round of list_loop
    // (which pops only what the queue takes, so this is rare), or goes back at close().
    consumer->held.push_back(std::move(message));
    return;
  }
  if (!consumer->core->running()) {
    // Stopping: a stream entry stays pending in Redis (counted, said at close()); a channel
    // message is lost (at most once), which the log says.
    if (!m->entry_id().empty()) {
      consumer->in_flight.erase(m->entry_id());
      ++consumer->left_unread;
    } else {
      logger().warning("redis: a message for '{}' arrived while stopping and was not handled",
                       consumer->core->config().destination);
    }
    return;
  }
  // The queue filled up between the room check and now: wait for room.
  auto timeout = broker_->settings().publish_timeout;
  detail::spawn(consumer->core->deliver(std::move(message), timeout),
                [this, consumer, stream_entry = !m->entry_id().empty()](std::exception_ptr e) {
                  if (!e) return;
                  if (stream_entry) {
                    ++consumer->left_unread;  // said once at close()
                  } else {
                    logger().error("redis: a message for channel '{}' was dropped: {}",
                                   consumer->core->config().destination, describe_exception(e));
                  }
                });
}

// PING on the command connection, from any thread: run on the event loop, waited for here.
bool RedisTransport::ping(std::chrono::milliseconds timeout) {
  if (!open_) return false;
  auto answered = std::make_shared<std::promise<bool>>();
  auto future = answered->get_future();
  loop().post([this, answered] {
    if (!open_ || !commands_ || !commands_->connected()) return answered->set_value(false);
    background_.spawn(
        [](RedisTransport* self, std::shared_ptr<std::promise<bool>> answered) -> Task<void> {
          bool ok = false;
          try {
            Value v = co_await self->commands_->exec(cmd("PING"));
            ok = !v.is_error() && v.str == "PONG";
          } catch (const std::exception&) {
            ok = false;  // disconnected meanwhile: not ready, which is the answer
          }
          answered->set_value(ok);
        }(this, answered),
        "redis ping", logger());
  });
  if (future.wait_for(timeout) != std::future_status::ready) return false;
  try {
    return future.get();
  } catch (const std::future_error&) {
    return false;  // the loop dropped the check (stopping)
  }
}

Task<void> RedisTransport::wait_for_room(Consumer* consumer) {
  co_await RoomAwaiter(consumer->core, &loop());
}

// --- Lists ----------------------------------------------------------------------------------

Task<void> RedisTransport::list_loop(Consumer* c) {
  const std::string key = c->core->config().destination;
  const auto& o = c->options.list;
  using Batch = std::vector<MessagePtr>;
  // Messages are built straight from hiredis's reply (no intermediate copy of it).
  // LPOP key n answers [v1, v2, ...]; BLPOP key t answers [key, value].
  auto messages_from = [this, c, key](std::size_t first) {
    return [this, c, key, first](redisReply* r) -> Batch {
      Batch out;
      if (r->type == REDIS_REPLY_ERROR) throw std::runtime_error(std::string(r->str, r->len));
      if (r->type != REDIS_REPLY_ARRAY) return out;
      for (std::size_t i = first; i < r->elements; ++i)
        out.push_back(std::make_unique<RedisMessage>(
            this, c, Source::list, key, std::string_view(r->element[i]->str, r->element[i]->len)));
      return out;
    };
  };
  co_await connect_with_retry(c->connection, "list");
  mark_ready(c->announced_ready);
  while (consuming_) {
    if (!c->connection->connected()) {
      co_await connect_with_retry(c->connection, "list");
      continue;
    }
    co_await wait_for_room(c);
    if (!consuming_) break;
    while (!c->held.empty() && c->core->try_deliver(c->held.front())) c->held.pop_front();
    if (!c->held.empty()) continue;
    // Popped entries exist nowhere else: pop only what the queue takes now, so none waits
    // in this process (see close() for the ones a stop leaves).
    const std::size_t room = c->core->room();
    if (room == 0) continue;
    const std::size_t count = std::min(std::max<std::size_t>(1, o.max_records), room);
    Batch batch;
    try {
      batch = co_await c->connection->exec_map<Batch>(cmd("LPOP", key, std::to_string(count)),
                                                      messages_from(0));
      if (batch.empty()) {
        // Empty: block for the next entry (one polling interval), then check for shutdown.
        batch = co_await c->connection->exec_map<Batch>(
            cmd("BLPOP", key, seconds_text(o.polling_interval)), messages_from(1));
      }
    } catch (const std::exception& e) {
      if (c->connection->connected()) {
        logger().error("redis list '{}': {}", key, e.what());
      }
      continue;  // connection lost: reconnect above
    }
    for (auto& m : batch) deliver(c, std::move(m));
  }
}

// Entries popped from a list and not handled when the service stops (queued and not started
// by the graceful timeout, or read while stopping) go back to the head of the list, in their
// order, before the connection closes: a graceful stop loses nothing popped.
Task<void> RedisTransport::return_to_list(Consumer* c) {
  std::vector<MessagePtr> left = c->core->take_queued();
  for (auto& m : c->held) left.push_back(std::move(m));
  c->held.clear();
  if (left.empty()) co_return;
  const std::string& key = c->core->config().destination;
  // LPUSH puts each argument at the head in turn: the last one ends up first.
  std::vector<std::string> args{"LPUSH", key};
  for (auto it = left.rbegin(); it != left.rend(); ++it)
    args.push_back(static_cast<RedisMessage*>(it->get())->raw());
  std::string error;
  if (!c->connection || !c->connection->connected()) {
    error = "not connected";
  } else {
    try {
      Value v = co_await c->connection->exec(std::move(args));
      if (v.is_error()) error = v.str;
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  if (error.empty()) {
    logger().info(
        "redis list '{}': {} popped message(s) not handled before stop pushed back to "
        "the head of the list, in order",
        key, left.size());
  } else {
    logger().error(
        "redis list '{}': {} popped message(s) not handled before stop are lost: "
        "pushing them back failed ({})",
        key, left.size(), error);
  }
}

// --- Streams --------------------------------------------------------------------------------

namespace {
// A stream entry's payload straight from the reply: the __data__ field (no copy), or the
// fields as a JSON object (into `storage`).
std::string_view entry_payload(const redisReply* fields, std::string& storage) {
  for (std::size_t i = 0; i + 1 < fields->elements; i += 2) {
    const redisReply* f = fields->element[i];
    if (std::string_view(f->str, f->len) == kDataField)
      return {fields->element[i + 1]->str, fields->element[i + 1]->len};
  }
  boost::json::object o;
  for (std::size_t i = 0; i + 1 < fields->elements; i += 2)
    o[std::string_view(fields->element[i]->str, fields->element[i]->len)] =
        std::string_view(fields->element[i + 1]->str, fields->element[i + 1]->len);
  storage = boost::json::serialize(o);
  return storage;
}
}  // namespace

// Builds the messages of an XREAD / XREADGROUP reply ([[stream, [[id, fields], ...]]]) on the
// event loop, inside hiredis's callback.
RedisTransport::StreamRead RedisTransport::read_entries(Consumer* c, const std::string& key,
                                                        redisReply* r, std::uint32_t deliveries) {
  StreamRead read;
  if (r->type == REDIS_REPLY_ERROR) {
    read.error.assign(r->str, r->len);
    return read;
  }
  if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) return read;  // BLOCK timed out
  const redisReply* stream = r->element[0];
  if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2) return read;
  const redisReply* entries = stream->element[1];
  const bool grouped = !c->options.stream.group.empty();
  read.messages.reserve(entries->elements);
  std::string storage;
  for (std::size_t i = 0; i < entries->elements; ++i) {
    const redisReply* e = entries->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2) continue;
    std::string id(e->element[0]->str, e->element[0]->len);
    auto message = std::make_unique<RedisMessage>(this, c, Source::stream, key,
                                                  e->element[1]->type == REDIS_REPLY_ARRAY
                                                      ? entry_payload(e->element[1], storage)
                                                      : std::string_view());
    if (grouped) c->in_flight[id] = std::chrono::steady_clock::now();
    read.last_id = id;
    message->set_entry(std::move(id), deliveries);
    read.messages.push_back(std::move(message));
  }
  return read;
}

MessagePtr RedisTransport::make_stream_message(Consumer* c, const Value& entry,
                                               std::string_view stream, std::uint32_t deliveries) {
  // entry: [id, [field, value, ...]]
  auto message = std::make_unique<RedisMessage>(
      this, c, Source::stream, std::string(stream),
      entry.elements.size() == 2 ? entry_payload(entry.elements[1]) : std::string());
  message->set_entry(entry.elements.empty() ? std::string() : entry.elements[0].str, deliveries);
  if (c && !c->options.stream.group.empty())
    c->in_flight[message->entry_id()] = std::chrono::steady_clock::now();
  return message;
}

Task<void> RedisTransport::stream_loop(Consumer* c) {
  const std::string key = c->core->config().destination;
  const auto& o = c->options.stream;
  const bool grouped = !o.group.empty();
  co_await connect_with_retry(c->connection, "stream");

  auto ensure_group = [](RedisTransport* self, Consumer* consumer, std::string stream,
                         bool recreated) -> Task<void> {
    const auto& so = consumer->options.stream;
    Value v = co_await consumer->connection->exec(
        cmd("XGROUP", "CREATE", stream, so.group, so.last_id, "MKSTREAM"));
    if (v.is_error() && v.str.find("BUSYGROUP") == std::string::npos)
      throw std::runtime_error("XGROUP CREATE " + stream + " " + so.group + ": " + v.str);
    if (recreated && !v.is_error()) {
      ++self->groups_recreated_;
      self->logger().warning("redis stream '{}': group '{}' was missing and is created again",
                             stream, so.group);
    }
  };

  std::string last_id = o.last_id;
  std::string read_id = "0";  // a group consumer first re-reads its own pending entries
  bool need_setup = true;
  bool first_setup = true;  // after a reconnect, a group that had to be created was lost
  if (grouped && o.min_idle_time) {
    spawn_loop(claim_loop(c), "claim");
    spawn_loop(lease_loop(c), "lease");
  }
  while (consuming_) {
    try {
      if (!c->connection->connected()) {
        co_await connect_with_retry(c->connection, "stream");
        need_setup = true;
        continue;
      }
      if (need_setup) {
        if (grouped) {
          co_await ensure_group(this, c, key, !first_setup);
          read_id = "0";
        } else if (last_id == "$") {
          // Pin "$" to the current last entry, so entries added between reads are not
          // skipped.
          Value last = co_await c->connection->exec(cmd("XREVRANGE", key, "+", "-", "COUNT", "1"));
          last_id = last.type == Value::Type::array && !last.elements.empty()
                        ? last.elements[0].elements[0].str
                        : "0-0";
        }
        need_setup = false;
        first_setup = false;
        mark_ready(c->announced_ready);
      }
      co_await wait_for_room(c);
      if (!consuming_) break;
      auto stats = c->core->stats();
      std::size_t room = c->core->config().queue_capacity > stats.queued
                             ? c->core->config().queue_capacity - stats.queued
                             : 1;
      std::string count = std::to_string(std::max<std::size_t>(1, std::min(o.max_records, room)));
      std::string block = std::to_string(o.polling_interval.count());
      // Pending entries re-read after a restart were delivered before (claiming gives
      // exact counts).
      const std::uint32_t deliveries = grouped && read_id != ">" ? 2 : 1;
      auto map = [this, c, key, deliveries](redisReply* r) {
        return read_entries(c, key, r, deliveries);
      };
      StreamRead read;
      if (grouped) {
        read = co_await c->connection->exec_map<StreamRead>(
            cmd("XREADGROUP", "GROUP", o.group, c->consumer_name, "COUNT", count, "BLOCK", block,
                "STREAMS", key, read_id),
            map);
        if (read.error.find("NOGROUP") != std::string::npos) {
          co_await ensure_group(this, c, key, true);
          read_id = "0";
          continue;
        }
      } else {
        read = co_await c->connection->exec_map<StreamRead>(
            cmd("XREAD", "COUNT", count, "BLOCK", block, "STREAMS", key, last_id), map);
      }
      if (!read.error.empty()) {
        logger().error("redis stream '{}': {}", key, read.error);
        co_await sleep(o.polling_interval);
        continue;
      }
      if (grouped && read_id != ">") {
        // Own pending entries first; once none are left, the new ones.
        if (read.messages.empty()) {
          read_id = ">";
          continue;
        }
        read_id = read.last_id;
      }
      if (!grouped && !read.last_id.empty()) last_id = read.last_id;
      for (auto& m : read.messages) deliver(c, std::move(m));
    } catch (const std::exception& e) {
      if (c->connection->connected()) {
        logger().error("redis stream '{}': {}", key, e.what());
      }
    }
  }
}

// Claims entries other consumers left pending longer than min_idle_time; dead-letters the
// ones delivered too often.
Task<void> RedisTransport::claim_loop(Consumer* c) {
  const std::string key = c->core->config().destination;
  const auto& o = c->options.stream;
  const auto period =
      std::max<std::chrono::milliseconds>(*o.min_idle_time / 2, std::chrono::milliseconds(20));
  while (consuming_) {
    co_await sleep(period);
    if (!consuming_ || !commands_->connected()) continue;
    try {
      co_await wait_for_room(c);
      Value v = co_await commands_->exec(cmd(
          "XAUTOCLAIM", key, o.group, c->consumer_name, std::to_string(o.min_idle_time->count()),
          c->autoclaim_cursor, "COUNT", std::to_string(o.max_records)));
      if (v.is_error() || v.type != Value::Type::array || v.elements.size() < 2) continue;
      c->autoclaim_cursor = v.elements[0].str;
      std::vector<const Value*> claimed;
      for (const auto& entry : v.elements[1].elements)
        if (entry.type == Value::Type::array && entry.elements.size() == 2)
          claimed.push_back(&entry);
      if (claimed.empty()) continue;
      // Their delivery counts (XAUTOCLAIM does not return them): one XPENDING over the claimed
      // range for this consumer, which also lists its own pending entries in that range; an
      // entry it leaves out (the range held more than asked for) is asked for alone.
      const std::string& first = claimed.front()->elements[0].str;
      const std::string& last = claimed.back()->elements[0].str;
      std::map<std::string, std::uint32_t> deliveries_of;
      auto read_counts = [&deliveries_of](const Value& p) {
        if (p.type != Value::Type::array) return;
        for (const auto& row : p.elements)
          if (row.type == Value::Type::array && row.elements.size() >= 4)
            deliveries_of[row.elements[0].str] =
                static_cast<std::uint32_t>(row.elements[3].integer);
      };
      read_counts(co_await commands_->exec(
          cmd("XPENDING", key, o.group, first, last,
              std::to_string(claimed.size() + c->in_flight.size() + 16), c->consumer_name)));
      for (const Value* claimed_entry : claimed) {
        const Value& entry = *claimed_entry;
        const std::string& id = entry.elements[0].str;
        if (!deliveries_of.contains(id))
          read_counts(co_await commands_->exec(cmd("XPENDING", key, o.group, id, id, "1")));
        const std::uint32_t deliveries = deliveries_of.contains(id) ? deliveries_of[id] : 1;
        if (o.dead_letter_after > 0 && deliveries > o.dead_letter_after) {
          co_await dead_letter(c, entry, deliveries);
          continue;
        }
        deliver(c, make_stream_message(c, entry, key, deliveries));
      }
    } catch (const std::exception& e) {
      logger().warning("redis stream '{}': claiming failed: {}", key, e.what());
    }
  }
}

// Moves an entry to the dead-letter stream and acks it on the source, in one MULTI/EXEC: a
// crash in between duplicates (at worst), never loses.
Task<void> RedisTransport::dead_letter(Consumer* c, const Value& entry, std::uint32_t deliveries) {
  const std::string key = c->core->config().destination;
  const auto& o = c->options.stream;
  const std::string& id = entry.elements[0].str;
  std::string raw = entry_payload(entry.elements[1]);
  std::string payload;
  try {
    auto parsed = envelope::parse(raw);
    Headers headers = parsed.headers;
    headers.set("x-dead-letter-reason",
                fmt::format("delivered {} times (limit {})", deliveries, o.dead_letter_after));
    headers.set("x-dead-letter-source", key);
    headers.set("x-dead-letter-group", o.group);
    headers.set("x-dead-letter-entry-id", id);
    envelope::encode(payload, parsed.body, headers);
  } catch (const std::exception& e) {
    Headers headers{{"x-dead-letter-reason", std::string("unreadable: ") + e.what()},
                    {"x-dead-letter-source", key},
                    {"x-dead-letter-entry-id", id}};
    envelope::encode(payload, raw, headers);
  }
  std::vector<std::string> xadd{"XADD", o.dead_letter_stream};
  if (o.maxlen_dead_letters) {
    xadd.insert(xadd.end(), {"MAXLEN", "~", std::to_string(*o.maxlen_dead_letters)});
  }
  xadd.insert(xadd.end(), {"*", std::string(kDataField), payload});
  // Queued back to back on one connection: nothing else can run between MULTI and EXEC.
  std::vector<std::string_view> multi{"MULTI"};
  std::vector<std::string_view> add(xadd.begin(), xadd.end());
  std::vector<std::string_view> ack{"XACK", key, o.group, id};
  commands_->send(multi, [](redisReply*) {});
  commands_->send(add, [](redisReply*) {});
  commands_->send(ack, [](redisReply*) {});
  Value result = co_await commands_->exec(cmd("EXEC"));
  if (result.is_error() || result.is_nil())
    throw std::runtime_error("dead-lettering " + id + " failed: " + result.str);
  logger().warning(
      "redis stream '{}': entry {} moved to dead-letter stream '{}' after {} "
      "deliveries",
      key, id, o.dead_letter_stream, deliveries);
}

// Keeps the entries being handled from being claimed by other consumers: their idle time is
// reset well before min_idle_time passes.
Task<void> RedisTransport::lease_loop(Consumer* c) {
  const std::string key = c->core->config().destination;
  const auto& o = c->options.stream;
  const auto period =
      std::max<std::chrono::milliseconds>(*o.min_idle_time / 3, std::chrono::milliseconds(10));
  while (open_ && (consuming_ || !c->in_flight.empty())) {
    co_await sleep(period);
    if (!commands_->connected() || c->in_flight.empty()) continue;
    auto now = std::chrono::steady_clock::now();
    std::vector<std::string> args{"XCLAIM", key, o.group, c->consumer_name, "0"};
    for (auto& [id, since] : c->in_flight) {
      if (now - since >= period) {
        args.push_back(id);
        since = now;
      }
    }
    if (args.size() == 5) continue;
    args.push_back("JUSTID");
    try {
      (void)co_await commands_->exec(std::move(args));
    } catch (const std::exception&) {
    }
  }
}

void RedisTransport::ack_stream_entry(Consumer* consumer, std::string entry_id) {
  bool first = false;
  {
    std::lock_guard lock(consumer->ack_mutex);
    first = consumer->pending_acks.empty();
    consumer->pending_acks.push_back(std::move(entry_id));
  }
  // One wake-up of the event loop per batch of acks, not per message.
  if (first) loop().post([this, consumer] { flush_acks(consumer); });
}

void RedisTransport::flush_acks(Consumer* consumer) {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(consumer->ack_mutex);
    ids.swap(consumer->pending_acks);
  }
  if (ids.empty()) return;
  const auto& o = consumer->options.stream;
  std::vector<std::string_view> args{"XACK", consumer->core->config().destination, o.group};
  for (const auto& id : ids) {
    consumer->in_flight.erase(id);
    args.push_back(id);
  }
  const std::size_t n = ids.size();
  if (!commands_ || !commands_->send(args, [this, n](redisReply* r) {
        if (!r || r->type == REDIS_REPLY_ERROR)
          logger().warning("redis: XACK of {} entr(ies) failed ({}); they stay pending", n,
                           r ? std::string(r->str, r->len) : "connection lost");
      }))
    logger().warning("redis: XACK of {} entr(ies) not sent (disconnected); they stay pending", n);
}

void RedisTransport::release_stream_entry(Consumer* consumer, const std::string& entry_id) {
  loop().post([consumer, id = entry_id] { consumer->in_flight.erase(id); });
}

// --- Publishing -----------------------------------------------------------------------------

Task<void> RedisTransport::wait_connected(std::chrono::milliseconds timeout) {
  if (commands_ && commands_->connected()) co_return;
  if (!open_) throw BrokerNotRunning("the redis broker is not running");
  if (!options_.wait_for_reconnect)
    throw BrokerNotRunning(
        fmt::format("redis at {} is unreachable (reconnecting); publish refused because "
                    "wait_for_reconnect is off",
                    url_.public_host()));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!(commands_ && commands_->connected())) {
    if (std::chrono::steady_clock::now() >= deadline || !open_)
      throw PublishTimeout(
          fmt::format("redis at {} stayed unreachable for {} ms; the message was not sent",
                      url_.public_host(), timeout.count()));
    co_await sleep(std::chrono::milliseconds(10));
  }
}

Task<void> RedisTransport::send_publish(std::vector<std::string> args,
                                        std::chrono::milliseconds timeout, std::string destination,
                                        Source kind, bool require_receiver, PublishResult* result) {
  Executor* origin = detail::current_executor();
  co_await SwitchTo(&loop());
  std::exception_ptr error;
  Value reply;
  try {
    co_await wait_connected(timeout);
    reply = co_await commands_->exec(std::move(args));
  } catch (...) {
    error = std::current_exception();
  }
  co_await SwitchTo(origin);
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (const PublishError&) {
      throw;
    } catch (const std::exception& e) {
      throw PublishError(fmt::format(
          "publishing to '{}' failed: {} (the connection dropped: the message may or may not "
          "have been stored)",
          destination, e.what()));
    }
  }
  if (reply.is_error())
    throw PublishError(
        fmt::format("redis refused the publish to '{}': {}", destination, reply.str));
  // PUBLISH answers how many subscribers received the message (RPUSH the list's length:
  // not reported); XADD the new entry's id.
  if (result) {
    if (kind == Source::channel && reply.type == Value::Type::integer)
      result->receivers = static_cast<std::uint64_t>(reply.integer);
    if (kind == Source::stream && reply.type == Value::Type::string) result->id = reply.str;
  }
  // Pub/sub keeps nothing: a PUBLISH that reached nobody is lost.
  if (require_receiver && reply.type == Value::Type::integer && reply.integer == 0)
    throw NoResponders(fmt::format(
        "nobody received the message: redis counted 0 subscribers of channel '{}' (pub/sub "
        "keeps nothing)",
        destination));
}

Task<void> RedisTransport::publish(OutgoingMessage message) {
  if (!open_) throw BrokerNotRunning("the redis broker is not running: start it first");
  std::string payload;
  envelope::encode(payload, message);
  TargetOptions target;
  if (auto* t = core::options_of<Tag, TargetOptions>(message.native, message.destination))
    target = *t;
  std::vector<std::string> args;
  switch (target.kind) {
    case Source::channel:
      args = {"PUBLISH", message.destination, std::move(payload)};
      break;
    case Source::list:
      args = {"RPUSH", message.destination, std::move(payload)};
      break;
    case Source::stream:
      args = {"XADD", message.destination};
      if (target.maxlen) args.insert(args.end(), {"MAXLEN", "~", std::to_string(*target.maxlen)});
      args.insert(args.end(), {"*", std::string(kDataField), std::move(payload)});
      break;
  }
  auto timeout =
      message.timeout.count() > 0 ? message.timeout : broker_->settings().publish_timeout;
  return send_publish(std::move(args), timeout, message.destination, target.kind,
                      target.kind == Source::channel && message.require_receiver, message.result);
}

Task<void> RedisTransport::publish_batch(std::vector<OutgoingMessage> messages) {
  auto kind_of = [](const OutgoingMessage& m) {
    auto* t = core::options_of<Tag, TargetOptions>(m.native, m.destination);
    return t ? t->kind : Source::channel;
  };
  const bool one_list =
      !messages.empty() && std::all_of(messages.begin(), messages.end(), [&](const auto& m) {
        return kind_of(m) == Source::list && m.destination == messages.front().destination;
      });
  if (!one_list) return Transport::publish_batch(std::move(messages));
  if (!open_) throw BrokerNotRunning("the redis broker is not running: start it first");
  // A list takes the whole batch in one RPUSH: atomic and in order.
  std::vector<std::string> args{"RPUSH", messages.front().destination};
  for (auto& m : messages) {
    std::string payload;
    envelope::encode(payload, m);
    args.push_back(std::move(payload));
  }
  auto timeout = messages.front().timeout.count() > 0 ? messages.front().timeout
                                                      : broker_->settings().publish_timeout;
  return send_publish(std::move(args), timeout, messages.front().destination, Source::list, false,
                      nullptr);
}

Task<MessagePtr> RedisTransport::request(OutgoingMessage message,
                                         std::chrono::milliseconds timeout) {
  return
      [](RedisTransport* self, OutgoingMessage m, std::chrono::milliseconds t) -> Task<MessagePtr> {
        auto& replies = self->replies_;
        const std::string key = m.correlation_id;
        const std::string destination = m.destination;
        auto pending = replies.add(key);
        m.reply_to = self->reply_channel_;
        // A request whose PUBLISH reached nobody gets no answer: fail now, not at the timeout.
        m.require_receiver = true;
        std::exception_ptr error;
        MessagePtr reply;
        try {
          co_await self->publish(std::move(m));
          reply = co_await replies.wait(pending, *self->broker_, t, destination);
        } catch (...) {
          error = std::current_exception();
        }
        replies.remove(key);
        if (error) std::rethrow_exception(error);
        co_return reply;
      }(this, std::move(message), timeout);
}

// --- Shutdown -------------------------------------------------------------------------------

void RedisTransport::stop_consuming() {
  consuming_ = false;
  if (!broker_) return;
  // Channel subscriptions end now; the reply channel stays for requests made while draining.
  std::promise<void> done;
  boost::asio::post(io(), [this, &done] {
    if (pubsub_ && pubsub_->connected()) {
      // Once per distinct name, as subscribed (see subscribe_channels).
      std::set<std::pair<bool, std::string>> names;
      for (auto& c : consumers_)
        if (c->options.source == Source::channel)
          names.emplace(c->channel.pattern, c->channel.redis_name);
      for (const auto& [pattern, name] : names) {
        const std::string_view args[] = {pattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", name};
        pubsub_->send_no_reply(args);
      }
    }
    done.set_value();
  });
  done.get_future().wait_for(std::chrono::seconds(2));
}

void RedisTransport::close() {
  if (!broker_) return;
  consuming_ = false;
  open_ = false;
  replies_.close_all();
  // Loops sleeping on a timer end now (Cancelled); those in a blocking read end within one
  // polling interval.
  core::cancel_timers(*broker_);
  if (!background_.wait(std::chrono::seconds(5), [this] { core::cancel_timers(*broker_); }))
    logger().warning("redis: {} background loop(s) did not stop in time", background_.running());
  // Lists: what was popped and not handled goes back; streams: say what stays pending.
  for (auto& c : consumers_) {
    if (c->options.source == Source::list) {
      std::promise<void> returned;
      boost::asio::post(io(), [this, c = c.get(), &returned] {
        detail::spawn(return_to_list(c), [&returned](std::exception_ptr) { returned.set_value(); });
      });
      returned.get_future().wait_for(std::chrono::seconds(5));
      continue;
    }
    if (c->options.source != Source::stream) continue;
    c->left_unread += c->core->take_queued().size();  // queued, never started: still pending
    if (c->left_unread > 0) {
      const auto& so = c->options.stream;
      if (so.group.empty()) {
        logger().info(
            "redis stream '{}': {} entry(ies) read but not handled before stop; "
            "without a group nothing keeps them for this consumer",
            c->core->config().destination, c->left_unread.load());
      } else {
        logger().info(
            "redis stream '{}': {} entry(ies) read but not handled before stop stay "
            "pending in group '{}' and are delivered again when consumer '{}' "
            "restarts{}",
            c->core->config().destination, c->left_unread.load(), so.group, c->consumer_name,
            so.min_idle_time ? " (or claimed by another consumer after min_idle_time)" : "");
      }
    }
  }
  // Connections are freed on the event loop, while it still runs.
  std::promise<void> done;
  boost::asio::post(io(), [this, &done] {
    if (commands_) commands_->close();
    if (pubsub_) pubsub_->close();
    for (auto& c : consumers_)
      if (c->connection) c->connection->close();
    commands_.reset();
    pubsub_.reset();
    for (auto& c : consumers_) c->connection.reset();
    done.set_value();
  });
  done.get_future().wait_for(std::chrono::seconds(2));
}

Broker::Stats RedisTransport::stats() const {
  return {reconnects_.load(), pubsub_disconnects_.load(), groups_recreated_.load()};
}

// --- Public pieces --------------------------------------------------------------------------

SubscriberConfig SubscriberOptions::to_config(std::string destination) const {
  SubscriberConfig config;
  config.destination = std::move(destination);
  config.queue_capacity = queue_capacity == 0 ? 1 : queue_capacity;
  // Unstarted messages stay in Redis (streams: pending) or are at-most-once anyway.
  config.drain_queued_on_stop = source != Source::stream;
  if (source == Source::list && list.max_records > 1)
    config.queue_capacity = std::max(config.queue_capacity, list.max_records);
  config.native = core::tag_options<Tag>(*this);
  return config;
}

Target to_channel(std::string name) {
  return Target(std::move(name), core::tag_options<Tag>(TargetOptions{Source::channel, {}}));
}
Target to_list(std::string name) {
  return Target(std::move(name), core::tag_options<Tag>(TargetOptions{Source::list, {}}));
}
Target to_stream(std::string name, std::optional<std::size_t> maxlen) {
  return Target(std::move(name), core::tag_options<Tag>(TargetOptions{Source::stream, maxlen}));
}

Broker::Broker(std::string url, BrokerSettings settings, BrokerOptions options)
    : BasicBroker(std::make_unique<BrokerCore>(
          std::make_unique<RedisTransport>(std::move(url), options), std::move(settings))) {}
Broker::~Broker() = default;

Broker::Stats Broker::stats() const {
  if (auto* t = dynamic_cast<const RedisTransport*>(&core_->transport())) return t->stats();
  return {};
}

}  // namespace faststream::redis
