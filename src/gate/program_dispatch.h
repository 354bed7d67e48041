// A program's own Syscall User Dispatch (prctl PR_SET_SYSCALL_USER_DISPATCH:
// Wine runs Windows code under it), where the gate does not use SUD itself
// (`sysgate run`; under `sysgate trace` SUD is the gate's and the monitor's
// policy refuses the program's prctl with EPERM, docs/tracing.md).
//
//   case __NR_prctl:
//     if (is_program_dispatch_call(a) && !user_dispatch_on()) return program_dispatch_set(t, a);
//   ... a SIGSYS with si_code SYS_USER_DISPATCH:
//     if (!program_dispatch_exempt(t, info->call_addr)) deliver it to the program;
//     else make the call, as the kernel would have
//
// Why: armed as the program asks, SUD would send the gate's own syscalls --
// the handler's, the forwarded ones -- back to SIGSYS whenever the program's
// selector says "block", and the process died of a SIGSYS in its SIGSYS
// handler (reproduced: `sysgate run --profile all` of a program that arms
// SUD and blocks one getppid). So the gate arms it with its own code as the
// region SUD lets through, and the program's selector byte, which the kernel
// reads on each call as it would have; the region the program named is the
// gate's to honour: a dispatched call made from inside it is made, not
// delivered. The program's other calls reach its SIGSYS handler as natively.
//
// Like the kernel's: per thread, not inherited by threads or forked children
// (process.cc clears it there), ended by execve.
//
// Not emulated: a call the gate makes for the program through a trampoline
// (a hook library's rewritten sites) is never dispatched.
// Freestanding.
#pragma once

#include <stdint.h>

#include "gate/thread_state.h"

namespace sysgate::gate {

// prctl's arguments a: PR_SET_SYSCALL_USER_DISPATCH.
bool is_program_dispatch_call(const uint64_t a[6]);

// prctl(PR_SET_SYSCALL_USER_DISPATCH, a[1..4]) for the program, as the kernel
// answers it: 0, or -EINVAL/-EFAULT for what the kernel refuses, or the
// policy's answer to the gate's own arming prctl.
long program_dispatch_set(GateThread* t, const uint64_t a[6]);

// Whether thread t's program SUD is on.
bool program_dispatch_on(const GateThread* t);

// Whether a call dispatched at call_addr (the address after its syscall
// instruction, as the kernel compares it) lies in the region the program
// exempted: the kernel would have made it.
bool program_dispatch_exempt(const GateThread* t, uint64_t call_addr);

// A new thread or forked child: the kernel did not carry SUD over.
void program_dispatch_forget(GateThread* t);

}  // namespace sysgate::gate
