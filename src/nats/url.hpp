#pragma once
// NATS connection URLs: nats://[user:password@]host[:port], nats://token@host[:port],
// tls://... (TLS required), and several servers separated by commas. Sans-I/O: the
// credentials are kept apart from the server list, which is handed to nats.c without them.
#include <string>
#include <string_view>
#include <vector>

namespace faststream::nats {

struct ServerAddress {
  std::string host;  // without IPv6 brackets ("::1")
  int port = 4222;
  bool tls = false;  // tls://
  friend bool operator==(const ServerAddress&, const ServerAddress&) = default;
};

struct Url {
  std::vector<ServerAddress> servers;  // never empty after parse_url
  std::string user;                    // percent-decoded; empty: no user/password
  std::string password;                // percent-decoded; set only together with user
  std::string token;                   // percent-decoded; userinfo without ':'
  bool tls = false;                    // some server is tls://: TLS for the connection

  // For logs and documents: nats://user:***@host:port,host2:port2 (a token shows as ***@;
  // no userinfo without credentials). A later server's scheme is written only when it
  // differs from the first's.
  std::string redacted() const;
  // host:port,host2:port2, IPv6 hosts in brackets ("[::1]:4222").
  std::string public_hosts() const;
  // Each server as nats://host:port or tls://host:port, without credentials (those go to
  // nats.c through natsOptions_SetUserInfo / natsOptions_SetToken).
  std::vector<std::string> server_urls() const;
  friend bool operator==(const Url&, const Url&) = default;
};

// Parses a NATS URL or a comma-separated list of them. The first entry needs a scheme
// (nats:// or tls://); later entries may omit it and then take the first's. Credentials may
// be written on any entry, but entries that carry them must agree. Userinfo is
// percent-decoded (write ',' in a secret as %2C); an empty host means localhost, no port
// means 4222, the path must be empty or "/". Throws std::invalid_argument naming the
// expected form; the message never contains the password or token.
Url parse_url(std::string_view url);

}  // namespace faststream::nats
