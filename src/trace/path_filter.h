// strace -P PATH: only the calls that access one of the given paths -- by a
// path argument spelled that way, or by a descriptor argument that names it.
//
//   trace::PathFilter filter({"/etc/hostname"});   // and its realpath, if other
//   if (filter.selects(record, fd_paths)) print(record);
//
// As strace's pathtrace.c: a path argument is compared as the program passed
// it (a relative path matches only if PATH was given relative, the same), a
// descriptor (read's fd, mmap's, openat's dirfd) by what -y's tables say it
// names (trace/fd_paths.h) before the call. Signals and exits are not calls:
// the caller shows them anyway. Not thread-safe (the tables are not).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "trace/fd_paths.h"
#include "trace/record.h"

namespace sysgate::trace {

class PathFilter {
 public:
  // Each path, and where it leads when that is another name (realpath).
  explicit PathFilter(const std::vector<std::string>& paths);

  bool selects(const Record& record, FdPaths& descriptors) const;
  // A path argument spelled this way is selected.
  bool names(const std::string& path) const { return paths_.count(path) != 0; }

 private:
  std::set<std::string> paths_;
};

}  // namespace sysgate::trace
