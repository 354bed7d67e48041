#include "syscalls/prctl_format.h"

#include <linux/prctl.h>

#include "syscalls/constant_tables.h"
#include "syscalls/constants.h"
#include "syscalls/number_text.h"
#include "syscalls/seccomp_format.h"

namespace sysgate::syscalls {
namespace {

namespace detail = constants::detail;

// How strace shows what follows the option.
enum class Shape : uint8_t {
  kNothing,     // getters that answer in the result
  kPointer,     // one pointer: a name, or a value the kernel writes ([SIGTERM])
  kSignal,      // PR_SET_PDEATHSIG
  kDumpable,    // SUID_DUMP_*
  kCapability,  // CAP_*
  kOne,         // one unsigned number
  kFour,        // four unsigned numbers
  kFourHex,     // options strace does not decode: four in hex
  kSeccomp,     // PR_SET_SECCOMP: a mode, and a filter (syscalls/seccomp_format.h)
};

Shape shape_of(uint64_t option) {
  switch (option) {
    case PR_GET_DUMPABLE: case PR_GET_KEEPCAPS: case PR_GET_TIMERSLACK: case PR_GET_SECCOMP:
    case PR_GET_TIMING: case PR_TASK_PERF_EVENTS_DISABLE: case PR_TASK_PERF_EVENTS_ENABLE:
      return Shape::kNothing;
    case PR_SET_NAME: case PR_GET_NAME: case PR_GET_PDEATHSIG: case PR_GET_CHILD_SUBREAPER: case PR_GET_TID_ADDRESS:
      return Shape::kPointer;
    case PR_SET_PDEATHSIG:
      return Shape::kSignal;
    case PR_SET_DUMPABLE:
      return Shape::kDumpable;
    case PR_SET_SECCOMP:
      return Shape::kSeccomp;
    case PR_CAPBSET_READ: case PR_CAPBSET_DROP:
      return Shape::kCapability;
    case PR_SET_KEEPCAPS: case PR_SET_TIMERSLACK: case PR_SET_CHILD_SUBREAPER:
      return Shape::kOne;
    case PR_SET_NO_NEW_PRIVS: case PR_GET_NO_NEW_PRIVS: case PR_SET_THP_DISABLE: case PR_GET_THP_DISABLE:
    case PR_MCE_KILL_GET:
      return Shape::kFour;
    default:
      return Shape::kFourHex;
  }
}

// A capability's name; a number the kernel does not know as strace shows it.
void append_capability(std::string& out, uint64_t value, ConstStyle style) {
  append_constant(out, style, value, NumberForm::kHex, [value](std::string& o) {
    for (const detail::Named& n : detail::kCapabilities) {
      if (n.value == value) {
        o += n.name;
        return;
      }
    }
    append_hex_or_zero(o, value);
    o += " /* CAP_??? */";
  });
}

}  // namespace

void append_prctl_args(std::string& out, const uint64_t args[6], const ArgHook& pointer_arg, ConstStyle style) {
  const uint64_t option = static_cast<uint32_t>(args[0]);  // int option
  bool known = false;
  for (const detail::Named& n : detail::kPrctlOptions) {
    if (n.value == option) known = true;
  }
  append_constant(out, style, option, NumberForm::kHex, [option](std::string& o) {
    for (const detail::Named& n : detail::kPrctlOptions) {
      if (n.value == option) {
        o += n.name;
        return;
      }
    }
    append_hex_or_zero(o, option);
    o += " /* PR_??? */";
  });
  const uint64_t arg2 = args[1];
  switch (known ? shape_of(option) : Shape::kFourHex) {
    case Shape::kNothing:
      return;
    case Shape::kPointer:
      out += ", ";
      if (arg2 == 0) {
        out += "NULL";
      } else if (!(pointer_arg && pointer_arg(1, arg2, out))) {
        append_hex_or_zero(out, arg2);
      }
      return;
    case Shape::kSignal: {
      out += ", ";
      const std::string_view name = arg2 <= 64 ? constants::signal_name(static_cast<int>(arg2)) : "";
      if (arg2 == 0 || name.empty()) {
        append_decimal(out, arg2);
      } else {
        append_named(out, style, arg2, NumberForm::kDecimal, name);
      }
      return;
    }
    case Shape::kDumpable: {
      static constexpr const char* kDump[] = {"SUID_DUMP_DISABLE", "SUID_DUMP_USER", "SUID_DUMP_ROOT"};
      out += ", ";
      if (arg2 < 3) {
        append_named(out, style, arg2, NumberForm::kHex, kDump[arg2]);
      } else {
        append_decimal(out, arg2);
      }
      return;
    }
    case Shape::kCapability:
      out += ", ";
      return append_capability(out, arg2, style);
    case Shape::kOne:
      out += ", ";
      return append_decimal(out, arg2);
    case Shape::kFour:
      for (int i = 1; i <= 4; ++i) {
        out += ", ";
        append_decimal(out, args[i]);
      }
      return;
    case Shape::kFourHex:
      for (int i = 1; i <= 4; ++i) {
        out += ", ";
        append_hex_or_zero(out, args[i]);
      }
      return;
    case Shape::kSeccomp:
      out += ", ";
      return append_prctl_seccomp_args(out, args, pointer_arg, style);
  }
}

}  // namespace sysgate::syscalls
