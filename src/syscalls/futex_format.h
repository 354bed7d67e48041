// futex's arguments as strace shows them: which ones a command takes, and how
// the ones that are not what the table says read (val2 is a count in the
// timeout's register, val3 a bitset or a FUTEX_WAKE_OP encoding).
//
//   futex(0x55d0..., FUTEX_WAKE_PRIVATE, 1)
//   futex(0x55d0..., FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0, NULL, FUTEX_BITSET_MATCH_ANY)
//   futex(0x55d0..., FUTEX_WAKE_OP_PRIVATE, 1, 1, 0x55d0..., FUTEX_OP_SET<<28|0<<12|FUTEX_OP_CMP_GT<<24|0x1)
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "syscalls/const_style.h"

namespace sysgate::syscalls {

enum class FutexArg : uint8_t {
  kAsDeclared,  // the signature table's type (val, the timeout pointer, uaddr2)
  kCount,       // val2: an unsigned count passed in the timeout's register
  kBitset,      // val3 of the *_BITSET commands
  kWakeOp,      // val3 of FUTEX_WAKE_OP
  kUnsigned,    // val3 of FUTEX_CMP_REQUEUE*
};

// The arguments after uaddr and op that strace prints for op, in order.
struct FutexArgsShown {
  uint8_t count = 0;
  uint8_t index[4] = {};
  FutexArg how[4] = {};
};
FutexArgsShown futex_args_shown(uint64_t op);

// val3 as strace prints it for how (kBitset, kWakeOp or kUnsigned).
// style: strace -X (const_style.h).
void append_futex_val3(std::string& out, FutexArg how, uint64_t val3, ConstStyle style = ConstStyle::kAbbrev);

}  // namespace sysgate::syscalls
