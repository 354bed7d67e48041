#include "gate/msghdr_payload.h"

#include <asm/unistd.h>

#include "gate/app_memory.h"
#include "gate/util.h"
#include "trace/ring_format.h"

namespace sysgate::gate {
namespace {

constexpr uint32_t kMsghdr = 56;
constexpr uint32_t kMaxName = 128;  // struct sockaddr_storage

struct Msghdr {
  uint64_t name;
  uint32_t namelen;
  uint32_t pad;
  uint64_t iov;
  uint64_t iovlen;
  uint64_t control;
  uint64_t controllen;
  int32_t flags;
  uint32_t pad2;
};
static_assert(sizeof(Msghdr) == kMsghdr);

bool read_header(const uint64_t args[6], Msghdr* m) {
  if (args[1] == 0 || !app_probe_read(args[1], kMsghdr)) return false;
  copy_bytes(m, reinterpret_cast<const void*>(args[1]), kMsghdr);
  return true;
}

// The address to copy: a sendmsg's destination, or the source a recvmsg
// wrote (msg_namelen as the kernel set it), if readable.
uint32_t name_bytes(long nr, const Msghdr& m, long ret) {
  if (m.name == 0 || m.namelen == 0 || (nr == __NR_recvmsg && ret < 0)) return 0;
  const uint32_t n = m.namelen < kMaxName ? m.namelen : kMaxName;
  return app_probe_read(m.name, n) ? n : 0;
}

// The control messages to copy: a sendmsg's as passed, or those a recvmsg
// got (msg_controllen as the kernel set it), if readable.
uint32_t control_bytes(long nr, const Msghdr& m, long ret) {
  if (m.control == 0 || m.controllen == 0 || (nr == __NR_recvmsg && ret < 0)) return 0;
  const uint32_t n = m.controllen < kMaxControlBytes ? static_cast<uint32_t>(m.controllen) : kMaxControlBytes;
  return app_probe_read(m.control, n) ? n : 0;
}

// The array as iovec_payload.h sees a writev's (sendmsg) or a readv's (recvmsg).
void iovec_args(long nr, const Msghdr& m, const uint64_t args[6], uint64_t out[6], long* iov_nr) {
  out[0] = args[0];
  out[1] = m.iov;
  out[2] = m.iovlen;
  out[3] = out[4] = out[5] = 0;
  *iov_nr = nr == __NR_sendmsg ? __NR_writev : __NR_readv;
}

}  // namespace

static_assert(__NR_sendmsg == 46 && __NR_recvmsg == 47);

bool msghdr_plan(long nr, const uint64_t args[6], long ret, uint32_t max_data, uint32_t dump_bytes, MsghdrPlan* out) {
  Msghdr m;
  if (!is_msghdr_call(nr) || !read_header(args, &m)) return false;
  out->name_bytes = name_bytes(nr, m, ret);
  out->control_bytes = control_bytes(nr, m, ret);
  uint64_t iov_args[6];
  long iov_nr;
  iovec_args(nr, m, args, iov_args, &iov_nr);
  if (!iovec_plan(iov_nr, iov_args, ret, max_data, dump_bytes, &out->iov)) out->iov = IovecPlan{8, 0, 0, 0};
  out->bytes = kMsghdr + 8 + trace::align_record(out->name_bytes) + trace::align_record(out->control_bytes) +
               out->iov.bytes;
  return true;
}

void msghdr_copy(uint8_t* dst, const MsghdrPlan& plan, long nr, const uint64_t args[6], long ret) {
  uint8_t* const end = dst + plan.bytes;
  zero_bytes(dst, plan.bytes);
  Msghdr m;
  if (!read_header(args, &m)) return;  // gone meanwhile: zeros
  copy_bytes(dst, &m, kMsghdr);
  uint32_t name = name_bytes(nr, m, ret);
  if (name > plan.name_bytes) name = plan.name_bytes;  // changed meanwhile: what fits
  copy_bytes(dst + kMsghdr, &name, 4);
  if (name != 0) copy_bytes(dst + kMsghdr + 8, reinterpret_cast<const void*>(m.name), name);
  uint32_t control = control_bytes(nr, m, ret);
  if (control > plan.control_bytes) control = plan.control_bytes;
  copy_bytes(dst + kMsghdr + 4, &control, 4);
  uint8_t* const control_at = dst + kMsghdr + 8 + trace::align_record(plan.name_bytes);
  if (control != 0) copy_bytes(control_at, reinterpret_cast<const void*>(m.control), control);
  uint8_t* iov = control_at + trace::align_record(plan.control_bytes);
  if (plan.iov.elements == 0 || static_cast<uint64_t>(end - iov) < plan.iov.bytes) return;
  uint64_t iov_args[6];
  long iov_nr;
  iovec_args(nr, m, args, iov_args, &iov_nr);
  // The array as planned: a changed msg_iovlen or msg_iov is walked within plan.iov.bytes.
  if (iov_args[2] > plan.iov.elements) iov_args[2] = plan.iov.elements;
  iovec_copy(iov, plan.iov, iov_nr, iov_args, ret);
}

}  // namespace sysgate::gate
