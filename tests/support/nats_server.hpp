#pragma once
// A nats-server of the test's own: JetStream on, client and monitoring ports free on
// 127.0.0.1, a private directory, stopped (only this pid) when the object goes away. Tests may
// stop and start it again (same ports, same directory: JetStream's file store survives).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/ports.hpp"
#include "support/shared_server.hpp"

namespace fs_test {

class NatsServer {
 public:
  // extra_args go to nats-server as they are, e.g. {"--user", "u", "--pass", "p"} or
  // {"--auth", "token"}.
  explicit NatsServer(std::vector<std::string> extra_args = {}) : extra_(std::move(extra_args)) {
    char tmpl[] = "/tmp/faststream-nats-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    // Ports are found free, then bound by the server: another process may take one between.
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = free_port();
      monitor_port_ = free_port();
      if (monitor_port_ == port_) continue;
      if (start_process()) return;
    }
    // The destructor will not run: say what the server said, then clean up.
    const std::string said =
        piece_of(dir_ + "/nats.out", true) + piece_of(dir_ + "/nats.log", false);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    throw std::runtime_error("nats-server did not start: " + said);
  }
  // The run's shared server (not this object's to stop or remove).
  explicit NatsServer(const SharedServerInfo& shared)
      : dir_(shared.dir), port_(shared.port), monitor_port_(shared.monitor_port), owned_(false) {}
  ~NatsServer() {
    if (!owned_) return;
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  int port() const noexcept { return port_; }
  int monitor_port() const noexcept { return monitor_port_; }
  const std::string& dir() const noexcept { return dir_; }  // nats.log, nats.out, js/
  bool running() const noexcept { return !owned_ || pid_ > 0; }
  std::string url(const std::string& userinfo = "") const {
    return "nats://" + (userinfo.empty() ? "" : userinfo + "@") +
           "127.0.0.1:" + std::to_string(port_);
  }

  // SIGTERM (a clean shutdown that flushes JetStream), SIGKILL if it takes over 10 s.
  void stop() {
    if (!owned_) throw std::logic_error("the run's shared nats-server is not a test's to stop");
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 1000; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  // Starts again on the same ports and directory (the old sockets may linger a moment).
  void start() {
    if (!owned_) throw std::logic_error("the run's shared nats-server is not a test's to start");
    if (pid_ > 0) return;
    for (int attempt = 0; attempt < 50; ++attempt) {
      if (start_process()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    throw std::runtime_error("nats-server did not restart on port " + std::to_string(port_) +
                             " (see " + dir_ + "/nats.log)");
  }

 private:
  // A name of this server's own: readiness checks that the port answering is this process's,
  // not another server's that took it.
  std::string name() const { return "faststream-test-" + std::to_string(port_); }

  bool start_process() {
    std::vector<std::string> args{"nats-server",
                                  "--addr",
                                  "127.0.0.1",
                                  "--port",
                                  std::to_string(port_),
                                  "--http_port",
                                  std::to_string(monitor_port_),
                                  "--jetstream",
                                  "--store_dir",
                                  dir_ + "/js",
                                  "--log",
                                  dir_ + "/nats.log",
                                  "--server_name",
                                  name()};
    args.insert(args.end(), extra_.begin(), extra_.end());
    // Built before fork: the child of a threaded process should only exec.
    const std::string out_path = dir_ + "/nats.out";
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) return false;
    if (pid == 0) {
      // The server dies with the test process (even if it crashes), and does not hold the
      // test's output pipes open (ctest would wait for them). Its stderr (bad flags are
      // reported there, not in the log) goes to a file beside the log.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      const int null_fd = ::open("/dev/null", O_RDWR);
      const int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(null_fd, STDIN_FILENO);
      ::dup2(out_fd >= 0 ? out_fd : null_fd, STDOUT_FILENO);
      ::dup2(out_fd >= 0 ? out_fd : null_fd, STDERR_FILENO);
      ::execvp("nats-server", argv.data());
      ::execv("/usr/sbin/nats-server", argv.data());  // Debian's place, if not on PATH
      ::_exit(127);
    }
    pid_ = pid;
    // Ready when /healthz says so with JetStream up and the client port greets with this
    // server's name (usually ~10-50 ms); 10 s for slow CI.
    for (int i = 0; i < 1000; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;  // exited: a port taken or bad arguments
        return false;
      }
      if (healthy() && greets()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop();
    return false;
  }

  // A piece of a file of the server's, for error messages: the start of its stderr (a bad
  // flag is named before the usage text), the end of its log.
  static std::string piece_of(const std::string& path, bool head) {
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    constexpr std::size_t limit = 400;
    if (text.size() <= limit) return text;
    return head ? text.substr(0, limit) + "..." : "..." + text.substr(text.size() - limit);
  }

  // A connection to 127.0.0.1:port with 1 s timeouts (a wedged server must not hang the
  // test); -1 when refused.
  static int connect_to(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    timeval timeout{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }

  // The first line the peer sends (after `request`, if any); empty on error.
  static std::string first_line(int port, const std::string& request = "") {
    const int fd = connect_to(port);
    if (fd < 0) return "";
    std::string line;
    if (request.empty() || ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
                               static_cast<ssize_t>(request.size())) {
      char buf[1024];
      ssize_t n = 0;
      while (line.find("\r\n") == std::string::npos && (n = ::recv(fd, buf, sizeof buf, 0)) > 0)
        line.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    const auto end = line.find("\r\n");
    return end == std::string::npos ? "" : line.substr(0, end);
  }

  // GET /healthz?js-enabled-only=true on the monitoring port answers 200.
  bool healthy() const {
    const std::string status = first_line(
        monitor_port_, "GET /healthz?js-enabled-only=true HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    const auto space = status.find(' ');  // "HTTP/1.1 200 OK"
    return space != std::string::npos && status.compare(space + 1, 4, "200 ") == 0;
  }

  // The client port's INFO line names this server.
  bool greets() const {
    const std::string info = first_line(port_);
    return info.rfind("INFO ", 0) == 0 &&
           info.find("\"server_name\":\"" + name() + "\"") != std::string::npos;
  }

  std::vector<std::string> extra_;
  std::string dir_;
  int port_ = 0;
  int monitor_port_ = 0;
  pid_t pid_ = -1;
  bool owned_ = true;
};

// The test run's nats-server (the CTest fixture's), else one of this process's own; for
// tests that neither stop nor reconfigure it (those start a NatsServer of their own).
inline NatsServer& shared_nats_server() {
  static const auto server = [] {
    auto shared = shared_server_info("nats");
    return shared ? std::make_unique<NatsServer>(*shared) : std::make_unique<NatsServer>();
  }();
  return *server;
}

}  // namespace fs_test
