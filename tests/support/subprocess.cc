#include "support/subprocess.h"

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace sysgate::testing {

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int remove_entry(const char* path, const struct stat*, int, struct FTW*) { return remove(path); }

}  // namespace

Output run(const std::vector<std::string>& argv, const std::string& cwd, const std::string& input, int timeout_s) {
  TempDir io;
  const std::string out_path = io.path() + "/out", err_path = io.path() + "/err", in_path = io.path() + "/in";
  io.write("in", input);
  pid_t pid = fork();
  if (pid == 0) {
    int in = open(input.empty() ? "/dev/null" : in_path.c_str(), O_RDONLY);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    // Only 0, 1 and 2: whatever the test runner left open (ctest's, CI's) would
    // shift the numbers the programs' descriptors get, and sysgate trace passes
    // inherited descriptors on as strace does.
    syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(125);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  Output o;
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      o.err = "<timed out>";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  o.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  o.out = slurp(out_path);
  o.err += slurp(err_path);
  return o;
}

TempDir::TempDir() {
  char templ[] = "/tmp/sysgate-test-XXXXXX";
  if (mkdtemp(templ) == nullptr) std::abort();
  path_ = templ;
}

TempDir::~TempDir() { nftw(path_.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

void TempDir::write(const std::string& name, const std::string& contents) const {
  std::ofstream(path_ + "/" + name, std::ios::binary) << contents;
}

}  // namespace sysgate::testing
