// Successful results strace prints with their meaning after them:
//
//   fcntl(6, F_GETSIG)          = 10 (SIGUSR1)
//   sched_getscheduler(0)       = 0 (SCHED_OTHER)
//   membarrier(MEMBARRIER_CMD_QUERY, 0) = 0x3ff (MEMBARRIER_CMD_GLOBAL|...)
//   personality(0xffffffff)     = 0 (PER_LINUX)
//   time(NULL)                  = 1795896106 (2026-11-28T20:01:46+0000)
//
//   if (!append_named_result(out, nr, args, ret)) { out += "= "; append_decimal(out, ret); }
//
// The time is the monitor's local time, as strace's is its own.
#pragma once

#include <cstdint>
#include <string>

namespace sysgate::syscalls {

// Appends "= VALUE (MEANING)" for a successful result of the calls above
// (ret >= 0) and returns true; false, appending nothing, for any other.
bool append_named_result(std::string& out, int nr, const uint64_t args[6], int64_t ret);

}  // namespace sysgate::syscalls
