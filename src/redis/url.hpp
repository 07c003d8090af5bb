#pragma once
// Redis connection URLs: redis://[[user]:password@]host[:port][/db] and rediss://... (TLS).
#include <string>
#include <string_view>

namespace faststream::redis {

struct Url {
  std::string host = "localhost";  // without IPv6 brackets ("::1")
  int port = 6379;
  int db = 0;            // any non-negative number (Redis allows more than 16 by config)
  std::string user;      // percent-decoded; empty: none (AUTH with the password only)
  std::string password;  // percent-decoded; empty: no AUTH
  bool tls = false;      // rediss://

  // For logs and documents: redis://user:***@host:port/db (the password never appears;
  // no userinfo when there is neither user nor password).
  std::string redacted() const;
  // host:port, IPv6 hosts in brackets ("[::1]:6379").
  std::string public_host() const;
  friend bool operator==(const Url&, const Url&) = default;
};

// Parses a Redis URL. Userinfo is percent-decoded; an empty host means localhost, no port
// means 6379, no (or an empty) path means db 0. Throws std::invalid_argument naming the
// expected form; the message never contains the password.
Url parse_url(std::string_view url);

}  // namespace faststream::redis
