#include "run_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

namespace sysgate::loader::testing {
namespace {

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const std::string& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

double now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

}  // namespace

RunResult run_process(const std::string& exe, const std::vector<std::string>& argv, const std::vector<std::string>& env,
                      const std::vector<OpenFile>& files, int timeout_s) {
  RunResult result;
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) return result;
  std::vector<char*> cargv = c_strings(argv);
  std::vector<char*> cenv = c_strings(env);

  pid_t pid = fork();
  if (pid < 0) return result;
  if (pid == 0) {
    int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    for (const OpenFile& f : files) {
      int fd = open(f.path.c_str(), f.flags == 0 ? O_RDONLY : f.flags);
      if (fd < 0) _exit(124);
      if (fd != f.fd) {
        if (dup2(fd, f.fd) < 0) _exit(124);
        close(fd);
      }
    }
    execve(exe.c_str(), cargv.data(), cenv.data());
    _exit(125);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);

  const double deadline = now() + timeout_s;
  bool killed = false;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_count = 2;
  while (open_count > 0) {
    const double left = deadline - now();
    if (left <= 0 && !killed) {
      kill(pid, SIGKILL);
      killed = true;
    }
    int r = poll(fds, 2, left > 0 ? static_cast<int>(left * 1000) + 1 : 1000);
    if (r < 0 && errno == EINTR) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[65536];
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buf, n);
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace sysgate::loader::testing
