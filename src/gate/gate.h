// The in-process gate: a SIGSYS handler that performs the program's trapped
// syscalls from one syscall instruction of its own, virtualises the signal state
// it needs (SIGSYS, masks, sigaltstack), handles clone/fork/vfork/exit/execve,
// and appends a trace record per call to a shared-memory ring.
//
//   #include "gate/gate.h"
//
//   sysgate::gate::GateConfig config;
//   config.ring_fd = trace_memfd;            // or -1: no tracing
//   if (!sysgate::gate::gate_install(config)) die();
//   install_filter();  // TRAP for the program's syscalls; for calls whose
//                      // instruction_pointer is in [sysgate_gate_syscall_begin,
//                      // sysgate_gate_syscall_end) the policy's own verdict
//   ... jump to the program ...
//
// Freestanding: links into the static loader and into hosted test programs; no
// libc, no allocation but mmap, no TLS, no constructors. See docs/gate.md.
//
// THE SYSCALLS THE GATE MAKES ITSELF (all from its one instruction; the filter
// must allow them there -- each is harmless if the program makes it itself by
// jumping to that instruction with registers of its choice):
//
//   rt_sigaction      install the SIGSYS handler; re-install handlers without
//                     SIGSYS in sa_mask (install); probe readability of program
//                     memory with sig == 0 (always fails with EINVAL or EFAULT)
//   rt_sigprocmask    switch between "all blocked" and the program's mask around
//                     blocking calls, clone children and execve; probe
//                     writability of program memory (SIG_BLOCK, NULL set)
//   sigaltstack       register each thread's gate stack, and the program's own
//                     alternate stack when it has one (with rsp on a scratch
//                     area of the thread's state page)
//   arch_prctl        ARCH_SET_GS: each thread's GS base is its state; ARCH_GET_GS
//                     only after the program took GS
//   mmap              anonymous private PROT_READ|PROT_WRITE gate stacks and
//                     PROT_NONE guard pages (MAP_FIXED over the stack's own first
//                     page); the trace region (MAP_SHARED of ring_fd, read/write).
//                     Never PROT_EXEC: a filter may require prot & PROT_EXEC == 0.
//   munmap            the header probe mapping, stacks of exited threads and of
//                     vfork children
//   futex             FUTEX_WAIT / FUTEX_WAKE (shared) on words of the trace region
//   gettid, getpid    identify threads for trace records
//   write             fd 2, the message of a raw die
//   exit_group        raw die
//   exit              a thread leaving (after unmapping its gate stack)
//   clone             children that start on a stack of their own (CLONE_VM, or
//                     a new stack) are created by the gate's own routine
//   restart_syscall   issued by the kernel itself at the gate's instruction when
//                     an interrupted forwarded call restarts (nanosleep, poll...)
// and, only with kGateRewrite (rewrite.h): mmap of anonymous RW trampoline blocks (MAP_FIXED_NOREPLACE near the code)
// and of the set of judged sites (both MAP_POPULATE),
// mprotect(PROT_READ|PROT_EXEC) of the gate's own fresh pages; memfd_create,
// ftruncate, fcntl(F_ADD_SEALS), fstat and close of its memfd of patched code,
// mmap of it RW (MAP_SHARED) and over program code (R-X, MAP_PRIVATE|MAP_FIXED),
// munmap of that view in a forked child (code_alias.h); where the memfd is
// refused, mremap(MREMAP_MAYMOVE|MREMAP_FIXED) of a patched anonymous copy over
// program code. A refusal of the blocks' mmap/mprotect or of mremap turns
// rewriting off.
// and, in the loader under `sysgate trace`, prctl(PR_SET_SYSCALL_USER_DISPATCH,
// PR_SYS_DISPATCH_ON, loader code, 0) in every image, thread and child
// (user_dispatch.h), which the monitor's policy allows exactly;
// plus rt_sigreturn from the gate's restorer, which has its own syscall
// instruction: the filter allows rt_sigreturn from everywhere (restoring a frame
// only gives register control the program already has), and never traps it.
//
// Every other syscall the gate makes is one the program trapped, forwarded with
// the program's arguments (signal masks and sigaction masks stripped of SIGSYS);
// the filter answers those from the gate's address according to the policy.
#pragma once

#include <stdint.h>

extern "C" {
// [begin, end): the instruction_pointer values seccomp reports for syscalls made
// by the gate -- exactly one address, the one after the gate's `syscall`
// instruction (the kernel reports the address of the next instruction).
extern const char sysgate_gate_syscall_begin[];
extern const char sysgate_gate_syscall_end[];
// The `syscall` instruction itself (begin - 2), for reference.
extern const char sysgate_gate_syscall_insn[];
extern const char sysgate_gate_blocking_call_return[];
}

namespace sysgate::gate {

enum GateFlags : uint32_t {
  kGateNoPayloads = 1u << 0,  // trace records without copied strings and buffers
  // Rewrite `mov $nr,%eax; syscall` sites onto trampolines after their first
  // trap (rewrite.h, docs/gate.md "Site rewriting"). Needs program_phdr.
  kGateRewrite = 1u << 1,
  // The interposer's hooks (include/sysgate/interposer.h) run for calls through
  // rewritten sites too, from the trampoline (interposer.cc sets it).
  kGateHooks = 1u << 2,
  // Every clone, fork and vfork of the process traps to the gate (the filter
  // traps every call outside the gate), and it has one thread at gate_install:
  // the rewriter can count threads, and patch by a store while there is one
  // (code_alias.h).
  kGateSeesEveryClone = 1u << 3,
  // With kGateRewrite: a page's first trapped site also rewrites the other
  // sites on its page, before their first call (rewrite.h, sweep_page). The
  // loader sets it unless --gate sweep=0.
  kGateSweepPages = 1u << 4,
  // The process has just exec'd and nothing has installed a signal handler
  // since (the loader): execve emptied every action's mask, so none holds
  // SIGSYS and gate_install need not look (62 rt_sigaction calls).
  kGateFreshImage = 1u << 5,
  // The loader armed this gate in a new image: gate_install records
  // kRecordImageStarted (tracing), before the program's first instruction, and
  // the image's first record from its own process is flagged kRecordFirstOfImage.
  kGateNewImage = 1u << 6,
  // With kGateNewImage: what the exec'ing thread's program believed of SIGSYS,
  // which execve keeps natively (an ignored action, a blocked signal) while the
  // kernel's own state is the gate's: the new image's virtual state starts so.
  kGateSigsysIgnored = 1u << 7,
  kGateSigsysBlocked = 1u << 8,
  // With kGateSigsysBlocked: a SIGSYS was pending (pending_sigsys.h), which
  // execve keeps; GateConfig::pending_sigsys has its siginfo's first bytes.
  kGateSigsysPending = 1u << 9,
};

struct GateConfig {
  // memfd of the trace region (trace::RegionHeader at offset 0, built by
  // trace::RingReader::create), or -1 for no tracing. The gate maps it and leaves
  // the descriptor open (the loader decides whether it survives exec).
  int ring_fd = -1;
  uint32_t flags = 0;  // GateFlags
  // Bytes of each thread's private gate stack (guard page not included); 0 for
  // the default, 256 KiB; at least 64 KiB. The program's own signal handlers
  // also run on it when they interrupt a blocking call the gate made (those it
  // marked SA_ONSTACK run on its own alternate stack when it has one).
  uint64_t stack_bytes = 0;
  // For kGateRewrite: where the program's headers are (AT_PHDR, AT_PHNUM) and the
  // interpreter's load address (AT_BASE, 0 for none); objects loaded later are
  // found through the program's DT_DEBUG link map.
  uint64_t program_phdr = 0;
  uint64_t program_phnum = 0;
  uint64_t interp_base = 0;
  // With kGateNewImage: the thread whose exec made this image, before the
  // kernel made it the leader (0: the monitor started it). Its
  // kRecordImageStarted carries it in args[0].
  int32_t exec_tid = 0;
  // With kGateSigsysPending: the first 32 bytes of the pending SIGSYS's siginfo.
  uint64_t pending_sigsys[4] = {};
  // The highest address of the calling thread's stack (the end of the main
  // thread's [stack] mapping), or 0 if unknown: tells a program handler's
  // calls from another stack (a coroutine's) from a siglongjmp out of it
  // (moved_handler.h).
  uint64_t program_stack_top = 0;
};

// Installs the gate in the calling process, for the calling thread: maps the
// trace region, gives the thread its gate stack (sigaltstack), strips SIGSYS
// from the sa_mask of handlers already installed, installs the SIGSYS handler
// (SA_SIGINFO | SA_ONSTACK | SA_RESTORER, every signal blocked while it runs;
// the previous SIGSYS action becomes the program's virtual one) and unblocks
// SIGSYS (remembering whether it was blocked).
// Call once, before the filter is installed or after (all of its syscalls go
// through the gate's instruction), and before the process has other threads:
// threads that already exist get a gate stack on their first trap, but must not
// have SIGSYS blocked. Returns false (and installs nothing) if the region is
// malformed or a syscall fails; a second call returns false.
// Not thread-safe; not async-signal-safe.
bool gate_install(const GateConfig& config);

}  // namespace sysgate::gate
