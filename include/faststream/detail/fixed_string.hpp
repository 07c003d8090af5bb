#pragma once
#include <cstddef>
#include <string_view>

namespace faststream::detail {

// A string usable as a template argument: Path<"level">.
template <std::size_t N>
struct FixedString {
  char data[N]{};
  constexpr FixedString(const char (&text)[N]) {  // NOLINT: implicit by design
    for (std::size_t i = 0; i < N; ++i) data[i] = text[i];
  }
  constexpr std::string_view view() const { return {data, N - 1}; }
};

}  // namespace faststream::detail
