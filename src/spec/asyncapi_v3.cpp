// AsyncAPI 3.0.0: channels (with addresses), operations (receive / send, with a reply for
// handlers answering to reply_to), components (messages, schemas).
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include "spec/render.hpp"

namespace faststream::spec {

namespace json = boost::json;

json::object render_info(const Spec& spec) {
  json::object info;
  info["title"] = spec.title;
  info["version"] = spec.version;
  if (!spec.description.empty()) info["description"] = spec.description;
  return info;
}

json::object render_message(const Message& m, const std::string& name, bool v2) {
  json::object o;
  if (v2) o["messageId"] = name;
  o["title"] = name;
  if (!m.description.empty()) o["description"] = m.description;
  if (!m.content_type.empty()) o["contentType"] = m.content_type;
  o["correlationId"] = json::object{{"location", kCorrelationIdLocation}};
  o["payload"] = json::object{{"$ref", ref({"components", "schemas", m.payload})}};
  if (!m.bindings.empty()) o["bindings"] = m.bindings;
  return o;
}

namespace {

json::object render_channel(const Spec& spec, const Channel& ch) {
  json::object o;
  o["address"] = ch.address ? json::value(*ch.address) : json::value(nullptr);
  if (!ch.description.empty()) o["description"] = ch.description;
  if (!ch.reply)
    o["servers"] = json::array{json::object{{"$ref", ref({"servers", spec.server.name})}}};
  if (ch.address) {
    json::object params;
    for (const auto& p : placeholders(*ch.address))
      params[p] = json::object{{"description", "The value of {" + p + "} in the address"}};
    if (!params.empty()) o["parameters"] = std::move(params);
  }
  json::object messages;
  for (const auto& m : ch.messages)
    messages[m.key] = json::object{{"$ref", ref({"components", "messages", m.name_v3})}};
  o["messages"] = std::move(messages);
  if (!ch.bindings.empty()) o["bindings"] = ch.bindings;
  return o;
}

json::array message_refs(const Channel& ch) {
  json::array refs;
  for (const auto& m : ch.messages)
    refs.push_back(json::object{{"$ref", ref({"channels", ch.key, "messages", m.key})}});
  return refs;
}

json::object render_operation(const Spec& spec, const Operation& op) {
  json::object o;
  o["action"] = op.action == Action::receive ? "receive" : "send";
  o["channel"] = json::object{{"$ref", ref({"channels", op.channel})}};
  if (const Channel* ch = find_channel(spec, op.channel)) o["messages"] = message_refs(*ch);
  if (!op.bindings.empty()) o["bindings"] = op.bindings;
  if (op.reply_channel) {
    if (const Channel* rc = find_channel(spec, *op.reply_channel)) {
      json::object reply;
      reply["address"] = json::object{{"location", op.reply_location}};
      reply["channel"] = json::object{{"$ref", ref({"channels", rc->key})}};
      reply["messages"] = message_refs(*rc);
      o["reply"] = std::move(reply);
    }
  }
  return o;
}

}  // namespace

json::object render_v3(const Spec& spec) {
  json::object doc;
  doc["asyncapi"] = "3.0.0";
  doc["info"] = render_info(spec);
  doc["defaultContentType"] = "application/json";

  json::object server;
  server["host"] = spec.server.host;
  if (!spec.server.pathname.empty()) server["pathname"] = spec.server.pathname;
  server["protocol"] = spec.server.protocol;
  if (!spec.server.protocol_version.empty())
    server["protocolVersion"] = spec.server.protocol_version;
  if (!spec.server.bindings.empty()) server["bindings"] = spec.server.bindings;
  doc["servers"] = json::object{{spec.server.name, std::move(server)}};

  json::object channels;
  json::object messages;
  for (const auto& ch : spec.channels) {
    channels[ch.key] = render_channel(spec, ch);
    for (const auto& m : ch.messages) messages[m.name_v3] = render_message(m, m.name_v3, false);
  }
  doc["channels"] = std::move(channels);

  json::object operations;
  for (const auto& op : spec.operations) operations[op.key] = render_operation(spec, op);
  doc["operations"] = std::move(operations);

  json::object components;
  components["messages"] = std::move(messages);
  components["schemas"] = spec.schemas;
  doc["components"] = std::move(components);
  return doc;
}

}  // namespace faststream::spec
