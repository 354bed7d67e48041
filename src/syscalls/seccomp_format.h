// seccomp's arguments, and prctl(PR_SET_SECCOMP)'s, as strace 6 shows them
// (its seccomp.c and prctl.c):
//
//   seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC|0x80000000, {len=6, filter=0x7ffd...})
//   seccomp(SECCOMP_GET_ACTION_AVAIL, 0, [SECCOMP_RET_LOG])
//   seccomp(SECCOMP_GET_NOTIF_SIZES, 0, {seccomp_notif=80, seccomp_notif_resp=24, seccomp_data=64})
//   seccomp(0x7 /* SECCOMP_SET_MODE_??? */, 0x3, 0x1)
//   prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, {len=1, filter=0x7ffd...})
//   prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT)
//   prctl(PR_SET_SECCOMP, 0x5 /* SECCOMP_MODE_??? */, 0x7ffd..., 0, 0)
//
// Only a filter's flags are names: every other operation's flags are a
// number in hex. What the pointers point at comes from the caller's struct
// hook (trace/seccomp_format.h decodes what a trace record carries), else
// the address. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "syscalls/call_format.h"

namespace sysgate::syscalls {

// Everything between "seccomp(" and ")". pointer_arg (FormatOptions::
// struct_arg) appends the third argument's contents and returns true, or
// returns false and the address is shown; it may be unset.
void append_seccomp_args(std::string& out, const uint64_t args[6], const ArgHook& pointer_arg,
                         ConstStyle style = ConstStyle::kAbbrev);

// prctl(PR_SET_SECCOMP, ...)'s arguments after the option (and its ", "):
// the mode, then what the mode takes.
void append_prctl_seccomp_args(std::string& out, const uint64_t args[6], const ArgHook& pointer_arg,
                               ConstStyle style = ConstStyle::kAbbrev);

// A filter's action as SECCOMP_GET_ACTION_AVAIL's "[...]" holds it:
// SECCOMP_RET_LOG, or "0x12340000 /* SECCOMP_RET_??? */".
void append_seccomp_action(std::string& out, uint32_t action, ConstStyle style = ConstStyle::kAbbrev);

}  // namespace sysgate::syscalls
