// Per-call cost of a getppid through glibc under the in-process gate: native,
// a bare SIGSYS round trip without the gate (the kernel's floor under every
// trap and first hit), the trap path (the gate's SIGSYS round trip) and a
// rewritten site (trampoline), each
// untraced and traced (records drained by a reader in the parent), plus the
// cost of a site's first hit with rewriting on (trap + rewrite): the process's
// first site, and four more on pages already patched (medians over 5 runs);
// the "swept" rows sweep pages as `sysgate trace` does, so those four take no
// trap at all. Each row also times a newfstatat loop (a path in, a 144-byte
// stat out: the call tar makes most, whose record is ~300 bytes where a
// getppid's is 88), and the same call from the gate's own instruction.
//
//   build/bench/gate_rewrite_bench [calls] [ROW]   (default 200000; ROW: only rows
//                                                  whose name contains it, and native)
//
// Each mode runs in a forked child that installs the gate and sends every
// syscall made outside the gate to it, as `sysgate trace` does: with Syscall
// User Dispatch over the gate's code plus a filter whose verdict depends on the
// number only (like the policy filter of `--profile all`, which the kernel's
// verdict cache answers), or -- the rows marked "IP filter", what `sysgate
// trace` falls back to without SUD -- a filter that traps every call made
// outside the gate's instruction. Prints one line per mode; not a test.
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/auxv.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <vector>

#include "gate/gate.h"
#include "gate/gate_trap.h"
#include "gate/rewrite_stats.h"
#include "gate/user_dispatch.h"
#include "trace/ring_reader.h"

extern "C" long sysgate_gate_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
extern "C" const char sysgate_gate_text_begin[], sysgate_gate_text_end[];

namespace {

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

// TRAP unless the call comes from the gate's instruction; rt_sigreturn allowed.
bool install_filter() {
  const uint64_t begin = reinterpret_cast<uint64_t>(sysgate_gate_syscall_begin);
  const uint32_t hi = static_cast<uint32_t>(begin >> 32);
  const uint32_t lo = static_cast<uint32_t>(begin);
  constexpr uint32_t kIpLo = offsetof(seccomp_data, instruction_pointer);
  std::vector<sock_filter> p = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigreturn, 5, 0),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kIpLo + 4),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, hi, 0, 2),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kIpLo),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, lo, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP | sysgate::gate::kGateTrapData),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog = {static_cast<unsigned short>(p.size()), p.data()};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0;
}

// Allow on arch and number alone (so the kernel caches it), plus SUD over the
// gate's code: the `sysgate trace` configuration.
bool install_dispatch() {
  std::vector<sock_filter> p = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog = {static_cast<unsigned short>(p.size()), p.data()};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return false;
  return sysgate::gate::user_dispatch_arm(reinterpret_cast<uint64_t>(sysgate_gate_text_begin),
                                          reinterpret_cast<uint64_t>(sysgate_gate_text_end)) == 0;
}

// The kernel's floor under any first hit: a SIGSYS round trip to a handler
// that only sets the result, no gate. Its filter traps getppid and the four
// other sites' calls.
void bare_sigsys_handler(int, siginfo_t*, void* context) {
  static_cast<ucontext_t*>(context)->uc_mcontext.gregs[REG_RAX] = 0;
}

bool install_bare_trap() {
  struct sigaction action = {};
  action.sa_sigaction = bare_sigsys_handler;
  action.sa_flags = SA_SIGINFO;
  if (sigaction(SIGSYS, &action, nullptr) != 0) return false;
  std::vector<sock_filter> p = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr))};
  for (const int nr : {SYS_getppid, SYS_getuid, SYS_getgid, SYS_geteuid, SYS_getegid}) {
    p.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 1));
    p.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP | sysgate::gate::kGateTrapData));
  }
  p.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  sock_fprog prog = {static_cast<unsigned short>(p.size()), p.data()};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0;
}

enum Mode { kNative, kBareTrap, kTrap, kRewrite };

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// The first calls of sites on pages the process has already patched, the
// process's own first site aside (kSites of them, glibc's id wrappers).
constexpr int kSites = 4;

// Runs the loop in a child; returns ns per call, the first call's ns, the
// first call of each of kSites other sites, and ns per newfstatat through the
// program's site and from the gate's own instruction.
bool run(Mode mode, bool traced, bool ip_filter, bool sweep, long calls, double* per_call, double* first_ns,
         double site_ns[kSites], double* filtered_ns, double stat_ns[2]) {
  sysgate::Result<sysgate::trace::RingReader> reader = sysgate::trace::RingReader::create({});
  if (!reader) return false;
  int pipefd[2];
  if (pipe(pipefd) != 0) return false;
  const pid_t pid = fork();
  if (pid == 0) {
    close(pipefd[0]);
    if (mode == kBareTrap && !install_bare_trap()) _exit(120);
    if (mode != kNative && mode != kBareTrap) {
      sysgate::gate::GateConfig config;
      config.ring_fd = traced ? reader->fd() : -1;
      // The child is single-threaded and its filter traps every clone.
      config.flags = mode == kRewrite ? static_cast<uint32_t>(sysgate::gate::kGateRewrite |
                                                              sysgate::gate::kGateSeesEveryClone)
                                      : 0u;
      // As `sysgate trace` runs: a first hit also rewrites the other sites
      // of its pages, so their first calls take no trap.
      if (mode == kRewrite && sweep) config.flags |= sysgate::gate::kGateSweepPages;
      config.program_phdr = getauxval(AT_PHDR);
      config.program_phnum = getauxval(AT_PHNUM);
      config.interp_base = getauxval(AT_BASE);
      if (!sysgate::gate::gate_install(config) || !(ip_filter ? install_filter() : install_dispatch())) _exit(120);
    }
    const uint64_t f0 = now_ns();
    volatile long sink = getppid();  // the first hit: trap (+ rewrite)
    const uint64_t f1 = now_ns();
    for (int i = 0; i < 1000; ++i) sink = getppid();  // warm up
    const uint64_t t0 = now_ns();
    for (long i = 0; i < calls; ++i) sink = getppid();
    const uint64_t t1 = now_ns();
    // A second site's first hit (a trampoline block exists by now), and the
    // same call from the gate's own instruction: native cost under this filter.
    uint64_t site[kSites];
    long (*const firsts[kSites])() = {[] { return long{getuid()}; }, [] { return long{getgid()}; },
                                       [] { return long{geteuid()}; }, [] { return long{getegid()}; }};
    for (int i = 0; i < kSites; ++i) {
      const uint64_t s0 = now_ns();
      sink = firsts[i]();
      site[i] = now_ns() - s0;
    }
    uint64_t b0 = 0, b1 = 0;
    if (mode != kNative && mode != kBareTrap) {
      b0 = now_ns();
      for (long i = 0; i < calls; ++i) sink = sysgate_gate_syscall(SYS_getppid, 0, 0, 0, 0, 0, 0);
      b1 = now_ns();
    }
    // newfstatat: a path in, a stat struct out (the bare trap mode has no
    // handler for it: its filter traps getppid's family only).
    const long stat_calls = calls / 4;
    struct stat st;
    const char* const path = "/usr/include/stdio.h";
    uint64_t n0 = 0, n1 = 0, g0 = 0, g1 = 0;
    for (int i = 0; i < 100; ++i) sink = fstatat(AT_FDCWD, path, &st, 0);  // first hit, warm up
    n0 = now_ns();
    for (long i = 0; i < stat_calls; ++i) sink = fstatat(AT_FDCWD, path, &st, 0);
    n1 = now_ns();
    if (mode != kNative && mode != kBareTrap) {
      const long st_addr = reinterpret_cast<long>(&st);
      g0 = now_ns();
      for (long i = 0; i < stat_calls; ++i) {
        sink = sysgate_gate_syscall(SYS_newfstatat, AT_FDCWD, reinterpret_cast<long>(path), st_addr, 0, 0, 0);
      }
      g1 = now_ns();
    }
    (void)sink;
    double out[5 + kSites] = {static_cast<double>(t1 - t0) / static_cast<double>(calls), static_cast<double>(f1 - f0),
                              static_cast<double>(b1 - b0) / static_cast<double>(calls),
                              static_cast<double>(n1 - n0) / static_cast<double>(stat_calls),
                              static_cast<double>(g1 - g0) / static_cast<double>(stat_calls)};
    for (int i = 0; i < kSites; ++i) out[5 + i] = static_cast<double>(site[i]);
    if (write(pipefd[1], out, sizeof out) != sizeof out) _exit(121);
    _exit(0);
  }
  close(pipefd[1]);
  auto sink = [](const sysgate::trace::Record&) {};
  int status = 0;
  for (;;) {
    reader->poll(sink);
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    // As `sysgate trace` reads: a look every millisecond, never asking writers
    // to wake it (RingReader::wait would make some records pay a futex wake).
    usleep(1000);
  }
  while (reader->poll(sink) > 0) {
  }
  double in[5 + kSites] = {};
  const bool ok = read(pipefd[0], in, sizeof in) == sizeof in && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  close(pipefd[0]);
  *per_call = in[0];
  *first_ns = in[1];
  *filtered_ns = in[2];
  stat_ns[0] = in[3];
  stat_ns[1] = in[4];
  for (int i = 0; i < kSites; ++i) site_ns[i] = in[5 + i];
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  const long calls = argc > 1 ? std::atol(argv[1]) : 200000;
  const char* only = argc > 2 ? argv[2] : nullptr;
  struct Row {
    const char* name;
    Mode mode;
    bool traced;
    bool ip_filter;
    bool sweep = false;
  } rows[] = {
      {"native", kNative, false, false},
      {"bare SIGSYS, no gate", kBareTrap, false, false},
      {"trap path, untraced", kTrap, false, false},
      {"trap path, traced", kTrap, true, false},
      {"rewritten, untraced", kRewrite, false, false},
      {"rewritten, traced", kRewrite, true, false},
      {"rewritten, untraced, IP filter", kRewrite, false, true},
      {"rewritten, traced, IP filter", kRewrite, true, true},
      {"rewritten, untraced, swept", kRewrite, false, false, true},
      {"rewritten, traced, swept", kRewrite, true, false, true},
  };
  double native = 0, stat_native = 0;
  constexpr int kReps = 5;
  for (const Row& r : rows) {
    if (only != nullptr && r.mode != kNative && std::strstr(r.name, only) == nullptr) continue;
    double best = 1e18, filtered = 1e18, stat_best = 1e18, stat_filtered = 1e18;
    std::vector<double> firsts, sites;
    for (int rep = 0; rep < kReps; ++rep) {  // best of 5 per call: the machine is shared
      double per = 0, f = 0, fl = 0, s[kSites] = {}, st[2] = {};
      const bool trapped = r.mode == kTrap || r.mode == kBareTrap;
      if (!run(r.mode, r.traced, r.ip_filter, r.sweep, trapped ? calls / 10 : calls, &per, &f, s, &fl, st)) {
        std::fprintf(stderr, "%s: run failed\n", r.name);
        return 1;
      }
      best = std::min(best, per);
      if (fl > 0 && fl < filtered) filtered = fl;
      stat_best = std::min(stat_best, st[0]);
      if (st[1] > 0 && st[1] < stat_filtered) stat_filtered = st[1];
      firsts.push_back(f);
      sites.insert(sites.end(), s, s + kSites);
    }
    if (r.mode == kNative) {
      native = best;
      stat_native = stat_best;
    }
    std::printf("%-30s %7.1f ns/call (+%6.1f over native", r.name, best, best - native);
    if (r.mode != kNative && r.mode != kBareTrap) std::printf(", +%6.1f over the gate's own instruction", best - filtered);
    // First hits are single events: medians, of the 5 runs' first getppid and
    // of their 4 x 5 first calls of getuid, getgid, geteuid, getegid (and
    // those calls' range: getuid, the first after getppid, is the slow end).
    const auto [lo, hi] = std::minmax_element(sites.begin(), sites.end());
    std::printf(")  first hit (median): getppid %6.0f ns, other sites %6.0f ns (%.0f-%.0f)", median(firsts),
                median(sites), *lo, *hi);
    std::printf("  newfstatat %7.1f ns/call (+%6.1f over native", stat_best, stat_best - stat_native);
    if (r.mode != kNative && r.mode != kBareTrap) {
      std::printf(", +%6.1f over the gate's own instruction", stat_best - stat_filtered);
    }
    std::printf(")\n");
  }
  return 0;
}
