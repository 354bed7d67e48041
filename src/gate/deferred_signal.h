// A program signal that arrives while a trampoline runs the gate's code on the
// gate stack is delivered as the trampoline gets back to the program, with
// the program's registers in its frame, as if it had arrived right after the
// program's syscall (or right before it).
//
// Why: the handler of such a signal would otherwise run on top of gate code
// and see the gate's registers -- rip in the gate, rsp on the gate stack --
// in its frame. A handler that keeps that context to resume it later (a
// user-level thread scheduler swapping register sets in SIGALRM, review F's
// `ultsw`), or takes its own stack pointer for the thread's (Boehm GC's
// suspend handler), then resumes gate frames that other calls have reused
// since, or scans the wrong stack. Deferring leaves the handler only program
// states to see, and the kernel builds its frame, where it would natively
// (the program's stack, or its alternate stack), with the program's FPU
// state.
//
// How:
//   - The signal wrapper (sysgate_gate_signal_entry) first asks
//     sysgate_gate_signal_defer. For a signal that came in a trampoline's code
//     or the C++ path it calls, on the gate stack, but not at the program's
//     call itself (a handler there runs moved to the program's stack:
//     moved_handler.h), it queues the same siginfo again on its thread
//     (rt_tgsigqueueinfo), blocks the signal in the frame the kernel returns
//     to, records it in GateThread::deferred, and goes back into the gate.
//   - The trampolines check GateThread::deferred before the program's call is
//     made (a call made with the signal blocked could wait for nothing) and as
//     they get back to the program (trampoline.S, sysgate_gate_program_syscall).
//     A signal that arrives between a check and what it guards (the syscall,
//     or the switch back to the program's stack) is rewound to the check, so
//     no check is ever passed with a signal deferred.
//   - Delivery (sysgate_gate_deliver_deferred): every signal blocked, a
//     signal frame on the gate stack with the program's registers -- after
//     its syscall with the call's result, or at it with the number for a call
//     not made -- its FPU state (xsave) and its mask, the deferred signals
//     open; rt_sigreturn into it. The kernel restores the program and delivers
//     the queued signals there at once, as for any signal.
//   - The trap path (every signal blocked but around its blocking call) also
//     gives deferred signals back: its frame's mask opens them when the SIGSYS
//     handler returns (deferred_to_frame). Every frame the kernel makes
//     meanwhile -- a program signal's, a trap's -- gets them opened in the
//     mask it restores (deferred_out_of_frame): blocked there, they would
//     stay blocked after their delivery.
//
// Only with a policy that lets the gate queue a signal with its siginfo
// (tracing: RegionHeader::raise_again is kRaiseBySigqueue; `sysgate run`:
// --gate requeue=1, where only a signal that ended a blocking call of the
// trap path is deferred), without hooks, not for SA_RESETHAND handlers (the
// kernel reset the action as it entered the wrapper: a second delivery would
// not reach the handler), and not for real-time signals (queued again, one
// goes behind later ones of its number) but one that ended a trapped call
// under `run` with none of its number pending (glibc's SIGCANCEL).
// Otherwise, and for faults in the gate itself, the handler runs where the
// signal found the gate, as before. A standard signal already pending again
// when it is queued is merged with it, as the kernel merges standard signals.
#pragma once

#include <stdint.h>

#include "gate/arch/x86_64/kernel_abi.h"
#include "gate/thread_state.h"

namespace sysgate::gate {

// What sysgate_gate_program_syscall returns for a call it did not make: no
// syscall returns it (a negative errno is at least -4095; no address or
// offset reaches the sign bit).
inline constexpr uint64_t kCallNotMade = uint64_t{1} << 63;

// A signal frame at uc made while signals were deferred: they are the gate's
// to block, not the program's -- open in the mask the frame restores (every
// frame a program signal or a trap makes, as the gate first sees it).
void deferred_out_of_frame(const GateThread* t, arch::KernelUcontext* uc);

// The SIGSYS handler's frame at uc returns to the program: signals deferred
// while the gate worked (or before a trapped call) are opened in its mask,
// and the kernel delivers them there; none is deferred any more.
void deferred_to_frame(GateThread* t, arch::KernelUcontext* uc);

}  // namespace sysgate::gate

extern "C" {
// The signal wrapper's first step: defers sig (its siginfo at info, its frame
// at uc) and returns the frame to rt_sigreturn into (its return address), or
// returns 0 for the wrapper to go on.
uint64_t sysgate_gate_signal_defer(int sig, const uint8_t* info, sysgate::gate::arch::KernelUcontext* uc)
    __attribute__((visibility("hidden")));

// Delivers the deferred signals at the program state regs (r8 .. eflags, as
// in a KernelSigcontext); before: the call is still to be made (rip is the
// address after the site's syscall, rax the number). Never returns.
[[noreturn]] void sysgate_gate_deliver_deferred(uint64_t* regs, uint64_t before)
    __attribute__((visibility("hidden")));

long sysgate_gate_program_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
    __attribute__((visibility("hidden")));
}
