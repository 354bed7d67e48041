// Flags and enumerations that strace names in arguments the signatures declare
// as plain integers (int, uint, ulong): inotify masks, xattr and fallocate
// flags, msync/mlock flags, shutdown's how, scheduling policies, umount2's
// flags, membarrier's commands, directory notifications, a terminal's flush
// and flow-control requests, execution domains (personality), mount's
// flags, setns's namespace types, the I/O priority calls', kcmp's types and
// syslog's actions. Display
// only: none is looked up by name for a policy (a policy compares numbers).
//
// The order of each table is strace's (compared by hand against strace 6.1's
// output of every bit set): a value is printed as its known bits in that
// order, then the unknown ones in hex.
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/xattr.h>
#include <termios.h>

#include "syscalls/constant_tables.h"

namespace sysgate::syscalls::constants::detail {
namespace {

constexpr Named kInotifyMaskBits[] = {
    SYSGATE_NAMED(IN_ACCESS),      SYSGATE_NAMED(IN_MODIFY),      SYSGATE_NAMED(IN_ATTRIB),
    SYSGATE_NAMED(IN_CLOSE_WRITE), SYSGATE_NAMED(IN_CLOSE_NOWRITE), SYSGATE_NAMED(IN_OPEN),
    SYSGATE_NAMED(IN_MOVED_FROM),  SYSGATE_NAMED(IN_MOVED_TO),    SYSGATE_NAMED(IN_CREATE),
    SYSGATE_NAMED(IN_DELETE),      SYSGATE_NAMED(IN_DELETE_SELF), SYSGATE_NAMED(IN_MOVE_SELF),
    SYSGATE_NAMED(IN_UNMOUNT),     SYSGATE_NAMED(IN_Q_OVERFLOW),  SYSGATE_NAMED(IN_IGNORED),
    SYSGATE_NAMED(IN_ONLYDIR),     SYSGATE_NAMED(IN_DONT_FOLLOW), SYSGATE_NAMED(IN_EXCL_UNLINK),
    SYSGATE_NAMED(IN_MASK_CREATE), SYSGATE_NAMED(IN_MASK_ADD),    SYSGATE_NAMED(IN_ISDIR),
    SYSGATE_NAMED(IN_ONESHOT),
};

constexpr Named kXattrFlagBits[] = {SYSGATE_NAMED(XATTR_CREATE), SYSGATE_NAMED(XATTR_REPLACE)};

constexpr Named kFallocateModeBits[] = {
    SYSGATE_NAMED(FALLOC_FL_KEEP_SIZE),      SYSGATE_NAMED(FALLOC_FL_PUNCH_HOLE),
    SYSGATE_NAMED(FALLOC_FL_NO_HIDE_STALE),  SYSGATE_NAMED(FALLOC_FL_COLLAPSE_RANGE),
    SYSGATE_NAMED(FALLOC_FL_ZERO_RANGE),     SYSGATE_NAMED(FALLOC_FL_INSERT_RANGE),
    SYSGATE_NAMED(FALLOC_FL_UNSHARE_RANGE),
};

constexpr Named kCloseRangeFlagBits[] = {SYSGATE_NAMED(CLOSE_RANGE_UNSHARE), SYSGATE_NAMED(CLOSE_RANGE_CLOEXEC)};

constexpr Named kSyncFileRangeFlagBits[] = {
    SYSGATE_NAMED(SYNC_FILE_RANGE_WAIT_BEFORE),
    SYSGATE_NAMED(SYNC_FILE_RANGE_WRITE),
    SYSGATE_NAMED(SYNC_FILE_RANGE_WAIT_AFTER),
};

constexpr Named kMsyncFlagBits[] = {SYSGATE_NAMED(MS_ASYNC), SYSGATE_NAMED(MS_SYNC), SYSGATE_NAMED(MS_INVALIDATE)};
constexpr Named kMlock2FlagBits[] = {SYSGATE_NAMED(MLOCK_ONFAULT)};
constexpr Named kMlockallFlagBits[] = {SYSGATE_NAMED(MCL_CURRENT), SYSGATE_NAMED(MCL_FUTURE),
                                       SYSGATE_NAMED(MCL_ONFAULT)};
constexpr Named kMremapFlagBits[] = {SYSGATE_NAMED(MREMAP_MAYMOVE), SYSGATE_NAMED(MREMAP_FIXED),
                                     SYSGATE_NAMED(MREMAP_DONTUNMAP)};

constexpr Named kUmountFlagBits[] = {SYSGATE_NAMED(MNT_FORCE), SYSGATE_NAMED(MNT_DETACH), SYSGATE_NAMED(MNT_EXPIRE),
                                     SYSGATE_NAMED(UMOUNT_NOFOLLOW)};

// fcntl(F_NOTIFY)'s directory events.
constexpr Named kDnotifyBits[] = {
    SYSGATE_NAMED(DN_ACCESS), SYSGATE_NAMED(DN_MODIFY), SYSGATE_NAMED(DN_CREATE),    SYSGATE_NAMED(DN_DELETE),
    SYSGATE_NAMED(DN_RENAME), SYSGATE_NAMED(DN_ATTRIB), SYSGATE_NAMED(DN_MULTISHOT),
};

constexpr Named kShutdownHowTable[] = {SYSGATE_NAMED(SHUT_RD), SYSGATE_NAMED(SHUT_WR), SYSGATE_NAMED(SHUT_RDWR)};

// SCHED_ISO (4) is reserved and unnamed in glibc's headers; strace names it.
constexpr Named kSchedPolicyTable[] = {
    SYSGATE_NAMED(SCHED_OTHER), SYSGATE_NAMED(SCHED_FIFO), SYSGATE_NAMED(SCHED_RR),
    SYSGATE_NAMED(SCHED_BATCH), Named{"SCHED_ISO", 4},     SYSGATE_NAMED(SCHED_IDLE),
    Named{"SCHED_DEADLINE", 6},
};

// membarrier's commands: a command argument is one of them; MEMBARRIER_CMD_QUERY's
// result is a set of them. MEMBARRIER_CMD_GET_REGISTRATIONS (1 << 9, Linux 6.3)
// is left out as strace 6.1 leaves it out ("|0x200").
constexpr Named kMembarrierCmdTable[] = {
    SYSGATE_NAMED(MEMBARRIER_CMD_QUERY),
    SYSGATE_NAMED(MEMBARRIER_CMD_GLOBAL),
    SYSGATE_NAMED(MEMBARRIER_CMD_GLOBAL_EXPEDITED),
    SYSGATE_NAMED(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED),
    SYSGATE_NAMED(MEMBARRIER_CMD_PRIVATE_EXPEDITED),
    SYSGATE_NAMED(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED),
    SYSGATE_NAMED(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE),
    SYSGATE_NAMED(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE),
    SYSGATE_NAMED(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ),
    SYSGATE_NAMED(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ),
};
constexpr Named kMembarrierFlagBits[] = {SYSGATE_NAMED(MEMBARRIER_CMD_FLAG_CPU)};

constexpr Named kTcflshTable[] = {SYSGATE_NAMED(TCIFLUSH), SYSGATE_NAMED(TCOFLUSH), SYSGATE_NAMED(TCIOFLUSH)};
constexpr Named kTcxoncTable[] = {SYSGATE_NAMED(TCOOFF), SYSGATE_NAMED(TCOON), SYSGATE_NAMED(TCIOFF),
                                  SYSGATE_NAMED(TCION)};

// personality's execution domain (the low byte, PER_MASK) and its flags.
constexpr Named kPersonalityDomainTable[] = {
    SYSGATE_NAMED(PER_LINUX),   SYSGATE_NAMED(PER_SVR4),   SYSGATE_NAMED(PER_SVR3),  SYSGATE_NAMED(PER_SCOSVR3),
    SYSGATE_NAMED(PER_OSR5),    SYSGATE_NAMED(PER_WYSEV386), SYSGATE_NAMED(PER_ISCR4), SYSGATE_NAMED(PER_BSD),
    SYSGATE_NAMED(PER_XENIX),   SYSGATE_NAMED(PER_LINUX32), SYSGATE_NAMED(PER_IRIX32), SYSGATE_NAMED(PER_IRIXN32),
    SYSGATE_NAMED(PER_IRIX64),  SYSGATE_NAMED(PER_RISCOS), SYSGATE_NAMED(PER_SOLARIS), SYSGATE_NAMED(PER_UW7),
    SYSGATE_NAMED(PER_OSF4),    SYSGATE_NAMED(PER_HPUX),
};
constexpr Named kPersonalityFlagBits[] = {
    SYSGATE_NAMED(UNAME26),          SYSGATE_NAMED(ADDR_NO_RANDOMIZE), SYSGATE_NAMED(FDPIC_FUNCPTRS),
    SYSGATE_NAMED(MMAP_PAGE_ZERO),   SYSGATE_NAMED(ADDR_COMPAT_LAYOUT), SYSGATE_NAMED(READ_IMPLIES_EXEC),
    SYSGATE_NAMED(ADDR_LIMIT_32BIT), SYSGATE_NAMED(SHORT_INODE),       SYSGATE_NAMED(WHOLE_SECONDS),
    SYSGATE_NAMED(STICKY_TIMEOUTS),  SYSGATE_NAMED(ADDR_LIMIT_3GB),
};

// mount's flags, in bit order (MS_MGC_VAL, the old magic in the high half,
// is call_format.cc's to print).
constexpr Named kMountFlagBits[] = {
    SYSGATE_NAMED(MS_RDONLY),      SYSGATE_NAMED(MS_NOSUID),     SYSGATE_NAMED(MS_NODEV),
    SYSGATE_NAMED(MS_NOEXEC),      SYSGATE_NAMED(MS_SYNCHRONOUS), SYSGATE_NAMED(MS_REMOUNT),
    SYSGATE_NAMED(MS_MANDLOCK),    SYSGATE_NAMED(MS_DIRSYNC),    Named{"MS_NOSYMFOLLOW", 256},
    SYSGATE_NAMED(MS_NOATIME),     SYSGATE_NAMED(MS_NODIRATIME), SYSGATE_NAMED(MS_BIND),
    SYSGATE_NAMED(MS_MOVE),        SYSGATE_NAMED(MS_REC),        SYSGATE_NAMED(MS_SILENT),
    SYSGATE_NAMED(MS_POSIXACL),    SYSGATE_NAMED(MS_UNBINDABLE), SYSGATE_NAMED(MS_PRIVATE),
    SYSGATE_NAMED(MS_SLAVE),       SYSGATE_NAMED(MS_SHARED),     SYSGATE_NAMED(MS_RELATIME),
    SYSGATE_NAMED(MS_KERNMOUNT),   SYSGATE_NAMED(MS_I_VERSION),  SYSGATE_NAMED(MS_STRICTATIME),
    SYSGATE_NAMED(MS_LAZYTIME),    Named{"MS_SUBMOUNT", 1u << 26}, Named{"MS_NOREMOTELOCK", 1u << 27},
    Named{"MS_NOSEC", 1u << 28},   Named{"MS_BORN", 1u << 29},   SYSGATE_NAMED(MS_ACTIVE),
    Named{"MS_NOUSER", 1u << 31},
};

// setns's namespace types, in bit order.
constexpr Named kSetnsTypeBits[] = {
    Named{"CLONE_NEWTIME", 0x80},  SYSGATE_NAMED(CLONE_NEWNS),  SYSGATE_NAMED(CLONE_NEWCGROUP),
    SYSGATE_NAMED(CLONE_NEWUTS),   SYSGATE_NAMED(CLONE_NEWIPC), SYSGATE_NAMED(CLONE_NEWUSER),
    SYSGATE_NAMED(CLONE_NEWPID),   SYSGATE_NAMED(CLONE_NEWNET),
};

// kcmp's type (<linux/kcmp.h>).
constexpr Named kKcmpTypeTable[] = {Named{"KCMP_FILE", 0},    Named{"KCMP_VM", 1},      Named{"KCMP_FILES", 2},
                                    Named{"KCMP_FS", 3},      Named{"KCMP_SIGHAND", 4}, Named{"KCMP_IO", 5},
                                    Named{"KCMP_SYSVSEM", 6}, Named{"KCMP_EPOLL_TFD", 7}};

// syslog's type (the kernel's SYSLOG_ACTION_*, in no uapi header).
constexpr Named kSyslogActionTable[] = {
    Named{"SYSLOG_ACTION_CLOSE", 0},       Named{"SYSLOG_ACTION_OPEN", 1},
    Named{"SYSLOG_ACTION_READ", 2},        Named{"SYSLOG_ACTION_READ_ALL", 3},
    Named{"SYSLOG_ACTION_READ_CLEAR", 4},  Named{"SYSLOG_ACTION_CLEAR", 5},
    Named{"SYSLOG_ACTION_CONSOLE_OFF", 6}, Named{"SYSLOG_ACTION_CONSOLE_ON", 7},
    Named{"SYSLOG_ACTION_CONSOLE_LEVEL", 8}, Named{"SYSLOG_ACTION_SIZE_UNREAD", 9},
    Named{"SYSLOG_ACTION_SIZE_BUFFER", 10},
};

// ioprio_get's and ioprio_set's `which`, and a priority's class (<linux/ioprio.h>).
constexpr Named kIoprioWhoTable[] = {Named{"IOPRIO_WHO_PROCESS", 1}, Named{"IOPRIO_WHO_PGRP", 2},
                                     Named{"IOPRIO_WHO_USER", 3}};
constexpr Named kIoprioClassTable[] = {Named{"IOPRIO_CLASS_NONE", 0}, Named{"IOPRIO_CLASS_RT", 1},
                                       Named{"IOPRIO_CLASS_BE", 2}, Named{"IOPRIO_CLASS_IDLE", 3}};

}  // namespace

constinit const FlagSet kMountFlags{0, {}, kMountFlagBits, {}};
constinit const FlagSet kSetnsTypes{0, {}, kSetnsTypeBits, {}};
constinit const std::span<const Named> kIoprioWho{kIoprioWhoTable};
constinit const std::span<const Named> kKcmpTypes{kKcmpTypeTable};
constinit const std::span<const Named> kSyslogActions{kSyslogActionTable};
constinit const std::span<const Named> kIoprioClasses{kIoprioClassTable};
constinit const FlagSet kInotifyMask{0, {}, kInotifyMaskBits, {}};
constinit const FlagSet kXattrFlags{0, {}, kXattrFlagBits, {}, "XATTR_???"};
constinit const FlagSet kFallocateMode{0, {}, kFallocateModeBits, {}, "FALLOC_FL_???"};
constinit const FlagSet kCloseRangeFlags{0, {}, kCloseRangeFlagBits, {}, "CLOSE_RANGE_???"};
constinit const FlagSet kSyncFileRangeFlags{0, {}, kSyncFileRangeFlagBits, {}, "SYNC_FILE_RANGE_???"};
constinit const FlagSet kMsyncFlags{0, {}, kMsyncFlagBits, {}, "MS_???"};
constinit const FlagSet kMlock2Flags{0, {}, kMlock2FlagBits, {}, "MLOCK_???"};
constinit const FlagSet kMlockallFlags{0, {}, kMlockallFlagBits, {}, "MCL_???"};
constinit const FlagSet kMremapFlags{0, {}, kMremapFlagBits, {}, "MREMAP_???"};
constinit const FlagSet kUmountFlags{0, {}, kUmountFlagBits, {}, "MNT_???"};
constinit const FlagSet kDnotifyFlags{0, {}, kDnotifyBits, {}};
constinit const FlagSet kMembarrierFlags{0, {}, kMembarrierFlagBits, {}, "MEMBARRIER_CMD_FLAG_???"};
constinit const FlagSet kPersonalityFlags{0, {}, kPersonalityFlagBits, {}};
constinit const std::span<const Named> kShutdownHow{kShutdownHowTable};
constinit const std::span<const Named> kSchedPolicies{kSchedPolicyTable};
constinit const std::span<const Named> kMembarrierCmds{kMembarrierCmdTable};
constinit const std::span<const Named> kTcflshQueues{kTcflshTable};
constinit const std::span<const Named> kTcxoncActions{kTcxoncTable};
constinit const std::span<const Named> kPersonalityDomains{kPersonalityDomainTable};

}  // namespace sysgate::syscalls::constants::detail
