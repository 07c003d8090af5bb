// Where a message sent to a name goes on Redis, for the CLI's publish and TestBroker: a name
// can be a channel, a list and a stream at once, and each subscriber reads one of them.
#include <fmt/format.h>

#include <stdexcept>

#include "redis/transport.hpp"

namespace faststream::redis {

const SubscriberOptions& options_of(const SubscriberConfig& config) {
  static const SubscriberOptions defaults;
  auto* options = core::options_of<Tag, SubscriberOptions>(config.native, config.destination);
  return options ? *options : defaults;
}

std::string_view to_string(Source source) noexcept {
  switch (source) {
    case Source::channel:
      return "channel";
    case Source::list:
      return "list";
    case Source::stream:
      return "stream";
  }
  return "channel";
}

std::vector<SourceKind> source_kinds() {
  return {{"channel", "PUBLISH to the channel DEST (fails when no subscriber receives it)"},
          {"list", "RPUSH to the list DEST"},
          {"stream", "XADD to the stream DEST"}};
}

PublisherTarget target_of(Source source, std::string name) {
  switch (source) {
    case Source::list:
      return to_list(std::move(name));
    case Source::stream:
      return to_stream(std::move(name));
    case Source::channel:
      break;
  }
  return to_channel(std::move(name));
}

PublisherTarget target_of_kind(std::string_view kind, std::string name) {
  for (Source s : {Source::channel, Source::list, Source::stream})
    if (to_string(s) == kind) return target_of(s, std::move(name));
  throw std::invalid_argument(
      fmt::format("redis has no '{}' sources (channel, list or stream)", kind));
}

bool reads(const SubscriberConfig& config, std::string_view name) {
  if (options_of(config).source != Source::channel) return config.destination == name;
  auto pattern = compile_channel(config.destination);
  return pattern.pattern ? glob_match(pattern.redis_name, name) : pattern.redis_name == name;
}

std::vector<SourceRoute> source_routes(const BrokerCore& broker, std::string_view name) {
  std::vector<SourceRoute> routes;
  for (const auto& s : broker.subscribers()) {
    if (!reads(s->config(), name)) continue;
    Source source = options_of(s->config()).source;
    routes.push_back(
        {s.get(), std::string(to_string(source)), target_of(source, std::string(name))});
  }
  return routes;
}

}  // namespace faststream::redis
