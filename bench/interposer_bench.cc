// What a hook costs under include/sysgate/interposer.h, per call of glibc's
// getppid() (a `mov $nr,%eax; syscall` site, rewritten after its first trap):
//
//   build/bench/interposer_bench [calls]      (default 1000000)
//
//   native                  no interposer
//   unhooked, filter on     getpid() after interposer_start(): the filter is
//                           there but does not trap it (the kernel's verdict cache)
//   forwarding hook         a before-hook that lets the call proceed; the gate
//                           saves the program's vector state around it (xsave)
//   ... kHookNoVectorState  the same hook declared vector-free: no xsave
//   answering hook          a before-hook that answers without the syscall
//   trap path               the forwarding hook reached through a site whose
//                           number comes from another register just before the
//                           syscall (`mov %reg,%rax; syscall`): no shape the
//                           rewriter takes (docs/gate.md), so every call traps
//   first hit               the first call at the site: trap, hook, rewrite
//
// Each mode runs in a forked child (the interposer cannot be stopped); the best
// of five rounds is printed. Not a test.
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "sysgate/interposer.h"

namespace {

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);  // vDSO: no syscall
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

enum class Mode { kNative, kUnhooked, kForward, kForwardNoVector, kAnswer, kAnswerNoVector, kTrapPath };

sysgate::HookDecision forward(sysgate::Syscall&, void*) { return sysgate::HookDecision::proceed(); }
sysgate::HookDecision answer(sysgate::Syscall&, void*) { return sysgate::HookDecision::answer(1); }

__attribute__((noinline)) long getppid_on_the_trap_path() {
  long ret;
  const long nr = SYS_getppid;
  asm volatile("mov %1, %%rax\n\tsyscall" : "=a"(ret) : "r"(nr) : "rcx", "r11", "memory");
  return ret;
}

__attribute__((noinline)) long call_once(Mode mode) {
  switch (mode) {
    case Mode::kUnhooked: return getpid();
    case Mode::kTrapPath: return getppid_on_the_trap_path();
    default: return getppid();
  }
}

// In a child: ns per call (best of 5 rounds) and the first call's ns, via a pipe.
bool measure(Mode mode, long calls, double* per_call, double* first) {
  int fds[2];
  if (pipe(fds) != 0) return false;
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    bool ok = true;
    if (mode != Mode::kNative) {
      const bool answers = mode == Mode::kAnswer || mode == Mode::kAnswerNoVector;
      const bool plain = mode == Mode::kForwardNoVector || mode == Mode::kAnswerNoVector;
      ok = sysgate::interpose_before(SYS_getppid, answers ? answer : forward, nullptr,
                                     plain ? sysgate::kHookNoVectorState : 0u) &&
           sysgate::interposer_start();
    }
    const uint64_t f0 = now_ns();
    call_once(mode);
    const uint64_t f1 = now_ns();
    for (long i = 0; i < calls / 10; ++i) call_once(mode);  // warm-up
    double best = 1e18;
    for (int round = 0; round < 5; ++round) {
      const uint64_t t0 = now_ns();
      for (long i = 0; i < calls; ++i) call_once(mode);
      const double ns = static_cast<double>(now_ns() - t0) / static_cast<double>(calls);
      if (ns < best) best = ns;
    }
    const double out[2] = {ok ? best : -1, static_cast<double>(f1 - f0)};
    _exit(write(fds[1], out, sizeof out) == sizeof out ? 0 : 1);
  }
  close(fds[1]);
  double in[2] = {-1, 0};
  const bool got = read(fds[0], in, sizeof in) == sizeof in;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  *per_call = in[0];
  *first = in[1];
  return got && in[0] >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  const long calls = argc > 1 ? std::atol(argv[1]) : 1000000;
  if (calls <= 0) {
    std::fprintf(stderr, "usage: %s [calls]\n", argv[0]);
    return 2;
  }
  struct Row {
    const char* name;
    Mode mode;
  } rows[] = {{"native", Mode::kNative},
              {"unhooked, filter on", Mode::kUnhooked},
              {"forwarding hook", Mode::kForward},
              {"  kHookNoVectorState", Mode::kForwardNoVector},
              {"answering hook", Mode::kAnswer},
              {"  kHookNoVectorState", Mode::kAnswerNoVector},
              {"trap path (forwarding)", Mode::kTrapPath}};
  double native = 0;
  for (const Row& row : rows) {
    double per_call = 0, first = 0;
    const long n = row.mode == Mode::kTrapPath ? calls / 20 : calls;
    if (!measure(row.mode, n, &per_call, &first)) {
      std::printf("%-24s FAILED\n", row.name);
      continue;
    }
    if (row.mode == Mode::kNative) native = per_call;
    std::printf("%-24s %8.1f ns/call (%+8.1f over native)  first call %7.0f ns\n", row.name, per_call,
                per_call - native, first);
  }
  return 0;
}
