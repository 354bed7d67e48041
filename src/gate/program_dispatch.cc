#include "gate/program_dispatch.h"

#include <asm/errno.h>
#include <asm/unistd.h>

#include "gate/raw_syscall.h"
#include "gate/util.h"

namespace sysgate::gate {
namespace {

constexpr uint64_t kPrSetSyscallUserDispatch = 59;
constexpr uint64_t kPrSysDispatchOff = 0, kPrSysDispatchOn = 1;

// Whether t is the calling task's own state: a vfork child the gate did not
// see start (`sysgate run` does not trap vfork) runs on its parent's, whose
// dispatch is not its own (its region is then not honoured: its calls from
// it reach its handler).
bool own_state(const GateThread* t) { return t->tid == static_cast<int32_t>(raw_syscall(__NR_gettid)); }

}  // namespace

bool is_program_dispatch_call(const uint64_t a[6]) {
  return static_cast<uint32_t>(a[0]) == kPrSetSyscallUserDispatch;  // prctl's option is an int
}

long program_dispatch_set(GateThread* t, const uint64_t a[6]) {
  const uint64_t mode = a[1], offset = a[2], length = a[3], selector = a[4];
  if (mode == kPrSysDispatchOff) {
    if (offset != 0 || length != 0 || selector != 0) return -EINVAL;
    const long r = raw_syscall(__NR_prctl, kPrSetSyscallUserDispatch, kPrSysDispatchOff, 0, 0, 0);
    if (r == 0 && own_state(t)) program_dispatch_forget(t);
    return r;
  }
  // Later kernels' other modes (an inclusive region) are not emulated.
  if (mode != kPrSysDispatchOn) return -EINVAL;
  // The kernel's check of the region (an empty one only at offset 0).
  if (offset != 0 && offset + length <= offset) return -EINVAL;
  if (g_gate.code_begin >= g_gate.code_end) return -EINVAL;  // no loader: nothing to exempt (cannot happen in run)
  // The gate's code goes through; the kernel reads (and checks) the selector.
  const long r = raw_syscall(__NR_prctl, kPrSetSyscallUserDispatch, kPrSysDispatchOn, g_gate.code_begin,
                             g_gate.code_end - g_gate.code_begin, selector);
  if (r != 0 || !own_state(t)) return r;
  t->program_dispatch_offset = offset;
  t->program_dispatch_length = length;
  t->program_dispatch_on = 1;
  return 0;
}

bool program_dispatch_on(const GateThread* t) { return t->program_dispatch_on != 0; }

bool program_dispatch_exempt(const GateThread* t, uint64_t call_addr) {
  return call_addr - t->program_dispatch_offset < t->program_dispatch_length;  // as the kernel compares
}

void program_dispatch_forget(GateThread* t) {
  t->program_dispatch_on = 0;
  t->program_dispatch_offset = 0;
  t->program_dispatch_length = 0;
}

}  // namespace sysgate::gate
