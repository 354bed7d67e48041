// Runs a command and captures its output and status: the integration tests'
// way to drive build/bin/sysgate and the native programs it is compared with.
#pragma once

#include <string>
#include <vector>

namespace sysgate::testing {

struct Output {
  std::string out;
  std::string err;
  int status = -1;  // exit code, or 128+N if killed by signal N
};

// Runs argv (argv[0] searched in PATH) in directory cwd ("" = current) with
// stdin from /dev/null (or from `input` if non-empty). Kills it after timeout_s.
Output run(const std::vector<std::string>& argv, const std::string& cwd = "", const std::string& input = "",
           int timeout_s = 60);

// A fresh directory under /tmp, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  void write(const std::string& name, const std::string& contents) const;

 private:
  std::string path_;
};

}  // namespace sysgate::testing
