// The iovec array of readv, writev, preadv, pwritev, preadv2 and pwritev2 as a
// trace payload (trace::kPayloadIovec), so the monitor can print it as strace
// does: [{iov_base="hello", iov_len=5}, {iov_base=" world\n", iov_len=7}].
//
//   IovecPlan plan;
//   if (iovec_plan(nr, args, ret, max_data, dump_bytes, &plan))
//     reserve plan.bytes; iovec_copy(dst, plan, args, ret);
//
// Data: a writev's buffers as the program passed them (strace shows them as
// the call starts: whatever it returned), a readv's as the kernel filled them
// (the first ret bytes in order; nothing when it failed). Each element gets up
// to max_data bytes (strace -s), or with a dump budget (-e read=/write=) its
// whole share of that budget. Bytes the kernel itself read or wrote are copied
// without asking; other memory (the array of a failed call, a writev's bytes
// past what it wrote) is probed first (app_memory.h), and an unreadable buffer
// is described without data (kIovecNoData).
//
// The copy walks the array again: if another thread changes it in between,
// the payload describes fewer elements (zero bytes after them), never more
// than plan.bytes. Freestanding.
#pragma once

#include <stdint.h>

namespace sysgate::gate {

struct IovecPlan {
  uint32_t bytes;       // the whole payload, a multiple of 8
  uint32_t elements;    // elements to describe
  uint32_t per_element; // data bytes at most per element
  uint32_t budget;      // data bytes at most in all
};

// Calls whose argument 1 is an iovec array and argument 2 its length. Inline:
// asked for every traced call.
inline bool is_iovec_call(long nr) {
  switch (nr) {
    case 19:   // readv
    case 20:   // writev
    case 295:  // preadv
    case 296:  // pwritev
    case 327:  // preadv2
    case 328:  // pwritev2
      return true;
    default:
      return false;
  }
}

// False when there is nothing to describe (not such a call, no array, or its
// first element unreadable).
bool iovec_plan(long nr, const uint64_t args[6], long ret, uint32_t max_data, uint32_t dump_bytes, IovecPlan* out);

void iovec_copy(uint8_t* dst, const IovecPlan& plan, long nr, const uint64_t args[6], long ret);

}  // namespace sysgate::gate
