// Under `sysgate trace`, a seccomp filter of the program's own that answers a
// call with SECCOMP_RET_TRAP for its SIGSYS handler to emulate (the pattern of
// a browser's sandbox, when its filter does not look at the instruction
// pointer).
//
//   long forward(...) {                       // handler.cc
//     if (program_filters_may_trap()) { ProgramTrapWindow open(t); ...mask without SIGSYS... }
//   }
//   ... a SIGSYS with data not the gate's (gate_trap.h):
//     if (program_trap_at_gate(t, info, uc)) return;   // in a call the gate makes
//     deliver_foreign_sigsys(info, uc);           // anywhere else
//   ... after the call's record:
//     deliver_program_trap(t, call, uc);
//
// Why: Syscall User Dispatch sends every call of the program to the gate,
// which makes it again from its own instruction. The program's filter traps
// it there, with SIGSYS blocked in the gate's handler, and the kernel kills
// the process (reproduced with tests/integration/programs/trapping_filter.c).
// So once the program has a filter of its own (it installed one through the
// gate, program_filters.h, or an earlier image did), the gate makes its calls
// with SIGSYS open. A trap of one of them is kept in the thread's state, and
// once the call's line is written -- with the value the kernel leaves, the
// call's number, as strace shows it -- the program's handler runs with the
// kernel's siginfo as it would have been natively (si_call_addr: the
// program's call) and the program's own registers, which it may change (its
// emulated result).
//
// The price, only for such programs: two rt_sigprocmask calls around each
// call the gate makes for them. Not covered: a filter that lets its own
// escape-hatch address through (Chromium's) still traps the gate's repeat
// there, and the emulation's call from that address is then refused by its
// own filter (docs/gate.md, "Known gaps").
// Freestanding.
#pragma once

#include <stdint.h>

#include "gate/arch/x86_64/kernel_abi.h"
#include "gate/call.h"
#include "gate/thread_state.h"

namespace sysgate::gate {

// Whether a seccomp SIGSYS is one of the gate's filters' traps (gate_trap.h):
// their data, and a call made outside the gate's code (they trap only
// those; one made inside it with that data is a program filter's that
// happens to use it).
bool is_gate_trap(const arch::KernelSiginfo* info);

// Whether the calls the gate makes for the program must let SIGSYS in.
bool program_filters_may_trap();

// The program installed a filter, or this image started with one (the
// loader's progfilters=1, which exec_via_loader.cc passes on).
void note_program_filters();

// Around one call the gate makes for the program (t->forwarding).
class ProgramTrapWindow {
 public:
  explicit ProgramTrapWindow(GateThread* t);
  ~ProgramTrapWindow();
  ProgramTrapWindow(const ProgramTrapWindow&) = delete;
  ProgramTrapWindow& operator=(const ProgramTrapWindow&) = delete;

 private:
  GateThread* t_;
  uint32_t outer_;
};

// A SIGSYS from seccomp with the program's data, at the gate's code: the
// program's filter trapped a call the gate was making for thread t. Returns
// false if it was not at the gate's code (the program's own call: deliver it
// as any other). Inside a ProgramTrapWindow it is kept for
// deliver_program_trap. One that trapped a call a trampoline was making
// (rewrite.h) is delivered at once, in the trampoline's context (the call's
// registers; the program's handler sets its result there), its si_call_addr
// the program's call site (t->call_ip); the call's line then follows the
// signal's, with the handler's result. One caught while a handler of the
// program runs for another such trap ends the process with a message: the
// filter lets the handler's own call through only from the handler's address
// (Chromium's escape hatch), which the gate's repeat never has, and each
// delivery would recurse until the gate's stack ran out.
bool program_trap_at_gate(GateThread* t, arch::KernelSiginfo* info, arch::KernelUcontext* uc);

// After the call's record: the kept trap, if any, delivered to the program's
// SIGSYS action with its own context uc.
void deliver_program_trap(GateThread* t, const Call& call, arch::KernelUcontext* uc);

}  // namespace sysgate::gate
