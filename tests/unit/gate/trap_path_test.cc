// The trap path end to end: a forked child under the gate and a real seccomp
// filter does ordinary work through glibc; results and trace records are checked.
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <array>

#include "gate/gate.h"
#include "gate/raw_syscall.h"
#include "gate_test_support.h"

extern "C" void sg_regs_roundtrip(const uint64_t* in, uint64_t* out);
extern "C" void sg_xmm_roundtrip(const uint8_t* in, uint8_t* out);

namespace sysgate::gate::test {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(GateTrapPath, GateAddressRangeIsTheOneAfterTheSyscallInstruction) {
  const auto insn = reinterpret_cast<uintptr_t>(sysgate_gate_syscall_insn);
  const auto begin = reinterpret_cast<uintptr_t>(sysgate_gate_syscall_begin);
  const auto end = reinterpret_cast<uintptr_t>(sysgate_gate_syscall_end);
  EXPECT_EQ(begin, insn + 2);
  EXPECT_EQ(end, begin + 1);
  const auto* bytes = reinterpret_cast<const uint8_t*>(sysgate_gate_syscall_insn);
  EXPECT_EQ(bytes[0], 0x0f);
  EXPECT_EQ(bytes[1], 0x05);
}

TEST(GateTrapPath, PrintfFilesAndGetpid) {
  const std::string data_path = temp_file("sysgate-gate-test\n");
  const std::string out_path = temp_file("");
  TracedRun run = run_traced([&] {
    const int out = open(out_path.c_str(), O_WRONLY | O_TRUNC);
    CHILD_CHECK(out >= 0);
    CHILD_CHECK(dup2(out, 1) == 1);
    std::printf("hello %d\n", 42);
    std::fflush(stdout);
    const int fd = open(data_path.c_str(), O_RDONLY);
    CHILD_CHECK(fd >= 0);
    char buf[64] = {};
    CHILD_CHECK(read(fd, buf, sizeof buf) == 18);
    CHILD_CHECK(std::string(buf) == "sysgate-gate-test\n");
    CHILD_CHECK(close(fd) == 0);
    CHILD_CHECK(syscall(SYS_getpid) == syscall(SYS_gettid));
    CHILD_CHECK(open("/nonexistent/sysgate", O_RDONLY) == -1 && errno == ENOENT);
    return 0;
  });
  ASSERT_EQ(exit_code(run.status), 0);
  EXPECT_EQ(read_file(out_path), "hello 42\n");
  EXPECT_TRUE(run.errors.empty());

  const trace::Record* open_rec = find_with_payload(run.records, SYS_openat, 1, data_path);
  ASSERT_NE(open_rec, nullptr);
  EXPECT_GE(open_rec->ret, 0);
  EXPECT_EQ(format(*open_rec), "openat(AT_FDCWD, \"" + data_path + "\", O_RDONLY) = " + std::to_string(open_rec->ret));

  const trace::Record* read_rec = find_with_payload(run.records, SYS_read, 1, "sysgate-gate-test\n");
  ASSERT_NE(read_rec, nullptr);
  EXPECT_EQ(read_rec->ret, 18);
  EXPECT_EQ(read_rec->args[0], static_cast<uint64_t>(open_rec->ret));

  const trace::Record* write_rec = find_with_payload(run.records, SYS_write, 1, "hello 42\n");
  ASSERT_NE(write_rec, nullptr);
  EXPECT_EQ(format(*write_rec), "write(1, \"hello 42\\n\", 9) = 9");

  const trace::Record* missing = find_with_payload(run.records, SYS_openat, 1, "/nonexistent/sysgate");
  ASSERT_NE(missing, nullptr);
  EXPECT_EQ(missing->ret, -ENOENT);

  ASSERT_EQ(count(run.records, SYS_getpid), 1u);
  const trace::Record* last = &run.records.back();
  EXPECT_EQ(last->kind, trace::kRecordExit);
  EXPECT_EQ(last->nr, SYS_exit_group);
  EXPECT_EQ(last->args[0], 0u);
  for (const trace::Record& r : run.records) {
    EXPECT_EQ(r.pid, last->pid);
    EXPECT_EQ(r.tid, last->pid);
  }
}

TEST(GateTrapPath, OnlyRaxChangesAcrossATrappedSyscall) {
  TracedRun run = run_traced([] {
    uint64_t in[12];
    for (int i = 0; i < 12; ++i) in[i] = 0x1111111111111111ull * static_cast<uint64_t>(i + 1) + 0x0123;
    uint64_t out[18] = {};
    sg_regs_roundtrip(in, out);
    for (int i = 0; i < 12; ++i) CHILD_CHECK(out[i] == in[i]);
    CHILD_CHECK(static_cast<long>(out[12]) == getppid());
    CHILD_CHECK(out[13] == out[15]);  // rcx: the address after `syscall`, as the kernel leaves it
    CHILD_CHECK(out[16] == out[17]);  // rsp
    CHILD_CHECK((out[14] & 0x2) != 0);  // r11 holds rflags (bit 1 is always set)

    uint8_t vin[256];
    uint8_t vout[256] = {};
    for (int i = 0; i < 256; ++i) vin[i] = static_cast<uint8_t>(i * 7 + 3);
    sg_xmm_roundtrip(vin, vout);
    CHILD_CHECK(memcmp(vin, vout, sizeof vin) == 0);
    return 0;
  });
  EXPECT_EQ(exit_code(run.status), 0);
  EXPECT_EQ(count(run.records, SYS_getppid), 3u);  // two round trips and the check
}

// trace -e trace=SET: the gate writes no record for a completed call outside
// the region's call mask (execve and execveat aside), on the trap path and
// through rewritten sites alike; exit records are always written.
TEST(GateTrapPath, CallsOutsideTheMaskAreNotRecorded) {
  for (const uint32_t flags : {0u, static_cast<uint32_t>(kGateRewrite)}) {
    RunOptions options;
    std::array<uint64_t, 8> mask{};
    mask[SYS_getppid / 64] |= uint64_t{1} << (SYS_getppid % 64);
    options.region.call_mask = mask;
    options.gate_flags = flags;
    TracedRun run = run_traced(
        [] {
          for (int i = 0; i < 20; ++i) {
            CHILD_CHECK(getppid() > 0);
            CHILD_CHECK(getpid() > 0);
          }
          return 0;
        },
        options);
    EXPECT_EQ(exit_code(run.status), 0);
    EXPECT_EQ(count(run.records, SYS_getppid), 20u) << flags;
    EXPECT_EQ(count(run.records, SYS_getpid), 0u) << flags;
    EXPECT_EQ(count(run.records, SYS_exit_group), 1u) << flags;  // an exit record, mask or not
  }
}

TEST(GateTrapPath, SurvivesAHundredThousandTrappedCalls) {
  constexpr int kCalls = 100000;
  TracedRun run = run_traced([] {
    const long parent = syscall(SYS_getppid);
    for (int i = 0; i < kCalls - 1; ++i) CHILD_CHECK(syscall(SYS_getppid) == parent);
    return 0;
  });
  ASSERT_EQ(exit_code(run.status), 0);
  EXPECT_EQ(count(run.records, SYS_getppid), static_cast<size_t>(kCalls));
  EXPECT_TRUE(run.errors.empty());
  EXPECT_EQ(run.dropped, 0u);
}

TEST(GateTrapPath, SlowReaderLosesNoRecord) {
  constexpr int kWrites = 20000;
  RunOptions options;
  options.region.region_bytes = 1 << 20;
  options.region.ring_bytes = 64 * 1024;  // ~600 records: the writer waits for the reader often
  options.poll_batch = 64;
  options.pause_between_polls = std::chrono::microseconds(200);
  TracedRun run = run_traced(
      [] {
        const int fd = open("/dev/null", O_WRONLY);
        CHILD_CHECK(fd >= 0);
        for (int i = 0; i < kWrites; ++i) {
          char buf[16];
          const int n = std::snprintf(buf, sizeof buf, "%08d", i);
          CHILD_CHECK(write(fd, buf, static_cast<size_t>(n)) == n);
        }
        return 0;
      },
      options);
  ASSERT_EQ(exit_code(run.status), 0);
  std::vector<const trace::Record*> writes = with_nr(run.records, SYS_write);
  ASSERT_EQ(writes.size(), static_cast<size_t>(kWrites));
  for (int i = 0; i < kWrites; ++i) {
    char want[16];
    std::snprintf(want, sizeof want, "%08d", i);
    const trace::Payload* p = writes[static_cast<size_t>(i)]->payload(1);
    ASSERT_NE(p, nullptr) << i;
    ASSERT_EQ(p->bytes, want) << i;
  }
  EXPECT_TRUE(run.errors.empty());
}

TEST(GateTrapPath, DataPayloadsAreBoundedLikeStraceS) {
  TracedRun run = run_traced([] {
    const int fd = open("/dev/null", O_WRONLY);
    CHILD_CHECK(fd >= 0);
    const std::string big(100, 'x');
    CHILD_CHECK(write(fd, big.data(), big.size()) == 100);
    return 0;
  });
  ASSERT_EQ(exit_code(run.status), 0);
  const trace::Record* w = find_with_payload(run.records, SYS_write, 1, std::string(32, 'x'));
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(w->payload(1)->truncated);
  EXPECT_EQ(format(*w), "write(" + std::to_string(w->args[0]) + ", \"" + std::string(32, 'x') + "\"..., 100) = 100");
}

TEST(GateTrapPath, BadPointersGiveEfaultNotACrash) {
  TracedRun run = run_traced([] {
    auto* bad = reinterpret_cast<const char*>(uintptr_t{0x10});
    CHILD_CHECK(syscall(SYS_openat, AT_FDCWD, bad, O_RDONLY) == -1 && errno == EFAULT);
    CHILD_CHECK(syscall(SYS_write, 1, bad, 5) == -1 && errno == EFAULT);
    CHILD_CHECK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, bad, nullptr, 8) == -1 && errno == EFAULT);
    CHILD_CHECK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, bad, 8) == -1 && errno == EFAULT);
    CHILD_CHECK(syscall(SYS_rt_sigaction, SIGSYS, bad, nullptr, 8) == -1 && errno == EFAULT);
    CHILD_CHECK(syscall(SYS_rt_sigaction, SIGUSR1, bad, nullptr, 8) == -1 && errno == EFAULT);
    CHILD_CHECK(syscall(SYS_sigaltstack, bad, nullptr) == -1 && errno == EFAULT);
    CHILD_CHECK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, nullptr, 4) == -1 && errno == EINVAL);
    return 0;
  });
  EXPECT_EQ(exit_code(run.status), 0);
  const trace::Record* open_rec = with_nr(run.records, SYS_openat).at(0);
  EXPECT_EQ(open_rec->ret, -EFAULT);
  EXPECT_EQ(open_rec->payload(1), nullptr);
  EXPECT_NE(open_rec->flags & trace::kRecordPayloadSkipped, 0);
}

TEST(GateTrapPath, WorksWithoutTracing) {
  RunOptions options;
  options.trace = false;
  TracedRun run = run_traced(
      [] {
        for (int i = 0; i < 1000; ++i) CHILD_CHECK(getppid() > 0);
        CHILD_CHECK(access("/", R_OK) == 0);
        return 0;
      },
      options);
  EXPECT_EQ(exit_code(run.status), 0);
  EXPECT_TRUE(run.records.empty());
}

volatile int g_sigsys_handled = 0;

// A SIGSYS that no filter sent is the program's: its handler runs, SIG_IGN
// ignores it, SIG_DFL kills the process by SIGSYS (the gate's own SIGSYS
// handler stays installed throughout; the program's action is virtual).
TEST(GateTrapPath, SigsysFromAnotherSourceTakesTheProgramsAction) {
  TracedRun handled = run_traced([] {
    struct sigaction sa = {};
    sa.sa_handler = [](int) { g_sigsys_handled = 1; };
    CHILD_CHECK(sigaction(SIGSYS, &sa, nullptr) == 0);
    CHILD_CHECK(kill(getpid(), SIGSYS) == 0);
    CHILD_CHECK(g_sigsys_handled == 1);
    signal(SIGSYS, SIG_IGN);
    CHILD_CHECK(kill(getpid(), SIGSYS) == 0);
    CHILD_CHECK(getppid() > 0);  // traps still reach the gate
    return 0;
  });
  EXPECT_EQ(exit_code(handled.status), 0);
  TracedRun killed = run_traced([] {
    kill(getpid(), SIGSYS);
    return 0;
  });
  EXPECT_EQ(exit_code(killed.status), 1000 + SIGSYS);
}

TEST(GateTrapPath, Clone3IsRefusedWithEnosys) {
  TracedRun run = run_traced([] {
    uint64_t args[11] = {};
    CHILD_CHECK(syscall(SYS_clone3, args, sizeof args) == -1 && errno == ENOSYS);
    return 0;
  });
  EXPECT_EQ(exit_code(run.status), 0);
  ASSERT_EQ(count(run.records, SYS_clone3), 1u);
  EXPECT_NE(with_nr(run.records, SYS_clone3)[0]->flags & trace::kRecordEmulated, 0);
}

TEST(GateTrapPath, AThreadWithoutAGateStackGetsOneOnItsFirstTrap) {
  TracedRun run = run_traced([] {
    // As if the thread had been created behind the gate's back: no alternate
    // stack registered (done from the gate's instruction, which the filter allows).
    stack_t off = {};
    off.ss_flags = SS_DISABLE;
    CHILD_CHECK(sysgate_gate_syscall(SYS_sigaltstack, reinterpret_cast<long>(&off), 0, 0, 0, 0, 0) == 0);
    CHILD_CHECK(syscall(SYS_getppid) > 0);  // this trap runs on the program's stack, once
    stack_t now = {};
    CHILD_CHECK(sysgate_gate_syscall(SYS_sigaltstack, 0, reinterpret_cast<long>(&now), 0, 0, 0, 0) == 0);
    CHILD_CHECK(now.ss_flags == 0 && now.ss_size >= 64 * 1024);  // a fresh gate stack
    for (int i = 0; i < 100; ++i) CHILD_CHECK(syscall(SYS_getppid) > 0);
    return 0;
  });
  EXPECT_EQ(exit_code(run.status), 0);
  EXPECT_EQ(count(run.records, SYS_getppid), 101u);
}

}  // namespace
}  // namespace sysgate::gate::test
