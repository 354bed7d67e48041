// sendmsg's and recvmsg's struct msghdr as a trace payload
// (trace::kPayloadMsghdr), so the monitor can print it as strace does:
//
//   sendmsg(4, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="ab", iov_len=2}], msg_iovlen=1,
//               msg_controllen=0, msg_flags=0}, 0) = 2
//
// Layout: the 56-byte msghdr (a recvmsg's as the kernel updated it: msg_namelen,
// msg_controllen, msg_flags), u32 address bytes copied, u32 control bytes
// copied, the address padded to 8 (sendmsg's destination; the source a
// recvmsg got), the control messages padded to 8 (a sendmsg's msg_control as
// passed, a recvmsg's as the kernel filled it: msg_controllen bytes, at most
// kMaxControlBytes), then the msg_iov array in kPayloadIovec's layout (a
// sendmsg's buffers as passed, a recvmsg's as filled: iovec_payload.h). The
// header, the address, the control messages and the array are probed before
// they are read (these calls are rare); the copy walks them again and never
// writes past plan.bytes. Freestanding.
#pragma once

#include <stdint.h>

#include "gate/iovec_payload.h"
#include "trace/ring_format.h"

namespace sysgate::gate {

inline constexpr uint32_t kMaxControlBytes = trace::kMaxMsgControlBytes;

struct MsghdrPlan {
  uint32_t bytes;          // the whole payload
  uint32_t name_bytes;     // the address's
  uint32_t control_bytes;  // the control messages'
  IovecPlan iov;           // the array's part
};

// sendmsg, recvmsg. Inline: asked for every traced call.
inline bool is_msghdr_call(long nr) { return nr == 46 || nr == 47; }

// False when the header cannot be read (or nr is not such a call).
bool msghdr_plan(long nr, const uint64_t args[6], long ret, uint32_t max_data, uint32_t dump_bytes, MsghdrPlan* out);

void msghdr_copy(uint8_t* dst, const MsghdrPlan& plan, long nr, const uint64_t args[6], long ret);

}  // namespace sysgate::gate
