// The writing side of the trace rings (src/trace/ring_format.h), for the gate.
//
//   TraceRegion region;
//   if (!region_check(mapped_header, mapped_bytes, &region)) ...;   // once, at install
//   RingWriter w;                                                    // one per thread
//   if (ring_claim(region, tid, pid, &w)) {
//     uint8_t* p = ring_reserve(region, &w, bytes);   // bytes: multiple of 8
//     if (p != nullptr) { fill p[0, bytes); ring_commit(region, &w); }
//   }
//   ring_release(&w);                                   // thread exits / execs
//
// Contracts:
// - A RingWriter has exactly one user at a time: one thread, never re-entered by
//   a signal handler while it is inside reserve..commit (the gate runs these with
//   every signal blocked). Different RingWriters may be used concurrently.
// - No record is ever lost while the reader is attached: reserve waits (futex)
//   until the reader frees space; claim waits until the reader frees a ring.
//   Only after the reader detached do reserve and claim give up (reserve counts
//   the dropped record in RegionHeader::dropped_records).
// - Everything in the region may have been scribbled on by the program; these
//   functions stay inside the ring they own whatever the counters say, and never
//   wait forever on a counter that cannot change (the timeouts below).
// - Async-signal-safe; freestanding (no libc); syscalls go through the gate's
//   instruction (futex only).
#pragma once

#include <stdint.h>

#include "trace/ring_format.h"

namespace sysgate::gate {

// The parts of a region header the writer uses, checked once and copied so that
// later writes to the shared header cannot move the writer's pointers.
struct TraceRegion {
  trace::RegionHeader* header = nullptr;  // null: no region (tracing off)
  uint64_t bytes = 0;
  uint32_t ring_count = 0;
  uint32_t ring_bytes = 0;
  uint32_t max_path = 0;
  uint32_t max_data = 0;
  uint64_t controls_offset = 0;
  uint64_t data_offset = 0;
  // The header's call filter, copied at install (the program can write the header).
  uint32_t record_all_calls = 1;
  uint64_t call_mask[8] = {};
  uint32_t time_calls = 0;  // the header's time_calls, copied at install
  uint32_t record_ip = 0;   // and its record_ip
  uint32_t record_fd_inodes = 0;  // and its record_fd_inodes
  uint32_t verbose = 0;           // and its verbose (-v)
  uint32_t stack_bytes = 0;       // and its stack_bytes (-k), at most kMaxStackBytes
  uint32_t wait_after_socket_calls = 0;  // and its wait_after_socket_calls (-yy)
  uint32_t raise_again = 0;              // and its raise_again (0, kRaiseByTgkill, kRaiseBySigqueue)
  // The CPU has PREFETCHW (CPUID 0x80000001 ECX bit 8), which ring_commit uses.
  uint32_t prefetch_write = 0;
};

// Checks the header of a region mapped with mapped_bytes bytes and fills *out.
// False (and *out untouched) if anything is out of bounds or inconsistent.
bool region_check(trace::RegionHeader* header, uint64_t mapped_bytes, TraceRegion* out);

// Largest record ring_reserve accepts for this region (half a ring).
inline uint32_t max_record_bytes(const TraceRegion& region) { return region.ring_bytes / 2; }

struct RingWriter {
  trace::RingControl* control = nullptr;  // null: no ring claimed
  uint8_t* data = nullptr;
  uint64_t head = 0;     // bytes published, plus a pad not yet published
  uint32_t pending = 0;  // bytes of the reserved, unpublished record
  uint32_t index = 0;
  uint32_t generation = 0;
  uint32_t released = 0;  // 1 after ring_release, until ring_reacquire
  // head may grow up to here without a look at the reader's tail: free space
  // seen at the last look (reading tail, which the reader's core writes, costs
  // a cache miss; most records fit in space already known free).
  uint64_t room_until = 0;
};

// Claims a free ring for thread tid of process pid. Waits while none is free,
// for at most kClaimPatienceNs (0: for as long as it takes). False if the
// region has no rings, the reader detached, or the patience ran out (the
// program runs more threads than the region has rings: the caller drops the
// record, and counts it in RegionHeader::dropped_records).
inline constexpr uint64_t kClaimPatienceNs = 500000000;  // 0.5 s
bool ring_claim(const TraceRegion& region, int32_t tid, int32_t pid, RingWriter* w, uint64_t patience_ns = 0);
// The same if a ring is free now; false at once otherwise.
bool ring_try_claim(const TraceRegion& region, int32_t tid, int32_t pid, RingWriter* w);

// Reserves `bytes` contiguous bytes (a multiple of 8, <= max_record_bytes) for
// one record and returns where to write it; waits while the ring is full.
// nullptr if the reader detached (the record is dropped and counted) or bytes is
// out of range.
uint8_t* ring_reserve(const TraceRegion& region, RingWriter* w, uint32_t bytes);

// Publishes the record reserved last and wakes a sleeping reader.
void ring_commit(const TraceRegion& region, RingWriter* w);

// Waits until the reader has taken every record published on w's ring (trace
// -k: before the process's mappings go, at exit and exec). False if it has no
// ring or the reader detached, or patience_ns (0: none) passed first -- a
// monitor that was killed never detaches.
bool ring_wait_drained(const TraceRegion& region, RingWriter* w, uint64_t patience_ns = 0);

// Whether a thread of process pid other than tid marked a call it waits in
// (ring_open_call). An exec ends such a call: the monitor reads the mark as
// the exec's enter record arrives, and the new image's first claim clears
// the marks of the leader's id (the exec'ing thread takes it).
bool ring_other_open_call(const TraceRegion& region, int32_t pid, int32_t tid);

// The call the writer's thread is about to wait in (RingControl::open_call_*),
// for the monitor to show if the thread ends there; ring_close_call empties
// the slot as the call returns. No nesting: a program handler that runs at a
// marked call's syscall finds the slot emptied (trace_pending_call records
// the call first); one that runs just before the syscall and makes a marked
// call of its own empties the outer call's mark, which is then lost (its
// line would be missing, never wrong).
void ring_open_call(RingWriter* w, int32_t tid, long nr, const uint64_t args[6]);
void ring_close_call(RingWriter* w);

// Gives the ring up: the reader frees it once drained. w remembers it so that
// ring_reacquire can take the same ring back (execve failed).
void ring_release(RingWriter* w);

// Takes back the ring given up by ring_release if the reader has not freed it,
// else claims a ring anew. Same result as ring_claim.
bool ring_reacquire(const TraceRegion& region, int32_t tid, int32_t pid, RingWriter* w);

}  // namespace sysgate::gate
