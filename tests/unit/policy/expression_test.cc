#include "policy/expression.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

namespace sysgate::policy {
namespace {

uint64_t args_of(std::initializer_list<uint64_t> a, uint64_t out[6]) {
  size_t i = 0;
  for (uint64_t v : a) out[i++] = v;
  for (; i < 6; ++i) out[i] = 0;
  return 0;
}

bool eval(std::string_view text, int nr, std::initializer_list<uint64_t> a, uint64_t ip = 0) {
  Result<Condition> c = parse_condition(text, nr);
  EXPECT_TRUE(c.ok()) << text << ": " << (c.ok() ? "" : c.error().describe());
  if (!c.ok()) return false;
  uint64_t args[6];
  args_of(a, args);
  return matches(*c, args, ip);
}

TEST(Expression, NamedArgumentsAndConstants) {
  EXPECT_TRUE(eval("(flags & O_ACCMODE) == O_RDONLY", SYS_openat, {0, 0, O_RDONLY | O_CLOEXEC}));
  EXPECT_FALSE(eval("(flags & O_ACCMODE) == O_RDONLY", SYS_openat, {0, 0, O_WRONLY}));
  EXPECT_TRUE(eval("dirfd == AT_FDCWD", SYS_openat, {static_cast<uint64_t>(AT_FDCWD)}));
  EXPECT_TRUE(eval("arg1 in [TCGETS, TIOCGWINSZ]", SYS_ioctl, {1, TIOCGWINSZ}));
  EXPECT_FALSE(eval("arg1 in [TCGETS, TIOCGWINSZ]", SYS_ioctl, {1, TIOCSTI}));
}

TEST(Expression, ThirtyTwoBitArgumentsIgnoreTheUpperHalf) {
  // The kernel truncates int arguments; garbage above bit 31 must not change a verdict.
  EXPECT_TRUE(eval("arg1 == TCGETS", SYS_ioctl, {1, (1ull << 32) | TCGETS}));
  EXPECT_FALSE(eval("arg1 != TCGETS", SYS_ioctl, {1, (1ull << 40) | TCGETS}));
}

TEST(Expression, SixtyFourBitArgumentsCompareBothHalves) {
  EXPECT_FALSE(eval("arg0 == 0", SYS_mmap, {1ull << 32}));
  EXPECT_TRUE(eval("arg0 > 0xffffffff", SYS_mmap, {1ull << 32}));
  EXPECT_TRUE(eval("arg0 < 0x100000000", SYS_mmap, {0xffffffff}));
}

TEST(Expression, PrecedenceNotAndOr) {
  EXPECT_TRUE(eval("arg0 == 1 || arg0 == 2 && arg1 == 3", SYS_mmap, {1, 0}));
  EXPECT_FALSE(eval("(arg0 == 1 || arg0 == 2) && arg1 == 3", SYS_mmap, {1, 0}));
  EXPECT_TRUE(eval("!(arg0 == 1)", SYS_mmap, {2}));
  EXPECT_TRUE(eval("!!(arg0 == 1)", SYS_mmap, {1}));
  EXPECT_TRUE(eval("(arg2 & PROT_EXEC) != PROT_EXEC", SYS_mmap, {0, 0, 3}));
}

TEST(Expression, NumbersInEveryBase) {
  EXPECT_TRUE(eval("arg0 == 0x10", SYS_mmap, {16}));
  EXPECT_TRUE(eval("arg0 == 010", SYS_mmap, {8}));
  EXPECT_TRUE(eval("arg0 == 0b101", SYS_mmap, {5}));
  EXPECT_TRUE(eval("arg0 == 18446744073709551615", SYS_mmap, {~0ull}));
  EXPECT_TRUE(eval("arg0 == -1", SYS_mmap, {~0ull}));
  EXPECT_TRUE(eval("arg0 == O_WRONLY | O_CREAT", SYS_mmap, {O_WRONLY | O_CREAT}));
}

TEST(Expression, InstructionPointerRange) {
  EXPECT_TRUE(eval("ip in [0x1000, 0x2000)", SYS_getpid, {}, 0x1fff));
  EXPECT_FALSE(eval("ip in [0x1000, 0x2000)", SYS_getpid, {}, 0x2000));
}

struct BadCase {
  const char* text;
  int nr;
  const char* message;
  uint32_t column;
};

TEST(Expression, ErrorsSayWhatAndWhere) {
  const BadCase cases[] = {
      {"flags == ", SYS_openat, "expected a number or constant", 10},
      {"flgs == 1", SYS_openat, "\"flgs\" is not an argument of openat", 1},
      {"flags == O_RDNOLY", SYS_openat, "unknown constant \"O_RDNOLY\"", 10},
      {"flags = 1", SYS_openat, "unexpected character", 7},
      {"arg6 == 1", SYS_openat, "is not an argument", 1},
      {"flags & 3 == 1", SYS_openat, "put a mask in parentheses", 7},
      {"(flags & 3) < 1", SYS_openat, "masked operand can only be compared", 13},
      {"(flags & 3) == 4", SYS_openat, "can never be true", 13},
      {"flags == 0x100000000", SYS_openat, "does not fit this 32-bit argument", 10},
      {"flags == 99999999999999999999999", SYS_openat, "not a valid number", 10},
      {"flags == 1 &&", SYS_openat, "expected an argument name", 14},
      {"(flags == 1", SYS_openat, "expected \")\"", 12},
      {"flags == 1)", SYS_openat, "unexpected \")\"", 11},
      {"ip in [2, 1)", SYS_openat, "begin < end", 1},
      {"ip == 1", SYS_openat, "ip in [begin, end)", 4},
      {"flags in []", SYS_openat, "expected a number", 11},
      {"flags == 09", SYS_openat, "not a valid number", 10},
      {"", SYS_openat, "expected an argument name", 1},
      {"flags == 1 $", SYS_openat, "unexpected character '$'", 12},
  };
  for (const BadCase& c : cases) {
    Result<Condition> r = parse_condition(c.text, c.nr);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.error().message.find(c.message), std::string::npos) << c.text << " -> " << r.error().message;
    EXPECT_EQ(r.error().where.column, c.column) << c.text << " -> " << r.error().message;
  }
}

TEST(Expression, DeepNestingIsAnErrorNotACrash) {
  std::string text(10000, '(');
  EXPECT_FALSE(parse_condition(text, SYS_openat).ok());
  std::string nots(3000, '!');
  EXPECT_FALSE(parse_condition(nots + "arg0 == 1", SYS_openat).ok());
}

}  // namespace
}  // namespace sysgate::policy
