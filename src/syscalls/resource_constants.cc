// Resource, clock, scheduling and wait constants: RLIMIT_*, CLOCK_*, RUSAGE_*, PRIO_*,
// SCHED_*, W*, P_*.
//
// From glibc's headers, whose values are the kernel ABI for these names: the uapi
// equivalents (<linux/resource.h>, <linux/time.h>, <linux/wait.h>) redefine struct
// timespec and the W* macros that the C++ standard library already pulls in.
#include <sched.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "syscalls/constant_tables.h"

namespace sysgate::syscalls::constants::detail {
namespace {

constexpr Named kRlimitTable[] = {
    SYSGATE_NAMED(RLIMIT_CPU),        SYSGATE_NAMED(RLIMIT_FSIZE),   SYSGATE_NAMED(RLIMIT_DATA),
    SYSGATE_NAMED(RLIMIT_STACK),      SYSGATE_NAMED(RLIMIT_CORE),    SYSGATE_NAMED(RLIMIT_RSS),
    SYSGATE_NAMED(RLIMIT_NPROC),      SYSGATE_NAMED(RLIMIT_NOFILE),  SYSGATE_NAMED(RLIMIT_MEMLOCK),
    SYSGATE_NAMED(RLIMIT_AS),         SYSGATE_NAMED(RLIMIT_LOCKS),   SYSGATE_NAMED(RLIMIT_SIGPENDING),
    SYSGATE_NAMED(RLIMIT_MSGQUEUE),   SYSGATE_NAMED(RLIMIT_NICE),    SYSGATE_NAMED(RLIMIT_RTPRIO),
    SYSGATE_NAMED(RLIMIT_RTTIME),
};

constexpr Named kClockIdTable[] = {
    SYSGATE_NAMED(CLOCK_REALTIME),        SYSGATE_NAMED(CLOCK_MONOTONIC),
    SYSGATE_NAMED(CLOCK_PROCESS_CPUTIME_ID), SYSGATE_NAMED(CLOCK_THREAD_CPUTIME_ID),
    SYSGATE_NAMED(CLOCK_MONOTONIC_RAW),   SYSGATE_NAMED(CLOCK_REALTIME_COARSE),
    SYSGATE_NAMED(CLOCK_MONOTONIC_COARSE), SYSGATE_NAMED(CLOCK_BOOTTIME),
    SYSGATE_NAMED(CLOCK_REALTIME_ALARM),  SYSGATE_NAMED(CLOCK_BOOTTIME_ALARM),
    SYSGATE_NAMED(CLOCK_TAI),
};

constexpr Named kItimerTable[] = {
    SYSGATE_NAMED(ITIMER_REAL), SYSGATE_NAMED(ITIMER_VIRTUAL), SYSGATE_NAMED(ITIMER_PROF),
};

constexpr Named kTimerFlagBits[] = {SYSGATE_NAMED(TIMER_ABSTIME)};

// For display only (RUSAGE_CHILDREN is -1: here as the 32 bits the kernel reads;
// policies find these names in kResourceOther).
constexpr Named kRusageWhoTable[] = {
    {"RUSAGE_SELF", RUSAGE_SELF},
    {"RUSAGE_CHILDREN", static_cast<uint32_t>(RUSAGE_CHILDREN)},
    {"RUSAGE_THREAD", RUSAGE_THREAD},
};

// waitid's idtype (display only; policies find these names in kResourceOther).
constexpr Named kIdTypeTable[] = {
    {"P_ALL", P_ALL}, {"P_PID", P_PID}, {"P_PGID", P_PGID}, {"P_PIDFD", P_PIDFD},
};

constexpr Named kPrioWhichTable[] = {
    SYSGATE_NAMED(PRIO_PROCESS), SYSGATE_NAMED(PRIO_PGRP), SYSGATE_NAMED(PRIO_USER),
};

constexpr Named kResourceOtherTable[] = {
    SYSGATE_NAMED(RLIM_INFINITY),
    SYSGATE_NAMED(RUSAGE_SELF),
    SYSGATE_NAMED(RUSAGE_CHILDREN),
    SYSGATE_NAMED(RUSAGE_THREAD),
    SYSGATE_NAMED(SCHED_OTHER),
    SYSGATE_NAMED(SCHED_FIFO),
    SYSGATE_NAMED(SCHED_RR),
    SYSGATE_NAMED(SCHED_BATCH),
    SYSGATE_NAMED(SCHED_IDLE),
#ifdef SCHED_DEADLINE
    SYSGATE_NAMED(SCHED_DEADLINE),
#endif
    SYSGATE_NAMED(SCHED_RESET_ON_FORK),
    SYSGATE_NAMED(WNOHANG),
    SYSGATE_NAMED(WUNTRACED),
    SYSGATE_NAMED(WSTOPPED),
    SYSGATE_NAMED(WEXITED),
    SYSGATE_NAMED(WCONTINUED),
    SYSGATE_NAMED(WNOWAIT),
    SYSGATE_NAMED(__WNOTHREAD),
    SYSGATE_NAMED(__WALL),
    SYSGATE_NAMED(__WCLONE),
    SYSGATE_NAMED(P_ALL),
    SYSGATE_NAMED(P_PID),
    SYSGATE_NAMED(P_PGID),
    SYSGATE_NAMED(P_PIDFD),  // an idtype_t enumerator, not a macro
};

}  // namespace

constinit const std::span<const Named> kRlimits{kRlimitTable};
constinit const std::span<const Named> kClockIds{kClockIdTable};
constinit const std::span<const Named> kItimers{kItimerTable};
constinit const std::span<const Named> kPrioWhich{kPrioWhichTable};
constinit const std::span<const Named> kRusageWho{kRusageWhoTable};
constinit const std::span<const Named> kIdTypes{kIdTypeTable};
constinit const FlagSet kTimerFlags{0, {}, kTimerFlagBits, {}, "TIMER_???"};
constinit const std::span<const Named> kResourceOther{kResourceOtherTable};

}  // namespace sysgate::syscalls::constants::detail
