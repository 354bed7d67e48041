// A classic-BPF seccomp program and the input it runs on.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <vector>

namespace sysgate::bpf {

using Instruction = sock_filter;

// Mirror of the kernel's struct seccomp_data (64 bytes); the input of every program.
struct SeccompData {
  int32_t nr = 0;
  uint32_t arch = 0;
  uint64_t instruction_pointer = 0;
  uint64_t args[6] = {0, 0, 0, 0, 0, 0};
};
static_assert(sizeof(SeccompData) == sizeof(seccomp_data));

struct Program {
  std::vector<Instruction> instructions;
  size_t size() const { return instructions.size(); }
};

// Kernel limit for one filter (BPF_MAXINSNS).
inline constexpr size_t kMaxInstructions = 4096;

// AUDIT_ARCH_X86_64 and the bit that marks x32 syscall numbers.
inline constexpr uint32_t kArchX86_64 = 0xC000003Eu;
inline constexpr uint32_t kX32SyscallBit = 0x40000000u;

}  // namespace sysgate::bpf
