// Syscall User Dispatch (prctl PR_SET_SYSCALL_USER_DISPATCH, Linux 5.11):
// how `sysgate trace` sends the program's syscalls to the gate.
//
//   long r = user_dispatch_arm(code_begin, code_end);   // the loader, once
//   if (r == -EINVAL) ... no SUD in this kernel: stack the redirect filter instead
//   ... every new thread and forked child: thread_arm_dispatch(t) (program_filters.h)
//
// With SUD on, the kernel raises SIGSYS (si_code SYS_USER_DISPATCH) for every
// syscall made outside [code_begin, code_end) -- the loader's executable
// segment, where the gate's syscall instruction is -- before seccomp sees it,
// and lets the gate's own calls through to the policy filter alone. That filter
// then decides on arch and number, so the kernel's verdict cache answers most
// calls: +40 ns a call here, against +76 ns for the policy filter plus the
// redirect filter's instruction-pointer check, which the cache cannot answer
// (docs/performance.md, "The floors"). No selector byte: the program has no
// switch to turn dispatch off.
//
// What SUD does not do, and the gate does instead:
// - It is per thread and is not inherited by clone or fork (measured on 6.18):
//   the gate arms it in every thread and child it starts, before they run
//   program code (process.cc), or stacks the redirect filter where a filter
//   of the program's would refuse or fake the prctl (program_filters.h).
// - It ends at execve: the next loader arms it again.
// - It traps rt_sigreturn too (the redirect filter let it through): the gate
//   performs the program's sigreturn itself (handler.cc, emulate_rt_sigreturn).
// - prctl can turn it off. The monitor's policy refuses any
//   PR_SET_SYSCALL_USER_DISPATCH other than the exact arming call
//   (runner.cc), so a program cannot escape the gate even by jumping to the
//   gate's own syscall instruction. It was never the sandbox boundary: the
//   policy filter is (docs/gate.md).
//
// Freestanding.
#pragma once

#include <stdint.h>

namespace sysgate::gate {

inline constexpr int kSysUserDispatch = 2;  // si_code of a SUD SIGSYS (SYS_USER_DISPATCH)

// Turns SUD on for the calling thread with [begin, end) as the region whose
// syscalls go through, and remembers the region for user_dispatch_rearm.
// Returns 0 or -errno (-EINVAL: the kernel has no SUD).
long user_dispatch_arm(uint64_t begin, uint64_t end);

// True once user_dispatch_arm succeeded in this process.
bool user_dispatch_on();

// In a new thread or forked child of a process with SUD on: arms it again.
// 0 or -errno; 0 at once if SUD is off. (program_filters.h, thread_arm_dispatch,
// decides what a refusal means.)
long user_dispatch_rearm();

}  // namespace sysgate::gate
