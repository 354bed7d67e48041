// The run's private temp dir ($TMP in a policy): made at start, removed with
// everything in it when the run ends, whatever the outcome.
//
//   PrivateTmp tmp;
//   if (Result<void> r = tmp.create(); !r) return r.error();
//   ... tmp.path() ...
//   // ~PrivateTmp removes the tree
//
// The sandboxed program can write there, so the removal trusts no name in
// it: every entry is removed relative to a directory held open (unlinkat), a
// directory is entered only by openat(O_NOFOLLOW|O_DIRECTORY), and no path is
// ever resolved again from the top. A program that swaps a directory for a
// symlink mid-way (a reviewer's attack, when processes of the sandbox could
// still run during the removal) leads it nowhere: the symlink itself is
// removed. The runner also removes it only after every task of the sandbox is
// gone (runner.cc).
#pragma once

#include <string>

#include "base/result.h"

namespace sysgate::monitor {

class PrivateTmp {
 public:
  PrivateTmp() = default;
  PrivateTmp(const PrivateTmp&) = delete;
  PrivateTmp& operator=(const PrivateTmp&) = delete;
  ~PrivateTmp();

  // mkdtemp under $TMPDIR (or /tmp): sysgate.XXXXXX.
  Result<void> create();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Removes everything below the directory dir_fd (not dir_fd itself), by
// names relative to directories held open, following no symlink. Best effort:
// what cannot be removed stays.
void remove_tree_below(int dir_fd);

}  // namespace sysgate::monitor
