#include "monitor/gate_routing.h"

#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "bpf/compiler.h"
#include "bpf/interpreter.h"
#include "gate/gate_trap.h"
#include "loader/exec_path.h"
#include "policy/profiles.h"

namespace sysgate::monitor {
namespace {

// The TRAP that sends a call to the gate (gate/gate_trap.h).
constexpr uint32_t kGateTrap = SECCOMP_RET_TRAP | gate::kGateTrapData;

constexpr uint64_t kGateBegin = 0x100000001000, kGateEnd = 0x100000009000;
constexpr uint64_t kApp = 0x555555554000;
constexpr int kLoaderFd = 1000;

class GateRoutingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<policy::Policy> p = policy::load_profile("default");
    ASSERT_TRUE(p.ok());
    Result<bpf::Program> prog = compile_gated(*p, {.trusted_code = {kGateBegin, kGateEnd}, .loader_fd = kLoaderFd});
    ASSERT_TRUE(prog.ok()) << prog.error().describe();
    program_ = *prog;
  }
  uint32_t verdict(int nr, uint64_t ip, std::initializer_list<uint64_t> args = {}) {
    bpf::SeccompData d;
    d.nr = nr;
    d.arch = AUDIT_ARCH_X86_64;
    d.instruction_pointer = ip;
    int i = 0;
    for (uint64_t a : args) d.args[i++] = a;
    return bpf::run(program_, d);
  }
  bpf::Program program_;
};

TEST_F(GateRoutingTest, FitsTheKernelLimit) { EXPECT_LT(program_.size(), 4096u); }

TEST_F(GateRoutingTest, ProgramCallsTrapAndGateCallsFollowThePolicy) {
  EXPECT_EQ(verdict(SYS_getppid, kApp), kGateTrap);
  EXPECT_EQ(verdict(SYS_getppid, kGateBegin), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(SYS_getppid, kGateEnd - 1), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(SYS_getppid, kGateEnd), kGateTrap);
  EXPECT_EQ(verdict(SYS_getppid, kGateBegin - 1), kGateTrap);
  // The policy still refuses from the gate what it refuses anywhere.
  EXPECT_EQ(verdict(SYS_socket, kGateBegin, {AF_INET, SOCK_STREAM, 0}), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(verdict(SYS_ptrace, kGateBegin), SECCOMP_RET_USER_NOTIF);
  // Same low 32 bits as the gate, other high half: still outside.
  EXPECT_EQ(verdict(SYS_getppid, kGateBegin & 0xffffffffull), kGateTrap);
}

TEST_F(GateRoutingTest, SigreturnIsNeverTrapped) {
  EXPECT_EQ(verdict(SYS_rt_sigreturn, kApp), SECCOMP_RET_ALLOW);
}

TEST_F(GateRoutingTest, TheLoaderFdIsProtected) {
  EXPECT_EQ(verdict(SYS_close, kGateBegin, {kLoaderFd}), SECCOMP_RET_ERRNO | EBADF);
  EXPECT_EQ(verdict(SYS_close, kGateBegin, {3}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(SYS_dup2, kGateBegin, {3, kLoaderFd}), SECCOMP_RET_ERRNO | EBADF);
  EXPECT_EQ(verdict(SYS_dup3, kGateBegin, {3, kLoaderFd, O_CLOEXEC}), SECCOMP_RET_ERRNO | EBADF);
  EXPECT_EQ(verdict(SYS_close_range, kGateBegin, {3, ~0u, 0}), SECCOMP_RET_ERRNO | ENOSYS);
  EXPECT_EQ(verdict(SYS_close_range, kGateBegin, {3, 999, 0}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(SYS_close_range, kGateBegin, {1001, ~0u, 0}), SECCOMP_RET_ALLOW);
  // Upper-half garbage in an int argument does not dodge the rule (the kernel takes the low half).
  EXPECT_EQ(verdict(SYS_close, kGateBegin, {(1ull << 32) | kLoaderFd}), SECCOMP_RET_ERRNO | EBADF);
}

TEST_F(GateRoutingTest, OnlyTheLoaderCanBeExecutedDirectly) {
  EXPECT_EQ(verdict(SYS_execveat, kGateBegin, {kLoaderFd, 0, 0, 0, AT_EMPTY_PATH}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(SYS_execveat, kApp, {kLoaderFd, 0, 0, 0, AT_EMPTY_PATH}), kGateTrap);
  // Any other execveat is the policy's business (default grants exec; Landlock checks the file).
  EXPECT_EQ(verdict(SYS_execveat, kGateBegin, {3, 0, 0, 0, AT_EMPTY_PATH}), SECCOMP_RET_ALLOW);
}

TEST(GateRouting, WithoutExecPromiseOnlyTheLoaderRuns) {
  Result<policy::Policy> p = policy::load_profile("stdio");
  ASSERT_TRUE(p.ok());
  Result<bpf::Program> prog = compile_gated(*p, {.trusted_code = {kGateBegin, kGateEnd}, .loader_fd = kLoaderFd});
  ASSERT_TRUE(prog.ok());
  bpf::SeccompData d;
  d.nr = SYS_execveat;
  d.arch = AUDIT_ARCH_X86_64;
  d.instruction_pointer = kGateBegin;
  d.args[0] = kLoaderFd;
  d.args[1] = loader::kLoaderExecPath;
  d.args[4] = AT_EMPTY_PATH;
  EXPECT_EQ(bpf::run(*prog, d), SECCOMP_RET_ALLOW);
  d.args[0] = 3;
  EXPECT_EQ(bpf::run(*prog, d), SECCOMP_RET_USER_NOTIF);
  d.args[0] = kLoaderFd;
  d.args[4] = 0;  // a path relative to the loader fd: not the loader itself
  EXPECT_EQ(bpf::run(*prog, d), SECCOMP_RET_USER_NOTIF);
  // Any other path pointer could name an absolute path, for which the kernel
  // ignores the fd: only the sealed page's "" (loader/exec_path.h) passes,
  // all 64 bits of it.
  d.args[4] = AT_EMPTY_PATH;
  for (uint64_t other : {loader::kLoaderExecPath + 1, loader::kLoaderExecPath & 0xffffffffu,
                         loader::kLoaderExecPath ^ (uint64_t{1} << 40), uint64_t{0}}) {
    d.args[1] = other;
    EXPECT_EQ(bpf::run(*prog, d), SECCOMP_RET_USER_NOTIF) << std::hex << other;
  }
}

}  // namespace
}  // namespace sysgate::monitor

// The gate's hand-written redirect filter (src/gate/redirect_filter.cc) must
// route exactly as the compiler's gate mode does for an allow-everything policy:
// trap outside the range, allow inside and for rt_sigreturn (x86-64, non-x32
// numbers; other arches and x32 are the policy filter's to kill).
#include <random>
#include <set>

#include "gate/redirect_filter.h"

namespace sysgate::monitor {
namespace {

TEST(RedirectFilter, AgreesWithTheCompilersGateMode) {
  Result<policy::Policy> all = policy::load_profile("all");
  ASSERT_TRUE(all.ok());
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200; ++round) {
    const uint64_t begin = (0x100000000000ull + (rng() % 0x10000) * 4096) & ~0xfffull;
    const uint64_t end = begin + 4096 * (1 + rng() % 16) - (rng() % 7);
    sock_filter raw[gate::kRedirectFilterLength];
    ASSERT_TRUE(gate::build_redirect_filter(begin, end, raw));
    bpf::Program redirect;
    for (const sock_filter& f : raw) redirect.instructions.push_back({f.code, f.jt, f.jf, f.k});
    ASSERT_TRUE(bpf::validate(redirect).ok());
    Result<bpf::Program> reference = bpf::compile(*all, {.trap_outside = {begin, end}});
    ASSERT_TRUE(reference.ok());
    const uint64_t ips[] = {begin, end - 1, end, begin - 1, begin + rng() % (end - begin), rng(),
                            (begin & 0xffffffffull), begin + (1ull << 32)};
    for (uint64_t ip : ips) {
      for (int nr : {0, 1, 15, 59, 231, 322, 435, 470, static_cast<int>(rng() % 512)}) {
        bpf::SeccompData d;
        d.nr = nr;
        d.arch = AUDIT_ARCH_X86_64;
        d.instruction_pointer = ip;
        EXPECT_EQ(bpf::run(redirect, d), bpf::run(*reference, d)) << std::hex << "ip " << ip << " nr " << std::dec << nr;
      }
    }
  }
  sock_filter raw[gate::kRedirectFilterLength];
  EXPECT_FALSE(gate::build_redirect_filter(0x1fffff000ull, 0x200001000ull, raw));  // spans 4 GiB
  EXPECT_FALSE(gate::build_redirect_filter(5, 5, raw));
}

}  // namespace
}  // namespace sysgate::monitor

namespace sysgate::monitor {
namespace {

// `sysgate run`'s variant traps exactly exec, the signal calls, readlink(at),
// close_range and prctl outside the range; everything else is ALLOW on a path
// the kernel's verdict cache can take.
TEST(RedirectFilter, SignalExecVariantTrapsOnlyItsCalls) {
  const uint64_t begin = 0x100000001000ull, end = 0x100000004000ull;
  sock_filter raw[gate::kSignalExecRedirectFilterLength];
  ASSERT_TRUE(gate::build_signal_exec_redirect_filter(begin, end, raw));
  bpf::Program redirect;
  for (const sock_filter& f : raw) redirect.instructions.push_back(f);
  ASSERT_TRUE(bpf::validate(redirect).ok());
  const std::set<int> trapped = {SYS_execve,         SYS_execveat,    SYS_rt_sigaction, SYS_rt_sigprocmask,
                                 SYS_rt_sigpending,  SYS_rt_sigsuspend, SYS_rt_sigtimedwait, SYS_sigaltstack, SYS_arch_prctl,
                                 SYS_readlink,       SYS_readlinkat,  SYS_close_range, SYS_prctl};
  for (int nr = 0; nr < 470; ++nr) {
    for (uint64_t ip : std::initializer_list<uint64_t>{begin, end - 1, end, begin - 1, 0x555555554000ull}) {
      bpf::SeccompData d;
      d.nr = nr;
      d.arch = AUDIT_ARCH_X86_64;
      d.instruction_pointer = ip;
      const bool inside = ip >= begin && ip < end;
      const uint32_t want = trapped.count(nr) && !inside ? kGateTrap : SECCOMP_RET_ALLOW;
      EXPECT_EQ(bpf::run(redirect, d), want) << "nr " << nr << std::hex << " ip " << ip;
    }
  }
}

}  // namespace
}  // namespace sysgate::monitor
