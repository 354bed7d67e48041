#include "syscalls/seccomp_format.h"

#include <linux/seccomp.h>

#include <span>
#include <string_view>

#include "syscalls/constant_tables.h"
#include "syscalls/constants.h"
#include "syscalls/number_text.h"

namespace sysgate::syscalls {
namespace {

namespace detail = constants::detail;

// A filter's flags: known bits by name, the rest in hex after them; a word of
// unknown bits alone is strace's "0x100 /* SECCOMP_FILTER_FLAG_??? */".
void append_filter_flags(std::string& out, uint32_t flags, ConstStyle style) {
  uint32_t known = 0;
  for (const detail::Named& bit : detail::kSeccompFilterFlags.bits) known |= static_cast<uint32_t>(bit.value);
  if (flags == 0 || (flags & known) != 0) return detail::append_flags(out, detail::kSeccompFilterFlags, flags, style);
  append_constant(out, style, flags, NumberForm::kHex, [flags](std::string& o) {
    append_hex(o, flags);
    o += " /* SECCOMP_FILTER_FLAG_??? */";
  });
}

// A pointer the hook may show the contents of (index: the argument's).
void append_pointer_arg(std::string& out, int index, uint64_t addr, const ArgHook& pointer_arg) {
  if (addr != 0 && pointer_arg && pointer_arg(index, addr, out)) return;
  constants::append_value(out, ArgType::kPtr, addr);
}

}  // namespace

void append_seccomp_args(std::string& out, const uint64_t args[6], const ArgHook& pointer_arg, ConstStyle style) {
  // The kernel takes op and flags as unsigned int.
  const auto op = static_cast<uint32_t>(args[0]);
  const auto flags = static_cast<uint32_t>(args[1]);
  detail::append_named_or_unknown(out, detail::kSeccompOps, op, "SECCOMP_SET_MODE_???", style);
  out += ", ";
  if (op == SECCOMP_SET_MODE_FILTER) {
    append_filter_flags(out, flags, style);
  } else {
    append_hex_or_zero(out, flags);
  }
  out += ", ";
  // Only these operations' structs are decoded (by strace too); the others'
  // argument is an address.
  const bool decoded = op == SECCOMP_SET_MODE_FILTER || op == SECCOMP_GET_ACTION_AVAIL || op == SECCOMP_GET_NOTIF_SIZES;
  append_pointer_arg(out, 2, args[2], decoded ? pointer_arg : ArgHook{});
}

void append_prctl_seccomp_args(std::string& out, const uint64_t args[6], const ArgHook& pointer_arg,
                               ConstStyle style) {
  const uint64_t mode = args[1];  // unsigned long
  detail::append_named_or_unknown(out, detail::kSeccompModes, mode, "SECCOMP_MODE_???", style);
  if (mode == SECCOMP_MODE_STRICT) return;  // it takes nothing more
  out += ", ";
  if (mode == SECCOMP_MODE_FILTER) return append_pointer_arg(out, 2, args[2], pointer_arg);
  // Other modes fail; strace shows the other three arguments in hex.
  for (int i = 2; i <= 4; ++i) {
    if (i > 2) out += ", ";
    append_hex_or_zero(out, args[i]);
  }
}

void append_seccomp_action(std::string& out, uint32_t action, ConstStyle style) {
  detail::append_named_or_unknown(out, detail::kSeccompActions, action, "SECCOMP_RET_???", style);
}

}  // namespace sysgate::syscalls
