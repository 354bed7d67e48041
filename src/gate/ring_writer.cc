// Ring claims and the single-producer append path. Orderings, as ring_format.h
// describes: data before head (release), flag before re-check (full fence).
#include "gate/ring_writer.h"

#include "gate/util.h"

namespace sysgate::gate {
namespace {

using trace::RegionHeader;
using trace::RingControl;

// Bounded sleeps: a wake-up can only be missed if the program scribbled on the
// futex words or the reader died; then the writer re-checks now and then
// instead of sleeping forever.
constexpr uint64_t kSpaceWaitNs = 1000000000;  // 1 s
constexpr uint64_t kClaimWaitNs = 50000000;    // 50 ms

RingControl* control_at(const TraceRegion& r, uint32_t index) {
  return reinterpret_cast<RingControl*>(reinterpret_cast<uint8_t*>(r.header) + r.controls_offset) + index;
}
uint8_t* data_at(const TraceRegion& r, uint32_t index) {
  return reinterpret_cast<uint8_t*>(r.header) + r.data_offset + uint64_t{index} * r.ring_bytes;
}

void wake_reader(RegionHeader* h) {
  if (load_relaxed(&h->reader_sleeping) == 0) return;
  if (__atomic_exchange_n(&h->reader_sleeping, 0u, __ATOMIC_ACQ_REL) == 0) return;
  __atomic_fetch_add(&h->data_seq, 1u, __ATOMIC_RELEASE);
  futex_wake_shared(&h->data_seq);
}

// Free bytes of the ring, or ring_bytes when the counters are inconsistent (a
// program wrote them): then the writer just overwrites, the reader resyncs.
uint64_t free_bytes(const TraceRegion& r, RingWriter* w) {
  const uint64_t tail = load_acquire(&w->control->tail);
  const uint64_t used = w->head - tail;
  const uint64_t free = used > r.ring_bytes ? r.ring_bytes : r.ring_bytes - used;
  w->room_until = w->head + free;
  return free;
}

// Waits until need bytes are free. patience_ns: how long at most, in waits
// of kPatienceSliceNs (0: until the reader detaches).
constexpr uint64_t kPatienceSliceNs = 10 * 1000 * 1000;
bool wait_for_space(const TraceRegion& r, RingWriter* w, uint64_t need, uint64_t patience_ns = 0) {
  RingControl* c = w->control;
  uint64_t slices = patience_ns / kPatienceSliceNs;
  for (;;) {
    if (free_bytes(r, w) >= need) return true;
    if (load_relaxed(&r.header->reader_detached) != 0) return false;
    const uint32_t seq = load_acquire(&c->space_seq);
    store_relaxed(&c->writer_waiting, 1u);
    full_fence();
    if (free_bytes(r, w) >= need) {
      store_relaxed(&c->writer_waiting, 0u);
      return true;
    }
    wake_reader(r.header);
    if (patience_ns != 0 && slices-- == 0) {
      store_relaxed(&c->writer_waiting, 0u);
      return false;
    }
    futex_wait_shared(&c->space_seq, seq, patience_ns != 0 ? kPatienceSliceNs : kSpaceWaitNs);
    store_relaxed(&c->writer_waiting, 0u);
  }
}

bool is_power_of_two(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

bool cpu_has_prefetchw() {
  uint32_t a, b, c, d;
  asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000001u), "c"(0u));
  return (c & (1u << 8)) != 0;
}

}  // namespace

bool region_check(RegionHeader* h, uint64_t mapped_bytes, TraceRegion* out) {
  if (h == nullptr || mapped_bytes < trace::kRegionHeaderBytes) return false;
  if (h->magic != trace::kRegionMagic || h->version != trace::kRegionVersion) return false;
  if (h->header_bytes != trace::kRegionHeaderBytes || h->region_bytes != mapped_bytes) return false;
  const uint64_t count = h->ring_count;
  const uint64_t ring = h->ring_bytes;
  if (count == 0 || count > (1u << 20)) return false;
  if (!is_power_of_two(ring) || ring < trace::kMinRingBytes || ring > trace::kMaxRingBytes) return false;
  const uint64_t controls = h->controls_offset;
  const uint64_t data = h->data_offset;
  if (controls < trace::kRegionHeaderBytes || controls % 64 != 0) return false;
  if (controls > mapped_bytes || count * trace::kRingControlBytes > mapped_bytes - controls) return false;
  if (data < controls + count * trace::kRingControlBytes || data % 8 != 0) return false;
  if (data > mapped_bytes || count * ring > mapped_bytes - data) return false;
  TraceRegion r;
  r.header = h;
  r.bytes = mapped_bytes;
  r.ring_count = static_cast<uint32_t>(count);
  r.ring_bytes = static_cast<uint32_t>(ring);
  r.max_path = h->max_path < trace::kMaxPathBytes ? h->max_path : trace::kMaxPathBytes;
  r.max_data = h->max_data < trace::kMaxDataBytes ? h->max_data : trace::kMaxDataBytes;
  r.controls_offset = controls;
  r.data_offset = data;
  r.record_all_calls = h->record_all_calls != 0 ? 1 : 0;
  for (int i = 0; i < 8; ++i) r.call_mask[i] = h->call_mask[i];
  r.time_calls = h->time_calls != 0 ? 1 : 0;
  r.record_ip = h->record_ip != 0 ? 1 : 0;
  r.record_fd_inodes = h->record_fd_inodes != 0 ? 1 : 0;
  r.verbose = h->verbose != 0 ? 1 : 0;
  r.wait_after_socket_calls = h->wait_after_socket_calls != 0 ? 1 : 0;
  r.raise_again = h->raise_again <= trace::kRaiseBySigqueue ? h->raise_again : 0;
  r.stack_bytes = h->stack_bytes < trace::kMaxStackBytes ? h->stack_bytes & ~7u : trace::kMaxStackBytes;
  r.prefetch_write = cpu_has_prefetchw() ? 1 : 0;
  *out = r;
  return true;
}

namespace {

// One look at every ring, starting from the thread's own index: takes the
// first free one.
bool claim_a_free_ring(const TraceRegion& r, int32_t tid, int32_t pid, RingWriter* w) {
  const uint32_t start = static_cast<uint32_t>(tid) % r.ring_count;
  for (uint32_t i = 0; i < r.ring_count; ++i) {
    uint32_t index = start + i;
    if (index >= r.ring_count) index -= r.ring_count;
    RingControl* c = control_at(r, index);
    if (load_relaxed(&c->state) != trace::kRingFree) continue;
    if (!compare_exchange(&c->state, uint32_t{trace::kRingFree}, uint32_t{trace::kRingClaiming})) continue;
    c->owner_tid = tid;
    c->owner_pid = pid;
    store_relaxed(&c->open_call_tid, 0);  // a dead owner's call is not ours
    const uint32_t generation = load_relaxed(&c->generation) + 1;
    store_relaxed(&c->generation, generation);
    w->control = c;
    w->data = data_at(r, index);
    w->head = load_acquire(&c->head);  // == tail: the reader frees drained rings only
    w->room_until = w->head;  // look at tail first
    w->pending = 0;
    w->index = index;
    w->generation = generation;
    w->released = 0;
    store_release(&c->state, uint32_t{trace::kRingOwned});
    // A ring this thread's id owned before it exec'd (as another thread, or
    // as the leader that thread's exec replaced) is never freed while the id
    // lives: its mark of a call the exec ended is not this image's.
    for (uint32_t k = 0; k < r.ring_count; ++k) {
      RingControl* other = control_at(r, k);
      if (k != index && other->owner_pid == pid && other->owner_tid == tid) store_relaxed(&other->open_call_tid, 0);
    }
    wake_reader(r.header);
    // The claim is visible before this thread reads the TSC for a record:
    // the monitor counts on it (RingReader::last_poll_saw_one_writer).
    asm volatile("lfence" ::: "memory");
    return true;
  }
  return false;
}

}  // namespace

bool ring_try_claim(const TraceRegion& r, int32_t tid, int32_t pid, RingWriter* w) {
  if (r.header == nullptr || r.ring_count == 0) return false;
  return claim_a_free_ring(r, tid, pid, w);
}

bool ring_claim(const TraceRegion& r, int32_t tid, int32_t pid, RingWriter* w, uint64_t patience_ns) {
  if (r.header == nullptr || r.ring_count == 0) return false;
  RegionHeader* h = r.header;
  for (uint64_t waited_ns = 0;; waited_ns += kClaimWaitNs) {
    if (claim_a_free_ring(r, tid, pid, w)) return true;
    if (load_relaxed(&h->reader_detached) != 0) return false;
    if (patience_ns != 0 && waited_ns >= patience_ns) return false;
    // Every ring is owned: sleep until the reader frees one.
    const uint32_t seq = load_acquire(&h->free_seq);
    store_relaxed(&h->claimers_waiting, 1u);
    full_fence();
    wake_reader(h);
    futex_wait_shared(&h->free_seq, seq, kClaimWaitNs);
  }
}

uint8_t* ring_reserve(const TraceRegion& r, RingWriter* w, uint32_t bytes) {
  if (w->control == nullptr || bytes < sizeof(trace::RecordHeader) || bytes % trace::kRecordAlign != 0 ||
      bytes > max_record_bytes(r)) {
    return nullptr;
  }
  const uint32_t offset = static_cast<uint32_t>(w->head & (r.ring_bytes - 1));
  const uint32_t to_end = r.ring_bytes - offset;
  const uint64_t need = bytes <= to_end ? bytes : uint64_t{to_end} + bytes;
  if (w->head + need > w->room_until && !wait_for_space(r, w, need)) {
    __atomic_fetch_add(&r.header->dropped_records, uint64_t{1}, __ATOMIC_RELAXED);
    return nullptr;
  }
  if (bytes > to_end) {
    // The record would wrap: pad to the end of the data area, published with it.
    trace::RecordHeader* pad = reinterpret_cast<trace::RecordHeader*>(w->data + offset);
    pad->size = to_end;
    pad->kind = trace::kRecordPad;
    pad->flags = 0;
    w->head += to_end;
  }
  w->pending = bytes;
  return w->data + (w->head & (r.ring_bytes - 1));
}

void ring_commit(const TraceRegion& r, RingWriter* w) {
  if (w->control == nullptr) return;
  w->head += w->pending;
  w->pending = 0;
  store_release(&w->control->head, w->head);
  store_relaxed(&w->control->records_written, load_relaxed(&w->control->records_written) + 1);
  full_fence();  // head before reader_sleeping: pairs with the reader's fence in wait()
  wake_reader(r.header);
  // The next record's lines: the reader's core read them last time round, so
  // a store would wait for them; fetch them for writing now, while the program
  // and the next syscall run.
  if (r.prefetch_write == 0) return;
  const uint64_t mask = r.ring_bytes - 1;
  for (uint64_t ahead = 0; ahead < 256; ahead += 64) {
    asm volatile("prefetchw %0" : : "m"(w->data[(w->head + ahead) & mask]));
  }
}

bool ring_wait_drained(const TraceRegion& r, RingWriter* w, uint64_t patience_ns) {
  if (w->control == nullptr) return false;
  __atomic_fetch_add(&r.header->drain_seq, 1u, __ATOMIC_RELEASE);
  futex_wake_shared(&r.header->drain_seq);
  return wait_for_space(r, w, r.ring_bytes, patience_ns);
}

bool ring_other_open_call(const TraceRegion& r, int32_t pid, int32_t tid) {
  for (uint32_t k = 0; k < r.ring_count; ++k) {
    const RingControl* c = control_at(r, k);
    const int32_t marked = load_acquire(&c->open_call_tid);
    if (marked != 0 && marked != tid && c->owner_pid == pid) return true;
  }
  return false;
}

void ring_open_call(RingWriter* w, int32_t tid, long nr, const uint64_t args[6]) {
  RingControl* c = w->control;
  if (c == nullptr) return;
  // The tid last: a reader that finds it finds the call's number and arguments.
  store_relaxed(&c->open_call_tid, 0);
  asm volatile("" ::: "memory");  // x86 keeps stores in order; the compiler must too
  c->open_call_nr = static_cast<int32_t>(nr);
  for (int i = 0; i < 6; ++i) c->open_call_args[i] = args[i];
  store_release(&c->open_call_tid, tid);
}

void ring_close_call(RingWriter* w) {
  if (w->control != nullptr) store_relaxed(&w->control->open_call_tid, 0);
}

void ring_release(RingWriter* w) {
  if (w->control == nullptr || w->released != 0) return;
  store_relaxed(&w->control->open_call_tid, 0);  // exiting or exec'ing: in no call
  // A CAS, not a store: if the reader took the ring away (it wrongly judged the
  // owner dead), the ring may belong to someone else by now.
  compare_exchange(&w->control->state, uint32_t{trace::kRingOwned}, uint32_t{trace::kRingReleased});
  w->released = 1;
}

bool ring_reacquire(const TraceRegion& r, int32_t tid, int32_t pid, RingWriter* w) {
  if (w->control != nullptr && w->released != 0 &&
      load_relaxed(&w->control->generation) == w->generation &&
      compare_exchange(&w->control->state, uint32_t{trace::kRingReleased}, uint32_t{trace::kRingOwned})) {
    // Between the generation check and the CAS the reader may have freed the
    // ring and another thread claimed and released it: then it is not ours.
    if (load_relaxed(&w->control->generation) == w->generation) {
      w->released = 0;
      return true;
    }
    store_release(&w->control->state, uint32_t{trace::kRingReleased});
  }
  w->control = nullptr;
  return ring_claim(r, tid, pid, w);
}

}  // namespace sysgate::gate
