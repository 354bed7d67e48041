// Listing format: "NNNN: mnemonic operands" padded to a column, then an
// optional "; comment". Jump targets are printed as absolute instruction
// numbers (as tcpdump -d does), not as the encoded relative offsets.
//
// Comments come from a small forward analysis of what the accumulator holds
// (which seccomp_data word was last loaded, if every path agrees), so that
// compares against the syscall number are annotated with the syscall's name
// and compares against arguments with the argument. Works on any program,
// including invalid ones (targets outside the program are printed as is).
#include "bpf/disassembler.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "syscalls/constants.h"
#include "syscalls/syscall_table.h"

namespace sysgate::bpf {

namespace {

constexpr int kUnknown = -1;  // accumulator contents not a known seccomp_data word
constexpr int kNoPath = -2;   // no path reaches this instruction (yet)

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", v);
  return buf;
}

std::string field_name(uint32_t offset) {
  switch (offset) {
    case 0: return "nr";
    case 4: return "arch";
    case 8: return "instruction_pointer lo";
    case 12: return "instruction_pointer hi";
  }
  if (offset >= 16 && offset < 64 && offset % 4 == 0) {
    return "args[" + std::to_string((offset - 16) / 8) + "]" + ((offset % 8) == 0 ? " lo" : " hi");
  }
  return "";
}

std::string verdict_name(uint32_t ret) {
  const uint32_t data = ret & SECCOMP_RET_DATA;
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_KILL_PROCESS: return "KILL_PROCESS";
    case SECCOMP_RET_KILL_THREAD: return "KILL_THREAD";
    case SECCOMP_RET_TRAP: return "TRAP(" + std::to_string(data) + ")";
    case SECCOMP_RET_ERRNO: {
      std::string_view name = syscalls::constants::errno_name(static_cast<int>(data));
      return "ERRNO(" + (name.empty() ? std::to_string(data) : std::string(name)) + ")";
    }
    case SECCOMP_RET_USER_NOTIF: return "USER_NOTIF";
    case SECCOMP_RET_TRACE: return "TRACE(" + std::to_string(data) + ")";
    case SECCOMP_RET_LOG: return "LOG";
    case SECCOMP_RET_ALLOW: return "ALLOW";
  }
  return "unknown action (kills the process)";
}

// For each instruction, the seccomp_data offset the accumulator holds on entry
// (kUnknown if paths disagree or it was computed).
std::vector<int> accumulator_sources(const std::vector<Instruction>& insns) {
  const size_t n = insns.size();
  std::vector<int> in(n, kNoPath);
  auto flow = [&](size_t target, int state) {
    if (target >= n) return;
    if (in[target] == kNoPath) in[target] = state;
    else if (in[target] != state) in[target] = kUnknown;
  };
  if (n > 0) in[0] = kUnknown;
  for (size_t pc = 0; pc < n; ++pc) {
    const Instruction& insn = insns[pc];
    int state = in[pc] == kNoPath ? kUnknown : in[pc];
    if (insn.code == (BPF_LD | BPF_W | BPF_ABS)) {
      state = static_cast<int>(insn.k);
    } else if (BPF_CLASS(insn.code) == BPF_ALU || insn.code == (BPF_MISC | BPF_TXA) ||
               BPF_CLASS(insn.code) == BPF_LD) {
      state = kUnknown;
    }
    if (BPF_CLASS(insn.code) == BPF_RET) continue;
    if (insn.code == (BPF_JMP | BPF_JA)) {
      flow(pc + 1 + insn.k, state);
    } else if (BPF_CLASS(insn.code) == BPF_JMP) {
      flow(pc + 1 + insn.jt, state);
      flow(pc + 1 + insn.jf, state);
    } else {
      flow(pc + 1, state);
    }
  }
  return in;
}

const char* alu_name(uint16_t op) {
  switch (op) {
    case BPF_ADD: return "add";
    case BPF_SUB: return "sub";
    case BPF_MUL: return "mul";
    case BPF_DIV: return "div";
    case BPF_MOD: return "mod";
    case BPF_AND: return "and";
    case BPF_OR: return "or";
    case BPF_XOR: return "xor";
    case BPF_LSH: return "lsh";
    case BPF_RSH: return "rsh";
    case BPF_NEG: return "neg";
  }
  return nullptr;
}

const char* jump_name(uint16_t op) {
  switch (op) {
    case BPF_JEQ: return "jeq";
    case BPF_JGT: return "jgt";
    case BPF_JGE: return "jge";
    case BPF_JSET: return "jset";
  }
  return nullptr;
}

// Mnemonic and operands of one instruction; empty when the opcode is unknown.
std::string format(const Instruction& in, size_t pc) {
  const uint16_t code = in.code;
  const std::string k = "#" + hex(in.k);
  switch (code) {
    case BPF_LD | BPF_W | BPF_ABS: return "ld   [" + std::to_string(in.k) + "]";
    case BPF_LD | BPF_W | BPF_LEN: return "ld   #len";
    case BPF_LDX | BPF_W | BPF_LEN: return "ldx  #len";
    case BPF_LD | BPF_IMM: return "ld   " + k;
    case BPF_LDX | BPF_IMM: return "ldx  " + k;
    case BPF_LD | BPF_MEM: return "ld   M[" + std::to_string(in.k) + "]";
    case BPF_LDX | BPF_MEM: return "ldx  M[" + std::to_string(in.k) + "]";
    case BPF_ST: return "st   M[" + std::to_string(in.k) + "]";
    case BPF_STX: return "stx  M[" + std::to_string(in.k) + "]";
    case BPF_MISC | BPF_TAX: return "tax";
    case BPF_MISC | BPF_TXA: return "txa";
    case BPF_RET | BPF_K: return "ret  " + k;
    case BPF_RET | BPF_A: return "ret  a";
    case BPF_JMP | BPF_JA: return "ja   " + std::to_string(pc + 1 + in.k);
  }
  if (BPF_CLASS(code) == BPF_ALU && (code & ~0xffu) == 0) {
    const char* name = alu_name(BPF_OP(code));
    if (name == nullptr) return "";
    std::string out = name;
    out.resize(5, ' ');
    if (BPF_OP(code) == BPF_NEG) return std::string(name);
    return out + (BPF_SRC(code) == BPF_X ? "x" : k);
  }
  if (BPF_CLASS(code) == BPF_JMP && (code & ~0xffu) == 0) {
    const char* name = jump_name(BPF_OP(code));
    if (name == nullptr) return "";
    std::string out = name;
    out.resize(5, ' ');
    return out + (BPF_SRC(code) == BPF_X ? "x" : k) + ", " + std::to_string(pc + 1 + in.jt) + ", " +
           std::to_string(pc + 1 + in.jf);
  }
  return "";
}

std::string comment(const Instruction& in, int source) {
  if (in.code == (BPF_LD | BPF_W | BPF_ABS)) return field_name(in.k);
  if (in.code == (BPF_RET | BPF_K)) return verdict_name(in.k);
  if (BPF_CLASS(in.code) == BPF_JMP && BPF_SRC(in.code) == BPF_K && in.code != (BPF_JMP | BPF_JA)) {
    if (source == 0) {  // the syscall number
      if (BPF_OP(in.code) == BPF_JSET && in.k == kX32SyscallBit) return "x32 syscall bit";
      if (BPF_OP(in.code) == BPF_JSET) return "";
      // Name the number when it is a syscall ("nr >= openat"); jeq always names it.
      const int nr = static_cast<int>(in.k);
      const char* op = BPF_OP(in.code) == BPF_JEQ ? "nr == " : BPF_OP(in.code) == BPF_JGE ? "nr >= " : "nr > ";
      if (BPF_OP(in.code) == BPF_JEQ || syscalls::by_number(nr) != nullptr) return op + syscalls::display_name(nr);
      return "";
    }
    if (source == 4 && in.k == kArchX86_64) return "AUDIT_ARCH_X86_64";
  }
  return "";
}

}  // namespace

std::string disassemble(const Program& program) {
  const std::vector<Instruction>& insns = program.instructions;
  const std::vector<int> sources = accumulator_sources(insns);
  std::string out;
  char prefix[32];
  for (size_t pc = 0; pc < insns.size(); ++pc) {
    const Instruction& in = insns[pc];
    std::snprintf(prefix, sizeof prefix, "%04zu: ", pc);
    std::string text = format(in, pc);
    if (text.empty()) {
      char buf[80];
      std::snprintf(buf, sizeof buf, ".insn code=0x%04x jt=%u jf=%u k=0x%x", in.code, in.jt, in.jf, in.k);
      text = buf;
    }
    std::string line = prefix + text;
    std::string note = comment(in, sources[pc]);
    if (!note.empty()) {
      constexpr size_t kCommentColumn = 34;
      if (line.size() < kCommentColumn) line.resize(kCommentColumn, ' ');
      else line += ' ';
      line += "; " + note;
    }
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace sysgate::bpf
