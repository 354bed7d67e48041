// The structs behind seccomp's third argument and prctl(PR_SET_SECCOMP,
// SECCOMP_MODE_FILTER)'s, as the gate copies them (src/gate/struct_payloads.cc)
// and strace 6 prints them:
//
//   {len=6, filter=0x7ffd...}     SECCOMP_SET_MODE_FILTER's, PR_SET_SECCOMP's struct sock_fprog
//   [SECCOMP_RET_KILL_THREAD]     SECCOMP_GET_ACTION_AVAIL's action
//   {seccomp_notif=80, seccomp_notif_resp=24, seccomp_data=64}   SECCOMP_GET_NOTIF_SIZES's answer
//
// strace -v also decodes a filter's instructions
// ("filter=[BPF_STMT(BPF_RET|BPF_K, SECCOMP_RET_ALLOW)]"); sysgate shows their
// address with or without -v (docs/tracing.md). Pure functions; thread-safe.
#pragma once

#include <string>

#include "syscalls/const_style.h"
#include "trace/record.h"

namespace sysgate::trace {

// False when p is not such a struct of r's call (the caller shows the address).
bool append_seccomp_payload(std::string& out, const Record& r, const Payload& p,
                            syscalls::ConstStyle consts = syscalls::ConstStyle::kAbbrev);

}  // namespace sysgate::trace
