// Real-kernel tests of seccomp_install: filters are installed in forked children.
#include "sandbox/seccomp_install.h"

#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <cerrno>

#include "sandbox/raw_syscall.h"
#include "test_support.h"

namespace sysgate::sandbox {
namespace {

using test_support::errno_verdict;
using test_support::filter_with;
using test_support::run_in_child;

TEST(SeccompInstall, FlagsPairTsyncWithEsrch) {
  EXPECT_EQ(filter_flags({}), 0u);
  EXPECT_EQ(filter_flags({.tsync = true}),
            SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH);
  EXPECT_EQ(filter_flags({.new_listener = true}), SECCOMP_FILTER_FLAG_NEW_LISTENER);
  EXPECT_EQ(filter_flags({.tsync = true, .new_listener = true}),
            SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH |
                SECCOMP_FILTER_FLAG_NEW_LISTENER);
  EXPECT_EQ(filter_flags({.wait_killable_recv = true}), 0u);  // meaningless without a listener
}

TEST(SeccompInstall, ProbesActions) {
  for (uint32_t action : {SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS,
                          SECCOMP_RET_USER_NOTIF, SECCOMP_RET_TRAP | 5u}) {
    Result<bool> available = action_available(action);
    ASSERT_TRUE(available.ok()) << available.error().describe();
    EXPECT_TRUE(*available) << std::hex << action;
  }
  Result<bool> bogus = action_available(0x12340000u);
  ASSERT_TRUE(bogus.ok()) << bogus.error().describe();
  EXPECT_FALSE(*bogus);
}

TEST(SeccompInstall, ProbesNotifSizes) {
  Result<NotifSizes> sizes = notif_sizes();
  ASSERT_TRUE(sizes.ok()) << sizes.error().describe();
  EXPECT_GE(sizes->notif, sizeof(seccomp_notif));
  EXPECT_GE(sizes->notif_resp, sizeof(seccomp_notif_resp));
  EXPECT_EQ(sizes->data, sizeof(seccomp_data));
}

TEST(SeccompInstall, RejectsEmptyAndOversizedPrograms) {
  Result<int> empty = install_filter(bpf::Program{}, {});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);

  bpf::Program huge;
  huge.instructions.assign(bpf::kMaxInstructions + 1, BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  Result<int> too_big = install_filter(huge, {});
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().code, ErrorCode::kTooLarge);
}

// ERRNO(EACCES) for getppid(110), ALLOW otherwise: the installed filter changes
// getppid's result and nothing else.
TEST(SeccompInstall, ErrnoFilterChangesGetppid) {
  bpf::Program program = filter_with({{__NR_getppid, errno_verdict(EACCES)}}, SECCOMP_RET_ALLOW);
  int status = run_in_child([&] {
    if (raw_syscall(__NR_getppid) <= 0) return 10;  // sanity before the filter
    if (!set_no_new_privs().ok()) return 11;
    Result<int> installed = install_filter(program, {});
    if (!installed.ok() || *installed != -1) return 12;
    if (raw_syscall(__NR_getppid) != -EACCES) return 13;
    if (raw_syscall(__NR_getpid) <= 0) return 14;  // other syscalls unaffected
    return 0;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << test_support::describe_status(status);
}

// The async-signal-safe path used between fork and exec, with TSYNC.
TEST(SeccompInstall, RawInstallWithTsync) {
  bpf::Program program = filter_with({{__NR_getppid, errno_verdict(EPERM)}}, SECCOMP_RET_ALLOW);
  sock_fprog prog = to_sock_fprog(program);
  unsigned flags = filter_flags({.tsync = true});
  int status = run_in_child([&] {
    if (raw_set_no_new_privs() != 0) return 11;
    if (raw_install_filter(&prog, flags) != 0) return 12;
    if (raw_syscall(__NR_getppid) != -EPERM) return 13;
    return 0;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << test_support::describe_status(status);
}

TEST(SeccompInstall, SecondListenerIsRefusedWithExplanation) {
  bpf::Program program = filter_with({}, SECCOMP_RET_ALLOW);
  int status = run_in_child([&] {
    if (!set_no_new_privs().ok()) return 11;
    Result<int> first = install_filter(program, {.tsync = true, .new_listener = true});
    if (!first.ok() || *first < 0) return 12;
    Result<int> second = install_filter(program, {.new_listener = true});
    if (second.ok()) return 13;
    if (second.error().code != ErrorCode::kSystem) return 14;
    if (second.error().message.find("already installed") == std::string::npos) return 15;
    return 0;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << test_support::describe_status(status);
}

}  // namespace
}  // namespace sysgate::sandbox
