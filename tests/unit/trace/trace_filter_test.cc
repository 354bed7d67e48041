// parse_trace_filter: strace's -e trace=SET, with strace 6.1's answers (run
// against `strace -e trace=SET true`) and its class tables.
#include "trace/trace_filter.h"

#include <signal.h>

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "syscalls/syscall_table.h"
#include "trace/signal_filter.h"

namespace sysgate::trace {
namespace {

int nr(const char* name) { return syscalls::by_name(name)->nr; }

std::set<std::string> names(const std::vector<int>& numbers, int up_to) {
  std::set<std::string> out;
  for (const int n : numbers) {
    if (n <= up_to) out.insert(syscalls::display_name(n));
  }
  return out;
}

// strace's syscallent.h for x86-64 (numbers 0..464): the calls flagged TF and TD.
const std::set<std::string> kStraceFile = {
    "open", "stat", "lstat", "access", "execve", "truncate", "getcwd", "chdir", "rename", "mkdir", "rmdir",
    "creat", "link", "unlink", "symlink", "readlink", "chmod", "chown", "lchown", "utime", "mknod", "uselib",
    "statfs", "pivot_root", "chroot", "acct", "mount", "umount2", "swapon", "swapoff", "quotactl", "setxattr",
    "lsetxattr", "getxattr", "lgetxattr", "listxattr", "llistxattr", "removexattr", "lremovexattr", "utimes",
    "inotify_add_watch", "openat", "mkdirat", "mknodat", "fchownat", "futimesat", "newfstatat", "unlinkat",
    "renameat", "linkat", "symlinkat", "readlinkat", "fchmodat", "faccessat", "utimensat", "fanotify_mark",
    "name_to_handle_at", "renameat2", "execveat", "statx", "open_tree", "move_mount", "fsconfig", "fspick",
    "openat2", "faccessat2", "mount_setattr", "fchmodat2", "setxattrat", "getxattrat"};
const std::set<std::string> kStraceDesc = {
    "read", "write", "open", "close", "fstat", "poll", "lseek", "mmap", "ioctl", "pread64", "pwrite64", "readv",
    "writev", "pipe", "select", "dup", "dup2", "sendfile", "fcntl", "flock", "fsync", "fdatasync", "ftruncate",
    "getdents", "fchdir", "creat", "fchmod", "fchown", "fstatfs", "readahead", "fsetxattr", "fgetxattr",
    "flistxattr", "fremovexattr", "epoll_create", "getdents64", "fadvise64", "epoll_wait", "epoll_ctl",
    "mq_open", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr", "inotify_init",
    "inotify_add_watch", "inotify_rm_watch", "openat", "mkdirat", "mknodat", "fchownat", "futimesat",
    "newfstatat", "unlinkat", "renameat", "linkat", "symlinkat", "readlinkat", "fchmodat", "faccessat",
    "pselect6", "ppoll", "splice", "tee", "sync_file_range", "vmsplice", "utimensat", "epoll_pwait", "signalfd",
    "timerfd_create", "eventfd", "fallocate", "timerfd_settime", "timerfd_gettime", "signalfd4", "eventfd2",
    "epoll_create1", "dup3", "pipe2", "inotify_init1", "preadv", "pwritev", "perf_event_open", "fanotify_init",
    "fanotify_mark", "name_to_handle_at", "open_by_handle_at", "syncfs", "setns", "finit_module", "renameat2",
    "memfd_create", "kexec_file_load", "bpf", "execveat", "userfaultfd", "copy_file_range", "preadv2",
    "pwritev2", "statx", "pidfd_send_signal", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "pidfd_open", "openat2",
    "pidfd_getfd", "faccessat2", "process_madvise", "epoll_pwait2", "mount_setattr", "quotactl_fd",
    "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self", "memfd_secret",
    "process_mrelease", "cachestat", "fchmodat2", "setxattrat", "getxattrat"};

TEST(TraceFilter, DerivedClassesEqualStraces) {
  EXPECT_EQ(names(*syscall_class("file"), 464), kStraceFile);
  EXPECT_EQ(names(*syscall_class("desc"), 464), kStraceDesc);
}

TEST(TraceFilter, ListedClassesNameOnlyKnownSyscalls) {
  const size_t expected[][2] = {{0, 16}, {1, 21}, {2, 17}, {3, 12}, {4, 28}, {5, 19}, {6, 8}, {7, 8}};
  const char* listed[] = {"process", "network", "signal", "ipc", "memory", "creds", "clock", "pure"};
  for (const auto& [index, size] : expected) {
    EXPECT_EQ(syscall_class(listed[index])->size(), size) << listed[index];
  }
  EXPECT_EQ(*syscall_class("net"), *syscall_class("network"));
  EXPECT_EQ(names(*syscall_class("%stat"), 999),
            (std::set<std::string>{"stat", "fstat", "lstat", "newfstatat", "statx"}));
  EXPECT_EQ(names(*syscall_class("%statfs"), 999), (std::set<std::string>{"ustat", "statfs", "fstatfs"}));
  EXPECT_FALSE(syscall_class("nosuch").has_value());
}

TEST(TraceFilter, DefaultSelectsEverything) {
  const TraceFilter all;
  EXPECT_TRUE(all.matches(nr("read")));
  EXPECT_TRUE(all.matches(999));
  EXPECT_TRUE(all.matches(-1));
}

TEST(TraceFilter, Names) {
  const Result<TraceFilter> f = parse_trace_filter("openat,close");
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->selected(), (std::vector<int>{nr("close"), nr("openat")}));
  EXPECT_TRUE((*f)(nr("openat")));
  EXPECT_FALSE(f->matches(nr("read")));
  EXPECT_FALSE(f->matches(999));
  // Empty tokens are skipped; numbers and the @64 personality are names too.
  EXPECT_EQ(parse_trace_filter(",close,,")->selected(), std::vector<int>{nr("close")});
  EXPECT_EQ(parse_trace_filter("3")->selected(), std::vector<int>{nr("close")});
  EXPECT_EQ(parse_trace_filter("close@64")->selected(), std::vector<int>{nr("close")});
  EXPECT_TRUE(parse_trace_filter("close@32")->selected().empty());  // valid, but not x86-64's
}

TEST(TraceFilter, NegationInvertsTheWholeSet) {
  const Result<TraceFilter> f = parse_trace_filter("!openat,close");
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->matches(nr("openat")));
  EXPECT_FALSE(f->matches(nr("close")));
  EXPECT_TRUE(f->matches(nr("read")));
  EXPECT_TRUE(f->matches(999));  // strace traces calls it does not know under "!"
  EXPECT_TRUE(parse_trace_filter("!all")->selected().empty());
  EXPECT_FALSE(parse_trace_filter("!all")->matches(999));
  EXPECT_TRUE(parse_trace_filter("none")->selected().empty());
  EXPECT_TRUE(parse_trace_filter("!none")->matches(nr("read")));
  EXPECT_TRUE(parse_trace_filter("all")->matches(999));
}

TEST(TraceFilter, ClassesRegexesAndOptionalTokens) {
  const Result<TraceFilter> file = parse_trace_filter("%file");
  ASSERT_TRUE(file.ok());
  EXPECT_TRUE(file->matches(nr("openat")));
  EXPECT_TRUE(file->matches(nr("execve")));
  EXPECT_FALSE(file->matches(nr("read")));
  EXPECT_EQ(parse_trace_filter("file")->selected(), file->selected());  // legacy spelling
  EXPECT_EQ(parse_trace_filter("%net")->selected(), parse_trace_filter("%network")->selected());
  const Result<TraceFilter> process = parse_trace_filter("%process,%memory");
  EXPECT_TRUE(process->matches(nr("clone3")));
  EXPECT_TRUE(process->matches(nr("exit_group")));
  EXPECT_TRUE(process->matches(nr("brk")));
  EXPECT_FALSE(process->matches(nr("openat")));
  EXPECT_TRUE(parse_trace_filter("%signal")->matches(nr("rt_sigaction")));
  EXPECT_TRUE(parse_trace_filter("%desc")->matches(nr("read")));
  EXPECT_FALSE(parse_trace_filter("%desc")->matches(nr("connect")));
  EXPECT_EQ(parse_trace_filter("/^exit")->selected(), (std::vector<int>{nr("exit"), nr("exit_group")}));
  EXPECT_EQ(parse_trace_filter("?nosuch,close")->selected(), std::vector<int>{nr("close")});
  EXPECT_EQ(parse_trace_filter("?%nosuch,close")->selected(), std::vector<int>{nr("close")});
}

TEST(TraceFilter, ErrorsNameTheTokenAsStraceDoes) {
  const auto message = [](const char* set) {
    const Result<TraceFilter> f = parse_trace_filter(set);
    return f.ok() ? std::string("ok") : f.error().message;
  };
  EXPECT_EQ(message("opne"), "invalid system call 'opne'");
  EXPECT_EQ(message("%nosuch"), "invalid system call '%nosuch'");
  EXPECT_EQ(message("openat,!close"), "invalid system call '!close'");
  EXPECT_EQ(message("net"), "invalid system call 'net'");  // only %net
  EXPECT_EQ(message("CLOSE"), "invalid system call 'CLOSE'");
  EXPECT_EQ(message("99999"), "invalid system call '99999'");
  EXPECT_EQ(message("/xyzzy"), "invalid system call '/xyzzy'");
  EXPECT_EQ(message(""), "invalid system call ''");
  EXPECT_EQ(message("close@16"), "invalid system call 'close@16'");
  EXPECT_EQ(message("/[").rfind("regcomp: [: ", 0), 0u) << message("/[");
  EXPECT_EQ(parse_trace_filter("opne").error().code, ErrorCode::kUnknownName);
}

}  // namespace
}  // namespace sysgate::trace

namespace sysgate::trace {
namespace {

// -e signal=SET: names with or without SIG in any case, numbers, all/none,
// "!" inverting the whole set; anything else is an error naming it.
TEST(SignalFilter, ParsesStracesSignalSets) {
  Result<SignalFilter> usr = parse_signal_filter("SIGUSR1,usr2,9");
  ASSERT_TRUE(usr) << usr.error().message;
  EXPECT_TRUE(usr->matches(SIGUSR1));
  EXPECT_TRUE(usr->matches(SIGUSR2));
  EXPECT_TRUE(usr->matches(SIGKILL));
  EXPECT_FALSE(usr->matches(SIGCHLD));
  Result<SignalFilter> not_child = parse_signal_filter("!SIGCHLD");
  ASSERT_TRUE(not_child);
  EXPECT_FALSE(not_child->matches(SIGCHLD));
  EXPECT_TRUE(not_child->matches(SIGALRM));
  EXPECT_TRUE(not_child->matches(64));
  Result<SignalFilter> none = parse_signal_filter("none");
  ASSERT_TRUE(none);
  for (int sig = 1; sig <= 64; ++sig) EXPECT_FALSE(none->matches(sig)) << sig;
  Result<SignalFilter> all = parse_signal_filter("all");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->matches(1));
  EXPECT_TRUE(all->matches(64));
  EXPECT_FALSE(all->matches(0));
  EXPECT_FALSE(all->matches(65));
  EXPECT_TRUE(SignalFilter().matches(SIGTERM));  // the default: every signal
  for (const char* bad : {"USR3", "65", "0", "SIGUSR1,bogus", "-1"}) {
    Result<SignalFilter> r = parse_signal_filter(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("invalid signal"), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace sysgate::trace
