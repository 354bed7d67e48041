// include/sysgate/interposer.h in a real process: each test forks a child that
// registers hooks, starts the interposer and checks what its own calls return.
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <string>
#include <thread>

#include "gate_test_support.h"  // CHILD_CHECK
#include "sysgate/interposer.h"

namespace {

// Runs body in a forked child; returns its exit code (or 128 + signal).
int in_child(const std::function<int()>& body) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A before-hook that turns write(1, ...) into write(2, ...), with stderr a pipe
// whose ends land in pipefd: what the program "printed" can be read back.
bool send_stdout_writes_to_a_pipe(int pipefd[2]) {
  const bool hooked = sysgate::interpose_before(SYS_write, [](sysgate::Syscall& call, void*) {
    if (call.args[0] == 1) call.args[0] = 2;  // stdout -> stderr
    return sysgate::HookDecision::proceed();
  });
  return hooked && pipe(pipefd) == 0 && dup2(pipefd[1], 2) == 2;
}

int opens_seen = 0;

TEST(Interposer, BeforeHookAnswersAndAfterHookSees) {
  EXPECT_EQ(in_child([] {
              const pid_t real_parent = getppid();
              CHILD_CHECK(sysgate::interpose_before(SYS_getppid, [](sysgate::Syscall&, void*) {
                return sysgate::HookDecision::answer(4242);
              }));
              CHILD_CHECK(sysgate::interpose_after(
                  SYS_openat, [](const sysgate::Syscall&, long* result, void* n) {
                    ++*static_cast<int*>(n);
                    if (*result >= 0) return;
                    *result = -EACCES;  // rewrite the error the program sees
                  },
                  &opens_seen));
              CHILD_CHECK(sysgate::interposer_start());
              CHILD_CHECK(getppid() == 4242);              // answered, never made
              CHILD_CHECK(syscall(SYS_getppid) == 4242);   // from any call site
              CHILD_CHECK(getpid() > 1);                   // not hooked: native
              int fd = open("/etc/hostname", O_RDONLY);
              CHILD_CHECK(fd >= 0);
              close(fd);
              CHILD_CHECK(open("/nonexistent/file", O_RDONLY) == -1 && errno == EACCES);
              CHILD_CHECK(opens_seen == 2);
              (void)real_parent;
              return 0;
            }),
            0);
}

TEST(Interposer, BeforeHookCanChangeArguments) {
  EXPECT_EQ(in_child([] {
              int pipefd[2];
              CHILD_CHECK(send_stdout_writes_to_a_pipe(pipefd));
              CHILD_CHECK(sysgate::interposer_start());
              CHILD_CHECK(write(1, "moved", 5) == 5);
              char buf[8] = {};
              CHILD_CHECK(read(pipefd[0], buf, 5) == 5);
              CHILD_CHECK(std::string(buf) == "moved");
              return 0;
            }),
            0);
}

TEST(Interposer, HooksMaySyscallThroughTheGateAndThreadsWork) {
  EXPECT_EQ(in_child([] {
              CHILD_CHECK(sysgate::interpose_before(SYS_getuid, [](sysgate::Syscall&, void*) {
                // A plain syscall here would trap again with SIGSYS blocked.
                return sysgate::HookDecision::answer(sysgate::interposer_syscall(SYS_getpid) > 0 ? 7 : -1);
              }));
              CHILD_CHECK(sysgate::interposer_start());
              long seen[4] = {};
              std::thread threads[4];
              for (int i = 0; i < 4; ++i) threads[i] = std::thread([&seen, i] { seen[i] = syscall(SYS_getuid); });
              for (auto& t : threads) t.join();
              for (long v : seen) CHILD_CHECK(v == 7);
              return 0;
            }),
            0);
}

// After its first trap a hooked `mov $nr,%eax; syscall` site (glibc's getppid,
// write) is rewritten: later calls reach the hooks from the trampoline, which
// runs them with the program's signal mask instead of the trap's all-blocked one.
struct HookCounts {
  int calls = 0;
  int with_program_mask = 0;
};
HookCounts getppid_counts;

TEST(Interposer, HooksRunFromRewrittenSites) {
  EXPECT_EQ(in_child([] {
              CHILD_CHECK(sysgate::interpose_before(
                  SYS_getppid,
                  [](sysgate::Syscall&, void* user) {
                    auto* counts = static_cast<HookCounts*>(user);
                    ++counts->calls;
                    uint64_t mask = 0;
                    sysgate::interposer_syscall(SYS_rt_sigprocmask, SIG_BLOCK, 0, reinterpret_cast<uint64_t>(&mask), 8);
                    if ((mask & (1u << (SIGUSR1 - 1))) == 0) ++counts->with_program_mask;
                    return sysgate::HookDecision::answer(counts->calls);
                  },
                  &getppid_counts));
              int pipefd[2];
              CHILD_CHECK(send_stdout_writes_to_a_pipe(pipefd));
              CHILD_CHECK(sysgate::interposer_start());
              for (int i = 1; i <= 100; ++i) CHILD_CHECK(getppid() == i);
              CHILD_CHECK(getppid_counts.calls == 100);
              // The first call trapped (every signal blocked); the others came
              // through the trampoline.
              CHILD_CHECK(getppid_counts.with_program_mask == 99);
              for (int i = 0; i < 3; ++i) CHILD_CHECK(write(1, "x", 1) == 1);
              char buf[4] = {};
              CHILD_CHECK(read(pipefd[0], buf, 3) == 3);
              CHILD_CHECK(std::string(buf) == "xxx");
              return 0;
            }),
            0);
}

// A hook is ordinary code that may use vector registers; the program around a
// `syscall` expects them intact (only rax, rcx and r11 change). On the
// trampoline path the gate saves and restores that state around the hooks.
__attribute__((noinline)) uint64_t getppid_keeping_xmm8(uint64_t value) {
  uint64_t out;
  long ret;
  asm volatile(
      "movq %[in], %%xmm8\n\t"
      "mov $110, %%eax\n\t"  // getppid: glibc's site shape, so it is rewritten
      "syscall\n\t"
      "movq %%xmm8, %[out]"
      : [out] "=r"(out), "=a"(ret)
      : [in] "r"(value)
      : "rcx", "r11", "xmm8", "memory");
  (void)ret;
  return out;
}

TEST(Interposer, HooksOnTheTrampolineKeepTheProgramsVectorRegisters) {
  EXPECT_EQ(in_child([] {
              CHILD_CHECK(sysgate::interpose_before(SYS_getppid, [](sysgate::Syscall&, void*) {
                asm volatile("pxor %%xmm8, %%xmm8" ::: "xmm8");  // what any SSE code in a hook may do
                return sysgate::HookDecision::answer(1);
              }));
              CHILD_CHECK(sysgate::interposer_start());
              for (uint64_t i = 1; i <= 50; ++i) CHILD_CHECK(getppid_keeping_xmm8(0x5eed0000 + i) == 0x5eed0000 + i);
              return 0;
            }),
            0);
}

TEST(Interposer, RefusesWhatItCannotDo) {
  EXPECT_EQ(in_child([] {
              auto nothing = [](sysgate::Syscall&, void*) { return sysgate::HookDecision::proceed(); };
              CHILD_CHECK(!sysgate::interpose_before(SYS_clone, nothing));   // the gate's own
              CHILD_CHECK(!sysgate::interpose_before(SYS_execve, nothing));
              CHILD_CHECK(!sysgate::interpose_before(100000, nothing));
              CHILD_CHECK(sysgate::interposer_start());
              CHILD_CHECK(!sysgate::interposer_start());
              CHILD_CHECK(!sysgate::interpose_before(SYS_getppid, nothing));  // after start
              // exec would outlive the gate: refused.
              execl("/bin/true", "true", (char*)nullptr);
              CHILD_CHECK(errno == EPERM);
              return 0;
            }),
            0);
}

}  // namespace
