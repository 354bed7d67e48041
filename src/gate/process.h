// Threads and processes: the calls whose effect on the caller the gate has to
// arrange itself, because it performs them inside a signal handler.
//
//   clone without CLONE_VM (fork)   performed as is; the child returns through
//                                   its own copy of the signal frame and only
//                                   renames itself (tid, pid, no ring yet)
//   ... with a new stack            the kernel switches the child's rsp at once,
//                                   so it cannot return through the handler: it
//                                   starts like a CLONE_VM child, from a block on
//                                   its copy of the parent's gate stack
//   clone with CLONE_VM             (threads, vfork, posix_spawn) the child must
//                                   not return through the parent's frame, nor
//                                   run on the parent's gate stack (a vfork child
//                                   shares it): it gets a fresh gate stack, starts
//                                   in sysgate_gate_clone_child, registers that
//                                   stack, restores the program's mask and jumps
//                                   to the program with its registers, rax = 0
//                                   and rsp = the requested stack (or the
//                                   parent's rsp when none: vfork). A vfork
//                                   child's gate stack is unmapped by the parent
//                                   when the call returns (the child has exec'd
//                                   or exited by then).
//   vfork                           clone(CLONE_VM | CLONE_VFORK | SIGCHLD)
//   clone3                          -ENOSYS (its flags are in memory the filter
//                                   cannot see; libc falls back to clone)
//   exit                            record, give the ring up, unmap the thread's
//                                   gate stack and exit, off any stack
//   exit_group                      record, give the ring up, exit
//   execve, execveat                record (kRecordSyscallEnter), give the ring up,
//                                   restore the program's mask (the new image
//                                   inherits it), exec; if it fails, block again
//                                   and take the ring back
// See docs/gate.md for why vfork keeps its CLONE_VM semantics.
#pragma once

#include "gate/call.h"

namespace sysgate::gate {

// The forked child (ret 0) writes no record of its own for the call: like
// strace -f, the trace shows the parent's call and result only.
long do_clone(GateThread* t, arch::KernelUcontext* uc, Call& call, uint64_t flags, uint64_t stack, uint64_t ptid,
              uint64_t ctid, uint64_t tls);
long do_fork(GateThread* t, Call& call);
[[noreturn]] void do_exit(GateThread* t, Call& call);
long do_execve(GateThread* t, const arch::KernelUcontext* uc, Call& call);

// A fork the gate did not make (`sysgate run` traps no fork): the child runs
// with a copy of its parent's thread state, its GS base still leading there,
// and must make that copy its own -- its tid and pid, no signal pending -- or
// it would take itself for a vfork child sharing its parent's memory (whose
// SIGSYS actions are not the program's). Told apart by a page advised
// MADV_WIPEONFORK: a fork child's copy of it reads zero; a CLONE_VM child
// shares it, unchanged.
//
//   fork_marker_install();              // gate_install, once per image
//   adopt_unseen_fork();                // first thing in the SIGSYS handler
//
// Without the page (mmap or madvise refused) children stay as before. Like
// the gate's other memory it is the program's to harm: unmapped, the next
// trap faults in the gate; zeroed, the gate forgets pending signals and
// takes the locks for free (not sealed: the policy filter would have to let
// every mseal through, and sealing protects the program only from itself).
void fork_marker_install();
void adopt_unseen_fork();

}  // namespace sysgate::gate
