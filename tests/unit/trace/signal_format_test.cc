// trace::format_signal against what strace 6.1 printed for the same deliveries
// (kill, tgkill, sigqueue, a child's exit and kill, alarm, a POSIX timer), and
// the shapes strace uses for faults and SIGIO, from hand-built siginfo bytes.
#include "trace/signal_format.h"

#include <cstring>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sysgate::trace {
namespace {

// A signal record as the gate writes it: nr = the signal, args = the first 48
// bytes of the kernel's siginfo.
struct SiginfoBytes {
  int32_t signo = 0, err = 0, code = 0, pad = 0;
  uint8_t fields[32] = {};
  void put32(size_t offset, int32_t v) { std::memcpy(fields + offset - 16, &v, sizeof v); }
  void put64(size_t offset, int64_t v) { std::memcpy(fields + offset - 16, &v, sizeof v); }
};
static_assert(sizeof(SiginfoBytes) == 48);

Record signal(int sig, int code, const SiginfoBytes& base = {}, int32_t tid = 77) {
  SiginfoBytes s = base;
  s.signo = sig;
  s.code = code;
  Record r;
  r.kind = kRecordSignal;
  r.nr = sig;
  r.tid = tid;
  r.pid = tid;
  std::memcpy(r.args, &s, sizeof s);
  return r;
}

SiginfoBytes sender(int32_t pid, int32_t uid) {
  SiginfoBytes s;
  s.put32(16, pid);
  s.put32(20, uid);
  return s;
}

TEST(SignalFormat, SentByAProcess) {
  EXPECT_EQ(format_signal(signal(10, 0, sender(25028, 0))),
            "--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=25028, si_uid=0} ---");
  EXPECT_EQ(format_signal(signal(12, -6, sender(25028, 1000))),
            "--- SIGUSR2 {si_signo=SIGUSR2, si_code=SI_TKILL, si_pid=25028, si_uid=1000} ---");
  SiginfoBytes queued = sender(25028, 0);
  queued.put64(24, 42);
  EXPECT_EQ(format_signal(signal(35, -1, queued)),
            "--- SIGRT_3 {si_signo=SIGRT_3, si_code=SI_QUEUE, si_pid=25028, si_uid=0, si_int=42, si_ptr=0x2a} ---");
}

TEST(SignalFormat, FromTheKernelAndTimers) {
  EXPECT_EQ(format_signal(signal(14, 0x80)), "--- SIGALRM {si_signo=SIGALRM, si_code=SI_KERNEL} ---");
  SiginfoBytes timer;
  timer.put32(16, 0);
  timer.put32(20, 0);
  timer.put64(24, 7);
  EXPECT_EQ(format_signal(signal(12, -2, timer)),
            "--- SIGUSR2 {si_signo=SIGUSR2, si_code=SI_TIMER, si_timerid=0, si_overrun=0, si_int=7, si_ptr=0x7} ---");
}

TEST(SignalFormat, ChildStatus) {
  SiginfoBytes exited = sender(25029, 0);
  exited.put32(24, 3);
  EXPECT_EQ(format_signal(signal(17, 1, exited)),
            "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=25029, si_uid=0, si_status=3, si_utime=0, "
            "si_stime=0} ---");
  SiginfoBytes killed = sender(25030, 0);
  killed.put32(24, 15);
  killed.put64(32, 2);
  killed.put64(40, 125);
  // Clock ticks with their seconds, as strace 6.1 prints a busy child's
  // (si_utime=25 /* 0.25 s */).
  EXPECT_EQ(format_signal(signal(17, 2, killed)),
            "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=25030, si_uid=0, si_status=SIGTERM, "
            "si_utime=2 /* 0.02 s */, si_stime=125 /* 1.25 s */} ---");
  // A stopped or continued child's status is a signal too (CLD_CONTINUED's
  // printed 18).
  const struct {
    int code, status;
    const char* shown;
  } by_signal[] = {{5, 19, "CLD_STOPPED, si_pid=25031, si_uid=0, si_status=SIGSTOP"},
                   {6, 18, "CLD_CONTINUED, si_pid=25031, si_uid=0, si_status=SIGCONT"}};
  for (const auto& c : by_signal) {
    SiginfoBytes child = sender(25031, 0);
    child.put32(24, c.status);
    EXPECT_EQ(format_signal(signal(17, c.code, child)),
              std::string("--- SIGCHLD {si_signo=SIGCHLD, si_code=") + c.shown + ", si_utime=0, si_stime=0} ---");
  }
}

TEST(SignalFormat, FaultsAndPoll) {
  SiginfoBytes at;
  at.put64(16, 0x1234);
  EXPECT_EQ(format_signal(signal(11, 1, at)), "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x1234} ---");
  EXPECT_EQ(format_signal(signal(11, 2)), "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_ACCERR, si_addr=NULL} ---");
  EXPECT_EQ(format_signal(signal(8, 1, at)), "--- SIGFPE {si_signo=SIGFPE, si_code=FPE_INTDIV, si_addr=0x1234} ---");
  SiginfoBytes band;
  band.put64(16, 1);
  band.put32(24, 5);
  EXPECT_EQ(format_signal(signal(29, 1, band)), "--- SIGIO {si_signo=SIGIO, si_code=POLL_IN, si_band=1, si_fd=5} ---");
}

// A seccomp trap's SIGSYS, and Syscall User Dispatch's, as strace 6.1 shows
// them: the call, where it was made, its architecture.
TEST(SignalFormat, SeccompTrapsAndUserDispatch) {
  SiginfoBytes trap;
  trap.err = 7;
  trap.put64(16, 0x7f6c15d1d829);
  trap.put32(24, 110);
  trap.put32(28, static_cast<int32_t>(0xc000003e));
  EXPECT_EQ(format_signal(signal(31, 1, trap)),
            "--- SIGSYS {si_signo=SIGSYS, si_code=SYS_SECCOMP, si_errno=E2BIG, si_call_addr=0x7f6c15d1d829, "
            "si_syscall=__NR_getppid, si_arch=AUDIT_ARCH_X86_64} ---");
  SiginfoBytes dispatched;
  dispatched.put64(16, 0x401000);
  dispatched.put32(24, 9999);
  dispatched.put32(28, 0x40000003);
  EXPECT_EQ(format_signal(signal(31, 2, dispatched)),
            "--- SIGSYS {si_signo=SIGSYS, si_code=SYS_USER_DISPATCH, si_call_addr=0x401000, si_syscall=9999, "
            "si_arch=AUDIT_ARCH_I386} ---");
}

TEST(SignalFormat, UnknownCodesAndSignalsStayNumeric) {
  EXPECT_EQ(format_signal(signal(11, 99)), "--- SIGSEGV {si_signo=SIGSEGV, si_code=0x63, si_addr=NULL} ---");
  EXPECT_EQ(format_signal(signal(70, 0x80)), "--- 70 {si_signo=70, si_code=SI_KERNEL} ---");
}

TEST(SignalFormat, PrefixAndJson) {
  FormatOptions options;
  options.pid_prefix = PidPrefix::kBracketed;
  EXPECT_EQ(format_signal(signal(14, 0x80, {}, 4242), options),
            "[pid  4242] --- SIGALRM {si_signo=SIGALRM, si_code=SI_KERNEL} ---");
  const nlohmann::json j = nlohmann::json::parse(format_signal_json(signal(14, 0x80, {}, 4242), options));
  EXPECT_EQ(j["signal"], "SIGALRM");
  EXPECT_EQ(j["signo"], 14);
  EXPECT_EQ(j["code"], 128);
  EXPECT_EQ(j["tid"], 4242);
  EXPECT_EQ(j["text"], "--- SIGALRM {si_signo=SIGALRM, si_code=SI_KERNEL} ---");
  EXPECT_FALSE(j.contains("time"));
  options.timestamp = "08:06:07.931588 ";  // -tt
  EXPECT_EQ(format_signal(signal(14, 0x80, {}, 4242), options),
            "[pid  4242] 08:06:07.931588 --- SIGALRM {si_signo=SIGALRM, si_code=SI_KERNEL} ---");
  options.json_time_ns = int64_t{1700000000} * 1000000000 + 123456789;  // --json -tt
  const std::string line = format_signal_json(signal(14, 0x80, {}, 4242), options);
  EXPECT_NE(line.find(",\"time\":1700000000.123456}"), std::string::npos) << line;
  EXPECT_EQ(nlohmann::json::parse(line)["text"], "--- SIGALRM {si_signo=SIGALRM, si_code=SI_KERNEL} ---");
}

// strace -X raw and verbose: the siginfo's numbers, the line's own name kept.
TEST(SignalFormat, ConstStylesAsStraceXPrintsThem) {
  FormatOptions raw, verbose;
  raw.const_style = syscalls::ConstStyle::kRaw;
  verbose.const_style = syscalls::ConstStyle::kVerbose;
  SiginfoBytes killed = sender(25030, 0);
  killed.put32(24, 9);
  EXPECT_EQ(format_signal(signal(17, 2, killed), raw),
            "--- SIGCHLD {si_signo=17, si_code=0x2, si_pid=25030, si_uid=0, si_status=9, si_utime=0, si_stime=0} ---");
  EXPECT_EQ(format_signal(signal(17, 2, killed), verbose),
            "--- SIGCHLD {si_signo=17 /* SIGCHLD */, si_code=0x2 /* CLD_KILLED */, si_pid=25030, si_uid=0, "
            "si_status=9 /* SIGKILL */, si_utime=0, si_stime=0} ---");
  EXPECT_EQ(format_signal(signal(12, -6, sender(7, 0)), raw),
            "--- SIGUSR2 {si_signo=12, si_code=0xfffffffa, si_pid=7, si_uid=0} ---");
  EXPECT_EQ(format_signal(signal(10, 0, sender(7, 0)), verbose),
            "--- SIGUSR1 {si_signo=10 /* SIGUSR1 */, si_code=0 /* SI_USER */, si_pid=7, si_uid=0} ---");
  EXPECT_EQ(format_signal(signal(14, 0x80), verbose), "--- SIGALRM {si_signo=14 /* SIGALRM */, si_code=0x80 /* SI_KERNEL */} ---");
}

}  // namespace
}  // namespace sysgate::trace
