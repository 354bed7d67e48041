// A small x86-64 instruction LENGTH decoder for the site rewriter (rewrite.h).
//
//   DecodedInsn d;
//   const uint32_t n = decode_length(p, avail, &d);   // 0: unknown / invalid / truncated
//   if (d.has_target) target = addr_of_p + n + d.rel;  // direct jmp/jcc/call/loop/xbegin
//
// It answers only "how many bytes is this instruction" and "is it a direct
// branch, and where to": legacy prefixes, REX, VEX (C4/C5), EVEX (62), the
// one-byte map and the 0F, 0F38 and 0F3A maps, ModRM/SIB/displacement and
// immediate sizes. Anything it does not know (XOP, 3DNow!, EVEX maps other than
// 1-3 and 5-6, opcodes invalid in 64-bit mode, a 66-prefixed near branch whose
// length differs between vendors) gives 0, and the rewriter then leaves the site
// on the trap path. Checked against Zydis on every function of libc, ld.so and
// python3 (tests/unit/gate/decoder_test.cc).
//
// Freestanding, no state; never reads beyond p[avail - 1].
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace sysgate::gate {

struct DecodedInsn {
  bool has_target;  // a direct relative branch (jmp, jcc, call, loop/jrcxz, xbegin)
  int64_t rel;      // its displacement, relative to the end of the instruction
};

uint32_t decode_length(const uint8_t* p, size_t avail, DecodedInsn* out);

}  // namespace sysgate::gate
