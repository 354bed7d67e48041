// When a traced program stacks a seccomp filter of its own, keeping every
// call of every later thread and image reaching the gate.
//
//   case __NR_seccomp:                        // and prctl(PR_SET_SECCOMP, ...)
//     if (long e = program_filter_before(t, call.nr, a); e != 0) return e;
//     r = forward(...);
//     program_filter_after(t, call.nr, a, r);
//   ...
//   thread_arm_dispatch(t);                   // each new thread and forked child
//
// Why: under `sysgate trace` Syscall User Dispatch sends the program's calls
// to the gate (user_dispatch.h). It is per thread and ends at execve, so the
// gate arms it again, with a prctl, in every new thread, child and image. A
// program's own filter sees those prctls too, and the kernel keeps the most
// severe verdict: a self-sandboxing program that refuses unknown prctls
// (EPERM, or a kill, as minijail's and bwrap's filters may) made the gate die
// at its next thread; one that answers them with "success" (ERRNO(0)) made
// every later thread and image run untraced (both reproduced). So, before the
// program's first filter goes on a thread, the gate stacks the redirect filter
// (redirect_filter.h) there: every call made outside the loader then traps
// whatever the later filters say (TRAP is more severe than any errno), in that
// thread, the threads and children it starts, and the images it execs -- and
// the gate stops asking for SUD in them (the next image is told filtered=1).
// The cost: the calls the gate makes for such threads also run the redirect
// filter's instruction-pointer check (~35 ns, docs/performance.md).
//
// What it does not cover: a filter the program installs through the gate's
// own syscall instruction (docs/tracing.md: the gate is not defended against
// the program it runs); then, at least, a refused prctl still does not end
// the process: thread_arm_dispatch falls back on the redirect filter too.
//
// Only under SUD-based tracing (user_dispatch_on()); a no-op otherwise (with
// the redirect filter or `sysgate run`'s, every thread is covered already).
// Freestanding.
#pragma once

#include <stdint.h>

#include "gate/thread_state.h"

namespace sysgate::gate {

// Whether seccomp/prctl call nr with arguments a installs a filter.
bool installs_seccomp_filter(long nr, const uint64_t a[6]);

// Before such a call: stacks the redirect filter on thread t if it has none
// yet. 0, or the -errno of that (then the program's call is not made: its
// filter would let the gate's later prctls be lied to). With
// SECCOMP_FILTER_FLAG_TSYNC it returns (0) holding the gate's filter lock,
// which program_filter_after releases: the caller makes the call between.
long program_filter_before(GateThread* t, long nr, const uint64_t a[6]);

// After it: a filter installed with SECCOMP_FILTER_FLAG_TSYNC gave every
// thread the caller's filters, the redirect filter among them.
void program_filter_after(GateThread* t, long nr, const uint64_t a[6], long result);

// Whether thread t's calls trap through the redirect filter.
bool thread_redirected(const GateThread* t);

// In a new thread (CLONE_VM), before any program code: SUD again, unless the
// redirect filter covers it; if the prctl is refused, the redirect filter
// instead. Dies if neither can be had. Waits while another thread installs
// a filter with TSYNC (the kernel may be giving it this thread's too).
void thread_arm_dispatch(GateThread* t);

// The same in a forked child, which has the filters of the thread that
// forked (parent_redirected: thread_redirected(that thread), asked before
// the fork's new identity).
void forked_child_arm_dispatch(GateThread* t, bool parent_redirected);

}  // namespace sysgate::gate
