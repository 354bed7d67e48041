// What the filter does with a syscall: the policy's verdicts and their seccomp encoding.
#pragma once

#include <cstdint>
#include <string>

namespace sysgate::policy {

enum class ActionKind : uint8_t {
  kAllow,    // run the syscall
  kErrno,    // fail it with errno_value, silently
  kKill,     // kill the whole process (SECCOMP_RET_KILL_PROCESS)
  kExplain,  // deny with errno_value (default EPERM) and report it (seccomp user notification)
  kTrap,     // raise SIGSYS in the caller (for the in-process gate); errno_value carries SECCOMP_RET_DATA
  kLog,      // run the syscall and let the kernel log it (SECCOMP_RET_LOG)
};

struct Action {
  ActionKind kind = ActionKind::kKill;
  uint16_t errno_value = 0;  // kErrno/kExplain: the errno; kTrap: the 16-bit data

  static Action allow() { return {ActionKind::kAllow, 0}; }
  static Action kill() { return {ActionKind::kKill, 0}; }
  static Action error(uint16_t err) { return {ActionKind::kErrno, err}; }
  static Action explain(uint16_t err = 1 /* EPERM */) { return {ActionKind::kExplain, err}; }
  static Action trap(uint16_t data = 0) { return {ActionKind::kTrap, data}; }
  static Action log() { return {ActionKind::kLog, 0}; }

  friend bool operator==(const Action&, const Action&) = default;
};

// The 32-bit seccomp return value for an action (SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO|e, ...).
uint32_t to_seccomp_ret(const Action& action);

// "allow", "errno(EACCES)", "kill", "explain(EPERM)", "trap(0)", "log" — the same
// spelling the policy language accepts.
std::string to_string(const Action& action);

}  // namespace sysgate::policy
