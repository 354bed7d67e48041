#include "bpf/optimizer.h"

#include <vector>

#include "bpf/check.h"

namespace sysgate::bpf {

namespace {

using Insns = std::vector<SymbolicInstruction>;

// Follows a chain of `ja` starting at `target` (chains are forward, so finite).
size_t final_target(const Insns& insns, size_t target) {
  while (is_unconditional_jump(insns[target].code)) target = insns[target].jt;
  return target;
}

// Shortcuts through `ja`, folds jcond with equal targets, turns `ja ret` into `ret`.
bool thread_jumps(Insns& insns) {
  bool changed = false;
  for (SymbolicInstruction& in : insns) {
    if (is_conditional_jump(in.code)) {
      size_t jt = final_target(insns, in.jt), jf = final_target(insns, in.jf);
      if (jt != in.jt || jf != in.jf) changed = true;
      in.jt = jt;
      in.jf = jf;
      if (in.jt == in.jf) {  // both ways lead to the same place: the test is moot
        in = SymbolicInstruction{BPF_JMP | BPF_JA, 0, in.jt, 0};
        changed = true;
      }
    }
    if (is_unconditional_jump(in.code)) {
      size_t t = final_target(insns, in.jt);
      if (t != in.jt) changed = true;
      in.jt = t;
      if (is_return(insns[t].code)) {  // jumping to a ret is the ret (A is the same)
        in = insns[t];
        changed = true;
      }
    }
  }
  return changed;
}

// What the accumulator holds when an instruction starts: a seccomp_data word
// (its offset), something else, or nothing yet known because no path reaches it.
constexpr int64_t kOther = -1;
constexpr int64_t kUnreached = -2;

// Marks `ld [k]` instructions that cannot change A. Dataflow over a DAG in
// instruction order (all jumps forward), so one pass computes every state.
// Also marks unreachable instructions.
void mark_redundant(const Insns& insns, std::vector<bool>& drop) {
  const size_t n = insns.size();
  std::vector<int64_t> state(n, kUnreached);
  auto flow = [&](size_t to, int64_t s) {
    if (state[to] == kUnreached) state[to] = s;
    else if (state[to] != s) state[to] = kOther;
  };
  state[0] = kOther;  // the kernel zeroes A; we do not rely on it
  for (size_t i = 0; i < n; ++i) {
    if (state[i] == kUnreached) {
      drop[i] = true;
      continue;
    }
    const SymbolicInstruction& in = insns[i];
    int64_t out = state[i];
    if (in.code == (BPF_LD | BPF_W | BPF_ABS)) {
      if (state[i] == static_cast<int64_t>(in.k)) drop[i] = true;  // A already holds that word
      out = in.k;
    } else if (BPF_CLASS(in.code) == BPF_LD || BPF_CLASS(in.code) == BPF_ALU || in.code == (BPF_MISC | BPF_TXA)) {
      out = kOther;
    }
    if (is_return(in.code)) continue;
    if (is_unconditional_jump(in.code)) {
      flow(in.jt, out);
    } else if (is_conditional_jump(in.code)) {
      flow(in.jt, out);
      flow(in.jf, out);
    } else {
      flow(i + 1, out);
    }
  }
}

// Removes the marked instructions. A jump to a removed instruction lands on
// the next kept one, which is right for every kind we remove: a redundant
// load and a `ja` to the next instruction do nothing, and nothing live jumps
// to an unreachable instruction.
bool compact(Insns& insns, const std::vector<bool>& drop) {
  const size_t n = insns.size();
  std::vector<size_t> new_index(n + 1, 0);
  size_t kept = 0;
  for (size_t i = 0; i < n; ++i) {
    new_index[i] = kept;
    if (!drop[i]) ++kept;
  }
  new_index[n] = kept;
  if (kept == n) return false;
  // new_index[i] is the count of kept instructions before i, which is the new
  // index of the first kept instruction at or after i.
  Insns out;
  out.reserve(kept);
  for (size_t i = 0; i < n; ++i) {
    if (drop[i]) continue;
    SymbolicInstruction in = insns[i];
    if (is_unconditional_jump(in.code) || is_conditional_jump(in.code)) {
      in.jt = new_index[in.jt];
      if (is_conditional_jump(in.code)) in.jf = new_index[in.jf];
    }
    out.push_back(in);
  }
  insns = std::move(out);
  return true;
}

}  // namespace

void optimize(SymbolicProgram& program) {
  Insns& insns = program.instructions;
  SYSGATE_BPF_CHECK(!insns.empty());
  for (bool changed = true; changed;) {
    changed = thread_jumps(insns);
    std::vector<bool> drop(insns.size(), false);
    mark_redundant(insns, drop);
    for (size_t i = 0; i + 1 < insns.size(); ++i) {
      if (is_unconditional_jump(insns[i].code) && insns[i].jt == i + 1) drop[i] = true;
    }
    if (compact(insns, drop)) changed = true;
  }
}

}  // namespace sysgate::bpf
