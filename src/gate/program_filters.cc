#include "gate/program_filters.h"

#include <asm/errno.h>
#include <asm/unistd.h>
#include <linux/filter.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>

#include "gate/program_traps.h"
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

// The kernel takes seccomp's operation and flags and prctl's option as 32-bit
// ints: higher bits a program sets are not the gate's to see (a reviewer hid
// a filter behind bit 32 of the operation).
uint32_t filter_flags(long nr, const uint64_t a[6]) { return nr == __NR_seccomp ? static_cast<uint32_t>(a[1]) : 0; }

// What the gate guards: a filter of the program's going on, without a
// listener (the policy refuses those anyway, runner.cc).
bool guarded(long nr, const uint64_t a[6]) {
  return user_dispatch_on() && installs_seccomp_filter(nr, a) &&
         (filter_flags(nr, a) & SECCOMP_FILTER_FLAG_NEW_LISTENER) == 0;
}

bool synchronises_threads(long nr, const uint64_t a[6]) { return (filter_flags(nr, a) & SECCOMP_FILTER_FLAG_TSYNC) != 0; }

void lock_filters() {
  while (!compare_exchange(&g_gate.filter_lock, 0u, 1u)) cpu_relax();
}
void unlock_filters() { store_release(&g_gate.filter_lock, 0u); }

void arm(GateThread* t) {
  if (!user_dispatch_on() || thread_redirected(t)) return;
  const long r = user_dispatch_rearm();
  if (r == 0) return;
  // A filter the program installed refused the prctl (through the gate's own
  // instruction, or before this gate saw it): the redirect filter does the
  // same job, for ~35 ns more a call.
  const long f = install_redirect_filter(t);
  if (f != 0) die("cannot send a new thread's calls to the gate (SUD refused, then the redirect filter); seccomp error", -f);
}

}  // namespace

bool installs_seccomp_filter(long nr, const uint64_t a[6]) {
  if (nr == __NR_seccomp) return static_cast<uint32_t>(a[0]) == SECCOMP_SET_MODE_FILTER;
  // The mode is an unsigned long.
  return nr == __NR_prctl && static_cast<uint32_t>(a[0]) == PR_SET_SECCOMP && a[1] == SECCOMP_MODE_FILTER;
}

bool thread_redirected(const GateThread* t) {
  const int32_t every = load_acquire(&g_gate.every_thread_redirected_pid);
  return t->redirected != 0 || (every != 0 && every == t->pid);
}

long program_filter_before(GateThread* t, long nr, const uint64_t a[6]) {
  if (!guarded(nr, a)) return 0;
  // With TSYNC the kernel gives the filters to threads that are starting
  // now, before this thread can say so: they wait (thread_arm_dispatch).
  const bool sync = synchronises_threads(nr, a);
  if (sync) lock_filters();
  if (thread_redirected(t)) return 0;
  const long r = install_redirect_filter(t);
  if (r != 0 && sync) unlock_filters();
  return r;
}

void program_filter_after(GateThread* t, long nr, const uint64_t a[6], long result) {
  // Its traps of the calls the gate makes for the program now go to the program.
  if (installs_seccomp_filter(nr, a) && result == 0) note_program_filters();
  if (!guarded(nr, a) || !synchronises_threads(nr, a)) return;
  // A TSYNC the kernel refused returns the id of the thread in the way (> 0).
  // A vfork child's threads are not its parent's.
  if (result == 0 && t->redirected != 0 && t->shares_memory_with_another_process == 0) {
    store_release(&g_gate.every_thread_redirected_pid, t->pid);
  }
  unlock_filters();
}

void thread_arm_dispatch(GateThread* t) {
  lock_filters();
  arm(t);
  unlock_filters();
}

void forked_child_arm_dispatch(GateThread* t, bool parent_redirected) {
  // The child has the forking thread's filters; the lock is a copy another
  // thread may have held: it is the child's alone now.
  t->redirected = parent_redirected ? 1 : 0;
  store_release(&g_gate.filter_lock, 0u);
  arm(t);
}

}  // namespace sysgate::gate
