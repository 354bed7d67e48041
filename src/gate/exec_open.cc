#include "gate/exec_open.h"

#include <asm/errno.h>
#include <asm/stat.h>
#include <asm/unistd.h>
#include <linux/fcntl.h>

#include "gate/app_memory.h"
#include "gate/exe_link.h"
#include "gate/raw_syscall.h"
#include "gate/util.h"

namespace sysgate::gate {
namespace {

constexpr long kPathMax = 4096;
constexpr uint64_t kStatFileType = 0170000, kStatRegular = 0100000;  // S_IFMT, S_IFREG

bool is_error(long r) { return r < 0 && r > -4096; }

void close_fd(long fd) { raw_syscall(__NR_close, static_cast<uint64_t>(fd)); }

bool starts_with(const char* s, const char* prefix) {
  while (*prefix != '\0') {
    if (*s++ != *prefix++) return false;
  }
  return true;
}

// "/proc/self/fd/N" into buf (at least 40 bytes).
const char* fd_link(long fd, char* buf) {
  static const char kPrefix[] = "/proc/self/fd/";
  copy_bytes(buf, kPrefix, sizeof kPrefix - 1);
  format_decimal(static_cast<uint64_t>(fd), buf + sizeof kPrefix - 1);
  return buf;
}

}  // namespace

long exec_open_here(const GateThread* t, const uint64_t words[7], char* exe_real) {
  const bool at = words[0] == __NR_execveat;
  const long dirfd = at ? static_cast<long>(static_cast<int>(words[1])) : AT_FDCWD;
  const uint64_t path_addr = at ? words[2] : words[1];
  if (at && static_cast<int>(words[5]) != 0) return kExecAskMonitor;  // AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW

  // One copy of the path, as the kernel's getname makes (and the monitor's).
  char path[kPathMax];
  bool terminated = false;
  const long len = app_string_length(path_addr, kPathMax, 0, &terminated);
  if (len < 0) return -EFAULT;
  if (!terminated) return len < kPathMax ? -EFAULT : -ENAMETOOLONG;  // an unreadable page, or too long
  if (len == 0) return -ENOENT;
  copy_bytes(path, reinterpret_cast<const void*>(path_addr), static_cast<uint64_t>(len));
  path[len] = '\0';
  const char* file = path;
  long base = dirfd;
  if (names_own_exe_link(path, t->pid)) {
    if (g_gate.exe_path[0] != '/') return kExecAskMonitor;
    file = g_gate.exe_path;  // the image this process runs (the kernel's link names the loader)
    base = AT_FDCWD;
  } else if (starts_with(path, "/proc/")) {
    return kExecAskMonitor;  // another process's exe link, perhaps: the monitor knows images
  }

  // Resolve without opening for reading, judge the object, then open it.
  const long object = raw_syscall(__NR_openat, static_cast<uint64_t>(base), addr(file), O_PATH | O_CLOEXEC);
  if (is_error(object)) return object;
  struct stat st;
  if (raw_syscall(__NR_newfstatat, static_cast<uint64_t>(object), addr(""), addr(&st), AT_EMPTY_PATH) != 0 ||
      (st.st_mode & kStatFileType) != kStatRegular ||
      raw_syscall(__NR_faccessat2, static_cast<uint64_t>(object), addr(""), 1 /* X_OK */,
                  AT_EACCESS | AT_EMPTY_PATH) != 0) {
    close_fd(object);
    return -EACCES;
  }
  // Non-blocking, should the name now lead to a FIFO (the inode check below refuses it).
  const long fd = raw_syscall(__NR_openat, static_cast<uint64_t>(base), addr(file), O_RDONLY | O_NONBLOCK | O_NOCTTY);
  close_fd(object);
  if (is_error(fd)) return kExecAskMonitor;  // e.g. executable but not readable: the monitor may open it
  struct stat again;
  char link[40];
  long n = 0;
  if (raw_syscall(__NR_fstat, static_cast<uint64_t>(fd), addr(&again)) != 0 || again.st_dev != st.st_dev ||
      again.st_ino != st.st_ino ||
      (n = raw_syscall(__NR_readlink, addr(fd_link(fd, link)), addr(exe_real), kExecRealBytes - 1)) <= 0 ||
      exe_real[0] != '/') {
    close_fd(fd);
    exe_real[0] = '\0';
    return kExecAskMonitor;
  }
  exe_real[n] = '\0';
  return fd;
}

}  // namespace sysgate::gate
