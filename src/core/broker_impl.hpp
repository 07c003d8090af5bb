#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "core/runtime.hpp"
#include "core/subscriber_impl.hpp"
#include "faststream/core.hpp"

namespace faststream {

struct BrokerCore::Impl {
  Impl(std::unique_ptr<Transport> t, BrokerSettings s);

  std::unique_ptr<Transport> transport;
  std::string backend;  // transport->protocol(), checked against every publish's options
  BrokerSettings settings;
  Logger logger;
  std::vector<std::unique_ptr<SubscriberCore>> subscribers;
  std::vector<std::unique_ptr<SubscriberCore>> set_aside;  // start_publisher()
  std::vector<PublisherSpec> publishers;
  std::vector<std::shared_ptr<Middleware>> middlewares;
  detail::DependencyRegistry dependencies;
  detail::PublishChain publish_chain;
  core::Runtime runtime;
  std::mutex lifecycle;
  // Held shared by ping() (any thread) and exclusively by stop() around the transport's
  // close(): a readiness check never uses connections close() frees.
  std::shared_mutex transport_use;
  std::atomic<bool> running{false};
  // Set once the first start() completed: the metrics objects exist from then on.
  std::atomic<bool> started_once{false};
  // Publish metrics by destination; null unless settings.collect_metrics.
  std::unique_ptr<detail::PublishMetricsRegistry> publish_metrics;
};

}  // namespace faststream

namespace faststream::core {
// The core's own way to a broker's and a subscriber's state (their impl() is private).
struct Internals {
  static BrokerCore::Impl& of(BrokerCore& broker) noexcept { return *broker.impl_; }
  static const BrokerCore::Impl& of(const BrokerCore& broker) noexcept { return *broker.impl_; }
  static SubscriberCore::Impl& of(SubscriberCore& subscriber) noexcept { return *subscriber.impl_; }
};
}  // namespace faststream::core
