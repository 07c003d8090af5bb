// Where a message sent to a subject goes on NATS, for the CLI's publish and TestBroker: a
// subject reaches core subscribers, and JetStream subscribers when a stream stores it.
#include <fmt/format.h>

#include <stdexcept>

#include "nats/transport.hpp"

namespace faststream::nats {

std::string_view to_string(Source source) noexcept {
  switch (source) {
    case Source::core:
      return "core";
    case Source::jetstream:
      return "jetstream";
    case Source::kv:
      return "kv";
  }
  return "core";
}

Source source_of(const SubscriberOptions& options) noexcept {
  if (options.kv) return Source::kv;
  return options.stream ? Source::jetstream : Source::core;
}

std::vector<SourceKind> source_kinds() {
  return {{"core", "Publish on the core NATS subject DEST (fails when nobody subscribes to it)"},
          {"jetstream",
           "Publish to the JetStream stream that stores DEST and wait for its ack (fails when "
           "no stream stores it)"}};
}

PublisherTarget target_of_kind(std::string_view kind, std::string subject) {
  if (kind == "core") return to_subject(std::move(subject));
  if (kind == "jetstream") return to_stream(std::move(subject));
  throw std::invalid_argument(fmt::format("NATS has no '{}' sources (core or jetstream)", kind));
}

std::vector<SourceRoute> source_routes(const BrokerCore& broker, std::string_view subject) {
  std::vector<SourceRoute> routes;
  for (const auto& s : broker.subscribers()) {
    const auto& o = options_of(s->config());
    const Source source = source_of(o);
    // A Key-Value watch is fed by puts to its bucket, not by publishes.
    if (source == Source::kv) continue;
    if (!subject_matches(plan_subject(s->config().destination).subject, subject)) continue;
    PublisherTarget target =
        source == Source::jetstream
            ? to_stream(std::string(subject), {.expect_stream = o.stream->name})
            : to_subject(std::string(subject));
    routes.push_back({s.get(), std::string(to_string(source)), std::move(target)});
  }
  return routes;
}

}  // namespace faststream::nats
