// Table tests: hand-built policies, {syscall, args} -> expected verdict, run in
// the interpreter with the optimiser on and off (and checked against
// policy::evaluate too). Plus the shape promises of compiler.h.
#include "bpf/compiler.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <cerrno>
#include <climits>
#include <fstream>
#include <sstream>

#include "bpf/disassembler.h"
#include "bpf/interpreter.h"
#include "policy/builder.h"
#include "test_support.h"

namespace sysgate::bpf {
namespace {

using policy::Action;
using policy::CmpOp;
using policy::Condition;
using policy::PolicyBuilder;
using testing::make_data;

const uint32_t kAllow = SECCOMP_RET_ALLOW;
const uint32_t kKill = SECCOMP_RET_KILL_PROCESS;
uint32_t err(uint16_t e) { return SECCOMP_RET_ERRNO | e; }

struct Case {
  SeccompData data;
  uint32_t want;
  std::string what;
};

void expect_table(const policy::Policy& p, const std::vector<Case>& cases) {
  for (bool optimize : {true, false}) {
    Result<Program> prog = compile(p, {.optimize = optimize});
    ASSERT_TRUE(prog.ok()) << prog.error().describe();
    ASSERT_TRUE(validate(*prog).ok());
    for (const Case& c : cases) {
      EXPECT_EQ(testing::verdict_text(testing::reference_verdict(p, c.data)), testing::verdict_text(c.want))
          << "evaluate() disagrees with the table: " << c.what << " " << testing::describe(c.data);
      EXPECT_EQ(testing::verdict_text(run(*prog, c.data)), testing::verdict_text(c.want))
          << c.what << " " << testing::describe(c.data) << (optimize ? " (optimised)" : " (plain)") << "\n"
          << disassemble(*prog);
    }
  }
}

policy::Policy build(PolicyBuilder& b) {
  Result<policy::Policy> p = b.build();
  if (!p) ADD_FAILURE() << p.error().describe();
  return std::move(p).value();
}

TEST(Compiler, ArchAndX32AreKilledFirst) {
  PolicyBuilder b;
  b.set_default(Action::allow()).rule(SYS_getpid, Condition::always(), Action::allow());
  policy::Policy p = build(b);
  expect_table(p, {
                      {make_data(SYS_getpid), kAllow, "native getpid"},
                      {make_data(20 /* i386 getpid */, {}, 0, testing::kArchI386), kKill, "int 0x80"},
                      {make_data(SYS_getpid, {}, 0, 0), kKill, "arch 0"},
                      {make_data(SYS_getpid, {}, 0, 0xC000003Fu), kKill, "arch off by one"},
                      {make_data(SYS_getpid | 0x40000000), kKill, "x32 getpid"},
                      {make_data(0x40000000), kKill, "x32 bit alone"},
                      {make_data(0x7fffffff), kKill, "INT_MAX has the x32 bit"},
                      {make_data(-1), kKill, "-1 carries the x32 bit"},
                      {make_data(INT_MIN), kAllow, "INT_MIN: no x32 bit, default"},
                      {make_data(-(1 << 30) - 1), kAllow, "0xbfffffff: no x32 bit, default"},
                      {make_data(0x3fffffff), kAllow, "largest non-x32 number, default"},
                  });
}

TEST(Compiler, DefaultAndConstantSyscalls) {
  PolicyBuilder b;
  b.set_default(Action::error(EPERM))
      .rule(SYS_read, Condition::always(), Action::allow())
      .rule(SYS_write, Condition::always(), Action::allow())
      .rule(SYS_close, Condition::always(), Action::error(EBADF))
      .rule(SYS_kill, Condition::always(), Action::kill())
      .rule(0x3fffffff, Condition::always(), Action::trap(7));
  policy::Policy p = build(b);
  expect_table(p, {
                      {make_data(SYS_read), kAllow, "read"},
                      {make_data(SYS_write, {~0ull, ~0ull}), kAllow, "write, any args"},
                      {make_data(SYS_open), err(EPERM), "open: default"},
                      {make_data(SYS_close), err(EBADF), "close"},
                      {make_data(SYS_kill), kKill, "kill"},
                      {make_data(0x3fffffff), SECCOMP_RET_TRAP | 7, "huge number with a rule"},
                      {make_data(0x3ffffffe), err(EPERM), "just below it"},
                      {make_data(1000), err(EPERM), "above the table"},
                      {make_data(INT_MIN), err(EPERM), "negative, no x32 bit"},
                  });
}

TEST(Compiler, SixtyFourBitComparesUseBothHalves) {
  const uint64_t v = 0x100000000ull;  // 1 << 32
  PolicyBuilder b;
  b.set_default(Action::error(1))
      .rule(0, Condition::compare(0, 64, CmpOp::kEq, v), Action::error(10))
      .rule(1, Condition::compare(0, 64, CmpOp::kNe, v), Action::error(11))
      .rule(2, Condition::compare(0, 64, CmpOp::kLt, v), Action::error(12))
      .rule(3, Condition::compare(0, 64, CmpOp::kLe, v), Action::error(13))
      .rule(4, Condition::compare(0, 64, CmpOp::kGt, v), Action::error(14))
      .rule(5, Condition::compare(0, 64, CmpOp::kGe, v), Action::error(15));
  policy::Policy p = build(b);
  const uint64_t below = 0xffffffffull, above = 0x100000001ull, hi_only = 0x200000000ull;
  std::vector<Case> cases;
  auto row = [&](int nr, uint64_t a, bool match) {
    cases.push_back({make_data(nr, {a}), match ? err(static_cast<uint16_t>(10 + nr)) : err(1),
                     "nr " + std::to_string(nr) + " arg " + std::to_string(a)});
  };
  for (uint64_t a : std::initializer_list<uint64_t>{0, below, v, above, hi_only, ~0ull, 1}) {
    row(0, a, a == v);
    row(1, a, a != v);
    row(2, a, a < v);
    row(3, a, a <= v);
    row(4, a, a > v);
    row(5, a, a >= v);
  }
  // Values equal in the low half, different in the high half.
  row(0, 0x0, false);
  row(0, 0x300000000ull, false);
  expect_table(p, cases);
}

TEST(Compiler, LowHalfOrderingWithEqualHighHalves) {
  const uint64_t v = 0x00000005fffffff0ull;
  PolicyBuilder b;
  b.set_default(Action::allow())
      .rule(0, Condition::compare(1, 64, CmpOp::kGt, v), Action::error(1))
      .rule(1, Condition::compare(1, 64, CmpOp::kLe, v), Action::error(2));
  policy::Policy p = build(b);
  std::vector<Case> cases;
  for (uint64_t a : std::initializer_list<uint64_t>{v - 1, v, v + 1, v + 0x10, 0x00000004fffffff1ull, 0x00000006fffffff0ull, 0x00000005ffffffffull,
                     0x0000000500000000ull}) {
    cases.push_back({make_data(0, {0, a}), a > v ? err(1) : kAllow, "gt " + std::to_string(a)});
    cases.push_back({make_data(1, {0, a}), a <= v ? err(2) : kAllow, "le " + std::to_string(a)});
  }
  expect_table(p, cases);
}

TEST(Compiler, ThirtyTwoBitArgumentsIgnoreTheHighHalf) {
  PolicyBuilder b;
  b.set_default(Action::error(1))
      .rule(SYS_close, Condition::compare(0, 32, CmpOp::kEq, 5), Action::allow())
      .rule(SYS_dup, Condition::compare(0, 32, CmpOp::kLt, 3), Action::allow())
      .rule(SYS_fcntl, Condition::compare(1, 32, CmpOp::kGe, 0xfffffff0u), Action::allow())
      // AT_FDCWD written as the 64-bit sign extension is truncated by the factory.
      .rule(SYS_openat, Condition::compare(0, 32, CmpOp::kEq, static_cast<uint64_t>(int64_t{AT_FDCWD})),
            Action::allow());
  policy::Policy p = build(b);
  expect_table(p, {
                      {make_data(SYS_close, {5}), kAllow, "5"},
                      {make_data(SYS_close, {0xdeadbeef00000005ull}), kAllow, "garbage high half"},
                      {make_data(SYS_close, {0x100000000ull}), err(1), "low half 0"},
                      {make_data(SYS_dup, {0xffffffff00000002ull}), kAllow, "2 with high garbage"},
                      {make_data(SYS_dup, {0x3}), err(1), "3"},
                      {make_data(SYS_fcntl, {0, 0x00000000fffffff0ull}), kAllow, "ge boundary"},
                      {make_data(SYS_fcntl, {0, 0xffffffff0000000full}), err(1), "high half does not help"},
                      {make_data(SYS_openat, {0xffffff9cull}), kAllow, "AT_FDCWD as int"},
                      {make_data(SYS_openat, {0xffffffffffffff9cull}), kAllow, "AT_FDCWD sign-extended"},
                      {make_data(SYS_openat, {0x9c}), err(1), "not AT_FDCWD"},
                  });
}

TEST(Compiler, MaskedEqual) {
  PolicyBuilder b;
  b.set_default(Action::error(1))
      .rule(SYS_openat, Condition::masked_eq(2, 32, O_ACCMODE, O_RDONLY), Action::allow())
      .rule(SYS_mmap, Condition::masked_eq(3, 64, 0xffffffff000000ffull, 0x0000000100000022ull), Action::allow());
  policy::Policy p = build(b);
  expect_table(p, {
                      {make_data(SYS_openat, {0, 0, O_RDONLY | O_CLOEXEC}), kAllow, "O_RDONLY|O_CLOEXEC"},
                      {make_data(SYS_openat, {0, 0, O_WRONLY}), err(1), "O_WRONLY"},
                      {make_data(SYS_openat, {0, 0, 0xffffffff00000000ull}), kAllow, "32-bit: high half ignored"},
                      {make_data(SYS_mmap, {0, 0, 0, 0x0000000100000022ull}), kAllow, "exact"},
                      {make_data(SYS_mmap, {0, 0, 0, 0x00000001abcdef22ull}), kAllow, "unmasked bits free"},
                      {make_data(SYS_mmap, {0, 0, 0, 0x0000000000000022ull}), err(1), "high half differs"},
                      {make_data(SYS_mmap, {0, 0, 0, 0x0000000100000023ull}), err(1), "low half differs"},
                  });
}

TEST(Compiler, InSet) {
  PolicyBuilder b;
  b.set_default(Action::error(1))
      .rule(SYS_ioctl, Condition::in(1, 32, {0x5401, 0x5413, 0x541b}), Action::allow())
      .rule(SYS_prctl, Condition::in(0, 64, {1, 0x100000001ull, ~0ull}), Action::allow())
      .rule(SYS_lseek, Condition::in(2, 64, {}), Action::allow());
  policy::Policy p = build(b);
  expect_table(p, {
                      {make_data(SYS_ioctl, {0, 0x5413}), kAllow, "TIOCGWINSZ"},
                      {make_data(SYS_ioctl, {0, 0x700005401ull}), kAllow, "high half ignored"},
                      {make_data(SYS_ioctl, {0, 0x5402}), err(1), "not in set"},
                      {make_data(SYS_prctl, {1}), kAllow, "1"},
                      {make_data(SYS_prctl, {0x100000001ull}), kAllow, "1<<32 | 1"},
                      {make_data(SYS_prctl, {0x200000001ull}), err(1), "only low half matches"},
                      {make_data(SYS_prctl, {~0ull}), kAllow, "all ones"},
                      {make_data(SYS_prctl, {0xffffffffull}), err(1), "low all ones only"},
                      {make_data(SYS_lseek, {0, 0, 0}), err(1), "empty set never matches"},
                  });
}

TEST(Compiler, BooleanCombinations) {
  const Condition a0 = Condition::compare(0, 64, CmpOp::kEq, 1);
  const Condition a1 = Condition::compare(1, 64, CmpOp::kEq, 2);
  PolicyBuilder b;
  b.set_default(Action::error(1))
      .rule(0, Condition::all_of({a0, a1}), Action::error(10))
      .rule(1, Condition::any_of({a0, a1}), Action::error(11))
      .rule(2, Condition::negate(a0), Action::error(12))
      .rule(3, Condition::negate(Condition::any_of({a0, Condition::negate(a1)})), Action::error(13))
      .rule(4, Condition::all_of({}), Action::error(14))   // empty all: true
      .rule(5, Condition::any_of({}), Action::error(15));  // empty any: false
  policy::Policy p = build(b);
  std::vector<Case> cases;
  for (uint64_t x : {0, 1}) {
    for (uint64_t y : {0, 2}) {
      const bool p0 = x == 1, p1 = y == 2;
      auto v = [](bool m, uint16_t e) { return m ? err(e) : err(1); };
      std::string w = " x=" + std::to_string(x) + " y=" + std::to_string(y);
      cases.push_back({make_data(0, {x, y}), v(p0 && p1, 10), "all" + w});
      cases.push_back({make_data(1, {x, y}), v(p0 || p1, 11), "any" + w});
      cases.push_back({make_data(2, {x, y}), v(!p0, 12), "not" + w});
      cases.push_back({make_data(3, {x, y}), v(!(p0 || !p1), 13), "not any" + w});
      cases.push_back({make_data(4, {x, y}), err(14), "empty all" + w});
      cases.push_back({make_data(5, {x, y}), err(1), "empty any" + w});
    }
  }
  expect_table(p, cases);
}

TEST(Compiler, InstructionPointerRanges) {
  PolicyBuilder b;
  b.set_default(Action::kill())
      .rule(SYS_getpid, Condition::ip_range(0x7f0000001000ull, 0x7f0000002000ull), Action::allow())
      // A range across the 32-bit boundary.
      .rule(SYS_getppid, Condition::ip_range(0xfffffff0ull, 0x100000010ull), Action::allow())
      // Empty range.
      .rule(SYS_gettid, Condition::ip_range(0x5000, 0x5000), Action::allow());
  policy::Policy p = build(b);
  expect_table(p, {
                      {make_data(SYS_getpid, {}, 0x7f0000001000ull), kAllow, "begin is inside"},
                      {make_data(SYS_getpid, {}, 0x7f0000001fffull), kAllow, "last byte"},
                      {make_data(SYS_getpid, {}, 0x7f0000002000ull), kKill, "end is outside"},
                      {make_data(SYS_getpid, {}, 0x7f0000000fffull), kKill, "before"},
                      {make_data(SYS_getpid, {}, 0x000000001800ull), kKill, "right low half, wrong high half"},
                      {make_data(SYS_getppid, {}, 0xfffffff0ull), kAllow, "begin"},
                      {make_data(SYS_getppid, {}, 0x100000000ull), kAllow, "across"},
                      {make_data(SYS_getppid, {}, 0x10000000full), kAllow, "last"},
                      {make_data(SYS_getppid, {}, 0x100000010ull), kKill, "end"},
                      {make_data(SYS_getppid, {}, 0x0000000full), kKill, "low half alone"},
                      {make_data(SYS_gettid, {}, 0x5000), kKill, "empty range"},
                  });
}

TEST(Compiler, FirstMatchingRuleWins) {
  PolicyBuilder b;
  b.set_default(Action::error(1))
      .rule(SYS_socket, Condition::compare(0, 32, CmpOp::kEq, 1 /* AF_UNIX */), Action::allow())
      .rule(SYS_socket, Condition::compare(0, 32, CmpOp::kLe, 10), Action::error(EAFNOSUPPORT))
      .rule(SYS_socket, Condition::compare(1, 32, CmpOp::kEq, 2), Action::kill())
      .rule(SYS_socket, Condition::always(), Action::error(EACCES));
  policy::Policy p = build(b);
  expect_table(p, {
                      {make_data(SYS_socket, {1, 2}), kAllow, "first rule"},
                      {make_data(SYS_socket, {2, 2}), err(EAFNOSUPPORT), "second"},
                      {make_data(SYS_socket, {11, 2}), kKill, "third"},
                      {make_data(SYS_socket, {11, 3}), err(EACCES), "catch-all"},
                  });
}

// Constant leaves: the path to the verdict of a syscall without argument
// conditions only reads arch and nr, so the kernel's verdict cache can
// evaluate it; syscalls with conditions must not look constant.
TEST(Compiler, ConstantSyscallsNeverLoadArguments) {
  PolicyBuilder b;
  b.set_default(Action::error(EPERM))
      .rule(SYS_read, Condition::always(), Action::allow())
      .rule(SYS_write, Condition::always(), Action::allow())
      .rule(SYS_openat, Condition::masked_eq(2, 32, O_ACCMODE, O_RDONLY), Action::allow())
      .rule(SYS_ioctl, Condition::compare(1, 32, CmpOp::kEq, 0x5401), Action::allow())
      .rule(SYS_ioctl, Condition::always(), Action::error(ENOTTY))
      // Rules that cannot change the verdict: same action as the default.
      .rule(SYS_mkdir, Condition::compare(1, 32, CmpOp::kEq, 0700), Action::error(EPERM))
      // A condition that is structurally false never decides.
      .rule(SYS_rmdir, Condition::any_of({}), Action::allow())
      // First rule unconditional.
      .rule(SYS_exit_group, Condition::always(), Action::allow());
  policy::Policy p = build(b);
  for (bool optimize : {true, false}) {
    Result<Program> prog = compile(p, {.optimize = optimize});
    ASSERT_TRUE(prog.ok());
    for (int nr = 0; nr < 600; ++nr) {
      const bool conditional = nr == SYS_openat || nr == SYS_ioctl;
      std::optional<uint32_t> v = testing::constant_verdict(*prog, nr);
      if (conditional) {
        EXPECT_FALSE(v.has_value()) << nr;
      } else {
        ASSERT_TRUE(v.has_value()) << "syscall " << nr << " is not a constant leaf\n" << disassemble(*prog);
        EXPECT_EQ(*v, testing::reference_verdict(p, make_data(nr))) << nr;
      }
    }
    EXPECT_EQ(testing::constant_verdict(*prog, SYS_read), kAllow);
    EXPECT_EQ(testing::constant_verdict(*prog, SYS_read | 0x40000000), kKill);
    EXPECT_EQ(testing::constant_verdict(*prog, SYS_read, testing::kArchI386), kKill);
  }
}

TEST(Compiler, ProgramsThatDoNotFitAreAnError) {
  PolicyBuilder b;
  b.set_default(Action::allow());
  for (int nr = 0; nr < 400; ++nr) {
    b.rule(nr, Condition::in(0, 64, {1, 2, 3, 4, 5, 6, 7, 8}), Action::error(1));
  }
  policy::Policy p = build(b);
  Result<Program> prog = compile(p);
  ASSERT_FALSE(prog.ok());
  EXPECT_EQ(prog.error().code, ErrorCode::kTooLarge);
}

TEST(Compiler, LargePoliciesStillWork) {
  // Every syscall conditional: a deep tree and many far jumps, still under 4096.
  PolicyBuilder b;
  b.set_default(Action::error(EPERM));
  for (int nr = 0; nr < 330; ++nr) {
    b.rule(nr, Condition::compare(0, 64, CmpOp::kEq, static_cast<uint64_t>(nr) << 32 | 7),
           nr % 2 ? Action::allow() : Action::error(static_cast<uint16_t>(nr + 2)));
  }
  policy::Policy p = build(b);
  for (bool optimize : {true, false}) {
    Result<Program> prog = compile(p, {.optimize = optimize});
    ASSERT_TRUE(prog.ok()) << prog.error().describe();
    EXPECT_GT(prog->size(), 2000u);
    for (int nr = 0; nr < 340; ++nr) {
      for (uint64_t a : {uint64_t{7}, static_cast<uint64_t>(nr) << 32 | 7, static_cast<uint64_t>(nr + 1) << 32 | 7}) {
        SeccompData d = make_data(nr, {a});
        ASSERT_EQ(run(*prog, d), testing::reference_verdict(p, d)) << testing::describe(d);
      }
    }
  }
}

// Golden listing of a small policy. After an intended change to the generated
// code, regenerate with SYSGATE_UPDATE_GOLDEN=1 and review the diff.
TEST(Compiler, GoldenDisassembly) {
  PolicyBuilder b("golden");
  b.set_default(Action::error(EPERM))
      .rule(SYS_read, Condition::always(), Action::allow())
      .rule(SYS_write, Condition::always(), Action::allow())
      .rule(SYS_exit_group, Condition::always(), Action::allow())
      .rule(SYS_openat, Condition::masked_eq(2, 32, O_ACCMODE, O_RDONLY), Action::allow())
      .rule(SYS_mmap, Condition::compare(2, 64, CmpOp::kLt, 0x100000004ull), Action::allow())
      .rule(SYS_kill, Condition::compare(0, 32, CmpOp::kEq, 0), Action::kill())
      .rule(SYS_getpid, Condition::ip_range(0x401000, 0x402000), Action::allow());
  policy::Policy p = build(b);
  Result<Program> prog = compile(p);
  ASSERT_TRUE(prog.ok());
  const std::string listing = disassemble(*prog);
  const std::string path = std::string(SYSGATE_BPF_GOLDEN_DIR) + "/small_policy.txt";
  if (const char* update = std::getenv("SYSGATE_UPDATE_GOLDEN"); update != nullptr && *update == '1') {
    std::ofstream(path) << listing;
    GTEST_SKIP() << "rewrote " << path;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << "missing " << path << " (run with SYSGATE_UPDATE_GOLDEN=1)";
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(listing, want.str()) << "generated code changed; if intended, rerun with SYSGATE_UPDATE_GOLDEN=1";
}

}  // namespace
}  // namespace sysgate::bpf
