// sendmsg's and recvmsg's struct msghdr as a trace payload
// (trace::kPayloadMsghdr), so the monitor can print it as strace does:
//
//   sendmsg(4, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="ab", iov_len=2}], msg_iovlen=1,
//               msg_controllen=0, msg_flags=0}, 0) = 2
//
// Layout: the 56-byte msghdr (a recvmsg's as the kernel updated it: msg_namelen,
// msg_controllen, msg_flags), u32 address bytes copied, u32 0, the address
// padded to 8 (sendmsg's destination; the source a recvmsg got), then the
// msg_iov array in kPayloadIovec's layout (a sendmsg's buffers as passed, a
// recvmsg's as filled: iovec_payload.h). The header, the address and the array
// are probed before they are read (these calls are rare); the copy walks them
// again and never writes past plan.bytes. Freestanding.
#pragma once

#include <stdint.h>

#include "gate/iovec_payload.h"

namespace sysgate::gate {

struct MsghdrPlan {
  uint32_t bytes;       // the whole payload
  uint32_t name_bytes;  // the address's
  IovecPlan iov;        // the array's part
};

// sendmsg, recvmsg. Inline: asked for every traced call.
inline bool is_msghdr_call(long nr) { return nr == 46 || nr == 47; }

// False when the header cannot be read (or nr is not such a call).
bool msghdr_plan(long nr, const uint64_t args[6], long ret, uint32_t max_data, uint32_t dump_bytes, MsghdrPlan* out);

void msghdr_copy(uint8_t* dst, const MsghdrPlan& plan, long nr, const uint64_t args[6], long ret);

}  // namespace sysgate::gate
