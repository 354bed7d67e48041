// Compiled programs in the real kernel.
//
// 1. Load test: every program from a few hundred random policies (and some
//    hand-built ones) is installed with seccomp(SECCOMP_SET_MODE_FILTER) in a
//    fresh forked child; the kernel rejects a malformed program with EINVAL.
// 2. Differential test: a child installs a program compiled from a random
//    policy whose rules concern only side-effect-free getters (getpid,
//    getuid, ...; the kernel ignores their argument registers but seccomp sees
//    all six) and makes raw syscalls with random arguments from a known
//    instruction address. The kernel's verdict, as observed, must equal the
//    interpreter's: allow -> the getter's result (or -ENOSYS for an unknown
//    number), errno(E) -> -E, trap(D) -> SIGSYS with si_errno D, kill -> the
//    child dies of SIGSYS.
//
// How the child reports: a MAP_SHARED page written with plain stores before
// and after each call, so nothing it says needs a syscall the filter might
// refuse. The filter always allows exit_group and rt_sigreturn (fixed rules),
// so the child can finish and return from its SIGSYS handler. A killed child
// is replaced by a fresh one that continues with the next call (a process
// also accumulates filters, capped at 32768 instructions in total, so every
// program gets its own child anyway). No core dumps: PR_SET_DUMPABLE 0.
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string>
#include <vector>

#include "bpf/compiler.h"
#include "bpf/disassembler.h"
#include "bpf/interpreter.h"
#include "policy/builder.h"
#include "policy/promise.h"
#include "test_support.h"

// sg_raw_syscall(nr, a0..a5): one `syscall` instruction at a known address
// (sg_raw_syscall_after is what the kernel reports as instruction_pointer).
extern "C" long sg_raw_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
extern "C" const char sg_raw_syscall_after[];
asm(R"(
  .text
  .globl sg_raw_syscall
  .type sg_raw_syscall, @function
sg_raw_syscall:
  movq %rdi, %rax
  movq %rsi, %rdi
  movq %rdx, %rsi
  movq %rcx, %rdx
  movq %r8, %r10
  movq %r9, %r8
  movq 8(%rsp), %r9
  syscall
  .globl sg_raw_syscall_after
sg_raw_syscall_after:
  ret
  .size sg_raw_syscall, .-sg_raw_syscall
)");

namespace sysgate::bpf {
namespace {

using policy::Action;
using policy::CmpOp;
using policy::Condition;

constexpr size_t kMaxCalls = 128;

struct Call {
  long nr;
  uint64_t args[6];
};

struct CallResult {
  long ret;
  int trapped;
  unsigned trap_data;
};

// The page shared with the child. Written by the child with volatile stores.
struct Shared {
  volatile int installed;
  volatile long install_rc;
  volatile unsigned started;
  volatile unsigned done;
  volatile int trapped;
  volatile unsigned trap_data;
  CallResult results[kMaxCalls];
};

Shared* g_shared = nullptr;

void on_sigsys(int, siginfo_t* info, void*) {
  g_shared->trap_data = static_cast<unsigned>(info->si_errno);
  g_shared->trapped = 1;
}

// In the child: install, make calls[from..], exit. Never returns.
[[noreturn]] void child_main(const Program& program, const std::vector<Call>& calls, size_t from, bool handle_sigsys) {
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);  // SIGSYS deaths must not write core dumps
  if (handle_sigsys) {
    struct sigaction sa {};
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSYS, &sa, nullptr);
  }
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  sock_fprog fprog{static_cast<unsigned short>(program.size()), const_cast<sock_filter*>(program.instructions.data())};
  // From here on, only raw syscalls and stores to the shared page.
  long rc = sg_raw_syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, reinterpret_cast<long>(&fprog), 0, 0, 0);
  g_shared->install_rc = rc;
  g_shared->installed = 1;
  if (rc == 0) {
    for (size_t j = from; j < calls.size(); ++j) {
      const Call& c = calls[j];
      g_shared->started = static_cast<unsigned>(j);
      g_shared->trapped = 0;
      long r = sg_raw_syscall(c.nr, static_cast<long>(c.args[0]), static_cast<long>(c.args[1]),
                              static_cast<long>(c.args[2]), static_cast<long>(c.args[3]),
                              static_cast<long>(c.args[4]), static_cast<long>(c.args[5]));
      g_shared->results[j].ret = r;
      g_shared->results[j].trapped = g_shared->trapped;
      g_shared->results[j].trap_data = g_shared->trap_data;
      g_shared->done = static_cast<unsigned>(j + 1);
    }
  }
  sg_raw_syscall(SYS_exit_group, 0, 0, 0, 0, 0, 0);
  sg_raw_syscall(SYS_exit, 0, 0, 0, 0, 0, 0);
  for (;;) asm volatile("pause");  // the filter refused both: the parent kills us
}

struct ChildOutcome {
  int status = 0;
  bool timed_out = false;
};

// Forks a child running child_main and waits for it. A load-only child is
// SIGKILLed once it reports (its filter may refuse exit); any child after 20 s.
ChildOutcome run_child(const Program& program, const std::vector<Call>& calls, size_t from, bool handle_sigsys) {
  std::memset(g_shared, 0, sizeof *g_shared);
  g_shared->done = static_cast<unsigned>(from);  // calls before `from` were made by earlier children
  ChildOutcome out;
  pid_t pid = fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return out;
  }
  if (pid == 0) child_main(program, calls, from, handle_sigsys);
  timespec start{}, now{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  bool killed = false;
  for (;;) {
    pid_t r = waitpid(pid, &out.status, WNOHANG);
    if (r == pid) break;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double elapsed = double(now.tv_sec - start.tv_sec) + double(now.tv_nsec - start.tv_nsec) / 1e9;
    // A load-only child has nothing left to say once installed; a calling child
    // exits by itself (exit_group is allowed) unless something is wrong.
    const bool load_only_done = calls.size() <= from && g_shared->installed;
    if (!killed && (load_only_done || elapsed > 20)) {
      out.timed_out = !load_only_done;
      kill(pid, SIGKILL);
      killed = true;
    }
    timespec pause{0, 50 * 1000};
    nanosleep(&pause, nullptr);
  }
  return out;
}

class KernelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    void* page = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(page, MAP_FAILED);
    g_shared = static_cast<Shared*>(page);
  }
  static void TearDownTestSuite() {
    munmap(g_shared, sizeof(Shared));
    g_shared = nullptr;
  }
  void SetUp() override {
    // A trivial filter must load, or this kernel/container has no seccomp filters.
    Program allow{{BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)}};
    run_child(allow, {}, 0, false);
    if (!g_shared->installed || g_shared->install_rc != 0) {
      GTEST_SKIP() << "seccomp(SECCOMP_SET_MODE_FILTER) unavailable here (rc " << g_shared->install_rc << ")";
    }
  }

  // Loads `program` in a child; returns the seccomp() result.
  static long load(const Program& program) {
    run_child(program, {}, 0, false);
    return g_shared->installed ? g_shared->install_rc : LONG_MIN;
  }
};

std::vector<policy::Policy> hand_built_policies() {
  std::vector<policy::Policy> out;
  auto add = [&out](policy::PolicyBuilder& b) {
    Result<policy::Policy> p = b.build();
    if (p) out.push_back(std::move(p).value());
    else ADD_FAILURE() << p.error().describe();
  };
  {
    policy::PolicyBuilder b("small");
    b.set_default(Action::error(EPERM))
        .rule(SYS_read, Condition::always(), Action::allow())
        .rule(SYS_openat, Condition::masked_eq(2, 32, 3, 0), Action::allow())
        .rule(SYS_mmap, Condition::compare(2, 64, CmpOp::kLt, 0x100000004ull), Action::allow())
        .rule(SYS_getpid, Condition::ip_range(0x401000, 0x402000), Action::allow());
    add(b);
  }
  {
    policy::PolicyBuilder b("every promise");
    b.set_default(Action::explain());
    for (policy::Promise p : policy::all_promises()) b.promise(p);
    add(b);
  }
  {
    policy::PolicyBuilder b("wide, near the size limit");
    b.set_default(Action::error(EPERM));
    for (int nr = 0; nr < 460; ++nr) {
      b.rule(nr, Condition::compare(0, 64, CmpOp::kEq, static_cast<uint64_t>(nr) << 32 | 7),
             nr % 2 ? Action::allow() : Action::trap(static_cast<uint16_t>(nr)));
    }
    add(b);
  }
  return out;
}

TEST_F(KernelTest, EveryCompiledProgramLoads) {
  std::vector<policy::Policy> policies = hand_built_policies();
  const uint64_t seed = 0x10ad;
  for (uint64_t i = 0; i < 300; ++i) {
    testing::Generator gen(testing::derive_seed(seed, i));
    Result<policy::Policy> p = gen.policy();
    if (p) policies.push_back(std::move(p).value());
  }
  size_t loaded = 0, largest = 0;
  for (size_t i = 0; i < policies.size(); ++i) {
    for (bool optimize : {true, false}) {
      Result<Program> prog = compile(policies[i], {.optimize = optimize});
      if (!prog.ok() && prog.error().code == ErrorCode::kTooLarge) continue;
      ASSERT_TRUE(prog.ok()) << prog.error().describe();
      long rc = load(*prog);
      ASSERT_EQ(rc, 0) << "the kernel refused program #" << i << (optimize ? " (optimised)" : " (plain)")
                       << ", seccomp() = " << rc << "\n"
                       << testing::describe(policies[i]) << disassemble(*prog);
      ++loaded;
      largest = std::max(largest, prog->size());
    }
  }
  std::printf("[ kernel   ] %zu programs loaded by seccomp(2), largest %zu instructions\n", loaded, largest);
  EXPECT_GE(loaded, 500u);  // ~300 random policies x {optimised, plain}, minus any too large
  EXPECT_GT(largest, 2500u);
}

TEST_F(KernelTest, MalformedProgramsAreRefusedLikeValidateSays) {
  // Sanity check of the interpreter's validate() against the kernel itself.
  const std::vector<Program> bad = {
      Program{{BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), BPF_STMT(BPF_RET | BPF_A, 0)}},   // unaligned
      Program{{BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), BPF_STMT(BPF_RET | BPF_A, 0)}},  // outside
      Program{{BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0), BPF_STMT(BPF_RET | BPF_A, 0)}},   // byte load
      Program{{BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 3), BPF_STMT(BPF_RET | BPF_A, 0)}},  // mod
      Program{{BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), BPF_STMT(BPF_RET | BPF_A, 0)}},  // jump out
      Program{{BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0)}},                                         // no ret
      Program{{BPF_STMT(BPF_LD | BPF_MEM, 0), BPF_STMT(BPF_RET | BPF_A, 0)}},                   // unwritten M[0]
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    EXPECT_FALSE(validate(bad[i]).ok()) << i;
    EXPECT_EQ(load(bad[i]), -EINVAL) << i;
  }
  Program good{{BPF_STMT(BPF_ST, 3), BPF_STMT(BPF_LD | BPF_MEM, 3), BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)}};
  EXPECT_TRUE(validate(good).ok());
  EXPECT_EQ(load(good), 0);
}

// ---- differential ------------------------------------------------------------

// Getters: no side effects, results >= 0, their argument registers ignored.
const std::vector<int> kGetters = {SYS_getpid,  SYS_getppid, SYS_getuid,  SYS_getgid,     SYS_geteuid,
                                   SYS_getegid, SYS_gettid,  SYS_getpgrp, SYS_sched_yield};

bool is_getter(long nr) {
  for (int g : kGetters) {
    if (g == nr) return true;
  }
  return false;
}

// What a verdict looks like from user space.
std::string observable(uint32_t verdict) {
  const uint32_t data = verdict & SECCOMP_RET_DATA;
  switch (verdict & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW: return "allowed";
    case SECCOMP_RET_ERRNO: return "errno " + std::to_string(std::min<uint32_t>(data, 4095));
    case SECCOMP_RET_TRAP: return "SIGSYS trap data " + std::to_string(data);
    case SECCOMP_RET_KILL_PROCESS: return "killed by SIGSYS";
  }
  return "unobservable verdict " + testing::verdict_text(verdict);
}

std::string observed(const CallResult& r, long nr) {
  if (r.trapped) return "SIGSYS trap data " + std::to_string(r.trap_data);
  if (r.ret == -ENOSYS && !is_getter(nr)) return "allowed";  // the kernel has no such syscall
  if (r.ret < 0 && r.ret >= -4095) return "errno " + std::to_string(-r.ret);
  return "allowed";
}

std::vector<Call> random_calls(testing::Generator& gen, const policy::Policy& p, size_t n) {
  std::vector<Call> calls;
  auto& rng = gen.rng();
  for (size_t i = 0; i < n; ++i) {
    SeccompData d = gen.input(p);  // arguments biased to the policy's constants
    Call c{};
    const unsigned r = rng() % 100;
    if (r < 86) {
      c.nr = kGetters[rng() % kGetters.size()];
    } else if (r < 91) {
      c.nr = kGetters[rng() % kGetters.size()] | 0x40000000;  // x32 entry
    } else {
      const long others[] = {1000, 4095, 0x3fffffff, INT_MIN, -(1L << 30) - 1, -1};
      c.nr = others[rng() % 6];
    }
    for (int a = 0; a < 6; ++a) c.args[a] = d.args[a];
    calls.push_back(c);
  }
  return calls;
}

TEST_F(KernelTest, KernelVerdictsMatchTheInterpreter) {
  const uint64_t ip = reinterpret_cast<uint64_t>(sg_raw_syscall_after);
  testing::GeneratorOptions options;
  options.actions = testing::ActionSet::kObservable;
  options.syscalls = kGetters;
  options.fixed_rules = {{SYS_exit_group, Action::allow()}, {SYS_rt_sigreturn, Action::allow()}};
  options.allow_promises = false;
  options.ip_points = {ip};

  const uint64_t seed = 0xd1ff;
  size_t policies = 0, calls_made = 0, children = 0;
  size_t seen_allow = 0, seen_errno = 0, seen_trap = 0, seen_kill = 0;
  for (uint64_t i = 0; i < 300; ++i) {
    testing::Generator gen(testing::derive_seed(seed, i), options);
    Result<policy::Policy> p = gen.policy();
    if (!p) continue;
    ++policies;
    Result<Program> prog = compile(*p, {.optimize = i % 2 == 0});
    ASSERT_TRUE(prog.ok()) << prog.error().describe();
    const std::vector<Call> calls = random_calls(gen, *p, 48);

    for (size_t from = 0; from < calls.size();) {
      ChildOutcome child = run_child(*prog, calls, from, true);
      ++children;
      ASSERT_FALSE(child.timed_out) << "child hung; policy #" << i << "\n" << testing::describe(*p);
      ASSERT_EQ(g_shared->install_rc, 0) << "seccomp() refused policy #" << i;
      const size_t done = g_shared->done;
      const bool died_of_sigsys = WIFSIGNALED(child.status) && WTERMSIG(child.status) == SIGSYS;
      ASSERT_TRUE(died_of_sigsys || (WIFEXITED(child.status) && WEXITSTATUS(child.status) == 0))
          << "unexpected child status " << child.status;
      // Calls that completed, then the one that killed the child (if any).
      const size_t end = died_of_sigsys ? done + 1 : done;
      ASSERT_TRUE(done >= from && (died_of_sigsys ? done < calls.size() : done == calls.size()))
          << "from " << from << " done " << done << " status " << child.status;
      for (size_t j = from; j < end; ++j) {
        const Call& c = calls[j];
        SeccompData d;
        d.nr = static_cast<int>(c.nr);
        d.arch = kArchX86_64;
        d.instruction_pointer = ip;
        for (int a = 0; a < 6; ++a) d.args[a] = c.args[a];
        const uint32_t verdict = run(*prog, d);
        ASSERT_EQ(verdict, testing::reference_verdict(*p, d));
        const std::string want = observable(verdict);
        const std::string got = j < done ? observed(g_shared->results[j], c.nr) : "killed by SIGSYS";
        ASSERT_EQ(got, want) << "kernel and interpreter disagree: policy #" << i << " (seed " << seed << "), call #"
                             << j << " " << testing::describe(d) << ", interpreter verdict "
                             << testing::verdict_text(verdict) << "\n"
                             << testing::describe(*p) << disassemble(*prog);
        ++calls_made;
        seen_allow += want == "allowed";
        seen_errno += want.rfind("errno", 0) == 0;
        seen_trap += want.rfind("SIGSYS trap", 0) == 0;
        seen_kill += want == "killed by SIGSYS";
      }
      from = end;
    }
  }
  std::printf(
      "[ kernel   ] %zu policies, %zu calls in %zu children: %zu allowed, %zu errno, %zu trapped, %zu killed — all "
      "as interpreted\n",
      policies, calls_made, children, seen_allow, seen_errno, seen_trap, seen_kill);
  EXPECT_GE(policies, 250u);
  EXPECT_GT(seen_allow, 100u);
  EXPECT_GT(seen_errno, 100u);
  EXPECT_GT(seen_trap, 100u);
  EXPECT_GT(seen_kill, 100u);
}

TEST_F(KernelTest, Int80EntryIsKilledByTheArchCheck) {
  policy::PolicyBuilder b;
  b.set_default(Action::allow());  // even an allow-everything policy refuses i386 entry
  Result<policy::Policy> p = b.build();
  ASSERT_TRUE(p.ok());
  Result<Program> prog = compile(*p);
  ASSERT_TRUE(prog.ok());
  std::memset(g_shared, 0, sizeof *g_shared);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    sock_fprog fprog{static_cast<unsigned short>(prog->size()), prog->instructions.data()};
    if (sg_raw_syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, reinterpret_cast<long>(&fprog), 0, 0, 0) != 0) {
      sg_raw_syscall(SYS_exit_group, 3, 0, 0, 0, 0, 0);
    }
    long ret = 20;  // i386 getpid
    asm volatile("int $0x80" : "+a"(ret) : : "memory");
    g_shared->done = 1;  // survived: the arch check did not fire
    sg_raw_syscall(SYS_exit_group, 0, 0, 0, 0, 0, 0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) GTEST_SKIP() << "no IA-32 emulation in this kernel";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) << "status " << status;
  EXPECT_EQ(g_shared->done, 0u);
}

}  // namespace
}  // namespace sysgate::bpf
