// The gate's symbols are in this same library: reach them PC-relative, not
// through a GOT (the freestanding check refuses _GLOBAL_OFFSET_TABLE_).
#pragma GCC visibility push(hidden)
#include "gate/gate.h"
#pragma GCC visibility pop
#include "gate/deferred_signal.h"

#include <asm/unistd.h>
#include <stddef.h>

#include "gate/moved_handler.h"
#include "gate/raw_syscall.h"
#include "gate/rewrite.h"
#include "gate/signal_frame.h"
#include "gate/trace_emit.h"
#include "gate/user_dispatch.h"
#include "gate/util.h"
#include "trace/ring_format.h"

extern "C" {
// trampoline.S: the checks, and the ends of what each guards.
extern const char sysgate_tramp_fast_check[] __attribute__((visibility("hidden")));
extern const char sysgate_tramp_fast_return[] __attribute__((visibility("hidden")));
extern const char sysgate_tramp_fast_exit_check[] __attribute__((visibility("hidden")));
extern const char sysgate_tramp_fast_exit_end[] __attribute__((visibility("hidden")));
extern const char sysgate_tramp_cpp_exit_check[] __attribute__((visibility("hidden")));
extern const char sysgate_tramp_cpp_exit_popf[] __attribute__((visibility("hidden")));
extern const char sysgate_tramp_cpp_exit_leave[] __attribute__((visibility("hidden")));
extern const char sysgate_tramp_cpp_exit_end[] __attribute__((visibility("hidden")));
extern const char sysgate_tramp_entry_stcheck[] __attribute__((visibility("hidden")));
extern const char sysgate_tramp_entry[] __attribute__((visibility("hidden")));
extern const char sysgate_tramp_template[] __attribute__((visibility("hidden")));
extern const char sysgate_tramp_entry_stcheck_end[] __attribute__((visibility("hidden")));
// gate_entry.S
extern const char sysgate_gate_program_check[] __attribute__((visibility("hidden")));
extern const char sysgate_gate_program_call_return[] __attribute__((visibility("hidden")));
// vector_state.S
void sysgate_vector_save(void* area, uint64_t features) __attribute__((visibility("hidden")));
}

namespace sysgate::gate {
namespace {

constexpr int kSigSetmask = 2;
constexpr uint32_t kFpXstateMagic1 = 0x46505853;  // FP_XSTATE_MAGIC1
constexpr uint32_t kFpXstateMagic2 = 0x46505845;  // FP_XSTATE_MAGIC2
constexpr uint64_t kFxswOffset = 464;             // struct _fpx_sw_bytes in the fxsave area
// The largest xsave layout deferred (AVX-512 ~2.7 KiB, AMX's tiles 8 KiB
// more): the delivery takes that much of the stack it runs on.
constexpr uint64_t kMaxXsaveBytes = 16 * 1024;

uint64_t at(const char* symbol) { return reinterpret_cast<uint64_t>(symbol); }

bool in(uint64_t rip, const char* begin, const char* end) { return rip >= at(begin) && rip < at(end); }

// A fault of the gate's own: never deferred (it would fault again).
bool is_fault(int sig, const uint8_t* info) {
  if (sig != SIGSEGV && sig != SIGBUS && sig != SIGILL && sig != SIGFPE && sig != SIGTRAP) return false;
  int32_t code = 0;
  copy_bytes(&code, info + 8, sizeof code);  // si_code
  return code > 0;                           // from the kernel, not sent
}

// Where the gate is in the program's call when a signal finds it at mc,
// rewound to the check that guards it: rip at the check, rsp as it was
// there. False where a deferred signal would not be seen by a check before
// the gate makes a call or gets back to the program, or where the handler
// runs at the program's call itself (moved_handler.h).
bool rewind_to_check(arch::KernelSigcontext* mc) {
  const uint64_t rip = mc->rip;
  if (call_point(*mc) != CallPoint::kElsewhere) return false;
  // The trap path's blocking stub, up to its call: the program's mask is on
  // and the call is still to be made, with no check (the handler runs there).
  const uint64_t stub = reinterpret_cast<uint64_t>(&sysgate_gate_blocking_syscall_masked);
  if (rip >= stub && rip < at(sysgate_gate_blocking_call_return)) return false;
  if (rip == at(sysgate_gate_syscall_insn) || rip == at(sysgate_gate_syscall_begin)) {
    // A call of the stub's before the program's (its mask) returns there.
    const uint64_t ret = *reinterpret_cast<const uint64_t*>(mc->rsp);
    if (ret >= stub && ret < at(sysgate_gate_blocking_call_return)) return false;
  }
  // stcheck's taken branch goes back to the program unchecked.
  if (in(rip, sysgate_tramp_entry_stcheck, sysgate_tramp_entry_stcheck_end)) return false;
  if (in(rip, sysgate_tramp_fast_check, sysgate_tramp_fast_return)) {
    mc->rip = at(sysgate_tramp_fast_check);
  } else if (in(rip, sysgate_tramp_fast_exit_check, sysgate_tramp_fast_exit_end)) {
    mc->rip = at(sysgate_tramp_fast_exit_check);
  } else if (in(rip, sysgate_tramp_cpp_exit_check, sysgate_tramp_cpp_exit_popf)) {
    mc->rip = at(sysgate_tramp_cpp_exit_check);
  } else if (rip == at(sysgate_tramp_cpp_exit_popf)) {
    mc->rip = at(sysgate_tramp_cpp_exit_check);
    mc->rsp -= 8;
  } else if (rip == at(sysgate_tramp_cpp_exit_leave)) {
    mc->rip = at(sysgate_tramp_cpp_exit_check);
    mc->rsp -= 16;
  } else if (in(rip, sysgate_gate_program_check, sysgate_gate_program_call_return)) {
    // Up to its syscall instruction (at it, call_point said kBefore).
    mc->rip = at(sysgate_gate_program_check);
  }
  return true;
}

// Whether a signal found the gate's blocking stub right after the program's
// call, which it ended (EINTR) or came as it returned, where the moved
// handler's frame cannot show the program (without Syscall User Dispatch the
// program's rt_sigreturn is not trapped: `sysgate run`), or where the wrapper
// would not move the handler at all (handler_stays_put). The stub then blocks
// every signal, and the SIGSYS handler's return opens the deferred ones at
// the program's registers, the result in rax -- as natively.
bool ended_a_trapped_call(const GateThread* t, int sig, const arch::KernelUcontext* uc) {
  const arch::KernelSigcontext& mc = uc->mc;
  return call_point(mc) == CallPoint::kAfter &&
         *reinterpret_cast<const uint64_t*>(mc.rsp) == at(sysgate_gate_blocking_call_return) &&
         (!user_dispatch_on() || handler_stays_put(t, sig, uc));
}

// Whether a signal found a trampoline at the program's call -- where its
// handler runs at once, moved to the program's stack (moved_handler.h) --
// with a handler the wrapper would leave where the kernel put it (an
// SA_ONSTACK one, one of a thread with an alternate stack of its own, a
// fifth level): on top of the gate's frames, seeing the gate's registers.
// Deferred instead: after the call (kAfter) as the trampoline gets back; at
// it (kBefore: not made yet, or to be restarted) rewound to the check before
// it, which delivers the signal at the program's syscall instruction.
bool at_a_trampolines_call_to_stay_put(const GateThread* t, int sig, const arch::KernelUcontext* uc,
                                       arch::KernelSigcontext* rewound) {
  const CallPoint point = call_point(uc->mc);
  if (point != CallPoint::kBefore && point != CallPoint::kAfter) return false;
  const uint64_t ret = *reinterpret_cast<const uint64_t*>(uc->mc.rsp);
  const bool fast = ret == at(sysgate_tramp_fast_return);
  if ((!fast && ret != at(sysgate_gate_program_call_return)) || !handler_stays_put(t, sig, uc)) return false;
  if (point == CallPoint::kBefore) {
    rewound->rsp += 8;  // the call to the syscall instruction, not made
    rewound->rip = fast ? at(sysgate_tramp_fast_check) : at(sysgate_gate_program_check);
  }
  return true;
}

// Whether a signal found the gate at mc at work: in a trampoline's code (a
// slot; the assembly, on whatever stack), or in the gate's code on the gate
// stack (a trampoline's C++ path, the SIGSYS handler's stub). Not the gate's
// code on the program's alternate stack: there it is mostly the signal
// wrapper entering an SA_ONSTACK handler in place, which would start with a
// signal deferred meanwhile blocked (what handler_mask undoes for a moved
// handler).
bool at_work(const GateThread* t, const arch::KernelSigcontext& mc) {
  const uint64_t rip = mc.rip;
  if (rip >= g_gate.code_begin && rip < g_gate.code_end) {
    return in(rip, sysgate_tramp_entry, sysgate_tramp_template) || on_stack(mc.rsp, addr(t->stack), t->stack_bytes);
  }
  return rewrite_in_slot_code(rip);
}

}  // namespace

void deferred_out_of_frame(const GateThread* t, arch::KernelUcontext* uc) {
  if (t != nullptr) uc->uc_sigmask &= ~load_relaxed(&t->deferred);
}

void deferred_to_frame(GateThread* t, arch::KernelUcontext* uc) {
  if (t == nullptr) return;
  const uint64_t deferred = load_relaxed(&t->deferred);
  if (deferred == 0) return;
  uc->uc_sigmask &= ~deferred;
  store_relaxed(&t->deferred, uint64_t{0});
}

}  // namespace sysgate::gate

using namespace sysgate::gate;

namespace {

uint64_t defer(GateThread* t, int sig, const uint8_t* info, arch::KernelUcontext* uc) {
  const uint64_t bit = arch::sigbit(sig);
  arch::KernelSigcontext& mc = uc->mc;
  // A trampoline's last instruction jumps back to the program, every
  // register the program's: the handler sees the program there.
  if ((mc.rip == at(sysgate_tramp_fast_exit_end) || mc.rip == at(sysgate_tramp_cpp_exit_end)) &&
      !on_stack(mc.rsp, addr(t->stack), t->stack_bytes)) {
    mc.rip = mc.rcx;
  }
  if (!at_work(t, mc)) {
    // Delivered to the program: a deferred copy a mask of the gate's let
    // through is one no longer waiting.
    if ((load_relaxed(&t->deferred) & bit) != 0 && t->tid == current_tid()) {
      store_relaxed(&t->deferred, load_relaxed(&t->deferred) & ~bit);
    }
    return 0;
  }
  const bool may_requeue = (g_gate.region.header != nullptr &&
                            g_gate.region.raise_again == sysgate::trace::kRaiseBySigqueue) ||
                           g_gate.may_requeue != 0;
  if (!may_requeue) return 0;
  if ((g_gate.flags & kGateHooks) != 0 || (load_relaxed(&g_gate.handler_resets) & bit) != 0) return 0;
  if (is_fault(sig, info)) return 0;
  // A frame whose FPU state the delivery can rebuild: the kernel's xsave layout.
  if (mc.fpstate == 0) return 0;
  const auto* fx = reinterpret_cast<const uint8_t*>(mc.fpstate);
  uint32_t sw[12];
  copy_bytes(sw, fx + kFxswOffset, sizeof sw);
  if (sw[0] != kFpXstateMagic1 || sw[4] < 576 || sw[4] + 4 > kMaxXsaveBytes) return 0;  // xstate_size
  if (t->tid != current_tid()) return 0;  // a thread the gate did not see start: its parent's state
  arch::KernelSigcontext rewound = mc;
  const bool ended = ended_a_trapped_call(t, sig, uc);
  const bool at_call = !ended && at_a_trampolines_call_to_stay_put(t, sig, uc, &rewound);
  if (!ended && !at_call && !rewind_to_check(&rewound)) return 0;
  // A real-time signal, queued again, goes behind any other of its number
  // queued meanwhile, which then overtakes it (review G's rtorder3: 0 after
  // 1007; checking for a pending one first still left a race with a sender
  // that keeps queueing, 5 of 20 000 out of order). So only where the
  // handler could not run otherwise at the program's registers -- a trapped
  // blocking call it ended under `run`: glibc's SIGCANCEL, whose unwinding
  // needs them -- and with none of its number pending; elsewhere its handler
  // runs where the signal found the gate. (A standard signal is deferred even
  // with another of its number pending: it merges into that one, as the
  // kernel merges standard signals -- one delivery where natively the second
  // would have waited for the first's handler.)
  constexpr int kFirstRealTime = 32;
  if (sig >= kFirstRealTime) {
    uint64_t pending = 0;
    if (!ended || raw_syscall(__NR_rt_sigpending, addr(&pending), 8) != 0 || (pending & bit) != 0) return 0;
  }
  if (ended || at_call) trace_pending_call(t, uc);  // the call's line before the signal's, as it ended
  uint8_t queued[128];
  copy_bytes(queued, info, sizeof queued);
  if (raw_syscall(__NR_rt_tgsigqueueinfo, static_cast<uint64_t>(current_pid()), static_cast<uint64_t>(t->tid),
                  static_cast<uint64_t>(sig), addr(queued)) != 0) {
    return 0;
  }
  mc.rip = rewound.rip;
  mc.rsp = rewound.rsp;
  uc->uc_sigmask |= bit;
  t->deferred_uc_flags = uc->uc_flags;
  copy_bytes(&t->deferred_segments, &mc.cs, sizeof t->deferred_segments);
  copy_bytes(t->deferred_fpx_sw, sw, sizeof sw);
  store_relaxed(&t->deferred, load_relaxed(&t->deferred) | bit);
  return addr(uc) - 8;  // the frame's return address
}

}  // namespace

extern "C" uint64_t sysgate_gate_signal_defer(int sig, const uint8_t* info, arch::KernelUcontext* uc) {
  if (sig < 1 || sig > 64) return 0;
  GateThread* t = thread_from_gs();
  if (t == nullptr || t->gs_set == 0) return 0;
  const uint64_t frame = defer(t, sig, info, uc);
  // A frame that goes to a handler is restored when the handler is done. The
  // gate blocked the deferred signals, not the program: kept blocked there,
  // restored after they went out, they would stay blocked for good (review
  // G's injcnt: a handler's trapped rt_sigreturn put back the interrupted
  // mask after the deferred SIGUSR1 went out; every later one then merged
  // into a pending, blocked one). Open, a copy still queued comes again and
  // is deferred again. (Not in a frame that defers: it goes straight back
  // into the gate, which must keep them blocked -- two deferred signals
  // would open each other without end.)
  if (frame == 0) deferred_out_of_frame(t, uc);
  return frame;
}

extern "C" void sysgate_gate_deliver_deferred(uint64_t* regs, uint64_t before) {
  GateThread* t = thread_from_gs();
  uint64_t all = arch::kAllSignals;
  uint64_t mask = 0;
  raw_syscall(__NR_rt_sigprocmask, kSigSetmask, addr(&all), addr(&mask), 8);
  const uint64_t deferred = load_relaxed(&t->deferred);
  store_relaxed(&t->deferred, uint64_t{0});

  struct Frame {  // struct rt_sigframe
    uint64_t pretcode;
    arch::KernelUcontext uc;
    uint8_t info[128];
  };
  // The FPU state's own size, not the largest: the trampoline may run on
  // the program's alternate stack, as small as the program made it (review
  // G's altovf: a 16 KiB area overflowed a 16 KiB stack).
  const uint32_t* sw = t->deferred_fpx_sw;
  const uint32_t size = sw[4];
  uint8_t* fp = reinterpret_cast<uint8_t*>((addr(__builtin_alloca(size + 4 + 63)) + 63) & ~uint64_t{63});
  alignas(16) Frame frame;
  zero_bytes(&frame, sizeof frame);
  arch::KernelSigcontext& mc = frame.uc.mc;
  copy_bytes(&mc, regs, 18 * 8);  // r8 .. eflags
  if (before || mc.rax == kCallNotMade) {
    // At the site's syscall instruction, which the program executes again
    // (the trap path makes it): the call was not made.
    if (mc.rax == kCallNotMade) mc.rax = t->deferred_call_nr;
    mc.rip -= 2;
  }
  copy_bytes(&mc.cs, &t->deferred_segments, sizeof t->deferred_segments);
  frame.uc.uc_flags = t->deferred_uc_flags;
  // rt_sigreturn installs uc_stack unless rsp is on the registered stack:
  // the registration as it is.
  raw_syscall(__NR_sigaltstack, 0, addr(&frame.uc.uc_stack));
  frame.uc.uc_stack.ss_flags &= ~1;  // SS_ONSTACK: what it says, not a mode
  frame.uc.uc_sigmask = mask & ~deferred;
  // The program's vector and x87 state as it is (the gate touches none), in
  // the layout the kernel wrote for the deferred signal.
  const uint64_t features = sw[2] | static_cast<uint64_t>(sw[3]) << 32;
  zero_bytes(fp + 512, 64);  // the XSAVE header
  sysgate_vector_save(fp, features);
  copy_bytes(fp + kFxswOffset, sw, sizeof t->deferred_fpx_sw);
  copy_bytes(fp + size, &kFpXstateMagic2, 4);
  mc.fpstate = addr(fp);
  sysgate_gate_launch_handler(addr(&frame));
}

// trampoline.S and gate_entry.S read it at this offset (GT_DEFERRED).
static_assert(offsetof(GateThread, deferred) == 2672);
