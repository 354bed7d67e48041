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

// The first directory on the way to path that others may not search (its
// o+x bit clear), or "" if there is none. `trace -u USER` starts the loader
// as USER by its path: a build tree under such a directory (mktemp -d makes
// one 0700) cannot be tested as another user.
std::string unsearchable_ancestor(const std::string& path);

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
