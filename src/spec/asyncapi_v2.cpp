// AsyncAPI 2.6.0: operations live in their channel, from the other side's point of view —
// the application receives on `publish` channels and sends on `subscribe` channels.
// A reply to reply_to has no 2.6 form and is left out.
#include <set>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include "spec/render.hpp"

namespace faststream::spec {

namespace json = boost::json;

namespace {

const Operation* operation_of(const Spec& spec, const Channel& ch) {
  for (const auto& op : spec.operations)
    if (op.channel == ch.key) return &op;
  return nullptr;
}

json::object render_channel(const Spec& spec, const Channel& ch, const Operation* op) {
  json::object o;
  if (!ch.description.empty()) o["description"] = ch.description;
  o["servers"] = json::array{json::value(spec.server.name)};
  if (!ch.bindings.empty()) o["bindings"] = ch.bindings;
  // In 2.6 the channel's name is its key: its placeholders are the parameters.
  json::object params;
  for (const auto& p : placeholders(ch.key)) {
    params[p] = json::object{{"description", "The value of {" + p + "} in the channel"},
                             {"schema", json::object{{"type", "string"}}}};
  }
  if (!params.empty()) o["parameters"] = std::move(params);
  if (op != nullptr) {
    json::object operation;
    operation["operationId"] = op->key;
    if (!op->bindings.empty()) operation["bindings"] = op->bindings;
    json::array refs;
    for (const auto& m : ch.messages)
      refs.push_back(json::object{{"$ref", ref({"components", "messages", m.name_v2})}});
    if (refs.size() == 1) {
      operation["message"] = refs.front();
    } else {
      operation["message"] = json::object{{"oneOf", std::move(refs)}};
    }
    o[op->action == Action::receive ? "publish" : "subscribe"] = std::move(operation);
  }
  return o;
}

}  // namespace

json::object render_v2(const Spec& spec) {
  json::object doc;
  doc["asyncapi"] = "2.6.0";
  doc["info"] = render_info(spec);
  doc["defaultContentType"] = "application/json";

  json::object server;
  server["url"] = spec.server.protocol + "://" + spec.server.host + spec.server.pathname;
  server["protocol"] = spec.server.protocol;
  if (!spec.server.protocol_version.empty())
    server["protocolVersion"] = spec.server.protocol_version;
  if (!spec.server.bindings.empty()) server["bindings"] = spec.server.bindings;
  doc["servers"] = json::object{{spec.server.name, std::move(server)}};

  json::object channels;
  json::object messages;
  std::set<std::string> used_schemas;
  for (const auto& ch : spec.channels) {
    if (ch.reply) continue;
    channels[ch.key] = render_channel(spec, ch, operation_of(spec, ch));
    for (const auto& m : ch.messages) {
      messages[m.name_v2] = render_message(m, m.name_v2, true);
      used_schemas.insert(m.payload);
    }
  }
  doc["channels"] = std::move(channels);

  // Payloads only replies used have no message here; model definitions stay (they may be
  // nested in others).
  std::set<std::string> reply_only;
  for (const auto& ch : spec.channels) {
    if (!ch.reply) continue;
    for (const auto& m : ch.messages)
      if (!used_schemas.contains(m.payload)) reply_only.insert(m.payload);
  }
  json::object schemas;
  for (const auto& kv : spec.schemas) {
    const std::string key(kv.key());
    const bool named_payload = key.find(':') != std::string::npos;
    if (named_payload && reply_only.contains(key)) continue;
    schemas[kv.key()] = kv.value();
  }

  json::object components;
  components["messages"] = std::move(messages);
  components["schemas"] = std::move(schemas);
  doc["components"] = std::move(components);
  return doc;
}

}  // namespace faststream::spec
