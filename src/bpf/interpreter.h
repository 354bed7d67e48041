// A classic-BPF interpreter with the kernel's seccomp semantics, for tests and
// for `sysgate explain`. validate() applies the kernel's load-time checks
// (seccomp_check_filter + bpf_check_classic): known opcodes, forward jumps in
// bounds, loads aligned and inside seccomp_data, last instruction a return.
#pragma once

#include <cstdint>

#include "base/result.h"
#include "bpf/program.h"

namespace sysgate::bpf {

// Ok, or kInvalidArgument (kTooLarge past kMaxInstructions) naming the first
// offending instruction. Agrees with what seccomp(SECCOMP_SET_MODE_FILTER)
// accepts (checked against the real kernel in tests/unit/bpf/kernel_test.cc).
Result<void> validate(const Program& program);

// Runs a validated program on one input and returns its 32-bit verdict, as the
// kernel would: A and X start at 0, division by a zero X returns 0
// (SECCOMP_RET_KILL_THREAD), shifts by X use X & 31.
// Undefined on a program that fails validate() (it aborts).
// Pure; thread-safe; no allocation.
uint32_t run(const Program& program, const SeccompData& data);

}  // namespace sysgate::bpf
