#include "nats/url.hpp"

#include "core/backend.hpp"

#include <charconv>
#include <optional>
#include <stdexcept>

namespace faststream::nats {
namespace {

using namespace core::url_text;

constexpr std::string_view expected_form =
    "expected nats://[user:password@]host[:port] or nats://token@host[:port], tls://... (TLS), "
    "several servers separated by commas (nats://a:4222,nats://b:4222)";

bool known_scheme(std::string_view scheme) noexcept {
  return iequals(scheme, "nats") || iequals(scheme, "tls");
}

// The URL as it may appear in an error: everything before the last '@' is replaced by "***"
// but for a leading nats:// or tls://. That covers the credentials of every entry, even when
// a secret holds an unencoded ',' ':' or "://" and so was split in the wrong place.
std::string shown(std::string_view url) {
  const auto at = url.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  const auto scheme_end = url.find("://");
  const std::size_t from = scheme_end != std::string_view::npos && scheme_end < at &&
                                   known_scheme(url.substr(0, scheme_end))
                               ? scheme_end + 3
                               : 0;
  return std::string(url.substr(0, from)) + "***" + std::string(url.substr(at));
}

[[noreturn]] void fail(std::string_view url, std::string_view reason) {
  throw std::invalid_argument("invalid NATS URL '" + shown(url) + "': " + std::string(reason) +
                              "; " + std::string(expected_form));
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct Credentials {
  std::string user;
  std::string password;
  std::string token;
  friend bool operator==(const Credentials&, const Credentials&) = default;
};

// Parses the userinfo of one entry (the text before its last '@'). Empty userinfo means none,
// as in nats.c; "user:password" is a user and password; text without ':' is a token.
std::optional<Credentials> parse_userinfo(std::string_view url, std::string_view userinfo) {
  if (userinfo.empty()) return std::nullopt;
  Credentials out;
  const auto colon = userinfo.find(':');
  if (colon == std::string_view::npos) {
    if (!percent_decode(userinfo, out.token)) fail(url, "malformed percent-encoding in the token");
    if (out.token.find('\0') != std::string::npos) fail(url, "the token must not contain %00");
    return out;
  }
  if (!percent_decode(userinfo.substr(0, colon), out.user))
    fail(url, "malformed percent-encoding in the user name");
  if (!percent_decode(userinfo.substr(colon + 1), out.password))
    fail(url, "malformed percent-encoding in the password");
  // nats.c takes C strings: a decoded NUL would cut the secret short without a word.
  if (out.user.find('\0') != std::string::npos || out.password.find('\0') != std::string::npos)
    fail(url, "the user name and password must not contain %00");
  // nats.c would send "user:@" as the token "user" and ":password@" without a user: both are
  // more likely mistakes than intent.
  if (out.user.empty()) fail(url, "a password needs a user name (a token is nats://token@host)");
  if (out.password.empty())
    fail(url, "the password is empty (a token is written without ':', nats://token@host)");
  return out;
}

// Parses host[:port][/] of one entry into `server`.
void parse_authority(std::string_view url, std::string_view rest, ServerAddress& server) {
  const auto authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  const std::string_view tail =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (tail.find_first_of("?#") != std::string_view::npos)
    fail(url, "query parameters and fragments are not supported");
  if (!tail.empty() && tail != "/") fail(url, "a path is not supported (only an empty one or '/')");

  HostPort split;
  if (auto problem = split_host_port(authority, split, "nats://[::1]:4222"); !problem.empty())
    fail(url, problem);
  const std::string_view host = split.host;
  const std::string_view port = split.port;
  const bool has_port = split.has_port;
  server.host = "localhost";
  if (!host.empty() && !percent_decode(host, server.host)) fail(url, "invalid IPv6 zone");
  if (has_port && !parse_port(port, server.port))
    fail(url, "the port must be a number from 1 to 65535");
}

std::string_view scheme_of(const ServerAddress& server) noexcept {
  return server.tls ? "tls://" : "nats://";
}

std::string host_port(const ServerAddress& server) {
  const bool v6 = server.host.find(':') != std::string::npos;
  std::string out = v6 ? "[" + server.host + "]" : server.host;
  out += ':';
  out += std::to_string(server.port);
  return out;
}

}  // namespace

std::string Url::public_hosts() const {
  std::string out;
  for (const auto& server : servers) {
    if (!out.empty()) out += ',';
    out += host_port(server);
  }
  return out;
}

std::vector<std::string> Url::server_urls() const {
  std::vector<std::string> out;
  out.reserve(servers.size());
  for (const auto& server : servers)
    out.push_back(std::string(scheme_of(server)) + host_port(server));
  return out;
}

std::string Url::redacted() const {
  const bool first_tls = !servers.empty() && servers.front().tls;
  std::string out = first_tls ? "tls://" : "nats://";
  if (!user.empty()) {
    out += percent_encode(user);
    out += ":***@";
  } else if (!token.empty()) {
    out += "***@";
  }
  for (std::size_t i = 0; i < servers.size(); ++i) {
    if (i > 0) {
      out += ',';
      if (servers[i].tls != first_tls) out += scheme_of(servers[i]);
    }
    out += host_port(servers[i]);
  }
  return out;
}

Url parse_url(std::string_view url) {
  Url out;
  std::optional<Credentials> credentials;
  bool first_tls = false;
  std::size_t begin = 0;
  for (std::size_t index = 0;; ++index) {
    const auto comma = url.find(',', begin);
    const std::string_view entry =
        trim(url.substr(begin, comma == std::string_view::npos ? comma : comma - begin));
    if (entry.empty())
      fail(url, index == 0 && comma == std::string_view::npos ? "the URL is empty"
                                                              : "empty server entry (stray ',')");

    ServerAddress server;
    std::string_view rest = entry;
    const auto scheme_end = entry.find("://");
    // A "://" after the last '@' is no scheme (the host check rejects it).
    const auto at = entry.rfind('@');
    if (scheme_end != std::string_view::npos && (at == std::string_view::npos || scheme_end < at)) {
      const std::string_view scheme = entry.substr(0, scheme_end);
      if (iequals(scheme, "tls")) {
        server.tls = true;
      } else if (!iequals(scheme, "nats")) {
        // Text before an '@' may be part of a secret: name the scheme only when there is none.
        if (url.find('@') == std::string_view::npos)
          fail(url, "unknown scheme '" + std::string(scheme) + "' (nats:// or tls://)");
        fail(url, "unknown scheme in server entry " + std::to_string(index + 1) +
                      " (nats:// or tls://)");
      }
      rest = entry.substr(scheme_end + 3);
    } else if (index == 0) {
      fail(url, "no scheme (nats:// or tls://)");
    } else {
      server.tls = first_tls;  // "nats://a,b": b is also nats://
    }
    if (index == 0) first_tls = server.tls;

    // Userinfo ends at the last '@', so that a secret with an unencoded '@' still parses.
    if (const auto rest_at = rest.rfind('@'); rest_at != std::string_view::npos) {
      auto entry_credentials = parse_userinfo(url, rest.substr(0, rest_at));
      rest = rest.substr(rest_at + 1);
      if (entry_credentials) {
        if (credentials && *credentials != *entry_credentials)
          fail(url, "the servers give different credentials (one connection has one identity)");
        credentials = std::move(entry_credentials);
      }
    }
    parse_authority(url, rest, server);
    out.tls = out.tls || server.tls;
    out.servers.push_back(std::move(server));

    if (comma == std::string_view::npos) break;
    begin = comma + 1;
  }
  if (credentials) {
    out.user = std::move(credentials->user);
    out.password = std::move(credentials->password);
    out.token = std::move(credentials->token);
  }
  return out;
}

}  // namespace faststream::nats
