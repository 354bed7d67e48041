#include "gate/process.h"

#include <asm/errno.h>
#include <asm/unistd.h>
#include <linux/mman.h>
#include <linux/sched.h>

#include "gate/arch/x86_64/child_start.h"
#include "gate/pending_sigsys.h"
#include "gate/raw_syscall.h"
#include "gate/rewrite.h"
#include "gate/trace_emit.h"
#include "gate/program_dispatch.h"
#include "gate/program_filters.h"
#include "gate/util.h"

namespace sysgate::gate {
namespace {

// The program's registers for a CLONE_VM child; layout shared with gate_entry.S.
struct ChildStart {
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rdi, rsi, rbp, rbx, rdx, rsp, rip, eflags;
  uint64_t sigmask;
  GateThread* thread;
  uint64_t flags;  // kChildIsACopy
  uint64_t pad;
};
// The child is a copy of this process (no CLONE_VM): thread is its copy of the
// parent's state, its alternate stack is inherited; it only renames itself.
constexpr uint64_t kChildIsACopy = 1;
static_assert(offsetof(ChildStart, r8) == CHILD_START_R8);
static_assert(offsetof(ChildStart, r9) == CHILD_START_R9);
static_assert(offsetof(ChildStart, r10) == CHILD_START_R10);
static_assert(offsetof(ChildStart, r11) == CHILD_START_R11);
static_assert(offsetof(ChildStart, r12) == CHILD_START_R12);
static_assert(offsetof(ChildStart, r13) == CHILD_START_R13);
static_assert(offsetof(ChildStart, r14) == CHILD_START_R14);
static_assert(offsetof(ChildStart, r15) == CHILD_START_R15);
static_assert(offsetof(ChildStart, rdi) == CHILD_START_RDI);
static_assert(offsetof(ChildStart, rsi) == CHILD_START_RSI);
static_assert(offsetof(ChildStart, rbp) == CHILD_START_RBP);
static_assert(offsetof(ChildStart, rbx) == CHILD_START_RBX);
static_assert(offsetof(ChildStart, rdx) == CHILD_START_RDX);
static_assert(offsetof(ChildStart, rsp) == CHILD_START_RSP);
static_assert(offsetof(ChildStart, rip) == CHILD_START_RIP);
static_assert(offsetof(ChildStart, eflags) == CHILD_START_EFLAGS);
static_assert(offsetof(ChildStart, sigmask) == CHILD_START_SIGMASK);
static_assert(offsetof(ChildStart, thread) == CHILD_START_THREAD);
static_assert(offsetof(ChildStart, flags) == CHILD_START_FLAGS);
static_assert(sizeof(ChildStart) == CHILD_START_SIZE && CHILD_START_SIZE % 16 == 0);

// A forked child (a private copy of memory): same thread state, new identity.
// Its ring would be the parent's: it claims its own on its first record.
void after_fork_in_child(GateThread* t) {
  forked_child_arm_dispatch(t, thread_redirected(t));  // SUD is not inherited: before any program code runs
  t->shares_memory_with_another_process = 0;          // a copy of its own
  program_dispatch_forget(t);  // nor the program's
  thread_identify(t);
  zero_bytes(&t->ring, sizeof t->ring);
  zero_bytes(t->inject_seen, sizeof t->inject_seen);  // a new tracee counts afresh, as under strace
  forget_pending_sigsys(t);  // a child starts with no signal pending
  if (g_gate.fork_marker != nullptr) *g_gate.fork_marker = 1;  // seen: nothing for adopt_unseen_fork
  // Another thread of the parent may have held it at the fork; it does not exist here.
  store_release(&g_gate.sigsys_lock, 0u);
  // Likewise the handlers' lock, and a parent thread's death by a signal is
  // not the child's (signals.cc).
  store_release(&g_gate.handlers_lock, 0u);
  store_release(&g_gate.dying_by, 0u);
  rewrite_after_fork_in_child(t);
}

// The program's registers at the trapped clone, for the child: rax = 0, rsp =
// the new stack (or the caller's), rcx = rip, r11 = rflags as after `syscall`.
void fill_child_start(ChildStart* cs, const arch::KernelUcontext* uc, uint64_t stack, GateThread* thread,
                      uint64_t flags) {
  const arch::KernelSigcontext& mc = uc->mc;
  cs->r8 = mc.r8;
  cs->r9 = mc.r9;
  cs->r10 = mc.r10;
  cs->r11 = mc.r11;  // rflags, as `syscall` leaves it
  cs->r12 = mc.r12;
  cs->r13 = mc.r13;
  cs->r14 = mc.r14;
  cs->r15 = mc.r15;
  cs->rdi = mc.rdi;
  cs->rsi = mc.rsi;
  cs->rbp = mc.rbp;
  cs->rbx = mc.rbx;
  cs->rdx = mc.rdx;
  cs->rsp = stack != 0 ? stack : mc.rsp;
  cs->rip = mc.rip;  // after the program's syscall; also what rcx holds after it
  cs->eflags = mc.eflags;
  cs->sigmask = uc->uc_sigmask;
  cs->thread = thread;
  cs->flags = flags;
  cs->pad = 0;
}

}  // namespace

// First C++ code of a child started by sysgate_gate_clone, every signal
// blocked. Returns to sysgate_gate_clone_child, which loads the program's
// registers from cs.
extern "C" __attribute__((visibility("hidden"))) void sysgate_gate_child_start(ChildStart* cs) {
  GateThread* t = cs->thread;
  if ((cs->flags & kChildIsACopy) != 0) {
    after_fork_in_child(t);
  } else {
    thread_identify(t);      // first: thread_arm_dispatch asks which process this is
    thread_arm_dispatch(t);  // SUD is per thread and not inherited
    const long r = thread_register_stack(t, nullptr);
    if (r < 0) die("cannot register a new thread's gate stack; sigaltstack error", -r);
    thread_set_gs(t);           // the GS base was inherited from the parent thread
    rewrite_thread_started(t);
  }
  set_real_mask(cs->sigmask);
}

long do_clone(GateThread* t, arch::KernelUcontext* uc, Call& call, uint64_t flags, uint64_t stack, uint64_t ptid,
              uint64_t ctid, uint64_t tls) {
  if ((flags & CLONE_VM) == 0 && stack == 0) {
    // A copy of this process on a copy of this stack: it returns through its
    // own copy of the signal frame, like the parent.
    const bool locked = rewrite_clone_begin(flags);
    const long r = raw_syscall(__NR_clone, flags, stack, ptid, ctid, tls);
    if (r == 0) {
      after_fork_in_child(t);
      call.recorded = true;
      return r;
    }
    rewrite_clone_end(flags, r, locked);
    return r;
  }
  if ((flags & CLONE_VM) == 0) {
    // A copy of this process given a new stack: the kernel switches its rsp at
    // once, so it cannot come back through the handler's frames. It starts in
    // sysgate_gate_clone_child on its copy of the block below, on this gate stack.
    struct alignas(16) {
      uint64_t pad;
      uint64_t return_slot;  // sysgate_gate_clone stores the child's first rip here
      ChildStart block;
    } start;
    fill_child_start(&start.block, uc, stack, t, kChildIsACopy);
    const bool locked = rewrite_clone_begin(flags);
    const long r = sysgate_gate_clone(flags, &start.return_slot, reinterpret_cast<void*>(ptid),
                                      reinterpret_cast<void*>(ctid), tls);
    rewrite_clone_end(flags, r, locked);  // the child starts in sysgate_gate_child_start
    return r;
  }
  // CLONE_VM: the child must not run on this gate stack (a vfork child would
  // share it with this suspended frame): a fresh gate stack of its own.
  GateThread* child = thread_create(g_gate.stack_bytes != 0 ? g_gate.stack_bytes : kDefaultStackBytes);
  if (child == nullptr) return -ENOMEM;
  const bool vfork = (flags & CLONE_VFORK) != 0;
  child->sigsys_blocked = t->sigsys_blocked;
  child->tsc_disabled = t->tsc_disabled;
  child->redirected = thread_redirected(t) ? 1 : 0;  // the kernel copies the caller's filters
  child->shares_memory_with_another_process = (flags & CLONE_THREAD) == 0 ? 1 : t->shares_memory_with_another_process;
  child->foreign_handlers = (flags & CLONE_SIGHAND) == 0 ? 1 : t->foreign_handlers;
  // Its frames are all below the stack it starts on (moved_handler.h).
  child->program_stack_top = stack != 0 ? stack : t->program_stack_top;
  if (vfork) {
    // The kernel keeps the alternate stack of a CLONE_VM|CLONE_VFORK child (and
    // clears it for other CLONE_VM children): mirror that for the virtual one.
    child->app_altstack = t->app_altstack;
    child->unmap_on_exit = 0;
  }
  // The block sits right below the GateThread page (page aligned, so the block
  // is 16-byte aligned); the word below it is the child's "return address".
  ChildStart* cs = reinterpret_cast<ChildStart*>(reinterpret_cast<uint8_t*>(child) - sizeof(ChildStart));
  fill_child_start(cs, uc, stack, child, 0);
  void* child_sp = reinterpret_cast<uint8_t*>(cs) - 8;
  const bool locked = rewrite_clone_begin(flags);
  const long r = sysgate_gate_clone(flags, child_sp, reinterpret_cast<void*>(ptid), reinterpret_cast<void*>(ctid), tls);
  rewrite_clone_end(flags, r, locked);
  // After a CLONE_VFORK clone returns, the child has exec'd or exited: nothing
  // runs on its gate stack any more.
  if (r < 0 || vfork) thread_unmap(child);
  return r;
}

long do_fork(GateThread* t, Call& call) {
  const bool locked = rewrite_clone_begin(0);
  const long r = raw_syscall(__NR_fork);
  if (r == 0) {
    after_fork_in_child(t);
    call.recorded = true;
    return r;
  }
  rewrite_clone_end(0, r, locked);
  return r;
}

void do_exit(GateThread* t, Call& call) {
  const int status = static_cast<int>(call.args[0]);
  trace_syscall(t, trace::kRecordExit, call.record_flags, call.nr, call.args, 0, 0, call.ip);
  call.recorded = true;
  trace_release_rings(t);
  if (call.nr == __NR_exit_group) end_process(status);  // (refused by the policy: SIGILL)
  if (t->unmap_on_exit != 0) sysgate_gate_exit_thread(t->map, t->map_bytes, status);
  for (;;) raw_syscall(__NR_exit, static_cast<uint64_t>(status));
}

long do_execve(GateThread* t, const arch::KernelUcontext* uc, Call& call) {
  trace_syscall(t, trace::kRecordSyscallEnter, call.record_flags, call.nr, call.args, 0, 0, call.ip);
  trace_release_rings(t);
  // With the program's mask, which the new image inherits (and during which the
  // program's handlers may run, as around any blocking call).
  const uint64_t words[7] = {static_cast<uint64_t>(call.nr), call.args[0], call.args[1], call.args[2],
                             call.args[3], call.args[4], call.args[5]};
  return blocking_syscall(uc, words);  // failed: the handler records it, retaking the ring
}

void fork_marker_install() {
  constexpr uint64_t kMadvWipeOnFork = 18;
  const long m = raw_syscall(__NR_mmap, 0, kPageBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                             static_cast<uint64_t>(-1), 0);
  if (m < 0 && m > -4096) return;
  if (raw_syscall(__NR_madvise, static_cast<uint64_t>(m), kPageBytes, kMadvWipeOnFork) != 0) {
    raw_syscall(__NR_munmap, static_cast<uint64_t>(m), kPageBytes);
    return;
  }
  uint32_t* marker = reinterpret_cast<uint32_t*>(m);
  *marker = 1;
  g_gate.fork_marker = marker;
}

void adopt_unseen_fork() {
  uint32_t* marker = g_gate.fork_marker;
  if (marker == nullptr || load_relaxed(marker) != 0) return;
  *marker = 1;  // this child's children are the next to read zero
  GateThread* t = thread_from_gs();
  if (t != nullptr) thread_identify(t);
  // Its parent's pending signals are not its (nor, with every other thread
  // of the parent gone, are locks they held).
  forget_pending_sigsys(t);
  store_release(&g_gate.sigsys_lock, 0u);
  store_release(&g_gate.handlers_lock, 0u);
}

}  // namespace sysgate::gate
