// Per-process and per-thread gate state, and the gate stacks that hold the latter.
//
//   GateThread* t = thread_from_context(uc);   // in the SIGSYS handler
//   t->sigsys_blocked, t->ring, t->tid ...
//
// Each thread that traps owns a gate stack:
//
//   map:  [guard page, PROT_NONE][stack: stack_bytes][GateThread, one page]
//                                 ^ stack             ^ stack + stack_bytes
//
// The thread's real alternate signal stack is the gate stack while the program
// has none, and the PROGRAM's own alternate stack while it has one (sigaltstack
// is emulated, and the emulation installs it), so the program's SA_ONSTACK
// handlers run where the kernel would run them natively. The handler finds its
// thread's state through the GS base (arch_prctl(ARCH_SET_GS) for every thread
// with a gate stack) and, when the gate stack is the registered one, through the
// frame's uc_stack (the GateThread sits at ss_sp + ss_size). A thread whose frame
// shows no alternate stack at all (created by a clone the gate did not see) gets
// a gate stack on its first trap -- that one handler invocation runs on the
// program's stack.
//
// GateProcess is a zero-initialised global: no constructor runs. It is shared by
// all threads; fork copies it.
#pragma once

#include <stdint.h>

#include "gate/arch/x86_64/kernel_abi.h"
#include "gate/ring_writer.h"

extern "C" {
// gate_entry.S: sigaltstack(ss, old) made with rsp = stack_top.
long sysgate_gate_sigaltstack_on(const sysgate::gate::arch::KernelStack* ss, sysgate::gate::arch::KernelStack* old,
                                 void* stack_top) __attribute__((visibility("hidden")));
}

namespace sysgate::gate {

inline constexpr uint64_t kPageBytes = 4096;
inline constexpr uint64_t kDefaultStackBytes = 256 * 1024;
inline constexpr uint64_t kThreadMagic = 0x4854455441475347ull;  // "SGGATETH"

// The program's alternate signal stack, as it asked for it. Installed for real
// (without SS_AUTODISARM, which stays virtual) while the GS base finds the gate
// (GateProcess::gs_owned, GateThread::gs_set); see thread_sync_altstack.
struct AppAltStack {
  uint64_t sp;
  uint64_t size;
  int32_t flags;  // SS_DISABLE, or 0 | SS_AUTODISARM
  int32_t pad;
};

struct PendingCall;  // trace_emit.h

// A SIGSYS that no seccomp filter sent (kill, tgkill, sigqueue) and that
// arrived while the program blocked SIGSYS: pending, as the kernel would keep
// it, until the program unblocks SIGSYS (pending_sigsys.h). One at most, as
// for any standard signal.
struct PendingSigsys {
  uint32_t pending;
  // The process it was sent to (the process slot, in GateProcess) or the
  // thread (a GateThread's): a fork child's copy is not its, nor is the
  // parent's slot a vfork child sees. With g_gate.sigsys_ignores when it came:
  // the program setting SIGSYS to SIG_IGN since then discarded it, as natively.
  int32_t owner;
  uint32_t ignores;
  uint32_t pad;
  uint64_t info[6];  // the first 48 bytes of its siginfo: si_code, si_pid, si_uid, si_value
};

// trace -k: the program's registers at the syscall instruction of a call the
// gate is making for a thread, and the call of the gate's that call
// interrupted (a program handler running inside the gate made it), or null.
struct CallRegisters {
  trace::StackRegisters registers;
  const CallRegisters* outer;
};

// Where the program is while the gate makes a call for it (moved_handler.h):
// its rsp at its syscall, its callee-saved registers (null: live in the
// registers), the place of the call this one is nested in (a program
// handler's call inside another), or null, and the address after its
// syscall instruction (0: unknown).
struct ProgramPlace {
  uint64_t sp;
  // rbx, rbp, r12, r13, r14, r15, (unused), rflags: the C++ paths' (a
  // trampoline's TrampFrame, the trap path's copy of its frame); null on the
  // trampolines' fast path, where they are live in the registers.
  const uint64_t* callee_saved;
  const ProgramPlace* outer;
  uint64_t ip;
};

struct GateThread {
  uint64_t magic;  // kThreadMagic
  GateThread* self;
  uint8_t* map;  // whole mapping (guard + stack + this page)
  uint64_t map_bytes;
  uint8_t* stack;  // the registered alternate stack
  uint64_t stack_bytes;
  int32_t tid;
  int32_t pid;
  uint32_t sigsys_blocked;  // the program believes SIGSYS is blocked in this thread
  uint32_t tsc_disabled;    // the program made rdtsc fault (prctl PR_SET_TSC)
  uint32_t unmap_on_exit;   // 0 for a vfork child's stack: its parent unmaps it
  // A CLONE_VM child without CLONE_SIGHAND (vfork): shares g_gate with a process
  // whose signal actions are not its own, so it installs its handlers unwrapped.
  uint32_t foreign_handlers;
  AppAltStack app_altstack;
  RingWriter ring;
  // Site rewriting (rewrite.h). The trampolines reach this struct through the
  // GS base (arch_prctl(ARCH_SET_GS) per thread) and read self/stack/stack_bytes
  // and bump tramp_calls at fixed offsets (static_asserts in rewrite.cc).
  uint64_t tramp_calls;  // calls made through a rewritten site by this thread
  uint64_t trap_calls;   // calls that came through the SIGSYS trap
  // Trace records being written by this thread right now: a program signal
  // handler can interrupt a record written from a trampoline (signals are not
  // blocked there), and its own records then go to a nested ring (trace_emit.cc).
  uint32_t record_depth;
  uint32_t nested_owner_tid;  // tid that claimed nested_rings (a forked copy drops them)
  RingWriter nested_rings[2];
  // This thread's GS base is this GateThread (arch_prctl succeeded).
  uint32_t gs_set;
  // 1 once a claim of a ring found none free for kClaimPatienceNs (more
  // threads than rings): from then on each record only looks for a free
  // ring, without waiting, and is dropped (counted) if there is none.
  uint32_t ring_claim_gave_up;
  // trace -i: where the call this thread is in resumes the program (the address
  // after its syscall instruction), 0 outside calls: a signal that arrives
  // while the gate makes the call is shown at that address, as strace shows it.
  uint64_t call_ip;
  // The traced call a trampoline is making for this thread right now, or
  // null (trace_emit.h, PendingCall): a program signal that arrives as it
  // returns has the wrapper write the call's record before its own.
  PendingCall* pending_call;
  // trace -k: the registers of the call this thread is in (set around it by
  // the trap handler and the trampolines; by the signal wrapper for a signal
  // line), or null: its records carry a kPayloadStack from them.
  const CallRegisters* call_registers;
  // The signals the gate added to this thread's mask for the call it makes
  // now (signals.h, quiet_signals_during), or 0: a program handler that
  // interrupts the call finds them taken out of its frame's mask.
  uint64_t quiet_added;
  // trace -e inject=: this thread's invocations of each syscall a rule
  // selects, counted from 1 (inject.h); zeroed in a forked child.
  uint32_t inject_seen[trace::kCallMaskNumbers];
  // The frame (its address on the gate stack) of the record written at each
  // depth of record_depth: a record whose frame is at or above the frame of
  // the record starting now, on the gate stack, was abandoned (a program
  // handler that interrupted it left by siglongjmp), not interrupted, and its
  // depth is given back (trace_emit.cc).
  uint64_t record_frame[3];
  // The redirect filter is on this thread: every call it makes outside the
  // loader traps, whatever SUD says (program_filters.h). Copied into the
  // threads and children it starts, which inherit its filters.
  uint32_t redirected;
  // A CLONE_VM child that is not a thread (vfork): it shares the gate's
  // memory with another process, whose state it must not set.
  uint32_t shares_memory_with_another_process;
  // program_traps.h: the gate is making a call for the program with SIGSYS
  // open, and the SECCOMP_RET_DATA (+ kProgramTrapPending) of the program's
  // filter's trap of it, to deliver once the call's record is written.
  uint32_t forwarding;
  uint32_t program_trap;
  uint32_t program_trap_depth;  // program handlers running for such traps
  // The program's own Syscall User Dispatch (program_dispatch.h): on, and the
  // region it asked to let through.
  uint32_t program_dispatch_on;
  uint64_t program_dispatch_offset;
  uint64_t program_dispatch_length;
  // A thread-directed SIGSYS (tgkill) the program has not had yet, because
  // it blocks SIGSYS (pending_sigsys.h).
  PendingSigsys pending_sigsys;
  // The call being made let a pending SIGSYS through with a temporary mask
  // (rt_sigsuspend and the like): deliver it despite sigsys_blocked.
  uint32_t deliver_pending_sigsys_now;
  // The gate is making a call whose temporary mask (rt_sigsuspend, ppoll,
  // ...) does not block SIGSYS: one arriving now is delivered, whatever
  // sigsys_blocked says.
  uint32_t sigsys_open_in_call;
  // Where the program is while the gate makes a call for it (moved_handler.h),
  // set around the call by the trampolines' C++ path and the SIGSYS handler;
  // null outside calls.
  const ProgramPlace* program_place;
  // Program handlers the gate moved off the gate stack to the program's (a
  // signal that arrived inside a call the gate makes), innermost last: the
  // gate rsp they interrupted -- the frames above it stay suspended, and the
  // trampolines' stack switch and the registered alternate stack end below it
  // -- and the program rsp they run below. moved_top: the innermost's gate
  // rsp, 0 with none (read by trampoline.S at a fixed offset); a call from
  // below the outermost's program rsp switches to it.
  uint64_t moved_top;
  uint64_t moved_program_sp;  // the outermost's program rsp (trampoline.S)
  uint32_t moved_depth;
  uint32_t moved_pad;
  struct {
    uint64_t gate_sp;
    uint64_t program_sp;
    uint64_t frame;  // the moved frame (its return address): its rt_sigreturn drops the level
  } moved[4];
  // The highest address of the program stack this thread started on (the
  // main thread's from the loader, a CLONE_VM child's from its new stack,
  // a fork's from its parent), 0 when unknown. A call made between a moved
  // handler's program rsp and it comes from above the handler on the stack
  // the handler ran on: the handler is gone (siglongjmp). One from another
  // stack -- a coroutine's the handler switched to -- is still inside it.
  uint64_t program_stack_top;
  // What trampoline.S reads after moved_program_sp: a call from
  // [moved_program_sp, moved_same_stack_end) is from above every moved
  // handler, on their stack (all ones: any call from above, as without a
  // known top).
  uint64_t moved_same_stack_end;
  // Per level: where the registers of the gate code its handler interrupted
  // are kept, on the gate stack right below the suspended frames, while its
  // frame shows the program's at its call (moved_handler.h); 0 when the
  // frame shows the gate's.
  uint64_t moved_kept[4];
  // The place of the call that quiet_added is for (the innermost call while
  // it runs): a signal interrupting another call, or program code, finds
  // quiet_added left by a call a siglongjmp abandoned, not its call's.
  const ProgramPlace* quiet_place;
  // Signals of program handlers that arrived in a trampoline's code on the
  // gate stack, queued again and blocked until the trampoline gets back to
  // the program (deferred_signal.h; trampoline.S reads it at a fixed
  // offset). Written by the signal wrapper, read by the trampolines' checks.
  uint64_t deferred;
  // The number of the call a deferred signal stopped before it was made
  // (the trampolines' C++ path, sysgate_gate_program_syscall).
  uint64_t deferred_call_nr;
  // From the last frame the kernel wrote for a deferred signal: its
  // uc_flags, cs/gs/fs/ss and the xsave layout (struct _fpx_sw_bytes) of its
  // FPU state, so the frame the delivery builds is one the kernel accepts.
  uint64_t deferred_uc_flags;
  uint64_t deferred_segments;
  uint32_t deferred_fpx_sw[12];
  // The end of the page (64 bytes) is the scratch stack of sysgate_gate_sigaltstack_on.
};
static_assert(sizeof(GateThread) <= 4096 - 64);

struct GateProcess {
  uint32_t installed;
  uint32_t flags;  // GateConfig::flags
  uint64_t stack_bytes;
  TraceRegion region;  // region.header == nullptr: tracing off
  // The loader image's code, the gate's included ([begin, end); 0, 0 for a
  // gate without the loader): trace -k tells a signal that arrived in a call
  // the gate was making from one that arrived in the program's code.
  uint64_t code_begin, code_end;
  // A filter installed with TSYNC gave every thread of this process (the
  // pid here; 0: none) the redirect filter, and filter_lock keeps new threads
  // from arming SUD while such an install is under way (program_filters.h).
  int32_t every_thread_redirected_pid;
  uint32_t filter_lock;
  // A filter of the program's may trap the calls the gate makes for it
  // (program_traps.h).
  uint32_t program_filters;

  // The program's SIGSYS action: rt_sigaction(SIGSYS) reads and writes this,
  // never the kernel's (the real handler stays the gate's).
  uint32_t sigsys_lock;
  uint32_t pad;
  arch::KernelSigaction app_sigsys;
  // Bit (sig - 1): the program's sa_mask for sig contained SIGSYS (stripped
  // before the kernel saw it; put back when the program reads the action).
  uint64_t mask_had_sigsys;
  // Every thread with a gate stack has its GS base pointing at its GateThread:
  // set by gate_install when arch_prctl(ARCH_SET_GS) works; cleared for good when
  // the program sets GS itself or a thread's arch_prctl fails. While set, the
  // program's alternate stacks are registered for real (thread_sync_altstack).
  uint32_t gs_owned;
  // Some thread ever had a program stack registered for real: a registered stack
  // that is not found through GS need not be a gate stack.
  uint32_t app_stacks_installed;
  // Tracing: the program's handlers, which the kernel reaches through the gate's
  // signal wrapper (signals.h). Entry sig - 1: the handler; bit sig - 1 of
  // handler_without_siginfo: the program did not ask for SA_SIGINFO; of
  // handler_resets: it asked for SA_RESETHAND.
  uint32_t handlers_lock;
  uint32_t pad3;
  uint64_t handler_without_siginfo;
  uint64_t handler_resets;
  // handler_on_stack: it asked for SA_ONSTACK (moved_handler.h moves only the others).
  uint64_t handler_on_stack;
  // Tracing: bit sig - 1 set while the kernel's action for sig, a signal whose
  // default ignores it, is the gate's observer (signals.h, quiet_signals_during).
  uint64_t quiet_observed;
  // The SIGSYS action of a process that shares this memory but not the
  // program's actions (posix_spawn's and Go's CLONE_VM children), which its
  // exec keeps if it is SIG_IGN: its pid << 32 | 1 if ignored, | 2 if SIG_DFL
  // (a SIGSYS it gets then ends it). One slot: the last such child to set it
  // (a posix_spawn parent waits for its child's exec).
  uint64_t spawned_child_sigsys;
  // A process-directed SIGSYS (kill, sigqueue) that arrived at a thread that
  // blocks SIGSYS; one that arrived at a process sharing this memory unknown
  // to the gate; the number of times the program set SIGSYS to SIG_IGN (which
  // discards pending ones). Guarded by pending_sigsys_lock (pending_sigsys.h).
  PendingSigsys pending_sigsys;
  PendingSigsys stranger_pending_sigsys;
  uint32_t sigsys_ignores;
  uint32_t pending_sigsys_lock;
  // A word on a page advised MADV_WIPEONFORK, 1 in the process that set it:
  // zero in a fork child the gate did not see (process.h, adopt_unseen_fork).
  // Null without such a page.
  uint32_t* fork_marker;
  uint64_t app_handlers[64];
  // Tracing: for a signal whose action the program left or set at SIG_DFL and
  // whose default ends the process, the kernel's action is the gate's observer
  // (sysgate_gate_default_signal: it records the delivery, then makes the
  // default real). Entry sig - 1: the action as the kernel kept it for the
  // program (its flags, mask and restorer), returned when it reads the action
  // back. Guarded by handlers_lock.
  arch::KernelSigaction app_default_actions[64];
  // Non-zero once an observer made its signal's default real and raised it
  // again: the process is ending by that signal (signals.cc, wait_if_dying).
  uint32_t dying_by;
  // The process the loader armed this image in, and whether its first record
  // (trace::kRecordFirstOfImage) is still to be written: set by the loader
  // glue, exchanged to 0 by the record that takes the flag. A fork child (or a
  // vfork child, which shares this memory) has another pid: never flagged.
  int32_t image_pid;
  uint32_t first_record_pending;
  // trace -b execve: this image came from an exec the trace detaches at. Its
  // first record tells the monitor the exec worked; then detached is set and
  // the process records nothing more; nor do its children, which never record
  // (their pid is not image_pid).
  uint32_t detach_after_record;
  uint32_t detached;
  // The program's own executable (absolute), which readlink("/proc/self/exe")
  // answers with instead of the loader (the loader's --exe; "" when unknown).
  char exe_path[4096];
  // `sysgate run` with a policy that allows rt_tgsigqueueinfo for any
  // arguments (--gate requeue=1): the gate may queue a signal again on its
  // own thread (deferred_signal.h). Under trace: RegionHeader::raise_again.
  uint32_t may_requeue;
};

extern GateProcess g_gate __attribute__((visibility("hidden")));

// Maps a gate stack of stack_bytes and initialises its GateThread (tid/pid and
// ring left empty, program altstack disabled). nullptr if mmap fails.
GateThread* thread_create(uint64_t stack_bytes);

// Registers t's stack as the calling thread's alternate signal stack. old (may
// be null) receives the previous registration. Returns the syscall's result.
long thread_register_stack(GateThread* t, arch::KernelStack* old);

// Unmaps t's whole mapping (t is invalid afterwards). Not for the calling
// thread's own stack while it runs on it: see sysgate_gate_exit_thread.
void thread_unmap(GateThread* t);

// Sets the calling thread's GS base to t (t->gs_set); clears g_gate.gs_owned if
// that fails. Returns the syscall's result.
long thread_set_gs(GateThread* t);

// The calling thread's GateThread through its GS base, or nullptr when the GS
// base is not known to be the gate's (g_gate.gs_owned clear) or does not lead to
// a GateThread. Reads %gs: only valid while gs_owned says every gate thread has
// its GS base set and the program never set one.
GateThread* thread_from_gs();

// The calling thread's state, found through the GS base or the signal frame;
// creates and registers a gate stack if the frame shows no alternate stack, and
// records it in the frame's uc_stack too (rt_sigreturn re-installs the alternate
// stack saved there, which would undo a registration made inside the handler).
// Dies if that fails.
GateThread* thread_from_context(arch::KernelUcontext* uc);

// The alternate stack the thread should have registered: the program's when it
// has one and the GS base finds the gate, else the gate stack. Written into the
// frame's uc_stack when it differs, so rt_sigreturn installs it (the kernel
// refuses, silently, while the program's rsp is on the stack being replaced; the
// next trap tries again). SIGSYS handler only.
void thread_sync_altstack(GateThread* t, arch::KernelUcontext* uc);

// Reads gettid/getpid into t.
void thread_identify(GateThread* t);

// Whether a signal frame's uc_stack shows an alternate stack registered.
inline bool stack_enabled(const arch::KernelStack& ss) { return (ss.ss_flags & 2) == 0 && ss.ss_size != 0; }  // SS_DISABLE

}  // namespace sysgate::gate
