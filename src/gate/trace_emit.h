// Turning a syscall the gate handled into a trace record.
//
//   trace_syscall(t, trace::kRecordSyscall, 0, nr, args, ret);   // after the call
//   trace_syscall(t, trace::kRecordSyscallEnter, 0, nr, args, 0); // before execve
//
// Copies, at the time of the call, the bytes the monitor needs to print the call
// later (paths, strings, the first max_data bytes of data buffers), so what it
// prints is what the kernel saw even if the memory changes afterwards:
//
//   path / string argument   up to max_path / max_data bytes, NUL not included,
//                            truncated flag when no NUL within the bound
//   data the kernel read     write, pwrite64, sendto, setxattr...: min(len, max_data)
//   data the kernel wrote    read, pread64, recvfrom, getrandom...: min(ret, len, max_data),
//                            only when ret > 0
//
// What the kernel itself just read or wrote is copied without asking; anything
// else is probed first (app_memory.h), so an argument the program got wrong
// yields a record without that payload (kRecordPayloadSkipped), never a fault.
//
// Claims the thread's ring on first use. A no-op when tracing is off. Waits
// while the ring is full (never drops a record while the reader is attached).
// Runs inside the SIGSYS handler with every signal blocked, or in a trampoline
// (rewrite.h) with the program's mask: re-entrant through t->record_depth.
#pragma once

#include <stdint.h>

#include "gate/arch/x86_64/kernel_abi.h"
#include "gate/call_snapshot.h"
#include "gate/thread_state.h"
#include "trace/ring_format.h"

namespace sysgate::gate {

// ip: where the program resumes after the call, or where a signal interrupted
// it; recorded when RegionHeader::record_ip asks (trace -i), 0 for none.
// before: call_before's value from before the call (call_before.h), or 0;
// snapshot: call_snapshot's copies from before the call (call_snapshot.h), or null.
void trace_syscall(GateThread* t, uint16_t kind, uint16_t flags, long nr, const uint64_t args[6], long ret,
                   uint64_t enter_tsc = 0, uint64_t ip = 0, uint64_t before = 0,
                   const CallSnapshot* snapshot = nullptr);

// A call that may block, made while tracing: the thread's ring says it waits
// there until open_call_end (ring_open_call), so that if exit_group or a
// signal ends the thread in it the monitor can show it, as strace does
// ("= ?"). Only in a ring the thread already owns: claiming one here would
// take rings from threads that record (-e trace=SET) and could wait for one
// before a call the program needs to make.
struct OpenCallMark {
  trace::RingControl* control;  // the ring marked; null: none
};
void open_call_begin(GateThread* t, long nr, const uint64_t args[6], OpenCallMark* mark);
// Unless the thread's ring changed meanwhile (a fork child's is reset).
void open_call_end(GateThread* t, const OpenCallMark& mark);

// A traced call a trampoline makes (rewrite.cc, sysgate_tramp_traced), its
// record not yet written: normally written when the call returns; but a
// program signal can arrive at that very return (kill(getpid(), SIGUSR1), an
// alarm, a read interrupted with EINTR), and its wrapper runs before the
// gate's next instruction. strace shows the call, then the signal: so the
// wrapper writes the call's record first (trace_pending_call), with the
// result the kernel left in rax, and the trampoline then writes none.
struct PendingCall {
  long nr;
  const uint64_t* args;
  uint64_t enter_tsc, ip, before;
  const CallSnapshot* snapshot;
  GateThread* thread;  // the thread making it
  uint16_t flags;
  // Made by sysgate_gate_blocking_syscall (the trap path): its first
  // syscall, which sets the program's mask, can return to a pending signal
  // too; only the return from the program's call counts.
  uint16_t via_stub;
  volatile uint32_t recorded;

  // Field by field: an aggregate initialisation compiles to a `rep stos` of
  // the whole struct first, which costs tens of cycles to start on AMD
  // without ERMS, on every traced call.
  void set(GateThread* t, uint16_t record_flags, long number, const uint64_t* arguments, uint64_t tsc,
           uint64_t resume_ip, uint64_t before_value, const CallSnapshot* copies, uint16_t stub) {
    nr = number;
    args = arguments;
    enter_tsc = tsc;
    ip = resume_ip;
    before = before_value;
    snapshot = copies;
    thread = t;
    flags = record_flags;
    via_stub = stub;
    recorded = 0;
  }
};

// trace -k: a call's scope sets t->call_registers (where its stack starts);
// this puts the outer call's back when the scope ends (a program handler
// running inside the gate may make calls of its own).
struct CallRegistersRestore {
  GateThread* thread;
  const CallRegisters* outer;
  ~CallRegistersRestore() { thread->call_registers = outer; }
};

// trace -k: fills r from a kernel signal context (the trap's, or a signal's)
// and makes it t's call registers, above the call t is in (if any).
void set_call_registers(GateThread* t, CallRegisters* r, const arch::KernelUcontext* uc, uint64_t rip);

// From the signal wrapper, context the kernel's ucontext: writes t's pending
// call's record if the signal interrupted it just as it returned.
void trace_pending_call(GateThread* t, const void* context);

// For trace -T (TraceRegion::time_calls): the TSC now, to pass as the record's
// enter_tsc once the call returned; 0 when not timing calls or the program
// turned rdtsc off.
uint64_t call_enter_tsc(const GateThread* t);

// Gives up every ring t holds (exit, execve); see ring_release. With trace
// -k, first waits until the reader took its records (trace_emit.cc).
void trace_release_rings(GateThread* t);

// Waits until the monitor has read every record t wrote (its rings, nested
// ones too): before a signal ends t's process, so that the monitor has seen
// the process, and holds a pidfd that tells how it died (process_deaths.h),
// before its parent can reap it. Returns at once when tracing is off or the
// monitor detached.
void trace_wait_read(GateThread* t);

// A kRecordImageStarted record: the loader armed the gate in a new image (gate.h,
// kGateNewImage), made by the exec of thread exec_tid (0: unknown), in
// args[0]. Under trace -b execve the image's one record.
void trace_image_started(GateThread* t, int32_t exec_tid);

// Makes sure t owns a ring (claims one if needed). False if tracing is off or
// the reader detached.
bool trace_ring_ready(GateThread* t);

}  // namespace sysgate::gate
