// Argument widths: what the policy compiler compares. A wrong width is a filter
// bypass, so these pin the kernel's prototypes for the arguments policies use most.
#include <gtest/gtest.h>

#include "syscalls/syscall_table.h"

namespace sysgate::syscalls {
namespace {

int width_of(std::string_view syscall, std::string_view arg) {
  const SyscallInfo* info = by_name(syscall);
  if (info == nullptr) return -1;
  for (int i = 0; i < info->argc; ++i) {
    if (info->args[i].name == arg) return arg_width_bits(info->args[i].type);
  }
  return -2;
}

struct Expected {
  const char* syscall;
  const char* arg;
  int bits;
};

// From the kernel's SYSCALL_DEFINE prototypes.
constexpr Expected kWidths[] = {
    {"read", "fd", 32},              // unsigned int fd
    {"read", "count", 64},           // size_t
    {"openat", "dirfd", 32},           // int
    {"openat", "flags", 32},         // int
    {"openat", "mode", 32},          // umode_t (16 bits; 32 is the narrowest compare)
    {"openat", "pathname", 64},      // pointer
    {"mmap", "addr", 64},
    {"mmap", "prot", 64},            // unsigned long
    {"mmap", "flags", 64},           // unsigned long
    {"mmap", "fd", 32},              // unsigned long, narrowed by fget(unsigned int)
    {"mmap", "off", 64},
    {"mprotect", "prot", 64},        // unsigned long
    {"ioctl", "fd", 32},
    {"ioctl", "request", 32},            // unsigned int
    {"ioctl", "arg", 64},            // unsigned long
    {"fcntl", "cmd", 32},            // unsigned int
    {"fcntl", "arg", 64},            // unsigned long
    {"prctl", "option", 32},         // int
    {"prctl", "arg2", 64},           // unsigned long
    {"arch_prctl", "option", 32},    // int
    {"clone", "flags", 64},    // unsigned long
    {"unshare", "unshare_flags", 64},  // unsigned long
    {"setns", "nstype", 32},         // int, although it holds CLONE_NEW* bits
    {"kill", "pid", 32},             // pid_t
    {"kill", "sig", 32},             // int
    {"socket", "domain", 32},        // int
    {"socket", "type", 32},          // int
    {"futex", "op", 32},             // int
    {"ptrace", "request", 64},       // long, compared as a long
    {"ptrace", "pid", 32},           // long, but used as pid_t
    {"lseek", "whence", 32},         // unsigned int
    {"lseek", "offset", 64},         // off_t
    {"madvise", "behavior", 32},     // int
    {"prlimit64", "resource", 32},   // unsigned int
    {"clock_gettime", "which_clock", 32},  // clockid_t
    {"rt_sigprocmask", "how", 32},   // int
    {"faccessat", "mode", 32},       // int
    {"setuid", "uid", 32},           // uid_t
    {"execveat", "flags", 32},       // int
    {"mremap", "flags", 64},         // unsigned long
    {"mount", "flags", 64},          // unsigned long
    {"keyctl", "arg2", 64},          // unsigned long
    {"seccomp", "op", 32},           // unsigned int
    {"bpf", "cmd", 32},              // int
    {"futex_wake", "mask", 64},      // unsigned long
};

TEST(ArgWidth, MatchesKernelPrototypes) {
  for (const Expected& e : kWidths) {
    EXPECT_EQ(width_of(e.syscall, e.arg), e.bits) << e.syscall << "(" << e.arg << ")";
  }
}

TEST(ArgWidth, EveryTypeIs32Or64) {
  for (int t = 0; t <= static_cast<int>(ArgType::kClockId); ++t) {
    const uint8_t bits = arg_width_bits(static_cast<ArgType>(t));
    EXPECT_TRUE(bits == 32 || bits == 64) << "ArgType " << t;
  }
}

TEST(ArgWidth, DescriptorAndFlagTypesAre32BitsEverywhere) {
  for (const SyscallInfo& info : all()) {
    for (int i = 0; i < info.argc; ++i) {
      switch (info.args[i].type) {
        case ArgType::kFd:
        case ArgType::kDirFd:
        case ArgType::kOpenFlags:
        case ArgType::kAtFlags:
        case ArgType::kSignal:
        case ArgType::kPid:
          EXPECT_EQ(arg_width_bits(info.args[i].type), 32) << info.name << " " << info.args[i].name;
          break;
        case ArgType::kPath:
        case ArgType::kBufIn:
        case ArgType::kBufOut:
        case ArgType::kStructPtr:
        case ArgType::kSize:
          EXPECT_EQ(arg_width_bits(info.args[i].type), 64) << info.name << " " << info.args[i].name;
          break;
        default:
          break;
      }
    }
  }
}

}  // namespace
}  // namespace sysgate::syscalls
