// A SIGSYS that no seccomp filter sent (kill, tgkill, sigqueue) arriving while
// the program blocks SIGSYS: the gate never really blocks SIGSYS (its traps
// would kill the process), so the kernel hands it over at once, and the gate
// keeps it pending as the kernel would have, until the program lets it in.
//
//   if (blocked) { keep_pending_sigsys(t, info); return; }   // at its arrival
//   ...
//   uint8_t info[128];
//   while (!blocked && take_pending_sigsys(t, info)) deliver(info);
//
// Slots (PendingSigsys, one signal each, as the kernel keeps one standard
// signal per pending set), each keyed by whom it was sent to:
//   - the thread's (GateThread::pending_sigsys, by tid): tgkill's SI_TKILL,
//     and a SI_QUEUE the process sent itself (pthread_sigqueue, most likely:
//     the siginfo does not tell it from sigqueue of its own pid);
//   - the process's (GateProcess::pending_sigsys, by pid): the others;
//   - a stranger's (GateProcess::stranger_pending_sigsys, by tid): a process
//     that shares the gate's memory but is not known to it (an unseen vfork
//     child under `sysgate run`: its thread state is its parent's), so it
//     takes neither of its parent's slots.
// A fork child's slots are not its own: the keys say so. SIG_IGN discards
// every pending one (GateProcess::sigsys_ignores counts those settings).
//
// Only inside the SIGSYS handler (every signal blocked). Freestanding.
#pragma once

#include <stdint.h>

#include "gate/arch/x86_64/kernel_abi.h"
#include "gate/thread_state.h"

namespace sysgate::gate {

// Keeps a SIGSYS for thread t; one already pending in its slot absorbs it.
void keep_pending_sigsys(GateThread* t, const arch::KernelSiginfo* info);

// Takes the calling thread's pending SIGSYS (the thread's, then the
// process's, as the kernel dequeues them) into info, a whole siginfo; false
// if there is none.
bool take_pending_sigsys(GateThread* t, uint8_t info[128]);

// Whether a SIGSYS is pending for the calling thread; if so and out is not
// null, the first 32 bytes of its siginfo (without taking it).
bool sigsys_pending(GateThread* t, uint64_t out[4] = nullptr);

// A new image's SIGSYS pending across the exec that started it (the first 32
// bytes of its siginfo, from the loader's sigsyspending= option): natively
// execve keeps pending signals. In the process's slot.
void restore_pending_sigsys(const uint64_t info[4]);

// SIG_IGN for SIGSYS: every pending one is discarded.
void discard_pending_sigsys();

// A child (fork, or an unseen fork adopted) has nothing pending, and no
// other thread holds the slots' lock.
void forget_pending_sigsys(GateThread* t);

}  // namespace sysgate::gate
