// The SIGSYS handler: the trap path.
//
// The kernel filter answered SECCOMP_RET_TRAP for a syscall of the program, or
// Syscall User Dispatch caught it (user_dispatch.h); the kernel rolled the
// registers back to the syscall's entry (rax = nr, rip after the instruction)
// and delivered SIGSYS on the registered alternate stack with every signal
// blocked (the handler's sa_mask). The handler
//   1. checks the signal is such a trap for x86-64 (any other SIGSYS is the
//      program's: deliver_foreign_sigsys),
//   2. finds the thread's state through the GS base or the frame's alternate-stack record,
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

#include "gate/close_range.h"
#include "gate/app_memory.h"
#include "gate/call_before.h"
#include "gate/call_snapshot.h"
#include "gate/call.h"
#include "gate/deferred_signal.h"
#include "gate/exe_link.h"
#include "gate/exec_via_loader.h"
#include "gate/hooks.h"
#include "gate/inject.h"
#include "gate/moved_handler.h"
#include "gate/process.h"
#include "gate/program_dispatch.h"
#include "gate/program_filters.h"
#include "gate/program_traps.h"
#include "gate/raw_syscall.h"
#include "gate/signal_frame.h"
#include "gate/rewrite.h"
#include "gate/signals.h"
#include "gate/syscall_classes.h"
#include "gate/trace_emit.h"
#include "gate/user_dispatch.h"
#include "gate/util.h"

namespace sysgate::gate {

void set_real_mask(uint64_t mask) { raw_syscall(__NR_rt_sigprocmask, SIG_SETMASK, addr(&mask), 0, 8); }

long forward_blocking(const arch::KernelUcontext* uc, long nr, const uint64_t a[6], PendingCall* pending);

namespace {

// forward() where a filter of the program's may trap the call (program_traps.h):
// with SIGSYS open even for a call that cannot block.
long forward_open_to_program_traps(const arch::KernelUcontext* uc, long nr, const uint64_t a[6],
                                   PendingCall* pending) {
  const ProgramTrapWindow window(thread_from_gs());
  if (may_block(nr, a)) return forward_blocking(uc, nr, a, pending);
  const uint64_t call[7] = {static_cast<uint64_t>(nr), a[0], a[1], a[2], a[3], a[4], a[5]};
  const uint64_t mask = arch::kAllSignals & ~arch::kSigsysBit;
  return sysgate_gate_blocking_syscall_masked(uc, call, &mask);
}

}  // namespace

long forward(const arch::KernelUcontext* uc, long nr, const uint64_t a[6], PendingCall* pending) {
  if (program_filters_may_trap()) return forward_open_to_program_traps(uc, nr, a, pending);
  if (!may_block(nr, a)) return raw_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  return forward_blocking(uc, nr, a, pending);
}

long forward_blocking(const arch::KernelUcontext* uc, long nr, const uint64_t a[6], PendingCall* pending) {
  // With the program's mask -- which never holds SIGSYS (sigprocmask is
  // virtualised) -- so its handlers may run, and trap, during the call. The
  // stub's unwind information leads from there straight back into the program.
  // While tracing, plus the signals whose observer must not interrupt it (signals.h).
  const uint64_t call[7] = {static_cast<uint64_t>(nr), a[0], a[1], a[2], a[3], a[4], a[5]};
  const uint64_t quiet = quiet_signals_during(nr, a);
  const uint64_t mask = uc->uc_sigmask | quiet;
  if (pending == nullptr && quiet == 0) return sysgate_gate_blocking_syscall_masked(uc, call, &mask);
  // A signal arriving as the call returns writes its record first (trace_emit.h).
  GateThread* t = pending != nullptr ? pending->thread : thread_from_gs();
  // (A thread the gate never saw start has its parent's GS base.)
  if (t == nullptr || (pending == nullptr && t->tid != static_cast<int32_t>(raw_syscall(__NR_gettid)))) {
    return sysgate_gate_blocking_syscall_masked(uc, call, &mask);
  }
  PendingCall* const outer = t->pending_call;
  const uint64_t outer_added = t->quiet_added;
  const ProgramPlace* const outer_quiet_place = t->quiet_place;
  if (pending != nullptr) t->pending_call = pending;
  t->quiet_added = quiet & ~uc->uc_sigmask;
  t->quiet_place = t->program_place;
  asm volatile("" ::: "memory");
  const long r = sysgate_gate_blocking_syscall_masked(uc, call, &mask);
  asm volatile("" ::: "memory");
  t->quiet_added = outer_added;
  t->quiet_place = outer_quiet_place;
  t->pending_call = outer;
  return r;
}

namespace {

long dispatch(GateThread* t, arch::KernelUcontext* uc, Call& call) {
  const uint64_t* a = call.args;
  switch (call.nr) {
    case __NR_rt_sigaction:
      return emulate_rt_sigaction(t, call);
    case __NR_rt_sigprocmask:
      return emulate_rt_sigprocmask(t, uc, call);
    case __NR_rt_sigpending:
      return emulate_rt_sigpending(t, uc, call);
    case __NR_rt_sigtimedwait:
      return emulate_rt_sigtimedwait(t, uc, call);
    case __NR_sigaltstack:
      return emulate_sigaltstack(t, uc, call);
    case __NR_rt_sigsuspend:
    case __NR_ppoll:
    case __NR_pselect6:
    case __NR_epoll_pwait:
    case __NR_epoll_pwait2:
      return forward_without_sigsys_in_mask(t, uc, call);
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
      // Under the interposer there is no loader for the next image, which
      // would inherit the filter without the gate (include/sysgate/interposer.h).
      if (interposer_started()) return -EPERM;
      return exec_via_loader(t, uc, call);
    case __NR_rt_sigreturn:
      die("rt_sigreturn was trapped by a filter: it must allow it from every address");
    case __NR_arch_prctl:
      if (a[0] == 0x1001 /* ARCH_SET_GS */) {
        // Before the GS base changes: it no longer finds the gate. The program's
        // alternate stacks go back to virtual (thread_sync_altstack, below).
        rewrite_program_sets_gs();
        store_release(&g_gate.gs_owned, 0u);
        t->gs_set = 0;
      }
      return forward(uc, call.nr, a);
    case __NR_readlink:
    case __NR_readlinkat: {
      long ret;
      if (emulate_exe_link(t, call, &ret)) return ret;
      return hooked_forward(uc, call);
    }
    case __NR_close_range:
      if (close_range_covers_protected(a)) {
        call.record_flags |= trace::kRecordEmulated;
        return emulate_close_range(a);
      }
      return hooked_forward(uc, call);
    case __NR_prctl: {
      if (is_program_dispatch_call(a) && !user_dispatch_on()) return program_dispatch_set(t, a);
      // The program's own filter: the gate's later prctls must not depend on it (program_filters.h).
      if (const long e = program_filter_before(t, call.nr, a); e != 0) return e;
      const long r = forward(uc, call.nr, a);
      if (r == 0 && a[0] == PR_SET_TSC) t->tsc_disabled = a[1] == PR_TSC_SIGSEGV ? 1 : 0;
      program_filter_after(t, call.nr, a, r);
      return r;
    }
    case __NR_seccomp: {
      if (const long e = program_filter_before(t, call.nr, a); e != 0) return e;
      const long r = hooked_forward(uc, call);
      program_filter_after(t, call.nr, a, r);
      return r;
    }
    default:
      if (call.nr < 0) {
        call.record_flags |= trace::kRecordEmulated;
        return -ENOSYS;
      }
      if ((static_cast<uint64_t>(call.nr) & arch::kX32SyscallBit) != 0) {
        // Made again, unhooked, from the gate's instruction: the policy filter
        // decides, as for a call it saw first (sysgate's filters kill x32
        // calls; Syscall User Dispatch hands them to the gate before seccomp).
        return forward(uc, call.nr, a);
      }
      return hooked_forward(uc, call);  // the interposer's hooks, if any; else forward()
  }
}

// Under Syscall User Dispatch the program's own rt_sigreturn (a handler
// returning through libc's restorer) traps too, and the gate performs it: the
// program's frame -- its ucontext at the program's rsp, where the kernel's
// rt_sigreturn would read it, the restorer's `ret` having popped pretcode --
// replaces this SIGSYS frame's registers, FPU state pointer, flags and signal
// mask (without SIGSYS, which the gate never really blocks); the gate's own
// rt_sigreturn then restores them, with the kernel's checks. The alternate
// stack stays the gate's to register (thread_sync_altstack). Not traced: a
// sigreturn was never in the trace (the redirect filter lets it through).
void emulate_rt_sigreturn(arch::KernelUcontext* uc) {
  const uint64_t frame = uc->mc.rsp;
  if (!app_probe_read(frame, sizeof(arch::KernelUcontext))) die("rt_sigreturn with an unreadable frame at", frame);
  arch::KernelUcontext program;
  copy_bytes(&program, reinterpret_cast<const void*>(frame), sizeof program);
  uc->uc_flags = program.uc_flags;
  uc->mc = program.mc;
  uc->uc_sigmask = program.uc_sigmask & ~arch::kSigsysBit;
}

constexpr uint64_t kMinGateStackLeft = 32 * 1024;  // for the handler itself

}  // namespace

// Called by sysgate_gate_sigsys_entry before anything else, on the stack the
// kernel chose. Returns where the frame was copied (the new rsp, pointing at the
// copy's return address), or 0 to stay.
//
// The kernel delivers SIGSYS (SA_ONSTACK) on the registered alternate stack:
//   - the gate stack (the program has none): stay;
//   - the program's own, and the program was already running on it (a handler of
//     its own trapped): stay, below the program's rsp, exactly where the kernel
//     puts any nested signal -- the program's next signal lands below us, and
//     nothing above is touched;
//   - the program's own, at its top (the program was elsewhere): move the frame
//     (and its FPU state) to the gate stack and run there, so that a program
//     signal arriving during a blocking call -- which the kernel delivers at the
//     top of the program's stack, since rsp is not on it -- finds it free, as it
//     would natively. On the gate stack: at its top, or below the interrupted
//     rsp when that is on the gate stack (a program handler running there), the
//     rule trampolines follow too.
// Signals are blocked (the handler's sa_mask). No syscall.
extern "C" uint64_t sysgate_gate_sigsys_relocate(uint64_t frame, arch::KernelUcontext* uc, arch::KernelSiginfo* info) {
  const arch::KernelStack& ss = uc->uc_stack;
  if ((ss.ss_flags & SS_DISABLE) != 0 || ss.ss_size == 0) return 0;
  GateThread* t = thread_from_gs();
  if (t == nullptr) return 0;
  const uint64_t gate_base = addr(t->stack);
  if (ss.ss_sp == gate_base) return 0;
  const uint64_t sp = uc->mc.rsp;
  if (on_stack(sp, ss.ss_sp, ss.ss_size)) return 0;
  if (addr(uc) != frame + 8 || addr(info) != frame + 8 + sizeof(arch::KernelUcontext)) return 0;
  const uint64_t fpstate = uc->mc.fpstate;
  uint64_t fp_bytes = 0;
  if (!fpstate_bytes(uc, &fp_bytes)) return 0;
  // The kernel put it above the frame, on the same stack.
  if (fpstate != 0 && (fpstate < frame + kSigframeBytes || fpstate + fp_bytes > ss.ss_sp + ss.ss_size)) return 0;
  uint64_t top = gate_base + t->stack_bytes;
  if (on_stack(sp, gate_base, t->stack_bytes)) top = sp - kRedZoneBytes;
  uint64_t new_fp = 0;
  const uint64_t new_frame = signal_frame_place(top, fp_bytes, &new_fp);
  if (new_frame < gate_base + kMinGateStackLeft || new_frame > top) return 0;
  copy_signal_frame(frame, uc, fp_bytes, new_frame, new_fp);
  return new_frame;
}

namespace {

void handle_sigsys(arch::KernelSiginfo* info, arch::KernelUcontext* uc) {
  adopt_unseen_fork();  // a fork child's first trap: its copy of the thread state becomes its own
  bool dispatched = info->si_code == kSysUserDispatch && user_dispatch_on();
  if (info->si_code == kSysUserDispatch && !dispatched) {
    // The program's own SUD (program_dispatch.h): from the region it exempted,
    // a call the kernel would have made; else its to handle.
    const GateThread* t = thread_from_context(uc);
    dispatched = program_dispatch_on(t) && program_dispatch_exempt(t, info->call_addr);
  }
  // A seccomp trap of the program's own filter, kill(pid, SIGSYS), the
  // program's SUD and the like: the program's to handle -- once the call's
  // line is written, if its filter trapped a call the gate was making for it
  // (program_traps.h).
  if (!dispatched && !is_gate_trap(info)) {
    if (info->si_code == arch::kSysSeccomp && program_trap_at_gate(thread_from_gs(), info, uc)) return;
    deliver_foreign_sigsys(info, uc);
    return;
  }
  if (info->arch != arch::kAuditArchX86_64) die("trapped syscall of a foreign architecture; arch", info->arch);
  GateThread* t = thread_from_context(uc);
  moved_levels_follow_altstack(t, uc->uc_stack);  // handlers moved, returned untrapped (`run`)
  // trace -k: where an unwinder starts (the outer call's back after this one).
  CallRegisters registers;
  const CallRegistersRestore restore_registers{t, t->call_registers};
  if (g_gate.region.stack_bytes != 0) set_call_registers(t, &registers, uc, info->call_addr);
  if (dispatched && info->syscall == __NR_rt_sigreturn) {
    ++t->trap_calls;
    const uint64_t enter_tsc = call_enter_tsc(t);  // trace -T
    moved_frame_returns(t, uc->mc.rsp - 8);  // a handler moved to the program's stack (moved_handler.h)
    emulate_rt_sigreturn(uc);
    thread_sync_altstack(t, uc);
    if (g_gate.region.stack_bytes != 0) {
      // trace -k: strace shows the stack the frame restored. Into a call the
      // gate was making (the signal arrived there): that call's, as the
      // program made it; else the restored registers.
      t->call_registers = registers.outer;
      const bool into_gate = uc->mc.rip >= g_gate.code_begin && uc->mc.rip < g_gate.code_end;
      if (!into_gate) set_call_registers(t, &registers, uc, uc->mc.rip);
    }
    // As strace shows it: the mask the frame restores, as the program sees it
    // (SIGSYS as it blocked it: the kernel's frame never has it), and the rax
    // the frame restores as the result.
    const uint64_t shown_mask = (uc->uc_sigmask & ~arch::kSigsysBit) | (t->sigsys_blocked != 0 ? arch::kSigsysBit : 0);
    const uint64_t args[6] = {addr(&shown_mask), 0, 0, 0, 0, 0};
    trace_syscall(t, trace::kRecordSyscall, 0, __NR_rt_sigreturn, args, static_cast<long>(uc->mc.rax), enter_tsc,
                  info->call_addr);
    return;
  }
  // Where the program is, for a handler of its own that interrupts the call
  // (moved_handler.h).
  const uint64_t callee_saved[8] = {uc->mc.rbx, uc->mc.rbp, uc->mc.r12, uc->mc.r13,
                                    uc->mc.r14, uc->mc.r15, 0,          uc->mc.eflags};
  const ProgramPlaceScope place(t, uc->mc.rsp, callee_saved, uc->mc.rip);
  Call call;
  call.pending = nullptr;
  call.nr = info->syscall;
  for (int i = 0; i < 6; ++i) call.args[i] = arch::syscall_arg(*uc, i);
  call.record_flags = 0;
  call.recorded = false;
  call.ip = info->call_addr;
  ++t->trap_calls;
  const uint64_t enter_tsc = call_enter_tsc(t);  // trace -T
  const uint64_t outer_ip = t->call_ip;  // a call interrupted by the program's handler we run in
  t->call_ip = call.ip;
  const InjectStep inject = inject_enter(t, call.nr);  // trace -e inject=
  call.record_flags |= inject.record_flags();
  const uint64_t before = call_before(call.nr, call.args);  // an in/out length the call overwrites
  CallSnapshot snapshot;                                     // structs the call overwrites (select's fd sets)
  call_snapshot(call.nr, call.args, &snapshot);
  PendingCall pending;
  pending.set(t, call.record_flags, call.nr, call.args, enter_tsc, call.ip, before, &snapshot, 1);
  call.pending = &pending;
  OpenCallMark open;
  open.control = nullptr;
  if (!inject.returns() && signal_prone(call.nr, call.args)) open_call_begin(t, call.nr, call.args, &open);
  const long ret = inject.returns() ? inject.rule->ret : dispatch(t, uc, call);
  open_call_end(t, open);
  call.pending = nullptr;
  t->call_ip = outer_ip;
  uc->mc.rax = static_cast<uint64_t>(ret);
  // rt_sigreturn installs uc_stack: the program's alternate stack once it has one.
  thread_sync_altstack(t, uc);
  if (!call.recorded && pending.recorded == 0) {
    trace_syscall(t, trace::kRecordSyscall, call.record_flags, call.nr, call.args, ret, enter_tsc, call.ip, before,
                  &snapshot);
  }
  inject_exit(t, inject);  // every signal is blocked here: its signal arrives after the sigreturn
  deliver_program_trap(t, call, uc);  // after the call's line, as strace shows it
  deliver_pending_sigsys(t, uc);      // a kill-sent SIGSYS the program just unblocked
  // Lazily move this site onto a trampoline (a no-op unless --gate rewrite=1).
  rewrite_after_trap(call.nr, info->call_addr);
}

}  // namespace

// Signals deferred in a trampoline (deferred_signal.h) are blocked: open in the
// mask the trapped call sees and restores, and the kernel delivers them as the
// handler returns to the program -- also those deferred meanwhile, as the
// blocking stub's call returned.
extern "C" void sysgate_gate_handle_sigsys(int, arch::KernelSiginfo* info, arch::KernelUcontext* uc) {
  deferred_out_of_frame(thread_from_gs(), uc);
  handle_sigsys(info, uc);
  deferred_to_frame(thread_from_gs(), uc);
}

}  // namespace sysgate::gate
