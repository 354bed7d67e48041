#include "monitor/broker.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <utility>

#include "policy/policy.h"
#include "sandbox/unique_fd.h"

namespace sysgate::monitor {

namespace {

using sandbox::UniqueFd;

// The bit that makes O_TMPFILE (with O_DIRECTORY); alone it tells O_TMPFILE from O_DIRECTORY.
constexpr int kTmpfileBit = 020000000;

// The shape of a brokerable call, decoded from registers only.
struct PathCall {
  int dirfd = AT_FDCWD;
  uint64_t path_addr = 0;
  int open_flags = -1;  // -1: an access check, not an open
  int access_mode = 0;
};

std::optional<PathCall> decode(const sandbox::Notification& n) {
  const uint64_t* a = n.data.args;
  PathCall c;
  switch (n.data.nr) {
    case SYS_open: c.path_addr = a[0]; c.open_flags = static_cast<int>(a[1]); break;
    case SYS_openat: c.dirfd = static_cast<int>(a[0]); c.path_addr = a[1]; c.open_flags = static_cast<int>(a[2]); break;
    case SYS_access: c.path_addr = a[0]; c.access_mode = static_cast<int>(a[1]); break;
    case SYS_faccessat: c.dirfd = static_cast<int>(a[0]); c.path_addr = a[1]; c.access_mode = static_cast<int>(a[2]); break;
    default: return std::nullopt;
  }
  if (c.open_flags != -1 && (c.open_flags & (O_CREAT | kTmpfileBit)) != 0) return std::nullopt;
  return c;
}

uint8_t right_needed(const PathCall& c) {
  if (c.open_flags == -1) return policy::kRead;
  int mode = c.open_flags & O_ACCMODE;
  if (mode == O_RDONLY) return (c.open_flags & O_TRUNC) ? policy::kRead | policy::kWrite : policy::kRead;
  if (mode == O_WRONLY) return policy::kWrite;
  return policy::kRead | policy::kWrite;
}

// The directory a relative path starts from, as the target sees it.
std::string base_dir_link(pid_t pid, int dirfd) {
  if (dirfd == AT_FDCWD) return "/proc/" + std::to_string(pid) + "/cwd";
  return "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(dirfd);
}

std::string fd_path(int fd) {
  char buf[PATH_MAX];
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

std::string display_path(pid_t pid, int dirfd, const std::string& path) {
  if (!path.empty() && path[0] == '/') return canonical_path(path);
  char buf[PATH_MAX];
  std::string link = base_dir_link(pid, dirfd);
  ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return path;
  return canonical_path(std::string(buf, static_cast<size_t>(n)) + "/" + path);
}

long openat2_path(int dirfd, const std::string& path, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags);
  how.resolve = RESOLVE_NO_MAGICLINKS;
  return syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
}

}  // namespace

std::optional<PathHint> path_hint(const sandbox::Notification& n) {
  std::optional<PathCall> c = decode(n);
  if (!c) return std::nullopt;
  sandbox::ProcessMemory memory(static_cast<pid_t>(n.pid));
  std::optional<std::string> path = memory.read_string(c->path_addr, PATH_MAX, nullptr);
  if (!path || path->empty()) return std::nullopt;
  std::string shown = display_path(static_cast<pid_t>(n.pid), c->dirfd, *path);
  if (shown.rfind("/proc/", 0) == 0) return std::nullopt;
  return PathHint{shown, right_needed(*c)};
}

BrokerOutcome broker_path_call(sandbox::Listener& listener, BlockingOpens& opens, const sandbox::Notification& n,
                               const ResolvedFiles& files) {
  std::optional<PathCall> call = decode(n);
  if (!call || files.empty()) return {};
  const pid_t pid = static_cast<pid_t>(n.pid);
  const uint8_t right = right_needed(*call);

  // 1. Copy the path out of the target, once. From here on only our copy counts.
  sandbox::ProcessMemory memory(pid);
  bool truncated = false;
  std::optional<std::string> copied = memory.read_string(call->path_addr, PATH_MAX, &truncated);
  if (!copied) {
    (void)listener.respond_error(n.id, EFAULT);
    return {BrokerOutcome::Kind::kAnswered, std::nullopt};
  }
  if (truncated) {
    (void)listener.respond_error(n.id, ENAMETOOLONG);
    return {BrokerOutcome::Kind::kAnswered, std::nullopt};
  }
  const std::string& path = *copied;
  if (path.empty()) return {};  // AT_EMPTY_PATH-style calls are not brokered

  // 2. The starting directory, then the pid check: if the target died and its
  // pid was reused, the links above named another process.
  UniqueFd base(open(base_dir_link(pid, call->dirfd).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  Result<bool> still_there = listener.id_valid(n.id);
  if (!still_there || !*still_there) return {BrokerOutcome::Kind::kAnswered, std::nullopt};
  if (!base.valid() && path[0] != '/') {
    (void)listener.respond_error(n.id, call->dirfd == AT_FDCWD ? ENOENT : EBADF);
    return {BrokerOutcome::Kind::kAnswered, std::nullopt};
  }

  PathHint hint{display_path(pid, call->dirfd, path), right};
  if (hint.path.rfind("/proc/", 0) == 0 || hint.path == "/proc") return {BrokerOutcome::Kind::kRefused, hint};

  // 3. Resolve our copy without side effects (O_PATH), no magic links.
  int nofollow = call->open_flags != -1 ? (call->open_flags & O_NOFOLLOW) : 0;
  long opened = openat2_path(base.valid() ? base.get() : AT_FDCWD, path, O_PATH | O_CLOEXEC | nofollow);
  if (opened < 0) {
    int err = errno;
    // A missing file may be reported only where its place is readable to the program.
    if (files.allows(hint.path, policy::kRead) || files.allows(hint.path, right)) {
      (void)listener.respond_error(n.id, err);
      return {BrokerOutcome::Kind::kAnswered, std::nullopt};
    }
    return {BrokerOutcome::Kind::kRefused, hint};
  }
  UniqueFd object(static_cast<int>(opened));

  // 4. Judge the object we hold, by its real path.
  std::string real = fd_path(object.get());
  if (real.empty() || real[0] != '/' || real.rfind("/proc/", 0) == 0 || !files.allows(real, right)) {
    hint.path = real.empty() || real[0] != '/' ? hint.path : real;
    return {BrokerOutcome::Kind::kRefused, hint};
  }

  if (call->open_flags == -1) {
    // access(): the kernel's answer for the object we judged.
    long r = syscall(SYS_faccessat2, object.get(), "", call->access_mode, AT_EMPTY_PATH);
    if (r == 0) (void)listener.respond_value(n.id, 0);
    else (void)listener.respond_error(n.id, errno);
    return {BrokerOutcome::Kind::kAnswered, std::nullopt};
  }

  // 5. Reopen exactly that object with the caller's flags and hand it over;
  // an open that can wait (a FIFO's) waits on a thread of its own.
  int flags = call->open_flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  opens.reopen_and_answer(n.id, std::move(object), flags | O_CLOEXEC | O_NOCTTY, (call->open_flags & O_CLOEXEC) != 0);
  return {BrokerOutcome::Kind::kAnswered, std::nullopt};
}

}  // namespace sysgate::monitor
