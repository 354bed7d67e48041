// The gate's symbols are in this same library: reach them PC-relative, not
// through a GOT (the freestanding check refuses _GLOBAL_OFFSET_TABLE_).
#pragma GCC visibility push(hidden)
#include "gate/gate.h"
#pragma GCC visibility pop
#include "gate/moved_handler.h"

#include <asm/unistd.h>
#include <stddef.h>

#include "gate/app_memory.h"
#include "gate/raw_syscall.h"
#include "gate/signal_frame.h"
#include "gate/user_dispatch.h"
#include "gate/util.h"

extern "C" {
extern const char sysgate_tramp_fast_return[] __attribute__((visibility("hidden")));
extern const char sysgate_gate_program_call_return[] __attribute__((visibility("hidden")));
extern const char sysgate_gate_blocking_mask_return[] __attribute__((visibility("hidden")));
extern const char sysgate_gate_blocking_call[] __attribute__((visibility("hidden")));
}

namespace sysgate::gate {
namespace {

constexpr uint32_t kMaxMoved = sizeof(GateThread::moved) / sizeof(GateThread::moved[0]);
constexpr int kSigSetmask = 2;
constexpr uint64_t kSsDisable = 2;
constexpr uint64_t kCalleeSavedBytes = 6 * 8;

bool on_gate_stack(const GateThread* t, uint64_t p) { return on_stack(p, addr(t->stack), t->stack_bytes); }

// The gate's registers at the signal, while the moved frame shows the
// program's (moved_handler.h), and what it shows, to tell what the handler
// changed.
struct KeptRegisters {
  uint64_t registers[18];  // KernelSigcontext r8 .. eflags: the gate's
  uint64_t shown[18];      // and what the frame shows
};
constexpr uint64_t kKeptBytes = sizeof(KeptRegisters);
static_assert(offsetof(arch::KernelSigcontext, eflags) == 17 * 8);

// Whether a signal that interrupted the gate at mc came at the syscall the
// gate makes for the program's call, whose site ends at program_ip: after it
// (rax is the call's result), or at it (rax is the number: the kernel
// restarts it, or it is still to be made) where the program's own syscall
// instruction is still there to restart it (a punned jump may have taken its
// bytes). Only there is the program's state the frame can show a state it
// can go on from (the gate's call abandoned, moved_handler.h): elsewhere in
// the gate the call is half made or its result is not in rax.
bool at_the_calls_syscall(const arch::KernelSigcontext& mc, uint64_t program_ip) {
  const CallPoint point = call_point(mc);
  if (point == CallPoint::kAfter) return true;
  if (point == CallPoint::kElsewhere || !app_probe_read(program_ip - 2, 2)) return false;
  const auto* insn = reinterpret_cast<const uint8_t*>(program_ip - 2);
  return insn[0] == 0x0f && insn[1] == 0x05;
}

// The frame shows the program at its call: after its syscall instruction (at
// it, with the number in rax, when the kernel is to restart the gate's call),
// its rsp and callee-saved registers (null: the live ones, unchanged).
void show_program_registers(arch::KernelSigcontext* mc, uint64_t program_sp, const uint64_t* callee_saved,
                            uint64_t program_ip, KeptRegisters* kept) {
  copy_bytes(kept->registers, mc, sizeof kept->registers);
  const CallPoint point = call_point(*mc);
  if (point == CallPoint::kBeforeInStub) {
    // The number and arguments are still being loaded from the stub's
    // call[] (r12, on the gate stack below the interrupted rsp's frame).
    const auto* call = reinterpret_cast<const uint64_t*>(mc->r12);
    mc->rax = call[0];
    mc->rdi = call[1];
    mc->rsi = call[2];
    mc->rdx = call[3];
    mc->r10 = call[4];
    mc->r8 = call[5];
    mc->r9 = call[6];
  }
  const bool restarts = point != CallPoint::kAfter;
  mc->rip = restarts ? program_ip - 2 : program_ip;
  mc->rsp = program_sp;
  mc->rcx = program_ip;  // what the program's syscall leaves there
  if (callee_saved != nullptr) {
    mc->rbx = callee_saved[0];
    mc->rbp = callee_saved[1];
    mc->r12 = callee_saved[2];
    mc->r13 = callee_saved[3];
    mc->r14 = callee_saved[4];
    mc->r15 = callee_saved[5];
    mc->eflags = callee_saved[7];  // the C++ path's own flags are the gate's
  }
  copy_bytes(kept->shown, mc, sizeof kept->shown);
}

// What trampoline.S reads: the innermost level's gate rsp (the lowest: below
// every suspended frame) and the outermost's program rsp (a call from below
// it is inside some moved handler -- not necessarily the innermost's, which
// may have left by siglongjmp into an outer one), or 0 with none.
void publish_levels(GateThread* t) {
  const uint32_t depth = t->moved_depth;
  const uint64_t outermost = depth != 0 ? t->moved[0].program_sp : 0;
  const uint64_t top = t->program_stack_top;
  t->moved_program_sp = outermost;
  t->moved_same_stack_end = top != 0 && outermost < top ? top : ~uint64_t{0};
  asm volatile("" ::: "memory");
  t->moved_top = depth != 0 ? t->moved[depth - 1].gate_sp : 0;
}

// Whether a call made at program_sp is from above the moved handler that
// runs below level_sp, on the same stack (GateThread::program_stack_top): the
// handler is gone. (At the interrupted call's own sp: the same call site
// again. The handler's calls are all below its frame, below that sp's red
// zone.) A handler whose stack is not the thread's own (it interrupted code
// running on another) is gone at any call from above it, as is every
// handler of a thread whose stack is unknown.
bool above_on_its_stack(const GateThread* t, uint64_t level_sp, uint64_t program_sp) {
  if (program_sp < level_sp) return false;
  const uint64_t top = t->program_stack_top;
  return top == 0 || level_sp >= top || program_sp < top;
}

// Levels whose handler is gone without returning (siglongjmp): the program
// now runs above the handler on the stack the handler ran on. program_sp is
// a program stack's (a call from a handler running on the gate stack says
// nothing).
void drop_abandoned_levels(GateThread* t, uint64_t program_sp) {
  if (on_gate_stack(t, program_sp)) return;
  bool dropped = false;
  while (t->moved_depth != 0 && above_on_its_stack(t, t->moved[t->moved_depth - 1].program_sp, program_sp)) {
    --t->moved_depth;
    dropped = true;
  }
  if (dropped) publish_levels(t);
}

// Whether every page of [begin, end) of the program's stack takes a write
// (the kernel grows a stack on the write it would have made itself).
bool writable(uint64_t begin, uint64_t end) {
  for (uint64_t p = begin & ~uint64_t{4095}; p < end; p += 4096) {
    const uint64_t at = p < begin ? begin : p;
    if (!app_probe_write(at, 8)) return false;
  }
  return true;
}

// The mask the moved handler starts with: the one the kernel set for it
// (current), but for the signals deferred meanwhile (deferred_signal.h: one
// that came while the wrapper worked on the gate stack), which the gate
// blocked and the handler's action does not: they are delivered on top of
// it as it starts, as natively (review G's nestblk: blocked for the whole
// handler before, which then waited for them).
uint64_t handler_mask(const GateThread* t, int sig, const arch::KernelUcontext* uc, uint64_t current) {
  const uint64_t deferred = load_relaxed(&t->deferred) & current;
  if (deferred == 0) return current;
  arch::KernelSigaction action;
  if (raw_syscall(__NR_rt_sigaction, static_cast<uint64_t>(sig), 0, addr(&action), 8) != 0) return current;
  constexpr uint64_t kSaNodefer = 0x40000000;
  const uint64_t blocks = uc->uc_sigmask | action.mask | ((action.flags & kSaNodefer) != 0 ? 0 : arch::sigbit(sig));
  return current & ~(deferred & ~blocks);
}

}  // namespace

bool handler_stays_put(const GateThread* t, int sig, const arch::KernelUcontext* uc) {
  return (load_relaxed(&g_gate.handler_on_stack) & arch::sigbit(sig)) != 0 ||
         uc->uc_stack.ss_sp != addr(t->stack) || (uc->uc_stack.ss_flags & kSsDisable) != 0 ||
         t->moved_depth >= kMaxMoved;
}

CallPoint call_point(const arch::KernelSigcontext& mc) {
  // The trap path's blocking stub between the program's mask and its call.
  if (mc.rip >= addr(sysgate_gate_blocking_mask_return) && mc.rip <= addr(sysgate_gate_blocking_call)) {
    return CallPoint::kBeforeInStub;
  }
  const bool after = mc.rip == addr(sysgate_gate_syscall_begin);
  if (!after && mc.rip != addr(sysgate_gate_syscall_insn)) return CallPoint::kElsewhere;
  const uint64_t ret = *reinterpret_cast<const uint64_t*>(mc.rsp);
  if (after && ret == addr(sysgate_gate_blocking_mask_return)) return CallPoint::kBeforeInStub;
  if (ret != addr(sysgate_tramp_fast_return) && ret != addr(sysgate_gate_program_call_return) &&
      ret != addr(sysgate_gate_blocking_call_return)) {
    return CallPoint::kElsewhere;
  }
  return after ? CallPoint::kAfter : CallPoint::kBefore;
}

void moved_levels_follow_altstack(GateThread* t, const arch::KernelStack& registered) {
  if (t->moved_depth == 0 || registered.ss_sp != addr(t->stack) || (registered.ss_flags & kSsDisable) != 0) return;
  bool dropped = false;
  while (t->moved_depth != 0 && t->moved[t->moved_depth - 1].gate_sp - addr(t->stack) < registered.ss_size) {
    --t->moved_depth;
    dropped = true;
  }
  if (dropped) publish_levels(t);
}

ProgramPlaceScope::ProgramPlaceScope(GateThread* t, uint64_t program_sp, const uint64_t* callee_saved,
                                     uint64_t program_ip)
    : t_(t) {
  const ProgramPlace* outer = t->program_place;
  // A place below this one on the gate stack was left by a call a siglongjmp
  // abandoned: its frame is this frame's memory now.
  if (outer != nullptr && on_gate_stack(t, addr(outer)) && addr(outer) <= addr(&place_)) outer = nullptr;
  drop_abandoned_levels(t, program_sp);
  // A call of the program's is in progress only under a handler that
  // interrupted it: one moved to the program's stack (a level), or one
  // running on the gate stack or the program's alternate stack. Program code
  // on its own stack otherwise: any place left is an abandoned call's (a
  // siglongjmp, or a handler that sent the program elsewhere), and so is
  // what it set for its duration: its record to write for a signal at its
  // return (review F: garbage lines, then SIGSEGV), the default-ignored
  // signals it blocked (the signal wrapper took them out of every later
  // handler's mask).
  const AppAltStack& alt = t->app_altstack;
  const bool under_a_handler = t->moved_depth != 0 || on_gate_stack(t, program_sp) ||
                               (alt.size != 0 && on_stack(program_sp, alt.sp, alt.size));
  if (!under_a_handler) outer = nullptr;
  if (outer == nullptr) {
    t->pending_call = nullptr;
    t->quiet_added = 0;
    t->quiet_place = nullptr;
  }
  place_.sp = program_sp;
  place_.callee_saved = callee_saved;
  place_.outer = outer;
  place_.ip = program_ip;
  asm volatile("" ::: "memory");  // complete before a signal handler can find it
  t->program_place = &place_;
}

ProgramPlaceScope::~ProgramPlaceScope() { t_->program_place = place_.outer; }

}  // namespace sysgate::gate

using namespace sysgate::gate;

extern "C" uint64_t sysgate_gate_move_handler_frame(uint64_t frame, arch::KernelUcontext* uc, int sig,
                                                    uint64_t handler) {
  GateThread* t = thread_from_gs();
  if (t == nullptr || t->gs_set == 0 || sig < 1 || sig > 64) return 0;
  if ((load_relaxed(&g_gate.handler_on_stack) & arch::sigbit(sig)) != 0) return 0;
  // Delivered inside the gate's code, on the gate stack, while the gate stack
  // is the registered alternate stack (else the program's own is installed).
  const uint64_t interrupted = uc->mc.rsp;
  if (!on_gate_stack(t, interrupted) || !on_gate_stack(t, frame)) return 0;
  if (addr(uc) != frame + 8) return 0;  // rt_sigframe: return address, ucontext, siginfo
  if (uc->uc_stack.ss_sp != addr(t->stack) || (uc->uc_stack.ss_flags & kSsDisable) != 0) return 0;
  moved_levels_follow_altstack(t, uc->uc_stack);
  // The call the interrupted code makes must have said where the program is:
  // a place above the interrupted code, and below the frames a moved
  // handler's level keeps suspended (else it is an outer call's).
  const ProgramPlace* place = t->program_place;
  if (place == nullptr || !on_gate_stack(t, addr(place)) || addr(place) <= interrupted) return 0;
  if (t->moved_depth != 0 && addr(place) >= t->moved_top) return 0;
  // Read once: the copy may land where the place was, were it wrong. A call
  // made from a handler that runs on the gate stack (SA_ONSTACK, or one that
  // was not moved) has its place there: that handler stays where it is.
  const uint64_t program_sp = place->sp;
  const uint64_t* const callee_saved = place->callee_saved;
  const uint64_t program_ip = place->ip;
  if (t->moved_depth >= kMaxMoved || !could_be_app_pointer(program_sp) || on_gate_stack(t, program_sp)) return 0;
  uint64_t fp_bytes = 0;
  if (!fpstate_bytes(uc, &fp_bytes)) return 0;

  uint64_t all = arch::kAllSignals, mask = 0;
  raw_syscall(__NR_rt_sigprocmask, kSigSetmask, addr(&all), addr(&mask), 8);
  // Below the program's red zone: its callee-saved registers, then the frame
  // and its FPU state, as the kernel would have put them there.
  const uint64_t registers_at = ((program_sp - kRedZoneBytes) & ~uint64_t{15}) - kCalleeSavedBytes;
  uint64_t fp_at = 0;
  const uint64_t new_frame = signal_frame_place(registers_at, fp_bytes, &fp_at);
  uint64_t moved = 0;
  uint64_t kept = 0;
  // Never into the gate's own mapping (a program stack right above it).
  const uint64_t copy_end = registers_at + kCalleeSavedBytes;
  const uint64_t map_begin = addr(t->map), map_end = map_begin + t->map_bytes;
  const bool into_gate = new_frame < map_end && copy_end > map_begin;
  if (new_frame < registers_at && !into_gate && writable(new_frame, copy_end)) {
    if (callee_saved != nullptr) {
      copy_bytes(reinterpret_cast<void*>(registers_at), callee_saved, kCalleeSavedBytes);
    } else {
      zero_bytes(reinterpret_cast<void*>(registers_at), kCalleeSavedBytes);
    }
    copy_signal_frame(frame, uc, fp_bytes, new_frame, fp_at);  // returning to the program's restorer
    // The frames above the interrupted code (and its red zone) stay as they
    // are; below them, the registers the frame does not show. (Written once
    // the kernel's frame there is read: every signal is blocked till then.)
    uint64_t keep_below = (interrupted - kRedZoneBytes) & ~uint64_t{15};
    if (program_ip != 0 && user_dispatch_on() && at_the_calls_syscall(uc->mc, program_ip)) {
      kept = (keep_below - kKeptBytes) & ~uint64_t{15};
      keep_below = kept;
    }
    t->moved[t->moved_depth].gate_sp = keep_below;
    t->moved[t->moved_depth].program_sp = program_sp;
    t->moved[t->moved_depth].frame = new_frame;
    t->moved_kept[t->moved_depth] = kept;
    ++t->moved_depth;
    publish_levels(t);
    // A SIGSYS the handler's calls raise lands below them too. The kernel puts
    // the whole stack back (uc_stack) at the moved frame's rt_sigreturn.
    arch::KernelStack lowered{addr(t->stack), 0, 0, keep_below - addr(t->stack)};
    sysgate_gate_sigaltstack_on(&lowered, nullptr, reinterpret_cast<uint8_t*>(t) + kPageBytes - 64);
    moved = new_frame;
  }
  if (moved == 0) {
    raw_syscall(__NR_rt_sigprocmask, kSigSetmask, addr(&mask), 0, 8);
    return 0;
  }
  // Enter the handler as the kernel would have: the interrupted context's
  // registers but for its arguments, rip and rsp, the handler's mask, and a
  // clean FPU state (fpstate 0).
  struct LaunchFrame {  // struct rt_sigframe
    uint64_t pretcode;
    arch::KernelUcontext uc;
    uint8_t info[128];
  } launch;
  static_assert(sizeof(LaunchFrame) == kSigframeBytes && offsetof(LaunchFrame, info) == 8 + sizeof(arch::KernelUcontext));
  launch.pretcode = 0;
  launch.uc = *uc;
  if (kept != 0) {
    auto* moved_uc = reinterpret_cast<arch::KernelUcontext*>(moved + 8);
    show_program_registers(&moved_uc->mc, program_sp, callee_saved, program_ip,
                           reinterpret_cast<KeptRegisters*>(kept));
  }
  launch.uc.uc_sigmask = handler_mask(t, sig, uc, mask);
  arch::KernelSigcontext& mc = launch.uc.mc;
  mc.rip = handler;
  mc.rsp = moved;
  mc.rdi = static_cast<uint64_t>(sig);
  mc.rsi = moved + offsetof(LaunchFrame, info);
  mc.rdx = moved + offsetof(LaunchFrame, uc);
  mc.rax = 0;
  constexpr uint64_t kTf = 0x100, kDf = 0x400, kRf = 0x10000;
  mc.eflags &= ~(kTf | kDf | kRf);
  mc.fpstate = 0;
  sysgate_gate_launch_handler(addr(&launch));
}

namespace sysgate::gate {

void moved_frame_returns(GateThread* t, uint64_t frame) {
  // Its level, and the levels above it: handlers moved inside this one that
  // left by siglongjmp into it.
  for (uint32_t i = t->moved_depth; i > 0; --i) {
    if (t->moved[i - 1].frame != frame) continue;
    const auto* kept = reinterpret_cast<const KeptRegisters*>(t->moved_kept[i - 1]);
    auto* uc = reinterpret_cast<arch::KernelUcontext*>(frame + 8);
    // Back into the gate's call, with the handler's changes to rax and the
    // argument registers (the gate's there are the program's call's own: its
    // result, or the number and arguments of the call the kernel restarts),
    // as natively. A handler that changed anything else the frame shows
    // (where the program goes on, its stack, its callee-saved registers, rcx,
    // the flags) gets the program on from the frame as it left it, the
    // gate's call abandoned as by a siglongjmp: at its syscall, where it
    // shows a state the program can go on from (at_the_calls_syscall).
    // (Read before the write probe, which clobbers the first and last words
    // it checks.)
    if (kept != nullptr && app_probe_read(addr(&uc->mc), sizeof kept->registers)) {
      arch::KernelSigcontext now, shown, gate;
      copy_bytes(&now, &uc->mc, sizeof kept->registers);
      copy_bytes(&shown, kept->shown, sizeof kept->shown);
      copy_bytes(&gate, kept->registers, sizeof kept->registers);
      const bool unchanged = now.rip == shown.rip && now.rsp == shown.rsp && now.rbx == shown.rbx &&
                             now.rbp == shown.rbp && now.r12 == shown.r12 && now.r13 == shown.r13 &&
                             now.r14 == shown.r14 && now.r15 == shown.r15 && now.rcx == shown.rcx &&
                             now.eflags == shown.eflags;
      if (unchanged) {
        gate.rax = now.rax;
        gate.rdi = now.rdi;
        gate.rsi = now.rsi;
        gate.rdx = now.rdx;
        gate.r10 = now.r10;
        gate.r8 = now.r8;
        gate.r9 = now.r9;
        if (app_probe_write(addr(&uc->mc), sizeof kept->registers)) copy_bytes(&uc->mc, &gate, sizeof kept->registers);
      }
    }
    t->moved_depth = i - 1;
    publish_levels(t);
    return;
  }
}

}  // namespace sysgate::gate

// trampoline.S reads these at fixed offsets (GT_PROGRAM_PLACE, GT_MOVED_TOP,
// GT_MOVED_PROGRAM_SP, GT_MOVED_SAME_STACK_END), and its fast path builds a
// ProgramPlace of 4 words.
static_assert(offsetof(GateThread, program_place) == 2488);
static_assert(sizeof(ProgramPlace) == 32 && offsetof(ProgramPlace, sp) == 0 &&
              offsetof(ProgramPlace, callee_saved) == 8 && offsetof(ProgramPlace, outer) == 16 &&
              offsetof(ProgramPlace, ip) == 24);
static_assert(offsetof(GateThread, moved_top) == 2496);
static_assert(offsetof(GateThread, moved_program_sp) == 2504);
static_assert(offsetof(GateThread, moved_same_stack_end) == 2624);
