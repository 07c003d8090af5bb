#pragma once
// A redis-server of the test's own: a free port on 127.0.0.1, a private directory, stopped
// (only this pid) when the object goes away. Tests may stop and start it again (same port,
// same directory: with --appendonly yes the data survives).
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/ports.hpp"
#include "support/shared_server.hpp"

namespace fs_test {

class RedisServer {
 public:
  explicit RedisServer(std::vector<std::string> extra_args = {}) : extra_(std::move(extra_args)) {
    char tmpl[] = "/tmp/faststream-redis-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = free_port();
      if (start_process()) return;
    }
    throw std::runtime_error("redis-server did not start (see " + dir_ + "/redis.log)");
  }
  // The run's shared server (not this object's to stop or remove).
  explicit RedisServer(const SharedServerInfo& shared)
      : dir_(shared.dir), port_(shared.port), owned_(false) {}
  ~RedisServer() {
    if (!owned_) return;
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const noexcept { return port_; }
  std::string url(const std::string& userinfo = "") const {
    return "redis://" + (userinfo.empty() ? "" : userinfo + "@") +
           "127.0.0.1:" + std::to_string(port_);
  }

  void stop() {
    if (!owned_) throw std::logic_error("the run's shared redis-server is not a test's to stop");
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  // Starts again on the same port and directory.
  void start() {
    if (!owned_) throw std::logic_error("the run's shared redis-server is not a test's to start");
    if (pid_ > 0) return;
    for (int attempt = 0; attempt < 50; ++attempt) {
      if (start_process()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    throw std::runtime_error("redis-server did not restart on port " + std::to_string(port_));
  }

  // How many clients subscribe to `channel` now (PUBSUB NUMSUB answers [channel, count]).
  int subscribers(const std::string& channel) const {
    redisContext* c = ::redisConnect("127.0.0.1", port_);
    if (!c || c->err) {
      if (c) ::redisFree(c);
      return -1;
    }
    auto* r = static_cast<redisReply*>(::redisCommand(c, "PUBSUB NUMSUB %s", channel.c_str()));
    int count = -1;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        r->element[1]->type == REDIS_REPLY_INTEGER)
      count = static_cast<int>(r->element[1]->integer);
    if (r) ::freeReplyObject(r);
    ::redisFree(c);
    return count;
  }

  // Runs one command on a short-lived synchronous connection (for assertions).
  // Integers come back as text, nil as "(nil)", arrays as their element count.
  std::string command(const std::vector<std::string>& args, const std::string& password = "") {
    redisContext* c = ::redisConnect("127.0.0.1", port_);
    if (!c || c->err) {
      if (c) ::redisFree(c);
      throw std::runtime_error("cannot connect to the test redis-server");
    }
    if (!password.empty()) {
      auto* r = static_cast<redisReply*>(::redisCommand(c, "AUTH %s", password.c_str()));
      if (r) ::freeReplyObject(r);
    }
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        ::redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
    std::string out;
    if (!r) {
      out = "(error) no reply";
    } else if (r->type == REDIS_REPLY_INTEGER) {
      out = std::to_string(r->integer);
    } else if (r->type == REDIS_REPLY_NIL) {
      out = "(nil)";
    } else if (r->type == REDIS_REPLY_ARRAY) {
      out = std::to_string(r->elements);
    } else if (r->type == REDIS_REPLY_ERROR) {
      out = "(error) " + std::string(r->str, r->len);
    } else {
      out.assign(r->str, r->len);
    }
    if (r) ::freeReplyObject(r);
    ::redisFree(c);
    return out;
  }

 private:
  bool start_process() {
    std::vector<std::string> args{"redis-server",
                                  "--port",
                                  std::to_string(port_),
                                  "--bind",
                                  "127.0.0.1",
                                  "--save",
                                  "",
                                  "--dir",
                                  dir_,
                                  "--logfile",
                                  dir_ + "/redis.log",
                                  "--daemonize",
                                  "no"};
    bool has_aof = false;
    for (const auto& a : extra_) has_aof = has_aof || a == "--appendonly";
    if (!has_aof) args.insert(args.end(), {"--appendonly", "no"});
    args.insert(args.end(), extra_.begin(), extra_.end());
    pid_t pid = ::fork();
    if (pid == 0) {
      // The server dies with the test process (even if it crashes), and does not hold the
      // test's output pipes open (ctest would wait for them).
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      int null_fd = ::open("/dev/null", O_RDWR);
      ::dup2(null_fd, STDIN_FILENO);
      ::dup2(null_fd, STDOUT_FILENO);
      ::dup2(null_fd, STDERR_FILENO);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp("redis-server", argv.data());
      ::_exit(127);
    }
    pid_ = pid;
    // Ready when it answers PING (usually ~15 ms).
    for (int i = 0; i < 300; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;  // exited: port taken or bad arguments
        return false;
      }
      redisContext* c = ::redisConnect("127.0.0.1", port_);
      bool up = c && !c->err;
      if (c) ::redisFree(c);
      if (up) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop();
    return false;
  }

  std::vector<std::string> extra_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool owned_ = true;
};

// The test run's redis-server (the CTest fixture's), else one of this process's own; for
// tests that neither stop nor reconfigure it (those start a RedisServer of their own).
inline RedisServer& shared_redis_server() {
  static const auto server = [] {
    auto shared = shared_server_info("redis");
    return shared ? std::make_unique<RedisServer>(*shared) : std::make_unique<RedisServer>();
  }();
  return *server;
}

}  // namespace fs_test
