#include "sandbox/inherited_fds.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace sysgate::sandbox {
namespace {

bool passed_on_exec(int fd) {
  const int flags = ::fcntl(fd, F_GETFD);
  return flags >= 0 && (flags & FD_CLOEXEC) == 0;
}

}  // namespace

std::array<bool, 3> occupy_closed_stdio() {
  std::array<bool, 3> closed = {false, false, false};
  for (int fd = 0; fd < 3; ++fd) {
    if (::fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
    // The lowest free number: this one, since the lower ones are open by now.
    const int null = ::open("/dev/null", O_RDWR);
    if (null == fd) closed[static_cast<size_t>(fd)] = true;
    else if (null >= 0) ::close(null);
  }
  return closed;
}

std::vector<int> inheritable_descriptors() {
  std::vector<int> fds;
  if (DIR* dir = opendir("/proc/self/fd"); dir != nullptr) {
    const int own = dirfd(dir);  // the listing's own descriptor (O_CLOEXEC)
    while (const dirent* entry = readdir(dir)) {
      char* end = nullptr;
      const long fd = std::strtol(entry->d_name, &end, 10);
      if (end == entry->d_name || *end != '\0' || fd < 3 || fd == own) continue;
      if (passed_on_exec(static_cast<int>(fd))) fds.push_back(static_cast<int>(fd));
    }
    closedir(dir);
    std::sort(fds.begin(), fds.end());
    return fds;
  }
  rlimit nofile{};
  const rlim_t limit = getrlimit(RLIMIT_NOFILE, &nofile) == 0 ? std::min<rlim_t>(nofile.rlim_cur, 65536) : 1024;
  for (int fd = 3; static_cast<rlim_t>(fd) < limit; ++fd) {
    if (passed_on_exec(fd)) fds.push_back(fd);
  }
  return fds;
}

}  // namespace sysgate::sandbox
