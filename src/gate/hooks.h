// The interposer's hook table as the handler sees it (the public side is
// include/sysgate/interposer.h, implemented in interposer.cc).
//
//   long ret = hooked_forward(uc, call);   // in dispatch, for ordinary calls
//   long ret = hooked_call(nr, args);      // from a rewritten site's trampoline
#pragma once

#include "gate/call.h"
#include "gate/redirect_filter.h"

namespace sysgate::gate {

// True once interposer_start() armed the gate in this process.
bool interposer_started();

// Hooks registered (by the program, or a hook library's init): at least one.
bool hooks_registered();
// The numbers a redirect filter must trap when hooks run: kGateTrappedNumbers
// (without readlink and readlinkat unless with_exe_link: only a gate started
// by the loader answers /proc/self/exe), then the hooked ones. Returns how many.
int trapped_numbers(long out[kMaxListedNumbers], bool with_exe_link);
// Readies the hooks' trampoline path (the vector state they may clobber can be
// saved); false when it cannot be (no XSAVE): then hooks run on the trap path only.
bool hooks_prepare();

// Runs the number's before-hook (which may answer instead of the kernel), the
// call through forward(), then its after-hook. Without hooks: forward().
long hooked_forward(const arch::KernelUcontext* uc, const Call& call);

// The same for a call through a rewritten site (rewrite.cc's trampoline path),
// which already runs with the program's signal mask: the call is made directly.
// A before-hook's changes to the arguments are written back into args.
long hooked_call(long nr, uint64_t args[6]);

}  // namespace sysgate::gate
