// Helpers shared by the sandbox tests: hand-written seccomp filters, running a
// function in a forked child, temporary directories.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "bpf/program.h"

namespace sysgate::sandbox::test_support {

// A hand-assembled filter:
//   ld [arch]; jeq AUDIT_ARCH_X86_64 ? next : kill
//   ld [nr]
//   for each (nr, verdict): jeq nr ? ret verdict : next
//   ret default_action
//   kill: ret KILL_PROCESS
inline bpf::Program filter_with(const std::vector<std::pair<int, uint32_t>>& verdicts,
                                uint32_t default_action) {
  bpf::Program p;
  auto& ins = p.instructions;
  const auto n = static_cast<uint8_t>(verdicts.size());
  ins.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
  // kill is at index 2n + 4; the jump is relative to the next instruction (2).
  ins.push_back(
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, bpf::kArchX86_64, 0, static_cast<uint8_t>(2 * n + 2)));
  ins.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
  for (const auto& [nr, verdict] : verdicts) {
    ins.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 1));
    ins.push_back(BPF_STMT(BPF_RET | BPF_K, verdict));
  }
  ins.push_back(BPF_STMT(BPF_RET | BPF_K, default_action));
  ins.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  return p;
}

inline constexpr uint32_t errno_verdict(int err) {
  return SECCOMP_RET_ERRNO | (static_cast<uint32_t>(err) & SECCOMP_RET_DATA);
}

// Forks; the child runs fn() and _exits with its result (no gtest asserts in the
// child). Returns the raw wait status.
template <typename Fn>
int run_in_child(Fn fn) {
  pid_t pid = fork();
  if (pid == 0) _exit(fn());
  int status = -1;
  waitpid(pid, &status, 0);
  return status;
}

inline std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/sysgate-sandbox-test-XXXXXX";
    path_ = mkdtemp(tmpl) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string make_dir(const std::string& name) const {
    std::string p = path_ + "/" + name;
    std::filesystem::create_directories(p);
    return p;
  }
  std::string write_file(const std::string& name, const std::string& content) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p) << content;
    return p;
  }

 private:
  std::string path_;
};

}  // namespace sysgate::sandbox::test_support
