// The policy compiler. Trusted code (docs/tcb.md): a bug here is a sandbox
// escape, so it is written to be read, not to be clever. Every optimisation
// lives in optimizer.cc and can be switched off; the property test checks this
// file against policy::evaluate() with and without it.
//
// Program shape (labels in lower case, A is the accumulator):
//
//        ld   [4]                       ; A = arch
//        jeq  #AUDIT_ARCH_X86_64, nr, kill_arch
//   kill_arch:
//        ret  KILL_PROCESS              ; i386 (int 0x80, sysenter) and anything else
//   nr:  ld   [0]                       ; A = nr
//        jset #0x40000000, kill_x32, tree
//   kill_x32:
//        ret  KILL_PROCESS              ; x32 numbers (and negative ones, see below)
//   [gate mode only (CompileOptions::trap_outside), jset above goes to gate:]
//   gate:
//        jeq  #__NR_rt_sigreturn, tree, ip
//   ip:  <ip in [begin, end)>  true -> inside, false -> trap
//   trap:
//        ret  TRAP(kGateTrapData)      ; gate/gate_trap.h
//   inside:
//        ld   [0]                       ; A = nr again for the tree
//   tree:                               ; binary search over ranges of nr
//        jge  #first_nr_of_right_half, right, left
//        ...
//   <pool of constant verdicts the tree's leaves jump to>
//        ret  ALLOW
//        ret  ERRNO(EPERM) ...
//   <one block per syscall whose verdict depends on its arguments>
//   sys_openat:
//        <rule 1's condition>  true -> verdict of rule 1, false -> rule 2
//        <rule 2's condition>  ...
//        false of the last rule -> the syscall's fallback verdict
//   <that block's own verdicts>
//
// The syscall number: seccomp_data.nr is an int, but BPF compares unsigned 32-bit
// words, so -1 is 0xffffffff. Every negative number has bit 30 set except
// INT_MIN..-2^30-1 (0x80000000..0xbfffffff); the x32 check kills the first kind
// and the search tree, which covers the whole unsigned range, gives the second
// kind the default verdict like any number without rules.
//
// Constant leaves: a syscall whose verdict does not depend on its arguments is a
// leaf of the tree that jumps straight to a `ret`; the path to it only loads
// arch and nr and uses jeq/jge/jset with constants, which is exactly what the
// kernel's seccomp verdict cache can evaluate ahead of time (it caches ALLOW).
#include "gate/gate_trap.h"
#include "bpf/compiler.h"

#include <sys/syscall.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "bpf/assembler.h"
#include "bpf/check.h"
#include "bpf/interpreter.h"
#include "bpf/optimizer.h"

namespace sysgate::bpf {

namespace {

using policy::Action;
using policy::CmpOp;
using policy::Condition;
using policy::Rule;

// ---- seccomp_data layout (little-endian x86-64) ------------------------------
constexpr uint32_t kOffsetNr = 0;
constexpr uint32_t kOffsetArch = 4;
constexpr uint32_t kOffsetIp = 8;     // instruction_pointer: lo @8, hi @12
constexpr uint32_t kOffsetArgs = 16;  // args[i]: lo @16+8i, hi @20+8i
static_assert(offsetof(seccomp_data, nr) == kOffsetNr && offsetof(seccomp_data, arch) == kOffsetArch &&
              offsetof(seccomp_data, instruction_pointer) == kOffsetIp && offsetof(seccomp_data, args) == kOffsetArgs &&
              sizeof(seccomp_data::args[0]) == 8);
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the low half of a 64-bit field is the first word");

constexpr uint32_t lo32(uint64_t v) { return static_cast<uint32_t>(v); }
constexpr uint32_t hi32(uint64_t v) { return static_cast<uint32_t>(v >> 32); }

// A 64-bit quantity in seccomp_data. `has_hi` is false for an argument compared
// at 32 bits: its high half then counts as zero (the kernel truncates such an
// argument, so its register's upper half must not influence the verdict).
struct Operand {
  uint32_t lo = 0;
  uint32_t hi = 0;
  bool has_hi = true;
};

Operand argument(uint8_t index, uint8_t width) {
  uint32_t lo = kOffsetArgs + 8u * index;
  return Operand{lo, lo + 4, width == 64};
}

constexpr Operand kInstructionPointer{kOffsetIp, kOffsetIp + 4, true};

// ---- conditions known without looking at the input ---------------------------

enum class Known { kFalse, kTrue, kDepends };

// Structural facts only (kTrue, empty all/any/in, and what follows from them
// through all/any/not); compares are never folded. Agrees with policy::matches().
Known known_value(const Condition& c) {
  switch (c.kind) {
    case Condition::Kind::kTrue:
      return Known::kTrue;
    case Condition::Kind::kAll: {
      Known out = Known::kTrue;
      for (const Condition& child : c.children) {
        Known k = known_value(child);
        if (k == Known::kFalse) return Known::kFalse;
        if (k == Known::kDepends) out = Known::kDepends;
      }
      return out;
    }
    case Condition::Kind::kAny: {
      Known out = Known::kFalse;
      for (const Condition& child : c.children) {
        Known k = known_value(child);
        if (k == Known::kTrue) return Known::kTrue;
        if (k == Known::kDepends) out = Known::kDepends;
      }
      return out;
    }
    case Condition::Kind::kNot: {
      Known k = known_value(c.children.at(0));
      return k == Known::kDepends ? k : (k == Known::kTrue ? Known::kFalse : Known::kTrue);
    }
    case Condition::Kind::kCompare:
      return (c.op == CmpOp::kIn && c.set.empty()) ? Known::kFalse : Known::kDepends;
    case Condition::Kind::kIpRange:
      return Known::kDepends;
  }
  return Known::kDepends;
}

// Rejects condition trees the compiler cannot express. PolicyBuilder already
// refuses them; a Policy made some other way gets an error, not a wrong filter.
Result<void> check_condition(const Condition& c, int nr) {
  switch (c.kind) {
    case Condition::Kind::kTrue:
    case Condition::Kind::kIpRange:
      return {};
    case Condition::Kind::kCompare:
      if (c.arg > 5 || (c.width != 32 && c.width != 64) || c.op > CmpOp::kIn) break;
      return {};
    case Condition::Kind::kNot:
      if (c.children.size() != 1) break;
      [[fallthrough]];
    case Condition::Kind::kAll:
    case Condition::Kind::kAny:
      for (const Condition& child : c.children) {
        if (Result<void> r = check_condition(child, nr); !r) return r;
      }
      return {};
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "malformed condition in a rule for syscall " + std::to_string(nr) + ": " +
                        policy::to_string(c, nr));
}

// ---- per-syscall plan --------------------------------------------------------

// What a syscall's rules boil down to: the rules that can still decide, in
// order, and the verdict when none of them matches.
struct SyscallPlan {
  int nr = 0;
  std::vector<const Rule*> rules;
  Action fallback;
  bool constant() const { return rules.empty(); }
};

SyscallPlan plan_syscall(int nr, std::span<const Rule> rules, const Action& default_action) {
  SyscallPlan plan{nr, {}, default_action};
  for (const Rule& rule : rules) {
    Known k = known_value(rule.when);
    if (k == Known::kFalse) continue;  // never decides
    if (k == Known::kTrue) {           // decides every call that gets here; later rules are dead
      plan.fallback = rule.action;
      break;
    }
    plan.rules.push_back(&rule);
  }
  // A trailing rule whose verdict equals the fallback changes nothing: whether it
  // matches or not, the call gets the fallback. Drop such rules from the end.
  // (If every rule goes, the syscall is a constant leaf.)
  const uint32_t fallback = policy::to_seccomp_ret(plan.fallback);
  while (!plan.rules.empty() && policy::to_seccomp_ret(plan.rules.back()->action) == fallback) plan.rules.pop_back();
  return plan;
}

// ---- code generation ---------------------------------------------------------

class Compiler {
 public:
  Compiler(const policy::Policy& policy, const CompileOptions& options) : policy_(policy), options_(options) {}

  Result<SymbolicProgram> run();

 private:
  // A leaf of the search tree: a constant verdict, or the index of a plan.
  struct Leaf {
    bool constant = true;
    uint32_t verdict = 0;  // when constant
    size_t plan = 0;       // when not
    bool operator==(const Leaf& o) const {
      return constant == o.constant && (constant ? verdict == o.verdict : plan == o.plan);
    }
  };
  // The syscall numbers lo..hi (inclusive, unsigned) all go to `leaf`.
  struct Segment {
    uint32_t lo, hi;
    Leaf leaf;
  };

  std::vector<Segment> build_segments() const;
  Label leaf_label(const Leaf& leaf);
  Label subtree_label(size_t first, size_t last);
  void emit_tree(size_t first, size_t last, Label self);
  void emit_syscall_block(const SyscallPlan& plan);

  void emit_condition(const Condition& c, Label if_true, Label if_false);
  void emit_compare(const Operand& a, CmpOp op, uint64_t v, Label if_true, Label if_false);
  void emit_equal(const Operand& a, uint64_t v, Label if_true, Label if_false);
  void emit_greater(const Operand& a, uint64_t v, bool or_equal, Label if_true, Label if_false);
  void emit_masked_equal(const Operand& a, uint64_t mask, uint64_t v, Label if_true, Label if_false);

  const policy::Policy& policy_;
  const CompileOptions& options_;
  Assembler as_;
  std::vector<SyscallPlan> plans_;
  std::vector<Segment> segments_;
  std::map<uint32_t, Label> tree_verdicts_;  // pool after the tree: verdict -> its `ret`
  std::vector<Label> plan_labels_;           // entry of each plan's block
};

Result<SymbolicProgram> Compiler::run() {
  const uint32_t kill = policy::to_seccomp_ret(Action::kill());

  for (int nr : policy_.syscalls_with_rules()) {
    std::span<const Rule> rules = policy_.rules_for(nr);
    for (const Rule& rule : rules) {
      if (Result<void> r = check_condition(rule.when, nr); !r) return r.error();
    }
    // Numbers with the x32 bit (or negative ones that have it) are killed before
    // the tree; their rules can never decide anything.
    if (static_cast<uint32_t>(nr) & kX32SyscallBit) continue;
    plans_.push_back(plan_syscall(nr, rules, policy_.default_action()));
  }
  segments_ = build_segments();
  for (size_t i = 0; i < plans_.size(); ++i) plan_labels_.push_back(as_.new_label());

  // Header: arch, then the x32 bit.
  Label check_nr = as_.new_label(), kill_arch = as_.new_label(), kill_x32 = as_.new_label();
  as_.load(kOffsetArch);
  as_.jump_if(BPF_JEQ, kArchX86_64, check_nr, kill_arch);
  as_.bind(kill_arch);
  as_.ret(kill);
  as_.bind(check_nr);
  as_.load(kOffsetNr);
  Label root = subtree_label(0, segments_.size() - 1);
  const bool gated = options_.trap_outside.begin < options_.trap_outside.end;
  Label gate = as_.new_label();
  as_.jump_if(BPF_JSET, kX32SyscallBit, kill_x32, gated ? gate : root);
  as_.bind(kill_x32);
  as_.ret(kill);
  if (gated) {
    Label ip = as_.new_label(), trap = as_.new_label(), inside = as_.new_label();
    as_.bind(gate);
    as_.jump_if(BPF_JEQ, static_cast<uint32_t>(SYS_rt_sigreturn), root, ip);
    as_.bind(ip);
    emit_condition(Condition::ip_range(options_.trap_outside.begin, options_.trap_outside.end), inside, trap);
    as_.bind(trap);
    as_.ret(policy::to_seccomp_ret(Action::trap(gate::kGateTrapData)));  // the gate's, not the program's
    as_.bind(inside);
    as_.load(kOffsetNr);
    as_.jump(root);
  }

  // The tree (A holds nr throughout), then the verdicts its leaves name.
  if (segments_.size() > 1) emit_tree(0, segments_.size() - 1, root);
  for (const auto& [verdict, label] : tree_verdicts_) {
    as_.bind(label);
    as_.ret(verdict);
  }

  for (size_t i = 0; i < plans_.size(); ++i) {
    if (plans_[i].constant()) continue;
    as_.bind(plan_labels_[i]);
    emit_syscall_block(plans_[i]);
  }
  return std::move(as_).finish();
}

// Cuts the unsigned 32-bit range of numbers into maximal runs with the same
// leaf: numbers without rules get the default verdict, constant syscalls their
// verdict (merged with equal neighbours), others a leaf of their own.
std::vector<Compiler::Segment> Compiler::build_segments() const {
  const Leaf default_leaf{true, policy::to_seccomp_ret(policy_.default_action()), 0};
  std::vector<Segment> out;
  auto append = [&out](uint32_t lo, uint32_t hi, const Leaf& leaf) {
    if (!out.empty() && leaf.constant && out.back().leaf == leaf && out.back().hi + 1 == lo) {
      out.back().hi = hi;  // extend the previous run
    } else {
      out.push_back(Segment{lo, hi, leaf});
    }
  };
  // plans_ is ascending in (signed) nr and holds only numbers without bit 30,
  // i.e. 0..0x3fffffff and INT_MIN..-2^30-1; sort by the unsigned value.
  std::vector<size_t> order(plans_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [this](size_t a, size_t b) {
    return static_cast<uint32_t>(plans_[a].nr) < static_cast<uint32_t>(plans_[b].nr);
  });

  uint64_t next = 0;  // first number not yet covered (64-bit: may reach 2^32)
  for (size_t i : order) {
    const SyscallPlan& plan = plans_[i];
    const uint32_t nr = static_cast<uint32_t>(plan.nr);
    if (next < nr) append(static_cast<uint32_t>(next), nr - 1, default_leaf);
    Leaf leaf = plan.constant() ? Leaf{true, policy::to_seccomp_ret(plan.fallback), 0} : Leaf{false, 0, i};
    append(nr, nr, leaf);
    next = uint64_t{nr} + 1;
  }
  if (next <= 0xffffffffull) append(static_cast<uint32_t>(next), 0xffffffffu, default_leaf);
  return out;
}

Label Compiler::leaf_label(const Leaf& leaf) {
  if (!leaf.constant) return plan_labels_[leaf.plan];
  auto it = tree_verdicts_.find(leaf.verdict);
  if (it == tree_verdicts_.end()) it = tree_verdicts_.emplace(leaf.verdict, as_.new_label()).first;
  return it->second;
}

// The label where the search over segments first..last starts: the leaf itself
// for a single segment (no instruction), otherwise a fresh label for a node.
Label Compiler::subtree_label(size_t first, size_t last) {
  return first == last ? leaf_label(segments_[first].leaf) : as_.new_label();
}

// Pre-order, so every jump goes forward:
//   self: jge #segments[mid].lo, right, left      ; A = nr
//         <left subtree>  <right subtree>
void Compiler::emit_tree(size_t first, size_t last, Label self) {
  const size_t mid = first + (last - first + 1) / 2;  // right half starts here
  Label left = subtree_label(first, mid - 1);
  Label right = subtree_label(mid, last);
  as_.bind(self);
  as_.jump_if(BPF_JGE, segments_[mid].lo, right, left);
  if (first < mid - 1) emit_tree(first, mid - 1, left);
  if (mid < last) emit_tree(mid, last, right);
}

// rule_1: <condition 1> ? verdict_1 : rule_2
// rule_2: <condition 2> ? verdict_2 : ...
// rule_n: <condition n> ? verdict_n : fallback
// followed by one `ret` per distinct verdict of this block.
void Compiler::emit_syscall_block(const SyscallPlan& plan) {
  std::map<uint32_t, Label> verdicts;
  auto verdict_label = [&](const Action& action) {
    uint32_t v = policy::to_seccomp_ret(action);
    auto it = verdicts.find(v);
    if (it == verdicts.end()) it = verdicts.emplace(v, as_.new_label()).first;
    return it->second;
  };
  for (size_t i = 0; i < plan.rules.size(); ++i) {
    const Rule& rule = *plan.rules[i];
    const bool last = i + 1 == plan.rules.size();
    Label next = last ? verdict_label(plan.fallback) : as_.new_label();
    emit_condition(rule.when, verdict_label(rule.action), next);
    if (!last) as_.bind(next);
  }
  for (const auto& [verdict, label] : verdicts) {
    as_.bind(label);
    as_.ret(verdict);
  }
}

// Emits code that jumps to if_true when `c` holds and to if_false otherwise.
// It never falls through: whatever follows it is reached only by a jump.
void Compiler::emit_condition(const Condition& c, Label if_true, Label if_false) {
  switch (c.kind) {
    case Condition::Kind::kTrue:
      as_.jump(if_true);
      return;
    case Condition::Kind::kAll:  // c1 ? (c2 ? ... : F) : F
    case Condition::Kind::kAny:  // c1 ? T : (c2 ? T : ...)
    {
      const bool all = c.kind == Condition::Kind::kAll;
      if (c.children.empty()) {
        as_.jump(all ? if_true : if_false);
        return;
      }
      for (size_t i = 0; i + 1 < c.children.size(); ++i) {
        Label next = as_.new_label();
        emit_condition(c.children[i], all ? next : if_true, all ? if_false : next);
        as_.bind(next);
      }
      emit_condition(c.children.back(), if_true, if_false);
      return;
    }
    case Condition::Kind::kNot:
      emit_condition(c.children[0], if_false, if_true);
      return;
    case Condition::Kind::kIpRange: {  // begin <= ip && ip < end, both 64-bit
      Label below_end = as_.new_label();
      emit_compare(kInstructionPointer, CmpOp::kGe, c.ip_begin, below_end, if_false);
      as_.bind(below_end);
      emit_compare(kInstructionPointer, CmpOp::kLt, c.ip_end, if_true, if_false);
      return;
    }
    case Condition::Kind::kCompare:
      break;
  }
  const Operand a = argument(c.arg, c.width);
  switch (c.op) {
    case CmpOp::kMaskedEq:
      emit_masked_equal(a, c.mask, c.value, if_true, if_false);
      return;
    case CmpOp::kIn:  // a == v1 ? T : (a == v2 ? T : ... : F)
      if (c.set.empty()) {
        as_.jump(if_false);
        return;
      }
      for (size_t i = 0; i + 1 < c.set.size(); ++i) {
        Label next = as_.new_label();
        emit_equal(a, c.set[i], if_true, next);
        as_.bind(next);
      }
      emit_equal(a, c.set.back(), if_true, if_false);
      return;
    default:
      emit_compare(a, c.op, c.value, if_true, if_false);
      return;
  }
}

// The orderings reduce to == and >/>= by swapping the targets:
//   a != v  <=>  !(a == v)      a < v  <=>  !(a >= v)      a <= v  <=>  !(a > v)
void Compiler::emit_compare(const Operand& a, CmpOp op, uint64_t v, Label if_true, Label if_false) {
  switch (op) {
    case CmpOp::kEq: emit_equal(a, v, if_true, if_false); return;
    case CmpOp::kNe: emit_equal(a, v, if_false, if_true); return;
    case CmpOp::kGt: emit_greater(a, v, false, if_true, if_false); return;
    case CmpOp::kGe: emit_greater(a, v, true, if_true, if_false); return;
    case CmpOp::kLt: emit_greater(a, v, true, if_false, if_true); return;
    case CmpOp::kLe: emit_greater(a, v, false, if_false, if_true); return;
    case CmpOp::kMaskedEq:
    case CmpOp::kIn:
      break;
  }
  SYSGATE_BPF_CHECK(false && "emit_compare: not an ordering");
}

// a == v
//   64-bit:        ld [hi]; jeq #hi(v), L, F
//               L: ld [lo]; jeq #lo(v), T, F
//   32-bit:        ld [lo]; jeq #v, T, F
//                  (ja F when v has high bits: a zero-extended word never equals it)
void Compiler::emit_equal(const Operand& a, uint64_t v, Label if_true, Label if_false) {
  if (a.has_hi) {
    Label low_half = as_.new_label();
    as_.load(a.hi);
    as_.jump_if(BPF_JEQ, hi32(v), low_half, if_false);
    as_.bind(low_half);
  } else if (hi32(v) != 0) {
    as_.jump(if_false);
    return;
  }
  as_.load(a.lo);
  as_.jump_if(BPF_JEQ, lo32(v), if_true, if_false);
}

// a > v (or_equal: a >= v), unsigned:
//   a > v  <=>  hi(a) > hi(v) || (hi(a) == hi(v) && lo(a) > lo(v))
//   64-bit:        ld [hi]; jgt #hi(v), T, L1
//              L1: jeq #hi(v), L2, F                ; A still holds hi(a)
//              L2: ld [lo]; jgt #lo(v), T, F         ; jge for a >= v
//     hi(v) == 0:          ld [hi]; jgt #0, T, L2    ; not above 0 means equal to 0
//     hi(v) == 0xffffffff: ld [hi]; jeq #0xffffffff, L2, F   ; nothing is above it
//   32-bit:        ld [lo]; jgt #v, T, F             ; jge for a >= v
//                  (ja F when v has high bits: a <= 0xffffffff < v)
void Compiler::emit_greater(const Operand& a, uint64_t v, bool or_equal, Label if_true, Label if_false) {
  if (a.has_hi) {
    Label low_half = as_.new_label();
    as_.load(a.hi);
    if (hi32(v) == 0) {
      as_.jump_if(BPF_JGT, 0, if_true, low_half);
    } else if (hi32(v) == 0xffffffffu) {
      as_.jump_if(BPF_JEQ, 0xffffffffu, low_half, if_false);
    } else {
      Label not_above = as_.new_label();
      as_.jump_if(BPF_JGT, hi32(v), if_true, not_above);
      as_.bind(not_above);
      as_.jump_if(BPF_JEQ, hi32(v), low_half, if_false);
    }
    as_.bind(low_half);
  } else if (hi32(v) != 0) {
    as_.jump(if_false);
    return;
  }
  as_.load(a.lo);
  as_.jump_if(or_equal ? BPF_JGE : BPF_JGT, lo32(v), if_true, if_false);
}

// (a & mask) == v
//   64-bit:        ld [hi]; and #hi(mask); jeq #hi(v), L, F
//               L: ld [lo]; and #lo(mask); jeq #lo(v), T, F
//   32-bit:        ld [lo]; and #mask; jeq #v, T, F
//                  (ja F when v has high bits)
//   An `and` with an all-ones half is left out (it would not change A).
void Compiler::emit_masked_equal(const Operand& a, uint64_t mask, uint64_t v, Label if_true, Label if_false) {
  if (a.has_hi) {
    Label low_half = as_.new_label();
    as_.load(a.hi);
    if (hi32(mask) != 0xffffffffu) as_.alu(BPF_AND, hi32(mask));
    as_.jump_if(BPF_JEQ, hi32(v), low_half, if_false);
    as_.bind(low_half);
  } else if (hi32(v) != 0) {
    as_.jump(if_false);
    return;
  }
  as_.load(a.lo);
  if (lo32(mask) != 0xffffffffu) as_.alu(BPF_AND, lo32(mask));
  as_.jump_if(BPF_JEQ, lo32(v), if_true, if_false);
}

}  // namespace

Result<Program> compile(const policy::Policy& policy, const CompileOptions& options) {
  Result<SymbolicProgram> symbolic = Compiler(policy, options).run();
  if (!symbolic) return symbolic.error();
  if (options.optimize) optimize(symbolic.value());
  Result<Program> program = assemble(symbolic.value());
  if (!program) return program.error();
  // What we hand to the kernel must pass the kernel's own checks; failing them
  // would be a compiler bug, not a property of the policy.
  SYSGATE_BPF_CHECK(validate(program.value()).ok());
  return program;
}

}  // namespace sysgate::bpf
