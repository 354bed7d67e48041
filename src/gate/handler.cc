// The SIGSYS handler: the trap path.
//
// The kernel filter answered SECCOMP_RET_TRAP for a syscall of the program; the
// kernel rolled the registers back to the syscall's entry (rax = nr, rip after
// the instruction) and delivered SIGSYS on the thread's gate stack with every
// signal blocked (the handler's sa_mask). The handler
//   1. checks the signal is a seccomp trap for x86-64 (else dies: the gate owns SIGSYS),
//   2. finds the thread's state through the frame's alternate-stack record,
//   3. performs the call -- itself, from the gate's instruction, or emulated --
//   4. stores the result in the frame's rax and appends the trace record;
// returning runs the restorer: rt_sigreturn reloads every register from the
// frame (so the program sees only rax change, as after a real syscall; rcx and
// r11 hold what `syscall` leaves there) and installs the frame's signal mask.
//
// Nothing here writes to the program's stack (except in the one trap of a thread
// that has no gate stack yet, see thread_state.h) or touches vector registers (the
// gate is built with -mgeneral-regs-only; the kernel saved and will restore the
// vector state). Re-entrancy: signals stay blocked except while a call that may
// block runs with the program's mask; a handler of the program's that runs then
// (on this same gate stack, below this frame) and traps again gets a nested,
// independent invocation. The only state shared between invocations is the
// thread's ring, written only with signals blocked, and the per-thread signal
// bits, each updated by one store.
#include <asm/errno.h>
#include <asm/unistd.h>
#include <linux/prctl.h>
#include <linux/sched.h>

#include "gate/call.h"
#include "gate/exec_via_loader.h"
#include "gate/process.h"
#include "gate/raw_syscall.h"
#include "gate/rewrite.h"
#include "gate/signals.h"
#include "gate/syscall_classes.h"
#include "gate/trace_emit.h"
#include "gate/util.h"

namespace sysgate::gate {

void set_real_mask(uint64_t mask) { raw_syscall(__NR_rt_sigprocmask, SIG_SETMASK, addr(&mask), 0, 8); }

long forward(const arch::KernelUcontext* uc, long nr, const uint64_t a[6]) {
  if (!may_block(nr, a)) return raw_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  // With the program's mask -- which never holds SIGSYS (sigprocmask is
  // virtualised) -- so its handlers may run, and trap, during the call. The
  // stub's unwind information leads from there straight back into the program.
  const uint64_t call[7] = {static_cast<uint64_t>(nr), a[0], a[1], a[2], a[3], a[4], a[5]};
  return sysgate_gate_blocking_syscall(uc, call);
}

namespace {

long dispatch(GateThread* t, arch::KernelUcontext* uc, Call& call) {
  const uint64_t* a = call.args;
  switch (call.nr) {
    case __NR_rt_sigaction:
      return emulate_rt_sigaction(call);
    case __NR_rt_sigprocmask:
      return emulate_rt_sigprocmask(t, uc, call);
    case __NR_rt_sigpending:
      return emulate_rt_sigpending(t, uc, call);
    case __NR_sigaltstack:
      return emulate_sigaltstack(t, uc, call);
    case __NR_rt_sigsuspend:
    case __NR_ppoll:
    case __NR_pselect6:
    case __NR_epoll_pwait:
    case __NR_epoll_pwait2:
      return forward_without_sigsys_in_mask(uc, call);
    case __NR_clone:
      return do_clone(t, uc, call, a[0], a[1], a[2], a[3], a[4]);
    case __NR_clone3:
      call.record_flags |= trace::kRecordEmulated;
      return -ENOSYS;
    case __NR_fork:
      return do_fork(t, call);
    case __NR_vfork:
      return do_clone(t, uc, call, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
    case __NR_exit:
    case __NR_exit_group:
      rewrite_thread_exits(t, call.nr == __NR_exit_group);
      do_exit(t, call);
    case __NR_execve:
    case __NR_execveat:
      return exec_via_loader(t, uc, call);
    case __NR_rt_sigreturn:
      die("rt_sigreturn was trapped: the filter must allow it from every address");
    case __NR_arch_prctl:
      if (a[0] == 0x1001 /* ARCH_SET_GS */) rewrite_program_sets_gs();  // before the GS base changes
      return forward(uc, call.nr, a);
    case __NR_prctl: {
      const long r = forward(uc, call.nr, a);
      if (r == 0 && a[0] == PR_SET_TSC) t->tsc_disabled = a[1] == PR_TSC_SIGSEGV ? 1 : 0;
      return r;
    }
    default:
      if (call.nr < 0 || (static_cast<uint64_t>(call.nr) & arch::kX32SyscallBit) != 0) {
        call.record_flags |= trace::kRecordEmulated;  // never forward x32 calls
        return -ENOSYS;
      }
      return forward(uc, call.nr, a);
  }
}

}  // namespace

extern "C" void sysgate_gate_handle_sigsys(int, arch::KernelSiginfo* info, arch::KernelUcontext* uc) {
  if (info->si_code != arch::kSysSeccomp) {
    die("SIGSYS not sent by seccomp (SIGSYS belongs to the gate); si_code", info->si_code);
  }
  if (info->arch != arch::kAuditArchX86_64) die("trapped syscall of a foreign architecture; arch", info->arch);
  GateThread* t = thread_from_context(uc);
  Call call;
  call.nr = info->syscall;
  for (int i = 0; i < 6; ++i) call.args[i] = arch::syscall_arg(*uc, i);
  call.record_flags = 0;
  call.recorded = false;
  ++t->trap_calls;
  const long ret = dispatch(t, uc, call);
  uc->mc.rax = static_cast<uint64_t>(ret);
  if (!call.recorded) trace_syscall(t, trace::kRecordSyscall, call.record_flags, call.nr, call.args, ret);
  // Lazily move this site onto a trampoline (a no-op unless --gate rewrite=1).
  rewrite_after_trap(call.nr, info->call_addr);
}

}  // namespace sysgate::gate
