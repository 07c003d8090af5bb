#include "faststream/version.hpp"

#ifndef FASTSTREAM_VERSION
#error "FASTSTREAM_VERSION must be defined by the build (the CMake project version)"
#endif

namespace faststream {

std::string_view version() noexcept {
  return FASTSTREAM_VERSION;
}

}  // namespace faststream
