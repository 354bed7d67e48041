#include "gate/signals.h"

#include <asm/errno.h>
#include <asm/unistd.h>

#include "gate/app_memory.h"
#include "gate/deferred_signal.h"
#include "gate/pending_sigsys.h"
// The gate's symbols are in this same library: reach them PC-relative, not
// through a GOT (the freestanding check refuses _GLOBAL_OFFSET_TABLE_).
#pragma GCC visibility push(hidden)
#include "gate/gate.h"
#pragma GCC visibility pop
#include "gate/rewrite.h"
#include "gate/trace_emit.h"
#include "gate/raw_syscall.h"
#include "gate/user_dispatch.h"
#include "gate/util.h"
#include "trace/ring_format.h"

namespace sysgate::gate {
namespace {

using arch::kSigsysBit;
using arch::KernelSigaction;
using arch::KernelStack;

constexpr uint64_t kSigsetBytes = 8;

// Serialises access to g_gate.app_sigsys between threads. Held only with every
// signal blocked, so a holder is never interrupted, only preempted.
void lock_app_sigsys() {
  while (!compare_exchange(&g_gate.sigsys_lock, 0u, 1u)) cpu_relax();
}
void unlock_app_sigsys() { store_release(&g_gate.sigsys_lock, 0u); }

void remember_mask_had_sigsys(int sig, bool had) {
  const uint64_t bit = arch::sigbit(sig);
  if (had) {
    __atomic_fetch_or(&g_gate.mask_had_sigsys, bit, __ATOMIC_RELAXED);
  } else {
    __atomic_fetch_and(&g_gate.mask_had_sigsys, ~bit, __ATOMIC_RELAXED);
  }
}

bool mask_had_sigsys(int sig) {
  return (load_relaxed(&g_gate.mask_had_sigsys) & arch::sigbit(sig)) != 0;
}

// The kernel just wrote *oact: put SIGSYS back into the mask the program set.
void restore_sigsys_in_old_action(uint64_t oact, bool had) {
  if (oact != 0 && had) reinterpret_cast<KernelSigaction*>(oact)->mask |= kSigsysBit;
}

// Copies the 8-byte signal set at p without SIGSYS into *out; false if unreadable.
bool read_mask_without_sigsys(uint64_t p, uint64_t* out) {
  if (!app_probe_read(p, kSigsetBytes)) return false;
  copy_bytes(out, reinterpret_cast<const void*>(p), kSigsetBytes);
  *out &= ~kSigsysBit;
  return true;
}

// Which argument of call nr holds its temporary signal mask (the next one its
// size), or -1: rt_sigsuspend, ppoll, epoll_pwait, epoll_pwait2. pselect6's
// is a {set, size} pair its sixth argument points to.
int temporary_mask_argument(long nr) {
  switch (nr) {
    case __NR_rt_sigsuspend:
      return 0;
    case __NR_ppoll:
      return 3;
    case __NR_epoll_pwait:
    case __NR_epoll_pwait2:
      return 4;
    default:
      return -1;
  }
}

// Whether call (rt_sigsuspend, ppoll, pselect6, epoll_pwait, epoll_pwait2)
// keeps SIGSYS blocked while it waits: it has no temporary mask (the thread's
// stays), or one that blocks SIGSYS. A mask it cannot read: the thread's.
bool temporary_mask_blocks_sigsys(const Call& call) {
  uint64_t set = 0, size = 0;
  const int arg = temporary_mask_argument(call.nr);
  if (arg >= 0) {
    set = call.args[arg], size = call.args[arg + 1];
  } else if (call.nr == __NR_pselect6) {
    uint64_t pair[2];
    if (call.args[5] == 0 || !app_probe_read(call.args[5], sizeof pair)) return true;
    copy_bytes(pair, reinterpret_cast<const void*>(call.args[5]), sizeof pair);
    set = pair[0], size = pair[1];
  } else {
    return true;
  }
  uint64_t mask;
  if (set == 0 || size != kSigsetBytes || !app_probe_read(set, kSigsetBytes)) return true;
  copy_bytes(&mask, reinterpret_cast<const void*>(set), kSigsetBytes);
  return (mask & kSigsysBit) != 0;
}

using arch::kSigDfl;
using arch::kSigIgn;

// GateProcess::spawned_child_sigsys's low bits: the child set SIG_IGN, SIG_DFL.
constexpr uint64_t kSpawnedChildIgnores = 1, kSpawnedChildDefault = 2;

// Serialises the wrapper table's updates with the kernel calls that install
// them, so the table and the kernel's actions agree. Held with every signal
// blocked.
void lock_handlers() {
  while (!compare_exchange(&g_gate.handlers_lock, 0u, 1u)) cpu_relax();
}
void unlock_handlers() { store_release(&g_gate.handlers_lock, 0u); }

struct AppHandler {
  uint64_t handler;
  bool without_siginfo;
};

AppHandler app_handler_of(int sig) {
  return {load_acquire(&g_gate.app_handlers[sig - 1]),
          (load_relaxed(&g_gate.handler_without_siginfo) & arch::sigbit(sig)) != 0};
}

// Every program handler is installed behind the gate's wrapper
// (sysgate_gate_signal_entry), which the kernel enters in its place: under
// `trace` to show each delivery (strace's "--- SIGCHLD {...} ---"), in both
// modes to move a handler whose signal interrupted a call the gate was making
// onto the program's stack (moved_handler.h) -- under `run` the gate makes the
// program's sigsuspend and sigtimedwait, where Boehm GC's stopped threads wait.
// Only by the process whose memory this is: not by a vfork child sharing the
// table with a parent whose actions stay as they were (foreign_handlers, or,
// under `run`, which traps no fork, a pid that is not the thread's).
bool should_wrap(const GateThread* t, int sig, const KernelSigaction& action) {
  return t->foreign_handlers == 0 && sig != SIGKILL && sig != SIGSTOP && action.handler > kSigIgn &&
         action.handler != addr(sysgate_gate_signal_entry) && t->pid == current_pid();
}

void wrap(int sig, KernelSigaction* action) {
  const uint64_t bit = arch::sigbit(sig);
  if ((action->flags & SA_SIGINFO) == 0) {
    __atomic_fetch_or(&g_gate.handler_without_siginfo, bit, __ATOMIC_RELAXED);
  } else {
    __atomic_fetch_and(&g_gate.handler_without_siginfo, ~bit, __ATOMIC_RELAXED);
  }
  if ((action->flags & SA_RESETHAND) != 0) {
    __atomic_fetch_or(&g_gate.handler_resets, bit, __ATOMIC_RELAXED);
  } else {
    __atomic_fetch_and(&g_gate.handler_resets, ~bit, __ATOMIC_RELAXED);
  }
  if ((action->flags & SA_ONSTACK) != 0) {
    __atomic_fetch_or(&g_gate.handler_on_stack, bit, __ATOMIC_RELAXED);
  } else {
    __atomic_fetch_and(&g_gate.handler_on_stack, ~bit, __ATOMIC_RELAXED);
  }
  store_release(&g_gate.app_handlers[sig - 1], action->handler);
  action->handler = addr(sysgate_gate_signal_entry);
  action->flags |= SA_SIGINFO;  // the record needs the siginfo; the frame is the same
}

// The kernel just wrote *oact: the program sees its own handler, not the wrapper.
void unwrap_old_action(uint64_t oact, const AppHandler& wrapped) {
  if (oact == 0) return;
  KernelSigaction* old = reinterpret_cast<KernelSigaction*>(oact);
  if (old->handler != addr(sysgate_gate_signal_entry)) return;
  old->handler = wrapped.handler;
  if (wrapped.without_siginfo) old->flags &= ~static_cast<uint64_t>(SA_SIGINFO);
}

// Tracing also shows a delivery whose default action ends the process
// (strace's "--- SIGTERM {...} ---" before "+++ killed by SIGTERM +++"), and
// the line of the call it ended (write's EPIPE before SIGPIPE). The kernel
// would end the process without running anything of the gate's, so while
// tracing these signals' kernel action is the gate's observer
// (sysgate_gate_default_signal) wherever the program's is SIG_DFL; the program
// reads back SIG_DFL as it set it. SIGSYS is the gate's own; the signals
// whose default is to stop the process are left alone.
// The real-time signals, whose default ends the process too, are observed as
// well (64 more rt_sigaction calls at an image's start, ~20 µs here).
constexpr uint64_t kRealTimeSignals = ~uint64_t{0} << 31;  // 32..64
constexpr uint64_t kObservedDefaults = kRealTimeSignals |
    arch::sigbit(SIGHUP) | arch::sigbit(SIGINT) | arch::sigbit(SIGQUIT) | arch::sigbit(SIGILL) |
    arch::sigbit(SIGTRAP) | arch::sigbit(SIGABRT) | arch::sigbit(SIGBUS) | arch::sigbit(SIGFPE) |
    arch::sigbit(SIGUSR1) | arch::sigbit(SIGSEGV) | arch::sigbit(SIGUSR2) | arch::sigbit(SIGPIPE) |
    arch::sigbit(SIGALRM) | arch::sigbit(SIGTERM) | arch::sigbit(SIGSTKFLT) | arch::sigbit(SIGXCPU) |
    arch::sigbit(SIGXFSZ) | arch::sigbit(SIGVTALRM) | arch::sigbit(SIGPROF) | arch::sigbit(SIGIO) |
    arch::sigbit(SIGPWR);

// The signals whose default is to ignore them: strace shows their deliveries
// too ("--- SIGCHLD {...} ---" after a child's exit), since a traced process
// gets even the signals it ignores. Their observer records the delivery and
// returns. Installed with SA_RESTART, it lets the kernel restart the calls it
// interrupts, as it would have had the signal been ignored; the calls a
// handler interrupts with EINTR whatever SA_RESTART says run with these
// signals blocked (quiet_signals_during), so the observer runs as they return.
constexpr uint64_t kQuietDefaults =
    arch::sigbit(SIGCHLD) | arch::sigbit(SIGURG) | arch::sigbit(SIGWINCH) | arch::sigbit(SIGCONT);

bool observes_default(int sig) {
  return sig >= 1 && sig <= 64 && ((kObservedDefaults | kQuietDefaults) & arch::sigbit(sig)) != 0;
}
bool is_quiet(int sig) { return sig >= 1 && sig <= 64 && (kQuietDefaults & arch::sigbit(sig)) != 0; }

// Observing a default that ends the process needs a way to raise the signal
// again that the policy allows for any arguments (the monitor decides:
// RegionHeader::raise_again).
bool should_observe(const GateThread* t, int sig, const KernelSigaction& action) {
  return g_gate.region.header != nullptr && (g_gate.region.raise_again != 0 || is_quiet(sig)) &&
         t->foreign_handlers == 0 && action.handler == kSigDfl && observes_default(sig);
}

// Which quiet signals have the observer as their kernel action now. Not
// changed by a vfork child, whose actions are its own but whose memory is its
// parent's. Under handlers_lock.
void set_quiet_observed(int sig, bool observed) {
  if (!is_quiet(sig)) return;
  if (observed) {
    __atomic_fetch_or(&g_gate.quiet_observed, arch::sigbit(sig), __ATOMIC_RELEASE);
  } else {
    __atomic_fetch_and(&g_gate.quiet_observed, ~arch::sigbit(sig), __ATOMIC_RELEASE);
  }
}

long install_observer(int sig, KernelSigaction* old = nullptr) {
  KernelSigaction observer = {};
  observer.handler = addr(sysgate_gate_default_signal);
  // On the registered alternate stack (the gate's, or the program's own once
  // it has one): a stack overflow's SIGSEGV is recorded too.
  observer.flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER | (is_quiet(sig) ? SA_RESTART : 0);
  observer.restorer = addr(sysgate_gate_restorer);  // in the gate: its rt_sigreturn is not a program call
  observer.mask = arch::kAllSignals;
  return raw_syscall(__NR_rt_sigaction, static_cast<uint64_t>(sig), addr(&observer), addr(old), kSigsetBytes);
}

// The kernel holds `stored` for sig (SIG_DFL, as the program set it or exec
// left it): put the observer in its place. Under handlers_lock.
void observe(int sig, const KernelSigaction& stored) {
  g_gate.app_default_actions[sig - 1] = stored;
  set_quiet_observed(sig, install_observer(sig) == 0);
}

// A thread's observer has made a default action real and raised its signal
// again: the process is about to end by it. Another thread's rt_sigaction must
// not change that action in between (a handler, or SIG_IGN, would let the
// process live): it waits here for the end, as it would natively have ended
// already. Not in a vfork child, whose parent's state this is.
void wait_if_dying(const GateThread* t) {
  if (t->foreign_handlers != 0) return;
  while (load_acquire(&g_gate.dying_by) != 0) cpu_relax();
}

// The kernel just wrote *oact: the program sees the SIG_DFL action it set, not
// the observer. Under handlers_lock.
void unobserve_old_action(uint64_t oact, int sig) {
  if (oact == 0 || !observes_default(sig)) return;
  KernelSigaction* old = reinterpret_cast<KernelSigaction*>(oact);
  if (old->handler != addr(sysgate_gate_default_signal)) return;
  *old = g_gate.app_default_actions[sig - 1];
}

// trace -i: where a signal found the program. In the middle of a call the gate
// makes for it, that call's site (the kernel's context then points into the
// gate); otherwise where the context says. (A second signal that arrives while
// a handler for a first one runs its own code, the first having interrupted a
// call, is shown at that call's site.)
uint64_t signal_ip(const GateThread* t, const void* context) {
  if (t->call_ip != 0) return t->call_ip;
  if (context == nullptr) return 0;
  const arch::KernelUcontext* uc = static_cast<const arch::KernelUcontext*>(context);
  // In the trampolines' own call (one the trace does not record): that call's site.
  if (uc->mc.rip == addr(sysgate_gate_syscall_begin)) {
    if (const uint64_t ip = rewrite_fast_path_resume_ip(t, uc->mc.rsp); ip != 0) return ip;
  }
  return uc->mc.rip;
}

}  // namespace

long emulate_rt_sigaction(GateThread* t, Call& call) {
  const int sig = static_cast<int>(call.args[0]);
  const uint64_t act = call.args[1];
  const uint64_t oact = call.args[2];
  if (call.args[3] != kSigsetBytes) return -EINVAL;

  if (sig == SIGSYS) {
    call.record_flags |= trace::kRecordEmulated;
    KernelSigaction next = {};
    if (act != 0) {
      if (!app_probe_read(act, sizeof next)) return -EFAULT;
      copy_bytes(&next, reinterpret_cast<const void*>(act), sizeof next);
    }
    if (oact != 0 && !app_probe_write(oact, sizeof(KernelSigaction))) return -EFAULT;
    // A process that shares this memory but not these actions (posix_spawn's
    // and Go's CLONE_VM children, which reset every handler before their
    // exec) must not change the parent's: they cost the parent its SIGSYS
    // handler. Its own change is kept only as far as its exec keeps it: whether
    // it ignores SIGSYS (GateProcess::spawned_child_sigsys).
    const int32_t pid = static_cast<int32_t>(raw_syscall(__NR_getpid));
    const bool own_actions = t->foreign_handlers == 0 && t->pid == pid;
    lock_app_sigsys();
    const KernelSigaction old = g_gate.app_sigsys;
    if (act != 0 && own_actions) g_gate.app_sigsys = next;
    // Natively SIG_IGN discards a pending SIGSYS, the process's and every thread's.
    if (act != 0 && own_actions && next.handler == kSigIgn) discard_pending_sigsys();
    unlock_app_sigsys();
    if (act != 0 && !own_actions) {
      store_release(&g_gate.spawned_child_sigsys, uint64_t{static_cast<uint32_t>(pid)} << 32 |
                                                      (next.handler == kSigIgn   ? kSpawnedChildIgnores
                                                       : next.handler == kSigDfl ? kSpawnedChildDefault
                                                                                 : 0u));
    }
    if (oact != 0) copy_bytes(reinterpret_cast<void*>(oact), &old, sizeof old);
    return 0;
  }
  if (sig < 1 || sig > 64) return raw_syscall(__NR_rt_sigaction, call.args[0], act, oact, kSigsetBytes);
  wait_if_dying(t);

  const bool old_had = mask_had_sigsys(sig);
  if (act == 0) {
    lock_handlers();
    const long r = raw_syscall(__NR_rt_sigaction, call.args[0], 0, oact, kSigsetBytes);
    if (r == 0) unobserve_old_action(oact, sig);
    unlock_handlers();
    if (r == 0) {
      restore_sigsys_in_old_action(oact, old_had);
      unwrap_old_action(oact, app_handler_of(sig));
    }
    return r;
  }
  if (!app_probe_read(act, sizeof(KernelSigaction))) return -EFAULT;
  KernelSigaction local;
  copy_bytes(&local, reinterpret_cast<const void*>(act), sizeof local);
  const bool had = (local.mask & kSigsysBit) != 0;
  local.mask &= ~kSigsysBit;
  // The wrapped handler is the one the kernel has until this call replaces it.
  lock_handlers();
  const AppHandler before = app_handler_of(sig);
  if (should_wrap(t, sig, local)) wrap(sig, &local);
  const long r = raw_syscall(__NR_rt_sigaction, call.args[0], addr(&local), oact, kSigsetBytes);
  if (r == 0) unobserve_old_action(oact, sig);
  // (EFAULT: the kernel installed the action, then could not write *oact.)
  if (r == 0 || r == -EFAULT) {
    if (t->foreign_handlers == 0) set_quiet_observed(sig, false);  // the program's own action now
    // A vfork child shares the table with its parent: should_observe leaves it
    // alone, and it changes its own actions only (the kernel's), as it does
    // for handlers.
    if (should_observe(t, sig, local)) {
      // The program's SIG_DFL action as the kernel keeps it (its flags as the
      // kernel reports them), then the observer in its place.
      KernelSigaction stored;
      if (raw_syscall(__NR_rt_sigaction, call.args[0], 0, addr(&stored), kSigsetBytes) == 0) observe(sig, stored);
    }
  }
  unlock_handlers();
  if (r == 0) {
    remember_mask_had_sigsys(sig, had);
    restore_sigsys_in_old_action(oact, old_had);
    unwrap_old_action(oact, before);
  }
  return r;
}

// The kernel entered sysgate_gate_signal_entry for a signal whose handler the
// program installed while tracing: record the delivery, then return the
// program's handler, which the entry jumps to with the kernel's registers.
namespace {

// Writes the record of a delivery the gate's wrapper or observer was entered for.
void record_delivery(int sig, const uint8_t* info, const void* context) {
  GateThread* t = thread_from_gs();
  // A thread the gate never saw start has its parent's GS base: not its state.
  if (t != nullptr && t->tid == static_cast<int32_t>(raw_syscall(__NR_gettid))) {
    uint64_t words[6];
    copy_bytes(words, info, sizeof words);  // the kernel just wrote the whole siginfo
    trace_pending_call(t, context);  // a call that just returned to this signal: its line first
    // trace -k: the stack where the signal found the program: in a call the
    // gate was making for it, that call's (t->call_registers, as it is), else
    // the context's.
    const auto* uc = static_cast<const arch::KernelUcontext*>(context);
    CallRegisters at_signal;
    const CallRegistersRestore restore_registers{t, t->call_registers};
    const bool in_gate = uc->mc.rip >= g_gate.code_begin && uc->mc.rip < g_gate.code_end;
    if (g_gate.region.stack_bytes != 0 && !in_gate) set_call_registers(t, &at_signal, uc, uc->mc.rip);
    trace_syscall(t, trace::kRecordSignal, 0, sig, words, 0, 0, signal_ip(t, context));
  }
}

}  // namespace

namespace {

// A handler installed with SA_RESETHAND: entering it, the kernel made the
// action SIG_DFL. Where that default ends the process, the observer takes its
// place, so the death the next delivery brings shows too (a crash handler's
// "reset, return, fault again"), as it does for a SIG_DFL set by the program.
// Either way, the SIG_DFL the kernel left has the flags the program gave,
// without the SA_SIGINFO the wrapper added (the program reads them back).
void after_reset(int sig) {
  GateThread* t = thread_from_gs();
  if (t == nullptr || t->tid != static_cast<int32_t>(raw_syscall(__NR_gettid))) return;
  lock_handlers();
  KernelSigaction now;
  if (raw_syscall(__NR_rt_sigaction, static_cast<uint64_t>(sig), 0, addr(&now), kSigsetBytes) == 0 &&
      now.handler == kSigDfl) {
    if ((now.flags & SA_SIGINFO) != 0 && (load_relaxed(&g_gate.handler_without_siginfo) & arch::sigbit(sig)) != 0) {
      now.flags &= ~static_cast<uint64_t>(SA_SIGINFO);
      raw_syscall(__NR_rt_sigaction, static_cast<uint64_t>(sig), addr(&now), 0, kSigsetBytes);
    }
    if (should_observe(t, sig, now)) observe(sig, now);
  }
  unlock_handlers();
}

}  // namespace

extern "C" uint64_t sysgate_gate_signal_record(int sig, const uint8_t* info, const void* context) {
  const uint64_t handler = sig >= 1 && sig <= 64 ? load_acquire(&g_gate.app_handlers[sig - 1]) : 0;
  if (handler <= kSigIgn || handler == addr(sysgate_gate_signal_entry)) {
    die("signal wrapper entered without a program handler; signal", sig);
  }
  // The mask the handler's frame restores is the program's, not the one the
  // gate set for the call the signal interrupted (quiet_signals_during): that
  // call ends in EINTR, and the gate puts the program's mask back after it.
  // The handler itself runs without those signals blocked too, as natively
  // (it reads its mask back; the kernel added the call's to it), but for
  // those its action's sa_mask blocks: two calls, for such handlers only.
  // (Only while that call is the innermost: quiet_added may be an abandoned
  // call's, thread_state.h.)
  if (GateThread* t = thread_from_gs(); t != nullptr && t->quiet_added != 0 && t->program_place != nullptr &&
                                        t->quiet_place == t->program_place &&
                                        t->tid == static_cast<int32_t>(raw_syscall(__NR_gettid))) {
    auto* uc = static_cast<arch::KernelUcontext*>(const_cast<void*>(context));
    uc->uc_sigmask &= ~t->quiet_added;
    uint64_t open = t->quiet_added & ~arch::sigbit(sig);
    KernelSigaction action;
    if (raw_syscall(__NR_rt_sigaction, static_cast<uint64_t>(sig), 0, addr(&action), kSigsetBytes) == 0) {
      open &= ~action.mask;
    }
    if (open != 0) raw_syscall(__NR_rt_sigprocmask, SIG_UNBLOCK, addr(&open), 0, kSigsetBytes);
  }
  // Under `run`, ppoll, pselect6 and epoll_pwait reach the kernel untrapped,
  // with the program's temporary mask, SIGSYS and all: a handler their signal
  // runs inherits it (the frame saves the mask from before the call), and its
  // first trapped call would end the process (a seccomp SIGSYS that is
  // blocked kills). So a handler whose signal ended a call with EINTR runs
  // with SIGSYS open for real, at the cost of one call; so does one whose
  // signal the kernel delivered on top of another's (its frame is at the
  // wrapper's first instruction, and the mask it got is the other's).
  constexpr uint64_t kEintrResult = static_cast<uint64_t>(-EINTR);
  const auto* interrupted = &static_cast<const arch::KernelUcontext*>(context)->mc;
  if (g_gate.region.header == nullptr &&
      (interrupted->rax == kEintrResult || interrupted->rip == addr(sysgate_gate_signal_entry))) {
    const uint64_t sigsys = kSigsysBit;
    raw_syscall(__NR_rt_sigprocmask, SIG_UNBLOCK, addr(&sigsys), 0, kSigsetBytes);
  }
  const bool resets = (load_relaxed(&g_gate.handler_resets) & arch::sigbit(sig)) != 0;
  if (g_gate.region.header == nullptr) {  // `run`: the wrapper only moves handlers
    if (resets) after_reset(sig);
    return handler;
  }
  record_delivery(sig, info, context);
  if (resets) after_reset(sig);
  return handler;
}

// The kernel entered the observer for a signal whose program action is SIG_DFL.
// A default that ignores the signal: record the delivery, and return. One that
// ends the process: record the delivery (after the line of a
// call it ended), then make the default real (marking the process as dying,
// wait_if_dying) and raise the signal again with its siginfo. The raise stays
// pending while this handler blocks every signal; sigreturn installs the
// frame's mask, which lets only this signal through, so the kernel delivers it
// there and ends the process as it would have (a core dump shows the
// program's registers at that point). A vfork child, which shares the gate's
// memory with its parent, marks nothing: only its own kernel action changes.
extern "C" void sysgate_gate_default_signal(int sig, arch::KernelSiginfo* info, arch::KernelUcontext* uc) {
  deferred_out_of_frame(thread_from_gs(), uc);  // deferred_signal.h
  record_delivery(sig, reinterpret_cast<const uint8_t*>(info), uc);
  if (is_quiet(sig)) return;  // ignored by default: shown, nothing else
  GateThread* t = thread_from_gs();
  // The monitor learns how a process other than the command's first ended
  // from a pidfd it opens on the process's first record: it must have read
  // it before the parent can reap this process (`yes | head -1`).
  if (t != nullptr && t->tid == static_cast<int32_t>(raw_syscall(__NR_gettid))) trace_wait_read(t);
  const bool shares_parent_state = t != nullptr && t->foreign_handlers != 0;  // a vfork child
  KernelSigaction dfl = {};
  lock_handlers();
  if (!shares_parent_state) store_release(&g_gate.dying_by, static_cast<uint32_t>(sig));
  raw_syscall(__NR_rt_sigaction, static_cast<uint64_t>(sig), addr(&dfl), 0, kSigsetBytes);
  unlock_handlers();
  const uint64_t pid = static_cast<uint64_t>(raw_syscall(__NR_getpid));
  const uint64_t tid = static_cast<uint64_t>(raw_syscall(__NR_gettid));
  // The monitor chose a call the policy allows for any arguments.
  const long raised = g_gate.region.raise_again == trace::kRaiseBySigqueue
                          ? raw_syscall(__NR_rt_tgsigqueueinfo, pid, tid, static_cast<uint64_t>(sig), addr(info))
                          : raw_syscall(__NR_tgkill, pid, tid, static_cast<uint64_t>(sig));
  if (raised != 0) die("cannot raise again the signal whose default action ends the process; signal", sig);
  // Every other signal stays blocked: one queued meanwhile would be
  // delivered first, and the first fatal one ends the process natively.
  uc->uc_sigmask = ~arch::sigbit(sig);
}

long emulate_rt_sigprocmask(GateThread* t, arch::KernelUcontext* uc, Call& call) {
  const int how = static_cast<int>(call.args[0]);
  const uint64_t set = call.args[1];
  const uint64_t oset = call.args[2];
  if (call.args[3] != kSigsetBytes) return -EINVAL;
  call.record_flags |= trace::kRecordEmulated;

  const uint64_t current = uc->uc_sigmask | (t->sigsys_blocked != 0 ? kSigsysBit : 0);
  uint64_t next = current;
  if (set != 0) {
    if (!app_probe_read(set, kSigsetBytes)) return -EFAULT;
    uint64_t s;
    copy_bytes(&s, reinterpret_cast<const void*>(set), kSigsetBytes);
    s &= ~arch::kUnblockableBits;
    switch (how) {
      case SIG_BLOCK:
        next = current | s;
        break;
      case SIG_UNBLOCK:
        next = current & ~s;
        break;
      case SIG_SETMASK:
        next = s;
        break;
      default:
        return -EINVAL;
    }
  }
  if (oset != 0 && !app_probe_write(oset, kSigsetBytes)) return -EFAULT;
  if (set != 0) {
    // sigreturn installs uc_sigmask: the new mask takes effect, and signals it
    // unblocks are delivered, as the program returns from its syscall.
    t->sigsys_blocked = (next & kSigsysBit) != 0 ? 1 : 0;
    t->sigsys_open_in_call = 0;  // (a siglongjmp out of a handler that interrupted sigsuspend)
    uc->uc_sigmask = next & ~kSigsysBit;
  }
  if (oset != 0) copy_bytes(reinterpret_cast<void*>(oset), &current, kSigsetBytes);
  return 0;
}

long emulate_rt_sigpending(GateThread* t, const arch::KernelUcontext* uc, Call& call) {
  const uint64_t set = call.args[0];
  const uint64_t size = call.args[1];
  const long r = raw_syscall(__NR_rt_sigpending, set, size);
  if (r != 0 || set == 0) return r;
  // The kernel answered "pending and blocked" with the handler's mask (every
  // signal); the program blocks fewer. The kernel just wrote these bytes.
  call.record_flags |= trace::kRecordEmulated;
  const uint64_t blocked = uc->uc_sigmask | (t->sigsys_blocked != 0 ? kSigsysBit : 0);
  uint64_t pending = 0;
  copy_bytes(&pending, reinterpret_cast<const void*>(set), size < kSigsetBytes ? size : kSigsetBytes);
  pending &= blocked;
  if (sigsys_pending(t)) pending |= kSigsysBit;  // blocked while pending: the gate holds it
  copy_bytes(reinterpret_cast<void*>(set), &pending, size < kSigsetBytes ? size : kSigsetBytes);
  return r;
}

long emulate_sigaltstack(GateThread* t, const arch::KernelUcontext* uc, Call& call) {
  const uint64_t ss = call.args[0];
  const uint64_t old = call.args[1];
  call.record_flags |= trace::kRecordEmulated;
  const AppAltStack current = t->app_altstack;
  const bool disabled = (current.flags & SS_DISABLE) != 0;
  const uint64_t sp = uc->mc.rsp;
  const bool on_stack = !disabled && sp > current.sp && sp - current.sp <= current.size;

  AppAltStack next = current;
  if (ss != 0) {
    if (!app_probe_read(ss, sizeof(KernelStack))) return -EFAULT;
    KernelStack req;
    copy_bytes(&req, reinterpret_cast<const void*>(ss), sizeof req);
    if (on_stack) return -EPERM;
    const int32_t mode = static_cast<int32_t>(static_cast<uint32_t>(req.ss_flags) & ~SS_AUTODISARM);
    if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0) return -EINVAL;
    if (mode == SS_DISABLE) {
      next.sp = 0;
      next.size = 0;
      next.flags = SS_DISABLE;
    } else {
      if (req.ss_size < MINSIGSTKSZ) return -ENOMEM;
      next.sp = req.ss_sp;
      next.size = req.ss_size;
      next.flags = static_cast<int32_t>(static_cast<uint32_t>(req.ss_flags) & SS_AUTODISARM);
    }
  }
  if (old != 0) {
    if (!app_probe_write(old, sizeof(KernelStack))) return -EFAULT;
    KernelStack report = {};
    report.ss_sp = current.sp;
    report.ss_size = current.size;
    report.ss_flags = disabled ? SS_DISABLE : ((on_stack ? SS_ONSTACK : 0) | current.flags);
    copy_bytes(reinterpret_cast<void*>(old), &report, sizeof report);
  }
  t->app_altstack = next;
  return 0;
}

namespace {
long forward_masked(const arch::KernelUcontext* uc, Call& call);
}  // namespace

long forward_without_sigsys_in_mask(GateThread* t, const arch::KernelUcontext* uc, Call& call) {
  if (!temporary_mask_blocks_sigsys(call)) {
    if (sigsys_pending(t)) {
      t->deliver_pending_sigsys_now = 1;  // after the call's record (handler.cc)
      return -EINTR;
    }
    // One that arrives during the call is delivered there, and ends it.
    const uint32_t outer = t->sigsys_open_in_call;
    t->sigsys_open_in_call = 1;
    const long r = forward_masked(uc, call);
    t->sigsys_open_in_call = outer;
    return r;
  }
  return forward_masked(uc, call);
}

namespace {

long forward_masked(const arch::KernelUcontext* uc, Call& call) {
  uint64_t args[6];
  for (int i = 0; i < 6; ++i) args[i] = call.args[i];
  uint64_t mask = 0;
  struct {
    uint64_t set;
    uint64_t size;
  } pselect_sig = {};
  // pselect6 has a {set, size} pair.
  if (call.nr == __NR_pselect6) {
    if (args[5] != 0 && app_probe_read(args[5], sizeof pselect_sig)) {
      copy_bytes(&pselect_sig, reinterpret_cast<const void*>(args[5]), sizeof pselect_sig);
      if (pselect_sig.set != 0 && pselect_sig.size == kSigsetBytes && read_mask_without_sigsys(pselect_sig.set, &mask)) {
        mask |= quiet_signals_during(call.nr, call.args);
        pselect_sig.set = addr(&mask);
        args[5] = addr(&pselect_sig);
      }
    }
    return forward(uc, call.nr, args, call.pending);
  }
  const int mask_arg = temporary_mask_argument(call.nr);
  if (mask_arg < 0) return forward(uc, call.nr, args, call.pending);
  // Anything odd (bad size, unreadable) goes to the kernel unchanged: it fails.
  if (args[mask_arg] != 0 && args[mask_arg + 1] == kSigsetBytes && read_mask_without_sigsys(args[mask_arg], &mask)) {
    mask |= quiet_signals_during(call.nr, call.args);  // the call's mask is the one in force
    args[mask_arg] = addr(&mask);
  }
  return forward(uc, call.nr, args, call.pending);
}

// Whether the program blocks SIGSYS in thread t right now.
bool sigsys_blocked_now(const GateThread* t) { return t->sigsys_blocked != 0 && t->sigsys_open_in_call == 0; }

void deliver_sigsys_now(GateThread* t, arch::KernelSiginfo* info, arch::KernelUcontext* uc) {
  // Traced like any delivery (strace shows it whatever the action).
  if (t != nullptr) {
    uint64_t words[6];
    copy_bytes(words, info, sizeof words);
    trace_syscall(t, trace::kRecordSignal, 0, SIGSYS, words, 0, 0, signal_ip(t, uc));
  }
  // A seccomp trap's or Syscall User Dispatch's SIGSYS is forced, as the
  // kernel forces it: ignored or blocked, its action becomes SIG_DFL and the
  // process ends (a sandbox whose traps mean "crash" counts on it).
  const bool forced = info->si_code == arch::kSysSeccomp || info->si_code == kSysUserDispatch;
  const bool blocked = t != nullptr && sigsys_blocked_now(t);
  lock_app_sigsys();
  if (forced && (g_gate.app_sigsys.handler == kSigIgn || blocked)) g_gate.app_sigsys.handler = kSigDfl;
  KernelSigaction action = g_gate.app_sigsys;
  if ((action.flags & SA_RESETHAND) != 0 && action.handler > kSigIgn) g_gate.app_sigsys.handler = kSigDfl;
  unlock_app_sigsys();
  // A process sharing this memory but not the program's actions (a vfork or
  // posix_spawn child) that set SIGSYS to SIG_IGN or SIG_DFL itself: its own.
  // (One that set a handler of its own still gets the program's.)
  if (t == nullptr || t->foreign_handlers != 0 || t->pid != current_pid()) {
    const uint64_t child = load_acquire(&g_gate.spawned_child_sigsys);
    if (static_cast<int32_t>(child >> 32) == current_pid()) {
      if ((child & kSpawnedChildIgnores) != 0) action.handler = kSigIgn;
      if ((child & kSpawnedChildDefault) != 0) action.handler = kSigDfl;
    }
  }
  if (action.handler == kSigIgn) return;
  if (action.handler == kSigDfl) {
    // The kernel's default for SIGSYS: end the process with a core. Made real
    // only now, at the end; the raise is delivered as the frame's mask is restored.
    KernelSigaction dfl = {};
    raw_syscall(__NR_rt_sigaction, SIGSYS, addr(&dfl), 0, kSigsetBytes);
    const long pid = raw_syscall(__NR_getpid);
    raw_syscall(__NR_tgkill, static_cast<uint64_t>(pid), static_cast<uint64_t>(raw_syscall(__NR_gettid)), SIGSYS);
    uc->uc_sigmask &= ~kSigsysBit;
    return;
  }
  // The program's handler, with the mask it asked for (SIGSYS never blocked
  // for real: its calls must still reach the gate), and SIGSYS blocked for it
  // as natively -- unless SA_NODEFER -- so that one sent meanwhile waits for
  // the handler's return (sigreturn's restore of the mask is ours). Its
  // return comes back here.
  const uint32_t saved_blocked = t != nullptr ? t->sigsys_blocked : 0;
  if (t != nullptr) {
    const bool block = blocked || (action.flags & SA_NODEFER) == 0 || (action.mask & kSigsysBit) != 0;
    t->sigsys_blocked = block ? 1 : 0;
    t->sigsys_open_in_call = 0;
  }
  uint64_t mask = (uc->uc_sigmask | action.mask) & ~kSigsysBit;
  set_real_mask(mask);
  using Handler = void (*)(int, void*, void*);
  reinterpret_cast<Handler>(action.handler)(SIGSYS, info, uc);
  mask = arch::kAllSignals;
  set_real_mask(mask);
  // Its return restores the mask from before: the thread's own, even when it
  // ran inside a call with a temporary mask (natively sigsuspend's saved mask
  // is what the frame restores), which then ends with EINTR.
  if (t != nullptr) t->sigsys_blocked = saved_blocked;
}

// Delivers what is pending for t while SIGSYS is not blocked -- or, the
// first, despite_mask (a temporary mask let it through) -- one slot at a
// time, as the kernel would after each handler's return.
void drain_pending_sigsys(GateThread* t, arch::KernelUcontext* uc, bool despite_mask) {
  alignas(8) uint8_t info[128];
  for (int i = 0; i < 3 && (despite_mask || !sigsys_blocked_now(t)) && take_pending_sigsys(t, info); ++i) {
    deliver_sigsys_now(t, reinterpret_cast<arch::KernelSiginfo*>(info), uc);
    despite_mask = false;  // sigreturn restored the thread's mask
  }
}

}  // namespace

void deliver_foreign_sigsys(arch::KernelSiginfo* info, arch::KernelUcontext* uc) {
  GateThread* t = thread_from_gs();
  // Another thread's state (one the gate did not see start: the kernel gave
  // it no alternate stack), not its own -- but a fork child's copy of its
  // parent's is (`sysgate run` traps no fork: its alternate stack stays
  // registered, and its calls trap with that state).
  if (t != nullptr && t->tid != current_tid() && !stack_enabled(uc->uc_stack)) t = nullptr;
  const bool forced = info->si_code == arch::kSysSeccomp || info->si_code == kSysUserDispatch;
  if (!forced && t != nullptr && sigsys_blocked_now(t)) {
    keep_pending_sigsys(t, info);  // delivered when the program lets it in
    return;
  }
  deliver_sigsys_now(t, info, uc);
  if (t != nullptr) drain_pending_sigsys(t, uc, false);  // one its handler sent itself, say
}

void deliver_pending_sigsys(GateThread* t, arch::KernelUcontext* uc) {
  const bool despite_mask = t->deliver_pending_sigsys_now != 0;
  t->deliver_pending_sigsys_now = 0;
  drain_pending_sigsys(t, uc, despite_mask);
}

long emulate_rt_sigtimedwait(GateThread* t, const arch::KernelUcontext* uc, Call& call) {
  const uint64_t set = call.args[0];
  const uint64_t info = call.args[1];
  const uint64_t timeout = call.args[2];
  uint64_t wanted = 0;
  if (set != 0 && call.args[3] == kSigsetBytes && app_probe_read(set, kSigsetBytes)) {
    copy_bytes(&wanted, reinterpret_cast<const void*>(set), kSigsetBytes);
  }
  if ((wanted & kSigsysBit) == 0 || !sigsys_pending(t)) return forward(uc, call.nr, call.args, call.pending);
  // The kernel's checks of the timeout come before it takes a signal.
  if (timeout != 0) {
    int64_t ts[2];
    if (!app_probe_read(timeout, sizeof ts)) return -EFAULT;
    copy_bytes(ts, reinterpret_cast<const void*>(timeout), sizeof ts);
    if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000) return -EINVAL;
  }
  call.record_flags |= trace::kRecordEmulated;
  // The kernel dequeues the synchronous signals first, lowest number first,
  // SIGSYS among them (kernel/signal.c, SYNCHRONOUS_MASK): one of the others
  // the call waits for is taken first, without waiting.
  constexpr uint64_t kSynchronousBelowSigsys = arch::sigbit(SIGILL) | arch::sigbit(SIGTRAP) | arch::sigbit(SIGBUS) |
                                               arch::sigbit(SIGFPE) | arch::sigbit(SIGSEGV);
  const uint64_t first = wanted & kSynchronousBelowSigsys;
  if (first != 0) {
    const uint64_t zero[2] = {0, 0};
    const long r = raw_syscall(__NR_rt_sigtimedwait, addr(&first), info, addr(zero), kSigsetBytes);
    if (r > 0 || r == -EFAULT) return r;
  }
  alignas(8) uint8_t taken[128];
  if (!take_pending_sigsys(t, taken)) return forward(uc, call.nr, call.args, call.pending);  // another thread took it
  // As the kernel: taken, then the copy out fails.
  if (info != 0) {
    if (!app_probe_write(info, sizeof taken)) return -EFAULT;
    copy_bytes(reinterpret_cast<void*>(info), taken, sizeof taken);
  }
  return SIGSYS;
}

void observe_default_actions() {
  if (g_gate.region.header == nullptr) return;
  // One call a signal rather than a read and then a write: the observer goes
  // in, and the action it replaced comes back where it was not SIG_DFL (an
  // image's start: SIG_IGN an exec kept). With every signal blocked meanwhile,
  // none is delivered to an observer it was not meant for; one that arrived is
  // delivered after, by the action restored (SIG_IGN drops it).
  uint64_t all = arch::kAllSignals, saved = 0;
  raw_syscall(__NR_rt_sigprocmask, SIG_SETMASK, addr(&all), addr(&saved), kSigsetBytes);
  lock_handlers();
  for (int sig = 1; sig <= 64; ++sig) {
    if (!observes_default(sig) || (g_gate.region.raise_again == 0 && !is_quiet(sig))) continue;
    KernelSigaction replaced;
    if (install_observer(sig, &replaced) != 0) continue;
    if (replaced.handler == kSigDfl) {
      g_gate.app_default_actions[sig - 1] = replaced;
      set_quiet_observed(sig, true);
    } else {
      raw_syscall(__NR_rt_sigaction, static_cast<uint64_t>(sig), addr(&replaced), 0, kSigsetBytes);
    }
  }
  unlock_handlers();
  raw_syscall(__NR_rt_sigprocmask, SIG_SETMASK, addr(&saved), 0, kSigsetBytes);
}

void strip_sigsys_from_installed_handlers() {
  for (int sig = 1; sig <= 64; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP || sig == SIGSYS) continue;
    KernelSigaction action;
    if (raw_syscall(__NR_rt_sigaction, static_cast<uint64_t>(sig), 0, addr(&action), kSigsetBytes) != 0) continue;
    if ((action.mask & kSigsysBit) == 0) continue;
    remember_mask_had_sigsys(sig, true);
    action.mask &= ~kSigsysBit;
    raw_syscall(__NR_rt_sigaction, static_cast<uint64_t>(sig), addr(&action), 0, kSigsetBytes);
  }
}

bool program_sigsys_ignored(const GateThread* t) {
  // A CLONE_VM child without the program's actions: its own, if it set one;
  // else what it was born with, its parent's (which waits in vfork).
  const int32_t pid = static_cast<int32_t>(raw_syscall(__NR_getpid));
  if (t->foreign_handlers != 0 || t->pid != pid) {
    const uint64_t child = load_acquire(&g_gate.spawned_child_sigsys);
    if (static_cast<int32_t>(child >> 32) == pid) return (child & kSpawnedChildIgnores) != 0;
  }
  lock_app_sigsys();
  const bool ignored = g_gate.app_sigsys.handler == kSigIgn;
  unlock_app_sigsys();
  return ignored;
}

}  // namespace sysgate::gate
