// Optional peephole optimiser over a SymbolicProgram (between the compiler and
// the layout step). CompileOptions::optimize switches it off; the property test
// runs every random policy both ways and against the policy's reference
// semantics, so it must never change a verdict.
//
//   SymbolicProgram p = std::move(assembler).finish();
//   optimize(p);
//   Result<Program> program = assemble(p);
//
// Rewrites, repeated until nothing changes:
//   - jump threading: a jump to `ja L` jumps to L instead;
//   - a conditional jump whose two targets are equal becomes `ja`;
//   - `ja L` where L is a `ret` becomes that `ret`;
//   - redundant loads: `ld [k]` is dropped when on every path reaching it the
//     accumulator already holds the word at k (e.g. the second `ld [hi]` of two
//     compares on one 64-bit argument);
//   - `ja` to the very next instruction is dropped;
//   - unreachable instructions are dropped.
// It only removes or shortcuts instructions: no new loads, so the paths to
// constant verdicts still touch only arch and nr (the kernel's verdict cache).
// Pure; not thread-safe on one program.
#pragma once

#include "bpf/assembler.h"

namespace sysgate::bpf {

void optimize(SymbolicProgram& program);

}  // namespace sysgate::bpf
