#include "redis/url.hpp"

#include "core/backend.hpp"

#include <charconv>
#include <stdexcept>

namespace faststream::redis {
namespace {

using namespace core::url_text;

constexpr std::string_view expected_form =
    "expected redis://[[user]:password@]host[:port][/db] or rediss://... (TLS)";

// The URL as it may appear in an error: everything before the last '@' (the userinfo,
// possibly with unencoded delimiters in the password) is replaced by "***".
std::string shown(std::string_view url) {
  const auto at = url.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  const auto scheme_end = url.find("://");
  const std::size_t from =
      scheme_end != std::string_view::npos && scheme_end < at ? scheme_end + 3 : 0;
  return std::string(url.substr(0, from)) + "***" + std::string(url.substr(at));
}

[[noreturn]] void fail(std::string_view url, std::string_view reason) {
  throw std::invalid_argument("invalid Redis URL '" + shown(url) + "': " + std::string(reason) +
                              "; " + std::string(expected_form));
}

// A non-negative decimal number (digits only) no larger than `max`.
bool parse_number(std::string_view s, long max, long& value) {
  if (s.empty() || s.size() > 10) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  return ec == std::errc{} && ptr == s.data() + s.size() && value <= max;
}

}  // namespace

std::string Url::public_host() const {
  const bool v6 = host.find(':') != std::string::npos;
  std::string out = v6 ? "[" + host + "]" : host;
  out += ':';
  out += std::to_string(port);
  return out;
}

std::string Url::redacted() const {
  std::string out = tls ? "rediss://" : "redis://";
  if (!user.empty() || !password.empty()) {
    out += percent_encode(user);
    if (!password.empty()) out += ":***";
    out += '@';
  }
  out += public_host();
  out += '/';
  out += std::to_string(db);
  return out;
}

Url parse_url(std::string_view url) {
  Url out;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) fail(url, "no scheme");
  const std::string_view scheme = url.substr(0, scheme_end);
  if (iequals(scheme, "rediss")) {
    out.tls = true;
  } else if (iequals(scheme, "unix")) {
    fail(url, "unix sockets are not supported");
  } else if (!iequals(scheme, "redis")) {
    fail(url, "unknown scheme '" + std::string(scheme) + "'");
  }
  std::string_view rest = url.substr(scheme_end + 3);

  // Userinfo ends at the last '@', so that a password with unencoded delimiters still parses.
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = userinfo.find(':');
    const std::string_view user = userinfo.substr(0, colon);
    if (!percent_decode(user, out.user)) fail(url, "malformed percent-encoding in the user name");
    if (colon != std::string_view::npos &&
        !percent_decode(userinfo.substr(colon + 1), out.password))
      fail(url, "malformed percent-encoding in the password");
  }

  const auto authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view tail =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (tail.find_first_of("?#") != std::string_view::npos)
    fail(url, "query parameters and fragments are not supported");

  HostPort split;
  if (auto problem = split_host_port(authority, split, "redis://[::1]:6379"); !problem.empty())
    fail(url, problem);
  const std::string_view host = split.host;
  const std::string_view port = split.port;
  const bool has_port = split.has_port;
  if (!host.empty() && !percent_decode(host, out.host)) fail(url, "invalid IPv6 zone");
  if (has_port && !parse_port(port, out.port))
    fail(url, "the port must be a number from 1 to 65535");

  if (!tail.empty()) {  // starts with '/'
    const std::string_view db = tail.substr(1);
    if (!db.empty()) {
      long value = 0;
      if (!parse_number(db, 2147483647L, value))
        fail(url, "the database must be a non-negative number (the path is /db)");
      out.db = static_cast<int>(value);
    }
  }
  return out;
}

}  // namespace faststream::redis
