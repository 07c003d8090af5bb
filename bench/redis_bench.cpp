// Redis benchmarks, each beside a raw-hiredis baseline doing the same work in the same run
// (same envelope parse, same JSON decode and checks by hand, same batch sizes and acks):
//   (a) backlog drain: XADD N entries (or RPUSH N), then consume (+ XACK each) and decode;
//   (b) pub/sub: publish N flat out, count delivered and lost;
//   (c) ping-pong: a handler republishes to its own channel, for a fixed time.
// Starts its own redis-server. Every framework run checks handler calls == N.
#include <boost/json.hpp>

#include <faststream/faststream.hpp>
#include <faststream/redis.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "redis/envelope.hpp"
#include "support/redis_server.hpp"

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
namespace redis = faststream::redis;
namespace envelope = faststream::redis::envelope;

constexpr std::size_t kBatch = 100;  // XREADGROUP / LPOP COUNT, both sides

std::string json_payload(std::size_t i) {
  char buf[160];
  std::snprintf(
      buf, sizeof buf,
      R"({"id":"ORD-2024-%06zu","amount":%zu.5,"note":"leave at the front door","qty":%zu})",
      i % 1000000, i % 5000, 1 + i % 7);
  return buf;
}

std::string wire_message(std::size_t i) {
  faststream::Headers headers{{"correlation_id", faststream::generate_id()},
                              {"content-type", "application/json"}};
  return envelope::encode(json_payload(i), headers);
}

struct Sink {
  std::atomic<std::uint64_t> calls{0};
  double total = 0;
  void consume(const bench::Order& o) {
    total += o.amount * static_cast<double>(o.qty);
    calls.fetch_add(1, std::memory_order_relaxed);
  }
};

// The hand-written decode of the baseline: envelope, Boost.JSON, fields, the same checks.
void decode_by_hand(std::string_view wire, Sink& sink) {
  auto parsed = envelope::parse(wire);
  unsigned char buffer[4096];
  boost::json::monotonic_resource mr(buffer, sizeof buffer);
  boost::json::value v = boost::json::parse(parsed.body, &mr);
  const auto& obj = v.as_object();
  bench::Order o;
  o.id = std::string(obj.at("id").as_string());
  o.amount = obj.at("amount").to_number<double>();
  if (const auto* n = obj.if_contains("note"); n && !n->is_null())
    o.note = std::string(n->as_string());
  o.qty = obj.at("qty").to_number<std::int64_t>();
  if (o.amount < 0 || o.id.empty() || o.id.size() > 64 || o.qty < 1)
    throw std::runtime_error("invalid");
  sink.consume(o);
}

// --- A synchronous raw client for filling and for the baselines -----------------------------

class Raw {
 public:
  explicit Raw(int port) : c_(redisConnect("127.0.0.1", port)) {
    if (!c_ || c_->err) throw std::runtime_error("raw hiredis connect failed");
  }
  ~Raw() { redisFree(c_); }
  void append(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    redisAppendCommandArgv(c_, static_cast<int>(args.size()), argv.data(), lens.data());
    ++pending_;
  }
  void drain() {
    for (; pending_ > 0; --pending_) {
      void* r = nullptr;
      if (redisGetReply(c_, &r) != REDIS_OK) throw std::runtime_error("raw hiredis reply failed");
      freeReplyObject(r);
    }
  }
  redisReply* command(const std::vector<std::string>& args) {
    append(args);
    --pending_;
    void* r = nullptr;
    if (redisGetReply(c_, &r) != REDIS_OK) throw std::runtime_error("raw hiredis reply failed");
    return static_cast<redisReply*>(r);
  }
  redisContext* context() { return c_; }

 private:
  redisContext* c_;
  std::size_t pending_ = 0;
};

void fill(int port, const std::string& key, bool stream, std::size_t n) {
  Raw raw(port);
  for (std::size_t i = 0; i < n; ++i) {
    if (stream) {
      raw.append({"XADD", key, "*", "__data__", wire_message(i)});
    } else {
      raw.append({"RPUSH", key, wire_message(i)});
    }
    if (i % 1000 == 999) raw.drain();
  }
  raw.drain();
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void report(const char* name, std::size_t n, double seconds, double baseline_rate,
            std::size_t bytes = 0) {
  double rate = static_cast<double>(n) / seconds;
  if (bytes) {
    std::printf("  %-44s %9.0f msg/s  %7.1f MB/s  ratio %.2f\n", name, rate,
                static_cast<double>(bytes) / seconds / 1e6, rate / baseline_rate);
  } else {
    std::printf("  %-44s %9.0f msg/s                ratio %.2f\n", name, rate,
                rate / baseline_rate);
  }
  std::fflush(stdout);
}

faststream::BrokerSettings settings() {
  faststream::BrokerSettings s;
  s.log_level = faststream::LogLevel::warning;
  s.access_log_level = faststream::LogLevel::off;
  return s;
}

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "FAILED: %s\n", what);
    std::exit(1);
  }
}

// --- (a) backlog drain ------------------------------------------------------------------------

double raw_stream_drain(int port, const std::string& key, std::size_t n, Sink& sink) {
  Raw raw(port);
  freeReplyObject(raw.command({"XGROUP", "CREATE", key, "g", "0"}));
  auto t0 = Clock::now();
  while (sink.calls < n) {
    redisReply* r = raw.command(
        {"XREADGROUP", "GROUP", "g", "raw", "COUNT", std::to_string(kBatch), "STREAMS", key, ">"});
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
      redisReply* entries = r->element[0]->element[1];
      // One XACK per read batch, as the framework coalesces its acks.
      std::vector<std::string> ack{"XACK", key, "g"};
      for (std::size_t i = 0; i < entries->elements; ++i) {
        redisReply* e = entries->element[i];
        redisReply* fields = e->element[1];
        decode_by_hand(std::string_view(fields->element[1]->str, fields->element[1]->len), sink);
        ack.push_back(std::string(e->element[0]->str, e->element[0]->len));
      }
      raw.append(ack);
      raw.drain();
    }
    freeReplyObject(r);
  }
  return seconds_since(t0);
}

double raw_list_drain(int port, const std::string& key, std::size_t n, Sink& sink) {
  Raw raw(port);
  auto t0 = Clock::now();
  while (sink.calls < n) {
    redisReply* r = raw.command({"LPOP", key, std::to_string(kBatch)});
    if (r->type == REDIS_REPLY_ARRAY)
      for (std::size_t i = 0; i < r->elements; ++i)
        decode_by_hand(std::string_view(r->element[i]->str, r->element[i]->len), sink);
    freeReplyObject(r);
  }
  return seconds_since(t0);
}

template <class Declare>
double framework_drain(int port, std::size_t n, Sink& sink, Declare declare) {
  redis::Broker broker("redis://127.0.0.1:" + std::to_string(port), settings());
  declare(broker, sink);
  auto t0 = Clock::now();
  broker.start();
  while (sink.calls.load(std::memory_order_relaxed) < n)
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  double seconds = seconds_since(t0);
  // Let the last acks go out before stopping.
  auto& sub = broker.core().subscribers().front();
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (sub->stats().acked < n && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto stats = sub->stats();
  broker.stop();
  require(sink.calls == n, "handler calls == N");
  require(stats.acked == n && stats.failed == 0, "every message acked, none failed");
  return seconds;
}

void backlog(int port, std::size_t n) {
  std::printf("(a) backlog drain of %zu messages (~%zu bytes on the wire each), COUNT %zu\n", n,
              wire_message(0).size(), kBatch);
  const std::size_t bytes = n * wire_message(0).size();
  for (bool stream : {true, false}) {
    const char* what = stream ? "stream (XREADGROUP COUNT + XACK per batch)" : "list (LPOP COUNT)";
    std::printf(" %s\n", what);
    auto key = std::string(stream ? "bench:stream:" : "bench:list:");
    fill(port, key + "raw", stream, n);
    Sink raw_sink;
    double raw_seconds = stream ? raw_stream_drain(port, key + "raw", n, raw_sink)
                                : raw_list_drain(port, key + "raw", n, raw_sink);
    require(raw_sink.calls == n, "baseline calls == N");
    double base_rate = static_cast<double>(n) / raw_seconds;
    report("baseline: raw hiredis + envelope + JSON", n, raw_seconds, base_rate, bytes);

    fill(port, key + "typed", stream, n);
    Sink typed;
    double typed_seconds = framework_drain(port, n, typed, [&](redis::Broker& b, Sink& s) {
      auto options =
          stream ? redis::stream(
                       {.group = "g", .consumer = "fw", .last_id = "0", .max_records = kBatch})
                 : redis::list({.max_records = kBatch});
      b.subscriber(key + "typed", options).handle([&s](const bench::Order& o) { s.consume(o); });
    });
    report("faststream: typed handler (decode+validate)", n, typed_seconds, base_rate, bytes);

    fill(port, key + "bytes", stream, n);
    Sink raw_bytes;
    double bytes_seconds = framework_drain(port, n, raw_bytes, [&](redis::Broker& b, Sink& s) {
      auto options =
          stream ? redis::stream(
                       {.group = "g", .consumer = "fw", .last_id = "0", .max_records = kBatch})
                 : redis::list({.max_records = kBatch});
      b.subscriber(key + "bytes", options).handle([&s](const faststream::Bytes&) {
        s.calls.fetch_add(1, std::memory_order_relaxed);
      });
    });
    report("faststream: raw bytes (no decode)", n, bytes_seconds, base_rate, bytes);
  }
}

// --- (b) pub/sub ------------------------------------------------------------------------------

// Publishes n messages flat out on its own connection (pipelined, 1000 at a time).
void publish_flat_out(int port, const std::string& channel, std::size_t n) {
  Raw raw(port);
  for (std::size_t i = 0; i < n; ++i) {
    raw.append({"PUBLISH", channel, wire_message(i)});
    if (i % 1000 == 999) raw.drain();
  }
  raw.drain();
}

// The baseline subscriber: a blocking hiredis connection reading pushes.
std::pair<double, std::size_t> raw_pubsub(int port, std::size_t n) {
  Raw sub(port);
  freeReplyObject(sub.command({"SUBSCRIBE", "bench:pubsub:raw"}));
  Sink sink;
  std::thread publisher([&] { publish_flat_out(port, "bench:pubsub:raw", n); });
  auto t0 = Clock::now();
  timeval tv{1, 0};
  redisSetTimeout(sub.context(), tv);
  while (sink.calls < n) {
    void* r = nullptr;
    if (redisGetReply(sub.context(), &r) != REDIS_OK) break;  // 1 s of silence: the rest is lost
    auto* reply = static_cast<redisReply*>(r);
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3)
      decode_by_hand(std::string_view(reply->element[2]->str, reply->element[2]->len), sink);
    freeReplyObject(r);
  }
  double seconds = seconds_since(t0);
  publisher.join();
  return {seconds, sink.calls.load()};
}

std::pair<double, std::size_t> framework_pubsub(int port, std::size_t n) {
  redis::Broker broker("redis://127.0.0.1:" + std::to_string(port), settings());
  Sink sink;
  broker.subscriber("bench:pubsub:fw").handle([&sink](const bench::Order& o) { sink.consume(o); });
  broker.start();
  std::thread publisher([&] { publish_flat_out(port, "bench:pubsub:fw", n); });
  auto t0 = Clock::now();
  auto last_progress = Clock::now();
  std::uint64_t last = 0;
  while (sink.calls < n && Clock::now() - last_progress < std::chrono::seconds(1)) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    if (sink.calls != last) {
      last = sink.calls;
      last_progress = Clock::now();
    }
  }
  double seconds = seconds_since(t0);
  publisher.join();
  auto delivered = sink.calls.load();
  auto stats = redis::Broker::Stats(broker.stats());
  broker.stop();
  if (stats.pubsub_disconnects)
    std::printf("  (pub/sub disconnects: %llu)\n",
                static_cast<unsigned long long>(stats.pubsub_disconnects));
  return {seconds, delivered};
}

void pubsub(int port, std::size_t n) {
  std::printf("(b) pub/sub: %zu messages published flat out, counted as delivered\n", n);
  auto [raw_seconds, raw_delivered] = raw_pubsub(port, n);
  double base_rate = static_cast<double>(raw_delivered) / raw_seconds;
  std::printf("  %-44s %9.0f msg/s  delivered %zu, lost %zu\n",
              "baseline: raw hiredis + envelope + JSON", base_rate, raw_delivered,
              n - raw_delivered);
  auto [fw_seconds, fw_delivered] = framework_pubsub(port, n);
  double rate = static_cast<double>(fw_delivered) / fw_seconds;
  std::printf("  %-44s %9.0f msg/s  delivered %zu, lost %zu  ratio %.2f\n",
              "faststream: typed handler", rate, fw_delivered, n - fw_delivered, rate / base_rate);
}

// --- (c) ping-pong ----------------------------------------------------------------------------

double raw_ping_pong(int port, std::chrono::seconds duration) {
  Raw sub(port), pub(port);
  freeReplyObject(sub.command({"SUBSCRIBE", "bench:pp:raw"}));
  Sink sink;
  freeReplyObject(pub.command({"PUBLISH", "bench:pp:raw", wire_message(0)}));
  auto t0 = Clock::now();
  while (Clock::now() - t0 < duration) {
    void* r = nullptr;
    if (redisGetReply(sub.context(), &r) != REDIS_OK) break;
    auto* reply = static_cast<redisReply*>(r);
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3) {
      decode_by_hand(std::string_view(reply->element[2]->str, reply->element[2]->len), sink);
      freeReplyObject(pub.command({"PUBLISH", "bench:pp:raw", wire_message(sink.calls)}));
    }
    freeReplyObject(r);
  }
  return static_cast<double>(sink.calls) / seconds_since(t0);
}

double framework_ping_pong(int port, std::chrono::seconds duration) {
  redis::Broker broker("redis://127.0.0.1:" + std::to_string(port), settings());
  Sink sink;
  // A plain handler that republishes to its own channel: one message in flight at a time.
  broker.subscriber("bench:pp:fw")
      .publishes_to("bench:pp:fw")
      .handle([&sink](const bench::Order& o) -> bench::Order {
        sink.consume(o);
        return o;
      });
  broker.start();
  bench::Order first{"ORD-1", 1.5, std::nullopt, 1};
  auto t0 = Clock::now();
  broker.publish(first, "bench:pp:fw").get();
  std::this_thread::sleep_for(duration);
  double rate = static_cast<double>(sink.calls) / seconds_since(t0);
  broker.stop();
  return rate;
}

void ping_pong(int port, std::chrono::seconds duration) {
  std::printf("(c) ping-pong for %lld s: a handler republishes to its own channel\n",
              static_cast<long long>(duration.count()));
  double base = raw_ping_pong(port, duration);
  std::printf("  %-44s %9.0f round trips/s\n", "baseline: raw hiredis (sync) + envelope + JSON",
              base);
  double fw = framework_ping_pong(port, duration);
  std::printf("  %-44s %9.0f round trips/s  ratio %.2f\n", "faststream: plain handler", fw,
              fw / base);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  std::size_t pubsub_n = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : n;
  auto duration = std::chrono::seconds(argc > 3 ? std::atoi(argv[3]) : 10);
  fs_test::RedisServer server;
  std::printf("redis-server on 127.0.0.1:%d (its own, stopped at the end)\n", server.port());
  backlog(server.port(), n);
  pubsub(server.port(), pubsub_n);
  ping_pong(server.port(), duration);
  return 0;
}
