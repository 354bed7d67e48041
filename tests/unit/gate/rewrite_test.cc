// Site rewriting (src/gate/rewrite.h): a forked child under the gate with
// kGateRewrite and the test filter (every syscall outside the gate traps) makes
// calls from glibc's getppid and from the sites in rewrite_programs.S; sites are
// rewritten after their first trap and later calls go through trampolines.
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/single_threaded.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <cstdio>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gate/gate.h"
#include "gate/rewrite_stats.h"
#include "gate_test_support.h"

extern "C" {
long sg_rw_multi_getppid();
long sg_rw_multi_getpid();
long sg_rw_multi_getuid();
long sg_rw_multi_getgid();
long sg_rw_multi_geteuid();
long sg_rw_multi_getegid();
long sg_rw_multi_getpgrp();
long sg_rw_multi_gettid();
long sg_rw_read(int fd, void* buf, size_t n);
long sg_rw_stcheck_read(int fd, void* buf, size_t n);
extern uint8_t sg_rw_single;
long sg_rw_jump_into(int direct);
long sg_rw_branch_into_mov(int x);
void sg_rw_regs(const uint64_t* in, uint64_t* out);
long sg_rw_cross_mov();
long sg_rw_cross_syscall();
extern const uint8_t sg_rw_page_start[];
extern const uint8_t sg_rw_jump_into_syscall[];
extern const uint8_t sg_rw_branch_into_mov_site[];
extern const uint8_t sg_rw_cross_mov_site[];
extern const uint8_t sg_rw_cross_syscall_site[];
long sg_rw_mt_read(int fd, void* buf, size_t n, int direct);
long sg_rw_displaced_read(int fd, void* buf, size_t n);
long sg_rw_kill_toggled(pid_t pid, int sig);
extern const uint8_t sg_rw_mt_read_site[];
extern const uint8_t sg_rw_displaced_read_site[];
extern const uint8_t sg_rw_kill_toggled_site[];
long sg_rw_syscall(long nr, ...);
extern const uint8_t sg_rw_syscall_site[];
long sg_rw_toggled_dynamic(long a0, long a1, long a2, long nr);
long sg_rw_imm_read(long fd, void* buf, long ignored, long nr);
extern const uint8_t sg_rw_toggled_dynamic_site[];
long sg_rw_padded_read(int fd, void* buf, size_t n);
long sg_rw_xor_r12(long a0, long a1, long a2, long nr);
long sg_rw_xor_ecx(long a0, long a1, long a2, long nr);
extern const uint8_t sg_rw_xor_r12_site[];
extern const uint8_t sg_rw_xor_ecx_site[];
long sg_rw_unpadded_read(int fd, void* buf, size_t n);
extern const uint8_t sg_rw_imm_read_site[];
long sg_rw_sweep_first();
long sg_rw_sweep_getpid();
long sg_rw_sweep_getuid();
long sg_rw_sweep_hidden();
long sg_rw_sweep_branch(int x);
long sg_rw_sweep_getgid();
long sg_rw_sweep_geteuid();
extern const uint8_t sg_rw_sweep_hidden_imm[];
extern const uint8_t sg_rw_sweep_branch_site[];
}

namespace sysgate::gate::test {
namespace {

RewriteStats stats() {
  RewriteStats s;
  rewrite_stats(&s);
  return s;
}

// This thread's trampoline and trap counts (GateThread through the GS base).
uint64_t tramp_calls() {
  uint64_t v;
  asm volatile("movq %%gs:144, %0" : "=r"(v));
  return v;
}

// The child is single-threaded when the gate is installed, and the test filter
// traps every clone: the gate can count its threads.
RunOptions rewriting(bool trace = false) {
  RunOptions o;
  o.gate_flags = kGateRewrite | kGateSeesEveryClone;
  o.trace = trace;
  return o;
}

void print_stats(const char* what) {
  const RewriteStats s = stats();
  std::fprintf(stderr, "%s: enabled %u, rewritten %lu, refused shape %lu number %lu nofn %lu seg %lu decode %lu "
               "branch %lu slot %lu patch %lu disabled %lu (error %d), blocks %u\n",
               what, s.enabled, s.sites_rewritten, s.refused[kRefuseShape], s.refused[kRefuseNumber],
               s.refused[kRefuseNoFunction], s.refused[kRefuseSegment], s.refused[kRefuseDecode],
               s.refused[kRefuseBranchTarget], s.refused[kRefuseNoSlot], s.refused[kRefusePatch],
               s.refused[kRefuseDisabled], s.disabled_error, s.blocks);
}

int hundred_thousand_getppid() {
  const pid_t parent = getppid();  // traps; the site is rewritten after it
  CHILD_CHECK(parent > 1);
  CHILD_CHECK(stats().enabled == 1);
  CHILD_CHECK(stats().sites_rewritten >= 1);
  const uint64_t before = tramp_calls();
  for (int i = 0; i < 100000; ++i) CHILD_CHECK(getppid() == parent);
  CHILD_CHECK(tramp_calls() - before >= 100000);
  print_stats("getppid");
  return 0;
}

TEST(GateRewrite, GlibcGetppidIsRewrittenAndStaysRight) {
  TracedRun run = run_traced(hundred_thousand_getppid, rewriting(false));
  EXPECT_EQ(exit_code(run.status), 0);
}

TEST(GateRewrite, TracedRewrittenCallsWriteTheSameRecordsAsTraps) {
  TracedRun run = run_traced(hundred_thousand_getppid, rewriting(true));
  ASSERT_EQ(exit_code(run.status), 0);
  EXPECT_TRUE(run.errors.empty());
  const auto recs = with_nr(run.records, SYS_getppid);
  ASSERT_EQ(recs.size(), 100001u);
  for (const trace::Record* r : recs) {
    ASSERT_EQ(r->kind, trace::kRecordSyscall);
    ASSERT_EQ(r->flags, 0u);
    ASSERT_EQ(r->ret, recs[0]->ret);
    ASSERT_EQ(r->tid, recs[0]->tid);
  }
  EXPECT_EQ(format(*recs.back()), "getppid() = " + std::to_string(recs[0]->ret));
}

// glibc's read() starts `cmpb $0,__libc_single_threaded(%rip); je L; xor %eax,%eax;
// syscall`: the stcheck shape (sg_rw_stcheck_read has the same bytes).
TEST(GateRewrite, SingleThreadCheckAtAFunctionEntryIsRewritten) {
  TracedRun run = run_traced([] {
    const int fd = open("/dev/zero", O_RDONLY);
    CHILD_CHECK(fd >= 0);
    char buf[16];
    CHILD_CHECK(sg_rw_stcheck_read(fd, buf, sizeof buf) == 16);  // traps, rewritten
    print_stats("stcheck");
    CHILD_CHECK(*reinterpret_cast<volatile const uint8_t*>(&sg_rw_stcheck_read) == 0xe9);
    const uint64_t t0 = tramp_calls();
    for (int i = 0; i < 1000; ++i) {
      memset(buf, 1, sizeof buf);
      CHILD_CHECK(sg_rw_stcheck_read(fd, buf, sizeof buf) == 16);
      CHILD_CHECK(buf[0] == 0 && buf[15] == 0);
    }
    CHILD_CHECK(tramp_calls() - t0 == 1000);
    CHILD_CHECK(sg_rw_stcheck_read(-1, buf, 1) == -EBADF);
    sg_rw_single = 0;  // the branch is taken: no syscall
    CHILD_CHECK(sg_rw_stcheck_read(fd, buf, sizeof buf) == -1000);
    sg_rw_single = 1;
    CHILD_CHECK(sg_rw_stcheck_read(fd, buf, sizeof buf) == 16);
    CHILD_CHECK(tramp_calls() - t0 == 1002);
    return 0;
  }, rewriting(true));
  ASSERT_EQ(exit_code(run.status), 0);
  EXPECT_EQ(count(run.records, SYS_read), 1003u);
}

TEST(GateRewrite, GlibcReadWorksRewrittenOrNot) {
  TracedRun run = run_traced([] {
    const bool single = __libc_single_threaded != 0;
    const int fd = open("/dev/zero", O_RDONLY);
    CHILD_CHECK(fd >= 0);
    char buf[16];
    CHILD_CHECK(read(fd, buf, sizeof buf) == 16);
    const uint64_t t0 = tramp_calls();
    for (int i = 0; i < 100; ++i) CHILD_CHECK(read(fd, buf, sizeof buf) == 16);
    if (single) CHILD_CHECK(tramp_calls() - t0 == 100);
    std::fprintf(stderr, "glibc read: single-threaded %d, %lu of 100 through trampolines\n", single ? 1 : 0,
                 tramp_calls() - t0);
    std::thread([] {}).join();
    for (int i = 0; i < 100; ++i) CHILD_CHECK(read(fd, buf, sizeof buf) == 16);
    CHILD_CHECK(read(-1, buf, 1) == -1 && errno == EBADF);
    return 0;
  }, rewriting(true));
  ASSERT_EQ(exit_code(run.status), 0);
  EXPECT_EQ(count(run.records, SYS_read), 202u);
}

// glibc's multi-threaded read: `mov 0x8(%rsp),%edi; xor %eax,%eax; syscall`.
// The jmp replaces the 4-byte mov and the xor's first byte, whose value
// (0x31) it keeps by its choice of displacement; a stub runs the mov.
TEST(GateRewrite, ALoadBeforeTheXorOfReadIsRewrittenWithAPunnedJump) {
  TracedRun run = run_traced([] {
    const int fd = open("/dev/zero", O_RDONLY);
    CHILD_CHECK(fd >= 0);
    char buf[16];
    CHILD_CHECK(sg_rw_mt_read(fd, buf, sizeof buf, 0) == 16);  // traps, rewritten
    print_stats("displaced-xor");
    CHILD_CHECK(sg_rw_mt_read_site[0] == 0xe9);
    CHILD_CHECK(sg_rw_mt_read_site[4] == 0x31 && sg_rw_mt_read_site[5] == 0xc0);
    const uint64_t t0 = tramp_calls();
    for (int i = 0; i < 1000; ++i) {
      memset(buf, 1, sizeof buf);
      CHILD_CHECK(sg_rw_mt_read(fd, buf, sizeof buf, 0) == 16);
      CHILD_CHECK(buf[0] == 0 && buf[15] == 0);
    }
    CHILD_CHECK(tramp_calls() - t0 == 1000);
    // Straight to the xor: an old instruction boundary, still intact (trap path).
    CHILD_CHECK(sg_rw_mt_read(fd, buf, sizeof buf, 1) == 16);
    CHILD_CHECK(tramp_calls() - t0 == 1000);
    CHILD_CHECK(sg_rw_mt_read(1000, buf, 1, 0) == -EBADF);
    return 0;
  }, rewriting(true));
  ASSERT_EQ(exit_code(run.status), 0);
  EXPECT_EQ(count(run.records, SYS_read), 1003u);
}

// `mov $nr,%eax; D; syscall`: the mov becomes the jmp and a stub runs D (an
// fd reloaded from the stack; the flag toggle of glibc's futex calls).
TEST(GateRewrite, AnInstructionBetweenTheNumberAndTheSyscallRunsInAStub) {
  TracedRun run = run_traced([] {
    const int fd = open("/dev/zero", O_RDONLY);
    CHILD_CHECK(fd >= 0);
    char buf[8];
    const pid_t self = getpid();
    for (int i = 0; i < 100; ++i) {
      memset(buf, 1, sizeof buf);
      CHILD_CHECK(sg_rw_displaced_read(fd, buf, sizeof buf) == 8);
      CHILD_CHECK(buf[0] == 0 && buf[7] == 0);
      CHILD_CHECK(sg_rw_kill_toggled(self, 0x80) == 0);  // kill(self, 0)
    }
    CHILD_CHECK(sg_rw_kill_toggled(self, 0x80 | 100) == -EINVAL);  // signal 100
    CHILD_CHECK(sg_rw_displaced_read_site[0] == 0xe9);
    CHILD_CHECK(sg_rw_displaced_read_site[5] == 0x8b);  // the mov's successor keeps its bytes
    CHILD_CHECK(sg_rw_kill_toggled_site[0] == 0xe9);
    CHILD_CHECK(sg_rw_kill_toggled_site[5] == 0x40);
    print_stats("mov-displaced");
    return 0;
  }, rewriting(true));
  ASSERT_EQ(exit_code(run.status), 0);
  EXPECT_EQ(count(run.records, SYS_read), 100u);
  EXPECT_EQ(count(run.records, SYS_kill), 101u);
}

// glibc's syscall(): the number is only known at run time. The trampoline
// takes any number the gate need not see; the others (here rt_sigprocmask,
// which the gate emulates) go on to the site's own syscall and trap.
TEST(GateRewrite, GlibcSyscallFunctionIsRewrittenForAnyNumber) {
  TracedRun run = run_traced([] {
    const long ppid = getppid();
    CHILD_CHECK(sg_rw_syscall(SYS_getppid) == ppid);  // traps, rewritten
    CHILD_CHECK(sg_rw_syscall_site[0] == 0xe9);
    const uint64_t t0 = tramp_calls();
    for (int i = 0; i < 100; ++i) CHILD_CHECK(sg_rw_syscall(SYS_getppid) == ppid);
    CHILD_CHECK(sg_rw_syscall(SYS_gettid) == gettid());
    // The sixth argument comes from the stack: mmap's offset (r9 held the fd, -1).
    const long m = sg_rw_syscall(SYS_mmap, 0L, 4096L, static_cast<long>(PROT_READ),
                                 static_cast<long>(MAP_PRIVATE | MAP_ANONYMOUS), -1L, 0L);
    CHILD_CHECK(m > 0 && (m & 4095) == 0);
    CHILD_CHECK(tramp_calls() - t0 == 102);
    uint64_t old_mask = 0, none = 0;
    CHILD_CHECK(sg_rw_syscall(SYS_rt_sigprocmask, static_cast<long>(SIG_BLOCK), &none, &old_mask, 8L) == 0);
    CHILD_CHECK(tramp_calls() - t0 == 102);  // the trap path
    CHILD_CHECK(sg_rw_syscall(100000L) == -ENOSYS);  // beyond the bitmap: the trap path too
    CHILD_CHECK(tramp_calls() - t0 == 102);
    return 0;
  }, rewriting(true));
  ASSERT_EQ(exit_code(run.status), 0);
  EXPECT_EQ(count(run.records, SYS_getppid), 102u);  // records carry the run-time number
  EXPECT_EQ(count(run.records, SYS_gettid), 2u);  // and glibc's gettid()
  EXPECT_EQ(count(run.records, SYS_rt_sigprocmask), 1u);
}

// The number loaded before the instruction ahead of the syscall (glibc's futex
// calls): the jmp covers that 4-byte instruction and the syscall's first
// byte, which it keeps (0x0f); a stub runs the instruction, then the checks
// of a dynamic site.
TEST(GateRewrite, AnInstructionBeforeTheSyscallWithTheNumberLoadedEarlier) {
  TracedRun run = run_traced([] {
    const long self = getpid();
    CHILD_CHECK(sg_rw_toggled_dynamic(self, 0x80, 0, SYS_kill) == 0);  // traps, rewritten: kill(self, 0)
    CHILD_CHECK(sg_rw_toggled_dynamic_site[0] == 0xe9);
    CHILD_CHECK(sg_rw_toggled_dynamic_site[4] == 0x0f && sg_rw_toggled_dynamic_site[5] == 0x05);
    const uint64_t t0 = tramp_calls();
    for (int i = 0; i < 100; ++i) CHILD_CHECK(sg_rw_toggled_dynamic(self, 0x80, 0, SYS_kill) == 0);
    CHILD_CHECK(sg_rw_toggled_dynamic(self, 0x80 | 100, 0, SYS_kill) == -EINVAL);  // signal 100: the toggle ran
    CHILD_CHECK(sg_rw_toggled_dynamic(0, 0, 0, SYS_getppid) == getppid());
    CHILD_CHECK(tramp_calls() - t0 == 102);
    // A number the gate must see: the site's own syscall, which traps.
    const long r = sg_rw_toggled_dynamic(SIG_BLOCK, 0x80, 0, SYS_rt_sigprocmask);
    CHILD_CHECK(r <= 0 && r > -4096);
    CHILD_CHECK(tramp_calls() - t0 == 102);
    return 0;
  }, rewriting(true));
  ASSERT_EQ(exit_code(run.status), 0);
  EXPECT_EQ(count(run.records, SYS_kill), 102u);
}

// `mov $imm,%edx; syscall; cmp`, the number loaded earlier (glibc's futex
// wakes, ld.so's opens): the slot carries the immediate for the stub.
TEST(GateRewrite, AnImmediateLoadBeforeTheSyscallComesFromTheSlot) {
  TracedRun run = run_traced([] {
    const int fd = open("/dev/zero", O_RDONLY);
    CHILD_CHECK(fd >= 0);
    char buf[64];
    CHILD_CHECK(sg_rw_imm_read(fd, buf, 1000, SYS_read) == 8);  // traps, rewritten
    CHILD_CHECK(sg_rw_imm_read_site[0] == 0xe9 && sg_rw_imm_read_site[5] == 0x0f);
    const uint64_t t0 = tramp_calls();
    for (int i = 0; i < 100; ++i) CHILD_CHECK(sg_rw_imm_read(fd, buf, 1000, SYS_read) == 8);
    CHILD_CHECK(tramp_calls() - t0 == 100);
    return 0;
  }, rewriting(true));
  ASSERT_EQ(exit_code(run.status), 0);
  EXPECT_EQ(count(run.records, SYS_read), 101u);
}

// `xor %eax,%eax; syscall` at a function's entry (ld.so's read_nocancel): the
// xor becomes a short jump back into the padding before the function, where a
// jmp rel32 goes to the trampoline. Without padding the site stays on the trap
// path.
TEST(GateRewrite, AFunctionEntryJumpsThroughThePaddingBeforeIt) {
  TracedRun run = run_traced([] {
    int p[2];
    CHILD_CHECK(pipe(p) == 0);
    const uintptr_t padded_at = reinterpret_cast<uintptr_t>(&sg_rw_padded_read);
    const uintptr_t unpadded_at = reinterpret_cast<uintptr_t>(&sg_rw_unpadded_read);
    auto padded = [&](int i) { return *reinterpret_cast<const volatile uint8_t*>(padded_at + i); };
    auto unpadded = [&](int i) { return *reinterpret_cast<const volatile uint8_t*>(unpadded_at + i); };
    char c = 0;
    for (int i = 0; i < 50; ++i) {
      CHILD_CHECK(write(p[1], "ab", 2) == 2);
      CHILD_CHECK(sg_rw_padded_read(p[0], &c, 1) == 1 && c == 'a');
      CHILD_CHECK(sg_rw_unpadded_read(p[0], &c, 1) == 1 && c == 'b');
    }
    CHILD_CHECK(padded(0) == 0xeb && padded(1) == 0xf9);  // jmp .-5
    CHILD_CHECK(padded(-5) == 0xe9);                      // jmp rel32, in the padding
    CHILD_CHECK(padded(2) == 0x0f && padded(3) == 0x05);  // the syscall keeps its bytes
    CHILD_CHECK(unpadded(0) == 0x31 && unpadded(1) == 0xc0);
    const uint64_t t0 = tramp_calls();
    CHILD_CHECK(write(p[1], "xy", 2) == 2);
    CHILD_CHECK(sg_rw_padded_read(p[0], &c, 1) == 1 && c == 'x');
    CHILD_CHECK(sg_rw_unpadded_read(p[0], &c, 1) == 1 && c == 'y');
    CHILD_CHECK(tramp_calls() - t0 == 2);  // the write and the padded read; the unpadded one trapped
    return 0;
  }, rewriting(true));
  ASSERT_EQ(exit_code(run.status), 0);
  EXPECT_EQ(count(run.records, SYS_read), 102u);
}

// `xor %r10d,%r10d; mov %rN,%eax; syscall` (glibc's condition-variable wakes):
// a stub runs both. pread64's offset is r10: 12345 (past the end of the data)
// unless the xor ran. A number the gate must see takes the trap path.
TEST(GateRewrite, AnXorOfR10AndANumberInARegister) {
  TracedRun run = run_traced([] {
    int p[2];
    CHILD_CHECK(pipe(p) == 0);
    char path[] = "/tmp/sysgate-xor-XXXXXX";
    const int fd = mkstemp(path);
    CHILD_CHECK(fd >= 0);
    unlink(path);
    CHILD_CHECK(write(fd, "abcdefgh", 8) == 8);
    for (auto* f : {&sg_rw_xor_r12, &sg_rw_xor_ecx}) {
      for (int i = 0; i < 20; ++i) {
        char buf[8] = {};
        CHILD_CHECK(f(fd, reinterpret_cast<long>(buf), 8, SYS_pread64) == 8);
        CHILD_CHECK(memcmp(buf, "abcdefgh", 8) == 0);
      }
    }
    CHILD_CHECK(sg_rw_xor_r12_site[0] == 0xe9 && sg_rw_xor_ecx_site[0] == 0xe9);
    const uint64_t t0 = tramp_calls();
    char buf[8] = {};
    CHILD_CHECK(sg_rw_xor_r12(fd, reinterpret_cast<long>(buf), 8, SYS_pread64) == 8);
    CHILD_CHECK(sg_rw_xor_ecx(fd, reinterpret_cast<long>(buf), 8, SYS_pread64) == 8);
    CHILD_CHECK(tramp_calls() - t0 == 2);
    // sigaltstack(NULL, &old) stays the gate's (it emulates it): the trap path.
    stack_t old_stack = {};
    CHILD_CHECK(sg_rw_xor_r12(0, reinterpret_cast<long>(&old_stack), 0, SYS_sigaltstack) == 0);
    CHILD_CHECK(old_stack.ss_flags == SS_DISABLE);
    CHILD_CHECK(tramp_calls() - t0 == 2);
    return 0;
  }, rewriting(true));
  ASSERT_EQ(exit_code(run.status), 0);
  EXPECT_EQ(count(run.records, SYS_pread64), 42u);
}

TEST(GateRewrite, PayloadsOfRewrittenCallsAreCopied) {
  const std::string path = temp_file("rewritten\n");
  TracedRun run = run_traced([&] {
    const int fd = open(path.c_str(), O_RDONLY);
    CHILD_CHECK(fd >= 0);
    char buf[32];
    for (int i = 0; i < 3; ++i) CHILD_CHECK(sg_rw_read(fd, buf, 0) == 0);  // rewritten after the first
    CHILD_CHECK(sg_rw_read(fd, buf, sizeof buf) == 10);
    CHILD_CHECK(memcmp(buf, "rewritten\n", 10) == 0);
    return 0;
  }, rewriting(true));
  ASSERT_EQ(exit_code(run.status), 0);
  const trace::Record* r = find_with_payload(run.records, SYS_read, 1, "rewritten\n");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->ret, 10);
}

// Both trampoline paths: the fast one (untraced) and the C++ one (traced).
void expect_registers_and_flags_as_native(bool traced) {
  TracedRun run = run_traced([] {
    for (int round = 0; round < 3; ++round) {  // round 0 traps, then the trampoline
      uint64_t in[12];
      for (int i = 0; i < 12; ++i) in[i] = 0x1111111111111111ull * static_cast<uint64_t>(i + 1) + 0x0456;
      uint64_t out[20] = {};
      sg_rw_regs(in, out);
      for (int i = 0; i < 12; ++i) CHILD_CHECK(out[i] == in[i]);
      CHILD_CHECK(static_cast<long>(out[12]) == getppid());
      CHILD_CHECK(out[13] == out[15]);  // rcx = the address after `syscall`
      CHILD_CHECK(out[16] == out[17]);  // rsp
      CHILD_CHECK((out[18] & 0x8d5) == 0x8d5);  // OF SF ZF AF PF CF were set before
      CHILD_CHECK((out[19] & 0xed5) == (out[18] & 0xed5));  // flags preserved
      CHILD_CHECK((out[14] & 0xed5) == (out[18] & 0xed5));  // r11 = rflags
    }
    CHILD_CHECK(tramp_calls() >= 2);
    return 0;
  }, rewriting(traced));
  EXPECT_EQ(exit_code(run.status), 0);
  if (traced) EXPECT_GE(count(run.records, SYS_getppid), 3u);
}

TEST(GateRewrite, RegistersAndFlagsAreAsAfterANativeSyscall) { expect_registers_and_flags_as_native(false); }

TEST(GateRewrite, RegistersAndFlagsAreAsAfterANativeSyscallWhenTraced) { expect_registers_and_flags_as_native(true); }

TEST(GateRewrite, SitesCrossingAPageBoundary) {
  TracedRun run = run_traced([] {
    const long ppid = getppid();
    const uint64_t r0 = stats().sites_rewritten;
    CHILD_CHECK(((reinterpret_cast<uintptr_t>(sg_rw_cross_mov_site) + 3) & 4095) == 0);  // mov: 3 + 2 bytes
    CHILD_CHECK(((reinterpret_cast<uintptr_t>(sg_rw_cross_syscall_site) + 6) & 4095) == 0);  // syscall: 1 + 1
    for (int i = 0; i < 5; ++i) {
      CHILD_CHECK(sg_rw_cross_mov() == ppid);
      CHILD_CHECK(sg_rw_cross_syscall() == ppid);
    }
    CHILD_CHECK(stats().sites_rewritten >= r0 + 2);
    print_stats("cross");
    CHILD_CHECK(sg_rw_cross_mov_site[0] == 0xe9);
    CHILD_CHECK(sg_rw_cross_syscall_site[0] == 0xe9);
    CHILD_CHECK(sg_rw_cross_syscall_site[5] == 0x0f && sg_rw_cross_syscall_site[6] == 0x05);
    return 0;
  }, rewriting(false));
  EXPECT_EQ(exit_code(run.status), 0);
}

TEST(GateRewrite, AJumpIntoTheSyscallOfARewrittenSiteStillWorks) {
  TracedRun run = run_traced([] {
    const long ppid = getppid();
    CHILD_CHECK(sg_rw_jump_into(0) == ppid);  // traps, rewritten
    CHILD_CHECK(*(reinterpret_cast<const volatile uint8_t*>(reinterpret_cast<uintptr_t>(sg_rw_jump_into_syscall) - 5)) == 0xe9);
    const uint64_t t0 = tramp_calls();
    CHILD_CHECK(sg_rw_jump_into(0) == ppid);  // trampoline
    CHILD_CHECK(tramp_calls() == t0 + 1);
    CHILD_CHECK(sg_rw_jump_into(1) == ppid);  // straight to the syscall: trap path
    CHILD_CHECK(tramp_calls() == t0 + 1);
    return 0;
  }, rewriting(true));
  EXPECT_EQ(exit_code(run.status), 0);
  EXPECT_EQ(count(run.records, SYS_getppid), 4u);
}

TEST(GateRewrite, ABranchIntoTheMovLeavesTheSiteOnTheTrapPath) {
  TracedRun run = run_traced([] {
    const long ppid = getppid();
    const uint64_t refused = stats().refused[kRefuseBranchTarget];
    for (int i = 0; i < 3; ++i) CHILD_CHECK(sg_rw_branch_into_mov(0) == ppid);
    CHILD_CHECK(stats().refused[kRefuseBranchTarget] == refused + 1);
    CHILD_CHECK(sg_rw_branch_into_mov_site[0] == 0xb8);
    return 0;
  }, rewriting(false));
  EXPECT_EQ(exit_code(run.status), 0);
}

TEST(GateRewrite, ThreadsCallThroughAPageWhileItIsRewritten) {
  TracedRun run = run_traced([] {
    const long ppid = getppid();
    const long pid = getpid();
    CHILD_CHECK(sg_rw_multi_getppid() == ppid);  // rewritten
    std::atomic<bool> stop{false};
    std::atomic<int> bad{0};
    std::atomic<long> calls{0};
    std::vector<std::thread> threads;
    for (int k = 0; k < 3; ++k) {
      threads.emplace_back([&] {
        long n = 0;
        while (!stop.load(std::memory_order_relaxed)) {
          if (sg_rw_multi_getppid() != ppid) bad.fetch_add(1);
          if (sg_rw_multi_getpid() != pid) bad.fetch_add(1);
          ++n;
        }
        calls.fetch_add(n);
      });
    }
    long (*const others[])() = {sg_rw_multi_getuid, sg_rw_multi_getgid, sg_rw_multi_geteuid, sg_rw_multi_getegid,
                                sg_rw_multi_getpgrp, sg_rw_multi_gettid};
    const RewriteStats before = stats();
    CHILD_CHECK(before.sole_thread == 0);
    for (auto* f : others) {
      usleep(20000);
      CHILD_CHECK(f() >= 0);
    }
    usleep(20000);
    // With threads running the page, each patch replaced it whole (a store
    // could change bytes another thread is decoding).
    const RewriteStats during = stats();
    CHILD_CHECK(during.patches_stored == before.patches_stored);
    CHILD_CHECK(during.pages_replaced >= before.pages_replaced + 6);
    stop = true;
    for (auto& t : threads) t.join();
    CHILD_CHECK(stats().sole_thread == 1);  // every thread left through the gate
    print_stats("threads");
    std::fprintf(stderr, "threads: %ld calls\n", calls.load());
    CHILD_CHECK(bad.load() == 0);
    CHILD_CHECK(sg_rw_multi_getuid() == static_cast<long>(getuid()));
    CHILD_CHECK(sg_rw_multi_gettid() == pid);
    for (int i = 0; i < 8 * 8; i += 8) CHILD_CHECK(sg_rw_page_start[i] == 0xe9);  // 8-byte functions
    return 0;
  }, rewriting(true));
  EXPECT_EQ(exit_code(run.status), 0);
  EXPECT_TRUE(run.errors.empty());
}

std::atomic<int> g_handled{0};
std::atomic<long> g_handler_ppid{0};

void on_usr1(int) {
  g_handler_ppid = sg_rw_multi_getppid();  // a rewritten call inside the handler
  g_handled.fetch_add(1);
}

int blocking_read_interrupted(bool restart) {
  int p[2];
  CHILD_CHECK(pipe(p) == 0);
  char c = 'x';
  CHILD_CHECK(write(p[1], &c, 1) == 1);
  CHILD_CHECK(sg_rw_read(p[0], &c, 1) == 1);  // traps, rewritten
  CHILD_CHECK(sg_rw_multi_getppid() > 0);
  CHILD_CHECK(stats().sites_rewritten >= 2);
  struct sigaction sa = {};
  sa.sa_handler = on_usr1;
  sa.sa_flags = restart ? SA_RESTART : 0;
  CHILD_CHECK(sigaction(SIGUSR1, &sa, nullptr) == 0);
  std::atomic<long> result{12345};
  const uint64_t before_handled = g_handled.load();
  std::thread reader([&] {
    char b = 0;
    result = sg_rw_read(p[0], &b, 1);  // blocks in the trampoline's call
    if (result == 1 && b != 'y') result = -1000;
  });
  usleep(100000);
  CHILD_CHECK(result.load() == 12345);
  pthread_kill(reader.native_handle(), SIGUSR1);
  usleep(100000);
  CHILD_CHECK(g_handled.load() == static_cast<int>(before_handled) + 1);
  CHILD_CHECK(g_handler_ppid.load() == getppid());
  if (restart) {
    CHILD_CHECK(result.load() == 12345);  // restarted, still blocked
    c = 'y';
    CHILD_CHECK(write(p[1], &c, 1) == 1);
  }
  reader.join();
  CHILD_CHECK(result.load() == (restart ? 1 : -EINTR));
  return 0;
}

TEST(GateRewrite, ASignalInterruptsARewrittenBlockingReadWithEintr) {
  TracedRun run = run_traced([] { return blocking_read_interrupted(false); }, rewriting(true));
  EXPECT_EQ(exit_code(run.status), 0);
}

TEST(GateRewrite, ASignalInterruptsARewrittenBlockingReadWithSaRestart) {
  TracedRun run = run_traced([] { return blocking_read_interrupted(true); }, rewriting(true));
  EXPECT_EQ(exit_code(run.status), 0);
}

std::atomic<long> g_alarm_calls{0};
void on_alarm(int) {
  if (sg_rw_multi_getppid() > 0) g_alarm_calls.fetch_add(1);
}

// A timer signal whose handler makes a traced rewritten call, while the thread
// makes traced rewritten calls: handlers interrupt records half written.
TEST(GateRewrite, SignalHandlersInterruptingRecordsLoseNothing) {
  constexpr long kCalls = 200000;
  TracedRun run = run_traced([] {
    CHILD_CHECK(sg_rw_multi_getppid() > 0);
    struct sigaction sa = {};
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    CHILD_CHECK(sigaction(SIGALRM, &sa, nullptr) == 0);
    itimerval it = {{0, 50}, {0, 50}};
    CHILD_CHECK(setitimer(ITIMER_REAL, &it, nullptr) == 0);
    for (long i = 0; i < kCalls; ++i) CHILD_CHECK(sg_rw_multi_getppid() > 0);
    itimerval off = {};
    CHILD_CHECK(setitimer(ITIMER_REAL, &off, nullptr) == 0);
    std::fprintf(stderr, "alarm handler calls: %ld\n", g_alarm_calls.load());
    return 0;
  }, rewriting(true));
  ASSERT_EQ(exit_code(run.status), 0);
  EXPECT_TRUE(run.errors.empty());
  EXPECT_EQ(run.dropped, 0u);
  // Every call has its record (the handler's calls counted from the trace itself:
  // all are getppid with the same result).
  const size_t n = count(run.records, SYS_getppid);
  EXPECT_GE(n, static_cast<size_t>(kCalls + 1));
  std::fprintf(stderr, "getppid records: %zu (handler calls: %zu)\n", n, n - kCalls - 1);
}

TEST(GateRewrite, ForkAndPosixSpawnChildrenUseRewrittenSites) {
  TracedRun run = run_traced([] {
    const long me = getpid();
    CHILD_CHECK(sg_rw_multi_getppid() > 0);  // rewritten
    const pid_t child = fork();
    if (child == 0) {
      for (int i = 0; i < 1000; ++i) {
        if (sg_rw_multi_getppid() != me) _exit(3);
      }
      _exit(0);
    }
    int status = 0;
    CHILD_CHECK(waitpid(child, &status, 0) == child);
    CHILD_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const pid_t v = vfork();
    if (v == 0) {
      if (sg_rw_multi_getppid() != me) _exit(4);
      _exit(0);
    }
    CHILD_CHECK(waitpid(v, &status, 0) == v);
    CHILD_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return 0;
  }, rewriting(true));
  EXPECT_EQ(exit_code(run.status), 0);
}

// The page's first patch replaces it by a copy from the gate's memfd; later
// patches on it, in a single-threaded process, are stores through its view.
TEST(GateRewrite, LaterPatchesOnAPageAreStoresThroughItsView) {
  TracedRun run = run_traced([] {
    const long ppid = getppid(), uid = getuid(), gid = getgid(), pid = getpid();
    CHILD_CHECK(sg_rw_multi_getppid() == ppid);
    const RewriteStats first = stats();
    CHILD_CHECK(first.sole_thread == 1);
    CHILD_CHECK(first.alias_error == 0);
    CHILD_CHECK(first.pages_replaced >= 1);
    CHILD_CHECK(sg_rw_multi_getuid() == uid);
    CHILD_CHECK(sg_rw_multi_getgid() == gid);
    CHILD_CHECK(sg_rw_multi_getpid() == pid);
    const RewriteStats later = stats();
    CHILD_CHECK(later.pages_replaced == first.pages_replaced);
    CHILD_CHECK(later.patches_stored == first.patches_stored + 3);
    for (int i = 0; i < 4 * 8; i += 8) CHILD_CHECK(sg_rw_page_start[i] == 0xe9);
    const uint64_t t0 = tramp_calls();
    CHILD_CHECK(sg_rw_multi_getuid() == uid);
    CHILD_CHECK(tramp_calls() == t0 + 1);
    // The page is the memfd's, mapped R-X and private; no page is W+X.
    char line[512];
    FILE* maps = fopen("/proc/self/maps", "r");
    CHILD_CHECK(maps != nullptr);
    const uintptr_t page = reinterpret_cast<uintptr_t>(sg_rw_page_start);
    bool found = false;
    while (fgets(line, sizeof line, maps) != nullptr) {
      unsigned long lo = 0, hi = 0;
      char perms[8] = {};
      CHILD_CHECK(sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3);
      CHILD_CHECK(!(perms[1] == 'w' && perms[2] == 'x'));
      if (lo <= page && page < hi) {
        found = true;
        CHILD_CHECK(std::string(perms) == "r-xp");
        CHILD_CHECK(std::string(line).find("/memfd:sysgate-code") != std::string::npos);
      }
    }
    fclose(maps);
    CHILD_CHECK(found);
    return 0;
  }, rewriting(false));
  EXPECT_EQ(exit_code(run.status), 0);
}

// The first byte of a function (a SITE of rewrite_programs.S: its mov).
const volatile uint8_t* code_of(long (*f)()) { return reinterpret_cast<const volatile uint8_t*>(f); }

// kGateSweepPages: the first trap on a page rewrites its other sites and
// those of the pages on either side before they are ever called, with the
// checks a trapped site gets: bytes that only look like a site (inside an
// instruction, or under a branch target) keep their value. Calls through the
// swept sites are right and never trap; a site two pages away still traps first.
TEST(GateRewrite, AFirstTrapRewritesTheOtherSitesOfItsPageAndItsNeighbours) {
  for (const bool sweep : {true, false}) {
    RunOptions o = rewriting(false);
    if (sweep) o.gate_flags |= kGateSweepPages;
    TracedRun run = run_traced([sweep] {
      const long ppid = getppid(), pid = getpid(), uid = getuid(), gid = getgid(), euid = geteuid();
      const uint64_t swept0 = stats().sites_swept;
      CHILD_CHECK(code_of(sg_rw_sweep_getpid)[0] == 0xb8 && code_of(sg_rw_sweep_getgid)[0] == 0xb8);
      CHILD_CHECK(sg_rw_sweep_first() == ppid);  // traps: the page's first site
      const uint8_t patched = sweep ? 0xe9 : 0xb8;
      CHILD_CHECK(code_of(sg_rw_sweep_getpid)[0] == patched);
      CHILD_CHECK(code_of(sg_rw_sweep_getuid)[0] == patched);
      CHILD_CHECK(code_of(sg_rw_sweep_getgid)[0] == patched);  // the next page
      CHILD_CHECK(code_of(sg_rw_sweep_geteuid)[0] == 0xb8);    // two pages on
      // With the sites of the page before (other tests' programs).
      CHILD_CHECK(sweep ? stats().sites_swept - swept0 >= 3 : stats().sites_swept == swept0);
      // Not sites: kept as they were, and still right.
      CHILD_CHECK(sg_rw_sweep_hidden_imm[0] == 0xb8 && sg_rw_sweep_hidden_imm[1] == 0xb8);
      CHILD_CHECK(static_cast<uint64_t>(sg_rw_sweep_hidden()) == 0x90050f00000027b8ull);
      CHILD_CHECK(sg_rw_sweep_branch_site[0] == 0xb8);
      const uint64_t t0 = tramp_calls();
      CHILD_CHECK(sg_rw_sweep_getpid() == pid);
      CHILD_CHECK(sg_rw_sweep_getuid() == uid);
      CHILD_CHECK(sg_rw_sweep_getgid() == gid);
      CHILD_CHECK(tramp_calls() - t0 == (sweep ? 3u : 0u));  // none trapped
      CHILD_CHECK(sg_rw_sweep_branch(0) == ppid);
      CHILD_CHECK(sg_rw_sweep_geteuid() == euid);
      CHILD_CHECK(code_of(sg_rw_sweep_geteuid)[0] == 0xe9);  // rewritten after its own trap
      CHILD_CHECK(stats().refused[kRefuseBranchTarget] >= 1);
      CHILD_CHECK(stats().refused[kRefuseDecode] == 0);  // the hidden bytes never trapped
      return 0;
    }, o);
    EXPECT_EQ(exit_code(run.status), 0) << sweep;
  }
}

// With more than one thread a store could change bytes another thread is
// decoding: a sweep replaces each page once, with all its jumps, and stores
// nothing. Another thread keeps calling through a page two pages on (whose
// own sweep covers the page between) meanwhile.
TEST(GateRewrite, WhileThreadsRunASweepReplacesEachPageOnce) {
  RunOptions o = rewriting(false);
  o.gate_flags |= kGateSweepPages;
  TracedRun run = run_traced([] {
    const long ppid = getppid(), pid = getpid(), uid = getuid(), euid = geteuid();
    std::atomic<bool> stop{false};
    std::atomic<long> wrong{0}, calls{0};
    std::thread other([&] {
      while (!stop.load()) {
        if (sg_rw_sweep_geteuid() != euid) ++wrong;
        ++calls;
      }
    });
    while (calls.load() < 100) sched_yield();
    const RewriteStats before = stats();
    CHILD_CHECK(before.sole_thread == 0);
    CHILD_CHECK(code_of(sg_rw_sweep_getpid)[0] == 0xb8);
    CHILD_CHECK(sg_rw_sweep_first() == ppid);  // traps: the page and its neighbours are swept
    const RewriteStats after = stats();
    CHILD_CHECK(after.patches_stored == before.patches_stored);
    CHILD_CHECK(after.sites_swept >= before.sites_swept + 2);
    // The trapped site's own patch, then one replacement per swept page: this
    // one and the one before (the one after was swept by the other thread).
    CHILD_CHECK(after.pages_replaced - before.pages_replaced <= 3);
    CHILD_CHECK(code_of(sg_rw_sweep_getpid)[0] == 0xe9);
    CHILD_CHECK(code_of(sg_rw_sweep_getuid)[0] == 0xe9);
    CHILD_CHECK(code_of(sg_rw_sweep_getgid)[0] == 0xe9);
    const uint64_t t0 = tramp_calls();
    CHILD_CHECK(sg_rw_sweep_getpid() == pid);
    CHILD_CHECK(sg_rw_sweep_getuid() == uid);
    CHILD_CHECK(tramp_calls() - t0 == 2);
    const long seen = calls.load();
    while (calls.load() < seen + 100) sched_yield();
    stop = true;
    other.join();
    CHILD_CHECK(wrong.load() == 0);
    return 0;
  }, o);
  EXPECT_EQ(exit_code(run.status), 0);
}

// After a fork, parent and child map the same memfd pages: a store through
// either's view would give the other a jump to a trampoline slot it never
// filled. Each patches its own copy instead: the child a site its parent never
// called, the parent one its child never called.
TEST(GateRewrite, AForkedChildAndItsParentPatchTheirOwnPages) {
  TracedRun run = run_traced([] {
    const long me = getpid();
    CHILD_CHECK(sg_rw_multi_getppid() > 0);  // the page now has a view
    int go[2], done[2];
    CHILD_CHECK(pipe(go) == 0 && pipe(done) == 0);
    const pid_t child = fork();
    if (child == 0) {
      close(go[1]);  // a parent that dies gives end of file, not a hang
      close(done[0]);
      for (int i = 0; i < 100; ++i) {
        if (sg_rw_multi_getuid() != static_cast<long>(getuid())) _exit(3);
      }
      if (write(done[1], "x", 1) != 1) _exit(4);
      char c;
      if (read(go[0], &c, 1) != 1) _exit(5);  // the parent has patched getgid's site
      for (int i = 0; i < 100; ++i) {
        if (sg_rw_multi_getgid() != static_cast<long>(getgid())) _exit(6);
        if (sg_rw_multi_getppid() != me) _exit(7);
      }
      _exit(0);
    }
    close(go[0]);
    close(done[1]);
    char c;
    CHILD_CHECK(read(done[0], &c, 1) == 1);  // the child has patched getuid's site
    for (int i = 0; i < 100; ++i) CHILD_CHECK(sg_rw_multi_getgid() == static_cast<long>(getgid()));
    CHILD_CHECK(write(go[1], "x", 1) == 1);
    for (int i = 0; i < 100; ++i) CHILD_CHECK(sg_rw_multi_getuid() == static_cast<long>(getuid()));
    int status = 0;
    CHILD_CHECK(waitpid(child, &status, 0) == child);
    CHILD_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return 0;
  }, rewriting(false));
  EXPECT_EQ(exit_code(run.status), 0);
}

// The program closes the gate's memfd and puts a file of its own at that
// number: the gate must not map (or write) that file, and makes a new memfd.
TEST(GateRewrite, AReplacedMemfdDescriptorIsNotTheGates) {
  TracedRun run = run_traced([] {
    CHILD_CHECK(sg_rw_multi_getppid() > 0);  // the memfd exists
    int memfd = -1;
    for (int fd = 0; fd < 1024 && memfd < 0; ++fd) {
      char link[64], target[256] = {};
      std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
      if (readlink(link, target, sizeof target - 1) > 0 && std::string(target).find("memfd:sysgate-code") != std::string::npos) {
        memfd = fd;
      }
    }
    CHILD_CHECK(memfd >= 3);
    char path[] = "/tmp/sysgate-alias-XXXXXX";
    const int own = mkstemp(path);
    CHILD_CHECK(own >= 0);
    unlink(path);
    std::vector<char> zeros(1 << 16, 0);
    CHILD_CHECK(write(own, zeros.data(), zeros.size()) == static_cast<ssize_t>(zeros.size()));
    CHILD_CHECK(dup2(own, memfd) == memfd);
    CHILD_CHECK(sg_rw_cross_mov() == getppid());  // a new page: a new memfd
    CHILD_CHECK(sg_rw_cross_mov() == getppid());
    CHILD_CHECK(sg_rw_cross_mov_site[0] == 0xe9);
    std::vector<char> back(zeros.size(), 1);
    CHILD_CHECK(pread(memfd, back.data(), back.size(), 0) == static_cast<ssize_t>(back.size()));
    CHILD_CHECK(back == zeros);
    struct stat a, b;
    CHILD_CHECK(fstat(own, &a) == 0 && fstat(memfd, &b) == 0 && a.st_ino == b.st_ino);
    return 0;
  }, rewriting(false));
  EXPECT_EQ(exit_code(run.status), 0);
}

// memfd_create refused (a policy without it): the gate patches by moving a
// patched anonymous copy over the page instead.
TEST(GateRewrite, WithoutMemfdPagesAreReplacedByMremap) {
  TracedRun run = run_traced([] {
    std::vector<sock_filter> p = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_memfd_create, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog = {static_cast<unsigned short>(p.size()), p.data()};
    CHILD_CHECK(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0);
    const long ppid = getppid(), uid = getuid();
    CHILD_CHECK(sg_rw_multi_getppid() == ppid);
    CHILD_CHECK(sg_rw_multi_getuid() == uid);
    const uint64_t t0 = tramp_calls();
    CHILD_CHECK(sg_rw_multi_getppid() == ppid);
    CHILD_CHECK(sg_rw_multi_getuid() == uid);
    CHILD_CHECK(tramp_calls() == t0 + 2);
    const RewriteStats s = stats();
    CHILD_CHECK(s.enabled == 1);
    CHILD_CHECK(s.alias_error == -EPERM);
    CHILD_CHECK(s.pages_replaced == 0 && s.patches_stored == 0);
    CHILD_CHECK(sg_rw_page_start[0] == 0xe9 && sg_rw_page_start[16] == 0xe9);
    return 0;
  }, rewriting(false));
  EXPECT_EQ(exit_code(run.status), 0);
}

// mprotect(PROT_EXEC) refused (a policy without prot_exec): rewriting turns
// itself off and every call stays on the trap path.
TEST(GateRewrite, RewritingIsDisabledWhenProtExecIsRefused) {
  TracedRun run = run_traced([] {
    std::vector<sock_filter> p = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mprotect, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[2])),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog = {static_cast<unsigned short>(p.size()), p.data()};
    CHILD_CHECK(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0);
    const long ppid = getppid();
    for (int i = 0; i < 100; ++i) CHILD_CHECK(getppid() == ppid);
    const RewriteStats s = stats();
    print_stats("noexec");
    CHILD_CHECK(s.enabled == 0);
    CHILD_CHECK(s.disabled_error == -EPERM);
    CHILD_CHECK(s.sites_rewritten == 0);
    CHILD_CHECK(tramp_calls() == 0);
    return 0;
  }, rewriting(true));
  EXPECT_EQ(exit_code(run.status), 0);
  EXPECT_EQ(count(run.records, SYS_getppid), 101u);
}

TEST(GateRewrite, OffByDefault) {
  TracedRun run = run_traced([] {
    const long ppid = getppid();
    for (int i = 0; i < 10; ++i) CHILD_CHECK(getppid() == ppid);
    CHILD_CHECK(stats().enabled == 0);
    CHILD_CHECK(stats().sites_rewritten == 0);
    return 0;
  });
  EXPECT_EQ(exit_code(run.status), 0);
}

#ifdef SYSGATE_EXEC_BIN
// End to end through the loader: `sysgate-exec --gate filter=1,rewrite=1` runs
// python3 with the redirect filter (every syscall outside the loader traps);
// its report line says how many calls went through trampolines.
struct LoaderRun {
  int status = -1;
  std::string out, report;
};

// without_sud: a filter answers PR_SET_SYSCALL_USER_DISPATCH with EINVAL, as a
// kernel without Syscall User Dispatch would (the loader then stacks the
// redirect filter).
LoaderRun run_loader(const std::string& program, const std::vector<std::string>& args, bool without_sud = false) {
  LoaderRun r;
  int out[2], rep[2];
  if (pipe(out) != 0 || pipe(rep) != 0) return r;
  const pid_t pid = fork();
  if (pid == 0) {
    const int prog = open(program.c_str(), O_RDONLY);
    const int loader = open(SYSGATE_EXEC_BIN, O_RDONLY);
    if (prog < 0 || loader < 0 || dup2(prog, 10) != 10 || dup2(loader, 11) != 11 || dup2(rep[1], 20) != 20 ||
        dup2(out[1], 1) != 1) {
      _exit(126);
    }
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (without_sud) {
      sock_filter p[] = {
          BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
          BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 0, 3),
          BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[0])),
          BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 59 /* PR_SET_SYSCALL_USER_DISPATCH */, 0, 1),
          BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
          BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      };
      sock_fprog prog = {static_cast<unsigned short>(sizeof p / sizeof p[0]), p};
      if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) _exit(125);
    }
    std::vector<std::string> argv = {"sysgate-exec", "--fd", "10", "--gate",
                                     "loader=11,filter=1,rewrite=1,rewritestats=20", "--"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execv(SYSGATE_EXEC_BIN, cargv.data());
    _exit(127);
  }
  close(out[1]);
  close(rep[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof buf)) > 0) r.out.append(buf, static_cast<size_t>(n));
  while ((n = read(rep[0], buf, sizeof buf)) > 0) r.report.append(buf, static_cast<size_t>(n));
  close(out[0]);
  close(rep[0]);
  waitpid(pid, &r.status, 0);
  return r;
}

uint64_t report_number(const std::string& report, const std::string& key) {
  const size_t at = report.find(key);
  return at == std::string::npos ? 0 : std::strtoull(report.c_str() + at + key.size(), nullptr, 10);
}

TEST(GateRewriteLoader, Python3ThroughTheLoaderGoesThroughTrampolines) {
  if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no python3";
  const LoaderRun r = run_loader("/usr/bin/python3",
                                 {"python3", "-c", "import os, json\nfor i in range(20000): os.getppid()\n"
                                                   "print(json.dumps({'ok': sum(range(10))}))"});
  ASSERT_EQ(exit_code(r.status), 0) << r.report;
  EXPECT_EQ(r.out, "{\"ok\": 45}\n");
  std::fprintf(stderr, "%s", r.report.c_str());
  const uint64_t sites = report_number(r.report, "rewrite: sites ");
  const uint64_t tramp = report_number(r.report, "calls: trampoline ");
  const uint64_t trap = report_number(r.report, " trap ");
  EXPECT_GE(sites, 10u);
  EXPECT_GE(tramp, 20000u);
  EXPECT_GT(tramp * 100, (tramp + trap) * 97) << "fewer than 97% of the calls went through trampolines";
}

// Every call outside the loader traps through Syscall User Dispatch, which adds
// no seccomp filter; without SUD, through the redirect filter, one more.
TEST(GateRewriteLoader, SyscallUserDispatchOrTheRedirectFilter) {
  // Filters this test process may already run under (a container's) are inherited.
  int inherited = -1;
  FILE* status = fopen("/proc/self/status", "r");
  ASSERT_NE(status, nullptr);
  char line[256];
  while (fgets(line, sizeof line, status) != nullptr) {
    if (std::sscanf(line, "Seccomp_filters: %d", &inherited) == 1) break;
  }
  fclose(status);
  ASSERT_GE(inherited, 0);
  for (bool without_sud : {false, true}) {
    const LoaderRun r = run_loader("/bin/grep", {"grep", "Seccomp_filters", "/proc/self/status"}, without_sud);
    ASSERT_EQ(exit_code(r.status), 0) << r.report;
    // Without SUD: the EINVAL filter and the redirect filter.
    const int expected = inherited + (without_sud ? 2 : 0);
    EXPECT_EQ(r.out, "Seccomp_filters:\t" + std::to_string(expected) + "\n") << without_sud;
    EXPECT_GT(report_number(r.report, "calls: trampoline "), 0u) << r.report;
  }
  const LoaderRun r = run_loader("/usr/bin/find", {"find", "/usr/include", "-name", "stdio.h"}, true);
  ASSERT_EQ(exit_code(r.status), 0) << r.report;
  EXPECT_NE(r.out.find("/usr/include/stdio.h\n"), std::string::npos);
}

TEST(GateRewriteLoader, FindThroughTheLoader) {
  if (access("/usr/bin/find", X_OK) != 0) GTEST_SKIP() << "no find";
  const LoaderRun r = run_loader("/usr/bin/find", {"find", "/usr/include", "-name", "*.h"});
  ASSERT_EQ(exit_code(r.status), 0) << r.report;
  EXPECT_NE(r.out.find("/usr/include/stdio.h\n"), std::string::npos);
  std::fprintf(stderr, "%s", r.report.c_str());
  const uint64_t tramp = report_number(r.report, "calls: trampoline ");
  const uint64_t trap = report_number(r.report, " trap ");
  EXPECT_GT(tramp * 100, (tramp + trap) * 99) << "fewer than 99% of the calls went through trampolines";
}
#endif

TEST(GateRewrite, NumbersWithSpecialSemanticsAreNeverRewritten) {
  for (long nr : {SYS_clone, SYS_clone3, SYS_fork, SYS_vfork, SYS_execve, SYS_execveat, SYS_exit, SYS_exit_group,
                  SYS_rt_sigreturn, SYS_rt_sigprocmask, SYS_sigaltstack, SYS_arch_prctl}) {
    EXPECT_FALSE(rewrite_number_allowed(nr)) << nr;
  }
  EXPECT_TRUE(rewrite_number_allowed(SYS_getppid));
  EXPECT_TRUE(rewrite_number_allowed(SYS_read));
  // Emulated on the trampoline's C++ path (Run.ProcSelfExeNamesTheProgram).
  EXPECT_TRUE(rewrite_number_allowed(SYS_rt_sigaction));
  EXPECT_TRUE(rewrite_number_allowed(SYS_readlink));
  EXPECT_TRUE(rewrite_number_allowed(SYS_readlinkat));
}

// rt_sigaction through a rewritten site is still the gate's emulation: the
// program's SIGSYS action stays virtual (traps keep working), other actions
// are installed with SIGSYS stripped from their masks and read back as set.
TEST(GateRewrite, RewrittenRtSigactionIsStillEmulated) {
  for (const bool trace : {false, true}) {
    TracedRun run = run_traced(
        [] {
          struct sigaction mine = {};
          mine.sa_handler = [](int) {};
          sigaddset(&mine.sa_mask, SIGSYS);
          for (int i = 0; i < 20; ++i) {
            struct sigaction old = {};
            CHILD_CHECK(sigaction(SIGSYS, &mine, &old) == 0);  // virtual: never installed
            if (i > 0) CHILD_CHECK(old.sa_handler == mine.sa_handler);
            CHILD_CHECK(sigaction(SIGUSR1, &mine, &old) == 0);
            if (i > 0) CHILD_CHECK(old.sa_handler == mine.sa_handler && sigismember(&old.sa_mask, SIGSYS));
            CHILD_CHECK(syscall(SYS_getppid) > 0);  // syscall(): always the trap path, SIGSYS still the gate's
          }
          CHILD_CHECK(tramp_calls() >= 19 * 2);  // the rt_sigaction site went onto a trampoline
          return 0;
        },
        rewriting(trace));
    EXPECT_EQ(exit_code(run.status), 0) << trace;
    if (trace) {
      size_t sigsys_emulated = 0;
      for (const trace::Record* r : with_nr(run.records, SYS_rt_sigaction)) {
        if (r->args[0] == SIGSYS && (r->flags & trace::kRecordEmulated) != 0) ++sigsys_emulated;
      }
      EXPECT_EQ(sigsys_emulated, 20u);  // every one, through the trap or the trampoline
    }
  }
}

}  // namespace
}  // namespace sysgate::gate::test
