// trace::FdPaths (strace -y's names) over hand-built records, with a fake
// system: which /proc/PID/fd links exist, and which paths resolve to what.
#include "trace/fd_paths.h"
#include "trace/path_filter.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cstring>
#include <map>
#include <string>
#include <utility>

#include <gtest/gtest.h>

namespace sysgate::trace {
namespace {

Record call(int nr, std::initializer_list<uint64_t> args, int64_t ret, int32_t pid = 100) {
  Record r;
  r.kind = kRecordSyscall;
  r.nr = nr;
  r.pid = pid;
  r.tid = pid;
  int i = 0;
  for (uint64_t a : args) r.args[i++] = a;
  r.ret = ret;
  return r;
}

Record with_path(Record r, int arg, std::string text) {
  r.payloads.push_back(Payload{.arg = arg, .kind = kPayloadPath, .truncated = false, .addr = r.args[arg], .bytes = std::move(text)});
  return r;
}

constexpr uint64_t kAtFdcwd = static_cast<uint64_t>(static_cast<int64_t>(AT_FDCWD));

struct FakeSystem {
  std::map<std::pair<int32_t, int>, std::string> links;  // (pid, fd) -> /proc link
  std::map<std::string, std::string> resolves;            // path -> realpath

  FdPaths::Probe probe() {
    FdPaths::Probe p;
    p.link = [this](int32_t pid, int fd) -> std::optional<std::string> {
      auto it = links.find({pid, fd});
      if (it == links.end()) return std::nullopt;
      return it->second;
    };
    p.resolve = [this](const std::string& path) -> std::optional<std::string> {
      auto it = resolves.find(path);
      if (it == resolves.end()) return std::nullopt;
      return it->second;
    };
    return p;
  }
};

std::string name(FdPaths& paths, int32_t pid, int fd) {
  const std::string* p = paths.path(pid, fd);
  return p != nullptr ? *p : "(none)";
}

TEST(FdPaths, OpensDupsAndCloses) {
  FakeSystem sys;
  sys.resolves["/lib/libc.so.6"] = "/usr/lib/libc.so.6";  // /lib -> usr/lib
  FdPaths paths(sys.probe());
  paths.start(100, "/home/u", {{0, "/dev/null"}, {1, "/dev/pts/0"}});
  EXPECT_EQ(*paths.cwd(100), "/home/u");
  EXPECT_EQ(name(paths, 100, 1), "/dev/pts/0");

  paths.after(with_path(call(SYS_openat, {kAtFdcwd, 0x1000, O_RDONLY | O_CLOEXEC}, 3), 1, "/lib/libc.so.6"));
  EXPECT_EQ(name(paths, 100, 3), "/usr/lib/libc.so.6");  // resolved, as the kernel names it
  paths.after(with_path(call(SYS_open, {0x1000, O_WRONLY}, 4), 0, "notes.txt"));
  EXPECT_EQ(name(paths, 100, 4), "/home/u/notes.txt");  // relative to the working directory
  paths.after(with_path(call(SYS_openat, {4, 0x1000, O_RDONLY}, 5), 1, "x"));
  EXPECT_EQ(name(paths, 100, 5), "/home/u/notes.txt/x");  // relative to the dirfd

  paths.after(call(SYS_dup2, {3, 1}, 1));
  EXPECT_EQ(name(paths, 100, 1), "/usr/lib/libc.so.6");
  paths.after(call(SYS_fcntl, {4, F_DUPFD_CLOEXEC, 10}, 10));
  EXPECT_EQ(name(paths, 100, 10), "/home/u/notes.txt");
  paths.after(call(SYS_close, {3}, 0));
  EXPECT_EQ(name(paths, 100, 3), "(none)");
  paths.after(call(SYS_dup, {3}, 6));  // of a closed descriptor: no name to copy
  EXPECT_EQ(name(paths, 100, 6), "(none)");
  paths.after(call(SYS_close_range, {5, ~0u, 0}, 0));
  EXPECT_EQ(name(paths, 100, 5), "(none)");
  EXPECT_EQ(name(paths, 100, 10), "(none)");
  EXPECT_EQ(name(paths, 100, 4), "/home/u/notes.txt");

  // A failed call changes nothing.
  paths.after(call(SYS_close, {4}, -EBADF));
  EXPECT_EQ(name(paths, 100, 4), "/home/u/notes.txt");
}

TEST(FdPaths, ExecDropsCloseOnExecDescriptors) {
  FakeSystem sys;
  FdPaths paths(sys.probe());
  paths.start(100, "/", {});
  paths.after(with_path(call(SYS_openat, {kAtFdcwd, 0x1000, O_RDONLY | O_CLOEXEC}, 3), 1, "/a"));
  paths.after(with_path(call(SYS_openat, {kAtFdcwd, 0x1000, O_RDONLY}, 4), 1, "/b"));
  paths.after(with_path(call(SYS_openat, {kAtFdcwd, 0x1000, O_RDONLY}, 5), 1, "/c"));
  paths.after(call(SYS_fcntl, {5, F_SETFD, FD_CLOEXEC}, 0));
  paths.after(call(SYS_dup3, {4, 6, O_CLOEXEC}, 6));
  paths.after(call(SYS_execve, {0x1000, 0x2000, 0x3000}, 0));
  EXPECT_EQ(name(paths, 100, 3), "(none)");
  EXPECT_EQ(name(paths, 100, 4), "/b");
  EXPECT_EQ(name(paths, 100, 5), "(none)");
  EXPECT_EQ(name(paths, 100, 6), "(none)");
}

TEST(FdPaths, ChildrenInheritTheTable) {
  FakeSystem sys;
  FdPaths paths(sys.probe());
  paths.start(100, "/w", {{1, "/dev/pts/0"}});
  paths.after(with_path(call(SYS_openat, {kAtFdcwd, 0x1000, O_RDONLY | O_CLOEXEC}, 3), 1, "/a"));
  // fork: the child's own records come after its parent's clone record.
  paths.after(call(SYS_clone, {SIGCHLD, 0, 0, 0, 0}, 200));
  EXPECT_EQ(name(paths, 200, 3), "/a");
  EXPECT_EQ(*paths.cwd(200), "/w");
  paths.after(call(SYS_close, {3}, 0, 200));
  EXPECT_EQ(name(paths, 200, 3), "(none)");
  EXPECT_EQ(name(paths, 100, 3), "/a");  // the parent's own table is its own
  // A thread shares its process's table: nothing to copy.
  paths.after(call(SYS_clone, {CLONE_VM | CLONE_FILES | CLONE_THREAD | CLONE_SIGHAND, 0, 0, 0, 0}, 101));
  EXPECT_EQ(name(paths, 101, 3), "(none)");

  // vfork: the child's records (it closed 1, exec'd) come before the parent's.
  paths.after(with_path(call(SYS_openat, {kAtFdcwd, 0x1000, O_RDONLY}, 4), 1, "/b"));
  paths.after(call(SYS_close, {1}, 0, 300));
  paths.after(call(SYS_execve, {0x1000, 0x2000, 0x3000}, 0, 300));
  EXPECT_EQ(name(paths, 300, 3), "(none)");  // not known while its lines are printed
  paths.after(call(SYS_vfork, {}, 300));
  EXPECT_EQ(name(paths, 300, 1), "(none)");  // it closed 1 itself
  EXPECT_EQ(name(paths, 300, 3), "(none)");  // close-on-exec, and it exec'd
  EXPECT_EQ(name(paths, 300, 4), "/b");      // inherited, and untouched since
  EXPECT_EQ(*paths.cwd(300), "/w");
}

// clone3 (posix_spawn's, pthread_create's): its flags are in struct
// clone_args, which the record carries as the payload of argument 0.
TEST(FdPaths, Clone3ChildrenInheritUnlessTheyShareTheTable) {
  FakeSystem sys;
  FdPaths paths(sys.probe());
  paths.start(100, "/w", {{7, "/inherited"}});
  auto clone3 = [](uint64_t flags, int64_t child) {
    Record r = call(SYS_clone3, {0x5000, 88}, child);
    std::string args(88, '\0');
    std::memcpy(args.data(), &flags, sizeof flags);
    r.payloads.push_back(Payload{.arg = 0, .kind = kPayloadStructIn, .truncated = false, .addr = 0x5000, .bytes = args});
    return r;
  };
  paths.after(clone3(CLONE_VM | CLONE_VFORK, 200));  // posix_spawn
  EXPECT_EQ(name(paths, 200, 7), "/inherited");
  paths.after(clone3(CLONE_VM | CLONE_FILES | CLONE_THREAD | CLONE_SIGHAND, 101));  // a thread
  EXPECT_EQ(name(paths, 101, 7), "(none)");
  Record unknown = call(SYS_clone3, {0x5000, 88}, 300);  // no payload: nothing assumed
  paths.after(unknown);
  EXPECT_EQ(name(paths, 300, 7), "(none)");
}

// The calls the gate must record for -y even outside -e trace=SET.
TEST(FdPaths, FollowsTheCallsThatMakeCopyAndDropDescriptors) {
  for (int nr : {SYS_openat, SYS_dup2, SYS_fcntl, SYS_close_range, SYS_pipe2, SYS_socket, SYS_eventfd2, SYS_execve,
                 SYS_clone3, SYS_vfork, SYS_chdir, SYS_memfd_create}) {
    EXPECT_TRUE(FdPaths::follows(nr)) << nr;
  }
  for (int nr : {SYS_read, SYS_write, SYS_getpid, SYS_mmap, SYS_newfstatat}) EXPECT_FALSE(FdPaths::follows(nr)) << nr;
}

TEST(FdPaths, UnnamedObjectsAreAskedOfTheSystemAndChecked) {
  FakeSystem sys;
  sys.links[{100, 3}] = "socket:[4242]";
  sys.links[{100, 4}] = "/etc/passwd";  // 4 was a pipe, closed and reused before the monitor looked
  sys.links[{100, 5}] = "pipe:[77]";
  FdPaths paths(sys.probe());
  paths.start(100, "/", {});
  paths.after(call(SYS_socket, {AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0}, 3));
  EXPECT_EQ(name(paths, 100, 3), "socket:[4242]");
  Record pipe = call(SYS_pipe2, {0x1000, 0}, 0);
  int32_t fds[2] = {4, 5};
  pipe.payloads.push_back(Payload{.arg = 0, .kind = kPayloadStructOut, .truncated = false, .addr = 0x1000,
                                  .bytes = std::string(reinterpret_cast<const char*>(fds), sizeof fds)});
  paths.after(pipe);
  EXPECT_EQ(name(paths, 100, 4), "(none)");  // not a pipe any more: no guess
  EXPECT_EQ(name(paths, 100, 5), "pipe:[77]");
  // Objects the kernel names the same every time need no probe.
  paths.after(call(SYS_eventfd2, {0, 0}, 6));
  EXPECT_EQ(name(paths, 100, 6), "anon_inode:[eventfd]");
  paths.after(with_path(call(SYS_memfd_create, {0x1000, 0}, 7), 0, "jit"));
  EXPECT_EQ(name(paths, 100, 7), "/memfd:jit (deleted)");
  EXPECT_TRUE(FdPaths::returns_fd(call(SYS_socket, {AF_UNIX, SOCK_STREAM, 0}, 3)));
  EXPECT_FALSE(FdPaths::returns_fd(call(SYS_read, {3, 0x1000, 10}, 3)));
}

// With -y the gate records the inodes of the sockets and pipes a call made,
// while they are open: names that need no probe, and that a descriptor closed
// (or reused) before the monitor looked keeps.
TEST(FdPaths, SocketsAndPipesAreNamedFromTheInodesTheGateRecorded) {
  FakeSystem sys;
  sys.links[{100, 3}] = "/etc/passwd";  // reused since: the probe would find no socket
  FdPaths paths(sys.probe());
  paths.start(100, "/", {});
  Record socket = call(SYS_socket, {AF_UNIX, SOCK_STREAM, 0}, 3);
  socket.fd_inodes[0] = 4242;
  paths.after(socket);
  EXPECT_EQ(name(paths, 100, 3), "socket:[4242]");
  Record accepted = call(SYS_accept4, {3, 0, 0, SOCK_CLOEXEC}, 8);
  accepted.fd_inodes[0] = 99;
  paths.after(accepted);
  EXPECT_EQ(name(paths, 100, 8), "socket:[99]");
  Record pipe = call(SYS_pipe2, {0x1000, O_CLOEXEC}, 0);
  int32_t fds[2] = {4, 5};
  pipe.payloads.push_back(Payload{.arg = 0, .kind = kPayloadStructOut, .truncated = false, .addr = 0x1000,
                                  .bytes = std::string(reinterpret_cast<const char*>(fds), sizeof fds)});
  pipe.fd_inodes[0] = pipe.fd_inodes[1] = 77;
  paths.after(pipe);
  EXPECT_EQ(name(paths, 100, 4), "pipe:[77]");
  EXPECT_EQ(name(paths, 100, 5), "pipe:[77]");
  Record pair = call(SYS_socketpair, {AF_UNIX, SOCK_STREAM, 0, 0x3000}, 0);
  int32_t sv[2] = {6, 7};
  pair.payloads.push_back(Payload{.arg = 3, .kind = kPayloadStructOut, .truncated = false, .addr = 0x3000,
                                  .bytes = std::string(reinterpret_cast<const char*>(sv), sizeof sv)});
  pair.fd_inodes[0] = 90;
  pair.fd_inodes[1] = 91;
  paths.after(pair);
  EXPECT_EQ(name(paths, 100, 6), "socket:[90]");
  EXPECT_EQ(name(paths, 100, 7), "socket:[91]");
  EXPECT_EQ(FdPaths::fd_array_arg(pair), 3);
  EXPECT_EQ(FdPaths::fd_array_arg(pipe), 0);
  paths.after(call(SYS_execve, {0x1000, 0x2000, 0x3000}, 0));  // pipe2's O_CLOEXEC, accept4's SOCK_CLOEXEC
  EXPECT_EQ(name(paths, 100, 4), "(none)");
  EXPECT_EQ(name(paths, 100, 8), "(none)");
  EXPECT_EQ(name(paths, 100, 3), "socket:[4242]");
}

// -P: a call is selected by a path argument spelled as given (or as its
// realpath), or by a descriptor argument that names it, before the call.
TEST(PathFilter, SelectsCallsByPathArgumentOrDescriptor) {
  FakeSystem sys;
  FdPaths paths(sys.probe());
  paths.start(100, "/home/u", {});
  const PathFilter filter({"/etc/hostname", "notes.txt"});
  const Record open = with_path(call(SYS_openat, {kAtFdcwd, 0x1000, O_RDONLY}, 3), 1, "/etc/hostname");
  EXPECT_TRUE(filter.selects(open, paths));
  paths.after(open);
  EXPECT_TRUE(filter.selects(call(SYS_read, {3, 0x2000, 10}, 3), paths));
  EXPECT_TRUE(filter.selects(call(SYS_mmap, {0, 4096, 1, 2, 3, 0}, 0x7f0000), paths));  // mmap's fd
  EXPECT_FALSE(filter.selects(call(SYS_read, {4, 0x2000, 10}, 3), paths));
  EXPECT_TRUE(filter.selects(call(SYS_close, {3}, 0), paths));
  paths.after(call(SYS_close, {3}, 0));
  EXPECT_FALSE(filter.selects(call(SYS_read, {3, 0x2000, 10}, -EBADF), paths));
  // Spelled as the program passed it: relative only if given relative.
  EXPECT_TRUE(filter.selects(with_path(call(SYS_open, {0x1000, O_RDONLY}, 5), 0, "notes.txt"), paths));
  EXPECT_FALSE(filter.selects(with_path(call(SYS_open, {0x1000, O_RDONLY}, 5), 0, "./notes.txt"), paths));
  // A dirfd that names it selects the call too; AT_FDCWD is no argument.
  paths.after(with_path(call(SYS_openat, {kAtFdcwd, 0x1000, O_RDONLY | O_DIRECTORY}, 6), 1, "/etc/hostname"));
  EXPECT_TRUE(filter.selects(with_path(call(SYS_openat, {6, 0x1000, O_RDONLY}, -ENOTDIR), 1, "x"), paths));
  EXPECT_FALSE(filter.selects(with_path(call(SYS_openat, {kAtFdcwd, 0x1000, O_RDONLY}, 7), 1, "/etc/passwd"), paths));
  // A path the record cut short matches nothing.
  Record cut = with_path(call(SYS_openat, {kAtFdcwd, 0x1000, O_RDONLY}, 8), 1, "/etc/hostname");
  cut.payloads[0].truncated = true;
  EXPECT_FALSE(filter.selects(cut, paths));
  // The realpath of a path given through a symlink is selected as well.
  const PathFilter linked({"/proc/self/root/etc"});
  EXPECT_TRUE(linked.names("/etc"));
}

TEST(FdPaths, WorkingDirectoryFollowsChdir) {
  FakeSystem sys;
  sys.resolves["/home/u/../tmp"] = "/tmp";
  FdPaths paths(sys.probe());
  paths.start(100, "/home/u", {});
  paths.after(with_path(call(SYS_chdir, {0x1000}, 0), 0, "../tmp"));
  EXPECT_EQ(*paths.cwd(100), "/tmp");
  paths.after(with_path(call(SYS_openat, {kAtFdcwd, 0x1000, O_RDONLY | O_DIRECTORY}, 3), 1, "/var"));
  paths.after(call(SYS_fchdir, {3}, 0));
  EXPECT_EQ(*paths.cwd(100), "/var");
  paths.after(call(SYS_exit_group, {0}, 0));  // not a completed call: ignored
  Record exit = call(SYS_exit_group, {0}, 0);
  exit.kind = kRecordExit;
  paths.after(exit);
  EXPECT_EQ(paths.cwd(100), nullptr);  // gone: a reused pid starts afresh
}

}  // namespace
}  // namespace sysgate::trace
