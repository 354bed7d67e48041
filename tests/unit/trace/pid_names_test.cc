// trace::PidNames (strace -Y's names) over hand-built records, with a fake
// system that knows the tasks in `alive`; and the formatter's use of them.
#include "trace/pid_names.h"

#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cstring>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "trace/formatter.h"
#include "trace/signal_format.h"

namespace sysgate::trace {
namespace {

Record call(int nr, std::initializer_list<uint64_t> args, int64_t ret, int32_t tid = 100, int32_t pid = 100) {
  Record r;
  r.kind = kRecordSyscall;
  r.nr = nr;
  r.pid = pid;
  r.tid = tid;
  int i = 0;
  for (uint64_t a : args) r.args[i++] = a;
  r.ret = ret;
  return r;
}

Record with_payload(Record r, int arg, PayloadKind kind, std::string bytes) {
  r.payloads.push_back(Payload{.arg = arg, .kind = kind, .truncated = false, .addr = r.args[arg], .bytes = std::move(bytes)});
  return r;
}

std::string int_bytes(int32_t v) { return std::string(reinterpret_cast<const char*>(&v), sizeof v); }

struct Names {
  std::map<int32_t, std::string> alive;  // what /proc/TID/comm says
  PidNames names{[this](int32_t tid) -> std::optional<std::string> {
    const auto it = alive.find(tid);
    if (it == alive.end()) return std::nullopt;
    return it->second;
  }};
  // What the formatter shows for tid.
  std::string shown(int32_t tid) {
    const std::string* n = names.name(tid);
    return n != nullptr ? *n : "(none)";
  }
  void apply(const Record& r) {
    names.before(r);
    names.after(r);
  }
};

TEST(PidNames, AForkChildTakesItsMakersNameAndAnExecTheLastComponentOfItsPath) {
  Names n;
  n.names.start(100, "sysgate");
  EXPECT_EQ(n.shown(100), "sysgate");
  n.apply(with_payload(call(SYS_execve, {1, 2, 3}, 0), 0, kPayloadPath, "/usr/bin/python3"));
  EXPECT_EQ(n.shown(100), "python3");
  n.apply(call(SYS_clone, {SIGCHLD}, 101));
  EXPECT_EQ(n.shown(101), "python3");
  n.apply(with_payload(call(SYS_execve, {1, 2, 3}, 0, 101, 101), 0, kPayloadPath, "./a-program-with-a-long-name"));
  EXPECT_EQ(n.shown(101), "a-program-with-");  // 15 bytes, as TASK_COMM_LEN keeps
  EXPECT_EQ(n.shown(100), "python3");
  // A failed exec names nothing.
  n.apply(with_payload(call(SYS_execve, {1, 2, 3}, -2), 0, kPayloadPath, "/bin/nothing"));
  EXPECT_EQ(n.shown(100), "python3");
}

TEST(PidNames, PrSetNameNamesTheCallingThreadOnly) {
  Names n;
  n.names.start(100, "prog");
  n.apply(call(SYS_clone, {CLONE_VM | CLONE_THREAD}, 102));
  n.apply(with_payload(call(SYS_prctl, {PR_SET_NAME, 0x1000}, 0, 102, 100), 1, kPayloadStructIn,
                       std::string("worker-thread-long\0", 16)));
  EXPECT_EQ(n.shown(102), "worker-thread-l");
  EXPECT_EQ(n.shown(100), "prog");
  // A failed PR_SET_NAME (EFAULT) leaves it.
  n.apply(call(SYS_prctl, {PR_SET_NAME, 0}, -14, 102, 100));
  EXPECT_EQ(n.shown(102), "worker-thread-l");
}

TEST(PidNames, AReapedChildIsNamedInTheWaitsArgumentsButNotAfter) {
  Names n;
  n.names.start(100, "sh");
  n.apply(call(SYS_clone, {SIGCHLD}, 101));
  // Stopped (WUNTRACED): not reaped.
  Record stopped = with_payload(call(SYS_wait4, {101, 0x1000, WUNTRACED, 0}, 101), 1, kPayloadStructOut,
                                int_bytes(0x137f));
  n.apply(stopped);
  EXPECT_EQ(n.shown(101), "sh");
  EXPECT_FALSE(PidNames::reaped_by(stopped).has_value());
  Record exited = with_payload(call(SYS_wait4, {101, 0x1000, 0, 0}, 101), 1, kPayloadStructOut, int_bytes(3 << 8));
  EXPECT_EQ(PidNames::reaped_by(exited), 101);
  n.names.before(exited);
  EXPECT_EQ(n.shown(101), "sh");  // its argument, as strace shows it at the call's entry
  n.names.after(exited);
  EXPECT_EQ(n.shown(101), "(none)");
  // Even while /proc would still answer for a reused id, until a fork makes it again.
  n.alive[101] = "other";
  EXPECT_EQ(n.shown(101), "(none)");
  n.apply(call(SYS_fork, {}, 101));
  EXPECT_EQ(n.shown(101), "sh");
  // waitid with WNOWAIT leaves it; without, reaps the siginfo's child.
  std::string info(48, '\0');
  const int32_t fields[] = {SIGCHLD, 0, CLD_EXITED, 0, 101};
  std::memcpy(info.data(), fields, sizeof fields);
  n.apply(with_payload(call(SYS_waitid, {P_ALL, 0, 0x2000, WEXITED | WNOWAIT}, 0), 2, kPayloadStructOut, info));
  EXPECT_EQ(n.shown(101), "sh");
  n.apply(with_payload(call(SYS_waitid, {P_ALL, 0, 0x2000, WEXITED}, 0), 2, kPayloadStructOut, info));
  EXPECT_EQ(n.shown(101), "(none)");
}

TEST(PidNames, TasksTheRecordsNeverNamedAreAskedOfTheSystem) {
  Names n;
  n.alive[1] = "init";
  EXPECT_EQ(n.shown(1), "init");
  EXPECT_EQ(n.shown(7), "(none)");
  EXPECT_EQ(n.shown(0), "(none)");
  EXPECT_EQ(n.shown(-5), "(none)");
  // A thread gone from the system, whose records came before its maker's:
  // its process's name.
  n.names.start(100, "prog");
  n.names.before(call(SYS_getpid, {}, 100, 105, 100));
  EXPECT_EQ(n.shown(105), "prog");
}

TEST(PidNames, AChildThatRenamedItselfBeforeItsMakersRecordKeepsItsName) {
  Names n;
  n.names.start(100, "python3");
  n.apply(with_payload(call(SYS_prctl, {PR_SET_NAME, 0x1000}, 0, 101, 101), 1, kPayloadStructIn,
                       std::string("child\0\0\0\0\0\0\0\0\0\0\0", 16)));
  const Record fork = call(SYS_clone, {SIGCHLD}, 101);
  n.names.before(fork);
  EXPECT_EQ(n.shown(101), "python3");  // in the fork's own line: its name when the fork returned
  n.names.after(fork);
  EXPECT_EQ(n.shown(101), "child");
}

TEST(PidNames, TheFormatterShowsNamesAfterTheIdsThatNameTasks) {
  Names n;
  n.names.start(100, "sh");
  n.names.start(200, "sleep");
  FormatOptions options;
  options.task_name = [&n](int32_t tid) { return n.names.name(tid); };
  options.align_column = 0;
  options.pid_prefix = PidPrefix::kBracketed;
  EXPECT_EQ(format_record(call(SYS_getpid, {}, 100), options), "[pid   100<sh>] getpid() = 100<sh>");
  options.pid_prefix = PidPrefix::kColumn;
  EXPECT_EQ(format_record(call(SYS_kill, {200, SIGTERM}, 0), options), "100<sh> kill(200<sleep>, SIGTERM) = 0");
  options.pid_prefix = PidPrefix::kNone;
  // Process groups and "any child" are not tasks.
  EXPECT_EQ(format_record(call(SYS_kill, {static_cast<uint64_t>(-200), SIGTERM}, 0), options), "kill(-200, SIGTERM) = 0");
  EXPECT_EQ(format_record(call(SYS_setpgid, {200, 100}, 0), options), "setpgid(200<sleep>, 100) = 0");
  EXPECT_EQ(format_record(call(SYS_getpgid, {200}, 100), options), "getpgid(200<sleep>) = 100");
  EXPECT_EQ(format_record(call(SYS_tgkill, {100, 200, SIGUSR1}, 0), options), "tgkill(100<sh>, 200<sleep>, SIGUSR1) = 0");
  // A wait's result: gone once reaped.
  EXPECT_EQ(format_record(with_payload(call(SYS_wait4, {200, 0x1000, 0, 0}, 200), 1, kPayloadStructOut, int_bytes(0)),
                          options),
            "wait4(200<sleep>, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 200");
  // A siginfo's sender.
  Record signal;
  signal.kind = kRecordSignal;
  signal.nr = SIGCHLD;
  signal.tid = signal.pid = 100;
  const int32_t fields[] = {SIGCHLD, 0, CLD_EXITED, 0, 200, 0, 0};
  std::memcpy(signal.args, fields, sizeof fields);
  EXPECT_EQ(format_signal(signal, options),
            "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=200<sleep>, si_uid=0, si_status=0, si_utime=0, "
            "si_stime=0} ---");
  // Without -Y, numbers only.
  options.task_name = nullptr;
  EXPECT_EQ(format_record(call(SYS_getpid, {}, 100), options), "getpid() = 100");
}

TEST(PidNames, TheNamesOfTheKernelsExecs) {
  EXPECT_EQ(PidNames::exec_name("/usr/bin/sh"), "sh");
  EXPECT_EQ(PidNames::exec_name("sh"), "sh");
  EXPECT_EQ(PidNames::exec_name("/usr/lib/x/0123456789abcdefghij"), "0123456789abcde");
  EXPECT_TRUE(PidNames::follows(SYS_clone3));
  EXPECT_TRUE(PidNames::follows(SYS_waitid));
  EXPECT_FALSE(PidNames::follows(SYS_read));
}

}  // namespace
}  // namespace sysgate::trace
