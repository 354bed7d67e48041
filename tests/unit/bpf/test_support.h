// Helpers shared by the BPF tests: inputs, reference verdicts, readable dumps,
// and the random policy / input generator of the property and kernel tests.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bpf/program.h"
#include "policy/builder.h"
#include "policy/policy.h"

namespace sysgate::bpf::testing {

inline constexpr uint32_t kArchI386 = 0x40000003u;  // AUDIT_ARCH_I386

SeccompData make_data(int nr, std::initializer_list<uint64_t> args = {}, uint64_t ip = 0,
                      uint32_t arch = kArchX86_64);

// The policy's own verdict (policy::evaluate), as a seccomp return value.
uint32_t reference_verdict(const policy::Policy& policy, const SeccompData& data);

std::string verdict_text(uint32_t verdict);
std::string describe(const SeccompData& data);
std::string describe(const policy::Policy& policy);

// Follows the program the way the kernel's verdict cache does
// (seccomp_is_const_allow): only loads of nr and arch, constant compares, ja,
// and `and #k`. Returns the verdict if that reaches a `ret #k`, nullopt as
// soon as anything else (an argument or instruction pointer load) is needed.
std::optional<uint32_t> constant_verdict(const Program& program, int nr, uint32_t arch = kArchX86_64);

// Which actions a generated policy may use.
enum class ActionSet {
  kAll,         // allow, kill, errno, explain, trap, log
  kObservable,  // allow, kill, errno(1..4095 except ENOSYS), trap: what a real-kernel child can observe
};

struct GeneratorOptions {
  ActionSet actions = ActionSet::kAll;
  // Syscall numbers rules may name; empty = random numbers (mostly < 512, some huge).
  std::vector<int> syscalls;
  // Rules appended to every policy (e.g. allow exit_group), after the random ones.
  std::vector<std::pair<int, policy::Action>> fixed_rules;
  bool allow_promises = true;
  // Instruction-pointer values ranges are drawn around (empty = random ones).
  std::vector<uint64_t> ip_points;
};

// Random policies and inputs biased towards the policy's own constants and
// the 32/64-bit boundaries. Deterministic for a given seed.
class Generator {
 public:
  Generator(uint64_t seed, GeneratorOptions options = {});

  // A random policy; build() may reject it (duplicate conditions for one
  // syscall and the like), then the error is returned.
  Result<policy::Policy> policy();

  // A random input for the last generated policy.
  SeccompData input(const policy::Policy& policy);

  std::mt19937_64& rng() { return rng_; }

 private:
  uint64_t pick(const std::vector<uint64_t>& from);
  uint64_t interesting_value(uint8_t width);
  policy::Condition condition(int depth);
  policy::Condition leaf();
  policy::Action action();
  uint64_t argument_value();
  uint64_t ip_value();
  bool chance(double p);

  std::mt19937_64 rng_;
  GeneratorOptions options_;
  // Constants of the current policy, so inputs can hit them.
  std::vector<uint64_t> constants_;
  std::vector<uint64_t> ips_;
};

// Splits a 64-bit seed for item `index` (splitmix64): reproducible per item.
uint64_t derive_seed(uint64_t seed, uint64_t index);

}  // namespace sysgate::bpf::testing
