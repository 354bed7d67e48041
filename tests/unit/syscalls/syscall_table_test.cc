// The generated syscall table against the system's own definitions: libc's SYS_*
// macros, and the kernel header re-read here independently of the generator.
#include "syscalls/syscall_table.h"

#include <sys/syscall.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace sysgate::syscalls {
namespace {

struct LibcNumber {
  const char* name;
  long nr;
};

#define LIBC(name) LibcNumber{#name, SYS_##name}

// A spread over the whole range, including the gap after 334 and the newest 6.1 calls.
constexpr LibcNumber kLibcNumbers[] = {
    LIBC(read),           LIBC(write),           LIBC(open),            LIBC(close),
    LIBC(stat),           LIBC(mmap),            LIBC(mprotect),        LIBC(brk),
    LIBC(rt_sigaction),   LIBC(rt_sigreturn),    LIBC(ioctl),           LIBC(pread64),
    LIBC(readv),          LIBC(access),          LIBC(pipe),            LIBC(select),
    LIBC(mremap),         LIBC(madvise),         LIBC(dup2),            LIBC(nanosleep),
    LIBC(getpid),         LIBC(sendfile),        LIBC(socket),          LIBC(connect),
    LIBC(sendto),         LIBC(recvmsg),         LIBC(bind),            LIBC(setsockopt),
    LIBC(clone),          LIBC(fork),            LIBC(vfork),           LIBC(execve),
    LIBC(exit),           LIBC(wait4),           LIBC(kill),            LIBC(uname),
    LIBC(fcntl),          LIBC(flock),           LIBC(ftruncate),       LIBC(getdents),
    LIBC(getcwd),         LIBC(chdir),           LIBC(rename),          LIBC(mkdir),
    LIBC(unlink),         LIBC(readlink),        LIBC(chmod),           LIBC(chown),
    LIBC(umask),          LIBC(gettimeofday),    LIBC(getrlimit),       LIBC(ptrace),
    LIBC(getuid),         LIBC(setuid),          LIBC(setresuid),       LIBC(capget),
    LIBC(sigaltstack),    LIBC(mknod),           LIBC(personality),     LIBC(statfs),
    LIBC(sched_setscheduler), LIBC(mlock),       LIBC(munlockall),      LIBC(pivot_root),
    LIBC(_sysctl),        LIBC(prctl),           LIBC(arch_prctl),      LIBC(setrlimit),
    LIBC(chroot),         LIBC(mount),           LIBC(umount2),         LIBC(swapon),
    LIBC(reboot),         LIBC(sethostname),     LIBC(iopl),            LIBC(init_module),
    LIBC(quotactl),       LIBC(gettid),          LIBC(setxattr),        LIBC(fremovexattr),
    LIBC(tkill),          LIBC(futex),           LIBC(sched_getaffinity), LIBC(io_setup),
    LIBC(lookup_dcookie), LIBC(epoll_create),    LIBC(remap_file_pages), LIBC(getdents64),
    LIBC(set_tid_address), LIBC(restart_syscall), LIBC(fadvise64),      LIBC(timer_create),
    LIBC(clock_gettime),  LIBC(clock_nanosleep), LIBC(exit_group),      LIBC(epoll_wait),
    LIBC(tgkill),         LIBC(mbind),           LIBC(mq_open),         LIBC(kexec_load),
    LIBC(waitid),         LIBC(add_key),         LIBC(keyctl),          LIBC(inotify_add_watch),
    LIBC(migrate_pages),  LIBC(openat),          LIBC(mkdirat),         LIBC(newfstatat),
    LIBC(unlinkat),       LIBC(renameat),        LIBC(faccessat),       LIBC(pselect6),
    LIBC(unshare),        LIBC(splice),          LIBC(utimensat),       LIBC(epoll_pwait),
    LIBC(signalfd),       LIBC(eventfd),         LIBC(accept4),         LIBC(eventfd2),
    LIBC(dup3),           LIBC(pipe2),           LIBC(preadv),          LIBC(perf_event_open),
    LIBC(recvmmsg),       LIBC(fanotify_init),   LIBC(prlimit64),       LIBC(open_by_handle_at),
    LIBC(setns),          LIBC(process_vm_readv), LIBC(kcmp),           LIBC(finit_module),
    LIBC(renameat2),      LIBC(seccomp),         LIBC(getrandom),       LIBC(memfd_create),
    LIBC(bpf),            LIBC(execveat),        LIBC(userfaultfd),     LIBC(membarrier),
    LIBC(copy_file_range), LIBC(pwritev2),       LIBC(pkey_mprotect),   LIBC(statx),
    LIBC(io_pgetevents),  LIBC(rseq),            LIBC(pidfd_send_signal), LIBC(io_uring_setup),
    LIBC(open_tree),      LIBC(fsopen),          LIBC(pidfd_open),      LIBC(clone3),
    LIBC(close_range),    LIBC(openat2),         LIBC(pidfd_getfd),     LIBC(faccessat2),
    LIBC(process_madvise), LIBC(epoll_pwait2),   LIBC(mount_setattr),   LIBC(quotactl_fd),
    LIBC(landlock_create_ruleset), LIBC(landlock_restrict_self), LIBC(memfd_secret),
    LIBC(process_mrelease), LIBC(futex_waitv),   LIBC(set_mempolicy_home_node),
};

TEST(SyscallTable, NumbersAgreeWithLibcSysMacros) {
  for (const LibcNumber& libc : kLibcNumbers) {
    const SyscallInfo* info = by_name(libc.name);
    ASSERT_NE(info, nullptr) << libc.name;
    EXPECT_EQ(info->nr, libc.nr) << libc.name;
    EXPECT_TRUE(info->in_installed_headers) << libc.name;
  }
}

// Parses "#define __NR_<name> <number>" lines, like the generator but separately.
std::map<std::string, int> read_header_numbers() {
  std::map<std::string, int> numbers;
  std::ifstream header(SYSGATE_UNISTD_64_H);
  std::string line;
  while (std::getline(header, line)) {
    std::istringstream words(line);
    std::string define, macro;
    int nr = -1;
    if (words >> define >> macro >> nr && define == "#define" && macro.rfind("__NR_", 0) == 0) {
      numbers[macro.substr(5)] = nr;
    }
  }
  return numbers;
}

TEST(SyscallTable, EveryHeaderSyscallIsPresentWithItsNumber) {
  const std::map<std::string, int> header = read_header_numbers();
  ASSERT_GE(header.size(), 362u) << "could not read " << SYSGATE_UNISTD_64_H;
  for (const auto& [name, nr] : header) {
    const SyscallInfo* info = by_name(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(info->nr, nr) << name;
    EXPECT_TRUE(info->in_installed_headers) << name;
    EXPECT_EQ(by_number(nr), info) << name;
  }
  size_t from_header = 0;
  for (const SyscallInfo& info : all()) from_header += info.in_installed_headers ? 1 : 0;
  EXPECT_EQ(from_header, header.size());
}

TEST(SyscallTable, SyscallsNewerThanTheHeadersHaveTheirNumbers) {
  const std::pair<const char*, int> newer[] = {
      {"uretprobe", 335},       {"uprobe", 336},          {"cachestat", 451},
      {"fchmodat2", 452},       {"map_shadow_stack", 453}, {"futex_wake", 454},
      {"futex_wait", 455},      {"futex_requeue", 456},   {"statmount", 457},
      {"listmount", 458},       {"lsm_get_self_attr", 459}, {"lsm_set_self_attr", 460},
      {"lsm_list_modules", 461}, {"mseal", 462},          {"setxattrat", 463},
      {"getxattrat", 464},      {"listxattrat", 465},     {"removexattrat", 466},
      {"open_tree_attr", 467},  {"file_getattr", 468},    {"file_setattr", 469},
  };
  for (const auto& [name, nr] : newer) {
    const SyscallInfo* info = by_name(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(info->nr, nr) << name;
    EXPECT_FALSE(info->in_installed_headers) << name;
  }
  EXPECT_EQ(max_known_number(), 469);
}

TEST(SyscallTable, IsSortedByNumberAndRoundTrips) {
  int previous = -1;
  std::set<std::string_view> names;
  for (const SyscallInfo& info : all()) {
    EXPECT_GT(info.nr, previous) << info.name;
    previous = info.nr;
    EXPECT_TRUE(names.insert(info.name).second) << "duplicate " << info.name;
    EXPECT_EQ(by_number(info.nr), &info) << info.name;
    EXPECT_EQ(by_name(info.name), &info) << info.name;
    EXPECT_EQ(display_name(info.nr), info.name);
  }
  EXPECT_EQ(previous, max_known_number());
}

TEST(SyscallTable, ArgumentSpecsAreWellFormed) {
  for (const SyscallInfo& info : all()) {
    ASSERT_LE(info.argc, 6) << info.name;
    std::set<std::string_view> arg_names;
    for (int i = 0; i < 6; ++i) {
      const ArgSpec& arg = info.args[i];
      if (i >= info.argc) {
        EXPECT_TRUE(arg.name.empty()) << info.name << " arg " << i;
        continue;
      }
      EXPECT_FALSE(arg.name.empty()) << info.name << " arg " << i;
      EXPECT_TRUE(arg_names.insert(arg.name).second) << info.name << " " << arg.name;
      if (arg.type == ArgType::kBufIn) {
        ASSERT_GE(arg.size_arg, 0) << info.name << " " << arg.name;
      }
      if (arg.size_arg >= 0) {
        ASSERT_LT(arg.size_arg, info.argc) << info.name;
        const ArgType length = info.args[arg.size_arg].type;
        EXPECT_TRUE(length == ArgType::kSize || length == ArgType::kInt || length == ArgType::kUInt)
            << info.name << " " << arg.name;
      }
    }
  }
}

TEST(SyscallTable, UnknownNumbersAndNames) {
  EXPECT_EQ(by_number(-1), nullptr);
  EXPECT_EQ(by_number(337), nullptr);  // the gap before 424
  EXPECT_EQ(by_number(400), nullptr);
  EXPECT_EQ(by_number(470), nullptr);
  EXPECT_EQ(by_number(1 << 30), nullptr);  // x32 numbers are not ours
  EXPECT_EQ(by_name("opne"), nullptr);
  EXPECT_EQ(by_name(""), nullptr);
  EXPECT_EQ(by_name("READ"), nullptr);
  EXPECT_EQ(display_name(470), "syscall_470");
  EXPECT_EQ(display_name(400), "syscall_400");
  EXPECT_EQ(display_name(-1), "syscall_-1");
}

TEST(SyscallTable, OpenatSignature) {
  const SyscallInfo* info = by_name("openat");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->nr, 257);
  ASSERT_EQ(info->argc, 4);
  EXPECT_EQ(info->args[0].name, "dirfd");
  EXPECT_EQ(info->args[0].type, ArgType::kDirFd);
  EXPECT_EQ(info->args[1].type, ArgType::kPath);
  EXPECT_EQ(info->args[2].name, "flags");
  EXPECT_EQ(info->args[2].type, ArgType::kOpenFlags);
  EXPECT_EQ(info->args[3].type, ArgType::kMode);
}

TEST(SyscallTable, BufferLengthsPointAtTheirSizeArgument) {
  const SyscallInfo* write = by_name("write");
  ASSERT_NE(write, nullptr);
  EXPECT_EQ(write->args[1].type, ArgType::kBufIn);
  EXPECT_EQ(write->args[1].size_arg, 2);
  const SyscallInfo* read = by_name("read");
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->args[1].type, ArgType::kBufOut);
  EXPECT_EQ(read->args[1].size_arg, 2);
  const SyscallInfo* kexec = by_name("kexec_file_load");  // length before the buffer
  ASSERT_NE(kexec, nullptr);
  EXPECT_EQ(kexec->args[3].size_arg, 2);
}

TEST(SyscallTable, CloneUsesTheX86_64ArgumentOrder) {
  const SyscallInfo* info = by_name("clone");
  ASSERT_NE(info, nullptr);
  ASSERT_EQ(info->argc, 5);
  EXPECT_EQ(info->args[0].type, ArgType::kCloneFlags);
  EXPECT_EQ(info->args[2].name, "parent_tidptr");
  EXPECT_EQ(info->args[3].name, "child_tidptr");
  EXPECT_EQ(info->args[4].name, "tls");
}

TEST(SyscallTable, NoArgumentSyscalls) {
  for (const char* name : {"getpid", "fork", "sched_yield", "rt_sigreturn", "uretprobe"}) {
    const SyscallInfo* info = by_name(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(info->argc, 0) << name;
  }
}

}  // namespace
}  // namespace sysgate::syscalls
