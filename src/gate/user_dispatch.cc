#include "gate/user_dispatch.h"

#include <asm/errno.h>
#include <asm/unistd.h>

#include "gate/raw_syscall.h"
#include "gate/util.h"

namespace sysgate::gate {
namespace {

constexpr uint64_t kPrSetSyscallUserDispatch = 59;  // PR_SET_SYSCALL_USER_DISPATCH
constexpr uint64_t kPrSysDispatchOn = 1;            // PR_SYS_DISPATCH_ON: the region is exempt

struct UserDispatch {
  uint64_t begin, end;
  uint32_t on;
};
constinit UserDispatch g_dispatch = {};

long arm(uint64_t begin, uint64_t end) {
  // No selector (0): dispatch is always on outside the region.
  return raw_syscall(__NR_prctl, kPrSetSyscallUserDispatch, kPrSysDispatchOn, begin, end - begin, 0);
}

}  // namespace

long user_dispatch_arm(uint64_t begin, uint64_t end) {
  if (begin >= end) return -EINVAL;
  const long r = arm(begin, end);
  if (r != 0) return r;
  g_dispatch = {begin, end, 1};
  return 0;
}

bool user_dispatch_on() { return g_dispatch.on != 0; }

long user_dispatch_rearm() {
  if (g_dispatch.on == 0) return 0;
  return arm(g_dispatch.begin, g_dispatch.end);
}

}  // namespace sysgate::gate
