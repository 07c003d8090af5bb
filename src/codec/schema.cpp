// JSON Schema (draft 2020-12, pydantic-like) from the runtime type descriptors.
#include <limits>
#include <stdexcept>

#include "codec/internal.hpp"

namespace faststream::codec_detail {

struct SchemaAccess {
  static std::string& ref_prefix(SchemaRegistry& r) { return r.ref_prefix_; }
  static std::map<std::string, std::string>& defs(SchemaRegistry& r) { return r.defs_; }
  static std::map<std::string, const void*>& owners(SchemaRegistry& r) { return r.owners_; }
};

namespace {

/// A JSON object under construction: ordered keys with JSON-text values.
struct Obj {
  std::vector<std::pair<std::string, std::string>> kv;

  void set(std::string_view key, std::string value) {
    for (auto& [k, v] : kv) {
      if (k == key) {
        v = std::move(value);
        return;
      }
    }
    kv.emplace_back(std::string(key), std::move(value));
  }
  std::string text() const {
    std::string s = "{";
    for (std::size_t i = 0; i < kv.size(); ++i) {
      if (i != 0) s.push_back(',');
      enc_string(s, kv[i].first);
      s.push_back(':');
      s.append(kv[i].second);
    }
    s.push_back('}');
    return s;
  }
};

std::string quoted(std::string_view s) {
  std::string out;
  enc_string(out, s);
  return out;
}

std::string num_text(const Bound& b) {
  std::string s;
  if (b.kind == Bound::Kind::integer) {
    enc_int(s, b.i);
  } else {
    enc_double(s, b.d);
  }
  return s;
}

long double bound_value(const Bound& b) {
  return b.kind == Bound::Kind::integer ? static_cast<long double>(b.i)
                                        : static_cast<long double>(b.d);
}

std::string title_of(std::string_view name) {
  std::string t;
  bool start = true;
  for (char ch : name) {
    if (ch == '_') {
      if (!t.empty() && t.back() != ' ') t.push_back(' ');
      start = true;
      continue;
    }
    if (start && ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    t.push_back(ch);
    start = false;
  }
  while (!t.empty() && t.back() == ' ') t.pop_back();
  return t;
}

Obj type_schema(SchemaRegistry& reg, const TypeDesc& t);
std::string model_definition(SchemaRegistry& reg, const ModelInfo& m);

/// Registers a named definition; returns false if it was already there (or being built).
bool claim(SchemaRegistry& reg, std::string_view name, const void* identity) {
  auto& owners = SchemaAccess::owners(reg);
  const std::string key(name);
  const auto it = owners.find(key);
  if (it != owners.end()) {
    if (it->second != identity) {
      throw std::logic_error("JSON Schema: two different types are named \"" + key +
                             "\"; model and enum names must be unique");
    }
    return false;
  }
  owners.emplace(key, identity);
  SchemaAccess::defs(reg).emplace(key, std::string());
  return true;
}

Obj type_schema(SchemaRegistry& reg, const TypeDesc& t) {
  Obj o;
  switch (t.kind) {
    case Kind::boolean:
      o.set("type", "\"boolean\"");
      break;
    case Kind::integer: {
      o.set("type", "\"integer\"");
      std::string lo, hi;
      enc_int(lo, t.imin);
      enc_uint(hi, t.umax);
      o.set("minimum", lo);
      o.set("maximum", hi);
      break;
    }
    case Kind::number:
      o.set("type", "\"number\"");
      if (t.is_float32) {
        std::string lo, hi;
        enc_float(lo, -std::numeric_limits<float>::max());  // -3.4028235e+38
        enc_float(hi, std::numeric_limits<float>::max());
        o.set("minimum", lo);
        o.set("maximum", hi);
      }
      break;
    case Kind::string:
      o.set("type", "\"string\"");
      break;
    case Kind::time:
      o.set("type", "\"string\"");
      o.set("format", "\"date-time\"");
      break;
    case Kind::raw:
      break;
    case Kind::optional:
      o.set("anyOf", "[" + type_schema(reg, t.elem()).text() + ",{\"type\":\"null\"}]");
      break;
    case Kind::array:
      o.set("type", "\"array\"");
      o.set("items", type_schema(reg, t.elem()).text());
      break;
    case Kind::map:
      o.set("type", "\"object\"");
      o.set("additionalProperties", type_schema(reg, t.elem()).text());
      break;
    case Kind::variant: {
      std::string alts = "[", mapping = "{";
      for (std::size_t i = 0; i < t.nalts; ++i) {
        const TypeDesc& a = t.alts[i]();
        if (i != 0) {
          alts.push_back(',');
          mapping.push_back(',');
        }
        alts.append(type_schema(reg, a).text());
        enc_string(mapping, t.tags[i]);
        mapping.push_back(':');
        enc_string(mapping, SchemaAccess::ref_prefix(reg) + std::string(a.name));
      }
      o.set("oneOf", alts + "]");
      o.set("discriminator",
            "{\"propertyName\":" + quoted(t.tag_field) + ",\"mapping\":" + mapping + "}}");
      break;
    }
    case Kind::enumeration: {
      if (claim(reg, t.name, &t)) {
        const EnumInfo& e = t.enumeration();
        Obj d;
        d.set("title", quoted(e.name));
        d.set("type", "\"string\"");
        std::string values = "[";
        for (std::size_t i = 0; i < e.names.size(); ++i) {
          if (i != 0) values.push_back(',');
          enc_string(values, e.names[i]);
        }
        d.set("enum", values + "]");
        SchemaAccess::defs(reg)[std::string(t.name)] = d.text();
      }
      o.set("$ref", quoted(SchemaAccess::ref_prefix(reg) + std::string(t.name)));
      break;
    }
    case Kind::model: {
      const ModelInfo& m = t.model();
      if (claim(reg, t.name, m.identity)) {
        std::string def = model_definition(reg, m);
        SchemaAccess::defs(reg)[std::string(t.name)] = std::move(def);
      }
      o.set("$ref", quoted(SchemaAccess::ref_prefix(reg) + std::string(t.name)));
      break;
    }
  }
  return o;
}

void apply_rules(Obj& o, const TypeDesc& t, const FieldRules& r) {
  if (t.kind == Kind::integer || t.kind == Kind::number) {
    const bool width = t.kind == Kind::integer || t.is_float32;
    const long double lo = t.kind == Kind::integer
                               ? static_cast<long double>(t.imin)
                               : -static_cast<long double>(std::numeric_limits<float>::max());
    const long double hi = t.kind == Kind::integer
                               ? static_cast<long double>(t.umax)
                               : static_cast<long double>(std::numeric_limits<float>::max());
    if (r.ge.set() && (!width || bound_value(r.ge) > lo)) o.set("minimum", num_text(r.ge));
    if (r.le.set() && (!width || bound_value(r.le) < hi)) o.set("maximum", num_text(r.le));
    if (r.gt.set()) o.set("exclusiveMinimum", num_text(r.gt));
    if (r.lt.set()) o.set("exclusiveMaximum", num_text(r.lt));
  }
  const char* min_key = t.kind == Kind::string  ? "minLength"
                        : t.kind == Kind::array ? "minItems"
                                                : "minProperties";
  const char* max_key = t.kind == Kind::string  ? "maxLength"
                        : t.kind == Kind::array ? "maxItems"
                                                : "maxProperties";
  if (r.has_min_length) o.set(min_key, std::to_string(r.min_length));
  if (r.has_max_length) o.set(max_key, std::to_string(r.max_length));
  if (r.has_pattern) o.set("pattern", quoted(r.pattern));
  if (r.has_one_of) {
    std::string values = "[";
    for (std::size_t i = 0; i < r.one_of.size(); ++i) {
      if (i != 0) values.push_back(',');
      std::visit(
          [&values](const auto& v) {
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, std::string>) {
              enc_string(values, v);
            } else if constexpr (std::is_same_v<V, bool>) {
              values.append(v ? "true" : "false");
            } else if constexpr (std::is_same_v<V, double>) {
              enc_double(values, v);
            } else {
              enc_int(values, v);
            }
          },
          r.one_of[i].value());
    }
    o.set("enum", values + "]");
  }
}

std::string model_definition(SchemaRegistry& reg, const ModelInfo& m) {
  Obj d;
  d.set("title", quoted(m.name));
  if (!m.description.empty()) d.set("description", quoted(m.description));
  d.set("type", "\"object\"");
  Obj props;
  std::string required = "[";
  auto add_required = [&required](std::string_view name) {
    if (required.size() > 1) required.push_back(',');
    enc_string(required, name);
  };
  if (m.tagged) {
    Obj p;
    p.set("const", quoted(m.tag_value));
    p.set("title", quoted(title_of(m.tag_field)));
    p.set("type", "\"string\"");
    props.set(m.tag_field, p.text());
    add_required(m.tag_field);
  }
  for (const FieldInfo& f : m.fields) {
    const TypeDesc& t = f.type();
    Obj p;
    if (t.kind != Kind::model && t.kind != Kind::enumeration)
      p.set("title", quoted(title_of(f.json_name)));
    if (t.kind == Kind::optional) {
      Obj inner = type_schema(reg, t.elem());
      if (f.has_rules) apply_rules(inner, t.elem(), f.rules);
      p.set("anyOf", "[" + inner.text() + ",{\"type\":\"null\"}]");
    } else {
      Obj body = type_schema(reg, t);
      if (f.has_rules) apply_rules(body, t, f.rules);
      for (auto& [k, v] : body.kv) p.set(k, std::move(v));
    }
    if (f.has_rules && !f.rules.description.empty())
      p.set("description", quoted(f.rules.description));
    if (!f.required) {
      std::string def;
      f.encode_default(def);
      p.set("default", std::move(def));
    } else {
      add_required(f.json_name);
    }
    props.set(f.json_name, p.text());
  }
  d.set("properties", props.text());
  if (required.size() > 1) d.set("required", required + "]");
  if (m.forbid_unknown) d.set("additionalProperties", "false");
  return d.text();
}

}  // namespace

std::string schema_of(SchemaRegistry& registry, const TypeDesc& t) {
  return type_schema(registry, t).text();
}

std::string standalone_schema(const TypeDesc& t) {
  SchemaRegistry reg("#/$defs/");
  const std::string top = schema_of(reg, t);
  const auto& defs = reg.definitions();
  auto defs_text = [&defs](std::string_view skip) {
    std::string s = "{";
    for (const auto& [name, def] : defs) {
      if (name == skip) continue;
      if (s.size() > 1) s.push_back(',');
      enc_string(s, name);
      s.push_back(':');
      s.append(def);
    }
    s.push_back('}');
    return s;
  };
  if (t.kind == Kind::model || t.kind == Kind::enumeration) {
    const std::string name(t.name);
    const std::string self_ref = "{\"$ref\":" + quoted("#/$defs/" + name) + "}";
    bool recursive = false;
    for (const auto& [n, def] : defs)
      recursive = recursive || def.find(self_ref) != std::string::npos;
    if (!recursive) {
      std::string doc = defs.at(name);
      const std::string others = defs_text(name);
      if (others.size() > 2) {
        doc.pop_back();
        doc.append(",\"$defs\":");
        doc.append(others);
        doc.push_back('}');
      }
      return doc;
    }
  }
  if (defs.empty()) return top;
  std::string doc = top;
  doc.pop_back();
  if (doc.size() > 1) doc.push_back(',');
  doc.append("\"$defs\":");
  doc.append(defs_text(""));
  doc.push_back('}');
  return doc;
}

}  // namespace faststream::codec_detail
