// sysgate::Interposer — hook your own process's syscalls in-process, through the
// same gate `sysgate trace` uses (src/gate).
//
//   #include <sysgate/interposer.h>
//
//   // Answer getppid() without making it.
//   sysgate::interpose_before(SYS_getppid, [](sysgate::Syscall&, void*) {
//     return sysgate::HookDecision::answer(1);
//   });
//   // Count failed opens.
//   sysgate::interpose_after(SYS_openat, [](const sysgate::Syscall&, long* result, void* n) {
//     if (*result < 0) ++*static_cast<int*>(n);
//   }, &failures);
//   if (!sysgate::interposer_start()) abort();   // from now on, hooked calls reach the hooks
//
// What happens: interposer_start() installs the gate (a SIGSYS handler on private
// per-thread stacks) and a seccomp filter that traps the hooked syscalls — and
// the signal calls the gate must see, and exec — when made anywhere but the
// gate's own instruction. Every other syscall runs natively, at full speed.
// A hooked call site of glibc's shape (`mov $nr,%eax; syscall`) is rewritten
// after its first trap, as under `sysgate trace`: later calls there jump to the
// gate's trampoline and reach the hooks without a signal (bench/interposer_bench
// on this 2-vCPU VM: a forwarding hook +0.1 µs over native with
// kHookNoVectorState, +0.35 µs with the vector state saved, +2.5 µs through the
// trap). Irreversible; children (fork, threads) inherit it.
//
// Rules for hook code (it runs on the gate's stack of 256 KiB: inside the SIGSYS
// handler with every signal blocked, or, for a rewritten site, from the
// trampoline with the program's own signal mask, so one of the program's signal
// handlers may interrupt a hook and run hooks of its own calls, nested):
//   - make syscalls only through sysgate::interposer_syscall(): a plain one
//     (libc's open, printf, malloc that grows the heap...) would trap again while
//     SIGSYS is blocked, and the kernel kills the process for that;
//   - no locks the interrupted code may hold (malloc, stdio): the hook can run
//     in the middle of any of them, like a signal handler;
//   - no exceptions out of a hook, no longjmp out of it.
// Hooks run only for calls that reach the gate: the special calls the gate
// itself handles (clone, fork, vfork, exec, exit, rt_sigaction,
// rt_sigprocmask, sigaltstack, rt_sigreturn) cannot be hooked.
//
// exec: the filter survives exec but the gate does not (there is no loader
// here, unlike under `sysgate run`), so a later image's first hooked call would
// kill it. After interposer_start(), execve and execveat fail with EPERM.
//
// Not a sandbox: code in the process can make any call through the gate's
// instruction. For confinement use `sysgate run`.
#pragma once

#include <cstdint>

namespace sysgate {

struct Syscall {
  long nr;
  uint64_t args[6];  // rdi rsi rdx r10 r8 r9; a before-hook may change them
};

struct HookDecision {
  bool answered = false;  // true: the syscall is not made; `value` is its result
  long value = 0;         // a result or -errno
  static HookDecision proceed() { return {}; }
  static HookDecision answer(long result) { return {true, result}; }
};

using BeforeHook = HookDecision (*)(Syscall& call, void* user);
using AfterHook = void (*)(const Syscall& call, long* result, void* user);

// Registers a hook (one before and one after per syscall number; a later
// registration replaces the earlier). Call before interposer_start(): the filter
// traps only the numbers hooked by then. false: nr out of range, a syscall the
// gate reserves (see above), more than 64 hooked numbers, or already started.
//
// flags: kHookNoVectorState promises that the hook (and all it calls) never
// touches vector or x87 registers (built with -mgeneral-regs-only, no SSE
// memcpy, no floating point). On the trampoline path the gate then skips
// saving and restoring the program's vector state around it (xsave/xrstor,
// ~0.17 µs a call on this machine's VM). Without it the state is saved.
enum HookFlags : unsigned { kHookNoVectorState = 1u };
bool interpose_before(long nr, BeforeHook hook, void* user = nullptr, unsigned flags = 0);
bool interpose_after(long nr, AfterHook hook, void* user = nullptr, unsigned flags = 0);

// Installs the gate and the filter; single-threaded callers only (threads made
// before would not have the gate's per-thread state). false if the kernel
// refused something (no seccomp), or if called twice.
bool interposer_start();

// A syscall made from the gate's own instruction: for use inside hooks.
long interposer_syscall(long nr, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0,
                        uint64_t a4 = 0, uint64_t a5 = 0);

}  // namespace sysgate
