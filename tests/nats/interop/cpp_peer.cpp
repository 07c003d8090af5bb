// The C++ side of the NATS interop test with Python FastStream (run_interop.py drives it).
//
//   faststream_nats_interop_peer --url URL serve [--max-seconds N]
//       Subscribers on the core subject interop.cpp.core, and on the JetStream stream
//       INTEROP_CPP: interop.cpp.js (durable push consumer "cpp-push") and interop.cpp.pull
//       (durable pull consumer "cpp-pull"). Each decodes an Order, prints one JSON line per
//       message and returns a Receipt (the RPC reply when the message has a reply subject:
//       the NATS reply on core, the reply_to header on JetStream). Prints {"event":"ready"}
//       once subscribed; stops when stdin reaches EOF (or after N seconds, exit 3), then
//       prints the subscribers' stats.
//   faststream_nats_interop_peer --url URL client PLAN.jsonl
//       Runs the plan's actions in order against Python's subscribers (interop.py.<source>;
//       js and pull through JetStream, expecting the stream INTEROP_PY): publishes, and
//       requests whose replies it prints with their correlation ids.
//
// Every output line on stdout is one JSON object, written by this library's encoder.
#include <poll.h>
#include <unistd.h>
#include <faststream/faststream.hpp>
#include <faststream/nats.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace interop {

struct Item {
  std::string sku;
  int quantity = 1;
  double price = 0;
};
FASTSTREAM_MODEL(Item, sku, quantity, price);
FASTSTREAM_FIELDS(Item, field(&Item::sku).pattern("^[A-Z]{3}-[0-9]+$"),
                  field(&Item::quantity).gt(0), field(&Item::price).ge(0));

struct Order {
  std::string id;
  double amount = 0;
  std::vector<Item> items;
  std::optional<std::string> note;
  std::vector<std::string> tags;
};
FASTSTREAM_MODEL(Order, id, amount, items, note, tags);
FASTSTREAM_FIELDS(Order, field(&Order::id).min_length(1), field(&Order::amount).ge(0),
                  field(&Order::items).min_length(1));

struct Receipt {
  std::string order_id;
  std::string source;
  std::string handled_by;
  double total = 0;
  int item_count = 0;
  std::optional<std::string> note;
  std::vector<std::string> skus;
};
FASTSTREAM_MODEL(Receipt, order_id, source, handled_by, total, item_count, note, skus);

// One step of a client plan (a line of PLAN.jsonl). The order is sent as a typed Order, or,
// with "raw": true, as the JSON text it is (e.g. with an optional field left out).
struct Action {
  std::string kind;    // "publish" | "request"
  std::string source;  // "core" | "js" | "pull"
  std::optional<std::string> correlation_id;
  std::map<std::string, std::string> headers;
  faststream::RawJson order;
  bool raw = false;
};
FASTSTREAM_MODEL(Action, kind, source, correlation_id, headers, order, raw);
FASTSTREAM_FIELDS(Action, field(&Action::raw).with_default());

// --- Output lines ---------------------------------------------------------------------------

struct Received {
  std::string event = "received";
  std::string peer = "cpp";
  std::string source;
  std::string subject;
  std::string seq;
  std::string correlation_id;
  std::string reply_to;
  std::string content_type;
  std::string stream;  // JetStream: the stream it came from (empty on core)
  std::uint64_t stream_sequence = 0;
  std::uint32_t delivery_count = 0;
  std::map<std::string, std::string> headers;  // the x-* headers
  std::map<std::string, std::string> wire;     // every other header, as it arrived
  Order order;
};
FASTSTREAM_MODEL(Received, event, peer, source, subject, seq, correlation_id, reply_to,
                 content_type, stream, stream_sequence, delivery_count, headers, wire, order);

struct Failed {
  std::string event = "failed";
  std::string peer = "cpp";
  std::string source;
  std::string seq;
  std::string correlation_id;
  std::uint32_t delivery_count = 0;
  std::string error;
};
FASTSTREAM_MODEL(Failed, event, peer, source, seq, correlation_id, delivery_count, error);

struct Sent {
  std::string event = "sent";
  std::string peer = "cpp";
  std::string source;
  std::string seq;
};
FASTSTREAM_MODEL(Sent, event, peer, source, seq);

struct ReplyLine {
  std::string event = "reply";
  std::string peer = "cpp";
  std::string source;
  std::string seq;
  std::string correlation_id;
  std::string content_type;
  std::map<std::string, std::string> wire;  // the reply's headers
  Receipt receipt;
};
FASTSTREAM_MODEL(ReplyLine, event, peer, source, seq, correlation_id, content_type, wire, receipt);

struct Counts {
  std::uint64_t processed = 0;
  std::uint64_t failed = 0;
  std::uint64_t acked = 0;
  std::uint64_t nacked = 0;
  std::uint64_t rejected = 0;
};
FASTSTREAM_MODEL(Counts, processed, failed, acked, nacked, rejected);

struct StatsLine {
  std::string event = "stats";
  std::string peer = "cpp";
  std::map<std::string, Counts> subscribers;
};
FASTSTREAM_MODEL(StatsLine, event, peer, subscribers);

struct Event {
  std::string event;
  std::string peer = "cpp";
  std::string detail;
};
FASTSTREAM_MODEL(Event, event, peer, detail);

}  // namespace interop

namespace {

namespace nats = faststream::nats;
using namespace interop;

constexpr const char* kServeStream = "INTEROP_CPP";  // the stream this peer serves
constexpr const char* kClientStream = "INTEROP_PY";  // the stream Python serves

std::mutex g_out_mutex;

template <class T>
void emit(const T& line) {
  std::string text = faststream::encode_json(line);
  std::lock_guard lock(g_out_mutex);
  std::cout << text << '\n' << std::flush;
}

// interop.cpp.<source>: the subject's last token.
std::string source_of(const std::string& subject) {
  const auto dot = subject.rfind('.');
  return dot == std::string::npos ? subject : subject.substr(dot + 1);
}

std::string header_or_empty(const faststream::Message& m, std::string_view name) {
  auto v = m.header(name);
  return v ? std::string(*v) : std::string();
}

// Reports a message this side could not decode (the field paths come from DecodeError), then
// lets the framework apply the subscriber's policy (core: log and drop; JetStream: Term) as
// usual.
class ReportFailures : public faststream::Middleware {
 public:
  faststream::Task<void> on_consume(faststream::Context& ctx,
                                    faststream::ConsumeNext next) override {
    std::string error;
    std::exception_ptr original;
    try {
      co_await next();
      co_return;
    } catch (const faststream::DecodeError& e) {
      error = e.what();
      original = std::current_exception();
    }
    const auto& m = ctx.message();
    Failed line;
    line.source = source_of(m.destination());
    line.seq = header_or_empty(m, "x-seq");
    line.correlation_id = m.correlation_id();
    line.delivery_count = m.delivery_count();
    line.error = error;
    emit(line);
    std::rethrow_exception(original);
  }
};

Receipt make_receipt(const Order& order, std::string source) {
  Receipt r;
  r.order_id = order.id;
  r.source = std::move(source);
  r.handled_by = "cpp";
  for (const auto& item : order.items) {
    r.total += item.quantity * item.price;
    r.skus.push_back(item.sku);
  }
  r.item_count = static_cast<int>(order.items.size());
  r.note = order.note;
  return r;
}

std::map<std::string, std::string> wire_headers(const faststream::Message& m) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : m.headers())
    if (k.rfind("x-", 0) != 0) out[k] = v;
  return out;
}

Receipt on_order(const Order& order, nats::Message& m) {
  Received line;
  line.source = source_of(m.subject());
  line.subject = m.subject();
  line.seq = header_or_empty(m, "x-seq");
  line.correlation_id = m.correlation_id();
  line.reply_to = m.reply_to();
  line.content_type = m.content_type();
  line.stream = m.stream();
  line.stream_sequence = m.stream_sequence();
  line.delivery_count = m.delivery_count();
  for (const auto& [k, v] : m.headers())
    if (k.rfind("x-", 0) == 0) line.headers[k] = v;
  line.wire = wire_headers(m);
  line.order = order;
  emit(line);
  return make_receipt(order, line.source);
}

// Waits for EOF on stdin; false when `limit` passes first.
bool wait_for_stdin_eof(std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  char buf[256];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{STDIN_FILENO, POLLIN, 0};
    int r = ::poll(&p, 1, 100);
    if (r > 0) {
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n <= 0) return true;
    }
  }
  return false;
}

faststream::BrokerSettings settings() {
  faststream::BrokerSettings s;
  s.log_level = faststream::LogLevel::warning;  // failures are logged at error
  s.access_log_level = faststream::LogLevel::debug;
  s.graceful_timeout = std::chrono::seconds(10);
  s.publish_timeout = std::chrono::seconds(10);
  return s;
}

int serve(const std::string& url, std::chrono::seconds limit) {
  nats::Broker broker{url, settings()};
  broker.add_middleware(std::make_shared<ReportFailures>());
  auto core = broker.subscriber("interop.cpp.core");
  core.handle(on_order);
  auto js = broker.subscriber(
      "interop.cpp.js", {.stream = nats::Stream{.name = kServeStream}, .durable = "cpp-push"});
  js.handle(on_order);
  auto pull = broker.subscriber("interop.cpp.pull", {.stream = nats::Stream{.name = kServeStream},
                                                     .durable = "cpp-pull",
                                                     .pull = nats::Pull{.batch = 10}});
  pull.handle(on_order);
  broker.start();
  emit(Event{"ready", "cpp", url});
  const bool eof = wait_for_stdin_eof(limit);
  broker.stop();
  StatsLine stats;
  const std::pair<const char*, nats::Subscriber*> subscribers[] = {
      {"core", &core}, {"js", &js}, {"pull", &pull}};
  for (const auto& [name, sub] : subscribers) {
    auto s = sub->stats();
    stats.subscribers[name] = Counts{s.processed, s.failed, s.acked, s.nacked, s.rejected};
  }
  emit(stats);
  if (!eof) {
    emit(Event{"error", "cpp", "stdin stayed open past --max-seconds"});
    return 3;
  }
  return 0;
}

faststream::nats::Target target_of(const std::string& source) {
  const std::string subject = "interop.py." + source;
  if (source == "core") return nats::to_subject(subject);
  if (source == "js" || source == "pull")
    return nats::to_stream(subject, {.expect_stream = kClientStream});
  throw std::invalid_argument("unknown source '" + source + "'");
}

int client(const std::string& url, const std::string& plan_file) {
  std::ifstream input(plan_file);
  if (!input) throw std::runtime_error("cannot read " + plan_file);
  std::vector<Action> plan;
  for (std::string line; std::getline(input, line);)
    if (!line.empty()) plan.push_back(faststream::decode_json<Action>(line));

  nats::Broker broker{url, settings()};
  broker.start();
  for (const auto& action : plan) {
    faststream::Headers headers;
    for (const auto& [k, v] : action.headers) headers.add(k, v);
    const std::string seq = action.headers.count("x-seq") ? action.headers.at("x-seq") : "";
    if (action.kind == "publish") {
      faststream::PublishOptions options;
      options.headers = std::move(headers);
      options.correlation_id = action.correlation_id.value_or("");
      if (action.raw) {
        broker.publish(action.order, target_of(action.source), options).get();
      } else {
        auto order = faststream::decode_json<Order>(action.order.text);
        broker.publish(order, target_of(action.source), options).get();
      }
      emit(Sent{"sent", "cpp", action.source, seq});
    } else if (action.kind == "request") {
      faststream::RequestOptions options;
      options.headers = std::move(headers);
      options.correlation_id = action.correlation_id.value_or("");
      options.timeout = std::chrono::seconds(10);
      auto order = faststream::decode_json<Order>(action.order.text);
      auto reply = broker.request(order, target_of(action.source), options).get();
      ReplyLine line;
      line.source = action.source;
      line.seq = seq;
      line.correlation_id = reply.correlation_id();
      line.content_type = reply.content_type();
      for (const auto& [k, v] : reply.headers()) line.wire[k] = v;
      line.receipt = reply.decode<Receipt>();
      emit(line);
    } else {
      throw std::invalid_argument("unknown action kind '" + action.kind + "'");
    }
  }
  broker.stop();
  emit(Event{"done", "cpp", std::to_string(plan.size()) + " actions"});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url = "nats://127.0.0.1:4222";
  std::vector<std::string> args;
  int max_seconds = 120;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--url" && i + 1 < argc) {
      url = argv[++i];
    } else if (arg == "--max-seconds" && i + 1 < argc) {
      max_seconds = std::stoi(argv[++i]);
    } else {
      args.emplace_back(arg);
    }
  }
  try {
    if (args.size() == 1 && args[0] == "serve")
      return serve(url, std::chrono::seconds(max_seconds));
    if (args.size() == 2 && args[0] == "client") return client(url, args[1]);
  } catch (const std::exception& e) {
    emit(Event{"error", "cpp", e.what()});
    return 1;
  }
  std::cerr << "usage: " << argv[0] << " [--url URL] serve [--max-seconds N] | client PLAN.jsonl\n";
  return 2;
}
