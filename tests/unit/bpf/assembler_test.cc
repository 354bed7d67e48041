// The layout step (far-jump stubs) and the optimiser, tested by running the
// result: a symbolic program and its laid-out / optimised forms must agree.
#include "bpf/assembler.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "bpf/interpreter.h"
#include "bpf/optimizer.h"
#include "test_support.h"

namespace sysgate::bpf {
namespace {

// Runs a symbolic program directly (absolute targets): the reference for layout.
uint32_t run_symbolic(const SymbolicProgram& p, const SeccompData& data) {
  uint32_t a = 0;
  size_t pc = 0;
  for (;;) {
    const SymbolicInstruction& in = p.instructions.at(pc);
    if (is_return(in.code)) return in.code == (BPF_RET | BPF_K) ? in.k : a;
    if (is_unconditional_jump(in.code)) {
      pc = in.jt;
      continue;
    }
    if (is_conditional_jump(in.code)) {
      bool taken = false;
      switch (BPF_OP(in.code)) {
        case BPF_JEQ: taken = a == in.k; break;
        case BPF_JGT: taken = a > in.k; break;
        case BPF_JGE: taken = a >= in.k; break;
        case BPF_JSET: taken = (a & in.k) != 0; break;
      }
      pc = taken ? in.jt : in.jf;
      continue;
    }
    if (in.code == (BPF_LD | BPF_W | BPF_ABS)) {
      std::memcpy(&a, reinterpret_cast<const char*>(&data) + in.k, 4);
    } else if (in.code == (BPF_ALU | BPF_AND | BPF_K)) {
      a &= in.k;
    } else if (in.code == (BPF_ALU | BPF_ADD | BPF_K)) {
      a += in.k;
    } else {
      ADD_FAILURE() << "unexpected opcode " << in.code;
      return 0;
    }
    ++pc;
  }
}

SeccompData data_with_arg0(uint64_t v) { return testing::make_data(1, {v}); }

// ld [16]; jeq #42, far, near; near: <gap filler>; ret 1; far: ret 2
SymbolicProgram one_far_jump(size_t gap) {
  Assembler as;
  Label far = as.new_label(), near = as.new_label();
  as.load(16);
  as.jump_if(BPF_JEQ, 42, far, near);
  as.bind(near);
  for (size_t i = 0; i < gap; ++i) as.load(20);  // filler that falls through
  as.load(16);
  as.ret(1);
  as.bind(far);
  as.ret(2);
  return std::move(as).finish();
}

size_t count_ja(const Program& p) {
  size_t n = 0;
  for (const Instruction& in : p.instructions) n += in.code == (BPF_JMP | BPF_JA);
  return n;
}

TEST(Assembler, ShortJumpNeedsNoStub) {
  // Distance from the jeq to `far`: gap + 2 (the filler, ld, ret) -> offset gap + 2.
  SymbolicProgram s = one_far_jump(253);  // offset 255: still fits in 8 bits
  Result<Program> p = assemble(s);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(count_ja(*p), 0u);
  EXPECT_EQ(p->size(), s.instructions.size());
  EXPECT_EQ(p->instructions[1].jt, 255);
  ASSERT_TRUE(validate(*p).ok());
  EXPECT_EQ(run(*p, data_with_arg0(42)), 2u);
  EXPECT_EQ(run(*p, data_with_arg0(41)), 1u);
}

TEST(Assembler, FarJumpGetsStub) {
  for (size_t gap : {254u, 255u, 300u, 1000u, 4000u}) {
    SCOPED_TRACE(gap);
    SymbolicProgram s = one_far_jump(gap);
    Result<Program> p = assemble(s);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(count_ja(*p), 1u);
    EXPECT_EQ(p->size(), s.instructions.size() + 1);
    ASSERT_TRUE(validate(*p).ok());
    EXPECT_EQ(run(*p, data_with_arg0(42)), 2u);
    EXPECT_EQ(run(*p, data_with_arg0(0x10000002aull)), 2u);  // [16] is the low half only
    EXPECT_EQ(run(*p, data_with_arg0(7)), 1u);
  }
}

TEST(Assembler, BothTargetsFar) {
  for (bool same_target : {false, true}) {
    Assembler as;
    Label t = as.new_label(), f = same_target ? t : as.new_label(), dead = as.new_label();
    as.load(16);
    as.jump_if(BPF_JGT, 10, t, f);
    as.bind(dead);
    for (int i = 0; i < 400; ++i) as.load(20);
    as.ret(0);
    as.bind(t);
    as.ret(1);
    if (!same_target) {
      for (int i = 0; i < 300; ++i) as.load(20);
      as.bind(f);
      as.ret(2);
    }
    SymbolicProgram s = std::move(as).finish();
    Result<Program> p = assemble(s);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(count_ja(*p), same_target ? 1u : 2u);
    ASSERT_TRUE(validate(*p).ok());
    EXPECT_EQ(run(*p, data_with_arg0(11)), 1u);
    EXPECT_EQ(run(*p, data_with_arg0(10)), same_target ? 1u : 2u);
  }
}

TEST(Assembler, StubForOneTargetPushesTheOtherOutOfRange) {
  // jf is exactly 255 away without stubs; the stub for jt makes it 256.
  Assembler as;
  Label t = as.new_label(), f = as.new_label();
  as.load(16);
  as.jump_if(BPF_JEQ, 5, t, f);
  for (int i = 0; i < 254; ++i) as.load(20);
  as.ret(0);
  as.bind(f);  // offset 255 from the jeq
  as.ret(2);
  for (int i = 0; i < 100; ++i) as.load(20);
  as.ret(0);
  as.bind(t);
  as.ret(1);
  SymbolicProgram s = std::move(as).finish();
  Result<Program> p = assemble(s);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(validate(*p).ok());
  EXPECT_EQ(count_ja(*p), 2u);
  EXPECT_EQ(run(*p, data_with_arg0(5)), 1u);
  EXPECT_EQ(run(*p, data_with_arg0(6)), 2u);
}

TEST(Assembler, TooLargeIsAnError) {
  Assembler as;
  for (size_t i = 0; i < kMaxInstructions; ++i) as.load(0);
  as.ret(0);
  Result<Program> p = assemble(std::move(as).finish());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kTooLarge);

  Assembler fits;
  for (size_t i = 0; i + 1 < kMaxInstructions; ++i) fits.load(0);
  fits.ret(0);
  EXPECT_TRUE(assemble(std::move(fits).finish()).ok());
}

TEST(Assembler, StubsCountTowardsTheLimit) {
  // kMaxInstructions symbolic instructions of which one needs a stub: one too many.
  SymbolicProgram s = one_far_jump(kMaxInstructions - 5);
  ASSERT_EQ(s.instructions.size(), kMaxInstructions);
  Result<Program> p = assemble(s);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kTooLarge);
}

TEST(AssemblerDeathTest, MisuseAborts) {
  EXPECT_DEATH(
      {
        Assembler as;
        Label l = as.new_label();
        as.bind(l);
        as.bind(l);
      },
      "internal check failed");
  EXPECT_DEATH(
      {
        Assembler as;
        Label l = as.new_label();
        as.jump(l);  // never bound
        (void)std::move(as).finish();
      },
      "internal check failed");
  EXPECT_DEATH(
      {
        Assembler as;
        Label l = as.new_label();
        as.bind(l);
        as.load(0);
        as.jump(l);  // backward
        (void)std::move(as).finish();
      },
      "internal check failed");
}

// Random forward-only programs (loads, and/add, conditional jumps, ja, ret),
// large enough to need stubs: layout and optimiser must not change results.
SymbolicProgram random_program(std::mt19937_64& rng, size_t n) {
  SymbolicProgram p;
  const uint32_t offsets[] = {0, 4, 16, 20, 24, 28};
  const uint32_t constants[] = {0, 1, 2, 3, 0xff, 0x80000000u, 0xffffffffu};
  auto target = [&](size_t i) {
    // Mostly near, sometimes far (beyond 255), always forward and inside.
    size_t span = n - i - 1;
    size_t d = (rng() % 4 == 0) ? rng() % span : rng() % std::min<size_t>(span, 8);
    return i + 1 + d;
  };
  for (size_t i = 0; i + 1 < n; ++i) {
    SymbolicInstruction in;
    switch (rng() % 10) {
      case 0:
      case 1:
      case 2: in = {BPF_LD | BPF_W | BPF_ABS, offsets[rng() % 6], 0, 0}; break;
      case 3: in = {BPF_ALU | BPF_AND | BPF_K, constants[rng() % 7], 0, 0}; break;
      case 4: in = {BPF_ALU | BPF_ADD | BPF_K, constants[rng() % 7], 0, 0}; break;
      case 5: in = {BPF_JMP | BPF_JA, 0, target(i), 0}; break;
      case 6: in = {BPF_RET | BPF_K, static_cast<uint32_t>(rng() % 5), 0, 0}; break;
      default: {
        const uint16_t ops[] = {BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET};
        in = {static_cast<uint16_t>(BPF_JMP | ops[rng() % 4] | BPF_K), constants[rng() % 7], target(i), target(i)};
        break;
      }
    }
    p.instructions.push_back(in);
  }
  p.instructions.push_back({BPF_RET | BPF_A, 0, 0, 0});
  return p;
}

TEST(Assembler, RandomProgramsKeepTheirMeaning) {
  std::mt19937_64 rng(12345);
  size_t stubs_seen = 0;
  for (int round = 0; round < 300; ++round) {
    const size_t n = 2 + rng() % 1500;
    SymbolicProgram s = random_program(rng, n);
    SymbolicProgram o = s;
    optimize(o);
    EXPECT_LE(o.instructions.size(), s.instructions.size());
    Result<Program> laid = assemble(s);
    Result<Program> laid_opt = assemble(o);
    ASSERT_TRUE(laid.ok() && laid_opt.ok());
    ASSERT_TRUE(validate(*laid).ok()) << validate(*laid).error().describe();
    ASSERT_TRUE(validate(*laid_opt).ok()) << validate(*laid_opt).error().describe();
    stubs_seen += laid->size() - s.instructions.size();
    for (int k = 0; k < 200; ++k) {
      SeccompData d;
      d.nr = static_cast<int>(rng() % 4);
      d.arch = static_cast<uint32_t>(rng() % 3 ? rng() % 4 : rng());
      for (uint64_t& a : d.args) a = rng() % 3 ? rng() % 4 : rng();
      const uint32_t want = run_symbolic(s, d);
      ASSERT_EQ(run(*laid, d), want) << "round " << round;
      ASSERT_EQ(run_symbolic(o, d), want) << "round " << round;
      ASSERT_EQ(run(*laid_opt, d), want) << "round " << round;
    }
  }
  EXPECT_GT(stubs_seen, 100u);  // the far-jump path really ran
}

TEST(Optimizer, ThreadsJumpsAndDropsRedundantLoads) {
  // ld [16]; jeq #1, a, b; a: ja c; b: ld [16]; jeq #2, c, d; c: ret 1; d: ret 2
  Assembler as;
  Label a = as.new_label(), b = as.new_label(), c = as.new_label(), d = as.new_label();
  as.load(16);
  as.jump_if(BPF_JEQ, 1, a, b);
  as.bind(a);
  as.jump(c);
  as.bind(b);
  as.load(16);  // A already holds [16] on the only path here
  as.jump_if(BPF_JEQ, 2, c, d);
  as.bind(c);
  as.ret(1);
  as.bind(d);
  as.ret(2);
  SymbolicProgram s = std::move(as).finish();
  SymbolicProgram o = s;
  optimize(o);
  // ld; jeq #1, c, b'; b': jeq #2, c, d; c: ret 1; d: ret 2  (the ja became a ret, then dead)
  ASSERT_EQ(o.instructions.size(), 5u);
  EXPECT_EQ(o.instructions[0].code, BPF_LD | BPF_W | BPF_ABS);
  EXPECT_EQ(o.instructions[1].jt, 3u);
  EXPECT_EQ(o.instructions[2].code, BPF_JMP | BPF_JEQ | BPF_K);
  for (uint64_t v : {0, 1, 2, 3}) {
    SeccompData data = data_with_arg0(v);
    EXPECT_EQ(run_symbolic(o, data), run_symbolic(s, data));
  }
}

TEST(Optimizer, KeepsLoadsWhenPathsDisagree) {
  // Two paths reach `ld [16]` with different words in A: the load must stay.
  Assembler as;
  Label x = as.new_label(), y = as.new_label(), join = as.new_label();
  as.load(0);
  as.jump_if(BPF_JEQ, 1, x, y);
  as.bind(x);
  as.load(16);
  as.jump(join);
  as.bind(y);
  as.load(24);
  as.jump(join);
  as.bind(join);
  as.load(16);
  as.raw(BPF_RET | BPF_A, 0);
  SymbolicProgram o = std::move(as).finish();
  optimize(o);
  size_t loads16 = 0;
  for (const auto& in : o.instructions) loads16 += in.code == (BPF_LD | BPF_W | BPF_ABS) && in.k == 16;
  EXPECT_GE(loads16, 1u);
  SeccompData d = testing::make_data(0, {7, 8, 9});
  Result<Program> p = assemble(o);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(run(*p, d), 7u);
  d.nr = 1;
  EXPECT_EQ(run(*p, d), 7u);
}

}  // namespace
}  // namespace sysgate::bpf
