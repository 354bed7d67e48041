// Signal constants: SIGHUP..SIGSYS, SIG_BLOCK/UNBLOCK/SETMASK, SA_*.
//
// From glibc's <signal.h>; the standard signal numbers are the kernel's. Real-time
// signals are not listed: glibc's SIGRTMIN is a function (glibc reserves the first
// two for itself), so constants.cc names them by kernel number from __SIGRTMIN, the
// kernel's SIGRTMIN, as strace does (SIGRTMIN, SIGRT_1, ..., SIGRT_32).
#include <signal.h>

#include <iterator>

#include "syscalls/constant_tables.h"

namespace sysgate::syscalls::constants::detail {
namespace {

// Indexed by number - 1: constants.cc relies on kSignalTable[i].value == i + 1.
constexpr Named kSignalTable[] = {
    SYSGATE_NAMED(SIGHUP),  SYSGATE_NAMED(SIGINT),    SYSGATE_NAMED(SIGQUIT), SYSGATE_NAMED(SIGILL),
    SYSGATE_NAMED(SIGTRAP), SYSGATE_NAMED(SIGABRT),   SYSGATE_NAMED(SIGBUS),  SYSGATE_NAMED(SIGFPE),
    SYSGATE_NAMED(SIGKILL), SYSGATE_NAMED(SIGUSR1),   SYSGATE_NAMED(SIGSEGV), SYSGATE_NAMED(SIGUSR2),
    SYSGATE_NAMED(SIGPIPE), SYSGATE_NAMED(SIGALRM),   SYSGATE_NAMED(SIGTERM), SYSGATE_NAMED(SIGSTKFLT),
    SYSGATE_NAMED(SIGCHLD), SYSGATE_NAMED(SIGCONT),   SYSGATE_NAMED(SIGSTOP), SYSGATE_NAMED(SIGTSTP),
    SYSGATE_NAMED(SIGTTIN), SYSGATE_NAMED(SIGTTOU),   SYSGATE_NAMED(SIGURG),  SYSGATE_NAMED(SIGXCPU),
    SYSGATE_NAMED(SIGXFSZ), SYSGATE_NAMED(SIGVTALRM), SYSGATE_NAMED(SIGPROF), SYSGATE_NAMED(SIGWINCH),
    SYSGATE_NAMED(SIGIO),   SYSGATE_NAMED(SIGPWR),    SYSGATE_NAMED(SIGSYS),
};

constexpr bool numbered_in_order() {
  for (size_t i = 0; i < std::size(kSignalTable); ++i) {
    if (kSignalTable[i].value != i + 1) return false;
  }
  return true;
}
static_assert(numbered_in_order(), "kSignalTable must list signals 1..31 in order");

constexpr Named kSigHowTable[] = {
    SYSGATE_NAMED(SIG_BLOCK),
    SYSGATE_NAMED(SIG_UNBLOCK),
    SYSGATE_NAMED(SIG_SETMASK),
};

constexpr Named kSignalOtherTable[] = {
    SYSGATE_NAMED(SIGIOT),
    SYSGATE_NAMED(SIGPOLL),
    SYSGATE_NAMED(SA_NOCLDSTOP),
    SYSGATE_NAMED(SA_NOCLDWAIT),
    SYSGATE_NAMED(SA_SIGINFO),
    SYSGATE_NAMED(SA_ONSTACK),
    SYSGATE_NAMED(SA_RESTART),
    SYSGATE_NAMED(SA_NODEFER),
    SYSGATE_NAMED(SA_RESETHAND),
    SYSGATE_NAMED(SS_ONSTACK),
    SYSGATE_NAMED(SS_DISABLE),
};

}  // namespace

constinit const std::span<const Named> kSignals{kSignalTable};
constinit const int kFirstRealtimeSignal = __SIGRTMIN;
constinit const int kLastRealtimeSignal = __SIGRTMAX;
constinit const std::span<const Named> kSigHow{kSigHowTable};
constinit const std::span<const Named> kSignalOther{kSignalOtherTable};

}  // namespace sysgate::syscalls::constants::detail
