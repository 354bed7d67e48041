/* The kernel's own cost under each mechanism the gate's syscalls run under: what
 * a getppid made from the gate's instruction pays before any user-space code of
 * the gate runs. Issue 3 asks for a rewritten site at <= 15 ns over native; this
 * is the floor under that figure on this kernel and machine.
 *
 *   native                     no filter, no dispatch
 *   seccomp, cached verdict    an allow-all filter: the kernel's verdict cache
 *                              answers without running it (`sysgate run --profile all`)
 *   seccomp, runs the filter   a filter that reads instruction_pointer, which the
 *                              cache cannot answer: the BPF runs on every call (the
 *                              redirect filter, where the kernel has no SUD)
 *   SUD, call in the exempt range   Syscall User Dispatch on, the call made inside
 *                              the range it lets through (the gate's own calls)
 *   SUD + cached seccomp       both: what the gate's own calls pay under `sysgate trace`
 *
 * Each configuration runs in a child of its own (filters and dispatch cannot be
 * undone); rounds are interleaved and each figure is the median of ROUNDS, so
 * load from elsewhere spreads over all of them.
 *
 * usage: kernel_floor_bench [N]   (N calls per round; default 1000000) */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_clock.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_ON 1
#endif

enum { kRounds = 7 };

enum Config { kNative, kSeccompCached, kSeccompRuns, kDispatch, kDispatchSeccomp, kConfigs };
static const char* const kNames[kConfigs] = {
    "native", "seccomp, cached verdict", "seccomp, runs the filter", "SUD, call in the exempt range",
    "SUD + cached seccomp (trace)"};

extern const char __executable_start[];
extern const char etext[];
static volatile char selector; /* SYSCALL_DISPATCH_FILTER_ALLOW: 0 */

/* The loop's own syscall instruction: inside [__executable_start, etext). */
static inline long raw_getppid(void) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"((long)SYS_getppid) : "rcx", "r11", "memory");
  return r;
}

static int install(const struct sock_filter* code, unsigned short length) {
  const struct sock_fprog prog = {length, (struct sock_filter*)code};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
  return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

static int set_up(enum Config c) {
  static const struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  /* Reads the instruction pointer, so no verdict is constant; allows anyway. */
  static const struct sock_filter by_ip[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x1000, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  const unsigned long start = (unsigned long)__executable_start;
  const unsigned long length = (unsigned long)etext - start;
  switch (c) {
    case kNative:
      return 0;
    case kSeccompCached:
      return install(allow, 1);
    case kSeccompRuns:
      return install(by_ip, sizeof by_ip / sizeof by_ip[0]);
    case kDispatch:
      return prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, start, length, &selector);
    case kDispatchSeccomp:
      if (install(allow, 1) != 0) return -1;
      return prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, start, length, &selector);
    default:
      return -1;
  }
}

/* ns per call of one round in a child set up as c; < 0 if it could not be. */
static double round_of(enum Config c, long n) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    close(pipefd[0]);
    double ns = -1;
    if (set_up(c) == 0) {
      for (long i = 0; i < bench_warmup(n); ++i) raw_getppid();
      const uint64_t t0 = bench_now_ns();
      for (long i = 0; i < n; ++i) raw_getppid();
      ns = (double)(bench_now_ns() - t0) / (double)n;
    }
    if (write(pipefd[1], &ns, sizeof ns) != (ssize_t)sizeof ns) _exit(1);
    _exit(0);
  }
  close(pipefd[1]);
  double ns = -1;
  if (pid < 0 || read(pipefd[0], &ns, sizeof ns) != (ssize_t)sizeof ns) ns = -1;
  close(pipefd[0]);
  if (pid > 0) waitpid(pid, NULL, 0);
  return ns;
}

static int by_value(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  const long n = argc > 1 ? bench_parse_count(argv[0], argv[1]) : 1000000;
  double samples[kConfigs][kRounds];
  for (int r = 0; r < kRounds; ++r) {
    for (int c = 0; c < kConfigs; ++c) samples[c][r] = round_of((enum Config)c, n);
  }
  double median[kConfigs];
  for (int c = 0; c < kConfigs; ++c) {
    qsort(samples[c], kRounds, sizeof(double), by_value);
    median[c] = samples[c][kRounds / 2];
  }
  for (int c = 0; c < kConfigs; ++c) {
    if (samples[c][0] < 0) {
      printf("%-32s not available here (the kernel refused the set-up)\n", kNames[c]);
      continue;
    }
    printf("%-32s %7.1f ns/call (%.1f-%.1f)  %+6.1f over native\n", kNames[c], median[c], samples[c][0],
           samples[c][kRounds - 1], median[c] - median[kNative]);
  }
  return 0;
}
