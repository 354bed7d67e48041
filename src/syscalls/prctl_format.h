// prctl's arguments as strace shows them: the option, then only what that
// option takes, each in its own terms (its prctl.c).
//
//   prctl(PR_SET_NAME, "worker-1")            prctl(PR_GET_DUMPABLE)
//   prctl(PR_SET_PDEATHSIG, SIGTERM)          prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN)
//   prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)    prctl(0x12345678 /* PR_??? */, 0x1, 0x2, 0x3, 0x4)
//   prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, {len=1, filter=0x7ffd...})  (syscalls/seccomp_format.h)
//
// Pointer arguments (PR_GET_NAME's buffer, PR_GET_PDEATHSIG's int, PR_SET_SECCOMP's filter, ...) are
// shown by the caller's struct hook, which has the bytes the gate copied, or
// as their address. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "syscalls/call_format.h"

namespace sysgate::syscalls {

// Appends everything between "prctl(" and ")". pointer_arg (FormatOptions::
// struct_arg) appends a pointer argument's contents and returns true, or
// returns false and the address is shown; it may be unset.
void append_prctl_args(std::string& out, const uint64_t args[6], const ArgHook& pointer_arg,
                       ConstStyle style = ConstStyle::kAbbrev);

}  // namespace sysgate::syscalls
