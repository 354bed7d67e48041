// What the site rewriter did (rewrite.h), for tests and diagnostics. Includes
// no kernel headers, so hosted code (tests, benchmarks) can use it next to libc.
//
//   sysgate::gate::RewriteStats s;
//   sysgate::gate::rewrite_stats(&s);   // s.sites_rewritten, s.refused[kRefuseDecode] ...
#pragma once

#include <stdint.h>

namespace sysgate::gate {

enum RewriteRefusal : uint32_t {
  kRefuseShape = 0,     // not `mov $nr,%eax; syscall` with nr == the trapped number
  kRefuseNumber,        // a call the gate must see on the trap path (clone, signals, exit, exec...)
  kRefuseNoFunction,    // no loaded object / R-X segment / .eh_frame_hdr function contains it
  kRefuseSegment,       // the segment is not exactly R-X
  kRefuseDecode,        // the decoder gave up in the function, or did not land on the mov
  kRefuseBranchTarget,  // a direct branch targets the middle of the mov
  kRefuseNoSlot,        // no trampoline block within +-2 GiB could be mapped, or slots exhausted
  kRefusePatch,         // the site's pages could not be replaced (e.g. pages of two mappings)
  kRefuseDisabled,      // rewriting was disabled (a refused mmap/mprotect/arch_prctl)
  kRefuseCount
};

struct RewriteStats {
  uint32_t enabled;        // 1 while rewriting is on
  uint32_t fallback;       // 1 once every trampoline sends calls to the trap path (GS taken)
  int32_t disabled_error;  // -errno of the call that disabled rewriting (0: none)
  uint32_t blocks;         // trampoline blocks mapped
  uint64_t sites_rewritten;
  uint64_t sites_swept;  // of sites_rewritten: rewritten before their first call (kGateSweepPages)
  uint64_t refused[kRefuseCount];  // sites (each counted once) left on the trap path, by reason
  // How patches were written (code_alias.h): code pages replaced by a patched
  // copy from the gate's memfd, and patches stored through a page's view.
  uint64_t pages_replaced;
  uint64_t patches_stored;
  int32_t alias_error;  // -errno that made the gate patch by mremap instead (0: none)
  uint32_t sole_thread;  // 1 while patches may be stores: one thread, and every clone seen
};

void rewrite_stats(RewriteStats* out);

// False for the calls that must stay on the trap path (the handler emulates
// them or must see them): clone, clone3, fork, vfork, execve, execveat, exit,
// exit_group, rt_sigreturn, rt_sigaction, rt_sigprocmask, rt_sigpending,
// sigaltstack, rt_sigsuspend, ppoll, pselect6, epoll_pwait(2), prctl,
// arch_prctl, restart_syscall; and for numbers the gate does not know.
bool rewrite_number_allowed(long nr);

}  // namespace sysgate::gate
