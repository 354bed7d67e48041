// What a traced call's record needs from before the call: the in/out length
// some calls take by pointer, which the kernel overwrites (getsockname,
// getpeername, accept, accept4: argument 2; recvfrom: argument 5;
// getsockopt: argument 4), and capget's header version (argument 0), which
// the kernel replaces with its own when it refuses it. strace
// shows "[128 => 16]": the size offered, then the size of the address.
//
//   const uint64_t before = call_before(nr, args);   // before making the call
//   ... the call ...
//   trace_syscall(..., before);                       // a kPayloadBefore when set
//
// The value is packed: bit 63 set when there is one, the argument's index in
// bits 32..39, the u32 in bits 0..31; 0 for none. Probes the pointer (one
// syscall) for those five calls only, and only while tracing; free for every
// other call. Freestanding.
#pragma once

#include <stdint.h>

namespace sysgate::gate {

inline constexpr uint64_t kBeforeValid = uint64_t{1} << 63;

uint64_t call_before(long nr, const uint64_t args[6]);

inline int before_arg(uint64_t before) { return static_cast<int>((before >> 32) & 0xff); }
inline uint32_t before_value(uint64_t before) { return static_cast<uint32_t>(before); }

}  // namespace sysgate::gate
