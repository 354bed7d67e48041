// trace::format_record and friends against what strace 6.1 printed for the same
// calls. Each expected line was copied from a real `strace -f` run (of cat, sh,
// and small C programs); where sysgate cannot print strace's exact line (execve's
// argv, nanosleep's struct) the test says so and checks sysgate's own shape.
#include "trace/formatter.h"
#include "trace/trace_filter.h"

#include <random>
#include <string>
#include <vector>

#include <cstring>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "syscalls/constants.h"
#include "syscalls/syscall_table.h"
#include "trace/record.h"

namespace sysgate::trace {
namespace {

int nr_of(const char* name) {
  const syscalls::SyscallInfo* info = syscalls::by_name(name);
  EXPECT_NE(info, nullptr) << name;
  return info != nullptr ? info->nr : -1;
}

uint64_t neg(int64_t v) { return static_cast<uint64_t>(v); }

Payload path(int arg, uint64_t addr, std::string text) {
  return Payload{.arg = arg, .kind = kPayloadPath, .truncated = false, .addr = addr, .bytes = std::move(text)};
}
Payload data_in(int arg, uint64_t addr, std::string bytes) {
  return Payload{.arg = arg, .kind = kPayloadDataIn, .truncated = false, .addr = addr, .bytes = std::move(bytes)};
}
Payload data_out(int arg, uint64_t addr, std::string bytes, bool truncated = false) {
  return Payload{.arg = arg, .kind = kPayloadDataOut, .truncated = truncated, .addr = addr, .bytes = std::move(bytes)};
}

Record call(const char* name, std::vector<uint64_t> args, int64_t ret, std::vector<Payload> payloads = {},
            RecordKind kind = kRecordSyscall, int32_t tid = 4242) {
  Record r;
  r.kind = kind;
  r.tid = tid;
  r.pid = tid;
  r.nr = nr_of(name);
  for (size_t i = 0; i < args.size() && i < 6; ++i) r.args[i] = args[i];
  r.ret = ret;
  r.payloads = std::move(payloads);
  return r;
}

// The first 1221 bytes cat read from /etc/passwd start like this.
const std::string kPasswd =
    "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "bin:x:2:2:bin:/bin:/usr/sbin/nologin\n";

// -e raw=: strace 6.1's lines for cat's openat and read, and an error.
TEST(TraceFormatter, RawCallsShowHex) {
  Result<TraceFilter> openat_read = parse_trace_filter("openat,read");
  ASSERT_TRUE(openat_read);
  FormatOptions options;
  options.raw = &*openat_read;
  EXPECT_EQ(format_record(call("openat", {neg(-100) & 0xffffffff, 0x7fdc68b360b1, 0x80000}, 3), options),
            "openat(0xffffff9c, 0x7fdc68b360b1, 0x80000, 0) = 0x3");
  EXPECT_EQ(format_record(call("read", {3, 0x7ffcf88e78f8, 0x340}, 0x340), options),
            "read(0x3, 0x7ffcf88e78f8, 0x340)        = 0x340");
  EXPECT_EQ(format_record(call("openat", {0xffffff9c, 0x558cff0fec90, 0}, -2), options),
            "openat(0xffffff9c, 0x558cff0fec90, 0, 0) = -1 ENOENT (No such file or directory)");
  EXPECT_EQ(format_record(call("close", {3}, 0), options), "close(3)                                = 0");  // not raw
}

// clone named as strace 6.1 names it (dash's fork, python's thread).
TEST(TraceFormatter, CloneNamesItsArguments) {
  EXPECT_EQ(format_call_text(call("clone", {0x1200011, 0, 0, 0x7f1f72c79a10, 0}, 26415)),
            "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f1f72c79a10)");
  std::string tid(4, '\0');
  const uint32_t child = 4682;
  std::memcpy(tid.data(), &child, 4);
  const Record thread = call("clone", {0x3d0f00, 0x7f33643cef70, 0x7f33643cf990, 0x7f33643cf990, 0x7f33643cf6c0}, 4682,
                             {Payload{.arg = 2, .kind = kPayloadStructOut, .truncated = false, .addr = 0x7f33643cf990, .bytes = tid}});
  EXPECT_EQ(format_call_text(thread),
            "clone(child_stack=0x7f33643cef70, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|"
            "CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, parent_tid=[4682], "
            "tls=0x7f33643cf6c0, child_tidptr=0x7f33643cf990)");
}

// What -e inject= did, marked as strace 6.1 marks it (its lines for
// `-e inject=getpid:retval=1:delay_exit=20ms` and `inject=openat:error=ENOENT`).
TEST(TraceFormatter, InjectedAndDelayedCallsAreMarked) {
  Record delayed = call("getpid", {}, 1);
  delayed.flags = kRecordInjected | kRecordDelayed;
  EXPECT_EQ(format_record(delayed), "getpid()                                = 1 (INJECTED) (DELAYED)");
  Record failed = call("openat", {neg(-100), 0x7f10, 0x80000}, -2, {path(1, 0x7f10, "/etc/ld.so.cache")});
  failed.flags = kRecordInjected;
  EXPECT_EQ(format_record(failed),
            "openat(AT_FDCWD, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory) (INJECTED)");
  Record slow = call("close", {3}, 0);
  slow.flags = kRecordDelayed;
  EXPECT_EQ(format_record(slow), "close(3)                                = 0 (DELAYED)");
  const std::string json = format_json(failed);
  EXPECT_NE(json.find(",\"injected\":true"), std::string::npos) << json;
  EXPECT_EQ(json.find("delayed"), std::string::npos) << json;
}

TEST(TraceFormatter, SuccessfulCallsAlignTheResultAtColumn40) {
  EXPECT_EQ(format_record(call("openat", {neg(-100), 0x7f10, 0x80000}, 3, {path(1, 0x7f10, "/etc/ld.so.cache")})),
            "openat(AT_FDCWD, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3");
  EXPECT_EQ(format_record(call("close", {3}, 0)), "close(3)                                = 0");
  EXPECT_EQ(format_record(call("getuid", {}, 0)), "getuid()                                = 0");
  EXPECT_EQ(format_record(call("write", {1, 0x5000, 7}, 7, {data_in(1, 0x5000, std::string("\0\1\2abc\n", 7))})),
            "write(1, \"\\0\\1\\2abc\\n\", 7)              = 7");
}

TEST(TraceFormatter, ErrorsShowMinusOneTheErrnoNameAndGlibcsMessage) {
  EXPECT_EQ(format_record(call("access", {0x7f20, 4}, -2, {path(0, 0x7f20, "/etc/ld.so.preload")})),
            "access(\"/etc/ld.so.preload\", R_OK)      = -1 ENOENT (No such file or directory)");
  EXPECT_EQ(format_record(call("close", {0xffffffff00000063ull}, -9)),
            "close(99)                               = -1 EBADF (Bad file descriptor)");
  EXPECT_EQ(format_record(call("wait4", {neg(-1), 0x7ffc0d2eb210, 1, 0}, -10)),
            "wait4(-1, 0x7ffc0d2eb210, WNOHANG, NULL) = -1 ECHILD (No child processes)");
  // Kernel-internal errors strace names, glibc has no text for; and a number without a name.
  EXPECT_EQ(format_result(call("ioctl", {3, 0x5401, 0}, -515)), "= -1 ENOIOCTLCMD (Unknown error 515)");
  EXPECT_EQ(format_result(call("ioctl", {3, 0x5401, 0}, -600)), "= -1 (errno 600)");
  EXPECT_EQ(format_result(call("ioctl", {3, 0x5401, 0}, -4095)), "= -1 (errno 4095)");
  EXPECT_EQ(format_result(call("lseek", {3, 0, 0}, -4096)), "= -4096");  // not an error value
}

TEST(TraceFormatter, RestartErrorsAsStraceShowsThem) {
  EXPECT_EQ(format_record(call("read", {3, 0x7fff4ca65770, 10}, -512)),
            "read(3, 0x7fff4ca65770, 10)             = ? ERESTARTSYS (To be restarted if SA_RESTART is set)");
  EXPECT_EQ(format_record(call("pause", {}, -514)),
            "pause()                                 = ? ERESTARTNOHAND (To be restarted if no handler)");
  EXPECT_EQ(format_result(call("fork", {}, -513)), "= ? ERESTARTNOINTR (To be restarted)");
  // strace: nanosleep({tv_sec=5, tv_nsec=0}, NULL)  = ? ERESTART_RESTARTBLOCK (Interrupted by signal)
  EXPECT_EQ(format_result(call("nanosleep", {0x7ffd0000, 0}, -516)),
            "= ? ERESTART_RESTARTBLOCK (Interrupted by signal)");
}

// An EINTR the signal wrapper recorded (kRecordInterrupted) shows the code the
// kernel returned for that call (trace/restart_code.h); any other EINTR, and
// calls that return EINTR themselves, stay EINTR.
TEST(TraceFormatter, InterruptedCallsShowTheKernelsRestartCode) {
  auto interrupted = [](const char* name, std::initializer_list<uint64_t> args) {
    Record r = call(name, args, -4);
    r.flags |= kRecordInterrupted;
    return format_result(r);
  };
  const std::string sys = "= ? ERESTARTSYS (To be restarted if SA_RESTART is set)",
                    nohand = "= ? ERESTARTNOHAND (To be restarted if no handler)",
                    block = "= ? ERESTART_RESTARTBLOCK (Interrupted by signal)", eintr = "= -1 EINTR (Interrupted system call)";
  EXPECT_EQ(interrupted("read", {3, 0x1000, 1}), sys);
  EXPECT_EQ(interrupted("wait4", {neg(-1), 0, 0, 0}), sys);
  EXPECT_EQ(interrupted("pause", {}), nohand);
  EXPECT_EQ(interrupted("nanosleep", {0x1000, 0}), block);
  EXPECT_EQ(interrupted("clock_nanosleep", {1, 0, 0x1000, 0}), block);
  EXPECT_EQ(interrupted("clock_nanosleep", {1, 1 /* TIMER_ABSTIME */, 0x1000, 0}), nohand);
  EXPECT_EQ(interrupted("poll", {0x1000, 1, 500}), block);
  EXPECT_EQ(interrupted("poll", {0x1000, 1, neg(-1)}), block);  // endless too (fs/select.c)
  EXPECT_EQ(interrupted("futex", {0x1000, 0x80 /* FUTEX_WAIT_PRIVATE */, 0, 0}), sys);
  EXPECT_EQ(interrupted("futex", {0x1000, 0x80, 0, 0x2000}), block);
  EXPECT_EQ(interrupted("epoll_wait", {3, 0x1000, 1, neg(-1)}), eintr);  // EINTR is the kernel's own
  EXPECT_EQ(format_result(call("read", {3, 0x1000, 1}, -4)), eintr);     // not interrupted by a delivery
}

// -e verbose=SET: outside the set, structs are addresses; paths and data stay.
TEST(TraceFormatter, StructsAsAddressesKeepPathsAndData) {
  const std::string sigset(8, '\0');
  Record mask = call("rt_sigprocmask", {0, 0x1000, 0x2000, 8}, 0,
                     {Payload{.arg = 1, .kind = kPayloadStructIn, .truncated = false, .addr = 0x1000, .bytes = sigset},
                      Payload{.arg = 2, .kind = kPayloadStructOut, .truncated = false, .addr = 0x2000, .bytes = sigset}});
  EXPECT_EQ(format_call_text(mask), "rt_sigprocmask(SIG_BLOCK, [], [], 8)");
  EXPECT_EQ(format_call_text(with_structs_as_addresses(mask)), "rt_sigprocmask(SIG_BLOCK, 0x1000, 0x2000, 8)");
  Record open = call("openat", {neg(-100) & 0xffffffff, 0x3000, 0}, 3, {path(1, 0x3000, "/etc/passwd")});
  EXPECT_EQ(format_call_text(with_structs_as_addresses(open)), "openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY)");
  Record read = call("read", {3, 0x4000, 10}, 2, {data_out(1, 0x4000, "hi")});
  EXPECT_EQ(format_call_text(with_structs_as_addresses(read)), "read(3, \"hi\", 10)");
}

TEST(TraceFormatter, PointerReturningCallsInHex) {
  EXPECT_EQ(format_record(call("brk", {0}, 0x56396457a000)), "brk(NULL)                               = 0x56396457a000");
  EXPECT_EQ(format_record(call("mmap", {0, 8192, 3, 0x22, neg(-1), 0}, 0x7f6d0d594000)),
            "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f6d0d594000");
  EXPECT_EQ(format_result(call("mremap", {0x7f44e7e25000, 4096, 8192, 1, 0}, 0x7f44e7e23000)), "= 0x7f44e7e23000");
  EXPECT_EQ(format_result(call("shmat", {5, 0, 0}, 0x7f0000000000)), "= 0x7f0000000000");
  EXPECT_EQ(format_result(call("mmap", {0, 8192, 3, 0x22, neg(-1), 0}, -12)), "= -1 ENOMEM (Cannot allocate memory)");
}

// seccomp's and PR_SET_SECCOMP's structs from the copies the gate makes
// (src/gate/struct_payloads.cc), as strace 6.1 showed the calls of
// tests/integration/programs/structs.c; a call with no copy (or not a whole
// struct) shows the address.
TEST(TraceFormatter, SeccompStructsAsStraceShowsThem) {
  auto copied = [](uint64_t addr, std::string bytes, PayloadKind kind = kPayloadStructIn) {
    return Payload{.arg = 2, .kind = kind, .truncated = false, .addr = addr, .bytes = std::move(bytes)};
  };
  auto u32 = [](uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
  constexpr uint64_t kFprog = 0x7ffeb79ac870, kFilter = 0x7ffeb79ac880;
  std::string fprog(16, '\0');
  fprog[0] = 1;  // len
  std::memcpy(fprog.data() + 8, &kFilter, 8);
  EXPECT_EQ(format_record(call("seccomp", {1, 0, kFprog}, 0, {copied(kFprog, fprog)})),
            "seccomp(SECCOMP_SET_MODE_FILTER, 0, {len=1, filter=0x7ffeb79ac880}) = 0");
  EXPECT_EQ(format_record(call("seccomp", {1, 0x80000003, kFprog}, -22, {copied(kFprog, fprog)})),
            "seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC|SECCOMP_FILTER_FLAG_LOG|0x80000000, "
            "{len=1, filter=0x7ffeb79ac880}) = -1 EINVAL (Invalid argument)");
  EXPECT_EQ(format_record(call("seccomp", {1, 0, 8}, -14)), "seccomp(SECCOMP_SET_MODE_FILTER, 0, 0x8) = -1 EFAULT (Bad address)");
  EXPECT_EQ(format_record(call("prctl", {22, 2, kFprog}, 0, {copied(kFprog, fprog)})),
            "prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, {len=1, filter=0x7ffeb79ac880}) = 0");
  EXPECT_EQ(format_record(call("prctl", {22, 2, kFprog}, 0, {copied(kFprog, fprog.substr(0, 8))})),
            "prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, 0x7ffeb79ac870) = 0");

  constexpr uint64_t kAction = 0x7ffeb79ac84c;
  EXPECT_EQ(format_record(call("seccomp", {2, 0, kAction}, 0, {copied(kAction, u32(0))})),
            "seccomp(SECCOMP_GET_ACTION_AVAIL, 0, [SECCOMP_RET_KILL_THREAD]) = 0");
  EXPECT_EQ(format_record(call("seccomp", {2, 5, kAction}, -22, {copied(kAction, u32(0))})),
            "seccomp(SECCOMP_GET_ACTION_AVAIL, 0x5, [SECCOMP_RET_KILL_THREAD]) = -1 EINVAL (Invalid argument)");
  EXPECT_EQ(format_record(call("seccomp", {2, 0, kAction}, -95, {copied(kAction, u32(0x12340000))})),
            "seccomp(SECCOMP_GET_ACTION_AVAIL, 0, [0x12340000 /* SECCOMP_RET_??? */]) = -1 EOPNOTSUPP (Operation not "
            "supported)");
  EXPECT_EQ(format_record(call("seccomp", {2, 0, 0}, -14)), "seccomp(SECCOMP_GET_ACTION_AVAIL, 0, NULL) = -1 EFAULT (Bad address)");

  constexpr uint64_t kSizes = 0x7ffeb79ac85e;
  const std::string sizes("\x50\0\x18\0\x40\0", 6);  // 80, 24, 64
  EXPECT_EQ(format_record(call("seccomp", {3, 0, kSizes}, 0, {copied(kSizes, sizes, kPayloadStructOut)})),
            "seccomp(SECCOMP_GET_NOTIF_SIZES, 0, {seccomp_notif=80, seccomp_notif_resp=24, seccomp_data=64}) = 0");
  EXPECT_EQ(format_record(call("seccomp", {3, 1, kSizes}, -22)),
            "seccomp(SECCOMP_GET_NOTIF_SIZES, 0x1, 0x7ffeb79ac85e) = -1 EINVAL (Invalid argument)");

  // -X: the action a number, with its name in verbose (strace 6.1's "[0x7ffc0000 /* SECCOMP_RET_LOG */]").
  FormatOptions raw, verbose;
  raw.const_style = syscalls::ConstStyle::kRaw;
  verbose.const_style = syscalls::ConstStyle::kVerbose;
  const Record log = call("seccomp", {2, 0, kAction}, 0, {copied(kAction, u32(0x7ffc0000))});
  EXPECT_EQ(format_record(log, raw), "seccomp(0x2, 0, [0x7ffc0000])           = 0");
  EXPECT_EQ(format_record(log, verbose),
            "seccomp(0x2 /* SECCOMP_GET_ACTION_AVAIL */, 0, [0x7ffc0000 /* SECCOMP_RET_LOG */]) = 0");
  EXPECT_EQ(format_record(call("seccomp", {2, 0, kAction}, 0, {copied(kAction, u32(0))}), verbose),
            "seccomp(0x2 /* SECCOMP_GET_ACTION_AVAIL */, 0, [0 /* SECCOMP_RET_KILL_THREAD */]) = 0");
}

TEST(TraceFormatter, ResultsStraceDecodes) {
  EXPECT_EQ(format_record(call("umask", {022}, 022)), "umask(022)                              = 022");
  EXPECT_EQ(format_record(call("umask", {0}, 022)), "umask(000)                              = 022");
  EXPECT_EQ(format_record(call("fcntl", {1, 3}, 0x8001)),
            "fcntl(1, F_GETFL)                       = 0x8001 (flags O_WRONLY|O_LARGEFILE)");
  EXPECT_EQ(format_record(call("fcntl", {1, 1}, 0)), "fcntl(1, F_GETFD)                       = 0");
  EXPECT_EQ(format_record(call("fcntl", {1, 1}, 1)),
            "fcntl(1, F_GETFD)                       = 0x1 (flags FD_CLOEXEC)");
  EXPECT_EQ(format_record(call("fcntl", {1, 0, 10}, 11)), "fcntl(1, F_DUPFD, 10)                   = 11");
}

TEST(TraceFormatter, ReadShowsWhatTheKernelWroteUpToMaxString) {
  EXPECT_EQ(format_record(call("read", {3, 0x9000, 131072}, 1221, {data_out(1, 0x9000, kPasswd)})),
            "read(3, \"root:x:0:0:root:/root:/bin/bash\\n\"..., 131072) = 1221");
  EXPECT_EQ(format_record(call("read", {3, 0x9000, 10}, 10, {data_out(1, 0x9000, "root:x:0:0")})),
            "read(3, \"root:x:0:0\", 10)               = 10");
  EXPECT_EQ(format_record(call("pread64", {3, 0x9000, 5, 0}, 5, {data_out(1, 0x9000, "root:")})),
            "pread64(3, \"root:\", 5, 0)               = 5");
  EXPECT_EQ(format_record(call("read", {3, 0x9000, 0}, 0)), "read(3, \"\", 0)                          = 0");
  EXPECT_EQ(format_record(call("read", {3, 0x9000, 4096}, 0)), "read(3, \"\", 4096)                       = 0");
  // A failed read shows the buffer's address (NULL for 0).
  EXPECT_EQ(format_record(call("read", {neg(-1), 0x7fff14c56b80, 10}, -9)),
            "read(-1, 0x7fff14c56b80, 10)            = -1 EBADF (Bad file descriptor)");
  EXPECT_EQ(format_record(call("read", {3, 0, 10}, -14)),
            "read(3, NULL, 10)                       = -1 EFAULT (Bad address)");
  // Binary data in octal escapes, as strace prints an ELF header.
  const std::string elf("\177ELF\2\1\1\3\0\0\0\0\0\0\0\0\3\0>\0\1\0\0\0\20t\2\0\0\0\0\0\x40\0\0\0", 36);
  EXPECT_EQ(format_record(call("read", {3, 0x9000, 832}, 832, {data_out(1, 0x9000, elf)})),
            "read(3, \"\\177ELF\\2\\1\\1\\3\\0\\0\\0\\0\\0\\0\\0\\0\\3\\0>\\0\\1\\0\\0\\0\\20t\\2\\0\\0\\0\\0\\0\"..., 832) = 832");
}

TEST(TraceFormatter, MaxStringIsStraceMinusS) {
  const Record r = call("read", {3, 0x9000, 100}, 100, {data_out(1, 0x9000, kPasswd.substr(10, 100))});
  EXPECT_EQ(format_record(r), "read(3, \":root:/root:/bin/bash\\ndaemon:x:1\"..., 100) = 100");
  EXPECT_EQ(format_record(r, {.max_string = 5}), "read(3, \":root\"..., 100)                = 100");
  EXPECT_EQ(format_record(r, {.max_string = 0}), "read(3, \"\"..., 100)                     = 100");
  EXPECT_EQ(format_record(r, {.max_string = 100}), "read(3, " + std::string("\":root:/root:/bin/bash\\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\\nbin:x:2:2:bin:/bin:/usr/sbin/n\"") + ", 100) = 100");
  // The gate copied fewer bytes than -s asks for (its max_data): what there is, then "...".
  const Record short_copy = call("read", {3, 0x9000, 100}, 100, {data_out(1, 0x9000, "root:", true)});
  EXPECT_EQ(format_record(short_copy, {.max_string = 64}), "read(3, \"root:\"..., 100)                = 100");
  // A record without the payload (copying disabled): the address.
  EXPECT_EQ(format_record(call("read", {3, 0x9000, 100}, 100)), "read(3, 0x9000, 100)                    = 100");
  // write's input buffer obeys -s too.
  const Record w = call("write", {1, 0x5000, 40}, 40, {data_in(1, 0x5000, kPasswd.substr(0, 40))});
  EXPECT_EQ(format_record(w, {.max_string = 4}), "write(1, \"root\"..., 40)                 = 40");
}

TEST(TraceFormatter, OtherOutputBuffers) {
  EXPECT_EQ(format_record(call("readlink", {0x7f30, 0x9000, 4096}, 7,
                               {path(0, 0x7f30, "/proc/self/exe"), data_out(1, 0x9000, "/tmp/t1")})),
            "readlink(\"/proc/self/exe\", \"/tmp/t1\", 4096) = 7");
  EXPECT_EQ(format_record(call("readlink", {0x7f30, 0x9000, 4}, 4,
                               {path(0, 0x7f30, "/proc/self/exe"), data_out(1, 0x9000, "/tmp")})),
            "readlink(\"/proc/self/exe\", \"/tmp\", 4)   = 4");
  // getcwd's result counts the NUL; the path is shown whole.
  EXPECT_EQ(format_record(call("getcwd", {0x9000, 4096}, 5, {data_out(0, 0x9000, std::string("/tmp\0", 5))})),
            "getcwd(\"/tmp\", 4096)                    = 5");
  // getrandom in hex, as strace forces it.
  const std::string random("\x4b\x58\x38\x24\x0d\xd8\x55\xb6\xee\xfa\x7f\x4c\xad\xad\xcb\xb3"
                           "\x88\xd3\x98\xbd\x1a\x4f\x53\xf7\xb2\x89\x24\x1d\xdf\xb4\x5b\x06"
                           "\x01\x02\x03\x04\x05\x06\x07\x08",
                           40);
  EXPECT_EQ(format_record(call("getrandom", {0x9000, 40, 0}, 40, {data_out(0, 0x9000, random)})),
            "getrandom(\"\\x4b\\x58\\x38\\x24\\x0d\\xd8\\x55\\xb6\\xee\\xfa\\x7f\\x4c\\xad\\xad\\xcb\\xb3\\x88\\xd3"
            "\\x98\\xbd\\x1a\\x4f\\x53\\xf7\\xb2\\x89\\x24\\x1d\\xdf\\xb4\\x5b\\x06\"..., 40, 0) = 40");
  // getdents64: the address and the number of entries ("." and "..", 24 bytes each).
  std::string dirents;
  for (const char* name : {".", ".."}) {
    std::string entry(24, '\0');
    entry[16] = 24;
    entry[18] = 4;  // DT_DIR
    entry.replace(19, std::char_traits<char>::length(name), name);
    dirents += entry;
  }
  EXPECT_EQ(format_record(call("getdents64", {5, 0x7fff4ca64760, 4096}, 48, {data_out(1, 0x7fff4ca64760, dirents)})),
            "getdents64(5, 0x7fff4ca64760 /* 2 entries */, 4096) = 48");
  EXPECT_EQ(format_record(call("getdents64", {5, 0x7fff4ca64760, 4096}, 0)),
            "getdents64(5, 0x7fff4ca64760 /* 0 entries */, 4096) = 0");
  // More entries than the gate copied: no count, the address alone.
  EXPECT_EQ(format_record(call("getdents64", {5, 0x7fff4ca64760, 32768}, 8000,
                               {data_out(1, 0x7fff4ca64760, dirents, true)})),
            "getdents64(5, 0x7fff4ca64760, 32768)    = 8000");
  // The count the gate made in the whole buffer (a kPayloadArrayCount).
  const uint64_t count = 573;
  Record counted = call("getdents64", {5, 0x7fff4ca64760, 32768}, 18984);
  counted.payloads.push_back(Payload{.arg = 1, .kind = kPayloadArrayCount, .truncated = false, .addr = 0x7fff4ca64760,
                                     .bytes = std::string(reinterpret_cast<const char*>(&count), 8)});
  EXPECT_EQ(format_record(counted), "getdents64(5, 0x7fff4ca64760 /* 573 entries */, 32768) = 18984");
}

TEST(TraceFormatter, PidPrefixUsesTheTid) {
  const FormatOptions several{.pid_prefix = PidPrefix::kBracketed};
  EXPECT_EQ(format_record(call("exit_group", {0}, 0, {}, kRecordExit, 28812), several),
            "[pid 28812] exit_group(0)               = ?");
  EXPECT_EQ(format_exited(28812, 0, several), "[pid 28812] +++ exited with 0 +++");
  Record thread = call("getpid", {}, 77, {}, kRecordSyscall, 79);
  thread.pid = 77;
  EXPECT_EQ(format_record(thread, several), "[pid    79] getpid()                    = 77");
}

// strace -f -o FILE: "%-5d " (two spaces after a four-digit pid, one after
// five), and " = " still at column 40, counting it.
TEST(TraceFormatter, ColumnPrefixIsStracesInFiles) {
  const FormatOptions column{.pid_prefix = PidPrefix::kColumn};
  EXPECT_EQ(format_record(call("exit_group", {0}, 0, {}, kRecordExit, 2083), column),
            "2083  exit_group(0)                     = ?");
  EXPECT_EQ(format_exited(28812, 0, column), "28812 +++ exited with 0 +++");
  EXPECT_EQ(format_killed(7, 15, false, column), "7     +++ killed by SIGTERM +++");
}

// strace -f -tt: the stamp after the pid prefix; " = " still at column 40,
// counting both (strace 6: "08:06:07.931588 brk(NULL)               = 0x...").
TEST(TraceFormatter, TimestampFollowsThePidPrefix) {
  FormatOptions stamped{.pid_prefix = PidPrefix::kNone, .timestamp = "08:06:07.931588 "};
  EXPECT_EQ(format_record(call("getpid", {}, 77), stamped), "08:06:07.931588 getpid()                = 77");
  stamped.pid_prefix = PidPrefix::kBracketed;
  EXPECT_EQ(format_record(call("getpid", {}, 77, {}, kRecordSyscall, 79), stamped),
            "[pid    79] 08:06:07.931588 getpid()    = 77");
  EXPECT_EQ(format_exited(79, 0, stamped), "[pid    79] 08:06:07.931588 +++ exited with 0 +++");
}

TEST(TraceFormatter, ExitGroupThenExitedLine) {
  EXPECT_EQ(format_record(call("exit_group", {3}, 0, {}, kRecordExit)), "exit_group(3)                           = ?");
  EXPECT_EQ(format_exited(4242, 3), "+++ exited with 3 +++");
  EXPECT_EQ(format_record(call("exit", {0}, 0, {}, kRecordExit)), "exit(0)                                 = ?");
  EXPECT_EQ(format_killed(4242, 9, false), "+++ killed by SIGKILL +++");
  EXPECT_EQ(format_killed(4242, 11, true, {.pid_prefix = PidPrefix::kBracketed}), "[pid  4242] +++ killed by SIGSEGV (core dumped) +++");
}

TEST(TraceFormatter, Execve) {
  // strace: execve("/usr/bin/sh", ["sh", "-c", "..."], 0x7fffb350a658 /* 37 vars */) = 0
  // The gate does not copy argv and envp yet: their addresses stand in.
  const Record enter = call("execve", {0x7f40, 0x7fffb350a640, 0x7fffb350a658}, 0, {path(0, 0x7f40, "/usr/bin/sh")},
                            kRecordSyscallEnter);
  EXPECT_EQ(format_exec_success(enter), "execve(\"/usr/bin/sh\", 0x7fffb350a640, 0x7fffb350a658) = 0");
  EXPECT_EQ(format_record(exec_result(enter)), format_exec_success(enter));
  EXPECT_EQ(exec_result(enter).kind, kRecordSyscall);
  // Unresolved (the process died in the exec): strace's unfinished form.
  EXPECT_EQ(format_record(enter, {.pid_prefix = PidPrefix::kBracketed}),
            "[pid  4242] execve(\"/usr/bin/sh\", 0x7fffb350a640, 0x7fffb350a658 <unfinished ...>");
  EXPECT_EQ(format_result(enter), "= ?");
  // Failure: the gate's second record carries the error.
  const Record failed = call("execve", {0x7f40, 0x7fffb350a640, 0x7fffb350a658}, -2, {path(0, 0x7f40, "/nonexistent")});
  EXPECT_EQ(format_record(failed),
            "execve(\"/nonexistent\", 0x7fffb350a640, 0x7fffb350a658) = -1 ENOENT (No such file or directory)");
  const Record at = call("execveat", {3, 0x7f40, 0x10, 0x20, 0x1000}, 0, {path(1, 0x7f40, "")}, kRecordSyscallEnter);
  EXPECT_EQ(format_exec_success(at), "execveat(3, \"\", 0x10, 0x20, AT_EMPTY_PATH) = 0");
}

TEST(TraceFormatter, RecordsThatAreNotCallsGiveNothing) {
  Record pad;
  pad.kind = kRecordPad;
  EXPECT_EQ(format_record(pad), "");
  Record signal;
  signal.kind = kRecordSignal;
  EXPECT_EQ(format_record(signal), "");
}

// The append_* forms add to a buffer holding earlier lines; the result column
// counts from the start of the line, not of the buffer.
TEST(TraceFormatter, AppendRecordAddsALineAfterWhatTheBufferHolds) {
  const FormatOptions several{.pid_prefix = PidPrefix::kBracketed};
  const Record read = call("read", {3, 0x7f00, 4096}, 5, {data_out(1, 0x7f00, "hello")});
  std::string out = "earlier line\n";
  append_record(out, read, several);
  EXPECT_EQ(out, "earlier line\n" + format_record(read, several));
  EXPECT_EQ(out, "earlier line\n[pid  4242] read(3, \"hello\", 4096)      = 5");
  out += '\n';
  append_record(out, call("close", {3}, 0));
  EXPECT_EQ(out, "earlier line\n[pid  4242] read(3, \"hello\", 4096)      = 5\nclose(3)                                = 0");

  std::string pieces = ">";
  append_call_text(pieces, read);
  pieces += ' ';
  append_result(pieces, read);
  EXPECT_EQ(pieces, ">" + format_call_text(read) + " " + format_result(read));

  const Record enter = call("execve", {0x7f40, 0x10, 0x20}, 0, {path(0, 0x7f40, "/bin/sh")}, kRecordSyscallEnter);
  std::string unfinished = "x";
  append_record(unfinished, enter);
  EXPECT_EQ(unfinished, "x" + format_record(enter));
  Record pad;
  pad.kind = kRecordPad;
  append_record(unfinished, pad);
  EXPECT_EQ(unfinished, "x" + format_record(enter));  // nothing for a pad
}

TEST(TraceFormatter, JsonHasEveryFieldAndParses) {
  const Record r = call("openat", {neg(-100), 0x7f10, 0}, -2, {path(1, 0x7f10, "/nope \"quoted\"\n")});
  const std::string line = format_json(r);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j["pid"], 4242);
  EXPECT_EQ(j["tid"], 4242);
  EXPECT_EQ(j["syscall"], "openat");
  EXPECT_EQ(j["nr"], 257);
  ASSERT_TRUE(j["args"].is_array());
  ASSERT_EQ(j["args"].size(), 6u);
  EXPECT_EQ(j["args"][0].get<uint64_t>(), 0xffffffffffffff9cull);
  EXPECT_EQ(j["args"][1].get<uint64_t>(), 0x7f10u);
  EXPECT_EQ(j["call"], "openat(AT_FDCWD, \"/nope \\\"quoted\\\"\\n\", O_RDONLY)");
  EXPECT_EQ(j["ret"], -2);
  EXPECT_EQ(j["errno"], "ENOENT");
  EXPECT_EQ(j["text"], format_record(r));
  EXPECT_EQ(j["text"], "openat(AT_FDCWD, \"/nope \\\"quoted\\\"\\n\", O_RDONLY) = -1 ENOENT (No such file or directory)");

  const nlohmann::json ok = nlohmann::json::parse(format_json(call("close", {3}, 0)));
  EXPECT_EQ(ok["ret"], 0);
  EXPECT_TRUE(ok["errno"].is_null());
  const nlohmann::json exit = nlohmann::json::parse(format_json(call("exit_group", {1}, 0, {}, kRecordExit)));
  EXPECT_TRUE(exit["ret"].is_null());
  EXPECT_EQ(exit["text"], "exit_group(1)                           = ?");
  const nlohmann::json restart = nlohmann::json::parse(format_json(call("pause", {}, -514)));
  EXPECT_EQ(restart["errno"], "ERESTARTNOHAND");
  EXPECT_TRUE(nlohmann::json::parse(format_json(call("ioctl", {3, 0, 0}, -600)))["errno"].is_null());
  // The prefix option reaches "text", never the other fields.
  const nlohmann::json prefixed = nlohmann::json::parse(format_json(call("close", {3}, 0), {.pid_prefix = PidPrefix::kBracketed}));
  EXPECT_EQ(prefixed["text"], "[pid  4242] close(3)                    = 0");
  EXPECT_EQ(prefixed["call"], "close(3)");
}

// append_json writes its text by hand; a json value of the same fields, dumped
// by nlohmann, must give the same bytes for any record.
std::string json_by_nlohmann(const Record& record, const FormatOptions& options) {
  nlohmann::ordered_json j;
  j["pid"] = record.pid;
  j["tid"] = record.tid;
  j["syscall"] = syscalls::display_name(record.nr);
  j["nr"] = record.nr;
  j["args"] = nlohmann::ordered_json::array();
  for (const uint64_t arg : record.args) j["args"].push_back(arg);
  j["call"] = format_call_text(record, options);
  if (record.kind == kRecordSyscall) {
    j["ret"] = record.ret;
    const bool error = record.ret >= -4095 && record.ret <= -1;
    const int err = static_cast<int>(-record.ret);
    // The kernel-internal codes the random records use; the others by their name.
    const std::string name = !error       ? ""
                             : err == 512 ? "ERESTARTSYS"
                             : err == 514 ? "ERESTARTNOHAND"
                             : err >= 512 ? ""
                                          : std::string(syscalls::constants::errno_name(err));
    j["errno"] = name.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(name);
  } else {
    j["ret"] = nullptr;
    j["errno"] = nullptr;
  }
  j["text"] = format_record(record, options);
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

TEST(TraceFormatter, JsonIsWhatNlohmannWouldWrite) {
  std::mt19937_64 random(11);
  auto bytes = [&](size_t n) {
    std::string b;
    for (size_t i = 0; i < n; ++i) b += static_cast<char>(random() % 4 == 0 ? random() % 256 : ' ' + random() % 95);
    return b;
  };
  const RecordKind kinds[] = {kRecordSyscall, kRecordSyscall, kRecordSyscall, kRecordExit, kRecordSyscallEnter};
  for (int n = 0; n < 20000; ++n) {
    Record r;
    r.kind = kinds[random() % 5];
    r.pid = static_cast<int32_t>(random() % 100000);
    r.tid = random() % 2 == 0 ? r.pid : static_cast<int32_t>(random() % 100000);
    r.nr = static_cast<int32_t>(random() % 460);
    for (uint64_t& a : r.args) a = random() % 3 == 0 ? random() % 64 : random();
    const int64_t rets[] = {0, 3, -2, -13, -512, -514, -600, -4095, -4096, static_cast<int64_t>(random())};
    r.ret = rets[random() % 10];
    for (int p = static_cast<int>(random() % 3); p > 0; --p) {
      const int arg = static_cast<int>(random() % 6);
      const PayloadKind kind = random() % 2 == 0 ? kPayloadPath : kPayloadDataOut;
      r.payloads.push_back(Payload{.arg = arg, .kind = kind, .truncated = random() % 5 == 0, .addr = r.args[arg],
                                   .bytes = bytes(random() % 40)});
    }
    const FormatOptions options{.max_string = static_cast<uint32_t>(8 + random() % 40),
                                .pid_prefix = random() % 2 == 0 ? PidPrefix::kBracketed : PidPrefix::kColumn};
    std::string appended = "before";
    append_json(appended, r, options);
    ASSERT_EQ(appended, "before" + json_by_nlohmann(r, options)) << n;
  }
}

TEST(TraceFormatter, JsonStringsAreWhatNlohmannWouldWrite) {
  std::mt19937_64 random(12);
  for (int n = 0; n < 20000; ++n) {
    std::string text;
    const bool ascii = n % 2 == 0;
    for (size_t i = random() % 24; i > 0; --i) text += static_cast<char>(ascii ? random() % 128 : random() % 256);
    std::string out = "x";
    append_json_string(out, text);
    ASSERT_EQ(out, "x" + nlohmann::ordered_json(text).dump(-1, ' ', false,
                                                           nlohmann::ordered_json::error_handler_t::replace))
        << n;
  }
}

TEST(TraceFormatter, HostileBytesStayEscapedAndBounded) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  const Record r = call("read", {3, 0x9000, 256}, 256, {data_out(1, 0x9000, bytes)});
  const std::string line = format_record(r, {.max_string = 256});
  for (const char c : line) {
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << static_cast<int>(static_cast<unsigned char>(c));
  }
  EXPECT_NO_THROW(nlohmann::json::parse(format_json(r, {.max_string = 256})));
  // A payload longer than the result claims is cut to the result.
  const Record liar = call("read", {3, 0x9000, 100}, 3, {data_out(1, 0x9000, "abcdef")});
  EXPECT_EQ(format_record(liar), "read(3, \"abc\", 100)                     = 3");
  // A payload at another address than the argument is not used.
  const Record moved = call("read", {3, 0x9000, 100}, 3, {data_out(1, 0x9999, "abc")});
  EXPECT_EQ(format_record(moved), "read(3, 0x9000, 100)                    = 3");
}

}  // namespace
}  // namespace sysgate::trace
