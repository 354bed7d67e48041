#include "monitor/broker.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <string_view>
#include <utility>
#include <vector>

#include "monitor/metadata_change.h"
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
  int open_flags = -1;  // -1: not an open
  int access_mode = 0;
  bool metadata = false;  // a metadata change (monitor/metadata_change.h): needs the write right
  bool nofollow = false;  // a final symlink is the object, not followed
};

constexpr int kSysFchmodat2 = 452;  // (not in older headers)

std::optional<PathCall> decode(const sandbox::Notification& n) {
  const uint64_t* a = n.data.args;
  PathCall c;
  const int nr = n.data.nr;
  switch (nr) {
    case SYS_open: c.path_addr = a[0]; c.open_flags = static_cast<int>(a[1]); break;
    case SYS_openat: c.dirfd = static_cast<int>(a[0]); c.path_addr = a[1]; c.open_flags = static_cast<int>(a[2]); break;
    case SYS_access: c.path_addr = a[0]; c.access_mode = static_cast<int>(a[1]); break;
    case SYS_faccessat: c.dirfd = static_cast<int>(a[0]); c.path_addr = a[1]; c.access_mode = static_cast<int>(a[2]); break;
    // Metadata changes: the path is the first argument, or the second after a dirfd.
    case SYS_chmod: case SYS_chown: case SYS_utime: case SYS_utimes: case SYS_setxattr: case SYS_removexattr:
      c.path_addr = a[0]; break;
    case SYS_lchown: case SYS_lsetxattr: case SYS_lremovexattr:
      c.path_addr = a[0]; c.nofollow = true; break;
    case SYS_fchmodat: case SYS_futimesat:
      c.dirfd = static_cast<int>(a[0]); c.path_addr = a[1]; break;
    case kSysFchmodat2: case SYS_utimensat: case SYS_fchownat: {
      const int flags = static_cast<int>(a[nr == SYS_fchownat ? 4 : 3]);
      // Other flags (AT_EMPTY_PATH: the dirfd itself) are not brokered: refused.
      if ((flags & ~AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
      c.dirfd = static_cast<int>(a[0]); c.path_addr = a[1]; c.nofollow = (flags & AT_SYMLINK_NOFOLLOW) != 0;
      break;
    }
    default: return std::nullopt;
  }
  c.metadata = is_metadata_call(nr);
  if (c.path_addr == 0) return std::nullopt;  // utimensat(fd, NULL, ...) changes fd's file: not a path call
  if (c.open_flags != -1) {
    if ((c.open_flags & (O_CREAT | kTmpfileBit)) != 0) return std::nullopt;
    c.nofollow = (c.open_flags & O_NOFOLLOW) != 0;
  }
  return c;
}

uint8_t right_needed(const PathCall& c) {
  if (c.metadata) return policy::kWrite;  // a file's mode, owner, times and xattrs are written like its data
  if (c.open_flags == -1) return policy::kRead;
  // O_PATH ignores the access mode and O_TRUNC; what we hand over for it is read-only (step 5).
  if (c.open_flags & O_PATH) return policy::kRead;
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

// The kernel walks a path's ".." physically (from where the walk really is,
// after symlinks), while the hint's path is normalised lexically; so a failed
// open's errno (ENOENT, ENOTDIR, ELOOP), or a ".." walk's success, would tell
// the program about places no rule lets it see: "/refused/x/../../allowed/f"
// opens only if /refused/x is a directory. This walks `path` from `base` as the
// kernel does, one prefix at a time (each resolved like the whole, no magic
// links), and returns the first place the program may not learn about: a
// place it passes through whose object is not ResolvedFiles::visible (the
// starting directory, which the program holds, excepted), or the place where
// the walk fails unless a rule grants read or `right` there (by name: nothing
// is there to judge). nullopt: nothing is hidden. Only where the walk names a
// real place: symlinks met on the way are followed, and the places inside a
// link's target are not looked at one by one.
std::optional<std::string> hidden_place(const ResolvedFiles& files, int base, const std::string& path,
                                        int last_flags, uint8_t right) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < path.size();) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  const std::string start = path[0] == '/' ? "/" : fd_path(base);
  std::string prefix = path[0] == '/' ? "" : ".", reached = start;
  for (size_t i = 0; i < parts.size(); ++i) {
    prefix += "/" + parts[i];
    const bool last = i + 1 == parts.size();
    long fd = openat2_path(base, prefix, O_PATH | O_CLOEXEC | (last ? last_flags : 0));
    if (fd < 0) {
      // The walk stopped here: its errno speaks of this place only.
      const std::string place = (reached == "/" ? "" : reached) + "/" + parts[i];
      if (files.allows_name(place, policy::kRead) || files.allows_name(place, right)) return std::nullopt;
      return place;
    }
    UniqueFd held(static_cast<int>(fd));
    reached = fd_path(held.get());
    if (reached.empty() || reached[0] != '/') return path;  // (not a place with a name: hide it)
    if (!last && reached != start && !files.visible_object(held.get(), reached)) return reached;
  }
  return std::nullopt;
}

bool has_dot_dot(const std::string& path) {
  for (size_t i = 0; (i = path.find("..", i)) != std::string::npos; i += 2) {
    if ((i == 0 || path[i - 1] == '/') && (i + 2 == path.size() || path[i + 2] == '/')) return true;
  }
  return false;
}

}  // namespace

bool may_broker(const policy::Decision& d, int nr) {
  if (d.action.kind != policy::ActionKind::kExplain) return false;
  const bool promised = d.reason == policy::Decision::Reason::kRule && d.rule != nullptr &&
                        d.rule->origin.source == policy::Origin::Source::kPromise;
  // A metadata change needs its promise (fattr, chown), as under pledge: the
  // write right alone is no licence to chown or chmod.
  if (is_metadata_call(nr) || nr == SYS_fchmod || nr == SYS_fchown || nr == SYS_fsetxattr || nr == SYS_fremovexattr) {
    return promised;
  }
  return d.reason == policy::Decision::Reason::kDefault || promised;
}

bool is_brokerable_call(int nr) {
  return nr == SYS_open || nr == SYS_openat || nr == SYS_access || nr == SYS_faccessat || is_metadata_call(nr) ||
         nr == SYS_fchmod || nr == SYS_fchown || nr == SYS_fsetxattr || nr == SYS_fremovexattr;
}

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

namespace {

// A memfd: the program's own object, named by no path (its link reads
// "/memfd:NAME (deleted)"; a real file so named would need a write right on "/").
bool is_memfd(int file, const std::string& real) {
  struct stat st {};
  return real.rfind("/memfd:", 0) == 0 && fstat(file, &st) == 0 && st.st_nlink == 0;
}

// fchmod, fchown, fsetxattr, fremovexattr, futimens: Landlock judged the
// descriptor only for the access it was opened with, so a file opened for
// reading is no licence to change its mode or xattrs. The monitor takes a copy
// of the program's very open file (pidfd_getfd), judges the file it names
// against the write right, and makes the call on that copy. A descriptor of
// no file in the tree (a pipe, socket, anonymous inode, memfd) is the
// program's own object: no rule is needed.
BrokerOutcome broker_descriptor_metadata(sandbox::Listener& listener, const sandbox::Notification& n,
                                         const ResolvedFiles& files) {
  const pid_t pid = static_cast<pid_t>(n.pid);
  const int fd = static_cast<int>(n.data.args[0]);
  // The notification names the calling thread, which need not lead its
  // process (PIDFD_THREAD, Linux 6.9; before it, a leader's only).
  constexpr unsigned kPidfdThread = O_EXCL;
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, kPidfdThread)));
  if (!pidfd.valid() && errno == EINVAL) pidfd.reset(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  long copied = pidfd.valid() ? syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0) : -1;
  const int err = errno;
  UniqueFd file(copied >= 0 ? static_cast<int>(copied) : -1);
  // After the copy: if the target died and its pid was reused, the copy is another's.
  Result<bool> still_there = listener.id_valid(n.id);
  if (!still_there || !*still_there) return {BrokerOutcome::Kind::kAnswered, std::nullopt};
  if (!file.valid()) {
    (void)listener.respond_error(n.id, err == EBADF || !pidfd.valid() ? EBADF : err);
    return {BrokerOutcome::Kind::kAnswered, std::nullopt};
  }
  // Fail closed: only an object whose link names no place ("pipe:[N]",
  // "socket:[N]", "anon_inode:...") or a memfd goes without a rule; a path
  // too long to read is judged as no place a rule covers.
  const std::string real = fd_path(file.get());
  if (real.empty()) {
    return {BrokerOutcome::Kind::kRefused, PathHint{"(a file whose path is longer than PATH_MAX)", policy::kWrite}};
  }
  const bool in_tree = real[0] == '/' && !is_memfd(file.get(), real);
  // Judged by identity (resolved_files.h): an unlinked name, whose link reads
  // "PATH (deleted)", has no honest place and is refused; the hint names PATH.
  if (in_tree && !files.allows_object(file.get(), real, policy::kWrite)) {
    constexpr std::string_view kDeleted = " (deleted)";
    const bool unlinked = real.size() > kDeleted.size() &&
                          real.compare(real.size() - kDeleted.size(), kDeleted.size(), kDeleted) == 0;
    return {BrokerOutcome::Kind::kRefused,
            PathHint{unlinked ? real.substr(0, real.size() - kDeleted.size()) : real, policy::kWrite}};
  }
  sandbox::ProcessMemory memory(pid);
  const int changed = change_descriptor_metadata(file.get(), n.data.nr, n.data.args, memory);
  if (changed == 0) (void)listener.respond_value(n.id, 0);
  else (void)listener.respond_error(n.id, changed);
  return {BrokerOutcome::Kind::kAnswered, std::nullopt};
}

}  // namespace

BrokerOutcome broker_path_call(sandbox::Listener& listener, BlockingOpens& opens, const sandbox::Notification& n,
                               const ResolvedFiles& files) {
  if (!files.empty() && is_descriptor_metadata_call(n.data.nr, n.data.args)) {
    return broker_descriptor_metadata(listener, n, files);
  }
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
  const int nofollow = call->nofollow ? O_NOFOLLOW : 0;
  long opened = openat2_path(base.valid() ? base.get() : AT_FDCWD, path, O_PATH | O_CLOEXEC | nofollow);
  const int walk_base = base.valid() ? base.get() : AT_FDCWD;
  if (opened < 0) {
    int err = errno;
    // The kernel's errno is the program's only where the walk stopped at a
    // place it may see; otherwise refused, as a place no rule covers is.
    std::optional<std::string> hidden = hidden_place(files, walk_base, path, nofollow, right);
    if (!hidden) {
      (void)listener.respond_error(n.id, err);
      return {BrokerOutcome::Kind::kAnswered, std::nullopt};
    }
    hint.path = *hidden;
    return {BrokerOutcome::Kind::kRefused, hint};
  }
  UniqueFd object(static_cast<int>(opened));
  // A ".." walk that succeeds tells as much about the places it left.
  if (has_dot_dot(path)) {
    if (std::optional<std::string> hidden = hidden_place(files, walk_base, path, nofollow, right)) {
      hint.path = *hidden;
      return {BrokerOutcome::Kind::kRefused, hint};
    }
  }

  // 4. Judge the object we hold, by what it is and where it lies now (its
  // identity and its ancestors'), as Landlock judges an open: its path string
  // could be a name a rename gave it under a rule's path. The path is for the
  // report, and /proc is never brokered.
  std::string real = fd_path(object.get());
  if (real.empty() || real[0] != '/' || real.rfind("/proc/", 0) == 0 ||
      !files.allows_object(object.get(), real, right)) {
    hint.path = real.empty() || real[0] != '/' ? hint.path : real;
    return {BrokerOutcome::Kind::kRefused, hint};
  }

  if (call->metadata) {
    // chmod, chown, utimes, xattrs: changed on exactly the object we judged.
    const int err = change_metadata(object.get(), n.data.nr, n.data.args, memory);
    if (err == 0) (void)listener.respond_value(n.id, 0);
    else (void)listener.respond_error(n.id, err);
    return {BrokerOutcome::Kind::kAnswered, std::nullopt};
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
  if (call->open_flags & O_PATH) {
    // The kernel installs no O_PATH file in another process (ADDFD's fget()
    // refuses them: EBADF). A directory or regular file is handed over opened
    // read-only instead, which the read right judged above allows; anything
    // else (a FIFO, device or socket would be opened for real, with its side
    // effects and waits; a symlink met with O_NOFOLLOW cannot be reopened) is
    // refused with EACCES. docs/policy.md, "Brokered calls".
    struct stat st {};
    if (fstat(object.get(), &st) != 0 || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
      (void)listener.respond_error(n.id, EACCES);
      return {BrokerOutcome::Kind::kAnswered, std::nullopt};
    }
    flags = O_RDONLY | (call->open_flags & O_DIRECTORY);
  }
  opens.reopen_and_answer(n.id, std::move(object), flags | O_CLOEXEC | O_NOCTTY, (call->open_flags & O_CLOEXEC) != 0);
  return {BrokerOutcome::Kind::kAnswered, std::nullopt};
}

}  // namespace sysgate::monitor
