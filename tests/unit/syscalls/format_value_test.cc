// format_value: argument values rendered as strace renders them.
#include <asm/prctl.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "syscalls/constant_tables.h"
#include "syscalls/constants.h"

namespace sysgate::syscalls::constants {
namespace {

constexpr uint64_t kKernelLargefile = 0100000;  // glibc's O_LARGEFILE is 0 on x86-64
constexpr uint64_t kHighGarbage = 0xdead000000000000;

std::string fmt(ArgType type, uint64_t value) { return format_value(type, value); }

TEST(FormatValue, OpenFlags) {
  EXPECT_EQ(fmt(ArgType::kOpenFlags, O_RDONLY), "O_RDONLY");
  EXPECT_EQ(fmt(ArgType::kOpenFlags, O_RDONLY | O_CLOEXEC), "O_RDONLY|O_CLOEXEC");
  EXPECT_EQ(fmt(ArgType::kOpenFlags, O_WRONLY | O_CREAT | O_TRUNC), "O_WRONLY|O_CREAT|O_TRUNC");
  EXPECT_EQ(fmt(ArgType::kOpenFlags, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_DIRECTORY),
            "O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY");
  EXPECT_EQ(fmt(ArgType::kOpenFlags, O_RDWR | kKernelLargefile), "O_RDWR|O_LARGEFILE");
  EXPECT_EQ(fmt(ArgType::kOpenFlags, O_WRONLY | O_SYNC), "O_WRONLY|O_SYNC");
  EXPECT_EQ(fmt(ArgType::kOpenFlags, O_WRONLY | O_DSYNC), "O_WRONLY|O_DSYNC");
  EXPECT_EQ(fmt(ArgType::kOpenFlags, O_RDWR | O_TMPFILE), "O_RDWR|O_TMPFILE");
  EXPECT_EQ(fmt(ArgType::kOpenFlags, O_ACCMODE), "O_ACCMODE");
}

TEST(FormatValue, UnknownBitsAreAppendedInHex) {
  EXPECT_EQ(fmt(ArgType::kOpenFlags, O_RDWR | 0x40000000), "O_RDWR|0x40000000");
  EXPECT_EQ(fmt(ArgType::kProt, PROT_READ | 0x10), "PROT_READ|0x10");
  // No bit it knows: strace names the kind it expected.
  EXPECT_EQ(fmt(ArgType::kAtFlags, 0x80000), "0x80000 /* AT_??? */");
  EXPECT_EQ(fmt(ArgType::kProt, 0x10), "0x10 /* PROT_??? */");
}

TEST(FormatValue, ThirtyTwoBitTypesIgnoreTheUpperHalf) {
  EXPECT_EQ(fmt(ArgType::kOpenFlags, kHighGarbage | O_WRONLY), "O_WRONLY");
  EXPECT_EQ(fmt(ArgType::kFd, kHighGarbage | 3), "3");
  EXPECT_EQ(fmt(ArgType::kSignal, kHighGarbage | SIGTERM), "SIGTERM");
  // ...but 64-bit ones do not.
  EXPECT_EQ(fmt(ArgType::kSize, (uint64_t{1} << 32) | 1), "4294967297");
}

TEST(FormatValue, Descriptors) {
  EXPECT_EQ(fmt(ArgType::kFd, 3), "3");
  EXPECT_EQ(fmt(ArgType::kFd, UINT64_MAX), "-1");
  EXPECT_EQ(fmt(ArgType::kFd, 0xffffffff), "-1");
  EXPECT_EQ(fmt(ArgType::kDirFd, static_cast<uint64_t>(int64_t{AT_FDCWD})), "AT_FDCWD");
  EXPECT_EQ(fmt(ArgType::kDirFd, static_cast<uint32_t>(AT_FDCWD)), "AT_FDCWD");
  EXPECT_EQ(fmt(ArgType::kDirFd, 5), "5");
}

TEST(FormatValue, Modes) {
  EXPECT_EQ(fmt(ArgType::kMode, 0644), "0644");
  EXPECT_EQ(fmt(ArgType::kMode, 0), "000");
  EXPECT_EQ(fmt(ArgType::kMode, 04755), "04755");
  EXPECT_EQ(fmt(ArgType::kMode, S_IFREG | 0600), "S_IFREG|0600");
  EXPECT_EQ(fmt(ArgType::kMode, S_IFCHR | 0666), "S_IFCHR|0666");
}

TEST(FormatValue, MemoryProtectionAndMappingFlags) {
  EXPECT_EQ(fmt(ArgType::kProt, PROT_NONE), "PROT_NONE");
  EXPECT_EQ(fmt(ArgType::kProt, PROT_READ | PROT_WRITE), "PROT_READ|PROT_WRITE");
  EXPECT_EQ(fmt(ArgType::kProt, PROT_READ | PROT_EXEC), "PROT_READ|PROT_EXEC");
  EXPECT_EQ(fmt(ArgType::kMmapFlags, MAP_PRIVATE | MAP_ANONYMOUS), "MAP_PRIVATE|MAP_ANONYMOUS");
  EXPECT_EQ(fmt(ArgType::kMmapFlags, MAP_SHARED | MAP_FIXED), "MAP_SHARED|MAP_FIXED");
  EXPECT_EQ(fmt(ArgType::kMmapFlags, MAP_PRIVATE | MAP_FIXED_NOREPLACE | MAP_DENYWRITE),
            "MAP_PRIVATE|MAP_DENYWRITE|MAP_FIXED_NOREPLACE");
  EXPECT_EQ(fmt(ArgType::kMadvice, MADV_DONTNEED), "MADV_DONTNEED");
  EXPECT_EQ(fmt(ArgType::kMadvice, 9999), "0x270f /* MADV_??? */");
}

TEST(FormatValue, CloneFlagsCarryTheExitSignal) {
  EXPECT_EQ(fmt(ArgType::kCloneFlags, CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | SIGCHLD),
            "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD");
  EXPECT_EQ(fmt(ArgType::kCloneFlags, CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
                                          CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS |
                                          CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID),
            "CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|"
            "CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID");
  EXPECT_EQ(fmt(ArgType::kCloneFlags, CLONE_NEWUSER | CLONE_NEWNS), "CLONE_NEWNS|CLONE_NEWUSER");
  EXPECT_EQ(fmt(ArgType::kCloneFlags, CLONE_NEWTIME), "CLONE_NEWTIME");
  EXPECT_EQ(fmt(ArgType::kCloneFlags, 0), "0");
}

TEST(FormatValue, Signals) {
  EXPECT_EQ(fmt(ArgType::kSignal, SIGTERM), "SIGTERM");
  EXPECT_EQ(fmt(ArgType::kSignal, SIGKILL), "SIGKILL");
  EXPECT_EQ(fmt(ArgType::kSignal, 34), "SIGRT_2");
  EXPECT_EQ(fmt(ArgType::kSignal, 0), "0");
  EXPECT_EQ(fmt(ArgType::kSignal, 99), "99");
  EXPECT_EQ(fmt(ArgType::kSigHow, SIG_SETMASK), "SIG_SETMASK");
}

TEST(FormatValue, Commands) {
  EXPECT_EQ(fmt(ArgType::kFcntlCmd, F_GETFL), "F_GETFL");
  EXPECT_EQ(fmt(ArgType::kFcntlCmd, F_DUPFD_CLOEXEC), "F_DUPFD_CLOEXEC");
  EXPECT_EQ(fmt(ArgType::kFcntlCmd, 9999), "9999");
  EXPECT_EQ(fmt(ArgType::kIoctlCmd, TCGETS), "TCGETS");
  EXPECT_EQ(fmt(ArgType::kIoctlCmd, TIOCGWINSZ), "TIOCGWINSZ");
  EXPECT_EQ(fmt(ArgType::kIoctlCmd, FIONREAD), "FIONREAD");  // not its alias TIOCINQ
  EXPECT_EQ(fmt(ArgType::kIoctlCmd, 0xdeadbeef), "0xdeadbeef");
  EXPECT_EQ(fmt(ArgType::kPrctlOption, PR_SET_NO_NEW_PRIVS), "PR_SET_NO_NEW_PRIVS");
  EXPECT_EQ(fmt(ArgType::kArchPrctl, ARCH_SET_FS), "ARCH_SET_FS");
  EXPECT_EQ(fmt(ArgType::kRlimit, RLIMIT_NOFILE), "RLIMIT_NOFILE");
  EXPECT_EQ(fmt(ArgType::kClockId, CLOCK_MONOTONIC), "CLOCK_MONOTONIC");
  EXPECT_EQ(fmt(ArgType::kClockId, static_cast<uint32_t>(-6)), "-6");  // a CPU-time clock
  EXPECT_EQ(fmt(ArgType::kWhence, SEEK_END), "SEEK_END");
}

TEST(FormatValue, Sockets) {
  EXPECT_EQ(fmt(ArgType::kSocketDomain, AF_INET), "AF_INET");
  EXPECT_EQ(fmt(ArgType::kSocketDomain, AF_UNIX), "AF_UNIX");
  EXPECT_EQ(fmt(ArgType::kSocketType, SOCK_STREAM | SOCK_CLOEXEC), "SOCK_STREAM|SOCK_CLOEXEC");
  EXPECT_EQ(fmt(ArgType::kSocketType, SOCK_DGRAM | SOCK_NONBLOCK), "SOCK_DGRAM|SOCK_NONBLOCK");
  EXPECT_EQ(fmt(ArgType::kSocketType, SOCK_CLOEXEC), "SOCK_CLOEXEC");  // accept4's flags
  EXPECT_EQ(fmt(ArgType::kSocketType, 0), "0");
}

TEST(FormatValue, FutexOps) {
  EXPECT_EQ(fmt(ArgType::kFutexOp, FUTEX_WAKE), "FUTEX_WAKE");
  EXPECT_EQ(fmt(ArgType::kFutexOp, FUTEX_WAIT_PRIVATE), "FUTEX_WAIT_PRIVATE");
  EXPECT_EQ(fmt(ArgType::kFutexOp, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME),
            "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME");
}

TEST(FormatValue, AccessModesAndAtFlags) {
  EXPECT_EQ(fmt(ArgType::kAccessMode, F_OK), "F_OK");
  EXPECT_EQ(fmt(ArgType::kAccessMode, R_OK | X_OK), "R_OK|X_OK");
  EXPECT_EQ(fmt(ArgType::kAtFlags, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH),
            "AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH");
  EXPECT_EQ(fmt(ArgType::kAtFlags, 0), "0");
}

TEST(FormatValue, NumbersAndPointers) {
  EXPECT_EQ(fmt(ArgType::kPtr, 0), "NULL");
  EXPECT_EQ(fmt(ArgType::kStructPtr, 0x7ffd1234abcd), "0x7ffd1234abcd");
  EXPECT_EQ(fmt(ArgType::kPath, 0x1000), "0x1000");
  EXPECT_EQ(fmt(ArgType::kBufOut, 0), "NULL");
  EXPECT_EQ(fmt(ArgType::kSize, 4096), "4096");
  EXPECT_EQ(fmt(ArgType::kLong, UINT64_MAX), "-1");
  EXPECT_EQ(fmt(ArgType::kULong, UINT64_MAX), "18446744073709551615");
  EXPECT_EQ(fmt(ArgType::kOffset, static_cast<uint64_t>(-4096)), "-4096");
  EXPECT_EQ(fmt(ArgType::kInt, 0xffffffff), "-1");
  EXPECT_EQ(fmt(ArgType::kUInt, 0xffffffff), "4294967295");
  EXPECT_EQ(fmt(ArgType::kUid, 0xffffffff), "-1");
  EXPECT_EQ(fmt(ArgType::kUid, 1000), "1000");
  EXPECT_EQ(fmt(ArgType::kPid, static_cast<uint32_t>(-1)), "-1");
}

// append_value is what format_value returns, added after what the buffer holds.
TEST(FormatValue, AppendValueAddsToTheBuffer) {
  const uint64_t values[] = {0, 1, 3, 0644, 0x80000, 0xffffffff, kHighGarbage | O_WRONLY, UINT64_MAX};
  for (uint8_t t = 0; t <= static_cast<uint8_t>(ArgType::kClockId); ++t) {
    const auto type = static_cast<ArgType>(t);
    for (const uint64_t v : values) {
      std::string out = "x, ";
      append_value(out, type, v);
      EXPECT_EQ(out, "x, " + format_value(type, v)) << int{t} << " " << v;
    }
  }
  std::string out = "flags=";
  detail::append_flags(out, detail::kOpenFlags, O_WRONLY | O_CREAT | 0x40000000);
  EXPECT_EQ(out, "flags=O_WRONLY|O_CREAT|0x40000000");
}

// strace -X raw and -X verbose, as strace 6.1 prints each kind of value.
TEST(FormatValue, RawAndVerboseStyles) {
  auto raw = [](ArgType type, uint64_t value) { return format_value(type, value, ConstStyle::kRaw); };
  auto verbose = [](ArgType type, uint64_t value) { return format_value(type, value, ConstStyle::kVerbose); };
  EXPECT_EQ(raw(ArgType::kOpenFlags, O_RDONLY | O_CLOEXEC), "0x80000");
  EXPECT_EQ(verbose(ArgType::kOpenFlags, O_RDONLY | O_CLOEXEC), "0x80000 /* O_RDONLY|O_CLOEXEC */");
  EXPECT_EQ(raw(ArgType::kOpenFlags, O_RDONLY), "0");
  EXPECT_EQ(verbose(ArgType::kOpenFlags, O_RDONLY), "0 /* O_RDONLY */");
  EXPECT_EQ(raw(ArgType::kDirFd, static_cast<uint64_t>(int64_t{AT_FDCWD})), "-100");
  EXPECT_EQ(verbose(ArgType::kDirFd, static_cast<uint64_t>(int64_t{AT_FDCWD})), "-100 /* AT_FDCWD */");
  EXPECT_EQ(verbose(ArgType::kDirFd, 3), "3");
  EXPECT_EQ(raw(ArgType::kAtFlags, 0), "0");
  EXPECT_EQ(verbose(ArgType::kAtFlags, 0), "0");  // no name for 0: no comment
  EXPECT_EQ(verbose(ArgType::kAccessMode, F_OK), "0 /* F_OK */");
  EXPECT_EQ(raw(ArgType::kAccessMode, R_OK), "0x4");
  EXPECT_EQ(raw(ArgType::kSignal, SIGCHLD), "17");
  EXPECT_EQ(verbose(ArgType::kSignal, SIGKILL), "9 /* SIGKILL */");
  EXPECT_EQ(verbose(ArgType::kSignal, 35), "35 /* SIGRT_3 */");
  EXPECT_EQ(raw(ArgType::kProt, PROT_READ | PROT_WRITE), "0x3");
  EXPECT_EQ(verbose(ArgType::kMmapFlags, MAP_PRIVATE | MAP_ANONYMOUS), "0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */");
  EXPECT_EQ(raw(ArgType::kCloneFlags, CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | SIGCHLD), "0x1200000|17");
  EXPECT_EQ(verbose(ArgType::kCloneFlags, CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | SIGCHLD),
            "0x1200000 /* CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID */|17 /* SIGCHLD */");
  EXPECT_EQ(raw(ArgType::kSocketType, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK), "0x1|0x80800");
  EXPECT_EQ(verbose(ArgType::kSocketType, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK),
            "0x1 /* SOCK_STREAM */|0x80800 /* SOCK_CLOEXEC|SOCK_NONBLOCK */");
  EXPECT_EQ(verbose(ArgType::kSocketType, SOCK_DGRAM), "0x2 /* SOCK_DGRAM */");
  EXPECT_EQ(raw(ArgType::kSocketDomain, AF_INET6), "0xa");
  EXPECT_EQ(raw(ArgType::kIoctlCmd, TCGETS), "0x5401");
  EXPECT_EQ(verbose(ArgType::kIoctlCmd, TCGETS), "0x5401 /* TCGETS */");
  EXPECT_EQ(verbose(ArgType::kIoctlCmd, 0x5403), "0x5403 /* SNDCTL_TMR_STOP or TCSETSW */");
  EXPECT_EQ(raw(ArgType::kFcntlCmd, F_DUPFD), "0");
  EXPECT_EQ(verbose(ArgType::kFcntlCmd, F_SETFD), "0x2 /* F_SETFD */");
  EXPECT_EQ(verbose(ArgType::kFcntlCmd, 4242), "0x1092");  // no name: no comment
  EXPECT_EQ(verbose(ArgType::kWhence, SEEK_SET), "0 /* SEEK_SET */");
  EXPECT_EQ(verbose(ArgType::kFutexOp, FUTEX_WAIT_PRIVATE), "0x80 /* FUTEX_WAIT_PRIVATE */");
  EXPECT_EQ(raw(ArgType::kArchPrctl, ARCH_SET_FS), "0x1002");
  EXPECT_EQ(verbose(ArgType::kRlimit, RLIMIT_STACK), "0x3 /* RLIMIT_STACK */");
  // Modes stay octal; one with a file type is a number in "%#o".
  EXPECT_EQ(raw(ArgType::kMode, 0644), "0644");
  EXPECT_EQ(verbose(ArgType::kMode, 0644), "0644");
  EXPECT_EQ(raw(ArgType::kMode, S_IFREG | 0644), "0100644");
  EXPECT_EQ(verbose(ArgType::kMode, S_IFREG | 0644), "0100644 /* S_IFREG|0644 */");
  // Numbers stay numbers.
  EXPECT_EQ(raw(ArgType::kInt, static_cast<uint64_t>(-1)), "-1");
  EXPECT_EQ(verbose(ArgType::kPtr, 0), "NULL");
}

}  // namespace
}  // namespace sysgate::syscalls::constants
