// Argument conditions: when a rule applies to a syscall.
//
// A Condition is a small expression tree over the six syscall arguments and the
// instruction pointer. Leaves compare one argument with constants; inner nodes
// combine with all-of / any-of / not. Comparisons are unsigned and done on the
// argument's real width (32 bits for int-typed arguments, which the kernel
// truncates; 64 bits otherwise), so garbage in a register's upper half can
// never change a verdict for an argument the kernel reads as 32 bits.
//
//   (flags & O_ACCMODE) == O_RDONLY && dirfd == AT_FDCWD
//   => all_of({masked_eq(2, 32, O_ACCMODE, O_RDONLY), eq(0, 32, AT_FDCWD)})
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sysgate::policy {

enum class CmpOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kMaskedEq, kIn };

struct Condition {
  enum class Kind : uint8_t {
    kTrue,     // always matches
    kCompare,  // arg <op> value (or (arg & mask) == value, or arg in set)
    kIpRange,  // ip_begin <= instruction_pointer < ip_end
    kAll,      // every child matches (empty: true)
    kAny,      // some child matches (empty: false)
    kNot,      // the single child does not match
  };

  Kind kind = Kind::kTrue;
  // kCompare
  uint8_t arg = 0;         // 0..5
  uint8_t width = 64;      // 32 or 64: bits compared; values are stored already truncated
  CmpOp op = CmpOp::kEq;
  uint64_t value = 0;      // right-hand side (kMaskedEq: the expected masked value)
  uint64_t mask = 0;       // kMaskedEq only
  std::vector<uint64_t> set;  // kIn only
  // kIpRange
  uint64_t ip_begin = 0, ip_end = 0;
  // kAll / kAny / kNot
  std::vector<Condition> children;

  static Condition always() { return {}; }
  static Condition compare(uint8_t arg, uint8_t width, CmpOp op, uint64_t value);
  static Condition masked_eq(uint8_t arg, uint8_t width, uint64_t mask, uint64_t value);
  static Condition in(uint8_t arg, uint8_t width, std::vector<uint64_t> set);
  static Condition ip_range(uint64_t begin, uint64_t end);
  static Condition all_of(std::vector<Condition> children);
  static Condition any_of(std::vector<Condition> children);
  static Condition negate(Condition child);

  bool is_true() const { return kind == Kind::kTrue; }
  friend bool operator==(const Condition&, const Condition&) = default;
};

// Evaluates the condition on concrete arguments. Pure.
bool matches(const Condition& c, const uint64_t args[6], uint64_t instruction_pointer);

// Human-readable form in the policy language's expression grammar, with argument
// names from the syscall's signature when nr >= 0 ("(flags & 0x3) == 0").
std::string to_string(const Condition& c, int nr = -1);

}  // namespace sysgate::policy
