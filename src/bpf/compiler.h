// compile(): policy -> seccomp-BPF program. A pure function: no syscalls, no globals.
//
// Shape of the generated program (see compiler.cc for the pseudo-assembly):
//   ld arch; jne AUDIT_ARCH_X86_64 -> kill      (i386 via int 0x80 has another arch)
//   ld nr;   jset X32_BIT -> kill               (x32 numbers)
//   binary search on nr over ranges of equal constant action
//   leaf: ret CONST (no argument access -> the kernel's verdict cache applies)
//      or: argument checks for that syscall, rule by rule, first match wins,
//          64-bit compares on both 32-bit halves (low half only for int args)
//   fall-through: ret default
#pragma once

#include "base/result.h"
#include "bpf/program.h"
#include "policy/policy.h"

namespace sysgate::bpf {

struct CompileOptions {
  // Run the peephole optimiser (jump threading, dead code). Off = the plain program.
  bool optimize = true;
  // Gate mode (DESIGN invariant 3): after the arch and x32 checks, a call whose
  // instruction pointer is outside [begin, end) returns SECCOMP_RET_TRAP — the
  // in-process gate then makes it again from inside the range, where the policy
  // decides. rt_sigreturn is never trapped (the gate cannot emulate it). Off
  // when begin == end. Every verdict then depends on the instruction pointer,
  // so the kernel's verdict cache no longer applies.
  struct Range {
    uint64_t begin = 0, end = 0;
  } trap_outside;
};

// Errors: kTooLarge when the program exceeds kMaxInstructions (4096);
// kInvalidArgument for a condition PolicyBuilder would have refused (argument
// index > 5, width not 32/64, `not` without exactly one child). The result
// always passes validate(); failing it would abort (a compiler bug).
// Pure (no syscalls, no globals) and thread-safe.
Result<Program> compile(const policy::Policy& policy, const CompileOptions& options = {});

}  // namespace sysgate::bpf
