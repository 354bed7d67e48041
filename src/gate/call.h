// One trapped syscall as the handler passes it around, and the plain way of
// performing it.
//
//   Call call = {nr, {rdi, rsi, rdx, r10, r8, r9}};
//   long ret = forward(uc, call.nr, call.args);
//
// Only for use inside the SIGSYS handler (every signal blocked).
#pragma once

#include <stdint.h>

#include "gate/arch/x86_64/kernel_abi.h"
#include "gate/raw_syscall.h"
#include "gate/thread_state.h"

namespace sysgate::gate {

struct Call {
  long nr;
  uint64_t args[6];       // as the program passed them (what the trace shows)
  uint16_t record_flags;  // trace::RecordFlags for its record
  bool recorded;          // its record was already written (exit, execve)
  uint64_t ip;            // where the program resumes: after its syscall instruction (trace -i)
  // Its record, should a program signal arrive as the call returns (trace_emit.h);
  // null: not traced, or not made as it is.
  PendingCall* pending;
};

// Performs nr(args) through the gate's instruction. Calls that may block
// (syscall_classes.h) run with the program's signal mask (uc->uc_sigmask), so
// its handlers can interrupt them; the mask goes back to "all blocked" after.
// pending: the call's record (Call::pending), or null.
long forward(const arch::KernelUcontext* uc, long nr, const uint64_t args[6], PendingCall* pending = nullptr);

// A call that may block, with the program's own mask, the frame's uc_sigmask
// (raw_syscall.h, sysgate_gate_blocking_syscall_masked).
inline long blocking_syscall(const arch::KernelUcontext* uc, const uint64_t call[7]) {
  return sysgate_gate_blocking_syscall_masked(uc, call, &uc->uc_sigmask);
}

// Sets the calling thread's real signal mask (the SIGSYS handler's is "all").
void set_real_mask(uint64_t mask);

// The handler's entry (called from gate_entry.S).
extern "C" void sysgate_gate_handle_sigsys(int sig, arch::KernelSiginfo* info, arch::KernelUcontext* uc)
    __attribute__((visibility("hidden")));

}  // namespace sysgate::gate
