#include "core/metrics.hpp"

#include <fmt/format.h>

#include <cmath>

#include "core/broker_impl.hpp"
#include "faststream/metrics.hpp"

namespace faststream::metrics {
namespace {

// A label value with \, " and newlines escaped, as the text format wants.
std::string escaped(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Numbers as prometheus_client writes them (floatToGoString): Python's repr (1.0 not 1,
// 0.005), +Inf, and an exponent once the integer part has more than six digits, as Go does
// (1048576.0 -> 1.048576e+06), so `le` labels match FastStream's series exactly.
std::string number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  const bool integral = value == std::floor(value) && std::fabs(value) < 1e16;
  std::string text = integral ? fmt::format("{:.1f}", value) : fmt::format("{}", value);
  const auto dot = text.find('.');
  if (value > 0 && dot != std::string::npos && dot > 6 && text.find('e') == std::string::npos) {
    std::string mantissa = text.substr(0, 1) + "." + text.substr(1, dot - 1) + text.substr(dot + 1);
    while (!mantissa.empty() && (mantissa.back() == '0' || mantissa.back() == '.'))
      mantissa.pop_back();
    return fmt::format("{}e+{:02}", mantissa, dot - 1);
  }
  return text;
}

class Writer {
 public:
  Writer(std::string_view prefix, std::string_view app, std::string_view broker)
      : prefix_(prefix),
        common_(fmt::format("app_name=\"{}\",broker=\"{}\"", escaped(app), escaped(broker))) {}

  void header(std::string_view name, std::string_view type, std::string_view help) {
    out_ +=
        fmt::format("# HELP {}_{} {}\n# TYPE {}_{} {}\n", prefix_, name, help, prefix_, name, type);
  }
  void sample(std::string_view name, std::string_view labels, double value) {
    out_ += fmt::format("{}_{}{{{}{}{}}} {}\n", prefix_, name, common_, labels.empty() ? "" : ",",
                        labels, number(value));
  }
  template <std::size_t N>
  void histogram(std::string_view name, std::string_view labels,
                 const detail::Histogram<N>& histogram) {
    const auto counts = histogram.counts();
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= N; ++i) {
      cumulative += counts[i];
      const double bound = i < N ? histogram.bounds()[i] : INFINITY;
      sample(fmt::format("{}_bucket", name), fmt::format("{},le=\"{}\"", labels, number(bound)),
             static_cast<double>(cumulative));
    }
    sample(fmt::format("{}_count", name), labels, static_cast<double>(cumulative));
    sample(fmt::format("{}_sum", name), labels, histogram.sum());
  }
  std::string take() { return std::move(out_); }

 private:
  std::string prefix_;
  std::string common_;
  std::string out_;
};

}  // namespace

std::string prometheus_text(const BrokerCore& broker, std::string_view app_name,
                            std::string_view prefix) {
  Writer w(prefix, app_name, broker.transport().protocol());
  // Before the first start the subscribers may still be declared and their metrics created:
  // headers only.
  const bool started = core::Internals::of(broker).started_once.load();
  std::vector<std::pair<std::string, const detail::SubscriberMetrics*>> subscribers;
  if (started)
    for (const auto& s : broker.subscribers())
      if (const auto* m = s->metrics())
        subscribers.emplace_back(fmt::format("handler=\"{}\"", escaped(s->config().destination)),
                                 m);

  w.header("received_messages_total", "counter",
           "Count of received messages by broker and handler");
  for (const auto& [labels, m] : subscribers)
    w.sample("received_messages_total", labels, static_cast<double>(m->received.load()));
  w.header("received_messages_size_bytes", "histogram",
           "Histogram of received messages size in bytes by broker and handler");
  for (const auto& [labels, m] : subscribers)
    w.histogram("received_messages_size_bytes", labels, m->size);
  w.header("received_messages_in_process", "gauge",
           "Gauge of received messages in process by broker and handler");
  for (const auto& [labels, m] : subscribers)
    w.sample("received_messages_in_process", labels, static_cast<double>(m->in_process.load()));
  w.header("received_processed_messages_total", "counter",
           "Count of received processed messages by broker, handler and status");
  for (const auto& [labels, m] : subscribers)
    for (std::size_t i = 0; i < detail::kProcessingStatuses.size(); ++i)
      if (const auto n = m->processed[i].load())
        w.sample("received_processed_messages_total",
                 fmt::format("{},status=\"{}\"", labels, detail::kProcessingStatuses[i]),
                 static_cast<double>(n));
  w.header("received_processed_messages_duration_seconds", "histogram",
           "Histogram of received processed messages duration in seconds by broker and handler");
  for (const auto& [labels, m] : subscribers)
    w.histogram("received_processed_messages_duration_seconds", labels, m->duration);
  w.header("received_processed_messages_exceptions_total", "counter",
           "Count of received processed messages exceptions by broker, handler and "
           "exception_type");
  for (const auto& [labels, m] : subscribers)
    for (const auto& [type, n] : m->exceptions.snapshot())
      w.sample("received_processed_messages_exceptions_total",
               fmt::format("{},exception_type=\"{}\"", labels, escaped(type)),
               static_cast<double>(n));

  const auto* published = started ? core::Internals::of(broker).publish_metrics.get() : nullptr;
  auto each_destination = [&](auto&& f) {
    if (published)
      published->for_each([&](const std::string& destination, const detail::PublishMetrics& m) {
        f(fmt::format("destination=\"{}\"", escaped(destination)), m);
      });
  };
  w.header("published_messages_total", "counter",
           "Count of published messages by destination and status");
  each_destination([&](const std::string& labels, const detail::PublishMetrics& m) {
    if (const auto n = m.success.load())
      w.sample("published_messages_total", labels + ",status=\"success\"", static_cast<double>(n));
    if (const auto n = m.error.load())
      w.sample("published_messages_total", labels + ",status=\"error\"", static_cast<double>(n));
  });
  w.header("published_messages_duration_seconds", "histogram",
           "Histogram of published messages duration in seconds by broker and destination");
  each_destination([&](const std::string& labels, const detail::PublishMetrics& m) {
    w.histogram("published_messages_duration_seconds", labels, m.duration);
  });
  w.header("published_messages_exceptions_total", "counter",
           "Count of published messages exceptions by broker, destination and exception_type");
  each_destination([&](const std::string& labels, const detail::PublishMetrics& m) {
    for (const auto& [type, n] : m.exceptions.snapshot())
      w.sample("published_messages_exceptions_total",
               fmt::format("{},exception_type=\"{}\"", labels, escaped(type)),
               static_cast<double>(n));
  });
  return w.take();
}

}  // namespace faststream::metrics
