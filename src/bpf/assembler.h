// The bottom layer of the BPF backend: an instruction builder with symbolic
// labels, and the layout step that turns it into a kernel-ready Program.
//
//   Assembler as;
//   Label kill = as.new_label(), ok = as.new_label();
//   as.load(offsetof(seccomp_data, arch));
//   as.jump_if(BPF_JEQ, kArchX86_64, ok, kill);
//   as.bind(kill);
//   as.ret(SECCOMP_RET_KILL_PROCESS);
//   as.bind(ok);
//   as.ret(SECCOMP_RET_ALLOW);
//   Result<Program> p = assemble(std::move(as).finish());
//
// Classic BPF only jumps forward. Conditional jumps have 8-bit offsets (jt, jf:
// at most 255 instructions ahead), `ja` has a 32-bit one. The builder does not
// care about distances: every jump names a Label. finish() resolves labels to
// instruction indices (a SymbolicProgram, which the optimiser rewrites), and
// assemble() lays the program out, giving a conditional jump whose target is
// too far a `ja` stub right behind it.
//
// Misuse (a label bound twice or never, a backward jump, a program that can
// fall off its end) is a bug in the caller and aborts. Exceeding the kernel's
// kMaxInstructions is a property of the policy and is returned as an Error.
// Nothing here is thread-safe; there is no global state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/result.h"
#include "bpf/program.h"

namespace sysgate::bpf {

// One instruction whose jump targets are absolute indices into the same
// SymbolicProgram instead of relative offsets. For BPF_JMP|BPF_JA the target
// is `jt` (and `k` is ignored); conditional jumps use `jt` and `jf`; other
// instructions ignore both and continue at the next index.
struct SymbolicInstruction {
  uint16_t code = 0;
  uint32_t k = 0;
  size_t jt = 0;
  size_t jf = 0;
};

// Invariants (checked by assemble()): non-empty; every jump target is after the
// jump and inside the program; the last instruction is a `ret` or a `ja`.
struct SymbolicProgram {
  std::vector<SymbolicInstruction> instructions;
};

// Instruction classification shared by the layers above.
bool is_return(uint16_t code);            // BPF_RET|BPF_K, BPF_RET|BPF_A
bool is_unconditional_jump(uint16_t code);  // BPF_JMP|BPF_JA
bool is_conditional_jump(uint16_t code);  // BPF_JMP with JEQ/JGT/JGE/JSET, K or X
// True when control never continues at the next index (ret or ja).
inline bool ends_block(uint16_t code) { return is_return(code) || is_unconditional_jump(code); }

class Label {
 public:
  Label() = default;

 private:
  friend class Assembler;
  explicit Label(uint32_t id) : id_(id) {}
  uint32_t id_ = UINT32_MAX;
};

class Assembler {
 public:
  Label new_label();
  // The label names the next instruction emitted. Each label is bound once.
  // Several labels may name the same instruction.
  void bind(Label label);

  // ld [offset]: A = 32-bit word of seccomp_data at offset.
  void load(uint32_t offset);
  // A = A <op> k, op one of BPF_ADD, BPF_SUB, BPF_AND, ... (BPF_ALU|op|BPF_K).
  void alu(uint16_t op, uint32_t k);
  // ret #k
  void ret(uint32_t k);
  // ja target
  void jump(Label target);
  // j<op> #k, jt, jf with op one of BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET.
  void jump_if(uint16_t op, uint32_t k, Label jt, Label jf);
  // Any non-jump instruction (for tests of the layers above).
  void raw(uint16_t code, uint32_t k);

  size_t size() const { return instructions_.size(); }

  // Resolves every label. Aborts on an unbound label or a backward jump.
  SymbolicProgram finish() &&;

 private:
  struct Pending {
    uint16_t code;
    uint32_t k;
    uint32_t jt_label;  // UINT32_MAX when not a jump
    uint32_t jf_label;
  };
  static constexpr size_t kUnbound = SIZE_MAX;
  size_t& slot(Label label);

  std::vector<Pending> instructions_;
  std::vector<size_t> label_targets_;  // label id -> instruction index
};

// Lays out a symbolic program into kernel form, turning absolute targets into
// relative offsets. A conditional jump whose target is more than 255
// instructions ahead jumps to a `ja` stub placed right behind it instead.
//
// Why one pass suffices: the layout runs from the last instruction to the
// first. Every jump is forward, so when an instruction is placed, everything it
// can jump to is already placed and its distance from the end of the program is
// final; the stubs an instruction needs go between it and its successor and
// move nothing that is already placed. So no fix-up ever invalidates an earlier
// decision and there is nothing to iterate to a fixpoint.
//
// Error kTooLarge when the result exceeds kMaxInstructions.
Result<Program> assemble(const SymbolicProgram& program);

}  // namespace sysgate::bpf
