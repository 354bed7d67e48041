// Differential property test: the compiled program and the policy's reference
// semantics (policy::evaluate) must give the same verdict on every input, with
// the optimiser on and off. Seeded; SYSGATE_PROPERTY_SEED=<n> replays a run,
// SYSGATE_PROPERTY_POLICIES=<n> changes how many policies are tried.
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bpf/compiler.h"
#include "bpf/disassembler.h"
#include "bpf/interpreter.h"
#include "gate/gate_trap.h"
#include "policy/evaluate.h"
#include "test_support.h"

namespace sysgate::bpf {
namespace {

using testing::Generator;

uint64_t env_or(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::strtoull(v, nullptr, 0) : fallback;
}

TEST(BpfProperty, CompiledProgramAgreesWithEvaluate) {
  const uint64_t seed = env_or("SYSGATE_PROPERTY_SEED", 0x5eed2024);
  const uint64_t policies = env_or("SYSGATE_PROPERTY_POLICIES", 10000);
  constexpr int kInputsPerPolicy = 500;
  std::printf("[ property ] seed %llu (set SYSGATE_PROPERTY_SEED to replay), %llu policies x %d inputs\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(policies), kInputsPerPolicy);

  const auto start = std::chrono::steady_clock::now();
  uint64_t built = 0, rejected = 0, cases = 0, instructions_opt = 0, instructions_plain = 0;
  size_t largest = 0, large_programs = 0;
  // How inputs were decided by evaluate(): is the test reaching the rules?
  uint64_t reasons[4] = {0, 0, 0, 0};  // wrong arch, x32, rule, default
  uint64_t conditional_hits = 0;       // decided by a rule with a real condition
  uint64_t fell_through = 0;           // had rules, none matched
  for (uint64_t i = 0; i < policies; ++i) {
    Generator gen(testing::derive_seed(seed, i));
    Result<policy::Policy> p = gen.policy();
    if (!p) {
      ++rejected;
      continue;
    }
    ++built;
    Result<Program> optimized = compile(*p, {.optimize = true});
    Result<Program> plain = compile(*p, {.optimize = false});
    ASSERT_TRUE(optimized.ok()) << "policy #" << i << ": " << optimized.error().describe() << "\n"
                                << testing::describe(*p);
    ASSERT_TRUE(plain.ok()) << "policy #" << i << ": " << plain.error().describe();
    ASSERT_TRUE(validate(*optimized).ok());
    ASSERT_TRUE(validate(*plain).ok());
    instructions_opt += optimized->size();
    instructions_plain += plain->size();
    largest = std::max(largest, plain->size());
    if (plain->size() > 256) ++large_programs;  // big enough to need far-jump stubs

    for (int j = 0; j < kInputsPerPolicy; ++j) {
      const SeccompData d = gen.input(*p);
      const uint32_t want = testing::reference_verdict(*p, d);
      {
        policy::SyscallInput in{d.nr, d.arch, d.instruction_pointer, {}};
        for (int a = 0; a < 6; ++a) in.args[a] = d.args[a];
        const policy::Decision decision = policy::evaluate(*p, in);
        ++reasons[static_cast<int>(decision.reason)];
        if (decision.reason == policy::Decision::Reason::kRule && !decision.rule->when.is_true()) ++conditional_hits;
        if (decision.reason == policy::Decision::Reason::kDefault && !p->rules_for(d.nr).empty()) ++fell_through;
      }
      const uint32_t got_opt = run(*optimized, d);
      const uint32_t got_plain = run(*plain, d);
      ++cases;
      if (got_opt != want || got_plain != want) {
        const bool opt_bad = got_opt != want;
        FAIL() << "verdict mismatch: seed " << seed << ", policy #" << i << ", input #" << j << "\n"
               << "input:     " << testing::describe(d) << "\n"
               << "evaluate:  " << testing::verdict_text(want) << "\n"
               << "optimised: " << testing::verdict_text(got_opt) << "\n"
               << "plain:     " << testing::verdict_text(got_plain) << "\n"
               << testing::describe(*p) << "program (" << (opt_bad ? "optimised" : "plain") << "):\n"
               << disassemble(opt_bad ? *optimized : *plain);
      }
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "[ property ] %llu policies built, %llu rejected by PolicyBuilder, %llu cases in %.2f s; "
      "mean program %.1f insns optimised / %.1f plain, largest %zu\n",
      static_cast<unsigned long long>(built), static_cast<unsigned long long>(rejected),
      static_cast<unsigned long long>(cases), seconds, built ? double(instructions_opt) / built : 0.0,
      built ? double(instructions_plain) / built : 0.0, largest);
  std::printf(
      "[ property ] %zu programs over 256 insns; decided by: wrong arch %llu, x32 %llu, rule %llu "
      "(%llu by a real condition), default %llu (%llu after no rule matched)\n",
      large_programs, static_cast<unsigned long long>(reasons[0]), static_cast<unsigned long long>(reasons[1]),
      static_cast<unsigned long long>(reasons[2]), static_cast<unsigned long long>(conditional_hits),
      static_cast<unsigned long long>(reasons[3]), static_cast<unsigned long long>(fell_through));
  // Most random policies must be valid, or the test is not testing much.
  EXPECT_GE(built, policies * 9 / 10);
  if (policies >= 2000) {
    EXPECT_GE(cases, 1000000u);
  }
}

}  // namespace
}  // namespace sysgate::bpf

namespace sysgate::bpf {
namespace {

// Gate mode: outside [begin, end) every call traps (rt_sigreturn excepted), after
// the arch and x32 checks; inside, the verdict is exactly the ungated program's.
TEST(BpfProperty, GateModeTrapsOutsideTheRangeAndIsThePolicyInside) {
  const uint64_t seed = env_or("SYSGATE_PROPERTY_SEED", 0x5eed2024) ^ 0x9a7e;
  const uint64_t policies = env_or("SYSGATE_PROPERTY_POLICIES", 10000) / 5;
  constexpr int kInputsPerPolicy = 500;
  uint64_t cases = 0, inside = 0, outside = 0;
  for (uint64_t i = 0; i < policies; ++i) {
    Generator gen(testing::derive_seed(seed, i));
    Result<policy::Policy> p = gen.policy();
    if (!p) continue;
    // A range that random and policy-derived IPs fall on both sides of.
    uint64_t begin = gen.rng()() >> (gen.rng()() % 64);
    uint64_t end = begin + 1 + (gen.rng()() >> (gen.rng()() % 64));
    if (end <= begin) end = ~0ull;
    Result<Program> gated = compile(*p, {.optimize = (i % 2) == 0, .trap_outside = {begin, end}});
    Result<Program> plain = compile(*p, {.optimize = false});
    ASSERT_TRUE(gated.ok()) << gated.error().describe();
    ASSERT_TRUE(plain.ok());
    for (int j = 0; j < kInputsPerPolicy; ++j) {
      SeccompData d = gen.input(*p);
      switch (j % 4) {  // aim at the edges of the range too
        case 0: d.instruction_pointer = begin; break;
        case 1: d.instruction_pointer = end - 1; break;
        case 2: d.instruction_pointer = end; break;
        default: break;
      }
      const uint32_t ungated = run(*plain, d);
      const bool header_decides = d.arch != AUDIT_ARCH_X86_64 || (static_cast<uint32_t>(d.nr) & 0x40000000u);
      const bool in_range = d.instruction_pointer >= begin && d.instruction_pointer < end;
      uint32_t want = ungated;
      if (!header_decides && d.nr != SYS_rt_sigreturn && !in_range) want = SECCOMP_RET_TRAP | gate::kGateTrapData;
      (in_range ? inside : outside)++;
      ++cases;
      const uint32_t got = run(*gated, d);
      ASSERT_EQ(got, want) << "seed " << seed << " policy #" << i << " input #" << j << " range [" << std::hex
                           << begin << ", " << end << ")\ninput: " << testing::describe(d) << "\n"
                           << disassemble(*gated);
    }
  }
  std::printf("[ property ] gate mode: %llu cases (%llu inside the range, %llu outside)\n",
              static_cast<unsigned long long>(cases), static_cast<unsigned long long>(inside),
              static_cast<unsigned long long>(outside));
  EXPECT_GT(inside, cases / 10);
  EXPECT_GT(outside, cases / 10);
}

}  // namespace
}  // namespace sysgate::bpf
