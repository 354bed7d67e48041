// The structs a traced call both reads and overwrites, copied before the call
// so that its record can show what the program passed as well as what the
// kernel left there (kPayloadInOut, trace/ring_format.h): select's and
// pselect6's fd sets and timeout, ppoll's timeout. strace shows
//
//   pselect6(5, [3 4], [4], NULL, {tv_sec=1, tv_nsec=0}, NULL) = 2 (in [3], out [4], left {tv_sec=0, tv_nsec=999})
//
// and pselect6's sixth argument, {sigmask=[CHLD], sigsetsize=8}, which points
// to the set: its 16 bytes and the 8 of the set are taken here too. And the
// file offsets sendfile, splice and copy_file_range take by pointer and
// advance: strace shows sendfile's "[0] => [4096]", the others' value as they
// were given, "[0]".
//
//   CallSnapshot snapshot;
//   call_snapshot(nr, args, &snapshot);   // before making the call
//   ... the call ...
//   trace_syscall(..., &snapshot);        // one kPayloadInOut per argument taken
//
// Each argument is probed (one syscall a page) before it is read, only for
// these calls and only while tracing. Fd sets of more than
// kSnapshotMaxFds descriptors are not taken (they show as addresses).
// Freestanding.
#pragma once

#include <asm/unistd.h>
#include <stdint.h>

namespace sysgate::gate {

inline constexpr uint32_t kSnapshotMaxFds = 1024;
inline constexpr uint32_t kSnapshotSetBytes = kSnapshotMaxFds / 8;
inline constexpr uint32_t kSnapshotArgBytes = kSnapshotSetBytes;  // the largest part: an fd set

struct CallSnapshot {
  // Per argument: whether it was taken, its bytes (at data[i]; an fd set of
  // 0 descriptors has none), and whether the call overwrites them (then the
  // record adds what they hold after a successful call).
  uint8_t taken[6];
  uint16_t bytes[6];
  uint8_t overwritten[6];
  uint8_t any;  // 0: nothing taken (every other call)
  uint8_t data[6][kSnapshotArgBytes];
};

void call_snapshot_take(long nr, const uint64_t args[6], CallSnapshot* out);

// Inline: asked for every traced call.
inline void call_snapshot(long nr, const uint64_t args[6], CallSnapshot* out) {
  out->any = 0;
  if (nr == __NR_select || nr == __NR_pselect6 || nr == __NR_ppoll || nr == __NR_sendfile || nr == __NR_splice ||
      nr == __NR_copy_file_range) {
    call_snapshot_take(nr, args, out);
  }
}

// Bytes of one fd set of nfds descriptors as the kernel copies it (whole
// longs); 0 when nfds is negative or above kSnapshotMaxFds.
inline uint32_t fd_set_bytes(uint64_t nfds) {
  const int32_t n = static_cast<int32_t>(nfds);
  if (n < 0 || n > static_cast<int32_t>(kSnapshotMaxFds)) return 0;
  return static_cast<uint32_t>((n + 63) / 64 * 8);
}

}  // namespace sysgate::gate
