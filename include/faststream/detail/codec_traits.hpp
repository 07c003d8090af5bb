// Type traits shared by model.hpp and codec.hpp. Internal.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace faststream {

/// ADL hook carrier: FASTSTREAM_MODEL/ENUM/TAG/FIELDS declare functions taking model_tag<T>.
template <class T>
struct model_tag {};

namespace codec_detail {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

template <class T>
struct is_string_map : std::false_type {};
template <class V, class C, class A>
struct is_string_map<std::map<std::string, V, C, A>> : std::true_type {};

template <class T>
struct is_variant : std::false_type {};
template <class... Ts>
struct is_variant<std::variant<Ts...>> : std::true_type {};

template <class T>
struct unwrap_optional {
  using type = T;
};
template <class T>
struct unwrap_optional<std::optional<T>> {
  using type = T;
};
template <class T>
using unwrap_optional_t = typename unwrap_optional<T>::type;

template <class T>
inline constexpr bool is_char_like_v =
    std::is_same_v<T, char> || std::is_same_v<T, wchar_t> || std::is_same_v<T, char8_t> ||
    std::is_same_v<T, char16_t> || std::is_same_v<T, char32_t>;

/// Integers the codec range-checks (all widths, signed and unsigned; not bool, not characters).
template <class T>
inline constexpr bool is_json_integer_v =
    std::is_integral_v<T> && !std::is_same_v<T, bool> && !is_char_like_v<T> && sizeof(T) <= 8;

template <class T>
inline constexpr bool is_json_float_v = std::is_same_v<T, float> || std::is_same_v<T, double>;

template <class T>
inline constexpr bool is_time_point_v = std::is_same_v<T, std::chrono::system_clock::time_point>;

// What a field rule may be applied to (checked at compile time by the builder).
template <class M>
inline constexpr bool rule_numeric_v =
    is_json_integer_v<unwrap_optional_t<M>> || is_json_float_v<unwrap_optional_t<M>>;
template <class M>
inline constexpr bool rule_string_v = std::is_same_v<unwrap_optional_t<M>, std::string>;
template <class M>
inline constexpr bool rule_sized_v = rule_string_v<M> || is_vector<unwrap_optional_t<M>>::value ||
                                     is_string_map<unwrap_optional_t<M>>::value;
template <class M>
inline constexpr bool rule_scalar_v =
    rule_numeric_v<M> || rule_string_v<M> || std::is_same_v<unwrap_optional_t<M>, bool>;

}  // namespace codec_detail
}  // namespace faststream
