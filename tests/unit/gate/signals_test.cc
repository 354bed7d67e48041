// Signals under the gate: the program's handlers, masks, SIGSYS and sigaltstack.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "gate_test_support.h"

namespace sysgate::gate::test {
namespace {

volatile sig_atomic_t g_handled = 0;
volatile sig_atomic_t g_handler_failures = 0;
int g_write_fd = -1;

// A handler that makes trapped syscalls of its own (nested traps).
void busy_handler(int) {
  g_handled = g_handled + 1;
  for (int i = 0; i < 50; ++i) {
    if (syscall(SYS_getppid) <= 0) g_handler_failures = g_handler_failures + 1;
  }
  const int fd = open("/dev/null", O_RDONLY);
  if (fd < 0 || close(fd) != 0) g_handler_failures = g_handler_failures + 1;
  if (g_write_fd >= 0 && write(g_write_fd, "h", 1) != 1) g_handler_failures = g_handler_failures + 1;
}

void sigsys_handler(int, siginfo_t*, void*) {}

void install(int sig, void (*handler)(int), int flags, bool block_all) {
  struct sigaction sa = {};
  sa.sa_handler = handler;
  sa.sa_flags = flags;
  if (block_all) {
    sigfillset(&sa.sa_mask);
  } else {
    sigemptyset(&sa.sa_mask);
  }
  sigaction(sig, &sa, nullptr);
}

void arm_timer_ms(int ms) {
  itimerval t = {};
  t.it_value.tv_usec = ms * 1000;
  setitimer(ITIMER_REAL, &t, nullptr);
}

// The thread's real blocked mask, from /proc (what the kernel enforces).
uint64_t real_blocked_mask() {
  std::ifstream status("/proc/thread-self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("SigBlk:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
  }
  return ~uint64_t{0};
}

constexpr uint64_t kSigsysBit = uint64_t{1} << (SIGSYS - 1);

TEST(GateSignals, AlarmInterruptsABlockingReadAndItsHandlerTraps) {
  TracedRun run = run_traced([] {
    int p[2], q[2];
    CHILD_CHECK(pipe(p) == 0 && pipe(q) == 0);
    g_write_fd = q[1];
    install(SIGALRM, busy_handler, 0, false);
    arm_timer_ms(50);
    char c;
    CHILD_CHECK(read(p[0], &c, 1) == -1 && errno == EINTR);
    CHILD_CHECK(g_handled == 1 && g_handler_failures == 0);
    CHILD_CHECK(read(q[0], &c, 1) == 1 && c == 'h');
    return 0;
  });
  ASSERT_EQ(exit_code(run.status), 0);
  // The read, interrupted with EINTR, is recorded before the handler's calls:
  // the signal arrived as it returned, and the wrapper wrote its record first,
  // as strace shows the read, then the signal (trace_emit.h, PendingCall).
  size_t handler_write = SIZE_MAX, interrupted_read = SIZE_MAX;
  for (size_t i = 0; i < run.records.size(); ++i) {
    const trace::Record& r = run.records[i];
    if (r.nr == SYS_write && r.payload(1) != nullptr && r.payload(1)->bytes == "h") handler_write = i;
    if (r.nr == SYS_read && r.ret == -EINTR) interrupted_read = i;
  }
  ASSERT_NE(handler_write, SIZE_MAX);
  ASSERT_NE(interrupted_read, SIZE_MAX);
  EXPECT_LT(interrupted_read, handler_write);
  EXPECT_GE(count(run.records, SYS_getppid), 50u);
}

TEST(GateSignals, SaRestartRestartsTheInterruptedRead) {
  TracedRun run = run_traced([] {
    int p[2];
    CHILD_CHECK(pipe(p) == 0);
    g_write_fd = p[1];  // the handler feeds the pipe being read
    install(SIGALRM, busy_handler, SA_RESTART, false);
    arm_timer_ms(50);
    char c = 0;
    CHILD_CHECK(read(p[0], &c, 1) == 1);
    CHILD_CHECK(c == 'h' && g_handled == 1 && g_handler_failures == 0);
    return 0;
  });
  ASSERT_EQ(exit_code(run.status), 0);
  const trace::Record* r = find_with_payload(run.records, SYS_read, 1, "h");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->ret, 1);
  for (const trace::Record& rec : run.records) EXPECT_FALSE(rec.nr == SYS_read && rec.ret == -EINTR);
}

TEST(GateSignals, NanosleepIsInterruptedWithTheTimeLeft) {
  TracedRun run = run_traced([] {
    timespec shortly = {0, 1000000};
    CHILD_CHECK(nanosleep(&shortly, nullptr) == 0);
    install(SIGALRM, busy_handler, 0, false);
    arm_timer_ms(50);
    timespec two_seconds = {2, 0};
    timespec left = {};
    CHILD_CHECK(nanosleep(&two_seconds, &left) == -1 && errno == EINTR);
    CHILD_CHECK(left.tv_sec >= 1 && g_handled == 1);
    return 0;
  });
  EXPECT_EQ(exit_code(run.status), 0);
  EXPECT_EQ(count(run.records, SYS_nanosleep) + count(run.records, SYS_clock_nanosleep), 2u);
}

TEST(GateSignals, TheProgramsSigsysActionIsRememberedNotInstalled) {
  TracedRun run = run_traced([] {
    struct sigaction sa = {}, old = {}, cur = {};
    sa.sa_sigaction = sigsys_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    CHILD_CHECK(sigaction(SIGSYS, &sa, &old) == 0);
    CHILD_CHECK(old.sa_handler == SIG_DFL);
    CHILD_CHECK(sigaction(SIGSYS, nullptr, &cur) == 0);
    CHILD_CHECK(cur.sa_sigaction == sigsys_handler && (cur.sa_flags & SA_SIGINFO) != 0);
    // Trapped calls still reach the gate's handler.
    for (int i = 0; i < 100; ++i) CHILD_CHECK(syscall(SYS_getppid) > 0);
    CHILD_CHECK(reinterpret_cast<void*>(signal(SIGSYS, SIG_IGN)) == reinterpret_cast<void*>(sigsys_handler));
    CHILD_CHECK(syscall(SYS_getppid) > 0);
    return 0;
  });
  ASSERT_EQ(exit_code(run.status), 0);
  size_t emulated = 0;
  for (const trace::Record* r : with_nr(run.records, SYS_rt_sigaction)) {
    if (r->args[0] == SIGSYS && (r->flags & trace::kRecordEmulated) != 0) ++emulated;
  }
  EXPECT_EQ(emulated, 3u);
}

TEST(GateSignals, BlockingEverySignalNeverBlocksSigsys) {
  TracedRun run = run_traced([] {
    install(SIGUSR1, busy_handler, 0, false);
    sigset_t all, old, cur, pending;
    sigfillset(&all);
    CHILD_CHECK(sigprocmask(SIG_BLOCK, &all, &old) == 0);
    CHILD_CHECK(sigismember(&old, SIGSYS) == 0);
    CHILD_CHECK((real_blocked_mask() & kSigsysBit) == 0);
    for (int i = 0; i < 10; ++i) CHILD_CHECK(syscall(SYS_getppid) > 0);
    const int fd = open("/dev/null", O_WRONLY);
    CHILD_CHECK(fd >= 0 && write(fd, "x", 1) == 1 && close(fd) == 0);
    CHILD_CHECK(sigprocmask(SIG_SETMASK, nullptr, &cur) == 0);
    CHILD_CHECK(sigismember(&cur, SIGSYS) == 1 && sigismember(&cur, SIGUSR1) == 1);

    CHILD_CHECK(raise(SIGUSR1) == 0);
    CHILD_CHECK(g_handled == 0);
    CHILD_CHECK(sigpending(&pending) == 0);
    CHILD_CHECK(sigismember(&pending, SIGUSR1) == 1 && sigismember(&pending, SIGUSR2) == 0);

    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    CHILD_CHECK(sigprocmask(SIG_UNBLOCK, &usr1, nullptr) == 0);
    CHILD_CHECK(g_handled == 1 && g_handler_failures == 0);
    CHILD_CHECK(sigpending(&pending) == 0 && sigismember(&pending, SIGUSR1) == 0);

    CHILD_CHECK(sigprocmask(SIG_SETMASK, &old, nullptr) == 0);
    CHILD_CHECK(sigprocmask(SIG_SETMASK, nullptr, &cur) == 0);
    CHILD_CHECK(sigismember(&cur, SIGSYS) == 0 && sigismember(&cur, SIGUSR2) == 0);
    return 0;
  });
  EXPECT_EQ(exit_code(run.status), 0);
  for (const trace::Record* r : with_nr(run.records, SYS_rt_sigprocmask)) {
    EXPECT_NE(r->flags & trace::kRecordEmulated, 0);
  }
}

TEST(GateSignals, HandlersThatBlockEverySignalCanStillMakeSyscalls) {
  RunOptions options;
  // Installed before the gate: gate_install strips SIGSYS from its sa_mask.
  options.before_install = [] { install(SIGUSR2, busy_handler, 0, true); };
  TracedRun run = run_traced(
      [] {
        install(SIGUSR1, busy_handler, 0, true);
        CHILD_CHECK(raise(SIGUSR1) == 0);
        CHILD_CHECK(g_handled == 1 && g_handler_failures == 0);
        CHILD_CHECK(raise(SIGUSR2) == 0);
        CHILD_CHECK(g_handled == 2 && g_handler_failures == 0);
        // The program reads back the mask it set.
        for (int sig : {SIGUSR1, SIGUSR2}) {
          struct sigaction cur = {};
          CHILD_CHECK(sigaction(sig, nullptr, &cur) == 0);
          CHILD_CHECK(sigismember(&cur.sa_mask, SIGSYS) == 1 && sigismember(&cur.sa_mask, SIGTERM) == 1);
        }
        return 0;
      },
      options);
  EXPECT_EQ(exit_code(run.status), 0);
}

TEST(GateSignals, SigaltstackIsVirtual) {
  TracedRun run = run_traced([] {
    constexpr size_t kSize = 64 * 1024;
    void* mem = malloc(kSize);
    stack_t ss = {}, old = {}, cur = {};
    ss.ss_sp = mem;
    ss.ss_size = kSize;
    CHILD_CHECK(sigaltstack(&ss, &old) == 0);
    CHILD_CHECK(old.ss_flags == SS_DISABLE);
    CHILD_CHECK(sigaltstack(nullptr, &cur) == 0);
    CHILD_CHECK(cur.ss_sp == mem && cur.ss_size == kSize && cur.ss_flags == 0);
    install(SIGUSR1, busy_handler, SA_ONSTACK, false);
    CHILD_CHECK(raise(SIGUSR1) == 0);
    CHILD_CHECK(g_handled == 1 && g_handler_failures == 0);
    stack_t tiny = {};
    tiny.ss_sp = mem;
    tiny.ss_size = 16;
    CHILD_CHECK(sigaltstack(&tiny, nullptr) == -1 && errno == ENOMEM);
    stack_t off = {};
    off.ss_flags = SS_DISABLE;
    CHILD_CHECK(sigaltstack(&off, nullptr) == 0);
    CHILD_CHECK(sigaltstack(nullptr, &cur) == 0 && cur.ss_flags == SS_DISABLE);
    CHILD_CHECK(syscall(SYS_getppid) > 0);  // the gate's own stack is still registered
    return 0;
  });
  EXPECT_EQ(exit_code(run.status), 0);
}

TEST(GateSignals, TemporaryMasksNeverBlockSigsys) {
  TracedRun run = run_traced([] {
    install(SIGUSR1, busy_handler, 0, false);
    sigset_t usr1, all_but_usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigfillset(&all_but_usr1);
    sigdelset(&all_but_usr1, SIGUSR1);
    CHILD_CHECK(sigprocmask(SIG_BLOCK, &usr1, nullptr) == 0);

    CHILD_CHECK(raise(SIGUSR1) == 0);
    CHILD_CHECK(sigsuspend(&all_but_usr1) == -1 && errno == EINTR);
    CHILD_CHECK(g_handled == 1 && g_handler_failures == 0);

    CHILD_CHECK(raise(SIGUSR1) == 0);
    timespec five = {5, 0};
    CHILD_CHECK(ppoll(nullptr, 0, &five, &all_but_usr1) == -1 && errno == EINTR);
    CHILD_CHECK(g_handled == 2 && g_handler_failures == 0);
    return 0;
  });
  EXPECT_EQ(exit_code(run.status), 0);
}

TEST(GateSignals, StopAndContinueRestartASleepAtTheGate) {
  TracedRun run = run_traced([] {
    const pid_t sleeper = getpid();
    const pid_t helper = fork();
    if (helper == 0) {
      usleep(50000);
      kill(sleeper, SIGSTOP);
      usleep(50000);
      kill(sleeper, SIGCONT);
      _exit(0);
    }
    // No handler runs: the kernel restarts the sleep itself with
    // restart_syscall, issued at the gate's instruction.
    const auto start = std::chrono::steady_clock::now();
    timespec t = {0, 300000000};
    CHILD_CHECK(nanosleep(&t, nullptr) == 0);
    CHILD_CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(290));
    int status = 0;
    CHILD_CHECK(waitpid(helper, &status, 0) == helper && WIFEXITED(status));
    return 0;
  });
  EXPECT_EQ(exit_code(run.status), 0);
}

}  // namespace
}  // namespace sysgate::gate::test
