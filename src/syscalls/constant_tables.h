// Internal to src/syscalls: the tables of named ABI constants behind constants.h.
//
// Each *_constants.cc file includes one family of system headers (the kernel's uapi
// headers where they are the ABI's definition and can be included alone, glibc's
// otherwise) and defines the tables below from their macros, so no number is typed
// by hand. Families live in separate files because several of those headers cannot
// share a translation unit (<linux/fcntl.h> with <fcntl.h>, <linux/time.h> with
// <time.h>, ...).
//
// Every table is constant-initialised (constinit): usable from any thread, from a
// signal handler, and during other files' static initialisation.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "syscalls/const_style.h"

namespace sysgate::syscalls::constants::detail {

struct Named {
  std::string_view name;
  uint64_t value;
};

// Named{"O_CREAT", O_CREAT}: the name is the macro's own spelling, the value comes
// from the header. Negative values (AT_FDCWD) are sign-extended to 64 bits.
#define SYSGATE_NAMED(x) \
  ::sysgate::syscalls::constants::detail::Named { #x, static_cast<uint64_t>(static_cast<int64_t>(x)) }

// How a flag-set argument is printed: an optional multi-bit field first (O_ACCMODE,
// MAP_TYPE, the socket type), then every bit entry whose bits are all set, in table
// order (so a composite such as O_SYNC must precede its parts), then leftover bits
// in hex. zero_name, if set, is printed for a value of 0 (PROT_NONE, F_OK).
struct FlagSet {
  uint64_t field_mask = 0;
  std::span<const Named> field_values;
  std::span<const Named> bits;
  std::string_view zero_name;
  // What strace adds to a value with no bit it knows, "0x100 /* MS_??? */";
  // empty: the number alone.
  std::string_view unknown_name;
};

// process_constants.cc: <linux/wait.h>
extern const FlagSet kWaitOptions;    // WNOHANG, WSTOPPED, WEXITED, WCONTINUED, WNOWAIT, __W*

// file_constants.cc: <linux/fcntl.h>, <linux/fs.h>, <unistd.h>
extern const FlagSet kOpenFlags;      // O_*
extern const FlagSet kRenameFlags;    // RENAME_* (renameat2)
extern const FlagSet kTimerFlags;     // TIMER_ABSTIME (clock_nanosleep, timer_settime)
extern const FlagSet kFlockOps;       // LOCK_* (flock)
extern const FlagSet kStatxAttributes;  // STATX_ATTR_* (display only, not looked up)
extern const FlagSet kAtFlags;        // AT_*
extern const FlagSet kAccessAtFlags;  // faccessat2's: AT_SYMLINK_NOFOLLOW, AT_EACCESS, AT_EMPTY_PATH
extern const FlagSet kAccessModes;    // F_OK, R_OK, W_OK, X_OK
extern const FlagSet kFdFlags;        // FD_CLOEXEC
extern const FlagSet kFileType;       // S_IFMT field of a mode: S_IFREG, S_IFDIR, ...
extern const int kAtFdcwd;            // AT_FDCWD
extern const std::span<const Named> kFcntlCmds;  // F_*
extern const std::span<const Named> kWhence;     // SEEK_*
extern const std::span<const Named> kFileOther;  // lookup only: RENAME_*, S_IF*, ...
extern const std::span<const Named> kFadvice;    // POSIX_FADV_* (fadvise64's advice)

// memory_constants.cc: <linux/mman.h>, <linux/memfd.h>
extern const FlagSet kProt;       // PROT_*
extern const FlagSet kMmapFlags;  // MAP_*
extern const std::span<const Named> kMadvice;     // MADV_*
extern const std::span<const Named> kMemoryOther; // lookup only: MREMAP_*, MCL_*, ...
extern const FlagSet kMfdFlags;                    // MFD_* (memfd_create)
extern const FlagSet kMempolicyModes;  // MPOL_* and MPOL_F_* mode flags (set_mempolicy, mbind)
extern const FlagSet kMbindFlags;      // MPOL_MF_* (mbind)
extern const FlagSet kMempolicyFlags;  // MPOL_F_NODE, MPOL_F_ADDR, MPOL_F_MEMS_ALLOWED (get_mempolicy)

// process_constants.cc: <linux/sched.h>, <linux/prctl.h>, <asm/prctl.h>, <linux/futex.h>, ...
extern const FlagSet kCloneFlags;  // CLONE_*; the low byte (CSIGNAL) is a signal
extern const std::span<const Named> kPrctlOptions;  // PR_SET_*, PR_GET_*, ...
extern const std::span<const Named> kCapabilities;  // CAP_* by number (not looked up by name)
extern const std::span<const Named> kArchPrctl;     // ARCH_*
// FUTEX_*: the field is everything but FUTEX_CLOCK_REALTIME, so that its values can
// include the _PRIVATE variants and print as strace does (FUTEX_WAIT_PRIVATE).
extern const FlagSet kFutexOp;
extern const std::span<const Named> kProcessOther;  // lookup only: FUTEX_PRIVATE_FLAG, PR_CAP_AMBIENT_*, ...

// resource_constants.cc: <sys/resource.h>, <time.h>
extern const std::span<const Named> kRlimits;    // RLIMIT_*
extern const std::span<const Named> kClockIds;   // CLOCK_*
extern const std::span<const Named> kItimers;    // ITIMER_* (getitimer, setitimer)
extern const std::span<const Named> kPrioWhich;  // PRIO_* (getpriority, setpriority)
extern const std::span<const Named> kRusageWho;  // RUSAGE_* (getrusage; display only, not looked up)
extern const std::span<const Named> kIdTypes;    // P_* (waitid; display only, not looked up)
extern const std::span<const Named> kResourceOther;  // lookup only: RUSAGE_*, W*, P_*, SCHED_*

// signal_constants.cc: <signal.h>
extern const std::span<const Named> kSignals;    // SIGHUP..SIGSYS (1..31), by number
extern const int kFirstRealtimeSignal;           // the kernel's SIGRTMIN (32), not glibc's
extern const int kLastRealtimeSignal;            // _NSIG (64)
extern const std::span<const Named> kSigHow;     // SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK
extern const std::span<const Named> kSignalOther;  // lookup only: aliases, SA_*

// socket_constants.cc: <sys/socket.h>, <netinet/in.h>
extern const std::span<const Named> kSocketDomains;  // AF_*
extern const FlagSet kSocketType;                    // SOCK_* | SOCK_NONBLOCK | SOCK_CLOEXEC
extern const std::span<const Named> kSocketOther;    // lookup only: IPPROTO_*, SOL_SOCKET, SHUT_*, ...
extern const FlagSet kMsgFlags;                      // MSG_* (send/recv flags)

// ioctl_constants.cc: <asm/ioctls.h>, <linux/fs.h>, <linux/sockios.h>
extern const std::span<const Named> kIoctlCmds;

// misc_constants.cc: eventfd, epoll, signalfd, timerfd, inotify, getrandom, seccomp, ...
extern const std::span<const Named> kMiscOther;  // lookup only
extern const FlagSet kGrndFlags;                 // GRND_* (getrandom's flags)
extern const FlagSet kEfdFlags;                  // EFD_* (eventfd2)
extern const FlagSet kEpollCreateFlags;          // EPOLL_CLOEXEC (epoll_create1)
extern const FlagSet kTfdFlags;                  // TFD_CLOEXEC, TFD_NONBLOCK (timerfd_create)
extern const FlagSet kTfdSetFlags;      // TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET (timerfd_settime)
extern const FlagSet kSfdFlags;                  // SFD_* (signalfd4)
extern const FlagSet kInotifyFlags;              // IN_NONBLOCK, IN_CLOEXEC (inotify_init1)
extern const FlagSet kUffdFlags;                 // UFFD_USER_MODE_ONLY, O_NONBLOCK, O_CLOEXEC (userfaultfd; not looked up)
extern const FlagSet kFanInitFlags;              // FAN_CLASS_*, FAN_* (fanotify_init; not looked up)
extern const std::span<const Named> kEpollCtlOps;  // EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD
extern const FlagSet kEpollEvents;               // EPOLLIN, ... (epoll_event's events; not looked up)
extern const FlagSet kPollEvents;                // POLLIN, ... (pollfd's events; not looked up)
extern const FlagSet kPkeyAccess;                // PKEY_DISABLE_ACCESS, PKEY_DISABLE_WRITE (pkey_alloc)
extern const std::span<const Named> kSeccompOps;      // SECCOMP_SET_MODE_*, SECCOMP_GET_* (seccomp's op)
extern const std::span<const Named> kSeccompModes;    // SECCOMP_MODE_* (prctl's PR_SET_SECCOMP)
extern const std::span<const Named> kSeccompActions;  // SECCOMP_RET_* (a filter's actions)
extern const FlagSet kSeccompFilterFlags;             // SECCOMP_FILTER_FLAG_* (SET_MODE_FILTER's flags)

// int_arg_constants.cc: flags and enumerations of arguments declared as plain
// integers, display only (not in the lookup tables below)
extern const FlagSet kInotifyMask;         // IN_* (inotify_add_watch's mask)
extern const FlagSet kXattrFlags;          // XATTR_CREATE, XATTR_REPLACE
extern const FlagSet kFallocateMode;       // FALLOC_FL_*
extern const FlagSet kCloseRangeFlags;     // CLOSE_RANGE_*
extern const FlagSet kSyncFileRangeFlags;  // SYNC_FILE_RANGE_*
extern const FlagSet kMsyncFlags;          // MS_ASYNC, MS_SYNC, MS_INVALIDATE
extern const FlagSet kMlock2Flags;         // MLOCK_ONFAULT
extern const FlagSet kMlockallFlags;       // MCL_*
extern const FlagSet kMremapFlags;         // MREMAP_*
extern const FlagSet kUmountFlags;         // MNT_FORCE, MNT_DETACH, MNT_EXPIRE, UMOUNT_NOFOLLOW
extern const FlagSet kDnotifyFlags;        // DN_* (fcntl F_NOTIFY)
extern const FlagSet kMembarrierFlags;     // MEMBARRIER_CMD_FLAG_CPU
extern const FlagSet kPersonalityFlags;    // ADDR_NO_RANDOMIZE, ... (personality's high bits)
extern const std::span<const Named> kShutdownHow;         // SHUT_*
extern const std::span<const Named> kSchedPolicies;       // SCHED_*
extern const std::span<const Named> kMembarrierCmds;      // MEMBARRIER_CMD_* (also a QUERY result's bits)
extern const std::span<const Named> kTcflshQueues;        // TCIFLUSH, TCOFLUSH, TCIOFLUSH
extern const std::span<const Named> kTcxoncActions;       // TCOOFF, TCOON, TCIOFF, TCION
extern const std::span<const Named> kPersonalityDomains;  // PER_* (personality's low byte)
extern const FlagSet kMountFlags;                         // MS_* (mount's flags, MS_MGC_VAL aside)
extern const FlagSet kSetnsTypes;                         // CLONE_NEW* (setns's nstype)
extern const std::span<const Named> kIoprioWho;           // IOPRIO_WHO_*
extern const std::span<const Named> kKcmpTypes;           // KCMP_*
extern const std::span<const Named> kSyslogActions;       // SYSLOG_ACTION_*
extern const std::span<const Named> kIoprioClasses;       // IOPRIO_CLASS_*

// value's name in table, or strace's text for a value it does not know:
// "0x7 /* SECCOMP_SET_MODE_??? */" (unknown is "SECCOMP_SET_MODE_???").
void append_named_or_unknown(std::string& out, std::span<const Named> table, uint64_t value, std::string_view unknown,
                             ConstStyle style);

// Appends the names of the table's entries whose bits are all in *rest (0
// entries aside), '|'-separated and after a '|' unless *first, and clears
// their bits from *rest; *first becomes false once a name is appended.
void append_set_bits(std::string& out, std::span<const Named> table, uint64_t* rest, bool* first);

// errno_table.cc
struct ErrnoEntry {
  int number;
  std::string_view name;
  std::string_view text;
};
extern const std::span<const ErrnoEntry> kErrnos;       // ascending by number
extern const std::span<const Named> kErrnoAliases;      // EWOULDBLOCK, ENOTSUP, EDEADLOCK

// Every table lookup() searches, in order. Only addresses, so these arrays are
// constant-initialised too. A name must not appear twice with different values
// (constants_test checks).
inline constexpr const FlagSet* kLookupFlagSets[] = {
    &kOpenFlags, &kAtFlags,    &kAccessModes, &kFdFlags,  &kFileType,
    &kProt,      &kMmapFlags,  &kCloneFlags,  &kFutexOp,  &kSocketType,
    &kWaitOptions, &kGrndFlags, &kEfdFlags, &kEpollCreateFlags, &kTfdFlags, &kTfdSetFlags, &kSfdFlags, &kInotifyFlags, &kMfdFlags,
    &kPkeyAccess, &kMsgFlags, &kRenameFlags, &kTimerFlags, &kFlockOps,
    &kMempolicyModes, &kMbindFlags, &kMempolicyFlags, &kSeccompFilterFlags,
};
inline constexpr const std::span<const Named>* kLookupTables[] = {
    &kFcntlCmds,    &kWhence,      &kFileOther,     &kFadvice,     &kMadvice,      &kMemoryOther,
    &kPrctlOptions, &kArchPrctl,   &kProcessOther,  &kRlimits,      &kClockIds,     &kItimers,      &kPrioWhich,
    &kResourceOther, &kSignals,    &kSigHow,        &kSignalOther,  &kSocketDomains,
    &kSocketOther,  &kIoctlCmds,   &kMiscOther,     &kEpollCtlOps,  &kSeccompOps,   &kSeccompModes,
    &kSeccompActions,
};

// Renders a value with a flag set as described above ("O_RDWR|O_CLOEXEC|0x40000000").
std::string format_flags(const FlagSet& set, uint64_t value);
void append_flags(std::string& out, const FlagSet& set, uint64_t value);  // the same, appended
// In a -X style: raw, the value in hex (0 as "0"); verbose, that and the
// names in a comment (const_style.h).
void append_flags(std::string& out, const FlagSet& set, uint64_t value, ConstStyle style);

}  // namespace sysgate::syscalls::constants::detail
