// Real-kernel tests of the notification listener and ProcessMemory: a forked
// child installs a hand-written filter that notifies openat; the test process
// is the supervisor.
#include "sandbox/notify.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sandbox/raw_syscall.h"
#include "sandbox/seccomp_install.h"
#include "test_support.h"

namespace sysgate::sandbox {
namespace {

using test_support::describe_status;
using test_support::filter_with;
using test_support::TempDir;

// A forked child under {openat -> USER_NOTIF, everything else -> ALLOW}; the
// test holds a copy of its listener.
struct NotifyingChild {
  pid_t pid = -1;
  UniqueFd pidfd;
  Listener listener;
};

// Forks; the child installs the filter, writes its listener fd number to a
// pipe, waits until the test has copied the listener, then runs body() and
// _exits with its result.
template <typename Body>
NotifyingChild start_child(Body body) {
  bpf::Program program = filter_with({{__NR_openat, SECCOMP_RET_USER_NOTIF}}, SECCOMP_RET_ALLOW);
  int to_parent[2], to_child[2];
  if (pipe2(to_parent, O_CLOEXEC) != 0 || pipe2(to_child, O_CLOEXEC) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    int listener = -1;
    if (set_no_new_privs().ok()) {
      Result<int> installed = install_filter(program, {.new_listener = true});
      if (installed.ok()) listener = *installed;
    }
    if (::write(to_parent[1], &listener, sizeof(listener)) != sizeof(listener)) _exit(100);
    if (listener < 0) _exit(101);
    char ack;
    if (::read(to_child[0], &ack, 1) != 1) _exit(102);
    _exit(body());
  }
  ::close(to_parent[1]);
  ::close(to_child[0]);
  int remote = -1;
  ssize_t n = ::read(to_parent[0], &remote, sizeof(remote));
  ::close(to_parent[0]);
  NotifyingChild child;
  child.pid = pid;
  child.pidfd.reset(static_cast<int>(raw_syscall(__NR_pidfd_open, pid, 0)));
  if (n == sizeof(remote) && remote >= 0 && child.pidfd.valid()) {
    long fd = raw_syscall(__NR_pidfd_getfd, child.pidfd.get(), remote, 0);
    if (fd >= 0) child.listener = Listener(UniqueFd(static_cast<int>(fd)));
  }
  if (::write(to_child[1], "g", 1) != 1) child.listener = Listener();
  ::close(to_child[1]);
  return child;
}

int wait_status(pid_t pid) {
  int status = -1;
  ::waitpid(pid, &status, 0);
  return status;
}

long raw_openat(const char* path, int flags) {
  return raw_syscall(__NR_openat, AT_FDCWD, reinterpret_cast<long>(path), flags, 0);
}

// Receives one notification, waiting at most 5 s.
std::optional<Notification> next(Listener& listener) {
  Result<Readiness> ready = listener.wait(5000);
  if (!ready.ok() || !ready->notification) return std::nullopt;
  Result<std::optional<Notification>> n = listener.receive();
  if (!n.ok()) return std::nullopt;
  return *n;
}

TEST(Listener, AnswersErrorValueContinueAndInjectedFd) {
  TempDir tmp;
  std::string secret = tmp.write_file("secret", "hello from the supervisor");

  NotifyingChild child = start_child([] {
    if (raw_openat("/sysgate/deny", O_RDONLY) != -EPERM) return 1;
    if (raw_openat("/sysgate/value", O_RDONLY) != 42) return 2;
    long devnull = raw_openat("/dev/null", O_RDONLY);
    if (devnull < 0) return 3;
    long injected = raw_openat("/sysgate/inject", O_RDONLY);
    if (injected < 0) return 4;
    char buf[64] = {};
    ssize_t n = ::read(static_cast<int>(injected), buf, sizeof(buf) - 1);
    if (n <= 0 || std::strcmp(buf, "hello from the supervisor") != 0) return 5;
    if ((::fcntl(static_cast<int>(injected), F_GETFD) & FD_CLOEXEC) == 0) return 6;
    return 0;
  });
  ASSERT_TRUE(child.listener.valid());

  for (int step = 0; step < 4; ++step) {
    std::optional<Notification> n = next(child.listener);
    ASSERT_TRUE(n.has_value()) << "step " << step;
    EXPECT_EQ(n->pid, static_cast<uint32_t>(child.pid));
    EXPECT_EQ(n->data.nr, __NR_openat);
    EXPECT_EQ(n->data.arch, bpf::kArchX86_64);
    EXPECT_EQ(static_cast<int>(n->data.args[0]), AT_FDCWD);

    ProcessMemory memory(static_cast<pid_t>(n->pid));
    bool truncated = true;
    std::optional<std::string> path = memory.read_string(n->data.args[1], 4096, &truncated);
    ASSERT_TRUE(path.has_value()) << "step " << step;
    EXPECT_FALSE(truncated);

    Result<bool> valid = child.listener.id_valid(n->id);
    ASSERT_TRUE(valid.ok());
    EXPECT_TRUE(*valid);

    if (*path == "/sysgate/deny") {
      Result<Reply> r = child.listener.respond_error(n->id, EPERM);
      ASSERT_TRUE(r.ok()) << r.error().describe();
      EXPECT_EQ(*r, Reply::kDelivered);
    } else if (*path == "/sysgate/value") {
      Result<Reply> r = child.listener.respond_value(n->id, 42);
      ASSERT_TRUE(r.ok()) << r.error().describe();
    } else if (*path == "/dev/null") {
      Result<Reply> r = child.listener.respond_continue(n->id);
      ASSERT_TRUE(r.ok()) << r.error().describe();
    } else if (*path == "/sysgate/inject") {
      UniqueFd local(::open(secret.c_str(), O_RDONLY | O_CLOEXEC));
      ASSERT_TRUE(local.valid());
      Result<std::optional<int>> remote =
          child.listener.add_fd_and_respond(n->id, local.get(), true);
      ASSERT_TRUE(remote.ok()) << remote.error().describe();
      ASSERT_TRUE(remote->has_value());
      EXPECT_GE(**remote, 0);
    } else {
      FAIL() << "unexpected path " << *path;
    }
    // Answered: the id is no longer pending.
    Result<bool> after = child.listener.id_valid(n->id);
    ASSERT_TRUE(after.ok());
    EXPECT_FALSE(*after);
  }
  int status = wait_status(child.pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe_status(status);

  // Every task using the filter is gone: the listener hangs up.
  Result<Readiness> ready = child.listener.wait(1000);
  ASSERT_TRUE(ready.ok());
  EXPECT_TRUE(ready->no_targets);
  EXPECT_FALSE(ready->notification);
}

TEST(Listener, RespondErrorRejectsOutOfRangeErrno) {
  Listener listener;
  EXPECT_EQ(listener.respond_error(1, 0).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(listener.respond_error(1, 5000).error().code, ErrorCode::kInvalidArgument);
}

// The target dies after its notification was received: answers report
// kTargetGone instead of failing.
TEST(Listener, AnswersToADeadTargetReportGone) {
  NotifyingChild child = start_child([] {
    raw_openat("/sysgate/never-answered", O_RDONLY);
    return 0;
  });
  ASSERT_TRUE(child.listener.valid());
  std::optional<Notification> n = next(child.listener);
  ASSERT_TRUE(n.has_value());
  ::kill(child.pid, SIGKILL);
  int status = wait_status(child.pid);
  EXPECT_TRUE(WIFSIGNALED(status));

  Result<bool> valid = child.listener.id_valid(n->id);
  ASSERT_TRUE(valid.ok());
  EXPECT_FALSE(*valid);
  Result<Reply> reply = child.listener.respond_error(n->id, EPERM);
  ASSERT_TRUE(reply.ok()) << reply.error().describe();
  EXPECT_EQ(*reply, Reply::kTargetGone);
  Result<std::optional<int>> added = child.listener.add_fd_and_respond(n->id, 0, true);
  ASSERT_TRUE(added.ok()) << added.error().describe();
  EXPECT_FALSE(added->has_value());
}

// The target dies before its notification was received: receive() says so
// (nullopt) rather than blocking or failing.
TEST(Listener, ReceiveReportsAVanishedNotification) {
  NotifyingChild child = start_child([] {
    raw_openat("/sysgate/never-received", O_RDONLY);
    return 0;
  });
  ASSERT_TRUE(child.listener.valid());
  Result<Readiness> ready = child.listener.wait(5000);
  ASSERT_TRUE(ready.ok());
  ASSERT_TRUE(ready->notification);
  ::kill(child.pid, SIGKILL);
  wait_status(child.pid);

  Result<std::optional<Notification>> n = child.listener.receive();
  ASSERT_TRUE(n.ok()) << n.error().describe();
  EXPECT_FALSE(n->has_value());
  Result<Readiness> after = child.listener.wait(0);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->no_targets);
}

TEST(Listener, WaitWatchesAnotherDescriptor) {
  NotifyingChild child = start_child([] { return 0; });  // exits without notifying
  ASSERT_TRUE(child.listener.valid());
  int status = wait_status(child.pid);
  EXPECT_TRUE(WIFEXITED(status));
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  ASSERT_EQ(::write(write_end.get(), "x", 1), 1);
  Result<Readiness> ready = child.listener.wait(1000, read_end.get());
  ASSERT_TRUE(ready.ok());
  EXPECT_TRUE(ready->other);
  EXPECT_TRUE(ready->no_targets);
}

// --- ProcessMemory ---------------------------------------------------------

class ProcessMemoryTest : public ::testing::TestWithParam<ProcessMemory::Method> {};

// The child writes its own strings at addresses the parent also has (fork), so
// reading the parent's values would fail the test. One string ends just before
// an unmapped page.
TEST_P(ProcessMemoryTest, ReadsTheChildsMemoryPageAware) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  // Four pages; the second and fourth are unmapped (holes).
  char* area = static_cast<char*>(
      mmap(nullptr, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(area, MAP_FAILED);
  ASSERT_EQ(munmap(area + page, page), 0);
  ASSERT_EQ(munmap(area + 3 * page, page), 0);
  char* greeting = area;                 // "hello, child"
  char* edge = area + page - 5;          // "edge\0" in the last 5 bytes before a hole
  char* open_end = area + 3 * page - 3;  // "xyz" with no NUL before a hole
  std::strcpy(greeting, "hello, parent");

  int ready[2], done[2];
  ASSERT_EQ(pipe2(ready, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(done, O_CLOEXEC), 0);
  pid_t pid = fork();
  if (pid == 0) {
    std::strcpy(greeting, "hello, child");
    std::memcpy(edge, "edge", 5);
    std::memcpy(open_end, "xyz", 3);
    char c = 'r';
    if (::write(ready[1], &c, 1) != 1) _exit(1);
    (void)::read(done[0], &c, 1);
    _exit(0);
  }
  ::close(ready[1]);
  ::close(done[0]);
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);

  ProcessMemory memory(pid, GetParam());
  auto addr = [](const char* p) { return reinterpret_cast<uint64_t>(p); };
  bool truncated = true;
  EXPECT_EQ(memory.read_string(addr(greeting), 100, &truncated), "hello, child");
  EXPECT_FALSE(truncated);
  EXPECT_EQ(memory.read_string(addr(greeting), 5, &truncated), "hello");
  EXPECT_TRUE(truncated);
  EXPECT_EQ(memory.read_string(addr(greeting), 12, &truncated), "hello, child");
  EXPECT_FALSE(truncated);  // exactly max_len bytes, then the NUL
  EXPECT_EQ(memory.read_string(addr(edge), 4096, &truncated), "edge");
  EXPECT_FALSE(truncated);
  EXPECT_EQ(memory.read_string(addr(open_end), 100, &truncated), std::nullopt);
  EXPECT_EQ(memory.read_string(addr(open_end), 3, &truncated), "xyz");
  EXPECT_TRUE(truncated);
  EXPECT_EQ(memory.read_string(addr(area + page), 10, nullptr), std::nullopt);
  EXPECT_EQ(memory.read_bytes(addr(greeting), 5), "hello");
  EXPECT_EQ(memory.read_bytes(addr(open_end), 3), "xyz");
  EXPECT_EQ(memory.read_bytes(addr(open_end), 4), std::nullopt);
  EXPECT_EQ(memory.read_bytes(addr(greeting), 0), "");
  EXPECT_EQ(memory.read_bytes(addr(greeting), ProcessMemory::kMaxRead + 1), std::nullopt);
  EXPECT_EQ(memory.read_bytes(~uint64_t{0} - 1, 4), std::nullopt);

  ASSERT_EQ(::write(done[1], "d", 1), 1);
  ::close(done[1]);
  ::close(ready[0]);
  int status = wait_status(pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe_status(status);
  munmap(area, page);
  munmap(area + 2 * page, page);

  // The process is gone (reaped): nothing can be read.
  ProcessMemory gone(pid, GetParam());
  EXPECT_EQ(gone.read_bytes(addr(greeting), 5), std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(Methods, ProcessMemoryTest,
                         ::testing::Values(ProcessMemory::Method::kAuto,
                                           ProcessMemory::Method::kProcMemOnly));

}  // namespace
}  // namespace sysgate::sandbox
