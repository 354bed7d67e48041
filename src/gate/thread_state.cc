#include "gate/thread_state.h"

#include <asm/unistd.h>
#include <linux/mman.h>

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

GateThread* thread_from_context(arch::KernelUcontext* uc) {
  const arch::KernelStack& ss = uc->uc_stack;
  if ((ss.ss_flags & SS_DISABLE) == 0 && ss.ss_sp != 0) {
    GateThread* t = reinterpret_cast<GateThread*>(ss.ss_sp + ss.ss_size);
    // The registered stack is always a gate stack (sigaltstack is virtualised),
    // unless something bypassed the gate; the magic and self pointer say which.
    if (t->magic == kThreadMagic && t->self == t && addr(t->stack) == ss.ss_sp) return t;
  }
  GateThread* t = thread_create(g_gate.stack_bytes != 0 ? g_gate.stack_bytes : kDefaultStackBytes);
  if (t == nullptr) die("cannot map a gate stack for a new thread");
  thread_identify(t);
  arch::KernelStack old = {};
  const long r = thread_register_stack(t, &old);
  if (r < 0) die("cannot register the gate stack; sigaltstack error", -r);
  rewrite_thread_started(t);
  uc->uc_stack.ss_sp = addr(t->stack);
  uc->uc_stack.ss_size = t->stack_bytes;
  uc->uc_stack.ss_flags = 0;
  if ((old.ss_flags & SS_DISABLE) == 0 && old.ss_sp != 0) {
    // Something registered an alternate stack behind the gate's back: keep it as
    // the program's (virtual) one.
    t->app_altstack.sp = old.ss_sp;
    t->app_altstack.size = old.ss_size;
    t->app_altstack.flags = 0;
  }
  return t;
}

}  // namespace sysgate::gate
