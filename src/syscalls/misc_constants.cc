// Flags of the descriptor-creating calls and of a few sandbox-relevant interfaces:
// EFD_*, EPOLL_*, SFD_*, TFD_*, IN_CLOEXEC/IN_NONBLOCK, GRND_*, SECCOMP_*, LANDLOCK_*.
//
// glibc's headers for the calls it wraps (their values are the kernel's, many are
// spelled O_CLOEXEC/O_NONBLOCK), the kernel's uapi headers for seccomp and landlock,
// which glibc does not wrap; neither set redefines the other's names.
#include <fcntl.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "syscalls/constant_tables.h"

namespace sysgate::syscalls::constants::detail {
namespace {

constexpr Named kEpollCtlOpTable[] = {
    SYSGATE_NAMED(EPOLL_CTL_ADD),
    SYSGATE_NAMED(EPOLL_CTL_DEL),
    SYSGATE_NAMED(EPOLL_CTL_MOD),
};

// The event bits of epoll_event and of pollfd, in strace's order (<linux/eventpoll.h>,
// <asm-generic/poll.h>: glibc's headers lack some of them).
constexpr Named kEpollEventBits[] = {
    Named{"EPOLLIN", 0x1},         Named{"EPOLLPRI", 0x2},          Named{"EPOLLOUT", 0x4},
    Named{"EPOLLERR", 0x8},        Named{"EPOLLHUP", 0x10},         Named{"EPOLLNVAL", 0x20},
    Named{"EPOLLRDNORM", 0x40},    Named{"EPOLLRDBAND", 0x80},      Named{"EPOLLWRNORM", 0x100},
    Named{"EPOLLWRBAND", 0x200},   Named{"EPOLLMSG", 0x400},        Named{"EPOLLRDHUP", 0x2000},
    Named{"EPOLLEXCLUSIVE", 1u << 28}, Named{"EPOLLWAKEUP", 1u << 29}, Named{"EPOLLONESHOT", 1u << 30},
    Named{"EPOLLET", 1u << 31},
};
constexpr Named kPollEventBits[] = {
    Named{"POLLIN", 0x1},       Named{"POLLPRI", 0x2},      Named{"POLLOUT", 0x4},     Named{"POLLERR", 0x8},
    Named{"POLLHUP", 0x10},     Named{"POLLNVAL", 0x20},    Named{"POLLRDNORM", 0x40}, Named{"POLLRDBAND", 0x80},
    Named{"POLLWRNORM", 0x100}, Named{"POLLWRBAND", 0x200}, Named{"POLLMSG", 0x400},   Named{"POLLREMOVE", 0x1000},
    Named{"POLLRDHUP", 0x2000},
};
// pkey_alloc's access rights (<asm-generic/mman-common.h>).
constexpr Named kPkeyAccessBits[] = {Named{"PKEY_DISABLE_ACCESS", 0x1}, Named{"PKEY_DISABLE_WRITE", 0x2}};

constexpr Named kMiscOtherTable[] = {
    SYSGATE_NAMED(TFD_TIMER_ABSTIME),
    SYSGATE_NAMED(TFD_TIMER_CANCEL_ON_SET),
    SYSGATE_NAMED(LANDLOCK_CREATE_RULESET_VERSION),
    SYSGATE_NAMED(LANDLOCK_RULE_PATH_BENEATH),
};

// seccomp's operations, prctl(PR_SET_SECCOMP)'s modes, a filter's flags (in
// bit order, as strace lists them; WAIT_KILLABLE_RECV, Linux 6.0, may be
// missing from older headers) and its actions (syscalls/seccomp_format.h).
constexpr Named kSeccompOpTable[] = {
    SYSGATE_NAMED(SECCOMP_SET_MODE_STRICT),
    SYSGATE_NAMED(SECCOMP_SET_MODE_FILTER),
    SYSGATE_NAMED(SECCOMP_GET_ACTION_AVAIL),
    SYSGATE_NAMED(SECCOMP_GET_NOTIF_SIZES),
};
constexpr Named kSeccompModeTable[] = {
    SYSGATE_NAMED(SECCOMP_MODE_DISABLED),
    SYSGATE_NAMED(SECCOMP_MODE_STRICT),
    SYSGATE_NAMED(SECCOMP_MODE_FILTER),
};
constexpr Named kSeccompFilterFlagBits[] = {
    SYSGATE_NAMED(SECCOMP_FILTER_FLAG_TSYNC),
    SYSGATE_NAMED(SECCOMP_FILTER_FLAG_LOG),
    SYSGATE_NAMED(SECCOMP_FILTER_FLAG_SPEC_ALLOW),
    SYSGATE_NAMED(SECCOMP_FILTER_FLAG_NEW_LISTENER),
    SYSGATE_NAMED(SECCOMP_FILTER_FLAG_TSYNC_ESRCH),
    Named{"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 1u << 5},
};
constexpr Named kSeccompActionTable[] = {
    SYSGATE_NAMED(SECCOMP_RET_KILL_PROCESS),
    SYSGATE_NAMED(SECCOMP_RET_KILL_THREAD),
    SYSGATE_NAMED(SECCOMP_RET_TRAP),
    SYSGATE_NAMED(SECCOMP_RET_ERRNO),
    SYSGATE_NAMED(SECCOMP_RET_USER_NOTIF),
    SYSGATE_NAMED(SECCOMP_RET_TRACE),
    SYSGATE_NAMED(SECCOMP_RET_LOG),
    SYSGATE_NAMED(SECCOMP_RET_ALLOW),
};

// The descriptor-creating calls' flags, each in strace's order.
constexpr Named kEfdFlagBits[] = {SYSGATE_NAMED(EFD_SEMAPHORE), SYSGATE_NAMED(EFD_CLOEXEC), SYSGATE_NAMED(EFD_NONBLOCK)};
constexpr Named kEpollCreateFlagBits[] = {SYSGATE_NAMED(EPOLL_CLOEXEC)};
constexpr Named kTfdFlagBits[] = {SYSGATE_NAMED(TFD_CLOEXEC), SYSGATE_NAMED(TFD_NONBLOCK)};
constexpr Named kTfdSetFlagBits[] = {SYSGATE_NAMED(TFD_TIMER_ABSTIME), SYSGATE_NAMED(TFD_TIMER_CANCEL_ON_SET)};
constexpr Named kSfdFlagBits[] = {SYSGATE_NAMED(SFD_CLOEXEC), SYSGATE_NAMED(SFD_NONBLOCK)};
constexpr Named kInotifyFlagBits[] = {SYSGATE_NAMED(IN_NONBLOCK), SYSGATE_NAMED(IN_CLOEXEC)};

// userfaultfd's flags: its own, then the open flags it takes, in strace's order.
constexpr Named kUffdFlagBits[] = {Named{"UFFD_USER_MODE_ONLY", 0x1}, SYSGATE_NAMED(O_NONBLOCK), SYSGATE_NAMED(O_CLOEXEC)};

// fanotify_init's flags: the notification class (a field of two bits), then
// the flags, in strace's order (<linux/fanotify.h>; the newer ones by value).
constexpr Named kFanClassValues[] = {
    Named{"FAN_CLASS_NOTIF", 0x0}, Named{"FAN_CLASS_CONTENT", 0x4}, Named{"FAN_CLASS_PRE_CONTENT", 0x8}};
constexpr Named kFanInitFlagBits[] = {
    Named{"FAN_CLOEXEC", 0x1},         Named{"FAN_NONBLOCK", 0x2},       Named{"FAN_UNLIMITED_QUEUE", 0x10},
    Named{"FAN_UNLIMITED_MARKS", 0x20}, Named{"FAN_ENABLE_AUDIT", 0x40},  Named{"FAN_REPORT_PIDFD", 0x80},
    Named{"FAN_REPORT_TID", 0x100},     Named{"FAN_REPORT_FID", 0x200},   Named{"FAN_REPORT_DIR_FID", 0x400},
    Named{"FAN_REPORT_NAME", 0x800},    Named{"FAN_REPORT_TARGET_FID", 0x1000}};

// getrandom's flags (GRND_INSECURE, Linux 5.6, may be missing from older headers).
constexpr Named kGrndFlagBits[] = {
    SYSGATE_NAMED(GRND_NONBLOCK),
    SYSGATE_NAMED(GRND_RANDOM),
    Named{"GRND_INSECURE", 0x4},
};

}  // namespace

constinit const std::span<const Named> kMiscOther{kMiscOtherTable};
constinit const std::span<const Named> kEpollCtlOps{kEpollCtlOpTable};
constinit const std::span<const Named> kSeccompOps{kSeccompOpTable};
constinit const std::span<const Named> kSeccompModes{kSeccompModeTable};
constinit const std::span<const Named> kSeccompActions{kSeccompActionTable};
constinit const FlagSet kSeccompFilterFlags{0, {}, kSeccompFilterFlagBits, {}};
constinit const FlagSet kEpollEvents{0, {}, kEpollEventBits, {}};
constinit const FlagSet kPollEvents{0, {}, kPollEventBits, {}};
constinit const FlagSet kPkeyAccess{0, {}, kPkeyAccessBits, {}};
constinit const FlagSet kGrndFlags{0, {}, kGrndFlagBits, {}};
constinit const FlagSet kEfdFlags{0, {}, kEfdFlagBits, {}, "EFD_???"};
constinit const FlagSet kEpollCreateFlags{0, {}, kEpollCreateFlagBits, {}, "EPOLL_???"};
constinit const FlagSet kTfdFlags{0, {}, kTfdFlagBits, {}, "TFD_???"};
constinit const FlagSet kTfdSetFlags{0, {}, kTfdSetFlagBits, {}};
constinit const FlagSet kSfdFlags{0, {}, kSfdFlagBits, {}};
constinit const FlagSet kInotifyFlags{0, {}, kInotifyFlagBits, {}, "IN_???"};
constinit const FlagSet kUffdFlags{0, {}, kUffdFlagBits, {}};
constinit const FlagSet kFanInitFlags{0xc, kFanClassValues, kFanInitFlagBits, {}, "FAN_???"};

}  // namespace sysgate::syscalls::constants::detail
