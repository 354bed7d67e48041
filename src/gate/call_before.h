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

#include <asm/unistd.h>
#include <stdint.h>

namespace sysgate::gate {

inline constexpr uint64_t kBeforeValid = uint64_t{1} << 63;

// The u32 argument arg points to, packed; 0 when tracing is off or unreadable.
// offset: into the struct argument arg points to (recvmsg's msg_namelen).
uint64_t call_before_read(int arg, const uint64_t args[6], uint64_t offset = 0);

// Inline: asked for every traced call.
inline uint64_t call_before(long nr, const uint64_t args[6]) {
  switch (nr) {
    case __NR_getsockname:
    case __NR_getpeername:
    case __NR_accept:
    case __NR_accept4:
      return call_before_read(2, args);
    case __NR_recvfrom:
      return call_before_read(5, args);
    case __NR_getsockopt:
      return call_before_read(4, args);
    case __NR_capget:  // the header's version: a refused one is overwritten with the kernel's
      return call_before_read(0, args);
    case __NR_recvmsg:  // msg_namelen in its struct msghdr
      return call_before_read(1, args, 8);
    default:
      return 0;
  }
}

inline int before_arg(uint64_t before) { return static_cast<int>((before >> 32) & 0xff); }
inline uint32_t before_value(uint64_t before) { return static_cast<uint32_t>(before); }

}  // namespace sysgate::gate
