// The reference semantics of a policy: which rule decides a syscall, and how.
// The BPF compiler must agree with evaluate() on every input (property-tested).
#pragma once

#include <cstdint>

#include "policy/policy.h"

namespace sysgate::policy {

struct SyscallInput {
  int nr = 0;
  uint32_t arch = 0xC000003Eu;  // AUDIT_ARCH_X86_64
  uint64_t instruction_pointer = 0;
  uint64_t args[6] = {0, 0, 0, 0, 0, 0};
};

struct Decision {
  enum class Reason : uint8_t { kWrongArch, kX32, kRule, kDefault };
  Action action;
  Reason reason = Reason::kDefault;
  const Rule* rule = nullptr;  // kRule only; points into the policy
};

// Pure; thread-safe.
Decision evaluate(const Policy& policy, const SyscallInput& input);

}  // namespace sysgate::policy
