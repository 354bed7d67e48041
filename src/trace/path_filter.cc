#include "trace/path_filter.h"

#include <climits>
#include <cstdlib>

#include "syscalls/syscall_table.h"

namespace sysgate::trace {

PathFilter::PathFilter(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    paths_.insert(path);
    if (char* resolved = realpath(path.c_str(), nullptr); resolved != nullptr) {
      paths_.insert(resolved);
      free(resolved);
    }
  }
}

bool PathFilter::selects(const Record& r, FdPaths& descriptors) const {
  const syscalls::SyscallInfo* info = syscalls::by_number(r.nr);
  if (info == nullptr) return false;
  for (int i = 0; i < info->argc && i < 6; ++i) {
    switch (info->args[i].type) {
      case syscalls::ArgType::kPath: {
        const Payload* p = r.payload(i);
        if (p != nullptr && p->kind == kPayloadPath && !p->truncated && names(p->bytes)) return true;
        break;
      }
      case syscalls::ArgType::kFd:
      case syscalls::ArgType::kDirFd: {
        const auto fd = static_cast<int32_t>(r.args[i]);
        if (fd < 0) break;  // AT_FDCWD, as strace: the working directory is not an argument
        if (const std::string* name = descriptors.path(r.pid, fd); name != nullptr && names(*name)) return true;
        break;
      }
      default:
        break;
    }
  }
  return false;
}

}  // namespace sysgate::trace
