// JSON codec for models and plain types: decode + validate, encode, payloads, JSON Schema.
// See docs/models.md for the rules (error format, numbers, time, unknown fields, schema).
#pragma once

#include <string>
#include <string_view>
#include <type_traits>

#include "faststream/detail/codec_impl.hpp"
#include "faststream/detail/codec_types.hpp"
#include "faststream/model.hpp"

namespace faststream {

namespace codec_detail {
template <class T>
struct is_json_codable : std::false_type {};
template <class T>
requires(std::is_same_v<T, bool> || is_json_integer_v<T> || is_json_float_v<T> ||
         std::is_same_v<T, std::string> || is_time_point_v<T> || std::is_same_v<T, RawJson> ||
         Model<T> || Enum<T>) struct is_json_codable<T> : std::true_type {
};
template <class T>
struct is_json_codable<std::optional<T>> : is_json_codable<T> {};
template <class T, class A>
struct is_json_codable<std::vector<T, A>> : is_json_codable<T> {};
template <class V, class C, class A>
struct is_json_codable<std::map<std::string, V, C, A>> : is_json_codable<V> {};
// Variants of models: a missing FASTSTREAM_TAG is then reported by a static_assert at use.
template <class... Ts>
struct is_json_codable<std::variant<Ts...>> : std::bool_constant<(Model<Ts> && ...)> {};
}  // namespace codec_detail

/// A type the JSON codec handles (models are checked member by member when first used).
template <class T>
concept JsonCodable = codec_detail::is_json_codable<T>::value;

/// What a handler may take as its message / return as its result.
template <class T>
concept Payload = JsonCodable<T> || std::is_same_v<T, std::string> || std::is_same_v<T, Bytes>;

/// Decodes and validates; throws DecodeError listing every failing field.
template <JsonCodable T>
T decode_json(std::string_view json, const DecodeOptions& options = {}) {
  T value{};
  codec_detail::decode_root(json, options, codec_detail::type_desc<T>(),
                            &codec_detail::decode_root_fn<T>, &value);
  return value;
}

/// Appends compact JSON to `out`.
template <JsonCodable T>
void encode_json(const T& value, std::string& out) {
  codec_detail::encode_value(out, value);
}

template <JsonCodable T>
std::string encode_json(const T& value) {
  std::string out;
  codec_detail::encode_value(out, value);
  return out;
}

template <Payload T>
constexpr std::string_view content_type_of() {
  if constexpr (std::is_same_v<T, std::string>) {
    return "text/plain";
  } else if constexpr (std::is_same_v<T, Bytes>) {
    return "application/octet-stream";
  } else {
    return "application/json";
  }
}

/// std::string: the body as text (any content type; must be valid UTF-8).
/// Bytes: the body as is. Anything else: JSON; the content type must be empty or a JSON one
/// (application/json, ...+json, with parameters); text/plain, octet-stream etc. are rejected.
template <Payload T>
T decode_payload(std::string_view body, std::string_view content_type,
                 const DecodeOptions& options) {
  if constexpr (std::is_same_v<T, std::string>) {
    return codec_detail::decode_text_payload(body, options);
  } else if constexpr (std::is_same_v<T, Bytes>) {
    codec_detail::check_bytes_payload(body, options);
    return Bytes{std::string(body)};
  } else {
    codec_detail::check_json_content_type(content_type, codec_detail::type_desc<T>());
    return decode_json<T>(body, options);
  }
}

template <Payload T>
void encode_payload(const T& value, std::string& out) {
  if constexpr (std::is_same_v<T, std::string>) {
    out.append(value);
  } else if constexpr (std::is_same_v<T, Bytes>) {
    out.append(value.data);
  } else {
    codec_detail::encode_value(out, value);
  }
}

/// T's schema as JSON text; models and enums become {"$ref": prefix + name} and their
/// definitions (and those of nested models) are added to the registry.
template <JsonCodable T>
std::string json_schema_of(SchemaRegistry& registry) {
  return codec_detail::schema_of(registry, codec_detail::type_desc<T>());
}

/// A standalone schema document: T's schema with the definitions it needs under "$defs".
template <JsonCodable T>
std::string json_schema() {
  return codec_detail::standalone_schema(codec_detail::type_desc<T>());
}

}  // namespace faststream
