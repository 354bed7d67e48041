// Per-process and per-thread gate state, and the gate stacks that hold the latter.
//
//   GateThread* t = thread_from_context(uc);   // in the SIGSYS handler
//   t->sigsys_blocked, t->ring, t->tid ...
//
// Each thread that traps owns a gate stack, registered as its alternate signal
// stack, so the SIGSYS handler never runs on the program's stack:
//
//   map:  [guard page, PROT_NONE][stack: stack_bytes][GateThread, one page]
//                                 ^ ss_sp            ^ ss_sp + ss_size
//
// The kernel saves the registered alternate stack in every signal frame
// (uc_stack), so the handler finds its thread's state at ss_sp + ss_size without
// a syscall and without TLS. A thread whose frame shows no gate stack (created by
// a clone the gate did not see) gets one on its first trap -- that one handler
// invocation runs on the program's stack.
//
// GateProcess is a zero-initialised global: no constructor runs. It is shared by
// all threads; fork copies it.
#pragma once

#include <stdint.h>

#include "gate/arch/x86_64/kernel_abi.h"
#include "gate/ring_writer.h"

namespace sysgate::gate {

inline constexpr uint64_t kPageBytes = 4096;
inline constexpr uint64_t kDefaultStackBytes = 256 * 1024;
inline constexpr uint64_t kThreadMagic = 0x4854455441475347ull;  // "SGGATETH"

// The program's alternate signal stack, as it asked for it (never installed: the
// gate keeps its own registered; see signals.cc).
struct AppAltStack {
  uint64_t sp;
  uint64_t size;
  int32_t flags;  // SS_DISABLE, or 0 | SS_AUTODISARM
  int32_t pad;
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
  uint32_t pad;
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
};

struct GateProcess {
  uint32_t installed;
  uint32_t flags;  // GateConfig::flags
  uint64_t stack_bytes;
  TraceRegion region;  // region.header == nullptr: tracing off

  // The program's SIGSYS action: rt_sigaction(SIGSYS) reads and writes this,
  // never the kernel's (the real handler stays the gate's).
  uint32_t sigsys_lock;
  uint32_t pad;
  arch::KernelSigaction app_sigsys;
  // Bit (sig - 1): the program's sa_mask for sig contained SIGSYS (stripped
  // before the kernel saw it; put back when the program reads the action).
  uint64_t mask_had_sigsys;
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

// The calling thread's state, found through the signal frame; creates and
// registers a gate stack if the frame shows none, and records it in the frame's
// uc_stack too (rt_sigreturn re-installs the alternate stack saved there, which
// would undo a registration made inside the handler). Dies if that fails.
GateThread* thread_from_context(arch::KernelUcontext* uc);

// Reads gettid/getpid into t.
void thread_identify(GateThread* t);

}  // namespace sysgate::gate
