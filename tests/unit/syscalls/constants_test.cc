// Named constants, errno and signal tables against the C library's definitions.
#include "syscalls/constants.h"

#include <asm/prctl.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "syscalls/constant_tables.h"

namespace sysgate::syscalls::constants {
namespace {

uint64_t u64(int64_t value) { return static_cast<uint64_t>(value); }

TEST(Constants, LookupAgreesWithSystemHeaders) {
  const std::pair<const char*, uint64_t> cases[] = {
      {"O_RDONLY", O_RDONLY},           {"O_WRONLY", O_WRONLY},
      {"O_RDWR", O_RDWR},               {"O_CREAT", O_CREAT},
      {"O_EXCL", O_EXCL},               {"O_TRUNC", O_TRUNC},
      {"O_APPEND", O_APPEND},           {"O_NONBLOCK", O_NONBLOCK},
      {"O_CLOEXEC", O_CLOEXEC},         {"O_DIRECTORY", O_DIRECTORY},
      {"O_NOFOLLOW", O_NOFOLLOW},       {"O_PATH", O_PATH},
      {"O_TMPFILE", O_TMPFILE},         {"O_SYNC", O_SYNC},
      {"AT_FDCWD", u64(AT_FDCWD)},      {"AT_EMPTY_PATH", AT_EMPTY_PATH},
      {"AT_SYMLINK_NOFOLLOW", AT_SYMLINK_NOFOLLOW}, {"AT_REMOVEDIR", AT_REMOVEDIR},
      {"F_GETFL", F_GETFL},             {"F_SETFD", F_SETFD},
      {"F_DUPFD_CLOEXEC", F_DUPFD_CLOEXEC}, {"F_ADD_SEALS", F_ADD_SEALS},
      {"FD_CLOEXEC", FD_CLOEXEC},       {"SEEK_END", SEEK_END},
      {"F_OK", F_OK},                   {"R_OK", R_OK},
      {"X_OK", X_OK},                   {"PROT_NONE", PROT_NONE},
      {"PROT_READ", PROT_READ},         {"PROT_EXEC", PROT_EXEC},
      {"MAP_PRIVATE", MAP_PRIVATE},     {"MAP_ANONYMOUS", MAP_ANONYMOUS},
      {"MAP_FIXED", MAP_FIXED},         {"MAP_FIXED_NOREPLACE", MAP_FIXED_NOREPLACE},
      {"MREMAP_MAYMOVE", MREMAP_MAYMOVE}, {"MADV_DONTNEED", MADV_DONTNEED},
      {"MFD_CLOEXEC", MFD_CLOEXEC},     {"CLONE_NEWUSER", CLONE_NEWUSER},
      {"CLONE_THREAD", CLONE_THREAD},   {"CLONE_VM", CLONE_VM},
      {"AF_UNIX", AF_UNIX},             {"AF_INET6", AF_INET6},
      {"AF_NETLINK", AF_NETLINK},       {"SOCK_STREAM", SOCK_STREAM},
      {"SOCK_CLOEXEC", SOCK_CLOEXEC},   {"IPPROTO_TCP", IPPROTO_TCP},
      {"PR_SET_NO_NEW_PRIVS", PR_SET_NO_NEW_PRIVS}, {"PR_SET_SECCOMP", PR_SET_SECCOMP},
      {"PR_SET_NAME", PR_SET_NAME},     {"ARCH_SET_FS", ARCH_SET_FS},
      {"TCGETS", TCGETS},               {"TCSETSW", TCSETSW},
      {"TIOCGWINSZ", TIOCGWINSZ},       {"TIOCSWINSZ", TIOCSWINSZ},
      {"TIOCSTI", TIOCSTI},             {"TIOCSCTTY", TIOCSCTTY},
      {"TIOCNOTTY", TIOCNOTTY},         {"TIOCGPGRP", TIOCGPGRP},
      {"FIONREAD", FIONREAD},           {"FIONBIO", FIONBIO},
      {"FIOCLEX", FIOCLEX},             {"FIONCLEX", FIONCLEX},
      {"FUTEX_WAIT", FUTEX_WAIT},       {"FUTEX_WAKE_PRIVATE", FUTEX_WAKE_PRIVATE},
      {"FUTEX_PRIVATE_FLAG", FUTEX_PRIVATE_FLAG}, {"FUTEX_CLOCK_REALTIME", FUTEX_CLOCK_REALTIME},
      {"RLIMIT_NOFILE", RLIMIT_NOFILE}, {"RLIMIT_AS", RLIMIT_AS},
      {"CLOCK_MONOTONIC", CLOCK_MONOTONIC}, {"CLOCK_BOOTTIME", CLOCK_BOOTTIME},
      {"SIG_SETMASK", SIG_SETMASK},     {"SIGKILL", SIGKILL},
      {"SIGSYS", SIGSYS},               {"GRND_NONBLOCK", GRND_NONBLOCK},
      {"EFD_CLOEXEC", EFD_CLOEXEC},     {"EPOLL_CLOEXEC", EPOLL_CLOEXEC},
  };
  for (const auto& [name, value] : cases) {
    const std::optional<uint64_t> found = lookup(name);
    ASSERT_TRUE(found.has_value()) << name;
    EXPECT_EQ(*found, value) << name;
  }
}

TEST(Constants, LargefileIsTheKernelsValueNotGlibcs) {
  // glibc defines O_LARGEFILE as 0 on x86-64; the kernel's flag is 0100000.
  EXPECT_EQ(lookup("O_LARGEFILE"), std::optional<uint64_t>(0100000));
}

TEST(Constants, UnknownNamesAndErrnosAreNotConstants) {
  EXPECT_EQ(lookup("EPERM"), std::nullopt);
  EXPECT_EQ(lookup("O_BOGUS"), std::nullopt);
  EXPECT_EQ(lookup(""), std::nullopt);
  EXPECT_EQ(lookup("o_rdonly"), std::nullopt);
}

TEST(Constants, EveryTableEntryIsFoundAndNoNameHasTwoValues) {
  std::map<std::string, uint64_t> seen;
  auto check = [&seen](std::span<const detail::Named> table) {
    for (const detail::Named& entry : table) {
      ASSERT_FALSE(entry.name.empty());
      auto [it, inserted] = seen.emplace(std::string(entry.name), entry.value);
      EXPECT_EQ(it->second, entry.value) << entry.name << " has two values";
      EXPECT_EQ(lookup(entry.name), std::optional<uint64_t>(entry.value)) << entry.name;
    }
  };
  for (const detail::FlagSet* set : detail::kLookupFlagSets) {
    check(set->field_values);
    check(set->bits);
  }
  for (const std::span<const detail::Named>* table : detail::kLookupTables) check(*table);
  EXPECT_GT(seen.size(), 400u);
}

TEST(Errno, NamesRoundTripAndTextsMatchStrerror) {
  int known = 0;
  for (int err = 1; err <= 133; ++err) {
    const std::string_view name = errno_name(err);
    if (err == 41 || err == 58) {  // unused numbers on x86-64
      EXPECT_TRUE(name.empty()) << err;
      continue;
    }
    ASSERT_FALSE(name.empty()) << err;
    EXPECT_EQ(errno_by_name(name), std::optional<int>(err)) << name;
    // Tests run in the C locale, where strerror gives glibc's English texts.
    EXPECT_EQ(errno_text(err), strerror(err)) << name;
    ++known;
  }
  EXPECT_EQ(known, 131);
}

TEST(Errno, CommonNamesAndTexts) {
  EXPECT_EQ(errno_by_name("EPERM"), std::optional<int>(EPERM));
  EXPECT_EQ(errno_by_name("EACCES"), std::optional<int>(EACCES));
  EXPECT_EQ(errno_by_name("ENOSYS"), std::optional<int>(ENOSYS));
  EXPECT_EQ(errno_name(ENOENT), "ENOENT");
  EXPECT_EQ(errno_text(ENOENT), "No such file or directory");
  EXPECT_EQ(errno_text(EACCES), "Permission denied");
  EXPECT_EQ(errno_text(EPERM), "Operation not permitted");
  EXPECT_EQ(errno_text(ENOSYS), "Function not implemented");
}

TEST(Errno, AliasesAndUnknowns) {
  EXPECT_EQ(errno_by_name("EWOULDBLOCK"), std::optional<int>(EAGAIN));
  EXPECT_EQ(errno_by_name("ENOTSUP"), std::optional<int>(EOPNOTSUPP));
  EXPECT_EQ(errno_by_name("EDEADLOCK"), std::optional<int>(EDEADLK));
  EXPECT_EQ(errno_name(EAGAIN), "EAGAIN");
  EXPECT_EQ(errno_by_name("EFOO"), std::nullopt);
  EXPECT_EQ(errno_by_name("eperm"), std::nullopt);
  EXPECT_EQ(errno_name(0), "");
  EXPECT_EQ(errno_name(-1), "");
  EXPECT_EQ(errno_name(134), "");
  EXPECT_EQ(errno_text(9999), "");
}

TEST(Signals, StandardNames) {
  EXPECT_EQ(signal_by_name("SIGKILL"), std::optional<int>(SIGKILL));
  EXPECT_EQ(signal_by_name("SIGTERM"), std::optional<int>(SIGTERM));
  EXPECT_EQ(signal_by_name("SIGCHLD"), std::optional<int>(SIGCHLD));
  EXPECT_EQ(signal_by_name("SIGIOT"), std::optional<int>(SIGABRT));
  EXPECT_EQ(signal_by_name("SIGPOLL"), std::optional<int>(SIGIO));
  EXPECT_EQ(signal_name(SIGSEGV), "SIGSEGV");
  EXPECT_EQ(signal_name(SIGSYS), "SIGSYS");
  EXPECT_EQ(signal_name(SIGABRT), "SIGABRT");
}

TEST(Signals, RealtimeSignalsUseKernelNumbering) {
  EXPECT_EQ(signal_name(32), "SIGRTMIN");
  EXPECT_EQ(signal_name(34), "SIGRT_2");
  EXPECT_EQ(signal_name(64), "SIGRT_32");
  EXPECT_EQ(signal_by_name("SIGRTMIN"), std::optional<int>(32));
  EXPECT_EQ(signal_by_name("SIGRTMAX"), std::optional<int>(64));
  EXPECT_EQ(signal_by_name("SIGRT_5"), std::optional<int>(37));
}

TEST(Signals, EveryNumberRoundTrips) {
  for (int sig = 1; sig <= 64; ++sig) {
    const std::string_view name = signal_name(sig);
    ASSERT_FALSE(name.empty()) << sig;
    EXPECT_EQ(signal_by_name(name), std::optional<int>(sig)) << name;
  }
  EXPECT_EQ(signal_name(0), "");
  EXPECT_EQ(signal_name(65), "");
  EXPECT_EQ(signal_name(-9), "");
  EXPECT_EQ(signal_by_name("SIGFOO"), std::nullopt);
  EXPECT_EQ(signal_by_name("SIGRT_33"), std::nullopt);
}

}  // namespace
}  // namespace sysgate::syscalls::constants
