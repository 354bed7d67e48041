#include "syscalls/result_names.h"

#include <linux/membarrier.h>
#include <sys/syscall.h>

#include <ctime>

#include "syscalls/call_format.h"
#include "syscalls/constant_tables.h"
#include "syscalls/constants.h"
#include "syscalls/number_text.h"

namespace sysgate::syscalls {
namespace {

namespace c = constants::detail;

constexpr int kFGetsig = 11;  // <linux/fcntl.h>'s F_GETSIG

// MEMBARRIER_CMD_QUERY's answer: the commands the kernel supports, as bits.
void append_membarrier_commands(std::string& out, uint64_t set) {
  uint64_t rest = set;
  bool first = true;
  c::append_set_bits(out, c::kMembarrierCmds, &rest, &first);
  if (rest != 0) {
    if (!first) out += '|';
    append_hex_or_zero(out, rest);
  }
}

// "2026-11-28T20:01:46+0000", local time.
void append_date(std::string& out, int64_t seconds) {
  const auto t = static_cast<std::time_t>(seconds);
  std::tm local{};
  char text[64];
  if (localtime_r(&t, &local) == nullptr || std::strftime(text, sizeof text, "%FT%T%z", &local) == 0) return;
  out += text;
}

}  // namespace

bool append_named_result(std::string& out, int nr, const uint64_t args[6], int64_t ret) {
  if (ret < 0) return false;
  // "= 10 (SIGUSR1)": the result, in hex or decimal, then its meaning.
  auto explained = [&](bool hex, auto&& meaning) {
    out += "= ";
    if (hex) {
      append_hex_or_zero(out, static_cast<uint64_t>(ret));
    } else {
      append_decimal(out, ret);
    }
    out += " (";
    meaning();
    out += ')';
    return true;
  };
  switch (nr) {
    case SYS_fcntl: {
      const std::string_view name = constants::signal_name(static_cast<int>(ret));
      if (static_cast<int32_t>(args[1]) != kFGetsig || ret == 0 || name.empty()) return false;
      return explained(false, [&] { out += name; });
    }
    case SYS_sched_getscheduler:
      for (const c::Named& policy : c::kSchedPolicies) {
        if (policy.value == static_cast<uint64_t>(ret)) return explained(false, [&] { out += policy.name; });
      }
      return false;
    case SYS_membarrier:
      if (static_cast<int32_t>(args[0]) != MEMBARRIER_CMD_QUERY || ret == 0) return false;
      return explained(true, [&] { append_membarrier_commands(out, static_cast<uint64_t>(ret)); });
    case SYS_personality:
      return explained(true, [&] { append_personality(out, static_cast<uint64_t>(ret)); });
    case SYS_time:
      return explained(false, [&] { append_date(out, ret); });
    case SYS_ioprio_get:
      return explained(false, [&] { append_ioprio_value(out, static_cast<uint64_t>(ret)); });
    default:
      return false;
  }
}

}  // namespace sysgate::syscalls
