// Codec internals: runtime type descriptors, the per-model field table, and the thin
// templates that route each C++ type to the non-template decoder/encoder in src/codec.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "faststream/detail/codec_traits.hpp"
#include "faststream/detail/codec_types.hpp"
#include "faststream/model.hpp"

namespace faststream::codec_detail {

template <class>
inline constexpr bool dependent_false_v = false;

using time_point = std::chrono::system_clock::time_point;

enum class Kind : std::uint8_t {
  boolean,
  integer,
  number,
  string,
  time,
  raw,
  optional,
  array,
  map,
  variant,
  model,
  enumeration,
};

struct TypeDesc;
struct ModelInfo;
struct EnumInfo;
using TypeDescFn = const TypeDesc& (*)() noexcept;

/// Runtime description of a C++ type (constexpr, one per type): drives error texts and schemas.
struct TypeDesc {
  Kind kind = Kind::boolean;
  std::string_view name;     // integers: "int32"...; numbers: "float"/"double"; models, enums
  bool is_unsigned = false;  // integer
  bool is_float32 = false;   // number
  std::int64_t imin = 0;     // integer range
  std::uint64_t umax = 0;
  TypeDescFn elem = nullptr;  // optional, array, map
  const ModelInfo& (*model)() = nullptr;
  const EnumInfo& (*enumeration)() = nullptr;
  const TypeDescFn* alts = nullptr;  // variant alternatives (tagged models)
  const std::string_view* tags = nullptr;
  std::size_t nalts = 0;
  std::string_view tag_field;
};

// ---- decoding context -----------------------------------------------------------------

struct DecodeState;  // opaque (src/codec)

/// One step of the current JSON path: a key (field or map key) or an array index.
struct PathSeg {
  const PathSeg* parent;
  const char* key;
  std::size_t n;  // key length or index
  bool is_index;
};

struct DecodeCtx {
  DecodeState* st;
  const PathSeg* path;
};

using MemberDecodeFn = void (*)(DecodeCtx&, void* object, const FieldRules* rules);
using EncodeDefaultFn = void (*)(std::string& out);

struct FieldInfo {
  std::string_view name;   // C++ member name
  std::string json_name;   // alias or name
  std::string key_prefix;  // "json_name":
  TypeDescFn type = nullptr;
  MemberDecodeFn decode = nullptr;
  EncodeDefaultFn encode_default = nullptr;
  bool required = true;
  bool has_rules = false;
  FieldRules rules;
};

struct ModelInfo {
  std::string_view name;
  std::string description;
  bool forbid_unknown = false;
  bool tagged = false;
  std::string_view tag_field, tag_value;
  std::string tag_prefix;  // "type":"card"
  std::vector<FieldInfo> fields;
  const void* identity = nullptr;
};

struct EnumInfo {
  std::string_view name;
  std::vector<std::string_view> names;
  std::vector<std::int64_t> values;
};

// Implemented in src/codec. Each dec_* consumes exactly one JSON value (or skips it after
// recording an error) and returns whether `out` was set.
bool dec_bool(DecodeCtx& c, bool& out, const FieldRules* r);
bool dec_int(DecodeCtx& c, std::int64_t& out, const TypeDesc& t, const FieldRules* r);
bool dec_uint(DecodeCtx& c, std::uint64_t& out, const TypeDesc& t, const FieldRules* r);
bool dec_double(DecodeCtx& c, double& out, const TypeDesc& t, const FieldRules* r);
bool dec_string(DecodeCtx& c, std::string& out, const FieldRules* r);
bool dec_time(DecodeCtx& c, time_point& out, const FieldRules* r);
bool dec_raw(DecodeCtx& c, std::string& out);
/// If the current value is null, consumes it and returns true.
bool dec_null(DecodeCtx& c);
/// Array/object headers: on success the elements (objects: key, value pairs) follow.
bool dec_array(DecodeCtx& c, std::size_t& n, const FieldRules* r);
bool dec_object(DecodeCtx& c, std::size_t& n, const FieldRules* r);
std::string_view dec_key(DecodeCtx& c);
bool dec_enum(DecodeCtx& c, const EnumInfo& e, std::size_t& index);
/// Looks up the discriminator without consuming the object.
bool dec_variant(DecodeCtx& c, const TypeDesc& t, std::size_t& index);
void dec_model(DecodeCtx& c, const ModelInfo& m, void* object);

using RootDecodeFn = void (*)(DecodeCtx&, void* out);
void decode_root(std::string_view json, const DecodeOptions& o, const TypeDesc& t, RootDecodeFn fn,
                 void* out);

void enc_string(std::string& out, std::string_view s);
void enc_int(std::string& out, std::int64_t v);
void enc_uint(std::string& out, std::uint64_t v);
void enc_double(std::string& out, double v);
void enc_float(std::string& out, float v);
void enc_time(std::string& out, time_point t);
void enc_raw(std::string& out, std::string_view text);
[[noreturn]] void throw_unnamed_enum(const EnumInfo& e, std::int64_t value);

void finalize_model(ModelInfo& m);

// ---- type descriptors -----------------------------------------------------------------

template <class T>
constexpr TypeDesc make_type_desc() noexcept;

template <class T>
const TypeDesc& type_desc() noexcept {
  static constexpr TypeDesc d = make_type_desc<T>();
  return d;
}

template <class T>
const ModelInfo& model_info();
template <class E>
const EnumInfo& enum_info();

template <class T>
constexpr std::string_view int_name() noexcept {
  if constexpr (std::is_signed_v<T>) {
    if constexpr (sizeof(T) == 1) return "int8";
    if constexpr (sizeof(T) == 2) return "int16";
    if constexpr (sizeof(T) == 4) return "int32";
    if constexpr (sizeof(T) == 8) return "int64";
  } else {
    if constexpr (sizeof(T) == 1) return "uint8";
    if constexpr (sizeof(T) == 2) return "uint16";
    if constexpr (sizeof(T) == 4) return "uint32";
    if constexpr (sizeof(T) == 8) return "uint64";
  }
}

template <class T>
constexpr TagInfo tag_of() noexcept {
  if constexpr (TaggedModel<T>) {
    return faststream_model_tag_info(model_tag<T>{});
  } else {
    return {};
  }
}

template <class V>
struct variant_tables;
template <class... Ts>
struct variant_tables<std::variant<Ts...>> {
  static constexpr bool all_tagged = (TaggedModel<Ts> && ...);
  static_assert(all_tagged,
                "faststream: every alternative of a std::variant must be a model with "
                "FASTSTREAM_TAG(Type, \"field\", \"value\")");
  static constexpr std::size_t n = sizeof...(Ts);
  static constexpr TypeDescFn alts[n] = {&type_desc<Ts>...};
  static constexpr std::string_view tags[n] = {tag_of<Ts>().value...};
  static constexpr std::string_view fields[n] = {tag_of<Ts>().field...};
  static constexpr bool same_field() {
    for (std::size_t i = 1; i < n; ++i)
      if (fields[i] != fields[0]) return false;
    return true;
  }
  static constexpr bool unique_tags() {
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i + 1; j < n; ++j)
        if (tags[i] == tags[j]) return false;
    return true;
  }
  static_assert(!all_tagged || same_field(),
                "faststream: all alternatives of a variant must use the same tag field");
  static_assert(!all_tagged || unique_tags(),
                "faststream: the tag values of a variant's alternatives must differ");
};

template <class T>
constexpr TypeDesc make_type_desc() noexcept {
  TypeDesc d;
  if constexpr (std::is_same_v<T, bool>) {
    d.kind = Kind::boolean;
    d.name = "bool";
  } else if constexpr (is_json_integer_v<T>) {
    d.kind = Kind::integer;
    d.name = int_name<T>();
    d.is_unsigned = std::is_unsigned_v<T>;
    d.imin = static_cast<std::int64_t>(std::numeric_limits<T>::min());
    d.umax = static_cast<std::uint64_t>(std::numeric_limits<T>::max());
  } else if constexpr (is_json_float_v<T>) {
    d.kind = Kind::number;
    d.is_float32 = std::is_same_v<T, float>;
    d.name = d.is_float32 ? "float" : "double";
  } else if constexpr (std::is_same_v<T, std::string>) {
    d.kind = Kind::string;
    d.name = "string";
  } else if constexpr (is_time_point_v<T>) {
    d.kind = Kind::time;
    d.name = "time_point";
  } else if constexpr (std::is_same_v<T, RawJson>) {
    d.kind = Kind::raw;
    d.name = "RawJson";
  } else if constexpr (is_optional<T>::value) {
    d.kind = Kind::optional;
    d.elem = &type_desc<typename T::value_type>;
  } else if constexpr (is_vector<T>::value) {
    d.kind = Kind::array;
    d.elem = &type_desc<typename T::value_type>;
  } else if constexpr (is_string_map<T>::value) {
    d.kind = Kind::map;
    d.elem = &type_desc<typename T::mapped_type>;
  } else if constexpr (is_variant<T>::value) {
    using VT = variant_tables<T>;
    d.kind = Kind::variant;
    d.alts = VT::alts;
    d.tags = VT::tags;
    d.nalts = VT::n;
    d.tag_field = VT::fields[0];
  } else if constexpr (Enum<T>) {
    d.kind = Kind::enumeration;
    d.name = faststream_enum_name(model_tag<T>{});
    d.enumeration = &enum_info<T>;
  } else if constexpr (Model<T>) {
    d.kind = Kind::model;
    d.name = faststream_model_name(model_tag<T>{});
    d.model = &model_info<T>;
  } else {
    static_assert(dependent_false_v<T>,
                  "faststream: this type is not JSON-codable. Supported: bool, integers, float, "
                  "double, std::string, system_clock::time_point, RawJson, std::optional, "
                  "std::vector, std::map<std::string, T>, std::variant of FASTSTREAM_TAG models, "
                  "FASTSTREAM_ENUM enums and FASTSTREAM_MODEL structs");
  }
  return d;
}

// ---- decode / encode templates --------------------------------------------------------

template <class T>
void decode_value(DecodeCtx& c, T& v, const FieldRules* r);
template <class T>
void encode_value(std::string& out, const T& v);

template <class V, std::size_t... I>
void decode_alternative(DecodeCtx& c, V& v, std::size_t index, std::index_sequence<I...>) {
  (void)((index == I ? (decode_value(c, v.template emplace<I>(), nullptr), true) : false) || ...);
}

template <class T>
void decode_value(DecodeCtx& c, T& v, const FieldRules* r) {
  if constexpr (std::is_same_v<T, bool>) {
    dec_bool(c, v, r);
  } else if constexpr (is_json_integer_v<T>) {
    if constexpr (std::is_signed_v<T>) {
      std::int64_t x;
      if (dec_int(c, x, type_desc<T>(), r)) v = static_cast<T>(x);
    } else {
      std::uint64_t x;
      if (dec_uint(c, x, type_desc<T>(), r)) v = static_cast<T>(x);
    }
  } else if constexpr (is_json_float_v<T>) {
    double x;
    if (dec_double(c, x, type_desc<T>(), r)) v = static_cast<T>(x);
  } else if constexpr (std::is_same_v<T, std::string>) {
    dec_string(c, v, r);
  } else if constexpr (is_time_point_v<T>) {
    dec_time(c, v, r);
  } else if constexpr (std::is_same_v<T, RawJson>) {
    dec_raw(c, v.text);
  } else if constexpr (is_optional<T>::value) {
    if (dec_null(c)) {
      v.reset();
    } else {
      decode_value(c, v.emplace(), r);
    }
  } else if constexpr (is_vector<T>::value) {
    std::size_t n;
    if (!dec_array(c, n, r)) return;
    v.clear();
    v.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      PathSeg seg{c.path, nullptr, i, true};
      c.path = &seg;
      if constexpr (std::is_same_v<typename T::value_type, bool>) {
        bool b = false;
        decode_value(c, b, nullptr);
        v[i] = b;
      } else {
        decode_value(c, v[i], nullptr);
      }
      c.path = seg.parent;
    }
  } else if constexpr (is_string_map<T>::value) {
    std::size_t n;
    if (!dec_object(c, n, r)) return;
    v.clear();
    for (std::size_t i = 0; i < n; ++i) {
      std::string_view key = dec_key(c);
      PathSeg seg{c.path, key.data(), key.size(), false};
      c.path = &seg;
      decode_value(c, v[std::string(key)], nullptr);
      c.path = seg.parent;
    }
  } else if constexpr (is_variant<T>::value) {
    std::size_t index;
    if (dec_variant(c, type_desc<T>(), index))
      decode_alternative(c, v, index, std::make_index_sequence<std::variant_size_v<T>>{});
  } else if constexpr (Enum<T>) {
    const EnumInfo& e = enum_info<T>();
    std::size_t index;
    if (dec_enum(c, e, index)) v = static_cast<T>(e.values[index]);
  } else if constexpr (Model<T>) {
    dec_model(c, model_info<T>(), &v);
  } else {
    (void)make_type_desc<T>();  // emits the "not JSON-codable" diagnostic
  }
}

template <class T>
void encode_value(std::string& out, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    out.append(v ? "true" : "false");
  } else if constexpr (is_json_integer_v<T>) {
    if constexpr (std::is_signed_v<T>) {
      enc_int(out, v);
    } else {
      enc_uint(out, v);
    }
  } else if constexpr (std::is_same_v<T, double>) {
    enc_double(out, v);
  } else if constexpr (std::is_same_v<T, float>) {
    enc_float(out, v);
  } else if constexpr (std::is_same_v<T, std::string>) {
    enc_string(out, v);
  } else if constexpr (is_time_point_v<T>) {
    enc_time(out, v);
  } else if constexpr (std::is_same_v<T, RawJson>) {
    enc_raw(out, v.text);
  } else if constexpr (is_optional<T>::value) {
    if (v) {
      encode_value(out, *v);
    } else {
      out.append("null");
    }
  } else if constexpr (is_vector<T>::value) {
    out.push_back('[');
    bool first = true;
    for (const auto& e : v) {
      if (!first) out.push_back(',');
      first = false;
      if constexpr (std::is_same_v<typename T::value_type, bool>) {
        encode_value(out, static_cast<bool>(e));
      } else {
        encode_value(out, e);
      }
    }
    out.push_back(']');
  } else if constexpr (is_string_map<T>::value) {
    out.push_back('{');
    bool first = true;
    for (const auto& [k, e] : v) {
      if (!first) out.push_back(',');
      first = false;
      enc_string(out, k);
      out.push_back(':');
      encode_value(out, e);
    }
    out.push_back('}');
  } else if constexpr (is_variant<T>::value) {
    (void)type_desc<T>();  // checks the alternatives
    std::visit([&out](const auto& alt) { encode_value(out, alt); }, v);
  } else if constexpr (Enum<T>) {
    const EnumInfo& e = enum_info<T>();
    const auto x = static_cast<std::int64_t>(v);
    for (std::size_t i = 0; i < e.values.size(); ++i) {
      if (e.values[i] == x) {
        enc_string(out, e.names[i]);
        return;
      }
    }
    throw_unnamed_enum(e, x);
  } else if constexpr (Model<T>) {
    const ModelInfo& m = model_info<T>();
    out.push_back('{');
    bool first = true;
    if (m.tagged) {
      out.append(m.tag_prefix);
      first = false;
    }
    std::size_t i = 0;
    boost::mp11::mp_for_each<public_members<T>>([&](auto d) {
      if (!first) out.push_back(',');
      first = false;
      out.append(m.fields[i++].key_prefix);
      encode_value(out, v.*d.pointer);
    });
    out.push_back('}');
  } else {
    (void)make_type_desc<T>();
  }
}

// ---- model and enum tables ------------------------------------------------------------

template <class T, class D>
void decode_member(DecodeCtx& c, void* object, const FieldRules* r) {
  decode_value(c, static_cast<T*>(object)->*D::pointer, r);
}

template <class T, class D>
void encode_default_member(std::string& out) {
  const T t{};
  encode_value(out, t.*D::pointer);
}

template <class T>
ModelInfo build_model_info() {
  static_assert(std::is_default_constructible_v<T>,
                "faststream: a model must be default-constructible");
  ModelInfo m;
  m.name = faststream_model_name(model_tag<T>{});
  m.identity = &type_desc<T>();
  boost::mp11::mp_for_each<public_members<T>>([&](auto d) {
    using D = decltype(d);
    using M = std::remove_cvref_t<decltype(std::declval<T&>().*D::pointer)>;
    FieldInfo f;
    f.name = D::name;
    f.type = &type_desc<M>;
    f.decode = &decode_member<T, D>;
    f.encode_default = &encode_default_member<T, D>;
    f.required = !is_optional<M>::value;
    m.fields.push_back(std::move(f));
  });
  if constexpr (requires { faststream_model_rules(model_tag<T>{}); }) {
    ModelRules rules = faststream_model_rules(model_tag<T>{});
    m.description = std::move(rules.description);
    m.forbid_unknown = rules.forbid_unknown;
    for (auto& [index, fr] : rules.fields) {
      m.fields[index].has_rules = true;
      m.fields[index].rules = std::move(fr);
    }
  }
  if constexpr (TaggedModel<T>) {
    constexpr TagInfo tag = faststream_model_tag_info(model_tag<T>{});
    m.tagged = true;
    m.tag_field = tag.field;
    m.tag_value = tag.value;
  }
  finalize_model(m);
  return m;
}

template <class T>
const ModelInfo& model_info() {
  static const ModelInfo m = build_model_info<T>();
  return m;
}

template <class E>
const EnumInfo& enum_info() {
  static const EnumInfo e = [] {
    EnumInfo r;
    r.name = faststream_enum_name(model_tag<E>{});
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
      r.names.emplace_back(d.name);
      r.values.push_back(static_cast<std::int64_t>(d.value));
    });
    return r;
  }();
  return e;
}

template <class T>
void decode_root_fn(DecodeCtx& c, void* out) {
  decode_value(c, *static_cast<T*>(out), nullptr);
}

// ---- payloads and schema (src/codec) --------------------------------------------------

std::string decode_text_payload(std::string_view body, const DecodeOptions& o);
void check_bytes_payload(std::string_view body, const DecodeOptions& o);
void check_json_content_type(std::string_view content_type, const TypeDesc& t);

std::string schema_of(SchemaRegistry& registry, const TypeDesc& t);
std::string standalone_schema(const TypeDesc& t);

}  // namespace faststream::codec_detail
