#pragma once
// The broker-neutral specification model of an application, built from its declared
// subscribers and publishers; the AsyncAPI 3.0.0 and 2.6.0 renderers read only this.
// Naming rules (FastStream's, adapted to handlers without function names): docs/asyncapi.md.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "faststream/app.hpp"
#include "faststream/core.hpp"

namespace faststream::spec {

struct Server {
  std::string name = "development";  // FastStream's key for a single server
  std::string host;                  // host[:port], never credentials
  std::string protocol;
  std::string protocol_version;
  std::string pathname;
  boost::json::object bindings;
};

struct Message {
  std::string key;      // in the channel's messages (3.0): "SubscribeMessage", "Message", ...
  std::string name_v3;  // key in components/messages (3.0), also its title
  std::string name_v2;  // key in components/messages (2.6), also its title and messageId
  std::string description;
  std::string content_type;  // empty: the document's defaultContentType (application/json)
  std::string payload;       // key in components/schemas
  boost::json::object bindings;
};

enum class Action { receive, send };

struct Channel {
  std::string key;
  std::optional<std::string> address;  // nullopt: decided at run time (a reply channel)
  std::string description;
  std::vector<Message> messages;
  boost::json::object bindings;
  bool reply = false;  // an operation's reply channel: AsyncAPI 3.0 only
};

struct Operation {
  std::string key;
  Action action = Action::receive;
  std::string channel;  // key of its channel; the operation carries all its messages
  boost::json::object bindings;
  std::optional<std::string> reply_channel;  // receive operations answering to reply-to
  std::string reply_location = "$message.header#/reply_to";
};

struct Spec {
  std::string title;
  std::string version;
  std::string description;
  Server server;
  std::vector<Channel> channels;  // subscribers', their reply channels, then publishers'
  std::vector<Operation> operations;
  boost::json::object schemas;  // components/schemas: payloads and the models they nest
};

inline constexpr std::string_view kCorrelationIdLocation = "$message.header#/correlation_id";

// Reads the declarations of `broker` (never connects). Throws std::runtime_error when a
// transport returns bindings that are not a JSON object.
Spec build(const BrokerCore& broker, const AppInfo& info);

const Channel* find_channel(const Spec& spec, std::string_view key);

// "#/a/b" from path parts: JSON-pointer escaped (~0, ~1) and percent-encoded except
// letters, digits and "-._~:" (as FastStream does).
std::string ref(std::initializer_list<std::string_view> parts);

// Names of the `{name}` placeholders in `text`, in order, without duplicates.
std::vector<std::string> placeholders(std::string_view text);

}  // namespace faststream::spec
