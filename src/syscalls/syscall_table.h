// The x86-64 syscall table: number, name and argument signature of every syscall.
//
//   const SyscallInfo* info = syscalls::by_name("openat");
//   info->nr == 257; info->argc == 4; info->args[2].type == ArgType::kOpenFlags;
//   syscalls::display_name(470) == "syscall_470"   // numbers newer than our table
//
// The table is generated (src/syscalls/gen_syscall_table.py) from the installed
// kernel headers' <asm/unistd_64.h> plus signatures.txt, which gives each
// syscall's argument names and types; syscalls newer than the headers are listed
// in signatures.txt with explicit numbers. All functions are pure lookups into
// static data: thread-safe and async-signal-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sysgate::syscalls {

// How an argument is interpreted: used to decode it for display, to pick the
// comparison width in the policy compiler, and to let policies name it.
enum class ArgType : uint8_t {
  kInt,          // signed 32-bit integer (kernel truncates the register)
  kUInt,         // unsigned 32-bit integer
  kLong,         // signed 64-bit
  kULong,        // unsigned 64-bit
  kSize,         // size_t / length (64-bit)
  kOffset,       // off_t / loff_t (64-bit signed)
  kFd,           // file descriptor (int)
  kDirFd,        // dirfd for *at() calls; AT_FDCWD decoded (int)
  kPath,         // const char* path: NUL-terminated string read for display
  kString,       // other const char* string (e.g. xattr name)
  kPtr,          // untyped pointer (64-bit)
  kBufIn,        // pointer to bytes the kernel reads (e.g. write's buf)
  kBufOut,       // pointer to bytes the kernel writes (e.g. read's buf)
  kStructPtr,    // pointer to a struct (shown as an address)
  kMode,         // file mode, octal (uint)
  kOpenFlags,    // O_* (int)
  kAtFlags,      // AT_* (int)
  kProt,         // PROT_* (ulong)
  kMmapFlags,    // MAP_* (ulong)
  kSignal,       // signal number (int)
  kCloneFlags,   // CLONE_* (ulong)
  kFcntlCmd,     // F_* (uint)
  kIoctlCmd,     // ioctl request (uint)
  kSocketDomain, // AF_* (int)
  kSocketType,   // SOCK_* with SOCK_NONBLOCK/SOCK_CLOEXEC (int)
  kPid,          // pid (int)
  kUid,          // uid/gid (uint)
  kPrctlOption,  // PR_* (int)
  kMadvice,      // MADV_* (int)
  kAccessMode,   // F_OK/R_OK/W_OK/X_OK (int)
  kWaitOptions,  // WNOHANG|WSTOPPED|... of wait4/waitid (int)
  kWhence,       // SEEK_* (uint)
  kSigHow,       // SIG_BLOCK/... (int)
  kFutexOp,      // FUTEX_* (int)
  kArchPrctl,    // ARCH_* (int)
  kRlimit,       // RLIMIT_* (uint)
  kClockId,      // CLOCK_* (int)
  kEpollOp,      // EPOLL_CTL_* (int)
  kPkeyAccess,   // PKEY_DISABLE_* (ulong)
  kMsgFlags,     // MSG_* of send/recv (uint)
  kRenameFlags,  // RENAME_* of renameat2 (uint)
  kTimerFlags,   // TIMER_ABSTIME of clock_nanosleep, timer_settime (int)
  kItimerWhich,  // ITIMER_* of getitimer, setitimer (int)
  kPrioWhich,    // PRIO_* of getpriority, setpriority (int)
  kFlockOp,      // LOCK_* of flock (uint)
  kRusageWho,    // RUSAGE_* of getrusage (int)
  kIdType,       // P_* of waitid (int)
  kMempolicyMode,   // MPOL_* and MPOL_F_* of set_mempolicy, mbind (int: mbind's ulong is truncated)
  kMbindFlags,      // MPOL_MF_* of mbind (uint)
  kMempolicyFlags,  // MPOL_F_NODE|MPOL_F_ADDR|MPOL_F_MEMS_ALLOWED of get_mempolicy (ulong)
};

// Width in bits the kernel really uses for an argument of this type: 32-bit
// types are truncated by the kernel, so policy comparisons must ignore the
// register's upper half for them (or an attacker's garbage there changes the
// filter's verdict but not the kernel's behaviour).
uint8_t arg_width_bits(ArgType type);

struct ArgSpec {
  std::string_view name;   // e.g. "flags"; usable in policy conditions
  ArgType type = ArgType::kULong;
  // For kBufIn/kBufOut: index of the argument that holds the buffer's length in
  // bytes (write's buf -> 2, its count); -1 when none. Display only.
  int8_t size_arg = -1;
};

struct SyscallInfo {
  int nr = -1;
  std::string_view name;
  uint8_t argc = 0;
  std::array<ArgSpec, 6> args{};
  bool in_installed_headers = true;  // false: newer than <asm/unistd_64.h>
};

// Every known syscall, sorted by number.
std::span<const SyscallInfo> all();

// nullptr when the number or name is not in the table.
const SyscallInfo* by_number(int nr);
const SyscallInfo* by_name(std::string_view name);

// The name for display: "openat", or "syscall_470" for a number not in the table.
std::string display_name(int nr);

// Highest number in the table (the policy compiler treats anything above as unknown).
int max_known_number();

}  // namespace sysgate::syscalls
