#include "faststream/handler.hpp"

#include <fmt/format.h>

namespace faststream {

std::string describe_exception(std::exception_ptr error) {
  if (!error) return {};
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception (not derived from std::exception)";
  }
}

}  // namespace faststream

namespace faststream::detail {

std::string_view require_path_param(const Message& message, std::string_view name) {
  if (auto value = message.path_param(name)) return *value;
  // Registration checks that the destination has the placeholder; a backend that did not
  // capture it is a framework bug worth a clear message.
  throw std::logic_error(
      fmt::format("path parameter '{}' was not captured from '{}'", name, message.destination()));
}

void throw_bad_path_param(std::string_view name, std::string_view text, std::string_view expected) {
  throw DecodeError(
      fmt::format("Path<\"{}\">", name),
      {FieldError{std::string(name), fmt::format("expected {}, got \"{}\"", expected, text)}});
}

}  // namespace faststream::detail
