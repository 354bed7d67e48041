#include "monitor/proc_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace sysgate::monitor {

std::optional<std::string> read_proc_file(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      if (n < 0) return std::nullopt;
      return text;
    }
    text.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace sysgate::monitor
