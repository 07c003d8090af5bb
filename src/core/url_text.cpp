#include "core/url_text.hpp"

#include <charconv>

namespace faststream::core::url_text {
namespace {
char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
bool is_alnum(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_unreserved(char c) noexcept {
  return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex_value(in[i + 1]);
    const int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

std::string percent_encode(std::string_view in) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (char c : in) {
    if (is_unreserved(c)) {
      out += c;
    } else {
      const auto u = static_cast<unsigned char>(c);
      out += '%';
      out += digits[u >> 4];
      out += digits[u & 0xf];
    }
  }
  return out;
}

bool valid_hostname(std::string_view host) noexcept {
  for (char c : host)
    if (!is_unreserved(c)) return false;
  return true;
}

bool valid_ipv6(std::string_view host) noexcept {
  if (host.find(':') == std::string_view::npos) return false;
  const auto zone = host.find('%');
  for (std::size_t i = 0; i < host.size(); ++i) {
    const char c = host[i];
    if (zone != std::string_view::npos && i > zone) {
      if (!is_unreserved(c) && c != '%') return false;  // the zone, still percent-encoded
    } else if (i < zone && !(hex_value(c) >= 0 || c == ':' || c == '.')) {
      return false;
    }
  }
  return zone == std::string_view::npos || zone + 1 < host.size();
}

bool parse_port(std::string_view text, int& port) noexcept {
  if (text.empty() || text.size() > 5) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || value < 1 || value > 65535)
    return false;
  port = value;
  return true;
}

std::string split_host_port(std::string_view authority, HostPort& out,
                            std::string_view bracket_example) {
  out = {authority, {}, false};
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return "unterminated IPv6 address (missing ']')";
    out.host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return "unexpected text after the IPv6 address";
      out.port = after.substr(1);
      out.has_port = true;
    }
    if (!valid_ipv6(out.host)) return "invalid IPv6 address";
    return {};
  }
  const auto colon = authority.find(':');
  if (colon != std::string_view::npos) {
    if (authority.find(':', colon + 1) != std::string_view::npos)
      return "IPv6 addresses must be in brackets, e.g. " + std::string(bracket_example);
    out.host = authority.substr(0, colon);
    out.port = authority.substr(colon + 1);
    out.has_port = true;
  }
  if (!valid_hostname(out.host)) return "invalid host name";
  return {};
}

}  // namespace faststream::core::url_text
