#include "policy/evaluate.h"

namespace sysgate::policy {

namespace {
constexpr uint32_t kArchX86_64 = 0xC000003Eu;  // AUDIT_ARCH_X86_64
constexpr uint32_t kX32Bit = 0x40000000u;      // __X32_SYSCALL_BIT
}  // namespace

Decision evaluate(const Policy& policy, const SyscallInput& input) {
  // i386 entry (int 0x80, sysenter) reports AUDIT_ARCH_I386: its numbers mean other syscalls.
  if (input.arch != kArchX86_64) return {Action::kill(), Decision::Reason::kWrongArch, nullptr};
  // seccomp_data.nr is compared as an unsigned 32-bit word, so negative numbers carry the x32 bit.
  if (static_cast<uint32_t>(input.nr) & kX32Bit) return {Action::kill(), Decision::Reason::kX32, nullptr};
  for (const Rule& rule : policy.rules_for(input.nr)) {
    if (matches(rule.when, input.args, input.instruction_pointer)) {
      return {rule.action, Decision::Reason::kRule, &rule};
    }
  }
  return {policy.default_action(), Decision::Reason::kDefault, nullptr};
}

}  // namespace sysgate::policy
