// NATS benchmarks, each beside a raw nats.c baseline doing the same work in the same run (the
// same headers read, the same JSON decode and checks written by hand with Boost.JSON, the
// same batch sizes and ack granularity), plus raw nats.c without any decoding (the ceiling):
//   (a) core pub/sub: N messages published flat out by a raw nats.c publisher on its own
//       connection; counted as delivered to the subscriber, and dropped (nats.c's pending
//       limits, the same on both sides); never assumed to have arrived;
//   (b) JetStream backlog drain: a stream filled with N messages (not timed), drained by a pull
//       consumer (batch 256, one Ack per message); checks that every message was handled once
//       (distinct ids) and that the consumer has nothing pending or unacked at the end;
//   (c) ping-pong: request/reply round trips for a fixed time.
// Starts its own nats-server (JetStream on, free ports, private directory). Exits non-zero if
// a count check fails.
#include <nats/nats.h>

#include <boost/json.hpp>

#include <faststream/faststream.hpp>
#include <faststream/nats.hpp>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/nats_server.hpp"

namespace bench {

struct Order {
  std::string id;
  double amount = 0;
  std::optional<std::string> note;
  std::int64_t qty = 0;
};
FASTSTREAM_MODEL(Order, id, amount, note, qty);
FASTSTREAM_FIELDS(Order, field(&Order::amount).ge(0),
                  field(&Order::id).min_length(1).max_length(64), field(&Order::qty).ge(1));

}  // namespace bench

namespace {

using Clock = std::chrono::steady_clock;
namespace nats = faststream::nats;

constexpr int kBatch = 256;               // JetStream fetch size, both sides
constexpr const char* kStream = "BENCH";  // the stream of (b)
constexpr const char* kStreamSubject = "bench.js";
constexpr const char* kJson = "application/json";

// ~100 bytes of JSON; the id carries the message's index (checked for duplicates).
std::string json_payload(std::size_t i) {
  char buf[200];
  std::snprintf(
      buf, sizeof buf,
      R"({"id":"ORD-%08zu","amount":%zu.5,"note":"leave at the front door, ring twice","qty":%zu})",
      i, i % 5000, 1 + i % 7);
  return buf;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

int failures = 0;
void check(bool ok, const std::string& what) {
  if (ok) return;
  std::printf("  CHECK FAILED: %s\n", what.c_str());
  std::fflush(stdout);
  ++failures;
}

void nats_ok(natsStatus s, const char* what) {
  if (s != NATS_OK)
    throw std::runtime_error(std::string(what) + ": " + natsStatus_GetText(s) + " " +
                             nats_GetLastError(nullptr));
}

struct ConnDeleter {
  void operator()(natsConnection* nc) const {
    natsConnection_Close(nc);
    natsConnection_Destroy(nc);
  }
};
using Conn = std::unique_ptr<natsConnection, ConnDeleter>;
struct SubDeleter {
  void operator()(natsSubscription* s) const { natsSubscription_Destroy(s); }
};
using Sub = std::unique_ptr<natsSubscription, SubDeleter>;
struct JsDeleter {
  void operator()(jsCtx* js) const { jsCtx_Destroy(js); }
};
using Js = std::unique_ptr<jsCtx, JsDeleter>;

// send_asap: every publish is written at once, instead of by nats.c's flusher thread, which
// waits 1 ms "to accumulate more" after the first unflushed publish (nats.c 3.4.1 conn.c).
Conn connect(const std::string& url, bool send_asap = false) {
  natsOptions* opts = nullptr;
  nats_ok(natsOptions_Create(&opts), "nats.c options");
  natsOptions_SetURL(opts, url.c_str());
  if (send_asap) natsOptions_SetSendAsap(opts, true);
  natsConnection* nc = nullptr;
  natsStatus s = natsConnection_Connect(&nc, opts);
  natsOptions_Destroy(opts);
  nats_ok(s, "nats.c connect");
  return Conn(nc);
}

Js jetstream(natsConnection* nc, jsOptions* options = nullptr) {
  jsCtx* js = nullptr;
  nats_ok(natsConnection_JetStream(&js, nc, options), "nats.c JetStream context");
  return Js(js);
}

// What every handler does with a decoded order: a little arithmetic, a count, and (when
// asked) a mark per id to find duplicates and gaps.
struct Sink {
  explicit Sink(std::size_t ids = 0) : seen(ids) {}
  std::atomic<std::uint64_t> calls{0};
  double total = 0;
  std::vector<std::atomic<std::uint8_t>> seen;

  void consume(const bench::Order& o) {
    total += o.amount * static_cast<double>(o.qty);
    if (!seen.empty()) {
      std::size_t index = 0;
      auto [p, ec] = std::from_chars(o.id.data() + 4, o.id.data() + o.id.size(), index);
      if (ec == std::errc() && index < seen.size())
        seen[index].fetch_add(1, std::memory_order_relaxed);
    }
    calls.fetch_add(1, std::memory_order_relaxed);
  }
  void count() { calls.fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t distinct() const {
    std::uint64_t d = 0;
    for (const auto& s : seen) d += s.load(std::memory_order_relaxed) > 0;
    return d;
  }
};

// --- The hand-written side of the baselines --------------------------------------------------

// Boost.JSON DOM parse (monotonic buffer), field extraction, the model's three checks.
bench::Order decode_json(std::string_view body) {
  unsigned char buffer[4096];
  boost::json::monotonic_resource mr(buffer, sizeof buffer);
  boost::json::value v = boost::json::parse(body, &mr);
  const auto& obj = v.as_object();
  bench::Order o;
  o.id = std::string(obj.at("id").as_string());
  o.amount = obj.at("amount").to_number<double>();
  if (const auto* n = obj.if_contains("note"); n && !n->is_null())
    o.note = std::string(n->as_string());
  o.qty = obj.at("qty").to_number<std::int64_t>();
  if (o.amount < 0 || o.id.empty() || o.id.size() > 64 || o.qty < 1)
    throw std::runtime_error("invalid");
  return o;
}

std::string encode_json(const bench::Order& o) {
  boost::json::object obj;
  obj["id"] = o.id;
  obj["amount"] = o.amount;
  if (o.note) {
    obj["note"] = *o.note;
  } else {
    obj["note"] = nullptr;
  }
  obj["qty"] = o.qty;
  return boost::json::serialize(obj);
}

std::string_view header(natsMsg* m, const char* name) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(m, name, &value) != NATS_OK || !value) return {};
  return value;
}

// What the framework reads of a message, by hand: the content type and correlation id
// headers, then the body as JSON.
// Whether a reply carries back what was asked (ping-pong echoes the order).
bool same_order(const bench::Order& a, const bench::Order& b) {
  return a.id == b.id && a.amount == b.amount && a.note == b.note && a.qty == b.qty;
}

bench::Order decode_by_hand(natsMsg* m, std::string* correlation_id = nullptr) {
  auto content_type = header(m, "content-type");
  if (!content_type.empty() && content_type != kJson)
    throw std::runtime_error("unexpected content type");
  std::string corr(header(m, "correlation_id"));
  if (correlation_id) *correlation_id = std::move(corr);
  return decode_json(
      std::string_view(natsMsg_GetData(m), static_cast<std::size_t>(natsMsg_GetDataLength(m))));
}

// A message as the framework publishes it (content-type, correlation_id; JetStream adds
// Nats-Msg-Id = the correlation id).
natsMsg* wire_message(const char* subject, const char* reply, const std::string& body,
                      bool jetstream) {
  natsMsg* m = nullptr;
  nats_ok(natsMsg_Create(&m, subject, reply, body.data(), static_cast<int>(body.size())),
          "natsMsg_Create");
  const std::string id = faststream::generate_id();
  natsMsgHeader_Set(m, "content-type", kJson);
  natsMsgHeader_Set(m, "correlation_id", id.c_str());
  if (jetstream) natsMsgHeader_Set(m, "Nats-Msg-Id", id.c_str());
  return m;
}

faststream::BrokerSettings settings() {
  faststream::BrokerSettings s;
  s.log_level = faststream::LogLevel::warning;
  s.access_log_level = faststream::LogLevel::off;
  return s;
}

void print_rate(const char* name, double rate, const char* unit, const char* extra,
                double baseline) {
  if (baseline > 0) {
    std::printf("  %-46s %9.0f %s  %s  ratio %.2f\n", name, rate, unit, extra, rate / baseline);
  } else {
    std::printf("  %-46s %9.0f %s  %s\n", name, rate, unit, extra);
  }
  std::fflush(stdout);
}

struct Row {
  std::string benchmark;
  double baseline = 0;
  double ours = 0;
  double ours_bytes = -1;  // < 0: not measured
  double raw_bytes = 0;
  std::string unit;
};
std::vector<Row> rows;
double asap_rate = 0;

// --- (a) core pub/sub ------------------------------------------------------------------------

// n messages flat out on a connection of its own; returns the publishing rate.
double publish_flat_out(const std::string& url, const std::string& subject, std::size_t n) {
  Conn nc = connect(url);
  auto t0 = Clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    natsMsg* m = wire_message(subject.c_str(), nullptr, json_payload(i), false);
    natsStatus s = natsConnection_PublishMsg(nc.get(), m);
    natsMsg_Destroy(m);
    nats_ok(s, "publish");
  }
  nats_ok(natsConnection_FlushTimeout(nc.get(), 30'000), "publisher flush");
  return static_cast<double>(n) / seconds_since(t0);
}

struct PubSubResult {
  double rate = 0;  // delivered / (last delivery - first publish)
  double publish_rate = 0;
  std::uint64_t delivered = 0;
  std::uint64_t dropped = 0;
};

// Publishes n on its own connection and waits until delivered + dropped == n, or nothing
// moved for 3 s.
template <class Delivered, class Dropped>
PubSubResult run_pubsub(const std::string& url, const std::string& subject, std::size_t n,
                        Delivered delivered, Dropped dropped) {
  PubSubResult r;
  auto t0 = Clock::now();
  std::thread publisher([&] { r.publish_rate = publish_flat_out(url, subject, n); });
  auto last_delivery = t0;
  auto last_progress = t0;
  std::uint64_t last_delivered = 0, last_total = 0;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::microseconds(500));
    auto now = Clock::now();
    std::uint64_t d = delivered();
    std::uint64_t total = d + dropped();
    if (d != last_delivered) {
      last_delivered = d;
      last_delivery = now;
    }
    if (total != last_total) {
      last_total = total;
      last_progress = now;
    }
    if (total >= n || now - last_progress > std::chrono::seconds(3)) break;
  }
  publisher.join();
  r.delivered = delivered();
  r.dropped = dropped();
  const double seconds = std::chrono::duration<double>(last_delivery - t0).count();
  r.rate = seconds > 0 ? static_cast<double>(r.delivered) / seconds : 0;
  return r;
}

void on_raw_order(natsConnection*, natsSubscription*, natsMsg* m, void* closure) {
  auto* sink = static_cast<Sink*>(closure);
  sink->consume(decode_by_hand(m));
  natsMsg_Destroy(m);
}
void on_raw_bytes(natsConnection*, natsSubscription*, natsMsg* m, void* closure) {
  static_cast<Sink*>(closure)->count();
  natsMsg_Destroy(m);
}

// A raw nats.c async subscription (default pending limits: 65 536 messages, 64 MiB, the same
// as the framework's defaults) on a connection of its own.
PubSubResult raw_pubsub(const std::string& url, std::size_t n, bool decode) {
  const std::string subject = decode ? "bench.ps.raw" : "bench.ps.rawbytes";
  Conn nc = connect(url);
  Sink sink;
  natsSubscription* raw = nullptr;
  nats_ok(natsConnection_Subscribe(&raw, nc.get(), subject.c_str(),
                                   decode ? on_raw_order : on_raw_bytes, &sink),
          "subscribe");
  Sub sub(raw);
  nats_ok(natsSubscription_SetPendingLimits(raw, 65'536, 64 * 1024 * 1024), "pending limits");
  nats_ok(natsConnection_FlushTimeout(nc.get(), 5'000), "flush");
  auto r = run_pubsub(
      url, subject, n, [&] { return sink.calls.load(std::memory_order_relaxed); },
      [&] {
        std::int64_t d = 0;
        natsSubscription_GetDropped(raw, &d);
        return static_cast<std::uint64_t>(d);
      });
  natsSubscription_Unsubscribe(raw);
  return r;
}

PubSubResult framework_pubsub(const std::string& url, std::size_t n, bool typed,
                              nats::Broker::Stats* stats_out) {
  const std::string subject = typed ? "bench.ps.fw" : "bench.ps.fwbytes";
  nats::Broker broker(url, settings());
  Sink sink;
  if (typed) {
    broker.subscriber(subject).handle([&sink](const bench::Order& o) { sink.consume(o); });
  } else {
    broker.subscriber(subject).handle([&sink](const faststream::Bytes&) { sink.count(); });
  }
  broker.start();
  auto r = run_pubsub(
      url, subject, n, [&] { return sink.calls.load(std::memory_order_relaxed); },
      [&] { return broker.stats().dropped; });
  *stats_out = broker.stats();  // before stop: dropped is read from the live subscriptions
  broker.stop();
  return r;
}

void pubsub(const std::string& url, std::size_t n) {
  std::printf(
      "(a) core pub/sub: %zu messages (~%zu-byte JSON + 2 headers) published flat out by a raw\n"
      "    nats.c publisher on its own connection; rate = delivered / (last delivery - first\n"
      "    publish); pending limits 65536 msgs / 64 MiB on both sides\n",
      n, json_payload(0).size());
  auto report = [&](const char* name, const PubSubResult& r, double baseline) {
    char extra[200];
    const std::uint64_t missing = n - std::min<std::uint64_t>(n, r.delivered + r.dropped);
    std::snprintf(
        extra, sizeof extra, "delivered %llu, dropped %llu, unaccounted %llu (published at %.0f/s)",
        static_cast<unsigned long long>(r.delivered), static_cast<unsigned long long>(r.dropped),
        static_cast<unsigned long long>(missing), r.publish_rate);
    print_rate(name, r.rate, "msg/s", extra, baseline);
    check(r.delivered + r.dropped == n, std::string(name) + ": delivered + dropped == published");
  };
  auto base = raw_pubsub(url, n, true);
  report("baseline: raw nats.c + headers + JSON by hand", base, 0);
  nats::Broker::Stats stats;
  auto fw = framework_pubsub(url, n, true, &stats);
  report("faststream: typed handler", fw, base.rate);
  if (stats.slow_consumer_events || stats.disconnects)
    std::printf("    (faststream: %llu slow-consumer episodes, %llu disconnects)\n",
                static_cast<unsigned long long>(stats.slow_consumer_events),
                static_cast<unsigned long long>(stats.disconnects));
  auto fw_bytes = framework_pubsub(url, n, false, &stats);
  report("faststream: raw bytes handler (no decode)", fw_bytes, base.rate);
  auto raw_bytes = raw_pubsub(url, n, false);
  report("raw nats.c, no decode (ceiling)", raw_bytes, base.rate);
  rows.push_back(
      {"(a) core pub/sub, delivered", base.rate, fw.rate, fw_bytes.rate, raw_bytes.rate, "msg/s"});
}

// --- (b) JetStream backlog drain -------------------------------------------------------------

std::atomic<std::uint64_t> fill_errors{0};
void on_fill_error(jsCtx*, jsPubAckErr*, void*) {  // nats.c frees the message
  fill_errors.fetch_add(1, std::memory_order_relaxed);
}

// Creates the stream (file storage, as Stream's default) and fills it with n messages through
// raw js_PublishMsgAsync; not timed by the benchmarks.
void fill_stream(const std::string& url, std::size_t n) {
  Conn nc = connect(url);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = 65'536;
  jo.PublishAsync.ErrHandler = on_fill_error;
  Js js = jetstream(nc.get(), &jo);
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  const char* subjects[] = {kStreamSubject};
  cfg.Name = kStream;
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_FileStorage;
  jsStreamInfo* si = nullptr;
  jsErrCode code{};
  nats_ok(js_AddStream(&si, js.get(), &cfg, nullptr, &code), "add stream");
  jsStreamInfo_Destroy(si);
  auto t0 = Clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    natsMsg* m = wire_message(kStreamSubject, nullptr, json_payload(i), true);
    natsStatus s = js_PublishMsgAsync(js.get(), &m, nullptr);
    if (m) natsMsg_Destroy(m);
    nats_ok(s, "js_PublishMsgAsync");
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = 120'000;
  nats_ok(js_PublishAsyncComplete(js.get(), &po), "js_PublishAsyncComplete");
  double seconds = seconds_since(t0);
  nats_ok(js_GetStreamInfo(&si, js.get(), kStream, nullptr, &code), "stream info");
  std::uint64_t stored = si->State.Msgs;
  jsStreamInfo_Destroy(si);
  std::printf(
      "  filled stream %s (file storage) with %llu messages in %.1f s (%.0f/s, not timed "
      "below), %llu publish errors\n",
      kStream, static_cast<unsigned long long>(stored), seconds, static_cast<double>(n) / seconds,
      static_cast<unsigned long long>(fill_errors.load()));
  if (stored != n || fill_errors.load() != 0)
    throw std::runtime_error("the stream does not hold the N messages");
}

// Polls the consumer until nothing is pending or unacked (acks are asynchronous), or 10 s.
void check_consumer_settled(jsCtx* js, const char* consumer, const char* name) {
  jsConsumerInfo* ci = nullptr;
  jsErrCode code{};
  std::int64_t ack_pending = -1;
  std::uint64_t pending = 0;
  std::int64_t redelivered = 0;
  auto deadline = Clock::now() + std::chrono::seconds(10);
  for (;;) {
    nats_ok(js_GetConsumerInfo(&ci, js, kStream, consumer, nullptr, &code), "consumer info");
    ack_pending = ci->NumAckPending;
    pending = ci->NumPending;
    redelivered = ci->NumRedelivered;
    jsConsumerInfo_Destroy(ci);
    if ((ack_pending == 0 && pending == 0) || Clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::printf("    %s: consumer '%s' ack pending %lld, pending %llu, redelivered %lld\n", name,
              consumer, static_cast<long long>(ack_pending),
              static_cast<unsigned long long>(pending), static_cast<long long>(redelivered));
  check(ack_pending == 0, std::string(name) + ": ack pending == 0");
  check(pending == 0, std::string(name) + ": nothing left pending");
  check(redelivered == 0, std::string(name) + ": nothing redelivered");
}

void check_sink(const char* name, const Sink& sink, std::size_t n, bool ids) {
  check(sink.calls == n,
        std::string(name) + ": handler calls == N (" + std::to_string(sink.calls.load()) + ")");
  if (ids) {
    auto distinct = sink.distinct();
    check(distinct == n, std::string(name) + ": distinct ids == N (" + std::to_string(distinct) +
                             ", duplicates " + std::to_string(sink.calls.load() - distinct) + ")");
  }
}

// js_PullSubscribe + natsSubscription_Fetch(256) + natsMsg_Ack per message (+ hand decode).
double raw_drain(const std::string& url, std::size_t n, bool decode, const char* consumer,
                 const char* name) {
  Conn nc = connect(url);
  Js js = jetstream(nc.get());
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = kStream;
  so.Config.AckPolicy = js_AckExplicit;
  natsSubscription* raw = nullptr;
  jsErrCode code{};
  nats_ok(js_PullSubscribe(&raw, js.get(), kStreamSubject, consumer, nullptr, &so, &code),
          "js_PullSubscribe");
  Sub sub(raw);
  Sink sink(decode ? n : 0);
  auto t0 = Clock::now();
  auto deadline = t0 + std::chrono::seconds(120);
  while (sink.calls < n && Clock::now() < deadline) {
    natsMsgList list{nullptr, 0};
    natsSubscription_Fetch(&list, raw, kBatch, 1'000, &code);
    for (int i = 0; i < list.Count; ++i) {
      natsMsg* m = list.Msgs[i];
      if (decode) {
        sink.consume(decode_by_hand(m));
      } else {
        sink.count();
      }
      natsMsg_Ack(m, nullptr);
    }
    natsMsgList_Destroy(&list);
  }
  double seconds = seconds_since(t0);
  nats_ok(natsConnection_FlushTimeout(nc.get(), 5'000), "flush acks");
  check_sink(name, sink, n, decode);
  check_consumer_settled(js.get(), consumer, name);
  return static_cast<double>(n) / seconds;
}

double framework_drain(const std::string& url, std::size_t n, bool typed, const char* consumer,
                       const char* name) {
  nats::Broker broker(url, settings());
  Sink sink(typed ? n : 0);
  auto sub = broker.subscriber(kStreamSubject,
                               {.stream = nats::Stream{.name = kStream, .declare = false},
                                .durable = consumer,
                                .pull = nats::Pull{.batch = static_cast<std::size_t>(kBatch)}});
  if (typed) {
    sub.handle([&sink](const bench::Order& o) { sink.consume(o); });
  } else {
    sub.handle([&sink](const faststream::Bytes&) { sink.count(); });
  }
  // Timed from before start (connecting, binding the consumer): conservative by a few ms.
  auto t0 = Clock::now();
  broker.start();
  auto deadline = t0 + std::chrono::seconds(120);
  while (sink.calls.load(std::memory_order_relaxed) < n && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  double seconds = seconds_since(t0);
  auto wait_acks = Clock::now() + std::chrono::seconds(10);
  while (sub.stats().acked < n && Clock::now() < wait_acks)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto stats = sub.stats();
  check_sink(name, sink, n, typed);
  check(stats.acked == n && stats.failed == 0,
        std::string(name) + ": acked == N (" + std::to_string(stats.acked) + "), none failed (" +
            std::to_string(stats.failed) + ")");
  {
    // Checked while the broker still runs (its consumer is bound to the subscription).
    Conn nc = connect(url);
    Js js = jetstream(nc.get());
    check_consumer_settled(js.get(), consumer, name);
  }
  broker.stop();
  return static_cast<double>(n) / seconds;
}

void drain(const std::string& url, std::size_t n) {
  std::printf(
      "(b) JetStream backlog drain of %zu messages: pull consumer, fetch %d, Ack per message,\n"
      "    one durable consumer per run on the same stream\n",
      n, kBatch);
  fill_stream(url, n);
  const char* base_name = "baseline: raw nats.c Fetch+Ack + JSON by hand";
  double base = raw_drain(url, n, true, "raw", base_name);
  print_rate(base_name, base, "msg/s", "", 0);
  const char* fw_name = "faststream: typed handler (Pull batch 256)";
  double fw = framework_drain(url, n, true, "fs", fw_name);
  print_rate(fw_name, fw, "msg/s", "", base);
  const char* fwb_name = "faststream: raw bytes handler (no decode)";
  double fw_bytes = framework_drain(url, n, false, "fsbytes", fwb_name);
  print_rate(fwb_name, fw_bytes, "msg/s", "", base);
  const char* rawb_name = "raw nats.c Fetch+Ack, no decode (ceiling)";
  double raw_bytes = raw_drain(url, n, false, "rawbytes", rawb_name);
  print_rate(rawb_name, raw_bytes, "msg/s", "", base);
  rows.push_back(
      {"(b) JetStream drain (pull 256 + Ack each)", base, fw, fw_bytes, raw_bytes, "msg/s"});
}

// --- (c) ping-pong ---------------------------------------------------------------------------

struct Responder {
  Sink sink;
  bool decode = true;
};

void on_raw_request(natsConnection* nc, natsSubscription*, natsMsg* m, void* closure) {
  auto* r = static_cast<Responder*>(closure);
  const char* reply_to = natsMsg_GetReply(m);
  if (!r->decode) {
    natsConnection_Publish(nc, reply_to, natsMsg_GetData(m), natsMsg_GetDataLength(m));
    natsMsg_Destroy(m);
    return;
  }
  std::string correlation_id;
  bench::Order o = decode_by_hand(m, &correlation_id);
  r->sink.consume(o);
  const std::string body = encode_json(o);
  natsMsg* answer = nullptr;
  natsMsg_Create(&answer, reply_to, nullptr, body.data(), static_cast<int>(body.size()));
  natsMsgHeader_Set(answer, "content-type", kJson);
  natsMsgHeader_Set(answer, "correlation_id", correlation_id.c_str());
  natsConnection_PublishMsg(nc, answer);
  natsMsg_Destroy(answer);
  natsMsg_Destroy(m);
}

// natsConnection_RequestMsg on one connection, the responder on another.
double raw_ping_pong(const std::string& url, std::chrono::seconds duration, bool decode,
                     bool send_asap = false) {
  const std::string subject =
      std::string(decode ? "bench.pp.raw" : "bench.pp.rawbytes") + (send_asap ? ".asap" : "");
  Conn responder_nc = connect(url, send_asap), requester = connect(url, send_asap);
  Responder responder;
  responder.decode = decode;
  natsSubscription* raw = nullptr;
  nats_ok(natsConnection_Subscribe(&raw, responder_nc.get(), subject.c_str(), on_raw_request,
                                   &responder),
          "subscribe");
  Sub sub(raw);
  nats_ok(natsConnection_FlushTimeout(responder_nc.get(), 5'000), "flush");
  bench::Order request{"ORD-00000001", 1234.5, std::string("leave at the front door, ring twice"),
                       3};
  const std::string fixed = encode_json(request);
  std::uint64_t round_trips = 0, wrong_replies = 0;
  Sink client;
  auto t0 = Clock::now();
  while (Clock::now() - t0 < duration) {
    natsMsg* reply = nullptr;
    if (decode) {
      natsMsg* m = wire_message(subject.c_str(), nullptr, encode_json(request), false);
      natsStatus s = natsConnection_RequestMsg(&reply, requester.get(), m, 5'000);
      natsMsg_Destroy(m);
      nats_ok(s, "request");
      auto answer = decode_by_hand(reply);
      if (!same_order(answer, request)) ++wrong_replies;
      client.consume(answer);
    } else {
      nats_ok(natsConnection_Request(&reply, requester.get(), subject.c_str(), fixed.data(),
                                     static_cast<int>(fixed.size()), 5'000),
              "request");
      std::string_view body(natsMsg_GetData(reply),
                            static_cast<std::size_t>(natsMsg_GetDataLength(reply)));
      if (body != fixed) ++wrong_replies;
    }
    natsMsg_Destroy(reply);
    ++round_trips;
  }
  double rate = static_cast<double>(round_trips) / seconds_since(t0);
  check(wrong_replies == 0, "baseline ping-pong: every reply echoes its request");
  if (decode)
    check(responder.sink.calls == round_trips,
          "baseline ping-pong: every request decoded by the responder");
  return rate;
}

double framework_ping_pong(const std::string& url, std::chrono::seconds duration) {
  nats::Broker broker(url, settings());
  Sink server;
  broker.subscriber("bench.pp.fw").handle([&server](const bench::Order& o) -> bench::Order {
    server.consume(o);
    return o;
  });
  broker.start();
  bench::Order request{"ORD-00000001", 1234.5, std::string("leave at the front door, ring twice"),
                       3};
  Sink client;
  std::uint64_t round_trips = 0, wrong_replies = 0;
  auto t0 = Clock::now();
  while (Clock::now() - t0 < duration) {
    faststream::Reply reply = broker.request(request, "bench.pp.fw").get();
    auto answer = reply.decode<bench::Order>();
    if (!same_order(answer, request) || reply.correlation_id().empty()) ++wrong_replies;
    client.consume(answer);
    ++round_trips;
  }
  double rate = static_cast<double>(round_trips) / seconds_since(t0);
  broker.stop();
  check(server.calls == round_trips && wrong_replies == 0,
        "faststream ping-pong: every request handled, every reply echoes its request");
  return rate;
}

void ping_pong(const std::string& url, std::chrono::seconds duration) {
  std::printf("(c) ping-pong for %lld s each: request -> handler -> typed reply, one in flight\n",
              static_cast<long long>(duration.count()));
  double base = raw_ping_pong(url, duration, true);
  print_rate("baseline: raw nats.c RequestMsg + JSON by hand", base, "round trips/s", "", 0);
  double fw = framework_ping_pong(url, duration);
  print_rate("faststream: request() + typed handler", fw, "round trips/s", "", base);
  double raw_bytes = raw_ping_pong(url, duration, false);
  print_rate("raw nats.c Request, echo bytes (ceiling)", raw_bytes, "round trips/s", "", base);
  rows.push_back({"(c) ping-pong (request/reply)", base, fw, -1, raw_bytes, "round trips/s"});
  // Not a baseline (the framework uses nats.c's default options): what the round trip costs
  // without the flusher's 1 ms wait on the (unflushed) reply publish.
  asap_rate = raw_ping_pong(url, duration, true, true);
  print_rate("info: baseline with SendAsap on both conns", asap_rate, "round trips/s", "", base);
}

void summary() {
  std::printf("\nsummary (ratio = / baseline)\n");
  std::printf("  %-44s %14s %14s %6s %14s %6s %14s %6s\n", "benchmark", "baseline", "faststream",
              "ratio", "fs raw bytes", "ratio", "nats.c bytes", "ratio");
  for (const auto& r : rows) {
    char fwb[64] = "-", fwbr[16] = "-";
    if (r.ours_bytes >= 0) {
      std::snprintf(fwb, sizeof fwb, "%.0f", r.ours_bytes);
      std::snprintf(fwbr, sizeof fwbr, "%.2f", r.ours_bytes / r.baseline);
    }
    std::printf("  %-44s %14.0f %14.0f %6.2f %14s %6s %14.0f %6.2f\n", r.benchmark.c_str(),
                r.baseline, r.ours, r.ours / r.baseline, fwb, fwbr, r.raw_bytes,
                r.raw_bytes / r.baseline);
  }
  if (asap_rate > 0)
    std::printf("  (c) info: the baseline with SendAsap on both connections: %.0f round trips/s\n",
                asap_rate);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t pubsub_n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  std::size_t drain_n = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : pubsub_n;
  auto duration = std::chrono::seconds(argc > 3 ? std::atoi(argv[3]) : 10);
  try {
    fs_test::NatsServer server;
    std::printf("nats-server -js on %s (its own, private store in %s, stopped at the end)\n",
                server.url().c_str(), server.dir().c_str());
    pubsub(server.url(), pubsub_n);
    drain(server.url(), drain_n);
    ping_pong(server.url(), duration);
    summary();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FAILED: %s\n", e.what());
    return 1;
  }
  if (failures) {
    std::fprintf(stderr, "FAILED: %d count check(s)\n", failures);
    return 1;
  }
  return 0;
}
