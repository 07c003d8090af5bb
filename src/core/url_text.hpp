#pragma once
// Sans-I/O pieces of broker URLs shared by the backends' URL parsers (src/<backend>/url.cpp):
// percent-encoding, host and port checks. Each backend keeps its own grammar and messages.
#include <string>
#include <string_view>

namespace faststream::core::url_text {

bool iequals(std::string_view a, std::string_view b) noexcept;
int hex_value(char c) noexcept;  // -1 when not a hex digit
// RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~".
bool is_unreserved(char c) noexcept;
// Percent-decodes `in`; false on a malformed escape (the caller names the part, not its text).
bool percent_decode(std::string_view in, std::string& out);
// Percent-encodes everything but unreserved characters.
std::string percent_encode(std::string_view in);
// A host name of unreserved characters only.
bool valid_hostname(std::string_view host) noexcept;
// An IPv6 address without brackets, optionally with a zone ("fe80::1%25eth0", still encoded).
bool valid_ipv6(std::string_view host) noexcept;
// A port: decimal digits only, 1 to 65535.
bool parse_port(std::string_view text, int& port) noexcept;

// The host and port of an authority "host[:port]" or "[ipv6][:port]" (not decoded yet).
struct HostPort {
  std::string_view host;
  std::string_view port;
  bool has_port = false;
};
// Splits and checks the host's characters; on a problem returns what is wrong (to be named in
// the caller's error), else an empty string. `bracket_example` shows a bracketed IPv6 URL of
// the caller's scheme ("nats://[::1]:4222").
std::string split_host_port(std::string_view authority, HostPort& out,
                            std::string_view bracket_example);

}  // namespace faststream::core::url_text
