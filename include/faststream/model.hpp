// Models: reflection (Boost.Describe) plus per-field validation rules and documentation.
//
//   struct Order { std::string id; double amount; std::optional<std::string> note; };
//   FASTSTREAM_MODEL(Order, id, amount, note);
//   FASTSTREAM_FIELDS(Order,
//       model().description("An order"),
//       field(&Order::amount).ge(0),
//       field(&Order::id).alias("order_id").pattern("^[A-Z0-9-]+$"));
//
// All macros go at namespace scope, in the namespace of the type (they are found by ADL).
// See docs/models.md.
#pragma once

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/describe/modifiers.hpp>
#include <boost/mp11/algorithm.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "faststream/detail/codec_traits.hpp"

namespace faststream {

/// A constant for one_of(): a string, an integer, a floating-point number or a bool.
class Literal {
 public:
  using Value = std::variant<std::string, std::int64_t, double, bool>;

  Literal(const char* s) : v_(std::string(s)) {}       // NOLINT(google-explicit-constructor)
  Literal(std::string s) : v_(std::move(s)) {}         // NOLINT(google-explicit-constructor)
  Literal(std::string_view s) : v_(std::string(s)) {}  // NOLINT(google-explicit-constructor)
  Literal(bool b) : v_(b) {}                           // NOLINT(google-explicit-constructor)
  Literal(double d) : v_(d) {}                         // NOLINT(google-explicit-constructor)
  Literal(float f) : v_(static_cast<double>(f)) {}     // NOLINT(google-explicit-constructor)
  template <class I>
  requires codec_detail::is_json_integer_v<I> Literal(I i)
      : v_(static_cast<std::int64_t>(i)) {}  // NOLINT(google-explicit-constructor)

  const Value& value() const noexcept { return v_; }

 private:
  Value v_;
};

namespace codec_detail {

/// A numeric bound kept exactly: integers as int64, everything else as double.
struct Bound {
  enum class Kind : std::uint8_t { none, integer, real };
  Kind kind = Kind::none;
  std::int64_t i = 0;
  double d = 0;
  bool set() const noexcept { return kind != Kind::none; }
};

template <class N>
Bound make_bound(N v) {
  static_assert(std::is_arithmetic_v<N> && !std::is_same_v<N, bool>, "bounds must be numbers");
  Bound b;
  if constexpr (std::is_integral_v<N>) {
    static_assert(sizeof(N) < 8 || std::is_signed_v<N>,
                  "use a signed (or smaller) integer for a bound; 64-bit unsigned bounds are not "
                  "representable exactly");
    b.kind = Bound::Kind::integer;
    b.i = static_cast<std::int64_t>(v);
  } else {
    b.kind = Bound::Kind::real;
    b.d = static_cast<double>(v);
  }
  return b;
}

struct CompiledPattern;  // opaque; defined in src/codec

/// Everything FASTSTREAM_FIELDS can say about one field.
struct FieldRules {
  std::string alias;
  std::string description;
  Bound ge, gt, le, lt;
  bool has_min_length = false, has_max_length = false;
  std::size_t min_length = 0, max_length = 0;
  bool has_pattern = false;
  std::string pattern;
  bool has_one_of = false;
  std::vector<Literal> one_of;
  bool with_default = false;
  std::shared_ptr<const CompiledPattern> compiled;  // set when the model table is built
};

struct ModelRules {
  std::string description;
  bool has_description = false;
  bool forbid_unknown = false;
  std::vector<std::pair<std::size_t, FieldRules>> fields;  // index in the described member list
};

struct TagInfo {
  std::string_view field;
  std::string_view value;
};

}  // namespace codec_detail

/// model(): rules for the whole model (first argument of FASTSTREAM_FIELDS, optional).
class ModelRule {
 public:
  ModelRule& description(std::string_view d) {
    data_.description = std::string(d);
    data_.has_description = true;
    return *this;
  }
  /// Reject JSON objects with keys that are not fields (JSON Schema additionalProperties: false).
  ModelRule& forbid_unknown_fields() {
    data_.forbid_unknown = true;
    return *this;
  }
  const codec_detail::ModelRules& data() const noexcept { return data_; }

 private:
  codec_detail::ModelRules data_;
};

/// field(&T::m): rules for one member. Misapplied rules (ge on a string, ...) fail to compile.
template <class T, class M>
class FieldRule {
 public:
  explicit FieldRule(M T::*p) : ptr_(p) {}

  FieldRule& alias(std::string_view name) {
    r_.alias = std::string(name);
    return *this;
  }
  FieldRule& description(std::string_view d) {
    r_.description = std::string(d);
    return *this;
  }
  template <class N>
  FieldRule& ge(N v) {
    static_assert(codec_detail::rule_numeric_v<M>,
                  "ge() applies to integer and floating-point fields");
    r_.ge = codec_detail::make_bound(v);
    return *this;
  }
  template <class N>
  FieldRule& gt(N v) {
    static_assert(codec_detail::rule_numeric_v<M>,
                  "gt() applies to integer and floating-point fields");
    r_.gt = codec_detail::make_bound(v);
    return *this;
  }
  template <class N>
  FieldRule& le(N v) {
    static_assert(codec_detail::rule_numeric_v<M>,
                  "le() applies to integer and floating-point fields");
    r_.le = codec_detail::make_bound(v);
    return *this;
  }
  template <class N>
  FieldRule& lt(N v) {
    static_assert(codec_detail::rule_numeric_v<M>,
                  "lt() applies to integer and floating-point fields");
    r_.lt = codec_detail::make_bound(v);
    return *this;
  }
  /// Strings: code points. Vectors: items. Maps: entries.
  FieldRule& min_length(std::size_t n) {
    static_assert(codec_detail::rule_sized_v<M>,
                  "min_length() applies to string, vector and map fields");
    r_.has_min_length = true;
    r_.min_length = n;
    return *this;
  }
  FieldRule& max_length(std::size_t n) {
    static_assert(codec_detail::rule_sized_v<M>,
                  "max_length() applies to string, vector and map fields");
    r_.has_max_length = true;
    r_.max_length = n;
    return *this;
  }
  /// ECMAScript regular expression, searched anywhere in the string (anchor it with ^...$).
  FieldRule& pattern(std::string_view re) {
    static_assert(codec_detail::rule_string_v<M>, "pattern() applies to string fields");
    r_.has_pattern = true;
    r_.pattern = std::string(re);
    return *this;
  }
  FieldRule& one_of(std::initializer_list<Literal> values) {
    static_assert(codec_detail::rule_scalar_v<M>,
                  "one_of() applies to string, integer, floating-point and bool fields");
    r_.has_one_of = true;
    r_.one_of.assign(values.begin(), values.end());
    return *this;
  }
  /// The field may be absent from the JSON; the C++ default member initializer then applies.
  FieldRule& with_default() {
    r_.with_default = true;
    return *this;
  }

  M T::*pointer() const noexcept { return ptr_; }
  const codec_detail::FieldRules& rules() const noexcept { return r_; }

 private:
  M T::*ptr_;
  codec_detail::FieldRules r_;
};

inline ModelRule model() {
  return {};
}

template <class T, class M>
FieldRule<T, M> field(M T::*p) {
  return FieldRule<T, M>(p);
}

/// A type declared with FASTSTREAM_MODEL.
template <class T>
concept Model = std::is_class_v<T> && requires {
  { faststream_model_name(model_tag<T>{}) } -> std::convertible_to<std::string_view>;
};

/// An enum declared with FASTSTREAM_ENUM (encoded as the enumerator's name).
template <class T>
concept Enum = std::is_enum_v<T> && requires {
  { faststream_enum_name(model_tag<T>{}) } -> std::convertible_to<std::string_view>;
};

/// A model with FASTSTREAM_TAG: usable as an alternative of a std::variant.
template <class T>
concept TaggedModel = Model<T> && requires {
  { faststream_model_tag_info(model_tag<T>{}) } -> std::convertible_to<codec_detail::TagInfo>;
};

/// The model's name as written in FASTSTREAM_MODEL ("Order"); also its JSON Schema title.
template <Model T>
constexpr std::string_view model_name() noexcept {
  return faststream_model_name(model_tag<T>{});
}

namespace codec_detail {

template <class T>
using public_members = boost::describe::describe_members<T, boost::describe::mod_public>;

template <class T>
void add_rule(ModelRules& out, const ModelRule& m) {
  if (m.data().has_description) {
    out.description = m.data().description;
    out.has_description = true;
  }
  out.forbid_unknown = out.forbid_unknown || m.data().forbid_unknown;
}

template <class T, class U, class M>
void add_rule(ModelRules& out, const FieldRule<U, M>& f) {
  static_assert(std::is_same_v<T, U>,
                "FASTSTREAM_FIELDS(T, ...): field(&X::m) must name a member of T");
  std::size_t index = static_cast<std::size_t>(-1), i = 0;
  boost::mp11::mp_for_each<public_members<T>>([&](auto d) {
    if constexpr (std::is_same_v<std::remove_const_t<decltype(d.pointer)>, M T::*>) {
      if (d.pointer == f.pointer()) index = i;
    }
    ++i;
  });
  if (index == static_cast<std::size_t>(-1)) {
    throw std::logic_error(std::string("FASTSTREAM_FIELDS(") +
                           std::string(faststream_model_name(model_tag<T>{})) +
                           "): field(...) names a member not listed in FASTSTREAM_MODEL");
  }
  for (const auto& [idx, rules] : out.fields) {
    if (idx == index) {
      throw std::logic_error(std::string("FASTSTREAM_FIELDS(") +
                             std::string(faststream_model_name(model_tag<T>{})) +
                             "): a field is listed twice");
    }
  }
  out.fields.emplace_back(index, f.rules());
}

template <class T, class... Rules>
ModelRules make_rules(const Rules&... rules) {
  ModelRules out;
  (add_rule<T>(out, rules), ...);
  return out;
}

}  // namespace codec_detail
}  // namespace faststream

/// Describe a struct as a model: FASTSTREAM_MODEL(Order, id, amount, note);
/// Use the unqualified type name, at namespace scope in the type's namespace.
#define FASTSTREAM_MODEL(T, ...)                                              \
  BOOST_DESCRIBE_STRUCT(T, (), (__VA_ARGS__))                                 \
  [[maybe_unused]] inline constexpr ::std::string_view faststream_model_name( \
      ::faststream::model_tag<T>) noexcept {                                  \
    return #T;                                                                \
  }                                                                           \
  static_assert(true, "")

/// Describe an enum; it is encoded as the enumerator's name: FASTSTREAM_ENUM(Side, buy, sell);
#define FASTSTREAM_ENUM(E, ...)                                              \
  BOOST_DESCRIBE_ENUM(E, __VA_ARGS__)                                        \
  [[maybe_unused]] inline constexpr ::std::string_view faststream_enum_name( \
      ::faststream::model_tag<E>) noexcept {                                 \
    return #E;                                                               \
  }                                                                          \
  static_assert(true, "")

/// Give a model a discriminator: FASTSTREAM_TAG(Card, "type", "card"); The JSON object then
/// carries "type": "card" (required, constant), and std::variant<Card, ...> selects by it.
#define FASTSTREAM_TAG(T, FIELD, VALUE)                                                            \
  [[maybe_unused]] inline constexpr ::faststream::codec_detail::TagInfo faststream_model_tag_info( \
      ::faststream::model_tag<T>) noexcept {                                                       \
    return {FIELD, VALUE};                                                                         \
  }                                                                                                \
  static_assert(true, "")

/// Per-field rules: FASTSTREAM_FIELDS(Order, model().description("..."),
/// field(&Order::id).alias("x")); Evaluated once, when the model is first encoded, decoded or
/// documented.
#define FASTSTREAM_FIELDS(T, ...)                                                        \
  [[maybe_unused]] inline ::faststream::codec_detail::ModelRules faststream_model_rules( \
      ::faststream::model_tag<T>) {                                                      \
    using ::faststream::field;                                                           \
    using ::faststream::model;                                                           \
    return ::faststream::codec_detail::make_rules<T>(__VA_ARGS__);                       \
  }                                                                                      \
  static_assert(true, "")
