#include "gate/program_filters.h"

#include <asm/errno.h>
#include <asm/unistd.h>
#include <linux/filter.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>

#include "gate/raw_syscall.h"
#include "gate/redirect_filter.h"
#include "gate/user_dispatch.h"
#include "gate/util.h"

namespace sysgate::gate {
namespace {

// Stacks the redirect filter over the gate's code on the calling thread (no
// TSYNC: the program's own filter, made next, decides whether other threads
// get it). NO_NEW_PRIVS came from the launcher; the policy filter allows
// seccomp(SECCOMP_SET_MODE_FILTER, 0, ...) from the gate.
long install_redirect_filter(GateThread* t) {
  sock_filter program[kRedirectFilterLength];
  if (!build_redirect_filter(g_gate.code_begin, g_gate.code_end, program)) return -EINVAL;
  const sock_fprog fprog = {static_cast<unsigned short>(kRedirectFilterLength), program};
  const long r = raw_syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, addr(&fprog));
  if (r == 0) t->redirected = 1;
  return r;
}

uint64_t filter_flags(long nr, const uint64_t a[6]) { return nr == __NR_seccomp ? a[1] : 0; }

}  // namespace

bool installs_seccomp_filter(long nr, const uint64_t a[6]) {
  if (nr == __NR_seccomp) return a[0] == SECCOMP_SET_MODE_FILTER;
  return nr == __NR_prctl && a[0] == PR_SET_SECCOMP && a[1] == SECCOMP_MODE_FILTER;
}

bool thread_redirected(const GateThread* t) { return t->redirected != 0 || g_gate.every_thread_redirected != 0; }

long program_filter_before(GateThread* t, long nr, const uint64_t a[6]) {
  if (!user_dispatch_on() || thread_redirected(t) || !installs_seccomp_filter(nr, a)) return 0;
  // A listener the policy refuses anyway (runner.cc): nothing to guard against.
  if ((filter_flags(nr, a) & SECCOMP_FILTER_FLAG_NEW_LISTENER) != 0) return 0;
  const long r = install_redirect_filter(t);
  return r == 0 ? 0 : r;
}

void program_filter_after(GateThread* t, long nr, const uint64_t a[6], long result) {
  if (result < 0 || t->redirected == 0 || !installs_seccomp_filter(nr, a)) return;
  if ((filter_flags(nr, a) & SECCOMP_FILTER_FLAG_TSYNC) != 0) store_release(&g_gate.every_thread_redirected, 1u);
}

void thread_arm_dispatch(GateThread* t) {
  if (!user_dispatch_on() || thread_redirected(t)) return;
  const long r = user_dispatch_rearm();
  if (r == 0) return;
  // A filter the program installed refused the prctl (through the gate's own
  // instruction, or before this gate saw it): the redirect filter does the
  // same job, for ~35 ns more a call.
  const long f = install_redirect_filter(t);
  if (f != 0) die("cannot send a new thread's calls to the gate (SUD refused, then the redirect filter); seccomp error", -f);
}

}  // namespace sysgate::gate
