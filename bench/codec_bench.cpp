// Codec benchmarks: our decode+validate against a hand-written Boost.JSON DOM parse + field
// extraction of the same ~100-byte, 4-field message, in the same run; plus encoding.
#include <benchmark/benchmark.h>

#include <boost/json.hpp>

#include <faststream/codec.hpp>

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

constexpr std::string_view kMessage =
    R"({"id":"ORD-2024-000123","amount":1234.5,"note":"leave at the front door, ring twice","qty":3})";

// ~100 bytes, as the pipeline's typical message.
static_assert(kMessage.size() >= 90 && kMessage.size() <= 110);

void BM_Decode_Faststream(benchmark::State& state) {
  for (auto _ : state) {
    auto o = faststream::decode_json<bench::Order>(kMessage);
    benchmark::DoNotOptimize(o);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kMessage.size()));
}
BENCHMARK(BM_Decode_Faststream);

// The baseline: what a careful hand-written decoder does with Boost.JSON — parse into a DOM
// backed by a reused monotonic buffer, pull the fields out, check the same constraints.
void BM_Decode_BoostJsonByHand(benchmark::State& state) {
  unsigned char buffer[4096];
  for (auto _ : state) {
    boost::json::monotonic_resource mr(buffer, sizeof buffer);
    boost::json::value v = boost::json::parse(kMessage, &mr);
    const boost::json::object& obj = v.as_object();
    bench::Order o;
    o.id = std::string(obj.at("id").as_string());
    o.amount = obj.at("amount").to_number<double>();
    if (const auto* n = obj.if_contains("note"); n != nullptr && !n->is_null()) {
      o.note = std::string(n->as_string());
    }
    o.qty = obj.at("qty").to_number<std::int64_t>();
    if (o.amount < 0 || o.id.empty() || o.id.size() > 64 || o.qty < 1)
      throw std::runtime_error("bad");
    benchmark::DoNotOptimize(o);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kMessage.size()));
}
BENCHMARK(BM_Decode_BoostJsonByHand);

void BM_Encode_Faststream(benchmark::State& state) {
  const auto order = faststream::decode_json<bench::Order>(kMessage);
  std::string out;
  for (auto _ : state) {
    out.clear();
    faststream::encode_json(order, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Encode_Faststream);

void BM_Encode_BoostJsonByHand(benchmark::State& state) {
  const auto order = faststream::decode_json<bench::Order>(kMessage);
  unsigned char buffer[4096];
  std::string out;
  for (auto _ : state) {
    boost::json::monotonic_resource mr(buffer, sizeof buffer);
    boost::json::object obj(&mr);
    obj["id"] = order.id;
    obj["amount"] = order.amount;
    if (order.note) {
      obj["note"] = *order.note;
    } else {
      obj["note"] = nullptr;
    }
    obj["qty"] = order.qty;
    out = boost::json::serialize(obj);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Encode_BoostJsonByHand);

void BM_DecodeError_Faststream(benchmark::State& state) {
  constexpr std::string_view bad = R"({"id":"","amount":-1,"note":null,"qty":0})";
  for (auto _ : state) {
    try {
      auto o = faststream::decode_json<bench::Order>(bad);
      benchmark::DoNotOptimize(o);
    } catch (const faststream::DecodeError& e) {
      benchmark::DoNotOptimize(e.errors().size());
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeError_Faststream);

}  // namespace

BENCHMARK_MAIN();
