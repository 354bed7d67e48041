// validate(): the kernel's load-time checks; run(): seccomp's run-time semantics.
#include "bpf/interpreter.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace sysgate::bpf {
namespace {

Program prog(std::initializer_list<Instruction> insns) { return Program{std::vector<Instruction>(insns)}; }

TEST(Validate, AcceptsAMinimalProgram) {
  EXPECT_TRUE(validate(prog({BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)})).ok());
}

TEST(Validate, RejectsEmptyAndOversized) {
  EXPECT_FALSE(validate(Program{}).ok());
  Program big;
  big.instructions.assign(kMaxInstructions + 1, BPF_STMT(BPF_RET | BPF_K, 0));
  EXPECT_FALSE(validate(big).ok());
  big.instructions.resize(kMaxInstructions);
  EXPECT_TRUE(validate(big).ok());
}

TEST(Validate, LastInstructionMustReturn) {
  EXPECT_FALSE(validate(prog({BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0)})).ok());
  EXPECT_TRUE(validate(prog({BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0), BPF_STMT(BPF_RET | BPF_A, 0)})).ok());
}

TEST(Validate, LoadsMustBeAlignedAndInsideSeccompData) {
  for (uint32_t k : {0u, 4u, 8u, 60u}) {
    EXPECT_TRUE(validate(prog({BPF_STMT(BPF_LD | BPF_W | BPF_ABS, k), BPF_STMT(BPF_RET | BPF_A, 0)})).ok()) << k;
  }
  for (uint32_t k : {1u, 2u, 62u, 64u, 0xfffff000u /* SKF_AD_OFF */}) {
    EXPECT_FALSE(validate(prog({BPF_STMT(BPF_LD | BPF_W | BPF_ABS, k), BPF_STMT(BPF_RET | BPF_A, 0)})).ok()) << k;
  }
}

TEST(Validate, RejectsOpcodesSeccompDoesNotAllow) {
  const uint16_t refused[] = {
      BPF_LD | BPF_H | BPF_ABS,   BPF_LD | BPF_B | BPF_ABS,   BPF_LD | BPF_W | BPF_IND, BPF_LDX | BPF_B | BPF_MSH,
      BPF_ALU | BPF_MOD | BPF_K,  BPF_ALU | BPF_MOD | BPF_X,  BPF_ALU | BPF_NEG | BPF_X, BPF_RET | BPF_X,
      BPF_JMP | BPF_JA | BPF_X,   BPF_LDX | BPF_W | BPF_ABS,  0xffff,
  };
  for (uint16_t code : refused) {
    EXPECT_FALSE(validate(prog({BPF_STMT(code, 1), BPF_STMT(BPF_RET | BPF_K, 0)})).ok()) << std::hex << code;
  }
}

TEST(Validate, ConstantChecks) {
  auto with = [](Instruction in) { return validate(prog({in, BPF_STMT(BPF_RET | BPF_A, 0)})).ok(); };
  EXPECT_FALSE(with(BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0)));
  EXPECT_TRUE(with(BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 3)));
  EXPECT_FALSE(with(BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32)));
  EXPECT_TRUE(with(BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 31)));
  EXPECT_FALSE(with(BPF_STMT(BPF_ST, 16)));
  EXPECT_TRUE(with(BPF_STMT(BPF_ST, 15)));
}

TEST(Validate, JumpsMustStayInside) {
  // ja k: target pc+1+k must be < len.
  EXPECT_TRUE(validate(prog({BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0), BPF_STMT(BPF_RET | BPF_K, 0)})).ok());
  EXPECT_FALSE(validate(prog({BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0), BPF_STMT(BPF_RET | BPF_K, 0)})).ok());
  EXPECT_FALSE(validate(prog({BPF_JUMP(BPF_JMP | BPF_JA, 0xffffffffu, 0, 0), BPF_STMT(BPF_RET | BPF_K, 0)})).ok());
  EXPECT_TRUE(validate(prog({BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), BPF_STMT(BPF_RET | BPF_K, 0),
                             BPF_STMT(BPF_RET | BPF_K, 1)}))
                  .ok());
  EXPECT_FALSE(validate(prog({BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0), BPF_STMT(BPF_RET | BPF_K, 0),
                              BPF_STMT(BPF_RET | BPF_K, 1)}))
                   .ok());
  EXPECT_FALSE(validate(prog({BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0, 0, 2), BPF_STMT(BPF_RET | BPF_K, 0),
                              BPF_STMT(BPF_RET | BPF_K, 1)}))
                   .ok());
}

TEST(Validate, ScratchMemoryMustBeWrittenOnEveryPath) {
  // st M[0] on one path only, then ld M[0] where the paths join: refused.
  EXPECT_FALSE(validate(prog({
                            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
                            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
                            BPF_STMT(BPF_ST, 0),
                            BPF_STMT(BPF_LD | BPF_MEM, 0),
                            BPF_STMT(BPF_RET | BPF_A, 0),
                        }))
                   .ok());
  EXPECT_TRUE(validate(prog({
                           BPF_STMT(BPF_ST, 0),
                           BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
                           BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
                           BPF_STMT(BPF_STX, 1),
                           BPF_STMT(BPF_LD | BPF_MEM, 0),
                           BPF_STMT(BPF_RET | BPF_A, 0),
                       }))
                  .ok());
}

TEST(Run, LoadsTheSeccompDataLayout) {
  SeccompData d = testing::make_data(257, {0x1111111122222222ull, 2, 3, 4, 5, 0x6666666677777777ull},
                                     0xaaaaaaaabbbbbbbbull);
  auto word = [&](uint32_t off) {
    return run(prog({BPF_STMT(BPF_LD | BPF_W | BPF_ABS, off), BPF_STMT(BPF_RET | BPF_A, 0)}), d);
  };
  EXPECT_EQ(word(0), 257u);
  EXPECT_EQ(word(4), kArchX86_64);
  EXPECT_EQ(word(8), 0xbbbbbbbbu);
  EXPECT_EQ(word(12), 0xaaaaaaaau);
  EXPECT_EQ(word(16), 0x22222222u);
  EXPECT_EQ(word(20), 0x11111111u);
  EXPECT_EQ(word(24), 2u);
  EXPECT_EQ(word(56), 0x77777777u);
  EXPECT_EQ(word(60), 0x66666666u);
  d.nr = -1;
  EXPECT_EQ(word(0), 0xffffffffu);  // nr is signed; BPF sees the unsigned word
}

TEST(Run, ArithmeticAndScratch) {
  SeccompData d = testing::make_data(10);
  // A = nr(10); X = 3; A = A*X (30); M[2] = A; A = 7; A -= 9 (wraps); A = M[2] + A
  Program p = prog({
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
      BPF_STMT(BPF_LDX | BPF_IMM, 3),
      BPF_STMT(BPF_ALU | BPF_MUL | BPF_X, 0),
      BPF_STMT(BPF_ST, 2),
      BPF_STMT(BPF_LD | BPF_IMM, 7),
      BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, 9),
      BPF_STMT(BPF_LDX | BPF_MEM, 2),
      BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0),
      BPF_STMT(BPF_RET | BPF_A, 0),
  });
  ASSERT_TRUE(validate(p).ok());
  EXPECT_EQ(run(p, d), 28u);
  EXPECT_EQ(run(prog({BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0), BPF_STMT(BPF_RET | BPF_A, 0)}), d), 64u);
  EXPECT_EQ(run(prog({BPF_STMT(BPF_LD | BPF_IMM, 5), BPF_STMT(BPF_ALU | BPF_NEG, 0), BPF_STMT(BPF_RET | BPF_A, 0)}), d),
            0xfffffffbu);
  // Shifts by X use the low 5 bits of X.
  EXPECT_EQ(run(prog({BPF_STMT(BPF_LD | BPF_IMM, 1), BPF_STMT(BPF_LDX | BPF_IMM, 33),
                      BPF_STMT(BPF_ALU | BPF_LSH | BPF_X, 0), BPF_STMT(BPF_RET | BPF_A, 0)}),
                d),
            2u);
}

TEST(Run, DivisionByZeroReturnsZero) {
  // The kernel's converted program returns 0 (SECCOMP_RET_KILL_THREAD) on A / 0.
  Program p = prog({
      BPF_STMT(BPF_LD | BPF_IMM, 100),
      BPF_STMT(BPF_LDX | BPF_IMM, 0),
      BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  });
  ASSERT_TRUE(validate(p).ok());
  EXPECT_EQ(run(p, testing::make_data(0)), 0u);
}

TEST(Run, JumpsAreUnsigned) {
  // jgt #5 on nr = -1: 0xffffffff > 5.
  Program p = prog({
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
      BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 5, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 1),
      BPF_STMT(BPF_RET | BPF_K, 2),
  });
  EXPECT_EQ(run(p, testing::make_data(-1)), 1u);
  EXPECT_EQ(run(p, testing::make_data(5)), 2u);
}

}  // namespace
}  // namespace sysgate::bpf
