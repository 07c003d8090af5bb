// Memory-broker throughput of the whole typed pipeline (publish → queue → decode + validate →
// handler → ack), beside a hand-written loop doing the same JSON decode, the same checks and
// a direct call, in the same run. Checks handler calls == N. Run pinned to one core
// (bench/run.sh uses taskset -c 0), max_workers = 1, access log off.
#include <boost/json.hpp>

#include <faststream/faststream.hpp>

#include "core/metrics.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

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

std::vector<std::string> make_payloads(std::size_t n) {
  std::vector<std::string> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    char buf[160];
    std::snprintf(
        buf, sizeof buf,
        R"({"id":"ORD-2024-%06zu","amount":%zu.5,"note":"leave at the front door","qty":%zu})",
        i % 1000000, i % 5000, 1 + i % 7);
    out.emplace_back(buf);
  }
  return out;
}

// The work every handler does with the order (so nothing is optimised away).
struct Sink {
  std::atomic<std::uint64_t> calls{0};
  double total = 0;
  void consume(const bench::Order& o) {
    total += o.amount * static_cast<double>(o.qty);
    calls.fetch_add(1, std::memory_order_relaxed);
  }
};

double baseline(const std::vector<std::string>& payloads, Sink& sink) {
  auto t0 = Clock::now();
  unsigned char buffer[4096];
  for (const auto& p : payloads) {
    boost::json::monotonic_resource mr(buffer, sizeof buffer);
    boost::json::value v = boost::json::parse(p, &mr);
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
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

faststream::BrokerSettings bench_settings(bool metrics = false) {
  faststream::BrokerSettings s;
  s.log_level = faststream::LogLevel::warning;
  s.access_log_level = faststream::LogLevel::off;
  s.worker_threads = 1;
  s.collect_metrics = metrics;  // FastStream's Prometheus metrics (the side door's /metrics)
  return s;
}

faststream::Task<void> consume_async(Sink* sink, bench::Order order) {
  sink->consume(order);
  co_return;
}

// Publishes every payload from this thread (blocking publish) and waits until the handler
// saw them all. Returns seconds from the first publish to the last handler call.
template <class Declare>
double pipeline(const std::vector<std::string>& payloads, Sink& sink, Declare declare,
                bool metrics = false) {
  faststream::memory::Broker broker("memory://", bench_settings(metrics));
  declare(broker, sink);
  broker.start();
  auto t0 = Clock::now();
  for (const auto& p : payloads) broker.publish(faststream::RawJson{p}, "orders").get();
  while (sink.calls.load(std::memory_order_relaxed) < payloads.size()) std::this_thread::yield();
  double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  auto stats = broker.core().subscribers().front()->stats();
  broker.stop();
  if (metrics && broker.core().subscribers().front()->metrics()->received != payloads.size()) {
    std::fprintf(stderr, "FAILED: the metrics counted %llu of %zu\n",
                 static_cast<unsigned long long>(
                     broker.core().subscribers().front()->metrics()->received.load()),
                 payloads.size());
    std::exit(1);
  }
  if (stats.acked != payloads.size() || stats.failed != 0) {
    std::fprintf(stderr, "FAILED: acked %llu failed %llu of %zu\n",
                 static_cast<unsigned long long>(stats.acked),
                 static_cast<unsigned long long>(stats.failed), payloads.size());
    std::exit(1);
  }
  return seconds;
}

void report(const char* name, std::size_t n, double seconds, double baseline_rate) {
  double rate = static_cast<double>(n) / seconds;
  std::printf("%-34s %10.0f msg/s  %7.1f ns/msg  ratio %.2f\n", name, rate, 1e9 / rate,
              rate / baseline_rate);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  auto payloads = make_payloads(n);
  std::printf("memory broker pipeline, %zu messages of ~%zu bytes, max_workers=1\n", n,
              payloads.front().size());

  Sink base_sink;
  double base = baseline(payloads, base_sink);
  if (base_sink.calls != n) return 1;
  double base_rate = static_cast<double>(n) / base;
  report("baseline: Boost.JSON by hand + call", n, base, base_rate);

  Sink plain_sink;
  double plain = pipeline(payloads, plain_sink, [](auto& broker, Sink& sink) {
    broker.subscriber("orders").handle([&sink](const bench::Order& o) { sink.consume(o); });
  });
  if (plain_sink.calls != n) return 1;
  report("faststream plain handler", n, plain, base_rate);

  Sink metered_sink;
  double metered = pipeline(
      payloads, metered_sink,
      [](auto& broker, Sink& sink) {
        broker.subscriber("orders").handle([&sink](const bench::Order& o) { sink.consume(o); });
      },
      true);
  if (metered_sink.calls != n) return 1;
  report("faststream plain handler + metrics", n, metered, base_rate);

  Sink co_sink;
  double co = pipeline(payloads, co_sink, [](auto& broker, Sink& sink) {
    broker.subscriber("orders").handle(
        [s = &sink](bench::Order o) { return consume_async(s, std::move(o)); });
  });
  if (co_sink.calls != n) return 1;
  report("faststream coroutine handler", n, co, base_rate);
  std::printf("handler calls: baseline %llu, plain %llu, coroutine %llu (expected %zu each)\n",
              static_cast<unsigned long long>(base_sink.calls.load()),
              static_cast<unsigned long long>(plain_sink.calls.load()),
              static_cast<unsigned long long>(co_sink.calls.load()), n);
  return 0;
}
