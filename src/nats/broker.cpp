// The NATS transport. nats.c owns its threads (a reader per connection, a delivery thread
// per subscription, a fetch thread per pull consumer of ours); they hand messages to the
// subscribers' queues, blocking while a queue is full so that nats.c's pending limits take
// the overflow (beyond them: slow-consumer drops, logged and counted).
#include <fmt/format.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cstdlib>

#include "core/backend.hpp"
#include "faststream/exceptions.hpp"
#include "nats/transport.hpp"

namespace faststream::nats {
namespace {

std::int64_t to_nanos(std::chrono::nanoseconds d) {
  return static_cast<std::int64_t>(d.count());
}

// Headers of a received natsMsg, in nats.c's order.
Headers read_headers(natsMsg* raw) {
  Headers out;
  const char** keys = nullptr;
  int count = 0;
  if (natsMsgHeader_Keys(raw, &keys, &count) != NATS_OK) return out;
  out.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    const char** values = nullptr;
    int n = 0;
    if (natsMsgHeader_Values(raw, keys[i], &values, &n) == NATS_OK) {
      for (int j = 0; j < n; ++j) out.add(keys[i], values[j]);
      std::free(static_cast<void*>(values));
    }
  }
  std::free(static_cast<void*>(keys));
  return out;
}

// Waits (blocking a nats.c thread) until a subscriber's queue has room, it closed, or
// `max_wait` passed.
void wait_for_room(SubscriberCore* core, std::chrono::milliseconds max_wait) {
  struct Room {
    std::mutex mutex;
    std::condition_variable cv;
    bool ready = false;
  };
  auto room = std::make_shared<Room>();
  core->when_ready([room] {
    std::lock_guard lock(room->mutex);
    room->ready = true;
    room->cv.notify_all();
  });
  std::unique_lock lock(room->mutex);
  room->cv.wait_for(lock, max_wait, [&] { return room->ready; });
}

// The outcome of a JetStream publish, handed from nats.c's PubAck callback to the waiting
// publisher through the reply registry.
class PubAckResult final : public faststream::Message {
 public:
  std::string error;           // empty: stored
  bool no_responders = false;  // no stream stores the subject
  std::string stream;          // stored: where, at which sequence, or a duplicate
  std::uint64_t sequence = 0;
  bool duplicate = false;

 protected:
  void on_settle(Settlement, const NackOptions&) override {}
};

}  // namespace

// --- Messages -------------------------------------------------------------------------------

class NatsMessage final : public Message {
 public:
  // Takes `raw`. Core messages are copied and released at once; JetStream ones are kept
  // for settling.
  NatsMessage(Consumer* consumer, natsMsg* raw, bool jetstream) : consumer_(consumer) {
    source_ = jetstream ? Source::jetstream : Source::core;
    destination_ = natsMsg_GetSubject(raw);
    body_.assign(natsMsg_GetData(raw), static_cast<std::size_t>(natsMsg_GetDataLength(raw)));
    headers_ = read_headers(raw);
    adopt_standard_headers();
    // Core NATS answers to the NATS reply subject (a `reply_to` header is not FastStream's on
    // core NATS); JetStream's NATS reply carries the ack, so there the header is the answer.
    if (!jetstream) {
      const char* reply = natsMsg_GetReply(raw);
      reply_to_ = reply ? reply : "";
    }
    no_responders_ = natsMsg_IsNoResponders(raw);
    if (!jetstream) {
      natsMsg_Destroy(raw);
      return;
    }
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, raw) == NATS_OK) {
      delivery_count_ = static_cast<std::uint32_t>(std::max<std::uint64_t>(1, meta->NumDelivered));
      stream_ = meta->Stream ? meta->Stream : "";
      stream_sequence_ = meta->Sequence.Stream;
      timestamp_ = std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::nanoseconds(meta->Timestamp)));
      jsMsgMetaData_Destroy(meta);
    }
    std::lock_guard lock(consumer_->unsettled_mutex);
    raw_ = raw;
    consumer_->unsettled.emplace(this, std::chrono::steady_clock::now());
  }

  // A Key-Value watch entry (at most once: nothing to settle).
  NatsMessage(Consumer* consumer, kvEntry* entry) : consumer_(consumer) {
    source_ = Source::kv;
    destination_ = kvEntry_Key(entry);
    body_.assign(static_cast<const char*>(kvEntry_Value(entry)),
                 static_cast<std::size_t>(kvEntry_ValueLen(entry)));
    stream_ = "KV_" + consumer->options.kv->bucket.bucket;
    stream_sequence_ = kvEntry_Revision(entry);
    switch (kvEntry_Operation(entry)) {
      case kvOp_Put:
        kv_operation_ = KvOperation::put;
        break;
      case kvOp_Delete:
        kv_operation_ = KvOperation::del;
        break;
      case kvOp_Purge:
        kv_operation_ = KvOperation::purge;
        break;
      default:
        break;
    }
    correlation_id_ = generate_id();
  }

  ~NatsMessage() override {
    if (!consumer_ || source_ != Source::jetstream) return;
    std::lock_guard lock(consumer_->unsettled_mutex);
    consumer_->unsettled.erase(this);
    if (raw_) natsMsg_Destroy(raw_);
  }

  bool no_responders() const noexcept { return no_responders_; }

  DeliveryCapabilities capabilities() const noexcept override {
    if (source_ == Source::jetstream) return {true, true};
    return {};
  }
  std::string broker_ref() const override {
    if (source_ != Source::jetstream || stream_sequence_ == 0) return {};
    return fmt::format("stream {} sequence {}", stream_, stream_sequence_);
  }

  void in_progress() override {
    if (source_ != Source::jetstream) return;
    std::lock_guard lock(consumer_->unsettled_mutex);
    if (!raw_) return;
    natsMsg_InProgress(raw_, nullptr);
    consumer_->unsettled[this] = std::chrono::steady_clock::now();
  }

  // With the consumer's unsettled_mutex held: InProgress for the lease loop.
  void in_progress_locked() {
    if (raw_) natsMsg_InProgress(raw_, nullptr);
  }
  // With the consumer's unsettled_mutex held: the connection is closing; hand the message
  // back (Nak) so another consumer gets it now rather than after ack_wait.
  void release_locked() {
    if (!raw_) return;
    natsMsg_Nak(raw_, nullptr);
    natsMsg_Destroy(raw_);
    raw_ = nullptr;
  }

 protected:
  void on_settle(Settlement settlement, const NackOptions& options) override {
    if (source_ != Source::jetstream) return;  // core NATS: at most once, nothing to tell
    const auto& o = consumer_->options;
    if (settlement != Settlement::ack && o.dead_letter_after > 0 &&
        delivery_count_ >= o.dead_letter_after) {
      natsMsg* raw = nullptr;
      {
        std::lock_guard lock(consumer_->unsettled_mutex);
        consumer_->unsettled.erase(this);
        raw = std::exchange(raw_, nullptr);
      }
      if (raw) consumer_->transport->dead_letter(consumer_, raw, letter());
      return;
    }
    std::lock_guard lock(consumer_->unsettled_mutex);
    consumer_->unsettled.erase(this);
    if (!raw_) return;
    natsStatus s = NATS_OK;
    const char* what = "ack";
    switch (settlement) {
      case Settlement::ack:
        s = natsMsg_Ack(raw_, nullptr);
        break;
      case Settlement::nack:
        what = "nak";
        s = options.delay.count() > 0 ? natsMsg_NakWithDelay(raw_, options.delay.count(), nullptr)
                                      : natsMsg_Nak(raw_, nullptr);
        break;
      case Settlement::reject:
        what = "term";
        s = natsMsg_Term(raw_, nullptr);
        break;
      case Settlement::none:
        return;
    }
    if (s != NATS_OK && consumer_->transport->open())
      consumer_->transport->logger().error(
          "nats: {} of stream '{}' sequence {} failed: {} (the server redelivers it after "
          "ack_wait)",
          what, stream_, stream_sequence_, status_text(s));
  }

 private:
  // The dead letter: body and headers kept, the reason and origin added. Its Nats-Msg-Id
  // names the original (stream + sequence), so a retried dead-letter publish is stored once.
  OutgoingMessage letter() const {
    const auto& o = consumer_->options;
    OutgoingMessage out;
    out.destination = o.dead_letter_subject;
    out.body = body_;
    out.content_type = content_type_;
    out.correlation_id = correlation_id_;
    out.message_id = message_id_;
    out.headers = headers_;
    out.headers.erase(kMsgIdHeader);
    std::string reason =
        fmt::format("delivered {} times (limit {})", delivery_count_, o.dead_letter_after);
    if (!failure_reason().empty()) reason = failure_reason() + "; " + reason;
    out.headers.set(kDeadLetterReason, std::move(reason));
    out.headers.set(kDeadLetterSource, destination_);
    out.headers.set(kDeadLetterStream, stream_);
    out.headers.set(kDeadLetterSequence, std::to_string(stream_sequence_));
    out.headers.set(kDeadLetterDeliveries, std::to_string(delivery_count_));
    out.headers.set(kMsgIdHeader, fmt::format("dead-letter.{}.{}", stream_, stream_sequence_));
    out.native = core::tag_options<Tag>(TargetOptions{Source::jetstream, {}});
    return out;
  }

  Consumer* consumer_;
  natsMsg* raw_ = nullptr;  // JetStream only; guarded by consumer_->unsettled_mutex
  bool no_responders_ = false;
};

// --- nats.c callbacks -----------------------------------------------------------------------

namespace {
void message_trampoline(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* consumer = static_cast<Consumer*>(closure);
  consumer->transport->on_message(consumer, msg);
}
void reply_trampoline(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  static_cast<NatsTransport*>(closure)->on_reply(msg);
}
void pub_ack_trampoline(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure) {
  static_cast<NatsTransport*>(closure)->on_pub_ack(msg, ack, error);
}
void error_trampoline(natsConnection*, natsSubscription* sub, natsStatus status, void* closure) {
  static_cast<NatsTransport*>(closure)->on_async_error(sub, status);
}
void disconnected_trampoline(natsConnection* nc, void* closure) {
  static_cast<NatsTransport*>(closure)->on_disconnected(nc);
}
void reconnected_trampoline(natsConnection* nc, void* closure) {
  static_cast<NatsTransport*>(closure)->on_reconnected(nc);
}
void closed_trampoline(natsConnection*, void* closure) {
  static_cast<NatsTransport*>(closure)->on_closed();
}
}  // namespace

// --- Transport ------------------------------------------------------------------------------

const SubscriberOptions& options_of(const SubscriberConfig& config) {
  static const SubscriberOptions defaults;
  auto* options = core::options_of<Tag, SubscriberOptions>(config.native, config.destination);
  return options ? *options : defaults;
}

void validate_subscriber(const SubscriberConfig& config) {
  const auto& o = options_of(config);
  (void)plan_subject(config.destination);  // throws ConfigError
  if (o.kv) {
    if (o.kv->bucket.bucket.empty())
      throw ConfigError(
          fmt::format("key-value watch '{}': the bucket needs a name", config.destination));
    if (o.stream || !o.queue.empty() || o.dead_letter_after > 0)
      throw ConfigError(fmt::format(
          "key-value watch '{}': stream, queue and dead letters do not apply to a watch",
          config.destination));
    if (config.destination.find('{') != std::string::npos)
      throw ConfigError(fmt::format(
          "key-value watch '{}': use `*` or `>` in key filters, not {{name}} placeholders",
          config.destination));
    return;
  }
  if (o.dead_letter_after > 0 && (!o.stream || o.dead_letter_subject.empty()))
    throw ConfigError(
        fmt::format("subject '{}': dead letters need a JetStream stream and dead_letter_subject",
                    config.destination));
  if (!o.stream) {
    if (!o.durable.empty() || o.pull)
      throw ConfigError(
          fmt::format("subject '{}': durable and pull are JetStream options; set `stream` too",
                      config.destination));
    return;
  }
  if (o.stream->name.empty())
    throw ConfigError(
        fmt::format("subject '{}': the JetStream stream needs a name", config.destination));
  if (o.pull && !o.queue.empty())
    throw ConfigError(fmt::format(
        "subject '{}': a pull consumer has no queue group; consumers sharing a durable name "
        "share its messages",
        config.destination));
  if (o.pull && o.pull->batch == 0)
    throw ConfigError(fmt::format("subject '{}': Pull::batch must be > 0", config.destination));
  if (o.deliver_policy == DeliverPolicy::by_start_time && !o.start_time)
    throw ConfigError(fmt::format("subject '{}': DeliverPolicy::by_start_time needs start_time",
                                  config.destination));
  if (o.deliver_policy == DeliverPolicy::by_start_sequence && o.start_sequence == 0)
    throw ConfigError(
        fmt::format("subject '{}': DeliverPolicy::by_start_sequence needs start_sequence > 0",
                    config.destination));
  if (o.ack_wait < std::chrono::milliseconds(100))
    throw ConfigError(
        fmt::format("subject '{}': ack_wait must be at least 100 ms", config.destination));
}

NatsTransport::NatsTransport(std::string url, BrokerOptions options)
    : url_(parse_url(url)), options_(std::move(options)) {}

NatsTransport::~NatsTransport() {
  if (open_) close();
}

Logger& NatsTransport::logger() {
  return broker_->logger();
}

ServerSpec NatsTransport::server_spec() const {
  return {url_.public_hosts(), "nats", "", "", ""};
}

SpecBindings NatsTransport::subscriber_bindings(const SubscriberConfig& config) const {
  const auto& o = options_of(config);
  SpecBindings b;
  // AsyncAPI's NATS operation binding carries the queue group (bindings/nats, 0.1.0).
  if (!o.queue.empty())
    b.operation = boost::json::serialize(boost::json::object{
        {"nats", boost::json::object{{"queue", o.queue}, {"bindingVersion", "0.1.0"}}}});
  return b;
}

SpecBindings NatsTransport::publisher_bindings(const PublisherTarget&) const {
  return {};
}

OptionsPtr NatsTransport::make_options(const std::string& name, bool send_asap) {
  natsOptions* raw = nullptr;
  check(natsOptions_Create(&raw), "nats: cannot create options");
  OptionsPtr opts(raw);
  auto servers = url_.server_urls();
  std::vector<const char*> list;
  for (const auto& s : servers) list.push_back(s.c_str());
  check(natsOptions_SetServers(raw, list.data(), static_cast<int>(list.size())),
        "nats: bad server list");
  const std::string& user = url_.user.empty() ? options_.user : url_.user;
  const std::string& password = url_.password.empty() ? options_.password : url_.password;
  const std::string& token = url_.token.empty() ? options_.token : url_.token;
  if (!user.empty() || !password.empty())
    check(natsOptions_SetUserInfo(raw, user.c_str(), password.c_str()), "nats: user info");
  if (!token.empty()) check(natsOptions_SetToken(raw, token.c_str()), "nats: token");
  if (url_.tls || options_.tls) {
    check(natsOptions_SetSecure(raw, true), "nats: TLS");
    if (!options_.tls_ca_file.empty())
      check(natsOptions_LoadCATrustedCertificates(raw, options_.tls_ca_file.c_str()),
            "nats: cannot load the CA file " + options_.tls_ca_file);
    if (!options_.tls_cert_file.empty())
      check(natsOptions_LoadCertificatesChain(raw, options_.tls_cert_file.c_str(),
                                              options_.tls_key_file.c_str()),
            "nats: cannot load the client certificate " + options_.tls_cert_file);
  }
  natsOptions_SetName(raw, name.c_str());
  natsOptions_SetTimeout(raw, 2'000);
  natsOptions_SetAllowReconnect(raw, true);
  natsOptions_SetMaxReconnect(raw, options_.max_reconnect_attempts);
  natsOptions_SetReconnectWait(raw, options_.reconnect_wait.count());
  natsOptions_SetReconnectBufSize(raw, options_.reconnect_buffer_bytes);
  if (!options_.randomize_servers) natsOptions_SetNoRandomize(raw, true);
  natsOptions_SetErrorHandler(raw, error_trampoline, this);
  natsOptions_SetDisconnectedCB(raw, disconnected_trampoline, this);
  natsOptions_SetReconnectedCB(raw, reconnected_trampoline, this);
  natsOptions_SetClosedCB(raw, closed_trampoline, this);
  if (send_asap) natsOptions_SetSendAsap(raw, true);
  return opts;
}

void NatsTransport::connect(ConnectionPtr& connection, const std::string& name, bool send_asap) {
  auto opts = make_options(name, send_asap);
  natsConnection* raw = nullptr;
  natsStatus s = natsConnection_Connect(&raw, opts.get());
  if (s != NATS_OK)
    throw std::runtime_error(
        fmt::format("cannot connect to nats at {}: {}", url_.public_hosts(), status_text(s)));
  {
    std::lock_guard lock(closed_mutex_);
    ++connections_open_;
  }
  connection.reset(raw);
}

void NatsTransport::on_closed() {
  std::lock_guard lock(closed_mutex_);
  --connections_open_;
  closed_cv_.notify_all();
}

void NatsTransport::start(BrokerCore& broker) {
  broker_ = &broker;
  consumers_.clear();
  for (auto& s : broker.subscribers()) {
    auto c = std::make_unique<Consumer>();
    c->transport = this;
    c->core = s.get();
    c->options = options_of(s->config());
    c->subject = plan_subject(s->config().destination);
    if (!c->subject.params.empty()) c->captures = core::Pattern::compile(s->config().destination);
    consumers_.push_back(std::move(c));
  }
  try {
    connect(sub_conn_, options_.connection_name, false);
    connect(pub_conn_, options_.connection_name + "-publish", false);
    connect(rpc_conn_, options_.connection_name + "-rpc", true);
    open_ = true;

    jsOptions js_opts;
    jsOptions_Init(&js_opts);
    jsCtx* js = nullptr;
    check(natsConnection_JetStream(&js, sub_conn_.get(), &js_opts), "nats: JetStream context");
    sub_js_.reset(js);
    js_opts.PublishAsync.AckHandler = pub_ack_trampoline;
    js_opts.PublishAsync.AckHandlerClosure = this;
    js_opts.PublishAsync.MaxPending = 65'536;
    check(natsConnection_JetStream(&js, pub_conn_.get(), &js_opts), "nats: JetStream context");
    pub_js_.reset(js);

    natsInbox* inbox = nullptr;
    check(natsInbox_Create(&inbox), "nats: inbox");
    reply_prefix_ = inbox;
    natsInbox_Destroy(inbox);
    natsSubscription* sub = nullptr;
    // On the connection that sends requests: the server answers "no responders" to the
    // connection that sent the request, on its own subscription to the reply subject.
    check(natsConnection_Subscribe(&sub, rpc_conn_.get(), (reply_prefix_ + ".*").c_str(),
                                   reply_trampoline, this),
          "nats: reply subscription");
    reply_sub_.reset(sub);

    declare_streams();
    bind_buckets(broker);
    consuming_ = true;
    for (auto& c : consumers_) subscribe(c.get());
    // Subscriptions are registered with the server before start() returns, so a message
    // published right after start is delivered.
    check(natsConnection_FlushTimeout(sub_conn_.get(), 5'000), "nats: flush after subscribing");
  } catch (...) {
    close();
    throw;
  }
  bool any_jetstream = std::any_of(consumers_.begin(), consumers_.end(),
                                   [](const auto& c) { return c->jetstream(); });
  if (any_jetstream) spawn_tracked(lease_loop(), "lease loop");
}

// Runs a background task of this transport; close() waits for all of them to end.
void NatsTransport::spawn_tracked(Task<void> task, const char* what) {
  background_.spawn(std::move(task), fmt::format("nats {}", what), logger());
}

void NatsTransport::dead_letter(Consumer* consumer, natsMsg* raw, OutgoingMessage letter) {
  spawn_tracked(send_dead_letter(this, consumer, raw, std::move(letter)), "dead letter");
}

Task<void> NatsTransport::send_dead_letter(NatsTransport* self, Consumer* consumer, natsMsg* raw,
                                           OutgoingMessage letter) {
  MsgPtr original(raw);
  const std::string subject = letter.destination;
  const std::string stream = consumer->options.stream->name;
  std::string failure;
  try {
    co_await self->publish_jetstream(std::move(letter));
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (failure.empty()) {
    natsMsg_Term(original.get(), nullptr);
    ++self->dead_lettered_;
    self->logger().warning("nats: message {} of stream '{}' dead-lettered to '{}'",
                           natsMsg_GetSubject(original.get()), stream, subject);
  } else {
    // Not stored as a dead letter: hand it back, it comes again (duplicate, never lost).
    natsMsg_Nak(original.get(), nullptr);
    self->logger().error("nats: dead letter to '{}' failed ({}); the message was Nak'd instead",
                         subject, failure);
  }
}

bool NatsTransport::wait_for_pub_acks(std::chrono::milliseconds timeout) {
  if (!pub_js_) return true;
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = timeout.count();
  return js_PublishAsyncComplete(pub_js_.get(), &po) == NATS_OK;
}

void NatsTransport::declare_streams() {
  std::vector<StreamUse> uses;
  for (auto& c : consumers_)
    if (c->jetstream()) uses.push_back({*c->options.stream, c->subject.subject});
  if (uses.empty()) return;
  for (const Stream& stream : plan_streams(uses)) {
    if (!stream.declare) continue;
    std::vector<const char*> subjects;
    for (const auto& s : stream.subjects) subjects.push_back(s.c_str());
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = stream.name.c_str();
    cfg.Subjects = subjects.data();
    cfg.SubjectsLen = static_cast<int>(subjects.size());
    cfg.Storage = stream.storage == Storage::memory ? js_MemoryStorage : js_FileStorage;
    cfg.Retention = stream.retention == Retention::interest     ? js_InterestPolicy
                    : stream.retention == Retention::work_queue ? js_WorkQueuePolicy
                                                                : js_LimitsPolicy;
    cfg.MaxAge = to_nanos(stream.max_age);
    cfg.MaxMsgs = stream.max_msgs;
    cfg.MaxBytes = stream.max_bytes;
    if (stream.duplicate_window.count() > 0) cfg.Duplicates = to_nanos(stream.duplicate_window);
    jsStreamInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_AddStream(&info, pub_js_.get(), &cfg, nullptr, &code);
    if (s == NATS_OK) {
      jsStreamInfo_Destroy(info);
      continue;
    }
    if (code != JSStreamNameExistErr) {
      std::string hint = code == JSNotEnabledErr || s == NATS_NO_RESPONDERS
                             ? " (is JetStream enabled on the server? nats-server -js)"
                             : "";
      throw std::runtime_error(
          fmt::format("nats: cannot declare stream '{}': {}{}", stream.name, status_text(s), hint));
    }
    // It exists with another configuration: keep its subjects besides ours, then update.
    check(js_GetStreamInfo(&info, pub_js_.get(), stream.name.c_str(), nullptr, &code),
          fmt::format("nats: stream '{}' exists but cannot be read", stream.name));
    std::vector<std::string> merged = stream.subjects;
    for (int i = 0; i < info->Config->SubjectsLen; ++i)
      merged.emplace_back(info->Config->Subjects[i]);
    merged = without_covered(merged);
    jsStreamInfo_Destroy(info);
    subjects.clear();
    for (const auto& m : merged) subjects.push_back(m.c_str());
    cfg.Subjects = subjects.data();
    cfg.SubjectsLen = static_cast<int>(subjects.size());
    logger().warning("nats: stream '{}' exists with another configuration; updating it",
                     stream.name);
    info = nullptr;
    s = js_UpdateStream(&info, pub_js_.get(), &cfg, nullptr, &code);
    if (s != NATS_OK)
      throw std::runtime_error(fmt::format(
          "nats: stream '{}' exists with another configuration and cannot be updated: {}",
          stream.name, status_text(s)));
    jsStreamInfo_Destroy(info);
  }
}

kvStore* open_bucket(jsCtx* js, const KeyValueConfig& config) {
  kvStore* kv = nullptr;
  if (config.declare) {
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = config.bucket.c_str();
    cfg.History = config.history;
    cfg.TTL = to_nanos(config.ttl);
    cfg.StorageType = config.storage == Storage::memory ? js_MemoryStorage : js_FileStorage;
    if (js_CreateKeyValue(&kv, js, &cfg) == NATS_OK) return kv;
    // It exists with another configuration: use it as it is.
  }
  check(js_KeyValue(&kv, js, config.bucket.c_str()),
        fmt::format("nats: cannot open key-value bucket '{}' (is JetStream enabled?)",
                    config.bucket));
  return kv;
}

namespace {
bool consumer_exists(jsCtx* js, const std::string& stream, const std::string& name) {
  jsConsumerInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  if (js_GetConsumerInfo(&info, js, stream.c_str(), name.c_str(), nullptr, &code) != NATS_OK)
    return false;
  jsConsumerInfo_Destroy(info);
  return true;
}

void ensure_push_consumer(jsCtx* js, const jsSubOptions& so, const std::string& subject,
                          const SubscriberOptions& o) {
  if (consumer_exists(js, o.stream->name, o.durable)) return;
  jsConsumerInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const char* stream = o.stream->name.c_str();
  natsInbox* inbox = nullptr;
  check(natsInbox_Create(&inbox), "nats: inbox");
  jsConsumerConfig cc = so.Config;
  cc.Durable = o.durable.c_str();
  cc.DeliverSubject = inbox;
  cc.DeliverGroup = o.queue.empty() ? nullptr : o.queue.c_str();
  cc.FilterSubject = subject.c_str();
  natsStatus s = js_AddConsumer(&info, js, stream, &cc, nullptr, &code);
  natsInbox_Destroy(inbox);
  check(s, fmt::format("nats: cannot create durable consumer '{}' on stream '{}'", o.durable,
                       o.stream->name));
  jsConsumerInfo_Destroy(info);
}
// Creates a consumer starting at o.start_time (unless the durable exists) and returns its
// name; see StartTimeConsumer for why nats.c does not create it.
std::string create_start_time_consumer(natsConnection* conn, jsCtx* js, const std::string& subject,
                                       const SubscriberOptions& o, const std::string& durable) {
  const std::string& stream = o.stream->name;
  if (!durable.empty() && consumer_exists(js, stream, durable)) return durable;
  StartTimeConsumer consumer;
  consumer.stream = stream;
  consumer.durable = durable;
  consumer.filter_subject = subject;
  if (!o.pull) {
    natsInbox* inbox = nullptr;
    check(natsInbox_Create(&inbox), "nats: inbox");
    consumer.deliver_subject = inbox;
    natsInbox_Destroy(inbox);
    consumer.deliver_group = o.queue;
  }
  consumer.start_time = *o.start_time;
  consumer.ack_wait = o.ack_wait;
  consumer.max_deliver = o.max_deliver;
  consumer.max_ack_pending = o.max_ack_pending;
  if (durable.empty()) consumer.inactive_threshold = std::chrono::minutes(5);
  const std::string request = consumer_create_subject(consumer);
  const std::string body = consumer_create_body(consumer);
  const std::string what =
      fmt::format("nats: cannot create a consumer of stream '{}' for '{}'", stream, subject);
  natsMsg* raw = nullptr;
  check(natsConnection_Request(&raw, conn, request.c_str(), body.data(),
                               static_cast<int>(body.size()), 5'000),
        what);
  MsgPtr reply(raw);
  try {
    return created_consumer_name(std::string_view(
        natsMsg_GetData(raw), static_cast<std::size_t>(natsMsg_GetDataLength(raw))));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(what + ": " + e.what());
  }
}
}  // namespace

void NatsTransport::bind_buckets(BrokerCore& broker) {
  buckets_.clear();
  if (broker.dependencies().contains(typeid(KeyValues)))
    buckets_ = broker.dependencies().resolve<KeyValues>()->all();
  for (auto& bucket : buckets_) {
    auto& impl = bucket->impl();
    kvStore* store = open_bucket(pub_js_.get(), impl.config);
    std::unique_lock lock(impl.mutex);
    impl.store = store;
  }
}

void NatsTransport::subscribe(Consumer* c) {
  const std::string& subject = c->subject.subject;
  const auto& o = c->options;
  natsSubscription* sub = nullptr;
  if (o.kv) {
    c->kv_store = open_bucket(sub_js_.get(), o.kv->bucket);
    kvWatchOptions wo;
    kvWatchOptions_Init(&wo);
    wo.IgnoreDeletes = o.kv->ignore_deletes;
    wo.IncludeHistory = o.kv->include_history;
    check(kvStore_Watch(&c->kv_watcher, c->kv_store, c->core->config().destination.c_str(), &wo),
          fmt::format("nats: cannot watch '{}' in bucket '{}'", c->core->config().destination,
                      o.kv->bucket.bucket));
    c->watch_thread = std::thread([this, c] { watch_loop(c); });
    return;
  }
  if (!o.stream) {
    natsStatus s = o.queue.empty()
                       ? natsConnection_Subscribe(&sub, sub_conn_.get(), subject.c_str(),
                                                  message_trampoline, c)
                       : natsConnection_QueueSubscribe(&sub, sub_conn_.get(), subject.c_str(),
                                                       o.queue.c_str(), message_trampoline, c);
    check(s, fmt::format("nats: cannot subscribe to '{}'", subject));
  } else {
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = o.stream->name.c_str();
    so.ManualAck = true;
    if (!o.durable.empty()) so.Config.Durable = o.durable.c_str();
    switch (o.deliver_policy) {
      case DeliverPolicy::all:
        so.Config.DeliverPolicy = js_DeliverAll;
        break;
      case DeliverPolicy::new_only:
        so.Config.DeliverPolicy = js_DeliverNew;
        break;
      case DeliverPolicy::last:
        so.Config.DeliverPolicy = js_DeliverLast;
        break;
      case DeliverPolicy::last_per_subject:
        so.Config.DeliverPolicy = js_DeliverLastPerSubject;
        break;
      case DeliverPolicy::by_start_sequence:
        so.Config.DeliverPolicy = js_DeliverByStartSequence;
        so.Config.OptStartSeq = o.start_sequence;
        break;
      case DeliverPolicy::by_start_time:
        so.Config.DeliverPolicy = js_DeliverByStartTime;
        so.Config.OptStartTime = to_nanos(o.start_time->time_since_epoch());
        break;
    }
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.AckWait = to_nanos(o.ack_wait);
    so.Config.MaxDeliver = o.max_deliver;
    if (o.max_ack_pending > 0) so.Config.MaxAckPending = o.max_ack_pending;
    if (o.deliver_policy == DeliverPolicy::by_start_time) {
      // A queue group without a durable shares one consumer named after the group, as nats.c
      // does for the consumers it creates; it outlives each member's stop.
      const std::string durable =
          o.durable.empty() && !o.pull && !o.queue.empty() ? o.queue : o.durable;
      c->bound_consumer =
          create_start_time_consumer(sub_conn_.get(), sub_js_.get(), subject, o, durable);
      c->delete_at_close = durable.empty();
      so.Consumer = c->bound_consumer.c_str();
      // Bound: nats.c compares the consumer's start time with its own mis-encoded one.
      so.Config.OptStartTime = 0;
    }
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s;
    if (o.pull) {
      const bool bound = !c->bound_consumer.empty();
      s = js_PullSubscribe(&sub, sub_js_.get(), subject.c_str(),
                           o.durable.empty() || bound ? nullptr : o.durable.c_str(), nullptr, &so,
                           &code);
    } else {
      if (!o.queue.empty()) so.Queue = o.queue.c_str();
      // A durable push consumer is created here (if missing) and then bound: nats.c deletes a
      // consumer it created itself when the subscription is drained or unsubscribed, which
      // would lose the durable's position. Bound, it survives our stop.
      if (!o.durable.empty() && c->bound_consumer.empty()) {
        ensure_push_consumer(sub_js_.get(), so, subject, o);
        so.Consumer = o.durable.c_str();
      }
      s = js_Subscribe(&sub, sub_js_.get(), subject.c_str(), message_trampoline, c, nullptr, &so,
                       &code);
    }
    check(s, fmt::format("nats: cannot consume '{}' from stream '{}'", subject, o.stream->name));
  }
  c->subscription.reset(sub);
  if (!o.pull) natsSubscription_SetPendingLimits(sub, o.pending_msgs_limit, o.pending_bytes_limit);
  if (o.pull) c->fetcher = std::thread([this, c] { fetch_loop(c); });
}

void NatsTransport::on_message(Consumer* c, natsMsg* raw) {
  deliver_blocking(c, make_message(c, raw));
}

MessagePtr NatsTransport::make_message(Consumer* c, natsMsg* raw) {
  auto message = std::make_unique<NatsMessage>(c, raw, c->jetstream());
  if (!c->subject.params.empty()) {
    core::Captures captures;
    if (c->captures->match(message->destination(), &captures)) {
      message->set_path_params(std::move(captures));
    } else {
      message->set_bad_input(fmt::format("subject '{}' does not fit '{}'", message->destination(),
                                         c->core->config().destination));
    }
  }
  return message;
}

void NatsTransport::deliver_blocking(Consumer* c, MessagePtr message) {
  for (;;) {
    if (consuming_ && c->core->try_deliver(message)) return;
    if (!consuming_ || !c->core->running()) {
      // Stopping: a JetStream message goes back to the server (Nak: redelivered now, to
      // whoever consumes next); a core message is lost, which is what at-most-once means.
      if (c->jetstream()) {
        message->nack();
      } else {
        ++c->dropped_on_stop;  // logged once, at close
      }
      return;
    }
    // Full: hold nats.c's delivery thread; nats.c buffers behind us up to the pending limits.
    wait_for_room(c->core, std::chrono::milliseconds(100));
  }
}

void NatsTransport::fetch_loop(Consumer* c) {
  const auto& pull = *c->options.pull;
  const std::size_t capacity = c->core->config().queue_capacity;
  bool failing = false;
  while (consuming_) {
    // Fetch no more than the queue takes: fetched messages are on the ack_wait clock.
    auto stats = c->core->stats();
    std::size_t room = capacity > stats.queued ? capacity - stats.queued : 0;
    if (room == 0) {
      wait_for_room(c->core, std::chrono::milliseconds(100));
      continue;
    }
    int wanted = static_cast<int>(std::min(pull.batch, room));
    natsMsgList list{nullptr, 0};
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = natsSubscription_Fetch(&list, c->subscription.get(), wanted,
                                          pull.fetch_timeout.count(), &code);
    if (s == NATS_TIMEOUT) continue;
    if (s != NATS_OK) {
      if (!failing && consuming_)
        logger().warning("nats: fetch from stream '{}' failed: {}; retrying",
                         c->options.stream->name, status_text(s));
      failing = true;
      natsMsgList_Destroy(&list);
      std::this_thread::sleep_for(std::min(pull.fetch_timeout, std::chrono::milliseconds(250)));
      continue;
    }
    if (failing) logger().info("nats: fetch from stream '{}' works again", c->options.stream->name);
    failing = false;
    // The whole fetch is handed over at once: one wake-up of the handlers per batch, not one
    // per message.
    std::vector<MessagePtr> batch;
    batch.reserve(static_cast<std::size_t>(list.Count));
    for (int i = 0; i < list.Count; ++i)
      batch.push_back(make_message(c, std::exchange(list.Msgs[i], nullptr)));
    natsMsgList_Destroy(&list);
    while (!batch.empty()) {
      if (consuming_ && c->core->try_deliver_batch(batch) > 0) continue;
      if (!consuming_ || !c->core->running()) {
        for (auto& m : batch) m->nack();  // stopping: back to the server
        break;
      }
      wait_for_room(c->core, std::chrono::milliseconds(100));
    }
  }
}

void NatsTransport::watch_loop(Consumer* c) {
  while (consuming_) {
    kvEntry* entry = nullptr;
    natsStatus s = kvWatcher_Next(&entry, c->kv_watcher, 200);
    if (s == NATS_TIMEOUT) continue;
    if (s != NATS_OK) {
      if (consuming_ && s != NATS_ILLEGAL_STATE)
        logger().warning("nats: key-value watch '{}' stopped: {}", c->core->config().destination,
                         status_text(s));
      return;
    }
    if (!entry) continue;  // the end of the initial values
    auto message = std::make_unique<NatsMessage>(c, entry);
    kvEntry_Destroy(entry);
    deliver_blocking(c, std::move(message));
  }
}

// Sends InProgress for JetStream messages unsettled for more than ack_wait / 2 (queued or
// running), so that a slow handler keeps its message.
Task<void> NatsTransport::lease_loop() {
  auto shortest = std::chrono::milliseconds::max();
  for (auto& c : consumers_)
    if (c->jetstream()) shortest = std::min(shortest, c->options.ack_wait);
  auto tick =
      std::clamp(shortest / 4, std::chrono::milliseconds(20), std::chrono::milliseconds(250));
  while (open_ && consuming_) {
    co_await sleep(tick);
    auto now = std::chrono::steady_clock::now();
    for (auto& c : consumers_) {
      if (!c->jetstream()) continue;
      auto half = c->options.ack_wait / 2;
      std::lock_guard lock(c->unsettled_mutex);
      for (auto& [message, since] : c->unsettled) {
        if (now - since < half) continue;
        message->in_progress_locked();
        since = now;
      }
    }
  }
}

void NatsTransport::release_unsettled(Consumer* c) {
  std::lock_guard lock(c->unsettled_mutex);
  for (auto& [message, _] : c->unsettled) message->release_locked();
  c->unsettled.clear();
}

void NatsTransport::on_reply(natsMsg* raw) {
  auto message = std::make_unique<NatsMessage>(nullptr, raw, false);
  std::string key = message->destination();
  if (!replies_.complete(key, std::move(message)) && open_)
    logger().warning("nats: a reply on {} arrived after its request gave up", key);
}

void NatsTransport::on_pub_ack(natsMsg* raw, jsPubAck* ack, jsPubAckErr* error) {
  auto result = std::make_unique<PubAckResult>();
  if (ack) {
    // Stored (or a duplicate of a stored one: what Nats-Msg-Id is for).
    result->stream = ack->Stream ? ack->Stream : "";
    result->sequence = ack->Sequence;
    result->duplicate = ack->Duplicate;
  } else if (error) {
    result->error =
        error->ErrText && *error->ErrText ? error->ErrText : natsStatus_GetText(error->Err);
    if (error->Err == NATS_TIMEOUT) result->error = "no PubAck in time (timeout)";
    if (error->Err == NATS_NO_RESPONDERS) {
      result->no_responders = true;
      result->error = "no stream stores this subject (no responders)";
    }
  } else {
    result->error = "no PubAck";
  }
  // Unregister before the message is freed: its address is the key.
  std::string key = fmt::format("{}", static_cast<const void*>(raw));
  std::string error_text = result->error;
  if (!pub_acks_.complete(key, std::move(result)) && !error_text.empty()) {
    // A fast-path publish nobody waits for.
    ++async_publish_failures_;
    logger().error("nats: JetStream did not store a message for '{}': {}", natsMsg_GetSubject(raw),
                   error_text);
  }
  pub_acks_.remove(key);
  natsMsg_Destroy(raw);
}

void NatsTransport::on_async_error(natsSubscription* sub, natsStatus status) {
  if (status == NATS_SLOW_CONSUMER) {
    ++slow_consumer_events_;
    for (auto& c : consumers_) {
      if (c->subscription.get() != sub) continue;
      std::uint64_t events = 0;
      {
        std::lock_guard lock(c->slow_mutex);
        ++c->slow_unlogged;
        auto now = std::chrono::steady_clock::now();
        if (now - c->slow_logged < std::chrono::seconds(1)) return;
        c->slow_logged = now;
        events = std::exchange(c->slow_unlogged, 0);
      }
      std::int64_t dropped = 0;
      natsSubscription_GetDropped(sub, &dropped);
      logger().warning(
          "nats: subscriber '{}' is a slow consumer: nats.c's pending limit ({} messages) was "
          "hit {} time(s) since the last report and it drops messages ({} so far){}",
          c->core->config().destination, c->options.pending_msgs_limit, events, dropped,
          c->jetstream() ? "; JetStream redelivers them after ack_wait" : "");
      return;
    }
    logger().warning("nats: a subscription is a slow consumer and drops messages");
    return;
  }
  if (open_) logger().error("nats: asynchronous error: {}", natsStatus_GetText(status));
}

const char* NatsTransport::role_of(natsConnection* connection) const noexcept {
  if (connection == sub_conn_.get()) return "subscribing connection";
  if (connection == pub_conn_.get()) return "publishing connection";
  return "request/reply connection";
}

void NatsTransport::on_disconnected(natsConnection* connection) {
  const char* role = role_of(connection);
  if (!open_) return;
  ++disconnects_;
  logger().warning("nats {} to {} lost; reconnecting (publishes are buffered up to {} bytes)", role,
                   url_.public_hosts(), options_.reconnect_buffer_bytes);
}

void NatsTransport::on_reconnected(natsConnection* connection) {
  const char* role = role_of(connection);
  ++reconnects_;
  if (open_) logger().info("nats {} to {} restored", role, url_.public_hosts());
}

// A round trip to the server on the publish connection (thread-safe in nats.c).
bool NatsTransport::ping(std::chrono::milliseconds timeout) {
  if (!open_ || !pub_conn_) return false;
  if (natsConnection_Status(pub_conn_.get()) != NATS_CONN_STATUS_CONNECTED) return false;
  return natsConnection_FlushTimeout(pub_conn_.get(), std::max<std::int64_t>(1, timeout.count())) ==
         NATS_OK;
}

void NatsTransport::stop_consuming() {
  consuming_ = false;
  // Core and push subscriptions are drained: the server stops sending, and what nats.c still
  // holds comes through the callback, which (not consuming any more) drops a core message
  // and hands a JetStream one back with Nak. Durable push consumers are bound (see
  // subscribe()), so draining does not delete them. Pull consumers just stop fetching.
  for (auto& c : consumers_)
    if (c->subscription && !c->options.pull) natsSubscription_Drain(c->subscription.get());
  // Threads are joined in close(): a fetch in progress must not hold up the drain.
  for (auto& c : consumers_)
    if (c->kv_watcher) kvWatcher_Stop(c->kv_watcher);
}

void NatsTransport::close() {
  consuming_ = false;
  // Drained subscriptions hand back what nats.c still held (see stop_consuming).
  for (auto& c : consumers_)
    if (c->subscription && !c->options.pull)
      natsSubscription_WaitForDrainCompletion(c->subscription.get(), 2'000);
  for (auto& c : consumers_) {
    if (c->kv_watcher) kvWatcher_Stop(c->kv_watcher);
    if (c->fetcher.joinable()) c->fetcher.join();
    if (c->watch_thread.joinable()) c->watch_thread.join();
  }
  // Acks of finished handlers are on their way; make sure they reach the server.
  if (sub_conn_) natsConnection_FlushTimeout(sub_conn_.get(), 2'000);
  for (auto& c : consumers_) {
    release_unsettled(c.get());
    if (auto n = c->dropped_on_stop.exchange(0))
      logger().warning(
          "nats: {} message(s) for '{}' arrived while stopping and were not handled (core NATS "
          "is at-most-once)",
          n, c->core->config().destination);
  }
  if (sub_conn_) natsConnection_FlushTimeout(sub_conn_.get(), 2'000);
  for (auto& c : consumers_) {
    if (!c->delete_at_close) continue;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_DeleteConsumer(sub_js_.get(), c->options.stream->name.c_str(),
                                     c->bound_consumer.c_str(), nullptr, &code);
    if (s != NATS_OK)
      logger().warning(
          "nats: ephemeral consumer '{}' of stream '{}' not deleted ({}); the server "
          "removes it after 5 minutes without readers",
          c->bound_consumer, c->options.stream->name, status_text(s));
  }
  if (pub_conn_) natsConnection_FlushTimeout(pub_conn_.get(), 2'000);
  open_ = false;
  replies_.close_all();
  pub_acks_.close_all();
  // They use the consumers and connections freed below: wait, however long it takes.
  while (!background_.wait(std::chrono::seconds(10)))
    logger().warning("nats: {} background task(s) still running at close", background_.running());
  for (auto& bucket : buckets_) {
    auto& impl = bucket->impl();
    std::unique_lock lock(impl.mutex);
    kvStore_Destroy(std::exchange(impl.store, nullptr));
  }
  for (auto& c : consumers_) {
    kvWatcher_Destroy(std::exchange(c->kv_watcher, nullptr));
    kvStore_Destroy(std::exchange(c->kv_store, nullptr));
  }
  if (rpc_conn_) natsConnection_FlushTimeout(rpc_conn_.get(), 2'000);
  for (auto* conn : {sub_conn_.get(), pub_conn_.get(), rpc_conn_.get()})
    if (conn) natsConnection_Close(conn);
  {
    std::unique_lock lock(closed_mutex_);
    if (!closed_cv_.wait_for(lock, std::chrono::seconds(10),
                             [this] { return connections_open_ <= 0; }))
      logger().error("nats: connections not closed after 10 s");
  }
  for (auto& c : consumers_) c->subscription.reset();
  reply_sub_.reset();
  sub_js_.reset();
  pub_js_.reset();
  sub_conn_.reset();
  pub_conn_.reset();
  rpc_conn_.reset();
}

MsgPtr NatsTransport::make_msg(const OutgoingMessage& m, bool jetstream, const std::string& reply) {
  natsMsg* raw = nullptr;
  check<PublishError>(
      natsMsg_Create(&raw, m.destination.c_str(), reply.empty() ? nullptr : reply.c_str(),
                     m.body.data(), static_cast<int>(m.body.size())),
      fmt::format("nats: cannot publish to '{}'", m.destination));
  MsgPtr msg(raw);
  for (const auto& [name, value] : outgoing_headers(m, jetstream))
    natsMsgHeader_Add(raw, name.c_str(), value.c_str());
  return msg;
}

Task<void> NatsTransport::publish(OutgoingMessage message) {
  if (!open_) throw BrokerNotRunning("the NATS broker is not running");
  auto* target = core::options_of<Tag, TargetOptions>(message.native, message.destination);
  if (target && target->kind == Source::jetstream) {
    co_await publish_jetstream(std::move(message));
    co_return;
  }
  if (message.require_receiver && message.reply_to.empty()) {
    co_await publish_checking_interest(std::move(message));
    co_return;
  }
  auto msg = make_msg(message, false, message.reply_to);
  natsStatus s =
      natsConnection_PublishMsg(message.is_reply ? rpc_conn_.get() : pub_conn_.get(), msg.get());
  if (s != NATS_OK)
    throw PublishError(
        fmt::format("nats: publish to '{}' failed: {}", message.destination, status_text(s)));
}

// Core NATS keeps nothing and says nothing about a plain publish. Sent with a reply subject,
// the server answers "no responders" at once when no subscription matches; a subscriber's
// answer, or silence for a moment, means someone received it.
Task<void> NatsTransport::publish_checking_interest(OutgoingMessage message) {
  const std::string destination = message.destination;
  try {
    (void)co_await request(std::move(message), kInterestWindow);
  } catch (const RequestTimeout&) {
    // Received, and nobody answered: a subscriber without a reply.
  } catch (const NoResponders&) {
    throw NoResponders(fmt::format(
        "nobody received the message: no subscriber on NATS subject '{}' (the server answered "
        "no responders)",
        destination));
  }
}

Task<void> NatsTransport::publish_jetstream(OutgoingMessage message) {
  auto timeout =
      message.timeout.count() > 0 ? message.timeout : broker_->settings().publish_timeout;
  // While reconnecting, nats.c would buffer the message and send it later, after this publish
  // may have given up on its PubAck: an outcome nobody knows. Wait for the connection
  // instead, and fail before sending if it does not come back in time.
  if (natsConnection_Status(pub_conn_.get()) != NATS_CONN_STATUS_CONNECTED) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (open_ && natsConnection_Status(pub_conn_.get()) != NATS_CONN_STATUS_CONNECTED &&
           std::chrono::steady_clock::now() < deadline)
      co_await sleep(std::chrono::milliseconds(10));
    if (natsConnection_Status(pub_conn_.get()) != NATS_CONN_STATUS_CONNECTED)
      throw PublishError(fmt::format(
          "nats: not connected to {} within {} ms; the JetStream publish to '{}' was not sent",
          url_.public_hosts(), timeout.count(), message.destination));
  }
  auto* target = core::options_of<Tag, TargetOptions>(message.native, message.destination);
  auto msg = make_msg(message, true, "");
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = timeout.count();
  if (target && !target->stream.expect_stream.empty())
    po.ExpectStream = target->stream.expect_stream.c_str();
  if (auto* expect = core::options_of<Tag, Expect>(message.call_native, message.destination)) {
    if (expect->last_sequence) po.ExpectLastSeq = *expect->last_sequence;
    if (expect->last_subject_sequence) po.ExpectLastSubjectSeq = *expect->last_subject_sequence;
    if (!expect->last_message_id.empty()) po.ExpectLastMsgId = expect->last_message_id.c_str();
  }
  if (target && !target->stream.wait_for_ack) {
    natsMsg* raw = msg.release();
    natsStatus s = js_PublishMsgAsync(pub_js_.get(), &raw, &po);
    if (s != NATS_OK) {
      if (raw) natsMsg_Destroy(raw);
      throw PublishError(fmt::format("nats: JetStream publish to '{}' failed: {}",
                                     message.destination, status_text(s)));
    }
    co_return;
  }
  std::string key = fmt::format("{}", static_cast<const void*>(msg.get()));
  auto pending = pub_acks_.add(key);
  natsMsg* raw = msg.release();
  natsStatus s = js_PublishMsgAsync(pub_js_.get(), &raw, &po);
  if (s != NATS_OK) {
    pub_acks_.remove(key);
    if (raw) natsMsg_Destroy(raw);
    throw PublishError(fmt::format("nats: JetStream publish to '{}' failed: {}",
                                   message.destination, status_text(s)));
  }
  MessagePtr result;
  try {
    result = co_await pub_acks_.wait(pending, *broker_, timeout + std::chrono::seconds(1),
                                     message.destination);
  } catch (const RequestTimeout&) {
    throw PublishTimeout(
        fmt::format("nats: no PubAck for '{}' within {} ms", message.destination, timeout.count()));
  }
  auto* ack = static_cast<PubAckResult*>(result.get());
  if (ack->no_responders && message.require_receiver)
    throw NoResponders(fmt::format(
        "nobody stored the message: no JetStream stream stores subject '{}'", message.destination));
  if (!ack->error.empty())
    throw PublishError(fmt::format("nats: JetStream did not store the message for '{}': {}",
                                   message.destination, ack->error));
  if (message.result) {
    message.result->stream = ack->stream;
    message.result->sequence = ack->sequence;
    message.result->duplicate = ack->duplicate;
  }
}

Task<MessagePtr> NatsTransport::request(OutgoingMessage message,
                                        std::chrono::milliseconds timeout) {
  if (!open_) throw BrokerNotRunning("the NATS broker is not running");
  std::string reply = fmt::format("{}.{}", reply_prefix_, ++next_reply_);
  auto pending = replies_.add(reply);
  const std::string destination = message.destination;
  auto* target = core::options_of<Tag, TargetOptions>(message.native, message.destination);
  std::exception_ptr error;
  MessagePtr answer;
  try {
    if (target && target->kind == Source::jetstream) {
      // FastStream: the reply subject travels in the reply_to header (the NATS reply carries
      // the PubAck).
      message.reply_to = reply;
      co_await publish_jetstream(std::move(message));
    } else {
      auto msg = make_msg(message, false, reply);
      natsStatus s = natsConnection_PublishMsg(rpc_conn_.get(), msg.get());
      if (s != NATS_OK)
        throw PublishError(
            fmt::format("nats: request to '{}' failed: {}", destination, status_text(s)));
    }
    answer = co_await replies_.wait(pending, *broker_, timeout, destination);
  } catch (...) {
    error = std::current_exception();
  }
  replies_.remove(reply);
  if (error) std::rethrow_exception(error);
  if (static_cast<NatsMessage*>(answer.get())->no_responders())
    throw NoResponders(fmt::format("no subscriber listens on '{}'", destination));
  co_return answer;
}

Broker::Stats NatsTransport::stats() const {
  Broker::Stats s;
  s.reconnects = reconnects_;
  s.disconnects = disconnects_;
  s.slow_consumer_events = slow_consumer_events_;
  s.async_publish_failures = async_publish_failures_;
  s.dead_lettered = dead_lettered_;
  if (open_) {
    for (const auto& c : consumers_) {
      std::int64_t dropped = 0;
      if (c->subscription &&
          natsSubscription_GetDropped(c->subscription.get(), &dropped) == NATS_OK)
        s.dropped += static_cast<std::uint64_t>(dropped);
    }
  }
  return s;
}

// --- Public API -----------------------------------------------------------------------------

SubscriberConfig SubscriberOptions::to_config(std::string destination) const {
  SubscriberConfig config;
  config.destination = std::move(destination);
  config.queue_capacity = queue_capacity == 0 ? 1 : queue_capacity;
  // Core NATS: a queued message exists nowhere else, so it is handled before stopping.
  // JetStream: it is handed back with Nak and redelivered.
  config.drain_queued_on_stop = !stream.has_value();
  config.native = core::tag_options<Tag>(*this);
  return config;
}

BackendOptionsPtr PublishOptions::call_options() const {
  if (!expect.last_sequence && !expect.last_subject_sequence && expect.last_message_id.empty())
    return nullptr;
  return core::tag_options<Tag>(expect);
}

Target to_subject(std::string subject) {
  return Target(std::move(subject), core::tag_options<Tag>(TargetOptions{Source::core, {}}));
}

Target to_stream(std::string subject, StreamPublish options) {
  return Target(std::move(subject),
                core::tag_options<Tag>(TargetOptions{Source::jetstream, std::move(options)}));
}

// --- Key-Value ------------------------------------------------------------------------------

KeyValue::KeyValue(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KeyValue::~KeyValue() = default;

const std::string& KeyValue::bucket() const noexcept {
  return impl_->config.bucket;
}

namespace {
[[noreturn]] void bucket_not_open(const std::string& bucket) {
  throw BrokerNotRunning(
      fmt::format("key-value bucket '{}' is not open: the broker is not running", bucket));
}
}  // namespace

std::optional<std::string> KeyValue::get(const std::string& key) {
  std::shared_lock lock(impl_->mutex);
  if (impl_->in_memory) {
    auto it = impl_->memory.find(key);
    if (it == impl_->memory.end()) return std::nullopt;
    return it->second;
  }
  if (!impl_->store) bucket_not_open(bucket());
  kvEntry* entry = nullptr;
  natsStatus s = kvStore_Get(&entry, impl_->store, key.c_str());
  if (s == NATS_NOT_FOUND) return std::nullopt;
  check(s, fmt::format("nats: get '{}' from bucket '{}'", key, bucket()));
  std::string value(static_cast<const char*>(kvEntry_Value(entry)),
                    static_cast<std::size_t>(kvEntry_ValueLen(entry)));
  kvEntry_Destroy(entry);
  return value;
}

std::uint64_t KeyValue::put(const std::string& key, std::string_view value) {
  if (impl_->in_memory) {
    std::unique_lock lock(impl_->mutex);
    impl_->memory[key] = std::string(value);
    return ++impl_->memory_revision;
  }
  std::shared_lock lock(impl_->mutex);
  if (!impl_->store) bucket_not_open(bucket());
  std::uint64_t revision = 0;
  check<PublishError>(kvStore_Put(&revision, impl_->store, key.c_str(), value.data(),
                                  static_cast<int>(value.size())),
                      fmt::format("nats: put '{}' into bucket '{}'", key, bucket()));
  return revision;
}

void KeyValue::erase(const std::string& key) {
  if (impl_->in_memory) {
    std::unique_lock lock(impl_->mutex);
    impl_->memory.erase(key);
    return;
  }
  std::shared_lock lock(impl_->mutex);
  if (!impl_->store) bucket_not_open(bucket());
  check<PublishError>(kvStore_Delete(impl_->store, key.c_str()),
                      fmt::format("nats: delete '{}' from bucket '{}'", key, bucket()));
}

KeyValue& KeyValues::bucket(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(name);
  if (it == buckets_.end())
    throw std::out_of_range(fmt::format(
        "no key-value bucket '{}' was declared: call broker.key_value({{.bucket = \"{}\"}})", name,
        name));
  return *it->second;
}

void KeyValues::add(std::shared_ptr<KeyValue> bucket) {
  std::lock_guard lock(mutex_);
  buckets_[bucket->bucket()] = std::move(bucket);
}

std::vector<std::shared_ptr<KeyValue>> KeyValues::all() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<KeyValue>> out;
  for (const auto& [_, b] : buckets_) out.push_back(b);
  return out;
}

Broker::Broker(std::string url, BrokerSettings settings, BrokerOptions options)
    : BasicBroker(std::make_unique<BrokerCore>(
          std::make_unique<NatsTransport>(std::move(url), std::move(options)),
          std::move(settings))) {
  core_->dependencies().provide(std::make_shared<KeyValues>());
}
Broker::~Broker() = default;

std::shared_ptr<KeyValue> Broker::key_value(KeyValueConfig config) {
  if (config.bucket.empty()) throw ConfigError("a key-value bucket needs a name");
  auto impl = std::make_unique<KeyValue::Impl>();
  impl->config = std::move(config);
  auto bucket = std::make_shared<KeyValue>(std::move(impl));
  core_->dependencies().resolve<KeyValues>()->add(bucket);
  return bucket;
}

bool Broker::wait_for_pub_acks(std::chrono::milliseconds timeout) {
  if (auto* t = dynamic_cast<NatsTransport*>(&core_->transport()))
    return t->wait_for_pub_acks(timeout);
  return true;
}

Broker::Stats Broker::stats() const {
  if (auto* t = dynamic_cast<const NatsTransport*>(&core_->transport())) return t->stats();
  return {};
}

}  // namespace faststream::nats
