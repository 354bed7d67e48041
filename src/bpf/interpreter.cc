// Classic BPF with seccomp's rules, written from the kernel's behaviour:
//
// Load time (validate):
//   bpf_check_basics_ok   1 <= len <= BPF_MAXINSNS
//   bpf_check_classic     known opcodes; div/mod by constant 0 and shifts by
//                         constants >= 32 refused; M[] indices < 16; every jump
//                         lands inside the program; last instruction a return;
//                         check_load_and_stores: M[k] is only read on paths
//                         where it was written
//   seccomp_check_filter  the opcode whitelist below (no byte/half loads, no
//                         indirect loads, no mod, no ld/ldx msh); BPF_LD|W|ABS
//                         only at 4-aligned offsets inside seccomp_data (< 64)
//
// Run time (as the classic->eBPF conversion executes it):
//   A and X start at 0; all arithmetic is 32-bit, unsigned, wrapping;
//   A / X with X == 0 ends the program with return value 0 (the converter emits
//   "if X == 0: return 0"), which seccomp reads as SECCOMP_RET_KILL_THREAD;
//   shifts by X use X & 31 (the eBPF interpreter's and x86 JIT's behaviour);
//   BPF_LEN loads give sizeof(seccomp_data) = 64.
#include "bpf/interpreter.h"

#include <cstring>
#include <string>

#include "bpf/check.h"

namespace sysgate::bpf {

namespace {

constexpr uint32_t kMemWords = 16;  // BPF_MEMWORDS
constexpr uint32_t kDataSize = sizeof(SeccompData);

// The opcodes seccomp accepts (seccomp_check_filter's list; every one of them
// is also in bpf_check_classic's table).
bool seccomp_allows(uint16_t code) {
  switch (code) {
    case BPF_LD | BPF_W | BPF_ABS:
    case BPF_LD | BPF_W | BPF_LEN:
    case BPF_LDX | BPF_W | BPF_LEN:
    case BPF_RET | BPF_K:
    case BPF_RET | BPF_A:
    case BPF_ALU | BPF_ADD | BPF_K:
    case BPF_ALU | BPF_ADD | BPF_X:
    case BPF_ALU | BPF_SUB | BPF_K:
    case BPF_ALU | BPF_SUB | BPF_X:
    case BPF_ALU | BPF_MUL | BPF_K:
    case BPF_ALU | BPF_MUL | BPF_X:
    case BPF_ALU | BPF_DIV | BPF_K:
    case BPF_ALU | BPF_DIV | BPF_X:
    case BPF_ALU | BPF_AND | BPF_K:
    case BPF_ALU | BPF_AND | BPF_X:
    case BPF_ALU | BPF_OR | BPF_K:
    case BPF_ALU | BPF_OR | BPF_X:
    case BPF_ALU | BPF_XOR | BPF_K:
    case BPF_ALU | BPF_XOR | BPF_X:
    case BPF_ALU | BPF_LSH | BPF_K:
    case BPF_ALU | BPF_LSH | BPF_X:
    case BPF_ALU | BPF_RSH | BPF_K:
    case BPF_ALU | BPF_RSH | BPF_X:
    case BPF_ALU | BPF_NEG:
    case BPF_LD | BPF_IMM:
    case BPF_LDX | BPF_IMM:
    case BPF_MISC | BPF_TAX:
    case BPF_MISC | BPF_TXA:
    case BPF_LD | BPF_MEM:
    case BPF_LDX | BPF_MEM:
    case BPF_ST:
    case BPF_STX:
    case BPF_JMP | BPF_JA:
    case BPF_JMP | BPF_JEQ | BPF_K:
    case BPF_JMP | BPF_JEQ | BPF_X:
    case BPF_JMP | BPF_JGE | BPF_K:
    case BPF_JMP | BPF_JGE | BPF_X:
    case BPF_JMP | BPF_JGT | BPF_K:
    case BPF_JMP | BPF_JGT | BPF_X:
    case BPF_JMP | BPF_JSET | BPF_K:
    case BPF_JMP | BPF_JSET | BPF_X:
      return true;
  }
  return false;
}

bool is_cond_jump(uint16_t code) {
  return BPF_CLASS(code) == BPF_JMP && code != (BPF_JMP | BPF_JA);
}

Error invalid(size_t pc, const std::string& why) {
  return make_error(ErrorCode::kInvalidArgument, "BPF instruction " + std::to_string(pc) + ": " + why);
}

uint32_t load_word(const SeccompData& data, uint32_t offset) {
  uint32_t word;
  std::memcpy(&word, reinterpret_cast<const unsigned char*>(&data) + offset, sizeof word);
  return word;
}

}  // namespace

Result<void> validate(const Program& program) {
  const std::vector<Instruction>& insns = program.instructions;
  const size_t len = insns.size();
  if (len == 0) return make_error(ErrorCode::kInvalidArgument, "empty BPF program");
  if (len > kMaxInstructions) {
    return make_error(ErrorCode::kTooLarge, "BPF program has " + std::to_string(len) + " instructions (limit " +
                                                std::to_string(kMaxInstructions) + ")");
  }

  for (size_t pc = 0; pc < len; ++pc) {
    const Instruction& in = insns[pc];
    if (!seccomp_allows(in.code)) return invalid(pc, "opcode not allowed in seccomp filters");
    switch (in.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (in.k >= kDataSize || (in.k & 3) != 0) return invalid(pc, "load outside seccomp_data or unaligned");
        break;
      case BPF_ALU | BPF_DIV | BPF_K:
        if (in.k == 0) return invalid(pc, "division by constant zero");
        break;
      case BPF_ALU | BPF_LSH | BPF_K:
      case BPF_ALU | BPF_RSH | BPF_K:
        if (in.k >= 32) return invalid(pc, "shift by 32 or more");
        break;
      case BPF_LD | BPF_MEM:
      case BPF_LDX | BPF_MEM:
      case BPF_ST:
      case BPF_STX:
        if (in.k >= kMemWords) return invalid(pc, "scratch memory index out of range");
        break;
      case BPF_JMP | BPF_JA:
        // The kernel: k >= len - pc - 1 is refused (the target must be inside).
        if (in.k >= len - pc - 1) return invalid(pc, "jump out of the program");
        break;
      default:
        if (is_cond_jump(in.code) && (pc + in.jt + 1 >= len || pc + in.jf + 1 >= len)) {
          return invalid(pc, "conditional jump out of the program");
        }
        break;
    }
  }
  if (insns[len - 1].code != (BPF_RET | BPF_K) && insns[len - 1].code != (BPF_RET | BPF_A)) {
    return invalid(len - 1, "the last instruction is not a return");
  }

  // check_load_and_stores: one bit per scratch cell, "written on every path
  // reaching here". Jumps only go forward, so one pass in order is exact.
  std::vector<uint16_t> masks(len, 0xffff);
  uint16_t valid = 0;
  for (size_t pc = 0; pc < len; ++pc) {
    const Instruction& in = insns[pc];
    valid &= masks[pc];
    switch (in.code) {
      case BPF_ST:
      case BPF_STX:
        valid = static_cast<uint16_t>(valid | (1u << in.k));
        break;
      case BPF_LD | BPF_MEM:
      case BPF_LDX | BPF_MEM:
        if (!(valid & (1u << in.k))) return invalid(pc, "reads scratch memory that may be unwritten");
        break;
      case BPF_JMP | BPF_JA:
        masks[pc + 1 + in.k] &= valid;
        valid = 0xffff;
        break;
      default:
        if (is_cond_jump(in.code)) {
          masks[pc + 1 + in.jt] &= valid;
          masks[pc + 1 + in.jf] &= valid;
          valid = 0xffff;
        }
        break;
    }
  }
  return {};
}

uint32_t run(const Program& program, const SeccompData& data) {
  const std::vector<Instruction>& insns = program.instructions;
  const size_t len = insns.size();
  uint32_t a = 0, x = 0;
  uint32_t mem[kMemWords] = {};
  uint16_t written = 0;  // cells stored so far; validate() proves reads follow writes

  for (size_t pc = 0;; ++pc) {
    SYSGATE_BPF_CHECK(pc < len);  // a validated program cannot run off its end
    const Instruction& in = insns[pc];
    const uint32_t k = in.k;
    switch (in.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        SYSGATE_BPF_CHECK(k < kDataSize && (k & 3) == 0);
        a = load_word(data, k);
        break;
      case BPF_LD | BPF_W | BPF_LEN: a = kDataSize; break;
      case BPF_LDX | BPF_W | BPF_LEN: x = kDataSize; break;
      case BPF_LD | BPF_IMM: a = k; break;
      case BPF_LDX | BPF_IMM: x = k; break;
      case BPF_LD | BPF_MEM:
        SYSGATE_BPF_CHECK(k < kMemWords && (written & (1u << k)));
        a = mem[k];
        break;
      case BPF_LDX | BPF_MEM:
        SYSGATE_BPF_CHECK(k < kMemWords && (written & (1u << k)));
        x = mem[k];
        break;
      case BPF_ST:
        SYSGATE_BPF_CHECK(k < kMemWords);
        mem[k] = a;
        written = static_cast<uint16_t>(written | (1u << k));
        break;
      case BPF_STX:
        SYSGATE_BPF_CHECK(k < kMemWords);
        mem[k] = x;
        written = static_cast<uint16_t>(written | (1u << k));
        break;
      case BPF_MISC | BPF_TAX: x = a; break;
      case BPF_MISC | BPF_TXA: a = x; break;

      case BPF_ALU | BPF_ADD | BPF_K: a += k; break;
      case BPF_ALU | BPF_ADD | BPF_X: a += x; break;
      case BPF_ALU | BPF_SUB | BPF_K: a -= k; break;
      case BPF_ALU | BPF_SUB | BPF_X: a -= x; break;
      case BPF_ALU | BPF_MUL | BPF_K: a *= k; break;
      case BPF_ALU | BPF_MUL | BPF_X: a *= x; break;
      case BPF_ALU | BPF_DIV | BPF_K:
        SYSGATE_BPF_CHECK(k != 0);
        a /= k;
        break;
      case BPF_ALU | BPF_DIV | BPF_X:
        if (x == 0) return 0;  // the kernel's converted program returns 0
        a /= x;
        break;
      case BPF_ALU | BPF_AND | BPF_K: a &= k; break;
      case BPF_ALU | BPF_AND | BPF_X: a &= x; break;
      case BPF_ALU | BPF_OR | BPF_K: a |= k; break;
      case BPF_ALU | BPF_OR | BPF_X: a |= x; break;
      case BPF_ALU | BPF_XOR | BPF_K: a ^= k; break;
      case BPF_ALU | BPF_XOR | BPF_X: a ^= x; break;
      case BPF_ALU | BPF_LSH | BPF_K:
        SYSGATE_BPF_CHECK(k < 32);
        a <<= k;
        break;
      case BPF_ALU | BPF_LSH | BPF_X: a <<= (x & 31); break;
      case BPF_ALU | BPF_RSH | BPF_K:
        SYSGATE_BPF_CHECK(k < 32);
        a >>= k;
        break;
      case BPF_ALU | BPF_RSH | BPF_X: a >>= (x & 31); break;
      case BPF_ALU | BPF_NEG: a = 0u - a; break;

      case BPF_JMP | BPF_JA:
        pc += k;  // validated: stays inside the program
        break;
      case BPF_JMP | BPF_JEQ | BPF_K: pc += (a == k) ? in.jt : in.jf; break;
      case BPF_JMP | BPF_JEQ | BPF_X: pc += (a == x) ? in.jt : in.jf; break;
      case BPF_JMP | BPF_JGT | BPF_K: pc += (a > k) ? in.jt : in.jf; break;
      case BPF_JMP | BPF_JGT | BPF_X: pc += (a > x) ? in.jt : in.jf; break;
      case BPF_JMP | BPF_JGE | BPF_K: pc += (a >= k) ? in.jt : in.jf; break;
      case BPF_JMP | BPF_JGE | BPF_X: pc += (a >= x) ? in.jt : in.jf; break;
      case BPF_JMP | BPF_JSET | BPF_K: pc += (a & k) ? in.jt : in.jf; break;
      case BPF_JMP | BPF_JSET | BPF_X: pc += (a & x) ? in.jt : in.jf; break;

      case BPF_RET | BPF_K: return k;
      case BPF_RET | BPF_A: return a;

      default:
        SYSGATE_BPF_CHECK(false && "opcode not allowed in seccomp filters");
    }
  }
}

}  // namespace sysgate::bpf
