// A program signal handler whose signal arrived while the gate was making a
// call for the program runs on the program's stack, as it would natively.
//
// The gate makes a traced call on the gate stack (a trampoline switched
// there, or the SIGSYS handler runs on it), so the kernel puts the frame of a
// handler without SA_ONSTACK that interrupts it there, where natively it goes
// below the interrupted thread's stack pointer. Programs count on that: Boehm
// GC's suspend handler takes its own stack pointer for the top of the thread's
// stack and scans up from it; a handler may need more than the gate stack's
// room. So the signal wrapper (sysgate_gate_signal_entry, tracing) moves the
// frame -- siginfo, ucontext, FPU state -- below the program's red zone, with
// the program's callee-saved registers in a block above it (a conservative
// collector scanning the stack finds the pointers they hold), and enters the
// handler there.
//
// While the moved handler runs, the gate frames it interrupted stay suspended
// at the top of the gate stack; a call the handler makes must not land on
// them. A level per moved handler (GateThread::moved) lowers the top the
// trampolines switch to (trampoline.S) and the registered alternate stack (the
// kernel puts a SIGSYS frame at the top of an alternate stack it is not on).
// The moved frame returns to the program's own restorer; its rt_sigreturn,
// which traps under `trace`, drops the level and puts the alternate stack back. A
// handler that leaves by siglongjmp leaves its level: the next call the gate
// makes from above it, on the stack it ran on, drops it (the program is above
// the handler's frame, so the handler is gone), and the next trapped call
// puts the alternate stack back (thread_sync_altstack follows the levels). A
// call from above it on another stack -- a coroutine's the handler switched
// to -- keeps it: the thread's stack ends at GateThread::program_stack_top.
//
//   ProgramPlaceScope place(t, program_sp, callee_saved);   // around a call the gate makes
//
// (trampoline.S's fast path, for calls it makes untraced, builds the same
// ProgramPlace on the gate stack, with the callee-saved registers left live.)
//
// Not moved (the handler runs on the gate stack, as before): SA_ONSTACK
// handlers, a thread whose registered alternate stack is not the gate stack
// (the program's own is installed), a signal that arrives while no call's
// place is known, more than four levels. (Under `trace` a signal that comes
// in a trampoline anywhere but at the program's syscall is deferred to the
// trampoline's way back to the program instead: deferred_signal.h.)
//
// Where the program's rt_sigreturn traps (Syscall User Dispatch: `trace`),
// the moved frame shows the program's registers at its call -- the address
// after its syscall instruction, its rsp and callee-saved registers --
// rather than the gate's, so that an unwinder started in the handler
// (pthread_cancel's forced unwind, a profiler's backtrace) walks the
// program's frames, as natively, instead of stopping at the gate's code,
// which no unwind table describes. The gate's own registers are kept below
// the suspended frames and put back into the frame at its rt_sigreturn, if
// the handler left rip and rsp as shown (one that changed them goes where it
// said, leaving the gate's call behind as a siglongjmp would).
//
// The moved handler is entered by an rt_sigreturn into a frame that says so
// (sysgate_gate_launch_handler): its mask takes effect as it starts, so a
// signal that came while every signal was blocked for the move is delivered
// on top of it, on the program's stack, as the kernel would have.
//
// Under `sysgate run` the program's rt_sigreturn is not trapped: a moved
// handler's level is dropped when the next trap or signal finds the
// alternate stack that rt_sigreturn put back (moved_levels_follow_altstack),
// or the program calling from above it (a siglongjmp).
#pragma once

#include <stdint.h>

#include "gate/arch/x86_64/kernel_abi.h"
#include "gate/thread_state.h"

namespace sysgate::gate {

// Sets t->program_place for the duration of a call the gate makes for the
// program. callee_saved: the program's rbx, rbp, r12, r13, r14, r15, a word
// not read, and its rflags;
// program_ip: the address after its syscall instruction.
class ProgramPlaceScope {
 public:
  ProgramPlaceScope(GateThread* t, uint64_t program_sp, const uint64_t* callee_saved, uint64_t program_ip);
  ~ProgramPlaceScope();
  ProgramPlaceScope(const ProgramPlaceScope&) = delete;
  ProgramPlaceScope& operator=(const ProgramPlaceScope&) = delete;

 private:
  GateThread* t_;
  ProgramPlace place_;
};

// Where a signal that interrupted the gate at mc (rsp on the gate stack)
// found the call the gate makes for the program: at its syscall instruction,
// not made yet or to be restarted (kBefore: rax is the number), right after
// it (kAfter: rax is the result), in the trap path's blocking stub between
// setting the program's mask and the call (kBeforeInStub: the number and
// arguments are in the stub's call[] at r12), or elsewhere -- in the gate's
// own work, or at a syscall of the gate's own. The program's calls are the
// ones made from the trampolines' fast path, sysgate_gate_program_syscall and
// the trap path's blocking stub, told by the return address at rsp.
enum class CallPoint { kElsewhere, kBefore, kBeforeInStub, kAfter };
CallPoint call_point(const arch::KernelSigcontext& mc);

// Whether the signal wrapper would leave sig's handler where the kernel put
// it, whatever the call: an SA_ONSTACK handler, a thread whose registered
// alternate stack is the program's own, four levels already held.
bool handler_stays_put(const GateThread* t, int sig, const arch::KernelUcontext* uc);

// The program's rt_sigreturn (trapped: handler.cc) of the frame at frame
// (its return address): a moved handler's drops its level, and gets back the
// gate's registers where it showed the program's, unless the handler changed
// where it returns to.
void moved_frame_returns(GateThread* t, uint64_t frame);

// Drops the levels of moved handlers that returned without the gate seeing
// their rt_sigreturn (`sysgate run` does not trap it): that rt_sigreturn put
// back the alternate stack registered when their signal came (the frame's
// uc_stack), larger than the one their level registered. registered: the
// alternate stack a signal frame the kernel just wrote records.
void moved_levels_follow_altstack(GateThread* t, const arch::KernelStack& registered);

}  // namespace sysgate::gate

extern "C" {
// The signal wrapper, before it enters the program's handler for sig: moves
// the frame at frame (its return address; uc inside it) and enters handler
// there, not returning; else returns 0 and the wrapper enters it in place.
// Signals are as the kernel set them for the handler. The moved handler is
// entered by an rt_sigreturn into a frame that says so: the handler's mask
// takes effect at the moment it starts, so a signal pending meanwhile (every
// one is blocked while the frame moves) is delivered on top of it, where the
// kernel would have put it, and no signal finds the wrapper between the two.
uint64_t sysgate_gate_move_handler_frame(uint64_t frame, sysgate::gate::arch::KernelUcontext* uc, int sig,
                                         uint64_t handler) __attribute__((visibility("hidden")));

// rt_sigreturn with the frame at frame (its return address): gate_entry.S.
[[noreturn]] void sysgate_gate_launch_handler(uint64_t frame) __attribute__((visibility("hidden")));
}
