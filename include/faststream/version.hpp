#pragma once
#include <string_view>

namespace faststream {

// The library's version ("0.1.0"), from the CMake project version.
std::string_view version() noexcept;

}  // namespace faststream
