#include "gate/redirect_filter.h"

#include "gate/gate_trap.h"

#include <asm/unistd.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

namespace sysgate::gate {
namespace {

constexpr uint32_t kOffsetNr = 0, kOffsetArch = 4, kOffsetIpLo = 8, kOffsetIpHi = 12;

sock_filter load(uint32_t offset) { return {BPF_LD | BPF_W | BPF_ABS, 0, 0, offset}; }
sock_filter jump(uint16_t op, uint32_t k, uint8_t jt, uint8_t jf) { return {static_cast<uint16_t>(BPF_JMP | op | BPF_K), jt, jf, k}; }
sock_filter ret(uint32_t k) { return {BPF_RET | BPF_K, 0, 0, k}; }

}  // namespace

bool build_redirect_filter(uint64_t begin, uint64_t end, sock_filter out[kRedirectFilterLength]) {
  if (begin >= end || (begin >> 32) != ((end - 1) >> 32)) return false;
  const uint32_t hi = static_cast<uint32_t>(begin >> 32);
  const uint32_t lo_first = static_cast<uint32_t>(begin);
  const uint32_t lo_last = static_cast<uint32_t>(end - 1);
  // Jump offsets count instructions skipped after the jump: trap is at 9, allow at 10.
  out[0] = load(kOffsetArch);
  out[1] = jump(BPF_JEQ, AUDIT_ARCH_X86_64, 0, 8);   // -> 2 / allow
  out[2] = load(kOffsetNr);
  out[3] = jump(BPF_JEQ, __NR_rt_sigreturn, 6, 0);  // -> allow / 4
  out[4] = load(kOffsetIpHi);
  out[5] = jump(BPF_JEQ, hi, 0, 3);                 // -> 6 / trap
  out[6] = load(kOffsetIpLo);
  out[7] = jump(BPF_JGE, lo_first, 0, 1);           // -> 8 / trap
  out[8] = jump(BPF_JGT, lo_last, 0, 1);            // -> trap / allow
  out[9] = ret(SECCOMP_RET_TRAP | kGateTrapData);
  out[10] = ret(SECCOMP_RET_ALLOW);
  return true;
}

bool build_signal_exec_redirect_filter(uint64_t begin, uint64_t end,
                                       sock_filter out[kSignalExecRedirectFilterLength]) {
  sock_filter program[kMaxListedFilterLength];
  const int n = build_listed_redirect_filter(kGateTrappedNumbers, kGateTrappedCount, begin, end, program);
  if (n != kSignalExecRedirectFilterLength) return false;
  for (int i = 0; i < n; ++i) out[i] = program[i];
  return true;
}

int build_listed_redirect_filter(const long* nrs, int count, uint64_t begin, uint64_t end,
                                 sock_filter out[kMaxListedFilterLength]) {
  if (begin >= end || (begin >> 32) != ((end - 1) >> 32) || count < 0 || count > kMaxListedNumbers) return 0;
  const uint32_t hi = static_cast<uint32_t>(begin >> 32);
  // Layout: 0 ld arch, 1 jeq, 2 ld nr, 3..3+count-1 one jeq per number, 3+count
  // ret ALLOW, then the instruction-pointer check at ip = 4+count (ld hi, jeq,
  // ld lo, jge, jgt), trap = ip+5, allow = ip+6. A jump at index i to index t
  // skips t - i - 1 instructions.
  const int ip = 4 + count, trap = ip + 5, allow = ip + 6;
  auto skip = [](int from, int to) { return static_cast<uint8_t>(to - from - 1); };
  out[0] = load(kOffsetArch);
  out[1] = jump(BPF_JEQ, AUDIT_ARCH_X86_64, 0, skip(1, allow));
  out[2] = load(kOffsetNr);
  for (int j = 0; j < count; ++j) out[3 + j] = jump(BPF_JEQ, static_cast<uint32_t>(nrs[j]), skip(3 + j, ip), 0);
  out[3 + count] = ret(SECCOMP_RET_ALLOW);
  out[ip] = load(kOffsetIpHi);
  out[ip + 1] = jump(BPF_JEQ, hi, 0, skip(ip + 1, trap));
  out[ip + 2] = load(kOffsetIpLo);
  out[ip + 3] = jump(BPF_JGE, static_cast<uint32_t>(begin), 0, skip(ip + 3, trap));
  out[ip + 4] = jump(BPF_JGT, static_cast<uint32_t>(end - 1), 0, 1);
  out[trap] = ret(SECCOMP_RET_TRAP | kGateTrapData);
  out[allow] = ret(SECCOMP_RET_ALLOW);
  return allow + 1;
}

}  // namespace sysgate::gate
