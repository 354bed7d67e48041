// The kernel's restart code behind an EINTR, for strace's "= ? ERESTARTSYS".
//
// A call a signal interrupts returns one of the kernel's internal codes --
// ERESTARTSYS, ERESTARTNOHAND, ERESTART_RESTARTBLOCK -- which becomes EINTR
// (or a restart) only as the signal is delivered. strace stops the call
// before that and prints the internal code; the gate sees what the program
// got. When a handled signal's delivery interrupted the call
// (kRecordInterrupted, written by the signal wrapper) and the program got
// EINTR, the code is the one the kernel returns for that call, by the call
// and its arguments, as fs/, kernel/ and net/ return them. A call not known
// here keeps its EINTR (epoll_wait, rt_sigtimedwait and semop return EINTR
// itself). A call the kernel restarted after the handler is recorded by the
// gate with -ERESTARTSYS already.
#pragma once

#include "trace/record.h"

namespace sysgate::trace {

// The result strace would print for r: r.ret, or -ERESTART* for an
// interrupted call as above.
int64_t shown_result(const Record& r);

}  // namespace sysgate::trace
