// What the gate needs to know about a syscall number: which arguments carry
// bytes for the trace, and whether the call can block until a signal arrives.
//
//   if (may_block(nr, args)) { run it with the program's signal mask }
//   uint32_t kind = arg_payload_kind(nr, 1);   // trace::PayloadKind or 0
//
// The payload table is generated at build time from src/syscalls/signatures.txt
// (gen_gate_table.py); the blocking list is written by hand in syscall_classes.cc.
// Pure lookups: thread-safe, async-signal-safe.
#pragma once

#include <stdint.h>

namespace sysgate::gate {

// trace::PayloadKind of argument i of syscall nr, 0 for none (or unknown nr).
uint32_t arg_payload_kind(long nr, int i);
// False when no argument of nr carries bytes (arg_payload_kind is 0 for all six):
// the record writer then skips planning payloads.
bool has_arg_payloads(long nr);
// For data kinds: index of the argument holding the buffer's length, -1 if none.
int arg_length_index(long nr, int i);
// True if nr has a signature in the table.
bool syscall_known(long nr);

// True if the call can sleep until a signal interrupts it (reads from pipes,
// waits, sleeps, locks...). The gate runs such calls with the program's signal
// mask, so the program's handlers run and EINTR/SA_RESTART behave as without the
// gate; everything else runs with all signals blocked (they are delivered right
// after, when the handler returns). Unknown numbers count as blocking.
bool may_block(long nr, const uint64_t args[6]);

// True if a handler interrupts the call with EINTR even when it was installed
// with SA_RESTART (signal(7): poll, select, epoll_wait, sleeps, sigtimedwait,
// timed futex waits, System V and POSIX message queues...), or if the call
// sets a temporary mask of its own (ppoll, pselect6, epoll_pwait(2),
// rt_sigsuspend). While tracing, a signal the program leaves at a default
// that ignores it (SIGCHLD...) has the gate's observer as its action, which
// must not interrupt these calls: the gate blocks it around them (signals.h,
// quiet_signals_during).
bool interrupted_despite_restart(long nr, const uint64_t args[6]);

// Calls at whose return a program signal can be expected: those that raise
// one for the calling thread (kill, tkill, tgkill, rt_(tg)sigqueueinfo) and
// those that may block (a signal interrupts them). A traced call of this
// class registers its record with the signal wrapper (trace_emit.h,
// PendingCall), which costs ~20 ns, so not every call does.
bool signal_prone(long nr, const uint64_t args[6]);
// Whether signal_prone(nr, args) holds for some arguments: a table of these,
// made once, spares every other call the lookups (rewrite.cc).
bool signal_prone_for_some_args(long nr);

}  // namespace sysgate::gate
