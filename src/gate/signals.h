// Signal virtualisation: SIGSYS belongs to the gate, and the program must not be
// able to take it away by accident (the kernel turns a seccomp trap with SIGSYS
// blocked into a kill, and a SIGSYS handler of the program's would replace ours).
//
//   rt_sigaction(SIGSYS)     the program's action is remembered and returned,
//                            never installed
//   rt_sigaction(other)      SIGSYS is removed from sa_mask before the kernel sees
//                            it (a handler blocking every signal would otherwise
//                            get the process killed by its first syscall) and put
//                            back when the program reads the action; while
//                            tracing, a handler is installed behind the gate's
//                            wrapper (sysgate_gate_signal_entry), which records
//                            each delivery and jumps to it with the kernel's
//                            registers and frame untouched; the program reads
//                            back its own handler and flags; a SIG_DFL action
//                            whose default ends the process is the gate's
//                            observer, which records the delivery and then
//                            makes the default real
//   rt_sigprocmask           applied to the frame's saved mask (uc_sigmask), which
//                            sigreturn installs; SIGSYS is never really blocked,
//                            a per-thread bit remembers that the program blocked it
//                            and the old set it reads back says so
//   rt_sigpending            reports only signals the program blocks (in the
//                            handler every signal is blocked), and a SIGSYS
//                            kept pending while the program blocks it
//   sigaltstack              the program's alternate stack is remembered and
//                            reported, and registered for real as the call returns
//                            (thread_sync_altstack: through the frame's uc_stack),
//                            so its SA_ONSTACK handlers run on it as natively; the
//                            gate stack is registered while it has none
//   rt_sigsuspend, ppoll, pselect6, epoll_pwait, epoll_pwait2
//                            forwarded with a copy of the temporary mask without SIGSYS
//
// rt_sigreturn is never trapped by a filter (they allow it from everywhere);
// under Syscall User Dispatch it is, and the handler performs it
// (handler.cc, emulate_rt_sigreturn).
// All functions run inside the SIGSYS handler, with every signal blocked; the
// program's memory is probed before use (app_memory.h), so a bad pointer gives
// EFAULT as it would without the gate.
#pragma once

#include "gate/call.h"
#include "gate/syscall_classes.h"
#include "gate/thread_state.h"

extern "C" {
// gate_entry.S: the handler the kernel enters for a wrapped program handler.
void sysgate_gate_signal_entry(int sig, void* info, void* uc) __attribute__((visibility("hidden")));
// signals.cc: the handler the kernel enters, while tracing, for a signal whose
// program action is SIG_DFL and whose default ends the process.
void sysgate_gate_default_signal(int sig, sysgate::gate::arch::KernelSiginfo* info,
                                 sysgate::gate::arch::KernelUcontext* uc) __attribute__((visibility("hidden")));
}

namespace sysgate::gate {

long emulate_rt_sigaction(GateThread* t, Call& call);
long emulate_rt_sigprocmask(GateThread* t, arch::KernelUcontext* uc, Call& call);
long emulate_rt_sigpending(GateThread* t, const arch::KernelUcontext* uc, Call& call);
long emulate_sigaltstack(GateThread* t, const arch::KernelUcontext* uc, Call& call);
// rt_sigsuspend, ppoll, pselect6, epoll_pwait, epoll_pwait2. With a mask that
// lets a pending SIGSYS through: -EINTR at once, the SIGSYS delivered after
// the call's record (deliver_pending_sigsys).
long forward_without_sigsys_in_mask(GateThread* t, const arch::KernelUcontext* uc, Call& call);

// A SIGSYS that no seccomp filter sent (kill, tgkill, sigqueue from the program
// or another process): delivered as the program's virtual SIGSYS action says --
// ignored, its handler called (with the program's mask plus the action's, on
// the gate stack), or, for SIG_DFL, the default action made real and the
// signal raised again, so the process ends by SIGSYS as it would natively.
// While the thread blocks SIGSYS it is kept pending instead (thread_state.h,
// PendingSigsys): rt_sigpending shows it, SIG_IGN discards it.
void deliver_foreign_sigsys(arch::KernelSiginfo* info, arch::KernelUcontext* uc);

// rt_sigtimedwait: a SIGSYS pending in the gate is taken when the set names
// it (after a lower-numbered synchronous signal -- SIGILL, SIGTRAP, SIGBUS,
// SIGFPE, SIGSEGV -- the kernel has pending for the call, as it orders
// them); else forwarded.
long emulate_rt_sigtimedwait(GateThread* t, const arch::KernelUcontext* uc, Call& call);

// At the end of every trapped call of thread t, after its record: a SIGSYS kept
// pending is delivered, as deliver_foreign_sigsys would have, once the thread
// no longer blocks SIGSYS (rt_sigprocmask unblocked it, or another thread
// takes its process's), or when a temporary mask let it through.
void deliver_pending_sigsys(GateThread* t, arch::KernelUcontext* uc);

// At install, while tracing: the observer in place of every SIG_DFL action
// whose default ends the process (when the policy lets the gate raise a signal
// again: tgkill of its own thread) or ignores the signal (SIGCHLD, SIGURG,
// SIGWINCH, SIGCONT). Not for use in the handler.
void observe_default_actions();

// The signals to block while the gate makes call nr for the program: those
// whose kernel action is the observer of a default that ignores them, if a
// handler would interrupt the call with EINTR despite SA_RESTART
// (syscall_classes.h, interrupted_despite_restart); else 0. Natively such a
// signal is discarded and the call goes on; blocked, it stays pending and the
// observer shows it as the call returns, as strace shows it there.
inline uint64_t quiet_signals_during(long nr, const uint64_t args[6]) {
  const uint64_t quiet = __atomic_load_n(&g_gate.quiet_observed, __ATOMIC_ACQUIRE);
  return quiet != 0 && interrupted_despite_restart(nr, args) ? quiet : 0;
}

// At install: removes SIGSYS from the sa_mask of every handler already
// installed (remembering which had it). Not for use in the handler.
void strip_sigsys_from_installed_handlers();

// The SIGSYS action thread t's process believes it has is SIG_IGN (which
// execve keeps): the program's virtual one, or a posix_spawn or vfork child's own.
bool program_sigsys_ignored(const GateThread* t);

}  // namespace sysgate::gate
