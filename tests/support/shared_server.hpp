#pragma once
// The test run's shared servers: CTest fixtures (Servers.<kind>.start / .stop, see
// tests/CMakeLists.txt) start one redis-server and one nats-server per run with
// tests/support/servers.py, which writes FASTSTREAM_TEST_SERVERS_DIR/<kind>.env. Test cases
// (each its own process under gtest_discover_tests) attach to it instead of starting one
// each. A test binary run by hand, outside ctest, finds no file and starts its own.
#include <signal.h>

#include <fstream>
#include <map>
#include <optional>
#include <string>

namespace fs_test {

struct SharedServerInfo {
  int port = 0;
  int monitor_port = 0;
  std::string dir;
};

// The fixture's server of `kind` ("redis", "nats"), if one is up.
inline std::optional<SharedServerInfo> shared_server_info(const std::string& kind) {
#ifdef FASTSTREAM_TEST_SERVERS_DIR
  std::ifstream in(std::string(FASTSTREAM_TEST_SERVERS_DIR) + "/" + kind + ".env");
  std::map<std::string, std::string> fields;
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) fields[line.substr(0, eq)] = line.substr(eq + 1);
  }
  if (!fields.count("port") || !fields.count("pid")) return std::nullopt;
  // A file left by a run that was killed names a server that is gone.
  if (::kill(std::stoi(fields["pid"]), 0) != 0) return std::nullopt;
  return SharedServerInfo{std::stoi(fields["port"]), std::stoi(fields["monitor_port"]),
                          fields["dir"]};
#else
  (void)kind;
  return std::nullopt;
#endif
}

}  // namespace fs_test
