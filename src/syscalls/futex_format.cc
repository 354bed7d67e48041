#include "syscalls/futex_format.h"

#include <linux/futex.h>

#include "syscalls/const_style.h"
#include "syscalls/number_text.h"

namespace sysgate::syscalls {
namespace {

constexpr uint8_t kVal = 2, kTimeout = 3, kUaddr2 = 4, kVal3 = 5;

FutexArgsShown shown(std::initializer_list<std::pair<uint8_t, FutexArg>> args) {
  FutexArgsShown s;
  for (const auto& [index, how] : args) {
    s.index[s.count] = index;
    s.how[s.count] = how;
    ++s.count;
  }
  return s;
}

}  // namespace

FutexArgsShown futex_args_shown(uint64_t op) {
  constexpr FutexArg kDeclared = FutexArg::kAsDeclared;
  switch (static_cast<uint32_t>(op) & FUTEX_CMD_MASK) {
    case FUTEX_WAIT:
      return shown({{kVal, kDeclared}, {kTimeout, kDeclared}});
    case FUTEX_WAKE:
    case FUTEX_FD:
      return shown({{kVal, kDeclared}});
    case FUTEX_REQUEUE:
      return shown({{kVal, kDeclared}, {kTimeout, FutexArg::kCount}, {kUaddr2, kDeclared}});
    case FUTEX_CMP_REQUEUE:
    case FUTEX_CMP_REQUEUE_PI:
      return shown({{kVal, kDeclared}, {kTimeout, FutexArg::kCount}, {kUaddr2, kDeclared}, {kVal3, FutexArg::kUnsigned}});
    case FUTEX_WAKE_OP:
      return shown({{kVal, kDeclared}, {kTimeout, FutexArg::kCount}, {kUaddr2, kDeclared}, {kVal3, FutexArg::kWakeOp}});
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
      return shown({{kTimeout, kDeclared}});
    case FUTEX_UNLOCK_PI:
    case FUTEX_TRYLOCK_PI:
      return shown({});
    case FUTEX_WAIT_BITSET:
      return shown({{kVal, kDeclared}, {kTimeout, kDeclared}, {kVal3, FutexArg::kBitset}});
    case FUTEX_WAKE_BITSET:
      return shown({{kVal, kDeclared}, {kVal3, FutexArg::kBitset}});
    case FUTEX_WAIT_REQUEUE_PI:
      return shown({{kVal, kDeclared}, {kTimeout, kDeclared}, {kUaddr2, kDeclared}});
    default:  // unknown command: everything, as the table says
      return shown({{kVal, kDeclared}, {kTimeout, kDeclared}, {kUaddr2, kDeclared}, {kVal3, kDeclared}});
  }
}

void append_futex_val3(std::string& out, FutexArg how, uint64_t val3, ConstStyle style) {
  const auto v = static_cast<uint32_t>(val3);
  if (how == FutexArg::kBitset) {
    if (v == FUTEX_BITSET_MATCH_ANY) {
      append_named(out, style, v, NumberForm::kHex, "FUTEX_BITSET_MATCH_ANY");
    } else {
      append_hex_or_zero(out, v);
    }
    return;
  }
  if (how != FutexArg::kWakeOp) return append_decimal(out, v);
  static constexpr const char* kOps[] = {"FUTEX_OP_SET", "FUTEX_OP_ADD", "FUTEX_OP_OR", "FUTEX_OP_ANDN",
                                         "FUTEX_OP_XOR"};
  static constexpr const char* kCmps[] = {"FUTEX_OP_CMP_EQ", "FUTEX_OP_CMP_NE", "FUTEX_OP_CMP_LT",
                                          "FUTEX_OP_CMP_LE", "FUTEX_OP_CMP_GT", "FUTEX_OP_CMP_GE"};
  const uint32_t op = v >> 28, cmp = (v >> 24) & 0xf;
  if (style == ConstStyle::kRaw) {
    // strace 6.1's own text: each number, and the comment it gives a value it
    // finds no name for after the shift (the raw style finds none).
    append_hex_or_zero(out, op);
    out += "<<28 /* FUTEX_OP_??? */|";
    append_hex_or_zero(out, (v >> 12) & 0xfff);
    out += "<<12|";
    append_hex_or_zero(out, cmp);
    out += "<<24 /* FUTEX_OP_CMP_??? */|";
    append_hex_or_zero(out, v & 0xfff);
    return;
  }
  if ((op & FUTEX_OP_OPARG_SHIFT) != 0) out += "FUTEX_OP_OPARG_SHIFT|";
  const uint32_t kind = op & ~uint32_t{FUTEX_OP_OPARG_SHIFT};
  if (kind < std::size(kOps)) {
    append_named(out, style, kind, NumberForm::kHex, kOps[kind]);
  } else {
    append_hex_or_zero(out, kind);
  }
  out += "<<28|";
  append_hex_or_zero(out, (v >> 12) & 0xfff);
  out += "<<12|";
  if (cmp < std::size(kCmps)) {
    append_named(out, style, cmp, NumberForm::kHex, kCmps[cmp]);
  } else {
    append_hex_or_zero(out, cmp);
  }
  out += "<<24|";
  append_hex_or_zero(out, v & 0xfff);
}

}  // namespace sysgate::syscalls
