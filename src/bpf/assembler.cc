#include "bpf/assembler.h"

#include <string>

#include "bpf/check.h"

namespace sysgate::bpf {

namespace {
constexpr uint32_t kNoLabel = UINT32_MAX;
constexpr size_t kMaxShortJump = 255;  // jt/jf are 8 bits
}  // namespace

bool is_return(uint16_t code) { return code == (BPF_RET | BPF_K) || code == (BPF_RET | BPF_A); }

bool is_unconditional_jump(uint16_t code) { return code == (BPF_JMP | BPF_JA); }

bool is_conditional_jump(uint16_t code) {
  if (BPF_CLASS(code) != BPF_JMP) return false;
  if ((code & ~(BPF_CLASS(0xff) | BPF_OP(0xff) | BPF_SRC(0xff))) != 0) return false;  // stray bits
  switch (BPF_OP(code)) {
    case BPF_JEQ:
    case BPF_JGT:
    case BPF_JGE:
    case BPF_JSET:
      return true;
  }
  return false;
}

// ---- builder ---------------------------------------------------------------

Label Assembler::new_label() {
  label_targets_.push_back(kUnbound);
  return Label(static_cast<uint32_t>(label_targets_.size() - 1));
}

size_t& Assembler::slot(Label label) {
  SYSGATE_BPF_CHECK(label.id_ < label_targets_.size());
  return label_targets_[label.id_];
}

void Assembler::bind(Label label) {
  size_t& target = slot(label);
  SYSGATE_BPF_CHECK(target == kUnbound);
  target = instructions_.size();
}

void Assembler::load(uint32_t offset) { raw(BPF_LD | BPF_W | BPF_ABS, offset); }

void Assembler::alu(uint16_t op, uint32_t k) { raw(static_cast<uint16_t>(BPF_ALU | op | BPF_K), k); }

void Assembler::ret(uint32_t k) { raw(BPF_RET | BPF_K, k); }

void Assembler::jump(Label target) {
  slot(target);  // validates the label
  instructions_.push_back({BPF_JMP | BPF_JA, 0, target.id_, kNoLabel});
}

void Assembler::jump_if(uint16_t op, uint32_t k, Label jt, Label jf) {
  uint16_t code = static_cast<uint16_t>(BPF_JMP | op | BPF_K);
  SYSGATE_BPF_CHECK(is_conditional_jump(code));
  slot(jt);
  slot(jf);
  instructions_.push_back({code, k, jt.id_, jf.id_});
}

void Assembler::raw(uint16_t code, uint32_t k) {
  SYSGATE_BPF_CHECK(BPF_CLASS(code) != BPF_JMP);
  instructions_.push_back({code, k, kNoLabel, kNoLabel});
}

SymbolicProgram Assembler::finish() && {
  SymbolicProgram out;
  out.instructions.reserve(instructions_.size());
  for (size_t i = 0; i < instructions_.size(); ++i) {
    const Pending& p = instructions_[i];
    SymbolicInstruction insn{p.code, p.k, 0, 0};
    if (p.jt_label != kNoLabel) {
      insn.jt = label_targets_[p.jt_label];
      SYSGATE_BPF_CHECK(insn.jt != kUnbound);  // every label a jump names is bound
      SYSGATE_BPF_CHECK(insn.jt > i);          // classic BPF jumps forward only
    }
    if (p.jf_label != kNoLabel) {
      insn.jf = label_targets_[p.jf_label];
      SYSGATE_BPF_CHECK(insn.jf != kUnbound);
      SYSGATE_BPF_CHECK(insn.jf > i);
    }
    out.instructions.push_back(insn);
  }
  return out;
}

// ---- layout ----------------------------------------------------------------

Result<Program> assemble(const SymbolicProgram& program) {
  const std::vector<SymbolicInstruction>& in = program.instructions;
  const size_t n = in.size();
  SYSGATE_BPF_CHECK(n > 0);
  SYSGATE_BPF_CHECK(ends_block(in[n - 1].code));  // control cannot fall off the end

  // Emitted back to front: `reversed` holds the tail of the final program in
  // reverse order, and tail[i] is the number of final instructions from symbolic
  // instruction i (inclusive) to the end. The final index of i is total - tail[i],
  // so the offset of a jump from final index p to symbolic target t is
  // (total - tail[t]) - (p + 1), which only needs distances from the end.
  std::vector<Instruction> reversed;
  reversed.reserve(n + n / 8);
  std::vector<size_t> tail(n, 0);
  auto too_large = [] {
    return make_error(ErrorCode::kTooLarge, "the policy compiles to more than " + std::to_string(kMaxInstructions) +
                                                " BPF instructions, the kernel's limit for one filter");
  };

  for (size_t i = n; i-- > 0;) {
    const SymbolicInstruction& s = in[i];
    const size_t after = reversed.size();  // instructions placed behind i so far
    if (is_unconditional_jump(s.code)) {
      SYSGATE_BPF_CHECK(s.jt > i && s.jt < n);
      reversed.push_back(BPF_JUMP(BPF_JMP | BPF_JA, static_cast<uint32_t>(after - tail[s.jt]), 0, 0));
    } else if (is_conditional_jump(s.code)) {
      SYSGATE_BPF_CHECK(s.jt > i && s.jt < n && s.jf > i && s.jf < n);
      // Decide which targets need a stub. A stub for one target lengthens the
      // distance to the other by one, so settle it in (at most two) rounds.
      bool stub_t = false, stub_f = false;
      for (;;) {
        size_t stubs = (stub_t || stub_f) ? ((stub_t && stub_f && s.jt != s.jf) ? 2 : 1) : 0;
        bool need_t = !stub_t && after + stubs - tail[s.jt] > kMaxShortJump;
        bool need_f = !stub_f && after + stubs - tail[s.jf] > kMaxShortJump;
        if (!need_t && !need_f) break;
        stub_t = stub_t || need_t;
        stub_f = stub_f || need_f;
      }
      const bool shared_stub = stub_t && stub_f && s.jt == s.jf;
      // Final order: jcond, [stub for jt], [stub for jf]. Placed back to front.
      size_t stubs = 0;
      if (stub_f) {
        reversed.push_back(BPF_JUMP(BPF_JMP | BPF_JA, static_cast<uint32_t>(after - tail[s.jf]), 0, 0));
        ++stubs;
      }
      if (stub_t && !shared_stub) {
        reversed.push_back(BPF_JUMP(BPF_JMP | BPF_JA, static_cast<uint32_t>(after + stubs - tail[s.jt]), 0, 0));
        ++stubs;
      }
      // Offsets from the jcond: stub for jt is at +0; stub for jf right after it.
      size_t jt = stub_t ? 0 : after + stubs - tail[s.jt];
      size_t jf = stub_f ? (stub_t && !shared_stub ? 1 : 0) : after + stubs - tail[s.jf];
      SYSGATE_BPF_CHECK(jt <= kMaxShortJump && jf <= kMaxShortJump);
      reversed.push_back(BPF_JUMP(s.code, s.k, static_cast<uint8_t>(jt), static_cast<uint8_t>(jf)));
    } else {
      SYSGATE_BPF_CHECK(BPF_CLASS(s.code) != BPF_JMP);  // no other jump kinds exist in seccomp
      reversed.push_back(BPF_STMT(s.code, s.k));
    }
    tail[i] = reversed.size();
    if (reversed.size() > kMaxInstructions) return too_large();
  }

  Program out;
  out.instructions.assign(reversed.rbegin(), reversed.rend());
  return out;
}

}  // namespace sysgate::bpf
