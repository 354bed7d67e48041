// The program's SA_ONSTACK handlers run on the program's own alternate stack,
// as natively: the address of a local is inside the registered stack, and
// sigaltstack(NULL, &ss) inside the handler reports SS_ONSTACK. Go's signal
// trampoline depends on both (it runs only on the gsignal stack it registered).
// Plain C in the child: handlers, raw syscalls, pipes.
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "gate/gate.h"
#include "gate_test_support.h"

namespace sysgate::gate::test {
namespace {

constexpr size_t kAltBytes = 128 * 1024;
char* g_alt = nullptr;  // the program's alternate stack

volatile sig_atomic_t g_calls = 0;
volatile sig_atomic_t g_bad_stack = 0;     // a handler ran off the program's stack
volatile sig_atomic_t g_bad_flags = 0;     // sigaltstack did not say SS_ONSTACK
volatile sig_atomic_t g_bad_syscall = 0;   // a syscall in a handler failed
volatile sig_atomic_t g_nested_ok = 0;     // the inner handler ran below the outer one
volatile uintptr_t g_outer_local = 0;
int g_pipe[2] = {-1, -1};

int on_alt(const void* p) {
  const char* c = (const char*)p;
  return c > g_alt && c < g_alt + kAltBytes;
}

// Checks where it runs, asks sigaltstack, and makes trapped syscalls.
void check_here(void) {
  int local = 0;
  if (!on_alt(&local)) g_bad_stack = g_bad_stack + 1;
  stack_t ss;
  memset(&ss, 0, sizeof ss);
  if (sigaltstack(NULL, &ss) != 0 || (ss.ss_flags & SS_ONSTACK) == 0 || ss.ss_sp != g_alt ||
      ss.ss_size != kAltBytes) {
    g_bad_flags = g_bad_flags + 1;
  }
  // Changing the stack while on it is refused, as by the kernel.
  stack_t other;
  memset(&other, 0, sizeof other);
  other.ss_flags = SS_DISABLE;
  if (sigaltstack(&other, NULL) != -1 || errno != EPERM) g_bad_flags = g_bad_flags + 1;
  for (int i = 0; i < 20; ++i) {
    if (syscall(SYS_getppid) <= 0) g_bad_syscall = g_bad_syscall + 1;
  }
}

void onstack_handler(int sig) {
  (void)sig;
  g_calls = g_calls + 1;
  check_here();
}

void inner_handler(int sig) {
  (void)sig;
  int local = 0;
  check_here();
  // Nested on the same alternate stack: below the interrupted handler's frame.
  if (on_alt(&local) && (uintptr_t)&local < g_outer_local) g_nested_ok = 1;
}

// Blocks in a trapped read (the gate's blocking path) until SIGUSR2's handler,
// which must land below this frame on the alternate stack, writes the pipe.
void outer_handler(int sig) {
  (void)sig;
  int local = 0;
  g_outer_local = (uintptr_t)&local;
  check_here();
  char c = 0;
  if (read(g_pipe[0], &c, 1) != 1 || c != 'x') g_bad_syscall = g_bad_syscall + 1;
  check_here();  // the nested signal did not disturb this frame
  g_calls = g_calls + 1;
}

void write_pipe_handler(int sig) {
  (void)sig;
  inner_handler(sig);
  if (write(g_pipe[1], "x", 1) != 1) g_bad_syscall = g_bad_syscall + 1;
}

void set_handler(int sig, void (*handler)(int), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
}

int register_altstack(void) {
  g_alt = (char*)malloc(kAltBytes);
  stack_t ss;
  memset(&ss, 0, sizeof ss);
  ss.ss_sp = g_alt;
  ss.ss_size = kAltBytes;
  return sigaltstack(&ss, NULL);
}

// raise, timer signals while trapping, and a signal during a blocking read.
int onstack_program(void) {
  CHILD_CHECK(register_altstack() == 0);
  stack_t cur;
  CHILD_CHECK(sigaltstack(NULL, &cur) == 0 && cur.ss_flags == 0 && cur.ss_sp == g_alt);
  set_handler(SIGUSR1, onstack_handler, SA_ONSTACK);
  set_handler(SIGALRM, onstack_handler, SA_ONSTACK | SA_RESTART);
  CHILD_CHECK(raise(SIGUSR1) == 0);
  CHILD_CHECK(g_calls == 1);
  // Timer signals land anywhere: in the program, in the gate, in a trap.
  struct itimerval t;
  memset(&t, 0, sizeof t);
  t.it_value.tv_usec = 200;
  t.it_interval.tv_usec = 200;
  setitimer(ITIMER_REAL, &t, NULL);
  for (long i = 0; i < 100000 && g_calls < 50; ++i) CHILD_CHECK(syscall(SYS_getppid) > 0);
  memset(&t, 0, sizeof t);
  setitimer(ITIMER_REAL, &t, NULL);
  CHILD_CHECK(g_calls >= 2);
  // A signal while the gate blocks in read for the program.
  CHILD_CHECK(pipe(g_pipe) == 0);
  set_handler(SIGALRM, write_pipe_handler, SA_ONSTACK | SA_RESTART);
  memset(&t, 0, sizeof t);
  t.it_value.tv_usec = 20 * 1000;
  setitimer(ITIMER_REAL, &t, NULL);
  char c = 0;
  CHILD_CHECK(read(g_pipe[0], &c, 1) == 1 && c == 'x');
  // Nested: an SA_ONSTACK handler blocked in read is interrupted by another
  // SA_ONSTACK signal, which must run below it on the same stack.
  set_handler(SIGUSR2, outer_handler, SA_ONSTACK);
  const int calls = g_calls;
  CHILD_CHECK(setitimer(ITIMER_REAL, &t, NULL) == 0);
  CHILD_CHECK(raise(SIGUSR2) == 0);
  CHILD_CHECK(g_calls == calls + 1);
  CHILD_CHECK(g_nested_ok == 1);
  CHILD_CHECK(g_bad_stack == 0);
  CHILD_CHECK(g_bad_flags == 0);
  CHILD_CHECK(g_bad_syscall == 0);
  // Off the handler, sigaltstack reports the stack without SS_ONSTACK, and it
  // can be disabled; the gate keeps working.
  CHILD_CHECK(sigaltstack(NULL, &cur) == 0 && cur.ss_flags == 0);
  stack_t off;
  memset(&off, 0, sizeof off);
  off.ss_flags = SS_DISABLE;
  CHILD_CHECK(sigaltstack(&off, NULL) == 0);
  CHILD_CHECK(syscall(SYS_getppid) > 0);
  CHILD_CHECK(raise(SIGUSR1) == 0);  // now on the gate's stack, but it runs
  CHILD_CHECK(syscall(SYS_getppid) > 0);
  return 0;
}

TEST(GateAltstack, OnstackHandlersRunOnTheProgramsAlternateStack) {
  TracedRun run = run_traced([] { return onstack_program(); });
  EXPECT_EQ(exit_code(run.status), 0);
  EXPECT_TRUE(run.errors.empty());
}

TEST(GateAltstack, OnstackHandlersRunOnTheProgramsAlternateStackWithRewriting) {
  RunOptions options;
  options.gate_flags = kGateRewrite;
  TracedRun run = run_traced([] { return onstack_program(); }, options);
  EXPECT_EQ(exit_code(run.status), 0);
  EXPECT_TRUE(run.errors.empty());
}

TEST(GateAltstack, OnstackHandlersRunOnTheProgramsAlternateStackUntraced) {
  RunOptions options;
  options.trace = false;
  TracedRun run = run_traced([] { return onstack_program(); }, options);
  EXPECT_EQ(exit_code(run.status), 0);
}

}  // namespace
}  // namespace sysgate::gate::test
