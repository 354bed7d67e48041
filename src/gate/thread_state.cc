#include "gate/thread_state.h"

#include <asm/unistd.h>
#include <linux/mman.h>

#include "gate/app_memory.h"
#include "gate/moved_handler.h"
#include "gate/raw_syscall.h"
#include "gate/rewrite.h"
#include "gate/util.h"

namespace sysgate::gate {

constinit GateProcess g_gate = {};

GateThread* thread_create(uint64_t stack_bytes) {
  stack_bytes = (stack_bytes + kPageBytes - 1) & ~(kPageBytes - 1);
  const uint64_t map_bytes = kPageBytes + stack_bytes + kPageBytes;
  const long m = raw_syscall(__NR_mmap, 0, map_bytes, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, static_cast<uint64_t>(-1), 0);
  if (m < 0 && m > -4096) return nullptr;
  uint8_t* map = reinterpret_cast<uint8_t*>(m);
  // The guard page: a mapping over it, not mprotect, so the gate never needs
  // mprotect (and the filter need not allow it from the gate).
  const long g = raw_syscall(__NR_mmap, addr(map), kPageBytes, PROT_NONE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, static_cast<uint64_t>(-1), 0);
  if (g < 0 && g > -4096) {
    raw_syscall(__NR_munmap, addr(map), map_bytes);
    return nullptr;
  }
  GateThread* t = reinterpret_cast<GateThread*>(map + kPageBytes + stack_bytes);
  // Fresh anonymous memory is zero: only the non-zero fields.
  t->magic = kThreadMagic;
  t->self = t;
  t->map = map;
  t->map_bytes = map_bytes;
  t->stack = map + kPageBytes;
  t->stack_bytes = stack_bytes;
  t->unmap_on_exit = 1;
  t->app_altstack.flags = SS_DISABLE;
  return t;
}

long thread_register_stack(GateThread* t, arch::KernelStack* old) {
  arch::KernelStack ss = {};
  ss.ss_sp = addr(t->stack);
  ss.ss_flags = 0;
  ss.ss_size = t->stack_bytes;
  return raw_syscall(__NR_sigaltstack, addr(&ss), addr(old));
}

void thread_unmap(GateThread* t) {
  uint8_t* map = t->map;
  const uint64_t bytes = t->map_bytes;
  t->magic = 0;
  raw_syscall(__NR_munmap, addr(map), bytes);
}

void thread_identify(GateThread* t) {
  t->tid = static_cast<int32_t>(raw_syscall(__NR_gettid));
  t->pid = static_cast<int32_t>(raw_syscall(__NR_getpid));
}

namespace {

constexpr uint64_t kArchSetGs = 0x1001;  // ARCH_SET_GS
constexpr uint64_t kArchGetGs = 0x1004;  // ARCH_GET_GS
constexpr uint64_t kArchGetFs = 0x1003;  // ARCH_GET_FS

bool is_thread(const GateThread* t) { return t != nullptr && t->magic == kThreadMagic && t->self == t; }

}  // namespace

long thread_set_gs(GateThread* t) {
  const long r = raw_syscall(__NR_arch_prctl, kArchSetGs, addr(t));
  t->gs_set = r == 0 ? 1 : 0;
  if (r != 0) store_release(&g_gate.gs_owned, 0u);
  return r;
}

GateThread* thread_from_gs() {
  if (load_acquire(&g_gate.gs_owned) == 0) return nullptr;
  uint64_t self;
  asm volatile("movq %%gs:8, %0" : "=r"(self));  // GateThread::self
  GateThread* t = reinterpret_cast<GateThread*>(self);
  return is_thread(t) && t->gs_set != 0 ? t : nullptr;
}

GateThread* thread_from_context(arch::KernelUcontext* uc) {
  const arch::KernelStack& ss = uc->uc_stack;
  if (stack_enabled(ss)) {
    // Some alternate stack is registered, so this thread has been given a gate
    // stack (a thread the gate did not see starts without one: the kernel clears
    // it for CLONE_VM children). Its GS base leads to its state.
    if (GateThread* t = thread_from_gs(); t != nullptr) return t;
    // No GS (the program took it, or arch_prctl failed): the registered stack is
    // a gate stack (always so while gs_owned was never set), or a program stack
    // registered before GS was given up, in which case this thread's own GS base
    // may still be the gate's. Both probed: neither need be gate memory.
    GateThread* t = reinterpret_cast<GateThread*>(ss.ss_sp + ss.ss_size);
    const bool maybe_app_stack = load_relaxed(&g_gate.app_stacks_installed) != 0;
    if ((!maybe_app_stack || app_probe_read(addr(t), 2 * sizeof(uint64_t))) && is_thread(t) &&
        addr(t->stack) == ss.ss_sp) {
      return t;
    }
    uint64_t gs = 0;
    if (raw_syscall(__NR_arch_prctl, kArchGetGs, addr(&gs)) == 0 && gs != 0 &&
        app_probe_read(gs, 2 * sizeof(uint64_t))) {
      t = reinterpret_cast<GateThread*>(gs);
      if (is_thread(t) && t->gs_set != 0) return t;
    }
  }
  GateThread* t = thread_create(g_gate.stack_bytes != 0 ? g_gate.stack_bytes : kDefaultStackBytes);
  if (t == nullptr) die("cannot map a gate stack for a new thread");
  thread_identify(t);
  // A clone the gate did not make (`run` lets them through): its stack is
  // unknown, but glibc and musl put a thread's TLS block right above its
  // stack, so every frame of it is below the thread pointer. Where it is
  // below the stack (a main thread's TLS block), moved_handler.h takes a
  // call from anywhere above a handler as its end, as with no top; where it
  // is far above, so does a coroutine stack in between.
  uint64_t fs = 0;
  if (raw_syscall(__NR_arch_prctl, kArchGetFs, addr(&fs)) == 0) t->program_stack_top = fs;
  arch::KernelStack old = {};
  const long r = thread_register_stack(t, &old);
  if (r < 0) die("cannot register the gate stack; sigaltstack error", -r);
  thread_set_gs(t);
  rewrite_unknown_thread();  // a clone the gate did not make: threads are not counted any more
  rewrite_thread_started(t);
  uc->uc_stack.ss_sp = addr(t->stack);
  uc->uc_stack.ss_size = t->stack_bytes;
  uc->uc_stack.ss_flags = 0;
  if ((old.ss_flags & SS_DISABLE) == 0 && old.ss_sp != 0) {
    // Something registered an alternate stack behind the gate's back: keep it as
    // the program's one.
    t->app_altstack.sp = old.ss_sp;
    t->app_altstack.size = old.ss_size;
    t->app_altstack.flags = 0;
  }
  return t;
}

void thread_sync_altstack(GateThread* t, arch::KernelUcontext* uc) {
  if (t->moved_depth != 0) {
    // A moved handler that returned while this trap's call was in the kernel
    // (its rt_sigreturn, not trapped under `run`, put back a larger stack).
    arch::KernelStack registered = {};
    if (raw_syscall(__NR_sigaltstack, 0, addr(&registered)) == 0) moved_levels_follow_altstack(t, registered);
  }
  uint64_t sp = addr(t->stack);
  uint64_t size = t->stack_bytes;
  // Below the gate frames a moved program handler keeps suspended (moved_handler.h).
  if (const uint64_t top = load_relaxed(&t->moved_top); top > sp && top - sp < size) size = top - sp;
  const AppAltStack& app = t->app_altstack;
  if (load_relaxed(&g_gate.gs_owned) != 0 && t->gs_set != 0 && (app.flags & SS_DISABLE) == 0 && app.size != 0) {
    sp = app.sp;
    size = app.size;
    if (load_relaxed(&g_gate.app_stacks_installed) == 0) store_relaxed(&g_gate.app_stacks_installed, 1u);
  }
  arch::KernelStack& ss = uc->uc_stack;
  if (stack_enabled(ss) && ss.ss_sp == sp && ss.ss_size == size) return;
  ss.ss_sp = sp;
  ss.ss_size = size;
  ss.ss_flags = 0;
  // rt_sigreturn alone does not do it: it re-installs uc_stack only while its
  // own rsp -- this frame, on the registered stack -- is off the registered
  // stack. So register it now from a scratch stack that is on neither (the end
  // of this thread's GateThread page), and sigreturn then re-installs the same.
  // Refused (kept as it is) while the program's rsp is on the registered stack,
  // as natively; the next trap tries again.
  arch::KernelStack next = ss;
  sysgate_gate_sigaltstack_on(&next, nullptr, reinterpret_cast<uint8_t*>(t) + kPageBytes - 64);
}

}  // namespace sysgate::gate
