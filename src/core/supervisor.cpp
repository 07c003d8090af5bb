#include "core/supervisor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>

namespace faststream::core {
namespace {

int g_pipe[2] = {-1, -1};

extern "C" void on_supervisor_signal(int signo) {
  char byte = static_cast<char>(signo);
  [[maybe_unused]] auto written = ::write(g_pipe[1], &byte, 1);
}
extern "C" void on_child_exit(int) {
  char byte = 0;
  [[maybe_unused]] auto written = ::write(g_pipe[1], &byte, 1);
}

}  // namespace

int supervise(std::size_t workers, const std::function<int()>& run_worker, Logger& log) {
  if (::pipe2(g_pipe, O_NONBLOCK | O_CLOEXEC) != 0) return 1;
  struct sigaction action {};
  action.sa_handler = on_supervisor_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  struct sigaction child {};
  child.sa_handler = on_child_exit;
  sigemptyset(&child.sa_mask);
  child.sa_flags = SA_NOCLDSTOP;
  sigaction(SIGCHLD, &child, nullptr);

  using Clock = std::chrono::steady_clock;
  std::map<pid_t, Clock::time_point> alive;  // pid -> start time
  auto spawn = [&]() -> bool {
    pid_t pid = ::fork();
    if (pid < 0) {
      log.error("supervisor: fork failed: {}", std::strerror(errno));
      return false;
    }
    if (pid == 0) {
      // The worker: default signal dispositions, then the service (it installs its own).
      ::signal(SIGCHLD, SIG_DFL);
      ::signal(SIGINT, SIG_DFL);
      ::signal(SIGTERM, SIG_DFL);
      ::close(g_pipe[0]);
      ::close(g_pipe[1]);
      std::_Exit(run_worker());
    }
    alive[pid] = Clock::now();
    log.info("supervisor: worker {} started (pid {})", alive.size(), pid);
    return true;
  };
  for (std::size_t i = 0; i < workers; ++i)
    if (!spawn()) return 1;

  bool stopping = false;
  bool clean = true;
  while (!alive.empty()) {
    pollfd fd{g_pipe[0], POLLIN, 0};
    int n = ::poll(&fd, 1, 1000);
    if (n < 0 && errno != EINTR) break;
    if (n > 0) {
      char byte = 0;
      while (::read(g_pipe[0], &byte, 1) == 1) {  // non-blocking: drains what is there
        if (byte != 0 && !stopping) {             // 0 = a child exited, else a signal number
          log.info("supervisor: signal {}: stopping {} worker(s)", int(byte), alive.size());
          stopping = true;
          for (auto& [pid, _] : alive) ::kill(pid, SIGTERM);
        }
      }
    }
    for (;;) {
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      auto it = alive.find(pid);
      if (it == alive.end()) continue;
      auto lived = Clock::now() - it->second;
      alive.erase(it);
      const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      if (stopping) {
        if (!ok) clean = false;
        log.info("supervisor: worker pid {} stopped ({})", pid,
                 WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                   : "signal " + std::to_string(WTERMSIG(status)));
        continue;
      }
      log.warning("supervisor: worker pid {} died ({}); restarting", pid,
                  WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                    : "signal " + std::to_string(WTERMSIG(status)));
      // A worker that dies at once would otherwise be restarted in a tight loop.
      if (lived < std::chrono::seconds(1)) std::this_thread::sleep_for(std::chrono::seconds(1));
      if (!spawn()) clean = false;
    }
  }
  ::signal(SIGCHLD, SIG_DFL);
  ::close(g_pipe[0]);
  ::close(g_pipe[1]);
  return clean ? 0 : 1;
}

}  // namespace faststream::core
