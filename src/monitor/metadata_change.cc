#include "monitor/metadata_change.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <linux/limits.h>
#include <unistd.h>
#include <utime.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

namespace sysgate::monitor {

namespace {

constexpr int kSysFchmodat2 = 452;  // (not in older headers)

std::string fd_link(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

bool is_symlink(int object) {
  struct stat st {};
  return fstat(object, &st) == 0 && S_ISLNK(st.st_mode);
}

// The times argument of utime/utimes/futimesat/utimensat as utimensat's two
// timespecs; nullptr (0) means "now". Returns an errno, or 0 with *times set
// (times_ptr false: now).
int copy_times(int nr, uint64_t addr, sandbox::ProcessMemory& memory, timespec times[2], bool* given) {
  *given = addr != 0;
  if (addr == 0) return 0;
  if (nr == SYS_utime) {
    std::optional<std::string> b = memory.read_bytes(addr, sizeof(utimbuf));
    if (!b) return EFAULT;
    utimbuf u;
    std::memcpy(&u, b->data(), sizeof u);
    times[0] = {u.actime, 0};
    times[1] = {u.modtime, 0};
    return 0;
  }
  if (nr == SYS_utimes || nr == SYS_futimesat) {
    std::optional<std::string> b = memory.read_bytes(addr, 2 * sizeof(timeval));
    if (!b) return EFAULT;
    timeval tv[2];
    std::memcpy(tv, b->data(), sizeof tv);
    for (int i = 0; i < 2; ++i) {
      if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000) return EINVAL;  // as the kernel checks
      times[i] = {tv[i].tv_sec, tv[i].tv_usec * 1000};
    }
    return 0;
  }
  std::optional<std::string> b = memory.read_bytes(addr, 2 * sizeof(timespec));  // utimensat
  if (!b) return EFAULT;
  std::memcpy(times, b->data(), 2 * sizeof(timespec));
  return 0;
}

// An xattr's name, copied as the kernel would (ERANGE past XATTR_NAME_MAX).
int copy_name(uint64_t addr, sandbox::ProcessMemory& memory, std::string* name) {
  bool truncated = false;
  std::optional<std::string> n = memory.read_string(addr, XATTR_NAME_MAX + 1, &truncated);
  if (!n) return EFAULT;
  if (truncated || n->size() > XATTR_NAME_MAX || n->empty()) return ERANGE;
  *name = std::move(*n);
  return 0;
}

// The value of a setxattr-family call (args[2], args[3] bytes), as the kernel
// copies it (E2BIG past XATTR_SIZE_MAX).
int copy_value(const uint64_t args[6], sandbox::ProcessMemory& memory, std::string* value) {
  const size_t size = static_cast<size_t>(args[3]);
  if (size > XATTR_SIZE_MAX) return E2BIG;
  if (size == 0) return 0;
  std::optional<std::string> v = memory.read_bytes(args[2], size);
  if (!v) return EFAULT;
  *value = std::move(*v);
  return 0;
}

int result(long r) { return r == 0 ? 0 : errno; }

}  // namespace

bool is_metadata_call(int nr) {
  switch (nr) {
    case SYS_chmod: case SYS_fchmodat: case kSysFchmodat2:
    case SYS_chown: case SYS_lchown: case SYS_fchownat:
    case SYS_utime: case SYS_utimes: case SYS_futimesat: case SYS_utimensat:
    case SYS_setxattr: case SYS_lsetxattr: case SYS_removexattr: case SYS_lremovexattr:
      return true;
    default:
      return false;
  }
}

bool is_descriptor_metadata_call(int nr, const uint64_t args[6]) {
  return nr == SYS_fchmod || nr == SYS_fchown || nr == SYS_fsetxattr || nr == SYS_fremovexattr ||
         (nr == SYS_utimensat && args[1] == 0);
}

int change_descriptor_metadata(int file, int nr, const uint64_t args[6], sandbox::ProcessMemory& memory) {
  switch (nr) {
    case SYS_fchmod:
      return result(syscall(SYS_fchmod, file, static_cast<mode_t>(args[1])));
    case SYS_fchown:
      return result(syscall(SYS_fchown, file, static_cast<uid_t>(args[1]), static_cast<gid_t>(args[2])));
    case SYS_utimensat: {
      timespec times[2] = {};
      bool given = false;
      if (int err = copy_times(nr, args[2], memory, times, &given); err != 0) return err;
      // The flags as the program passed them (the kernel refuses any with a NULL path).
      return result(syscall(SYS_utimensat, file, nullptr, given ? times : nullptr, static_cast<int>(args[3])));
    }
    case SYS_fsetxattr:
    case SYS_fremovexattr: {
      std::string name;
      if (int err = copy_name(args[1], memory, &name); err != 0) return err;
      if (nr == SYS_fremovexattr) return result(fremovexattr(file, name.c_str()));
      std::string value;
      if (int err = copy_value(args, memory, &value); err != 0) return err;
      const size_t size = value.size();
      return result(fsetxattr(file, name.c_str(), value.data(), size, static_cast<int>(args[4])));
    }
    default:
      return ENOSYS;
  }
}

int change_metadata(int object, int nr, const uint64_t args[6], sandbox::ProcessMemory& memory) {
  switch (nr) {
    case SYS_chmod: case SYS_fchmodat: case kSysFchmodat2: {
      const mode_t mode = static_cast<mode_t>(args[nr == SYS_chmod ? 1 : 2]);
      // A symlink's mode cannot be changed (lchmod fails so natively); through
      // /proc/self/fd/N chmod reaches the object itself, never a link's target.
      if (is_symlink(object)) return EOPNOTSUPP;
      return result(chmod(fd_link(object).c_str(), mode & 07777));
    }
    case SYS_chown: case SYS_lchown: case SYS_fchownat: {
      const int at = nr == SYS_fchownat ? 2 : 1;
      return result(fchownat(object, "", static_cast<uid_t>(args[at]), static_cast<gid_t>(args[at + 1]),
                             AT_EMPTY_PATH));
    }
    case SYS_utime: case SYS_utimes: case SYS_futimesat: case SYS_utimensat: {
      const uint64_t addr = args[nr == SYS_utime || nr == SYS_utimes ? 1 : 2];
      timespec times[2] = {};
      bool given = false;
      if (int err = copy_times(nr, addr, memory, times, &given); err != 0) return err;
      return result(utimensat(object, "", given ? times : nullptr, AT_EMPTY_PATH));
    }
    case SYS_setxattr: case SYS_lsetxattr: case SYS_removexattr: case SYS_lremovexattr: {
      std::string name;
      if (int err = copy_name(args[1], memory, &name); err != 0) return err;
      // Through /proc/self/fd/N the call reaches the object, which must not be
      // a symlink (the link would be followed): xattrs on symlinks are refused
      // as the kernel refuses user.* ones there.
      if (is_symlink(object)) return EPERM;
      const std::string link = fd_link(object);
      if (nr == SYS_removexattr || nr == SYS_lremovexattr) return result(removexattr(link.c_str(), name.c_str()));
      std::string value;
      if (int err = copy_value(args, memory, &value); err != 0) return err;
      const size_t size = value.size();
      return result(setxattr(link.c_str(), name.c_str(), value.data(), size, static_cast<int>(args[4])));
    }
    default:
      return ENOSYS;
  }
}

}  // namespace sysgate::monitor
