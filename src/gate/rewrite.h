// Lazy, W^X-safe rewriting of syscall sites onto trampolines (docs/gate.md,
// "Site rewriting"). Off unless GateConfig::flags has kGateRewrite (--gate
// rewrite=1); the trap path stays correct for every site either way.
//
//   // in the SIGSYS handler, after the trapped call was handled:
//   rewrite_after_trap(t, nr, uc->mc.rip);
//
// A site is rewritten only if it is glibc's shape `b8 <nr> 0f 05`
// (`mov $nr,%eax; syscall`) with nr == the trapped number, nr is not a call with
// special semantics (rewrite_number_allowed), both instructions lie in one R-X
// PT_LOAD of a loaded object and in one function of its .eh_frame_hdr, decoding
// that function from its start reaches the mov exactly, and no direct branch of
// the function targets the middle of the mov. The 5-byte mov becomes
// `jmp rel32` to a trampoline slot; the syscall stays as a landing point (a
// branch to it still works, through the trap path).
//
// Patching: through a writable view of the page (code_alias.h): a store while
// the process has one thread, else the page replaced whole by a patched copy.
// Where the policy refuses the memfd, the page(s) holding the 7 bytes are
// copied into a fresh anonymous RW mapping, patched there, made R-X, and moved
// over the original with mremap(MREMAP_MAYMOVE|MREMAP_FIXED). Either way a
// concurrent executor sees the old or the new page, never a writable one, never
// a hole. Serialised by a spin lock held only inside the SIGSYS handler (every
// signal blocked).
//
// With kGateSweepPages, a page's first trapped site also rewrites the other
// sites on its page and the two pages beside it, each after the same checks,
// before their first call (docs/gate.md, "Sweeping a page"), once the dynamic
// linker's object list is consistent: by stores with one thread, by one
// replacement of each page with more.
//
// Freestanding; see trampoline.S for the trampolines themselves.
#pragma once

#include <stdint.h>

#include "gate/rewrite_elf.h"
#include "gate/rewrite_stats.h"
#include "gate/thread_state.h"

namespace sysgate::gate {

// At gate_install: turns rewriting on (config.flags & kGateRewrite) and gives
// the calling thread its GS base. False if arch_prctl(ARCH_SET_GS) fails (then
// rewriting stays off; the gate works as without it).
bool rewrite_install(const LoadedObjects& objects);

// Every new thread with a gate stack: sets its GS base to t (no-op when off).
void rewrite_thread_started(GateThread* t);

// After the trap path handled syscall nr, trapped at rip (after `syscall`).
// Signals blocked (SIGSYS handler).
void rewrite_after_trap(long nr, uint64_t rip);

// The program calls arch_prctl(ARCH_SET_GS): from now on every trampoline
// sends its calls to the trap path (the GS base no longer finds the gate).
void rewrite_program_sets_gs();

bool rewrite_enabled();

// In a forked child: another thread of the parent may have held the rewrite
// lock at the fork; it does not exist here.
// Its counts start from zero too (the parent reports its own).
void rewrite_after_fork_in_child(GateThread* t);

// Around every clone, fork and vfork the handler makes (process.cc), in the
// parent: begin before the syscall, end once it returned there. A CLONE_VM
// child is counted from before it runs (patches are stores only while one
// thread can run program code: code_alias.h). A fork holds the rewrite lock
// across the syscall, so the copy gets no half-made patch, and then forgets the
// page views in the parent (code_alias_forked). begin returns whether it took
// the lock, for end.
bool rewrite_clone_begin(uint64_t flags);
void rewrite_clone_end(uint64_t flags, long result, bool locked);

// A thread the gate did not create traps (a clone it did not see): threads are
// no longer counted, and every patch replaces its page.
void rewrite_unknown_thread();

// A thread leaves (exit) or the process does (exit_group): adds the thread's
// call counts to the process totals; for the process, with reporting on
// (--gate rewritestats[=FD]), writes one line of counts to that fd.
void rewrite_thread_exits(GateThread* t, bool whole_process);
void rewrite_set_report(int fd);  // -1: no report

// While tracing: a kRecordRewriteCounts record of the counts since the last one
// (ring_format.h). At exit_group (rewrite_thread_exits) and before an exec, so
// the process's records add up to what the image did.
void rewrite_trace_counts(GateThread* t);

// trace -i: for a signal that interrupted the trampolines' own syscall
// instruction (a call on a rewritten site that took the assembly path: one
// outside -e trace=SET), where that call resumes the program; 0 when rsp (the
// interrupted context's) is not such a frame on t's gate stack or alternate
// stack.
uint64_t rewrite_fast_path_resume_ip(const GateThread* t, uint64_t rsp);

// Whether ip is in the code of a trampoline block (a slot's `lea; jmp`).
bool rewrite_in_slot_code(uint64_t ip);

}  // namespace sysgate::gate
