// Builds the specification model from a broker's declarations (see docs/asyncapi.md).
#include "spec/model.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <set>
#include <stdexcept>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace faststream::spec {

namespace {

namespace json = boost::json;

constexpr std::string_view kSchemaPrefix = "#/components/schemas/";

bool is_alnum(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

// FastStream's clear_key: '/' would split JSON pointers, so keys use '.' instead.
std::string clear_key(std::string_view s) {
  std::string out(s);
  for (char& ch : out)
    if (ch == '/') ch = '.';
  return out;
}

// "order_item" -> "OrderItem", "shop::Order" -> "ShopOrder", "json" -> "Json".
std::string camel(std::string_view name) {
  std::string out;
  bool start = true;
  for (char ch : name) {
    if (!is_alnum(ch)) {
      start = true;
      continue;
    }
    if (start && ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    out.push_back(ch);
    start = false;
  }
  return out;
}

// `base`, or `base` + sep + N for the first N >= 2 not used yet; marks the result used.
std::string unique(std::set<std::string>& used, const std::string& base, std::string_view sep) {
  if (used.insert(base).second) return base;
  for (int n = 2;; ++n) {
    std::string candidate = base + std::string(sep) + std::to_string(n);
    if (used.insert(candidate).second) return candidate;
  }
}

// A handler has no function name: it is named after what it takes ("HandleOrder"),
// "Handle" when it takes no message, "Handle<T>Batch" on a batch subscriber.
std::string call_name(const HandlerSpec& h, bool batch) {
  if (batch && !h.batch_payload_name.empty())
    return "Handle" + camel(h.batch_payload_name) + "Batch";
  return "Handle" + camel(h.payload_name);
}

// JSON is the document's defaultContentType: left out of each message.
std::string json_default_empty(std::string_view content_type) {
  return content_type == "application/json" ? std::string() : std::string(content_type);
}

std::string content_type_for(std::string_view payload_name) {
  if (payload_name == "string") return "text/plain";
  if (payload_name == "bytes") return "application/octet-stream";
  return {};  // JSON: the document's default
}

// The host part only: whatever a transport put before '@' (user:password) or after the
// authority is dropped, so credentials cannot reach the document.
std::string public_host(std::string_view host) {
  if (const auto at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
  if (const auto end = host.find_first_of("/?#"); end != std::string_view::npos)
    host = host.substr(0, end);
  return std::string(host);
}

json::object parse_bindings(const std::string& text, std::string_view what,
                            std::string_view where) {
  if (text.empty()) return {};
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    throw std::runtime_error("AsyncAPI: the transport's " + std::string(what) + " bindings for '" +
                             std::string(where) + "' are not a JSON object: " + text);
  }
  return std::move(v.get_object());
}

void walk_schema(json::object& o);

void walk_schema_value(json::value& v) {
  if (v.is_object()) {
    walk_schema(v.get_object());
  } else if (v.is_array()) {
    for (auto& item : v.get_array()) walk_schema_value(item);
  }
}

void walk_schema(json::object& o) {
  for (auto& kv : o) {
    const std::string_view key = kv.key();
    json::value& v = kv.value();
    if (key == "discriminator" && v.is_object()) {
      if (const auto* name = v.get_object().if_contains("propertyName"); name && name->is_string())
        v = name->get_string();
    } else if ((key == "properties" || key == "patternProperties" || key == "$defs" ||
                key == "definitions" || key == "dependentSchemas") &&
               v.is_object()) {
      // Keys of these maps are names, not keywords: only their values are schemas.
      for (auto& child : v.get_object()) walk_schema_value(child.value());
    } else {
      walk_schema_value(v);
    }
  }
}

json::object with_title(json::object schema, const std::string& title) {
  if (schema.contains("title")) return schema;
  json::object out;
  out["title"] = title;
  for (auto& kv : schema) out[kv.key()] = std::move(kv.value());
  return out;
}

// components/schemas: model definitions from the codec's registry and the payload schemas.
class Schemas {
 public:
  Schemas() : registry_(std::string(kSchemaPrefix)) {}
  SchemaRegistry& registry() noexcept { return registry_; }

  // Adds a payload schema (JSON text from the codec) and returns its key. A model or enum
  // is referenced by its own name; any other schema is stored as `name` (titled so), or
  // as `fallback` when `name` holds a different schema already.
  std::string add(const std::string& text, const std::string& name, const std::string& fallback) {
    hoist();
    json::value v = json::parse(text);
    if (v.is_object() && v.get_object().size() == 1) {
      if (const auto* r = v.get_object().if_contains("$ref"); r && r->is_string()) {
        const std::string_view target = r->get_string();
        if (target.substr(0, kSchemaPrefix.size()) == kSchemaPrefix)
          return std::string(target.substr(kSchemaPrefix.size()));
      }
    }
    json::object schema = v.is_object() ? std::move(v.get_object()) : json::object{};
    json::value candidate = with_title(schema, name);
    walk_schema_value(candidate);
    if (!schemas_.contains(name) || schemas_.at(name) == candidate) {
      schemas_[name] = std::move(candidate);
      return name;
    }
    for (int n = 1;; ++n) {
      const std::string key = n == 1 ? fallback : fallback + ":" + std::to_string(n);
      json::value alt = with_title(schema, key);
      walk_schema_value(alt);
      if (!schemas_.contains(key) || schemas_.at(key) == alt) {
        schemas_[key] = std::move(alt);
        return key;
      }
    }
  }

  json::object take() {
    hoist();
    return std::move(schemas_);
  }

 private:
  // Model definitions not copied yet, in name order (the registry is sorted).
  void hoist() {
    for (const auto& [name, text] : registry_.definitions()) {
      if (schemas_.contains(name) || text.empty()) continue;
      json::value v = json::parse(text);
      walk_schema_value(v);
      schemas_[name] = std::move(v);
    }
  }

  SchemaRegistry registry_;
  json::object schemas_;
};

// A source of messages for a send operation: a declared publisher, or the result of a
// handler whose subscriber or handler options publish to a target.
struct SendSource {
  PublisherTarget target;
  std::string base_key;  // channel key before deduplication
  std::string name;      // for naming several messages on one channel
  std::string description;
  std::function<std::string(SchemaRegistry&)> schema;  // empty: untyped
  std::string content_type;
};

struct Builder {
  const BrokerCore& broker;
  const Transport& transport;
  Spec spec;
  Schemas schemas;
  std::set<std::string> channel_keys;
  std::set<std::string> operation_keys;
  std::vector<SendSource> sends;

  void subscriber(const SubscriberCore& sub);
  void subscriber_channel(const SubscriberConfig& cfg, const std::vector<HandlerSpec>& handlers,
                          const std::vector<std::string>& calls, const ChannelSpec& named);
  void reply(const SubscriberConfig& cfg, const std::vector<HandlerSpec>& handlers,
             const std::vector<std::string>& calls, const std::string& key, Operation& op);
  void publishers();
};

void Builder::subscriber(const SubscriberCore& sub) {
  const SubscriberConfig& cfg = sub.config();
  const auto& handlers = sub.handlers();
  const bool batch = cfg.batch.has_value();

  std::set<std::string> used_calls;
  std::vector<std::string> calls;
  for (const auto& h : handlers) calls.push_back(unique(used_calls, call_name(h, batch), ""));

  // One channel and receive operation per channel the transport names for the subscriber.
  for (const ChannelSpec& named : transport.subscriber_channels(cfg))
    subscriber_channel(cfg, handlers, calls, named);

  // Results also go to the publishes_to targets of the handler and of the subscriber.
  for (std::size_t i = 0; i < handlers.size(); ++i) {
    const HandlerSpec& h = handlers[i];
    if (!h.result_schema) continue;
    std::vector<const PublisherTarget*> targets;
    for (const auto& t : h.options.publishes_to) targets.push_back(&t);
    for (const auto& t : cfg.publishes_to) targets.push_back(&t);
    for (const PublisherTarget* t : targets) {
      sends.push_back({*t,
                       clear_key(transport.publisher_channel(*t).name) + ":Publisher",
                       calls[i],
                       {},
                       h.result_schema,
                       json_default_empty(h.result_content_type)});
    }
  }
}

void Builder::subscriber_channel(const SubscriberConfig& cfg,
                                 const std::vector<HandlerSpec>& handlers,
                                 const std::vector<std::string>& calls, const ChannelSpec& named) {
  const bool batch = cfg.batch.has_value();
  std::string base;
  if (!cfg.title.empty()) {
    base = clear_key(cfg.title);
  } else {
    std::string call_part = "Subscriber";  // FastStream's name for a subscriber without handlers
    if (calls.size() == 1) {
      call_part = calls.front();
    } else if (calls.size() > 1) {
      call_part = "[";
      for (std::size_t i = 0; i < calls.size(); ++i) call_part += (i ? "," : "") + calls[i];
      call_part += "]";
    }
    base = clear_key(named.name) + ":" + call_part;
  }
  const std::string key = unique(channel_keys, base, ":");
  const SpecBindings bindings = transport.subscriber_bindings(cfg);

  Channel ch;
  ch.key = key;
  ch.address = named.address;
  ch.description = cfg.description;
  if (ch.description.empty() && handlers.size() == 1)
    ch.description = handlers.front().options.description;
  ch.bindings = parse_bindings(bindings.channel, "channel", named.address);
  const json::object message_bindings = parse_bindings(bindings.message, "message", named.address);

  const bool single = handlers.size() <= 1;
  const std::string titled = clear_key(cfg.title);
  for (std::size_t i = 0; i < handlers.size(); ++i) {
    const HandlerSpec& h = handlers[i];
    const std::string local = single ? "" : calls[i] + ":";
    const std::string prefix = single && !titled.empty() ? titled : calls[i];
    // When `prefix` names another schema already: the channel's name (unique) is used.
    const std::string fallback = key + ":" + local + "Message:Payload";
    Message m;
    m.key = local + "SubscribeMessage";
    m.name_v3 = key + ":" + m.key;
    m.name_v2 = key + ":" + local + "Message";
    m.description = h.options.description;
    m.content_type = content_type_for(batch && !h.batch_payload_name.empty() ? "" : h.payload_name);
    m.payload = h.payload_schema ? schemas.add(h.payload_schema(schemas.registry()),
                                               prefix + ":Message:Payload", fallback)
                                 : schemas.add(R"({"title":"EmptyPayload","type":"null"})",
                                               "EmptyPayload", fallback);
    m.bindings = message_bindings;
    ch.messages.push_back(std::move(m));
  }
  if (handlers.empty()) {
    Message m;
    m.key = "SubscribeMessage";
    m.name_v3 = key + ":SubscribeMessage";
    m.name_v2 = key + ":Message";
    m.payload = schemas.add("{}", (titled.empty() ? "Subscriber" : titled) + ":Message:Payload",
                            key + ":Message:Payload");
    m.bindings = message_bindings;
    ch.messages.push_back(std::move(m));
  }
  spec.channels.push_back(std::move(ch));

  Operation op;
  op.key = unique(operation_keys, cfg.title.empty() ? key + "Subscribe" : key, ":");
  op.action = Action::receive;
  op.channel = key;
  op.bindings = parse_bindings(bindings.operation, "operation", named.address);
  if (!cfg.no_reply) reply(cfg, handlers, calls, key, op);
  spec.operations.push_back(std::move(op));
}

// A handler's result goes back to the request's reply_to (unless no_reply): the receive
// operation gets a reply on a channel whose address is known only at run time.
void Builder::reply(const SubscriberConfig& cfg, const std::vector<HandlerSpec>& handlers,
                    const std::vector<std::string>& calls, const std::string& key, Operation& op) {
  std::vector<std::size_t> answering;
  for (std::size_t i = 0; i < handlers.size(); ++i)
    if (handlers[i].result_schema) answering.push_back(i);
  if (answering.empty()) return;

  Channel rc;
  rc.key = unique(channel_keys, key + ":Reply", ":");
  rc.reply = true;
  rc.description = "The handler's result, sent to the address in the request's reply_to header";
  const bool single = answering.size() == 1 && handlers.size() == 1;
  const std::string titled = clear_key(cfg.title);
  for (std::size_t i : answering) {
    const std::string local = answering.size() == 1 ? "" : calls[i] + ":";
    const std::string prefix = single && !titled.empty() ? titled : calls[i];
    Message m;
    m.key = local + "ReplyMessage";
    m.name_v3 = key + ":" + m.key;
    m.name_v2 = m.name_v3;
    m.payload = schemas.add(handlers[i].result_schema(schemas.registry()),
                            prefix + ":Reply:Payload", key + ":" + local + "Reply:Payload");
    m.content_type = json_default_empty(handlers[i].result_content_type);
    rc.messages.push_back(std::move(m));
  }
  op.reply_channel = rc.key;
  spec.channels.push_back(std::move(rc));
}

void Builder::publishers() {
  // Declared publishers first, then the targets of subscribers, grouped by channel name:
  // several sources on one channel are several messages (one per distinct payload).
  std::vector<SendSource> all;
  for (const PublisherSpec& p : broker.publishers()) {
    if (!p.include_in_schema) continue;
    SendSource s{p.target,
                 p.title.empty()
                     ? clear_key(transport.publisher_channel(p.target).name) + ":Publisher"
                     : clear_key(p.title),
                 p.payload_name.empty() ? "Publisher" : camel(p.payload_name),
                 p.description,
                 p.payload_schema,
                 content_type_for(p.payload_name)};
    all.push_back(std::move(s));
  }
  for (auto& s : sends) all.push_back(std::move(s));

  std::vector<std::vector<const SendSource*>> groups;
  for (const SendSource& s : all) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&s](const auto& g) { return g.front()->base_key == s.base_key; });
    if (it == groups.end()) {
      groups.push_back({&s});
    } else {
      it->push_back(&s);
    }
  }

  for (const auto& group : groups) {
    const SendSource& first = *group.front();
    const std::string key = unique(channel_keys, first.base_key, ":");
    const SpecBindings bindings = transport.publisher_bindings(first.target);

    const ChannelSpec named = transport.publisher_channel(first.target);
    Channel ch;
    ch.key = key;
    ch.address = named.address;
    for (const SendSource* s : group)
      if (ch.description.empty()) ch.description = s->description;
    ch.bindings = parse_bindings(bindings.channel, "channel", named.address);
    const json::object message_bindings =
        parse_bindings(bindings.message, "message", named.address);

    struct Distinct {
      json::value schema;
      std::string text;
      std::string name;
      std::string content_type;
    };
    std::vector<Distinct> distinct;
    for (const SendSource* s : group) {
      if (!s->schema) continue;
      std::string text = s->schema(schemas.registry());
      json::value v = json::parse(text);
      if (std::none_of(distinct.begin(), distinct.end(),
                       [&v](const Distinct& d) { return d.schema == v; }))
        distinct.push_back({std::move(v), std::move(text), s->name, s->content_type});
    }

    if (distinct.empty()) {  // untyped: any payload
      Message m;
      m.key = "Message";
      m.name_v3 = key + ":Message";
      m.name_v2 = m.name_v3;
      m.payload = schemas.add("{}", key + ":Message:Payload", key + ":Message:Payload");
      m.bindings = message_bindings;
      ch.messages.push_back(std::move(m));
    }
    std::set<std::string> used_names;
    for (const Distinct& d : distinct) {
      const bool single = distinct.size() == 1;
      const std::string name = unique(used_names, d.name, "");
      Message m;
      m.key = single ? "Message" : name + ":Message";
      m.name_v3 = key + ":" + m.key;
      m.name_v2 = m.name_v3;
      m.content_type = d.content_type;
      m.payload = schemas.add(
          d.text, single ? key + ":Message:Payload" : name + ":Publisher:Message:Payload",
          key + ":" + name + ":Message:Payload");
      m.bindings = message_bindings;
      ch.messages.push_back(std::move(m));
    }
    spec.channels.push_back(std::move(ch));

    Operation op;
    op.key = unique(operation_keys, key, ":");
    op.action = Action::send;
    op.channel = key;
    op.bindings = parse_bindings(bindings.operation, "operation", first.target.destination);
    spec.operations.push_back(std::move(op));
  }
}

}  // namespace

Spec build(const BrokerCore& broker, const AppInfo& info) {
  // BrokerCore::transport() const is declared in core.hpp but not defined yet (src/core):
  // the non-const one is used meanwhile; nothing here modifies the transport.
  const Transport& transport = broker.transport();
  Builder b{broker, transport, {}, {}, {}, {}, {}};
  b.spec.title = info.title;
  b.spec.version = info.version;
  b.spec.description = info.description;
  const ServerSpec server = b.transport.server_spec();
  b.spec.server.host = public_host(server.host);
  b.spec.server.protocol = server.protocol;
  b.spec.server.protocol_version = server.protocol_version;
  b.spec.server.pathname = server.pathname;
  b.spec.server.bindings = parse_bindings(server.bindings, "server", server.host);

  for (const auto& sub : broker.subscribers()) {
    if (sub->config().include_in_schema) b.subscriber(*sub);
  }
  b.publishers();
  b.spec.schemas = b.schemas.take();
  return std::move(b.spec);
}

const Channel* find_channel(const Spec& spec, std::string_view key) {
  for (const auto& ch : spec.channels)
    if (ch.key == key) return &ch;
  return nullptr;
}

std::string ref(std::initializer_list<std::string_view> parts) {
  std::string out = "#";
  for (std::string_view part : parts) {
    out.push_back('/');
    for (const char ch : part) {
      if (ch == '~') {
        out.append("~0");
      } else if (ch == '/') {
        out.append("~1");
      } else if (is_alnum(ch) || (ch != '\0' && std::strchr("-._~:", ch) != nullptr)) {
        out.push_back(ch);
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X",
                      static_cast<unsigned>(static_cast<unsigned char>(ch)));
        out.append(buf);
      }
    }
  }
  return out;
}

std::vector<std::string> placeholders(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while ((pos = text.find('{', pos)) != std::string_view::npos) {
    const auto end = text.find_first_of("{}", pos + 1);
    if (end == std::string_view::npos) break;
    if (text[end] == '}' && end > pos + 1) {
      std::string name(text.substr(pos + 1, end - pos - 1));
      if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
      pos = end + 1;
    } else {
      pos = end;
    }
  }
  return out;
}

}  // namespace faststream::spec
