#pragma once
// FastStream's Prometheus metrics for a broker, in the Prometheus text format. They are
// counted when BrokerSettings::collect_metrics is set (App::serve_http with metrics does it);
// the names and labels are FastStream's (faststream/prometheus), so its dashboards work:
//   faststream_received_messages_total{app_name,broker,handler}
//   faststream_received_messages_size_bytes{...}                histogram
//   faststream_received_messages_in_process{...}                gauge
//   faststream_received_processed_messages_total{...,status}    acked|nacked|rejected|skipped|error
//   faststream_received_processed_messages_duration_seconds{...} histogram
//   faststream_received_processed_messages_exceptions_total{...,exception_type}
//   faststream_published_messages_total{app_name,broker,destination,status}  success|error
//   faststream_published_messages_duration_seconds{...}          histogram
//   faststream_published_messages_exceptions_total{...,exception_type}
// `handler` is the subscriber's destination; `broker` the transport's protocol.
#include <string>
#include <string_view>

#include "faststream/core.hpp"

namespace faststream::metrics {

inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// The exposition; empty series while nothing was counted. `prefix` replaces "faststream".
std::string prometheus_text(const BrokerCore& broker, std::string_view app_name = "faststream",
                            std::string_view prefix = "faststream");

}  // namespace faststream::metrics
