#pragma once
// Prometheus metrics with FastStream's names (faststream/prometheus): counted in the
// subscriber pipeline and the broker's publish path when BrokerSettings::collect_metrics is
// set, rendered by metrics::prometheus_text. Lock-free on the consume path except for
// exception types; a publish looks its destination up under a mutex.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace faststream::detail {

// A histogram with fixed upper bounds (+Inf implied last).
template <std::size_t N>
class Histogram {
 public:
  explicit constexpr Histogram(const std::array<double, N>& bounds) : bounds_(bounds) {}
  void observe(double value) noexcept {
    std::size_t i = 0;
    while (i < N && value > bounds_[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
  }
  const std::array<double, N>& bounds() const noexcept { return bounds_; }
  // Per-bucket (not cumulative) counts; the last one is above every bound.
  std::array<std::uint64_t, N + 1> counts() const noexcept {
    std::array<std::uint64_t, N + 1> out{};
    for (std::size_t i = 0; i <= N; ++i) out[i] = buckets_[i].load(std::memory_order_relaxed);
    return out;
  }
  double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

 private:
  std::array<double, N> bounds_;
  std::array<std::atomic<std::uint64_t>, N + 1> buckets_{};
  std::atomic<double> sum_{0};
};

// prometheus_client's default buckets (FastStream keeps them for durations).
inline constexpr std::array<double, 14> kDurationBuckets{
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0};
// FastStream's message-size buckets: 2^4 ... 2^24 bytes.
inline constexpr std::array<double, 11> kSizeBuckets{16.0,      64.0,      256.0,     1024.0,
                                                     4096.0,    16384.0,   65536.0,   262144.0,
                                                     1048576.0, 4194304.0, 16777216.0};

// Counts of exceptions by their type name.
class ExceptionCounts {
 public:
  void add(std::string type) {
    std::lock_guard lock(mutex_);
    ++counts_[std::move(type)];
  }
  std::map<std::string, std::uint64_t> snapshot() const {
    std::lock_guard lock(mutex_);
    return counts_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> counts_;
};

// The outcome FastStream reports per processed message.
enum class ProcessingStatus { acked, nacked, rejected, skipped, error };
inline constexpr std::array<std::string_view, 5> kProcessingStatuses{"acked", "nacked", "rejected",
                                                                     "skipped", "error"};

struct SubscriberMetrics {
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::int64_t> in_process{0};
  Histogram<kSizeBuckets.size()> size{kSizeBuckets};
  Histogram<kDurationBuckets.size()> duration{kDurationBuckets};
  std::array<std::atomic<std::uint64_t>, kProcessingStatuses.size()> processed{};
  ExceptionCounts exceptions;

  void on_received(std::size_t messages, std::size_t bytes) noexcept {
    received.fetch_add(messages, std::memory_order_relaxed);
    in_process.fetch_add(static_cast<std::int64_t>(messages), std::memory_order_relaxed);
    size.observe(static_cast<double>(bytes));
  }
  void on_settled(ProcessingStatus status) noexcept {
    processed[static_cast<std::size_t>(status)].fetch_add(1, std::memory_order_relaxed);
  }
  // A message or a batch of them is done (settled or not) after `took`.
  void on_done(std::size_t messages, std::chrono::steady_clock::duration took) noexcept {
    duration.observe(std::chrono::duration<double>(took).count());
    in_process.fetch_sub(static_cast<std::int64_t>(messages), std::memory_order_relaxed);
  }
};

struct PublishMetrics {
  std::atomic<std::uint64_t> success{0}, error{0};
  Histogram<kDurationBuckets.size()> duration{kDurationBuckets};
  ExceptionCounts exceptions;
};

// Publish metrics by destination, created on first use.
class PublishMetricsRegistry {
 public:
  PublishMetrics& at(const std::string& destination) {
    std::lock_guard lock(mutex_);
    auto& slot = by_destination_[destination];
    if (!slot) slot = std::make_unique<PublishMetrics>();
    return *slot;
  }
  template <class F>
  void for_each(F&& f) const {
    std::lock_guard lock(mutex_);
    for (const auto& [destination, m] : by_destination_) f(destination, *m);
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<PublishMetrics>> by_destination_;
};

// The name FastStream's labels use for an exception: its (demangled) type.
std::string exception_type_name(std::exception_ptr error);

}  // namespace faststream::detail
