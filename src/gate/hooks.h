// The interposer's hook table as the handler sees it (the public side is
// include/sysgate/interposer.h, implemented in interposer.cc).
//
//   long ret = hooked_forward(uc, call);   // in dispatch, for ordinary calls
//   long ret = hooked_call(nr, args);      // from a rewritten site's trampoline
#pragma once

#include "gate/call.h"

namespace sysgate::gate {

// True once interposer_start() armed the gate in this process.
bool interposer_started();

// Runs the number's before-hook (which may answer instead of the kernel), the
// call through forward(), then its after-hook. Without hooks: forward().
long hooked_forward(const arch::KernelUcontext* uc, const Call& call);

// The same for a call through a rewritten site (rewrite.cc's trampoline path),
// which already runs with the program's signal mask: the call is made directly.
// A before-hook's changes to the arguments are written back into args.
long hooked_call(long nr, uint64_t args[6]);

}  // namespace sysgate::gate
