// Runs a program with chosen files open at chosen fd numbers and captures its
// output: how the loader tests start sysgate-exec (and the native runs they
// compare it with).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace sysgate::loader::testing {

struct RunResult {
  std::string out;
  std::string err;
  int status = -1;  // exit status, or 128 + signal number
};

struct OpenFile {
  std::string path;
  int fd;         // the number it gets in the child
  int flags = 0;  // open(2) flags, O_RDONLY by default
};

// execve(exe, argv, env) in a child with stdin = /dev/null and every file in
// `files` open at its fd. Kills the child after timeout_s seconds.
RunResult run_process(const std::string& exe, const std::vector<std::string>& argv, const std::vector<std::string>& env,
                      const std::vector<OpenFile>& files = {}, int timeout_s = 120);

}  // namespace sysgate::loader::testing
