#include "policy/action.h"

#include <linux/seccomp.h>

#include "syscalls/constants.h"

namespace sysgate::policy {

uint32_t to_seccomp_ret(const Action& action) {
  switch (action.kind) {
    case ActionKind::kAllow: return SECCOMP_RET_ALLOW;
    case ActionKind::kErrno: return SECCOMP_RET_ERRNO | (action.errno_value & SECCOMP_RET_DATA);
    case ActionKind::kKill: return SECCOMP_RET_KILL_PROCESS;
    case ActionKind::kExplain: return SECCOMP_RET_USER_NOTIF;
    case ActionKind::kTrap: return SECCOMP_RET_TRAP | (action.errno_value & SECCOMP_RET_DATA);
    case ActionKind::kLog: return SECCOMP_RET_LOG;
  }
  return SECCOMP_RET_KILL_PROCESS;  // unreachable; fail closed
}

static std::string errno_text(uint16_t err) {
  std::string_view name = syscalls::constants::errno_name(err);
  return name.empty() ? std::to_string(err) : std::string(name);
}

std::string to_string(const Action& action) {
  switch (action.kind) {
    case ActionKind::kAllow: return "allow";
    case ActionKind::kErrno: return "errno(" + errno_text(action.errno_value) + ")";
    case ActionKind::kKill: return "kill";
    case ActionKind::kExplain: return "explain(" + errno_text(action.errno_value) + ")";
    case ActionKind::kTrap: return "trap(" + std::to_string(action.errno_value) + ")";
    case ActionKind::kLog: return "log";
  }
  return "kill";
}

}  // namespace sysgate::policy
