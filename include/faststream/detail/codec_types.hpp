// Public value types of the codec (re-exported by faststream/codec.hpp).
#pragma once

#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace faststream {

/// Any JSON value, kept as validated compact text. Encodes verbatim (empty text encodes as null).
struct RawJson {
  std::string text;
  friend bool operator==(const RawJson&, const RawJson&) = default;
};

/// An application/octet-stream payload (top-level only; not JSON-codable).
struct Bytes {
  std::string data;
  friend bool operator==(const Bytes&, const Bytes&) = default;
};

/// The largest body a subscriber decodes unless told otherwise (BrokerSettings).
inline constexpr std::size_t kDefaultMaxMessageSize = std::size_t{64} << 20;

struct DecodeOptions {
  /// Checked before parsing; larger bodies are rejected. 0: the broker's
  /// BrokerSettings::max_message_size (kDefaultMaxMessageSize outside a broker).
  std::size_t max_message_size = 0;
  /// OR-ed with the model's own model().forbid_unknown_fields(); applies to every nested model.
  bool forbid_unknown_fields = false;
  /// Deeper JSON nesting is rejected before decoding (no recursion beyond this depth).
  std::size_t max_depth = 128;
};

/// The size limit `options` sets (its own, else the default).
inline std::size_t max_message_size_of(const DecodeOptions& options) noexcept {
  return options.max_message_size ? options.max_message_size : kDefaultMaxMessageSize;
}
/// "message of 28 bytes exceeds max_message_size (16 bytes)"
std::string oversize_text(std::size_t size, std::size_t limit);

/// One validation failure. path: "items[2].price", "" for the root value.
struct FieldError {
  std::string path;
  std::string message;
  friend bool operator==(const FieldError&, const FieldError&) = default;
};

/// Thrown for every decode failure: oversize, wrong content type, invalid UTF-8 or JSON,
/// validation. what(): "Order: items[2].price: must be >= 0, got -1" for one error;
/// "Order: 3 errors: a: ...; b: ...; c: ..." for several.
class DecodeError : public std::runtime_error {
 public:
  DecodeError(std::string type_name, std::vector<FieldError> errors);

  const std::vector<FieldError>& errors() const noexcept { return errors_; }
  const std::string& type_name() const noexcept { return type_name_; }

 private:
  std::string type_name_;
  std::vector<FieldError> errors_;
};

class SchemaRegistry;
namespace codec_detail {
struct SchemaAccess;
}

/// Collects named definitions (models and enums) referenced by the schemas it produced.
class SchemaRegistry {
 public:
  explicit SchemaRegistry(std::string ref_prefix = "#/$defs/")
      : ref_prefix_(std::move(ref_prefix)) {}

  /// Model (or enum) name -> its schema as compact JSON text.
  const std::map<std::string, std::string>& definitions() const noexcept { return defs_; }
  const std::string& ref_prefix() const noexcept { return ref_prefix_; }

 private:
  friend struct codec_detail::SchemaAccess;
  std::string ref_prefix_;
  std::map<std::string, std::string> defs_;
  std::map<std::string, const void*> owners_;  // name -> type identity, to catch name clashes
};

}  // namespace faststream
