// libFuzzer target: policy text -> parse -> (if valid) compile -> validate.
// Any input must give a policy or a clear error: no crash, no hang, no
// program the kernel would reject, no disagreement on a sample input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bpf/compiler.h"
#include "bpf/interpreter.h"
#include "policy/evaluate.h"
#include "policy/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  sysgate::Result<sysgate::policy::Policy> policy = sysgate::policy::parse_policy(text, "fuzz.toml");
  if (!policy) {
    if (policy.error().message.empty()) __builtin_trap();
    return 0;
  }
  sysgate::Result<sysgate::bpf::Program> program = sysgate::bpf::compile(*policy);
  if (!program) return 0;  // e.g. too large: an error value, fine
  if (!sysgate::bpf::validate(*program)) __builtin_trap();
  // One differential probe per input: the syscall numbers the policy mentions.
  for (int nr : policy->syscalls_with_rules()) {
    sysgate::bpf::SeccompData d;
    d.nr = nr;
    d.arch = sysgate::bpf::kArchX86_64;
    sysgate::policy::SyscallInput in;
    in.nr = nr;
    if (sysgate::bpf::run(*program, d) != sysgate::policy::to_seccomp_ret(sysgate::policy::evaluate(*policy, in).action)) {
      __builtin_trap();
    }
  }
  return 0;
}
