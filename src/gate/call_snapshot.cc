#include "gate/call_snapshot.h"

#include "gate/app_memory.h"
#include "gate/gate.h"
#include "gate/thread_state.h"
#include "gate/util.h"

namespace sysgate::gate {
namespace {

// Copies n bytes of argument i (p) when they are readable.
void take(CallSnapshot* out, int i, uint64_t p, uint32_t n, bool overwritten) {
  if (p == 0 || (n > 0 && !app_probe_read(p, n))) return;
  copy_bytes(out->data[i], reinterpret_cast<const void*>(p), n);
  out->taken[i] = 1;
  out->bytes[i] = static_cast<uint16_t>(n);
  out->overwritten[i] = overwritten ? 1 : 0;
  out->any = 1;
}

}  // namespace

void call_snapshot_take(long nr, const uint64_t args[6], CallSnapshot* out) {
  if (g_gate.region.header == nullptr) return;
  for (int i = 0; i < 6; ++i) out->taken[i] = 0;
  constexpr uint32_t kTime = 16;  // struct timeval, struct timespec
  if (nr == __NR_ppoll) {
    take(out, 2, args[2], kTime, true);
    return;
  }
  constexpr uint32_t kOffset = 8;  // loff_t
  if (nr == __NR_sendfile) {
    take(out, 2, args[2], kOffset, true);
    return;
  }
  if (nr == __NR_splice || nr == __NR_copy_file_range) {
    take(out, 1, args[1], kOffset, false);
    take(out, 3, args[3], kOffset, false);
    return;
  }
  // select, pselect6: three fd sets, the timeout (which pselect6 and select
  // both overwrite with the time left), and pselect6's {sigmask, sigsetsize}.
  const int32_t nfds = static_cast<int32_t>(args[0]);
  if (nfds >= 0 && nfds <= static_cast<int32_t>(kSnapshotMaxFds)) {
    for (int i = 1; i <= 3; ++i) take(out, i, args[i], fd_set_bytes(args[0]), true);
  }
  take(out, 4, args[4], kTime, true);
  if (nr == __NR_pselect6 && args[5] != 0 && app_probe_read(args[5], 16)) {
    uint64_t data[2];  // const sigset_t* ss; size_t ss_len
    copy_bytes(data, reinterpret_cast<const void*>(args[5]), sizeof data);
    uint64_t set = 0;
    const bool has_set = data[0] != 0 && data[1] == 8 && app_probe_read(data[0], 8);
    if (has_set) copy_bytes(&set, reinterpret_cast<const void*>(data[0]), 8);
    // 24 bytes: the struct, then the set it points to (16 when not read).
    copy_bytes(out->data[5], data, sizeof data);
    copy_bytes(out->data[5] + 16, &set, 8);
    out->taken[5] = 1;
    out->bytes[5] = has_set ? 24 : 16;
    out->overwritten[5] = 0;
    out->any = 1;
  }
}

}  // namespace sysgate::gate
