#include "policy/promise.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <map>

#include "syscalls/syscall_table.h"

namespace sysgate::policy {

namespace {

struct PromiseInfo {
  Promise promise;
  std::string_view name;
  std::string_view summary;
};

constexpr std::array<PromiseInfo, 19> kPromises = {{
    {Promise::kStdio, "stdio",
     "I/O on descriptors already open, pipes, polling, memory without PROT_EXEC, time, own ids, exit"},
    {Promise::kRpath, "rpath", "read-only filesystem access by path: open O_RDONLY, stat, access, readlink, getdents"},
    {Promise::kWpath, "wpath", "open existing files for writing, truncate"},
    {Promise::kCpath, "cpath", "create, remove, rename and link files and directories"},
    {Promise::kTmppath, "tmppath",
     "a private temporary directory ($TMP, exported as TMPDIR) with read/write/create rights"},
    {Promise::kFattr, "fattr", "change file mode and times"},
    {Promise::kChown, "chown", "change file owner and group"},
    {Promise::kFlock, "flock", "advisory file locks (flock, fcntl record locks)"},
    {Promise::kInet, "inet", "IPv4 and IPv6 sockets: create, bind, listen, connect, accept"},
    {Promise::kUnix, "unix", "AF_UNIX sockets: create, bind, listen, connect, accept"},
    {Promise::kDns, "dns",
     "what name resolution needs: UDP/TCP sockets to connect and exchange datagrams, and reading resolver files"},
    {Promise::kProc, "proc", "fork, wait, signal other processes, process groups and sessions, scheduling"},
    {Promise::kThread, "thread", "create threads (clone with CLONE_THREAD), thread-directed signals"},
    {Promise::kExec, "exec", "execve/execveat (which files: the x file rules)"},
    {Promise::kProtExec, "prot_exec", "map or protect memory with PROT_EXEC (loading shared libraries)"},
    {Promise::kTty, "tty", "terminal ioctls: get/set attributes, window size, foreground process group"},
    {Promise::kId, "id", "change user, group and supplementary group ids"},
    {Promise::kTime, "time", "set the system clock"},
    {Promise::kSignal, "signal", "install handlers, alternate stacks, wait for and send signals, timers"},
}};

int nr_of(const char* name) {
  const syscalls::SyscallInfo* info = syscalls::by_name(name);
  if (info == nullptr) {
    std::fprintf(stderr, "sysgate: internal error: promise table names unknown syscall %s\n", name);
    std::abort();
  }
  return info->nr;
}

// Condition shorthands. Widths follow the kernel prototypes: int/unsigned int
// arguments are 32-bit, unsigned long (mmap prot/flags, clone flags) 64-bit.
Condition eq32(uint8_t arg, uint64_t v) { return Condition::compare(arg, 32, CmpOp::kEq, v); }
Condition in32(uint8_t arg, std::vector<uint64_t> set) { return Condition::in(arg, 32, std::move(set)); }
Condition masked32(uint8_t arg, uint64_t mask, uint64_t v) { return Condition::masked_eq(arg, 32, mask, v); }
Condition masked64(uint8_t arg, uint64_t mask, uint64_t v) { return Condition::masked_eq(arg, 64, mask, v); }
Condition none_of64(uint8_t arg, uint64_t bits) { return masked64(arg, bits, 0); }
Condition none_of32(uint8_t arg, uint64_t bits) { return masked32(arg, bits, 0); }

class GrantList {
 public:
  GrantList& add(std::initializer_list<const char*> names) {
    for (const char* n : names) grants_.push_back({nr_of(n), Condition::always()});
    return *this;
  }
  GrantList& add_if(const char* name, Condition when) {
    grants_.push_back({nr_of(name), std::move(when)});
    return *this;
  }
  // Calls that change a path's metadata (Grant::metadata).
  GrantList& add_metadata(std::initializer_list<const char*> names) {
    for (const char* n : names) grants_.push_back({nr_of(n), Condition::always(), true});
    return *this;
  }
  GrantList& add_metadata_if(const char* name, Condition when) {
    grants_.push_back({nr_of(name), std::move(when), true});
    return *this;
  }
  std::vector<Grant> take() { return std::move(grants_); }

 private:
  std::vector<Grant> grants_;
};

// Open-flag classes. The access mode is a 2-bit field, so "read-only" is a masked
// compare, not a bit test. O_TMPFILE creates an unnamed file: it counts as create.
// O_TMPFILE is this bit plus O_DIRECTORY; the bit alone tells it from a plain O_DIRECTORY open.
constexpr uint64_t kTmpfileBit = 020000000;
constexpr uint64_t kOpenShape = O_ACCMODE | O_CREAT | O_TRUNC | kTmpfileBit;
Condition open_read_only(uint8_t flags_arg) { return masked32(flags_arg, kOpenShape, O_RDONLY); }
Condition open_write_existing(uint8_t flags_arg) {
  return Condition::all_of({none_of32(flags_arg, O_CREAT | kTmpfileBit),
                            Condition::negate(masked32(flags_arg, O_ACCMODE, O_RDONLY))});
}
Condition open_create(uint8_t flags_arg) {
  return Condition::negate(none_of32(flags_arg, O_CREAT | kTmpfileBit));
}

// Namespace and other isolation-escaping clone flags are never granted.
constexpr uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                                     CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME;

std::vector<Grant> stdio() {
  GrantList g;
  g.add({"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2",
         "close", "close_range", "dup", "dup2", "dup3", "lseek", "fstat", "fsync", "fdatasync", "ftruncate",
         "sendfile", "copy_file_range", "splice", "tee", "fadvise64", "readahead"});
  // fstat() in glibc is newfstatat(fd, "", buf, AT_EMPTY_PATH). With a non-empty path
  // the kernel would stat that path: a metadata-only leak documented in docs/promises.md.
  g.add_if("newfstatat", Condition::negate(none_of32(3, AT_EMPTY_PATH)));
  g.add_if("statx", Condition::negate(none_of32(2, AT_EMPTY_PATH)));
  g.add({"brk", "munmap", "mremap", "madvise", "msync", "mincore", "mlock", "munlock", "mlock2",
         "membarrier"});
  g.add_if("mmap", none_of64(2, PROT_EXEC));
  g.add_if("mprotect", none_of64(2, PROT_EXEC));
  g.add({"exit", "exit_group", "restart_syscall", "rt_sigreturn", "rt_sigprocmask"});
  g.add({"getpid", "getppid", "gettid", "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid",
         "getgroups", "getpgrp", "getpgid", "getsid", "getrusage", "getrlimit", "umask", "uname", "sysinfo",
         "getcpu", "sched_getaffinity", "sched_yield", "getrandom", "getpriority"});
  // prlimit64(pid 0, resource, NULL, old): reading own limits only.
  g.add_if("prlimit64", Condition::all_of({eq32(0, 0), Condition::compare(2, 64, CmpOp::kEq, 0)}));
  g.add({"clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep", "clock_nanosleep"});
  g.add({"pipe", "pipe2", "poll", "ppoll", "select", "pselect6", "epoll_create", "epoll_create1", "epoll_ctl",
         "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "timerfd_create",
         "timerfd_settime", "timerfd_gettime", "memfd_create"});
  // Thread-local and per-thread bookkeeping every glibc program does at start.
  g.add({"arch_prctl", "set_tid_address", "set_robust_list", "get_robust_list", "rseq", "futex"});
  // Connected pairs only: a stream or seqpacket socket's sendmsg ignores or
  // refuses msg_name (unix_stream_sendmsg: EISCONN; unix_seqpacket_sendmsg
  // clears it), so nothing here can address another socket. A datagram pair
  // would send to any unix socket by path or abstract name through
  // sendmsg/sendmmsg's msg_name, which the filter cannot see
  // (Escape.StdioCannotAddressOtherSockets). The type's low bits; SOCK_NONBLOCK
  // and SOCK_CLOEXEC live above them.
  constexpr uint64_t kSocketTypeMask = 0xf;
  g.add_if("socketpair", Condition::all_of({eq32(0, AF_UNIX), Condition::any_of({masked32(1, kSocketTypeMask, SOCK_STREAM),
                                                                               masked32(1, kSocketTypeMask, SOCK_SEQPACKET)})}));
  g.add({"recvfrom", "recvmsg", "recvmmsg", "sendmsg", "sendmmsg", "shutdown", "getsockname", "getpeername",
         "getsockopt"});
  g.add_if("sendto", Condition::compare(4, 64, CmpOp::kEq, 0));  // no destination address
  g.add_if("fcntl", in32(1, {F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD, F_DUPFD_CLOEXEC, F_GET_SEALS,
                             F_ADD_SEALS, F_GETPIPE_SZ, F_SETPIPE_SZ, F_GETOWN, F_GETSIG}));
  // isatty() is TCGETS; the others only query or change the fd's own flags.
  g.add_if("ioctl", in32(1, {TCGETS, TIOCGWINSZ, FIONREAD, FIONBIO, FIOCLEX, FIONCLEX}));
  g.add_if("prctl", in32(0, {PR_GET_NAME, PR_SET_NAME, PR_GET_DUMPABLE, PR_SET_PDEATHSIG, PR_GET_PDEATHSIG,
                             PR_GET_NO_NEW_PRIVS, PR_GET_SECCOMP, PR_CAPBSET_READ, PR_GET_TIMERSLACK,
                             PR_SET_VMA}));
  return g.take();
}

std::vector<Grant> rpath() {
  GrantList g;
  g.add_if("open", open_read_only(1));
  g.add_if("openat", open_read_only(2));
  g.add({"stat", "lstat", "newfstatat", "statx", "access", "faccessat", "faccessat2", "readlink", "readlinkat",
         "getdents", "getdents64", "getcwd", "chdir", "fchdir", "statfs", "fstatfs", "getxattr", "lgetxattr",
         "fgetxattr", "listxattr", "llistxattr", "flistxattr", "inotify_init", "inotify_init1",
         "inotify_add_watch", "inotify_rm_watch"});
  return g.take();
}

std::vector<Grant> wpath() {
  GrantList g;
  g.add_if("open", open_write_existing(1));
  g.add_if("openat", open_write_existing(2));
  g.add({"truncate", "getcwd"});
  return g.take();
}

std::vector<Grant> cpath() {
  GrantList g;
  g.add_if("open", open_create(1));
  g.add_if("openat", open_create(2));
  g.add({"creat", "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2", "link",
         "linkat", "symlink", "symlinkat"});
  // mknod only for FIFOs and sockets: never device nodes.
  g.add_if("mknod", Condition::any_of({masked32(1, S_IFMT, S_IFIFO), masked32(1, S_IFMT, S_IFSOCK)}));
  g.add_if("mknodat", Condition::any_of({masked32(2, S_IFMT, S_IFIFO), masked32(2, S_IFMT, S_IFSOCK)}));
  return g.take();
}

std::vector<Grant> tmppath() {
  GrantList g;
  g.add_if("open", open_create(1));
  g.add_if("openat", open_create(2));
  g.add({"unlink", "unlinkat", "mkdir", "mkdirat", "rmdir", "rename", "renameat", "renameat2"});
  return g.take();
}

// fattr and chown: Landlock has no right for metadata, so with file rules
// the monitor judges every one of these against the write right
// (Grant::metadata): the path forms can name any file, and the descriptor
// forms act on any file the program could open, for reading too (utimensat
// with a NULL path is futimens).
std::vector<Grant> fattr() {
  GrantList g;
  g.add_metadata({"chmod", "fchmodat", "fchmodat2", "utime", "utimes", "futimesat", "setxattr", "lsetxattr",
                  "removexattr", "lremovexattr", "fchmod", "fsetxattr", "fremovexattr", "utimensat"});
  return g.take();
}

std::vector<Grant> chown() {
  GrantList g;
  g.add_metadata({"chown", "lchown", "fchownat", "fchown"});
  return g.take();
}

std::vector<Grant> flock() {
  GrantList g;
  g.add({"flock"});
  g.add_if("fcntl", in32(1, {F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW}));
  return g.take();
}

std::vector<Grant> socket_family(std::vector<uint64_t> families) {
  GrantList g;
  g.add_if("socket", in32(0, families));
  g.add_if("socketpair", in32(0, families));
  g.add({"connect", "bind", "listen", "accept", "accept4", "setsockopt", "getsockopt", "sendto", "sendmsg",
         "sendmmsg", "recvfrom", "recvmsg", "recvmmsg", "getsockname", "getpeername", "shutdown"});
  return g.take();
}

std::vector<Grant> dns() {
  GrantList g;
  constexpr uint64_t kTypeMask = 0xf;  // SOCK_NONBLOCK/SOCK_CLOEXEC live above the type
  g.add_if("socket", Condition::all_of({in32(0, {AF_INET, AF_INET6}),
                                        Condition::any_of({masked32(1, kTypeMask, SOCK_DGRAM),
                                                           masked32(1, kTypeMask, SOCK_STREAM)})}));
  g.add({"connect", "sendto", "sendmsg", "sendmmsg", "recvfrom", "recvmsg", "recvmmsg", "getsockname",
         "setsockopt", "bind"});
  return g.take();
}

std::vector<Grant> proc() {
  GrantList g;
  g.add({"fork", "vfork", "wait4", "waitid", "kill", "setpgid", "setsid", "getpgid", "setpriority",
         "sched_setaffinity", "sched_getparam", "sched_getscheduler", "sched_get_priority_max",
         "sched_get_priority_min", "pidfd_open", "pidfd_send_signal"});
  // Not pidfd_getfd: taking another process's descriptors is ptrace's power.
  g.add_if("clone", none_of64(0, kNamespaceFlags | CLONE_THREAD));
  // Setting limits on itself or children.
  g.add_if("prlimit64", eq32(0, 0));
  g.add_if("prctl", in32(0, {PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER}));
  return g.take();
}

std::vector<Grant> thread() {
  GrantList g;
  g.add_if("clone", Condition::all_of({none_of64(0, kNamespaceFlags),
                                       masked64(0, CLONE_THREAD | CLONE_VM, CLONE_THREAD | CLONE_VM)}));
  g.add({"tgkill", "tkill", "sched_setaffinity"});
  return g.take();
}

std::vector<Grant> exec() {
  GrantList g;
  g.add({"execve", "execveat"});
  return g.take();
}

std::vector<Grant> prot_exec() {
  GrantList g;
  g.add({"mmap", "mprotect", "pkey_mprotect", "pkey_alloc", "pkey_free"});
  return g.take();
}

std::vector<Grant> tty() {
  GrantList g;
  // TIOCSTI (inject input into the terminal) is deliberately absent.
  g.add_if("ioctl", in32(1, {TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, TIOCSWINSZ, TIOCGPGRP, TIOCSPGRP,
                             TCFLSH, TCXONC, TCSBRK, TIOCGSID, TIOCOUTQ}));
  return g.take();
}

std::vector<Grant> id() {
  GrantList g;
  g.add({"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups", "setfsuid",
         "setfsgid"});
  return g.take();
}

std::vector<Grant> time_() {
  GrantList g;
  g.add({"settimeofday", "clock_settime", "adjtimex", "clock_adjtime"});
  return g.take();
}

std::vector<Grant> signal() {
  GrantList g;
  g.add({"rt_sigaction", "rt_sigprocmask", "sigaltstack", "rt_sigsuspend", "rt_sigpending", "rt_sigtimedwait",
         "rt_sigqueueinfo", "rt_tgsigqueueinfo", "tgkill", "tkill", "alarm", "setitimer", "getitimer", "pause",
         "timer_create", "timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete", "signalfd",
         "signalfd4"});
  // kill(0, sig) signals the caller's process group; other targets need "proc".
  g.add_if("kill", eq32(0, 0));
  return g.take();
}

const std::map<Promise, std::vector<Grant>>& grant_table() {
  static const std::map<Promise, std::vector<Grant>> table = {
      {Promise::kStdio, stdio()},
      {Promise::kRpath, rpath()},
      {Promise::kWpath, wpath()},
      {Promise::kCpath, cpath()},
      {Promise::kTmppath, tmppath()},
      {Promise::kFattr, fattr()},
      {Promise::kChown, chown()},
      {Promise::kFlock, flock()},
      {Promise::kInet, socket_family({AF_INET, AF_INET6})},
      {Promise::kUnix, socket_family({AF_UNIX})},
      {Promise::kDns, dns()},
      {Promise::kProc, proc()},
      {Promise::kThread, thread()},
      {Promise::kExec, exec()},
      {Promise::kProtExec, prot_exec()},
      {Promise::kTty, tty()},
      {Promise::kId, id()},
      {Promise::kTime, time_()},
      {Promise::kSignal, signal()},
  };
  return table;
}

}  // namespace

const std::vector<Promise>& all_promises() {
  static const std::vector<Promise> all = [] {
    std::vector<Promise> v;
    for (const PromiseInfo& p : kPromises) v.push_back(p.promise);
    return v;
  }();
  return all;
}

std::string_view promise_name(Promise p) {
  for (const PromiseInfo& info : kPromises) {
    if (info.promise == p) return info.name;
  }
  return "?";
}

std::optional<Promise> promise_by_name(std::string_view name) {
  for (const PromiseInfo& info : kPromises) {
    if (info.name == name) return info.promise;
  }
  return std::nullopt;
}

std::string_view promise_summary(Promise p) {
  for (const PromiseInfo& info : kPromises) {
    if (info.promise == p) return info.summary;
  }
  return "";
}

const std::vector<Grant>& promise_grants(Promise p) { return grant_table().at(p); }

std::vector<Promise> promises_granting(int nr) {
  std::vector<Promise> out;
  for (Promise p : all_promises()) {
    for (const Grant& g : promise_grants(p)) {
      if (g.nr == nr) {
        out.push_back(p);
        break;
      }
    }
  }
  return out;
}

}  // namespace sysgate::policy
