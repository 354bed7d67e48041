#include "trace/fd_paths.h"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "trace/msghdr_format.h"

namespace sysgate::trace {
namespace {

constexpr uint64_t kCloseRangeCloexec = 4;  // CLOSE_RANGE_CLOEXEC (linux/close_range.h)
constexpr uint64_t kMfdCloexec = 1;         // MFD_CLOEXEC

bool succeeded(const Record& r) { return r.kind == kRecordSyscall && (r.ret < -4095 || r.ret >= 0); }

constexpr uint32_t kTiocgptpeer = 0x5441;

// "a/b" + "c" -> "a/b/c"; keeps a single slash.
std::string join(const std::string& base, const std::string& path) {
  if (base.empty() || base.back() == '/') return base + path;
  return base + "/" + path;
}

// Calls that return a new descriptor named by nothing in their arguments
// (sockets, event fds, ...): how the kernel names such a descriptor in its
// /proc/PID/fd link -- the whole name, or its start when an inode number
// follows ("socket:[") -- and whether it is close-on-exec.
struct Unnamed {
  std::string_view kind;
  bool cloexec;
};
std::optional<Unnamed> new_unnamed_fd(const Record& r) {
  const uint64_t* a = r.args;
  switch (r.nr) {
    case SYS_socket: return Unnamed{"socket:[", (a[1] & SOCK_CLOEXEC) != 0};
    case SYS_accept: return Unnamed{"socket:[", false};
    case SYS_accept4: return Unnamed{"socket:[", (a[3] & SOCK_CLOEXEC) != 0};
    case SYS_eventfd: return Unnamed{"anon_inode:[eventfd]", false};
    case SYS_eventfd2: return Unnamed{"anon_inode:[eventfd]", (a[1] & O_CLOEXEC) != 0};
    case SYS_epoll_create: return Unnamed{"anon_inode:[eventpoll]", false};
    case SYS_epoll_create1: return Unnamed{"anon_inode:[eventpoll]", (a[0] & O_CLOEXEC) != 0};
    case SYS_memfd_create: return Unnamed{"/memfd:", (a[1] & kMfdCloexec) != 0};
    case SYS_timerfd_create: return Unnamed{"anon_inode:[timerfd]", (a[1] & O_CLOEXEC) != 0};
    case SYS_signalfd: return Unnamed{"anon_inode:[signalfd]", false};
    case SYS_signalfd4: return Unnamed{"anon_inode:[signalfd]", (a[3] & O_CLOEXEC) != 0};
    case SYS_inotify_init: return Unnamed{"anon_inode:inotify", false};
    case SYS_inotify_init1: return Unnamed{"anon_inode:inotify", (a[0] & O_CLOEXEC) != 0};
    case SYS_pidfd_open: return Unnamed{"anon_inode:[pidfd]", true};
    case SYS_userfaultfd: return Unnamed{"anon_inode:[userfaultfd]", (a[0] & O_CLOEXEC) != 0};
    case SYS_perf_event_open: return Unnamed{"anon_inode:[perf_event]", (a[4] & 8) != 0};  // PERF_FLAG_FD_CLOEXEC
    default: return std::nullopt;
  }
}

}  // namespace

void FdPaths::inherit_late(Process& child, const Process& parent) {
  for (const auto& [fd, entry] : parent.fds) {
    if (child.changed.count(fd) != 0 || (child.execed && entry.cloexec)) continue;
    bool closed = false;
    for (const auto& [first, last] : child.closed_ranges) closed |= static_cast<unsigned>(fd) >= first && static_cast<unsigned>(fd) <= last;
    if (!closed) child.fds.emplace(fd, entry);
  }
  if (!child.cwd) child.cwd = parent.cwd;
}

bool FdPaths::returns_fd(const Record& r) {
  if (r.kind != kRecordSyscall || r.ret < 0) return false;
  switch (r.nr) {
    case SYS_open: case SYS_creat: case SYS_openat: case SYS_openat2: case SYS_dup: case SYS_dup2: case SYS_dup3:
      return true;
    case SYS_fcntl:
      return static_cast<int32_t>(r.args[1]) == F_DUPFD || static_cast<int32_t>(r.args[1]) == F_DUPFD_CLOEXEC;
    default:
      return new_unnamed_fd(r).has_value();
  }
}

void FdPaths::note_received(Record& r) {
  if (!probe_.link || !probe_.inode) return;
  const std::vector<int32_t> received = received_fds(r);
  // The gate recorded the inodes of the first two: never another's name.
  for (size_t i = 0; i < received.size() && i < 2; ++i) {
    const int32_t fd = received[i];
    if (fd < 0 || r.fd_inodes[i] == 0 || probe_.inode(r.pid, fd) != std::optional<uint64_t>(r.fd_inodes[i])) continue;
    std::optional<std::string> name = probe_.link(r.pid, fd);
    if (name && probe_.inode(r.pid, fd) == std::optional<uint64_t>(r.fd_inodes[i])) {
      r.extra().received_fd_names.emplace_back(fd, std::move(*name));
    }
  }
}

bool FdPaths::names_fds_it_received(const Record& record) {
  return record.nr == SYS_recvmsg && !received_fds(record).empty();
}

bool FdPaths::follows(int nr) {
  switch (nr) {
    case SYS_open: case SYS_creat: case SYS_openat: case SYS_openat2: case SYS_close: case SYS_close_range:
    case SYS_dup: case SYS_dup2: case SYS_dup3: case SYS_fcntl: case SYS_pipe: case SYS_pipe2:
    case SYS_socketpair: case SYS_chdir: case SYS_fchdir: case SYS_execve: case SYS_execveat:
    case SYS_fork: case SYS_vfork: case SYS_clone: case SYS_clone3: case SYS_exit_group:
    case SYS_ioctl:  // TIOCGPTPEER
    case SYS_recvmsg:  // SCM_RIGHTS
      return true;
    default: {
      Record r;
      r.nr = nr;
      return new_unnamed_fd(r).has_value();
    }
  }
}

int FdPaths::fd_array_arg(const Record& r) {
  switch (r.nr) {
    case SYS_pipe:
    case SYS_pipe2: return 0;
    case SYS_socketpair: return 3;
    default: return -1;
  }
}

FdPaths::Probe FdPaths::system_probe(TracedProcesses* traced, bool resolve) {
  Probe p;
  p.link = [traced](int32_t pid, int fd) -> std::optional<std::string> {
    const int dir = traced != nullptr ? traced->proc_dir(pid) : -1;
    if (dir < 0) return std::nullopt;
    char buf[PATH_MAX];
    const ssize_t n = readlinkat(dir, ("fd/" + std::to_string(fd)).c_str(), buf, sizeof buf);
    if (n <= 0 || static_cast<size_t>(n) >= sizeof buf) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
  };
  p.inode = [traced](int32_t pid, int fd) -> std::optional<uint64_t> {
    const int dir = traced != nullptr ? traced->proc_dir(pid) : -1;
    struct stat st;
    if (dir < 0 || fstatat(dir, ("fd/" + std::to_string(fd)).c_str(), &st, 0) != 0) return std::nullopt;
    return static_cast<uint64_t>(st.st_ino);
  };
  if (!resolve) return p;
  p.resolve = [](const std::string& path) -> std::optional<std::string> {
    char* real = realpath(path.c_str(), nullptr);
    if (real == nullptr) return std::nullopt;
    std::string out = real;
    free(real);
    return out;
  };
  return p;
}

const std::string* FdPaths::path(int32_t pid, int64_t fd) {
  if (fd < 0 || fd > INT_MAX) return nullptr;
  auto p = processes_.find(pid);
  if (p == processes_.end()) return nullptr;
  auto it = p->second.fds.find(static_cast<int>(fd));
  return it == p->second.fds.end() ? nullptr : &it->second.path;
}

void FdPaths::start(int32_t pid, const std::string& cwd, const std::map<int, std::string>& inherited) {
  Process& p = process(pid);
  if (!p.cwd && !cwd.empty()) p.cwd = cwd;
  for (const auto& [fd, name] : inherited) {
    if (p.fds.count(fd) == 0) p.fds[fd] = Fd{name, false};
  }
}

const std::string* FdPaths::cwd(int32_t pid) {
  auto p = processes_.find(pid);
  return p == processes_.end() || !p->second.cwd ? nullptr : &*p->second.cwd;
}

std::optional<std::string> FdPaths::absolute(int32_t pid, int64_t dirfd, const std::string& path) {
  std::string full;
  if (!path.empty() && path[0] == '/') {
    full = path;
  } else {
    const std::string* base = static_cast<int32_t>(dirfd) == AT_FDCWD ? cwd(pid) : this->path(pid, dirfd);
    if (base == nullptr) return std::nullopt;
    full = path.empty() ? *base : join(*base, path);
  }
  if (probe_.resolve) {
    if (std::optional<std::string> resolved = probe_.resolve(full)) return resolved;
  }
  return full;
}

void FdPaths::set(int32_t pid, int64_t fd, std::string path, bool cloexec) {
  if (fd < 0 || fd > INT_MAX) return;
  Process& p = process(pid);
  p.fds[static_cast<int>(fd)] = Fd{std::move(path), cloexec};
  p.changed.insert(static_cast<int>(fd));
}

void FdPaths::drop(int32_t pid, int64_t fd) {
  if (fd < 0 || fd > INT_MAX) return;
  Process& p = process(pid);
  p.fds.erase(static_cast<int>(fd));
  p.changed.insert(static_cast<int>(fd));
}

void FdPaths::set_made(int32_t pid, int64_t fd, std::string_view kind, uint64_t inode, bool cloexec) {
  if (inode == 0) return set_from_probe(pid, fd, kind, cloexec);  // the gate did not say: ask /proc
  std::string name(kind);
  name += std::to_string(inode);
  name += ']';
  set(pid, fd, std::move(name), cloexec);
}

void FdPaths::set_from_probe(int32_t pid, int64_t fd, std::string_view kind, bool cloexec) {
  if (!probe_.link || fd < 0 || fd > INT_MAX) return;
  std::optional<std::string> name = probe_.link(pid, static_cast<int>(fd));
  // Asked after the fact: by now the number may name something else.
  if (name && name->compare(0, kind.size(), kind) == 0) set(pid, fd, std::move(*name), cloexec);
}

void FdPaths::after(const Record& r) {
  const int32_t pid = r.pid;
  const uint64_t* a = r.args;
  if (r.kind == kRecordExit) {
    if (r.nr == SYS_exit_group) processes_.erase(pid);
    return;
  }
  if (!succeeded(r)) return;
  Process& p = process(pid);
  auto copy = [&](int64_t from, int64_t to, bool cloexec) {
    if (to < 0 || to > INT_MAX) return;
    if (const std::string* name = path(pid, from)) {
      set(pid, to, *name, cloexec);
    } else {
      drop(pid, to);
    }
  };
  auto opened = [&](int dirfd_arg, int path_arg, bool cloexec) {
    const Payload* name = r.payload(path_arg);
    std::optional<std::string> full;
    if (name != nullptr && name->kind == kPayloadPath && !name->truncated) {
      full = absolute(pid, dirfd_arg < 0 ? AT_FDCWD : static_cast<int32_t>(a[dirfd_arg]), name->bytes);
    }
    if (full) {
      set(pid, r.ret, std::move(*full), cloexec);
    } else {
      drop(pid, r.ret);
    }
  };
  switch (r.nr) {
    case SYS_open: return opened(-1, 0, (a[1] & O_CLOEXEC) != 0);
    case SYS_creat: return opened(-1, 0, false);
    case SYS_openat: return opened(0, 1, (a[2] & O_CLOEXEC) != 0);
    case SYS_openat2: return opened(0, 1, false);  // its flags are in a struct the record does not carry
    case SYS_close:
      drop(pid, static_cast<int32_t>(a[0]));
      return;
    case SYS_close_range: {
      const auto first = static_cast<unsigned>(a[0]), last = static_cast<unsigned>(a[1]);
      p.closed_ranges.emplace_back(first, last);
      for (auto it = p.fds.lower_bound(static_cast<int>(first < INT_MAX ? first : INT_MAX)); it != p.fds.end() &&
                                                                                         static_cast<unsigned>(it->first) <= last;) {
        if ((a[2] & kCloseRangeCloexec) != 0) {
          it->second.cloexec = true;
          ++it;
        } else {
          it = p.fds.erase(it);
        }
      }
      return;
    }
    case SYS_ioctl:
      // TIOCGPTPEER (<asm-generic/ioctls.h>): a pty's slave, opened through its
      // master (how glibc's openpty opens it); its number is the system's to
      // say: the gate asked the master (plus one: 0 when it did not), else
      // /proc is asked now, when the process may be gone.
      if (static_cast<uint32_t>(a[1]) == kTiocgptpeer) {
        const bool cloexec = (a[2] & O_CLOEXEC) != 0;
        if (r.fd_inodes[0] != 0 && r.ret <= INT_MAX) {
          set(pid, r.ret, "/dev/pts/" + std::to_string(r.fd_inodes[0] - 1), cloexec);
        } else {
          set_from_probe(pid, r.ret, "/dev/pts/", cloexec);
        }
      }
      return;
    case SYS_recvmsg: {
      // SCM_RIGHTS: the names note_received found as the record arrived.
      const bool cloexec = (a[2] & MSG_CMSG_CLOEXEC) != 0;
      for (int32_t fd : received_fds(r)) {
        const std::string* name = nullptr;
        if (r.extras) {
          for (const auto& [named, text] : r.extras->received_fd_names) {
            if (named == fd) name = &text;
          }
        }
        if (name != nullptr) {
          set(pid, fd, *name, cloexec);
        } else {
          drop(pid, fd);
        }
      }
      return;
    }
    case SYS_dup: return copy(static_cast<int32_t>(a[0]), r.ret, false);
    case SYS_dup2: return copy(static_cast<int32_t>(a[0]), r.ret, false);
    case SYS_dup3: return copy(static_cast<int32_t>(a[0]), r.ret, (a[2] & O_CLOEXEC) != 0);
    case SYS_fcntl:
      if (static_cast<int32_t>(a[1]) == F_DUPFD || static_cast<int32_t>(a[1]) == F_DUPFD_CLOEXEC) {
        copy(static_cast<int32_t>(a[0]), r.ret, static_cast<int32_t>(a[1]) == F_DUPFD_CLOEXEC);
      } else if (static_cast<int32_t>(a[1]) == F_SETFD) {
        auto it = p.fds.find(static_cast<int32_t>(a[0]));
        if (it != p.fds.end()) it->second.cloexec = (a[2] & FD_CLOEXEC) != 0;
      }
      return;
    case SYS_pipe:
    case SYS_pipe2:
    case SYS_socketpair: {
      const Payload* fds = r.payload(fd_array_arg(r));
      if (fds == nullptr || fds->bytes.size() != 8) return;
      int32_t pair[2];
      std::memcpy(pair, fds->bytes.data(), sizeof pair);
      const bool socket = r.nr == SYS_socketpair;
      const bool cloexec = socket ? (a[1] & SOCK_CLOEXEC) != 0 : r.nr == SYS_pipe2 && (a[1] & O_CLOEXEC) != 0;
      for (int i = 0; i < 2; ++i) {
        drop(pid, pair[i]);
        set_made(pid, pair[i], socket ? "socket:[" : "pipe:[", r.fd_inodes[i], cloexec);
      }
      return;
    }
    case SYS_chdir:
      if (const Payload* name = r.payload(0); name != nullptr && !name->truncated) {
        std::optional<std::string> full = absolute(pid, AT_FDCWD, name->bytes);
        process(pid).cwd = full;
      } else {
        process(pid).cwd.reset();
      }
      return;
    case SYS_fchdir: {
      const std::string* name = path(pid, static_cast<int32_t>(a[0]));
      Process& q = process(pid);  // path() may have added to the map: look again
      q.cwd = name != nullptr ? std::optional<std::string>(*name) : std::nullopt;
      return;
    }
    case SYS_execve:
    case SYS_execveat:
      for (auto it = p.fds.begin(); it != p.fds.end();) it = it->second.cloexec ? p.fds.erase(it) : std::next(it);
      p.execed = true;
      return;
    case SYS_fork:
    case SYS_vfork:
    case SYS_clone:
    case SYS_clone3: {
      // The child (r.ret) gets a copy, unless it shares the table (CLONE_FILES)
      // or is a thread, or its own records came first.
      uint64_t flags = r.nr == SYS_clone ? a[0] : 0;
      if (r.nr == SYS_clone3) {  // flags are the first field of struct clone_args
        const Payload* args = r.payload(0);
        if (args == nullptr || args->kind != kPayloadStructIn || args->bytes.size() < sizeof flags) return;
        std::memcpy(&flags, args->bytes.data(), sizeof flags);
      }
      if ((flags & (CLONE_FILES | CLONE_THREAD)) != 0 || r.ret <= 0 || r.ret > INT_MAX) return;
      const auto child = static_cast<int32_t>(r.ret);
      const Process parent = process(pid);
      auto seen = processes_.find(child);
      if (seen == processes_.end()) {
        Process& c = processes_[child];
        c.fds = parent.fds;
        c.cwd = parent.cwd;
        return;
      }
      inherit_late(seen->second, parent);
      return;
    }
    default:
      break;
  }
  if (std::optional<Unnamed> made = new_unnamed_fd(r)) {
    drop(pid, r.ret);
    if (r.nr == SYS_memfd_create) {
      // "/memfd:NAME (deleted)", as the kernel names it (names longer than the
      // record kept are left unnamed).
      const Payload* name = r.payload(0);
      if (name != nullptr && !name->truncated) set(pid, r.ret, "/memfd:" + name->bytes + " (deleted)", made->cloexec);
    } else if (made->kind.back() == '[') {
      set_made(pid, r.ret, made->kind, r.fd_inodes[0], made->cloexec);
    } else {
      set(pid, r.ret, std::string(made->kind), made->cloexec);  // "anon_inode:[eventfd]": the same for every one
    }
  }
}

}  // namespace sysgate::trace
