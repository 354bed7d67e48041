// fork, vfork, posix_spawn, execve and threads under the gate.
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gate_test_support.h"
#include "trace/formatter.h"

extern char** environ;

namespace sysgate::gate::test {
namespace {

int count_mappings() {
  std::ifstream maps("/proc/self/maps");
  int n = 0;
  for (std::string line; std::getline(maps, line);) ++n;
  return n;
}

TEST(GateProcesses, ForkAndWaitpid) {
  TracedRun run = run_traced([] {
    int fds[2];
    CHILD_CHECK(pipe(fds) == 0);
    const pid_t parent = getpid();
    const pid_t child = fork();
    CHILD_CHECK(child >= 0);
    if (child == 0) {
      if (getppid() != parent) _exit(2);
      const char msg[] = "grandchild";
      if (write(fds[1], msg, sizeof msg - 1) != sizeof msg - 1) _exit(3);
      _exit(7);
    }
    int status = 0;
    CHILD_CHECK(waitpid(child, &status, 0) == child);
    CHILD_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
    char buf[32] = {};
    CHILD_CHECK(read(fds[0], buf, sizeof buf) == 10);
    CHILD_CHECK(std::string(buf) == "grandchild");
    return 0;
  });
  ASSERT_EQ(exit_code(run.status), 0);
  const trace::Record* w = find_with_payload(run.records, SYS_write, 1, "grandchild");
  ASSERT_NE(w, nullptr);
  const trace::Record* forked = with_nr(run.records, SYS_clone).at(0);  // glibc's fork is clone
  EXPECT_EQ(w->pid, forked->ret);
  EXPECT_EQ(w->tid, forked->ret);
  EXPECT_NE(w->pid, forked->pid);
}

TEST(GateProcesses, VforkChildGetsItsOwnGateStack) {
  TracedRun run = run_traced([] {
    volatile uint64_t canary = 0x5eed5eed5eed5eedull;
    for (int i = 0; i < 50; ++i) {
      const pid_t child = vfork();
      if (child == 0) {
        // A trapped call in the vfork child: its frame must not land on the
        // parent's suspended one.
        if (syscall(SYS_getpid) <= 0) _exit(1);
        _exit(5);
      }
      CHILD_CHECK(child > 0);
      int status = 0;
      CHILD_CHECK(waitpid(child, &status, 0) == child);
      CHILD_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 5);
      CHILD_CHECK(canary == 0x5eed5eed5eed5eedull);
    }
    return 0;
  });
  ASSERT_EQ(exit_code(run.status), 0);
  EXPECT_EQ(count(run.records, SYS_vfork), 50u);
  std::set<int32_t> children;
  for (const trace::Record& r : run.records) {
    if (r.nr == SYS_vfork) children.insert(static_cast<int32_t>(r.ret));
  }
  size_t child_exits = 0;
  for (const trace::Record& r : run.records) {
    if (r.kind == trace::kRecordExit && children.count(r.pid) != 0) {
      ++child_exits;
      EXPECT_EQ(r.args[0], 5u);
    }
  }
  EXPECT_EQ(child_exits, 50u);
}

TEST(GateProcesses, PosixSpawnExecsAndReportsExecErrors) {
  TracedRun run = run_traced([] {
    char* argv[] = {const_cast<char*>(SYSGATE_EXIT42_PATH), nullptr};
    pid_t pid = 0;
    CHILD_CHECK(posix_spawn(&pid, SYSGATE_EXIT42_PATH, nullptr, nullptr, argv, environ) == 0);
    int status = 0;
    CHILD_CHECK(waitpid(pid, &status, 0) == pid);
    CHILD_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42);
    // The exec error travels back through memory shared with the CLONE_VM child.
    char* missing_argv[] = {const_cast<char*>("/nonexistent/sysgate"), nullptr};
    CHILD_CHECK(posix_spawn(&pid, "/nonexistent/sysgate", nullptr, nullptr, missing_argv, environ) == ENOENT);
    return 0;
  });
  ASSERT_EQ(exit_code(run.status), 0);
  const trace::Record* exec = find_with_payload(run.records, SYS_execve, 0, SYSGATE_EXIT42_PATH);
  ASSERT_NE(exec, nullptr);
  EXPECT_EQ(exec->kind, trace::kRecordSyscallEnter);
  const trace::Record* failed = nullptr;
  for (const trace::Record& r : run.records) {
    if (r.nr == SYS_execve && r.kind == trace::kRecordSyscall) failed = &r;
  }
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->ret, -ENOENT);
}

TEST(GateProcesses, ExecveOfAStaticProgramAndFailedExecve) {
  TracedRun run = run_traced([] {
    char* argv[] = {const_cast<char*>("/nonexistent/sysgate"), nullptr};
    CHILD_CHECK(execve("/nonexistent/sysgate", argv, environ) == -1 && errno == ENOENT);
    CHILD_CHECK(syscall(SYS_getppid) > 0);  // traced again after the failed exec
    const pid_t child = fork();
    if (child == 0) {
      char* exit42[] = {const_cast<char*>(SYSGATE_EXIT42_PATH), nullptr};
      execve(SYSGATE_EXIT42_PATH, exit42, environ);
      _exit(1);
    }
    int status = 0;
    CHILD_CHECK(waitpid(child, &status, 0) == child);
    CHILD_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42);
    return 0;
  });
  ASSERT_EQ(exit_code(run.status), 0);
  ASSERT_EQ(count(run.records, SYS_getppid), 1u);
  const int32_t main_pid = with_nr(run.records, SYS_getppid)[0]->pid;
  std::vector<const trace::Record*> mine;
  std::vector<const trace::Record*> child;
  for (const trace::Record* r : with_nr(run.records, SYS_execve)) (r->pid == main_pid ? mine : child).push_back(r);
  ASSERT_EQ(mine.size(), 2u);  // before the call, then its failure
  EXPECT_EQ(mine[0]->kind, trace::kRecordSyscallEnter);
  EXPECT_EQ(mine[1]->kind, trace::kRecordSyscall);
  EXPECT_EQ(mine[1]->ret, -ENOENT);
  EXPECT_EQ(format(*mine[1]).rfind("execve(\"/nonexistent/sysgate\", ", 0), 0u) << format(*mine[1]);
  ASSERT_EQ(child.size(), 1u);  // it succeeded: only the record made before it
  EXPECT_EQ(child[0]->kind, trace::kRecordSyscallEnter);
  ASSERT_NE(child[0]->payload(0), nullptr);
  EXPECT_EQ(child[0]->payload(0)->bytes, SYSGATE_EXIT42_PATH);
  EXPECT_TRUE(run.errors.empty());
}

// The exec record's argv and environment count, read from arrays and strings
// laid across page boundaries, with one argv string on an unreadable page: the
// gate remembers which pages it found readable during one walk (probing once a
// page, exec_args_payload.cc), and must still stop at the page it cannot read.
TEST(GateProcesses, ExecRecordReadsArgvAndEnvironmentAcrossPages) {
  constexpr int kVars = 700;  // 5600 bytes of pointers: the array spans two pages
  TracedRun run = run_traced([] {
    const long page = sysconf(_SC_PAGESIZE);
    char* area = static_cast<char*>(mmap(nullptr, 6 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    CHILD_CHECK(area != MAP_FAILED);
    CHILD_CHECK(mprotect(area + 5 * page, page, PROT_NONE) == 0);
    // argv: its array ends 8 bytes into page 1; "first" sits in page 0, "second"
    // crosses from page 1 into page 2, "third" in page 2, and the fourth
    // pointer names the unreadable page 5.
    char** argv = reinterpret_cast<char**>(area + page - 32);
    char* second = area + 2 * page - 3;
    std::memcpy(area + 16, "first", 6);
    std::memcpy(second, "second", 7);
    std::memcpy(area + 2 * page + 100, "third", 6);
    argv[0] = area + 16;
    argv[1] = second;
    argv[2] = area + 2 * page + 100;
    argv[3] = area + 5 * page;
    argv[4] = nullptr;
    // envp: from page 3 into page 4, all pointing at one string in page 2.
    char** envp = reinterpret_cast<char**>(area + 3 * page + 8);
    std::memcpy(area + 2 * page + 200, "X=1", 4);
    for (int i = 0; i < kVars; ++i) envp[i] = area + 2 * page + 200;
    envp[kVars] = nullptr;
    CHILD_CHECK(execve("/nonexistent/sysgate", argv, envp) == -1 && errno == ENOENT);
    return 0;
  });
  ASSERT_EQ(exit_code(run.status), 0);
  const std::vector<const trace::Record*> execs = with_nr(run.records, SYS_execve);
  ASSERT_EQ(execs.size(), 2u);
  ASSERT_EQ(execs[0]->kind, trace::kRecordSyscallEnter);
  char envp[32];
  std::snprintf(envp, sizeof envp, "0x%llx", static_cast<unsigned long long>(execs[0]->args[2]));
  EXPECT_EQ(trace::format_exec_success(*execs[0]),
            "execve(\"/nonexistent/sysgate\", [\"first\", \"second\", \"third\", ...], " + std::string(envp) +
                " /* " + std::to_string(kVars) + " vars */) = 0");
  EXPECT_EQ(execs[1]->ret, -ENOENT);
  EXPECT_TRUE(run.errors.empty());
}

TEST(GateProcesses, ThreadsMakeSyscallsConcurrently) {
  constexpr int kThreads = 8;
  constexpr int kIterations = 500;
  TracedRun run = run_traced([] {
    std::atomic<int> failures{0};
    const long parent = syscall(SYS_getppid);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        const std::string tag = "thread" + std::to_string(t);
        for (int i = 0; i < kIterations; ++i) {
          if (syscall(SYS_getppid) != parent) ++failures;
          const int fd = open("/dev/null", O_WRONLY);
          if (fd < 0 || write(fd, tag.data(), tag.size()) != static_cast<ssize_t>(tag.size())) ++failures;
          close(fd);
        }
      });
    }
    for (std::thread& th : threads) th.join();
    CHILD_CHECK(failures.load() == 0);
    return 0;
  });
  ASSERT_EQ(exit_code(run.status), 0);
  EXPECT_TRUE(run.errors.empty());
  std::map<int32_t, int> getppid_by_tid;
  std::set<int32_t> exited;
  for (const trace::Record& r : run.records) {
    if (r.nr == SYS_getppid) ++getppid_by_tid[r.tid];
    if (r.kind == trace::kRecordExit && r.nr == SYS_exit) exited.insert(r.tid);
  }
  int workers = 0;
  for (const auto& [tid, n] : getppid_by_tid) {
    if (n == kIterations) ++workers;
  }
  EXPECT_EQ(workers, kThreads);
  EXPECT_EQ(exited.size(), static_cast<size_t>(kThreads));
  for (int t = 0; t < kThreads; ++t) {
    const std::string tag = "thread" + std::to_string(t);
    size_t n = 0;
    for (const trace::Record& r : run.records) {
      const trace::Payload* p = r.nr == SYS_write ? r.payload(1) : nullptr;
      if (p != nullptr && p->bytes == tag) ++n;
    }
    EXPECT_EQ(n, static_cast<size_t>(kIterations)) << tag;
  }
}

TEST(GateProcesses, ExitedThreadsGiveTheirGateStacksBack) {
  TracedRun run = run_traced([] {
    std::thread([] {}).join();  // let glibc settle its caches
    const int before = count_mappings();
    for (int i = 0; i < 100; ++i) std::thread([] { syscall(SYS_getppid); }).join();
    const int after = count_mappings();
    if (after - before >= 30) std::fprintf(stderr, "mappings: %d before, %d after\n", before, after);
    CHILD_CHECK(after - before < 30);
    return 0;
  });
  EXPECT_EQ(exit_code(run.status), 0);
}

int child_on_its_own_stack(void* arg) {
  volatile char here = 0;
  const auto* stack = static_cast<const char*>(arg);
  // Running on the stack clone() was given (it grows down from stack + size).
  const bool on_it = &here < stack + 64 * 1024 && &here > stack;
  return on_it && syscall(SYS_getppid) > 0 ? 9 : 1;
}

TEST(GateProcesses, CloneWithoutCloneVmRunsTheChildOnItsNewStack) {
  TracedRun run = run_traced([] {
    static char stack[64 * 1024] __attribute__((aligned(16)));
    const pid_t child = clone(child_on_its_own_stack, stack + sizeof stack, SIGCHLD, stack);
    CHILD_CHECK(child > 0);
    int status = 0;
    CHILD_CHECK(waitpid(child, &status, 0) == child);
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 9)) std::fprintf(stderr, "status %#x\n", status);
    CHILD_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 9);
    return 0;
  });
  EXPECT_EQ(exit_code(run.status), 0);
}

TEST(GateProcesses, ForkFromAThread) {
  TracedRun run = run_traced([] {
    int result = -1;
    std::thread([&] {
      const pid_t child = fork();
      if (child == 0) _exit(syscall(SYS_getppid) > 0 ? 3 : 4);
      int status = 0;
      if (waitpid(child, &status, 0) == child && WIFEXITED(status)) result = WEXITSTATUS(status);
    }).join();
    CHILD_CHECK(result == 3);
    return 0;
  });
  EXPECT_EQ(exit_code(run.status), 0);
}

}  // namespace
}  // namespace sysgate::gate::test
