// The interposer's hook table as the handler sees it (the public side is
// include/sysgate/interposer.h, implemented in interposer.cc).
//
//   long ret = hooked_forward(uc, call);   // in dispatch, for ordinary calls
//
// Only for use inside the SIGSYS handler.
#pragma once

#include "gate/call.h"

namespace sysgate::gate {

// True once interposer_start() armed the gate in this process.
bool interposer_started();

// Runs the number's before-hook (which may answer instead of the kernel), the
// call through forward(), then its after-hook. Without hooks: forward().
long hooked_forward(const arch::KernelUcontext* uc, const Call& call);

}  // namespace sysgate::gate
