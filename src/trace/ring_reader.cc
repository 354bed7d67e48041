#include "trace/ring_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <utility>

namespace sysgate::trace {
namespace {

constexpr auto kOwnerCheckInterval = std::chrono::milliseconds(100);
constexpr uint64_t kMaxRegionBytes = uint64_t{1} << 40;

template <typename T>
std::atomic_ref<T> shared(T& field) {
  return std::atomic_ref<T>(field);
}

void futex_wake_all(uint32_t* word) {
  syscall(SYS_futex, word, FUTEX_WAKE, 0x7fffffff, nullptr, nullptr, 0);
}

Error system_error(const std::string& what) {
  return make_error(ErrorCode::kSystem, what + ": " + std::strerror(errno));
}

bool is_power_of_two(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

uint64_t round_up(uint64_t v, uint64_t to) { return (v + to - 1) / to * to; }

}  // namespace

Result<RingReader> RingReader::create(const RegionOptions& options) {
  if (!is_power_of_two(options.ring_bytes) || options.ring_bytes < kMinRingBytes ||
      options.ring_bytes > kMaxRingBytes) {
    return make_error(ErrorCode::kInvalidArgument, "ring_bytes must be a power of two in [64 KiB, 1 GiB]");
  }
  if (options.max_path > kMaxPathBytes || options.max_data > kMaxDataBytes) {
    return make_error(ErrorCode::kInvalidArgument, "max_path and max_data must be at most 4096");
  }
  if (options.region_bytes > kMaxRegionBytes) {
    return make_error(ErrorCode::kInvalidArgument, "region_bytes must be at most 1 TiB");
  }
  // Header page, one 256-byte control per ring, then the data areas (page aligned).
  uint64_t count = options.region_bytes > kRegionHeaderBytes
                       ? (options.region_bytes - kRegionHeaderBytes) / (options.ring_bytes + kRingControlBytes)
                       : 0;
  uint64_t data_offset = 0;
  for (; count > 0; --count) {
    data_offset = round_up(kRegionHeaderBytes + count * kRingControlBytes, 4096);
    if (data_offset + count * options.ring_bytes <= options.region_bytes) break;
  }
  if (count == 0) return make_error(ErrorCode::kInvalidArgument, "region_bytes too small for one ring");

  RingReader reader;
  reader.free_rings_of_dead_owners_ = options.free_rings_of_dead_owners;
  reader.fd_ = static_cast<int>(syscall(SYS_memfd_create, "sysgate-trace", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (reader.fd_ < 0) return system_error("memfd_create");
  if (ftruncate(reader.fd_, static_cast<off_t>(options.region_bytes)) != 0) return system_error("ftruncate");
  // The traced program holds the region's descriptor: its size is sealed, or
  // an ftruncate would take the pages from under the monitor's mapping (its
  // next read of a ring: SIGBUS). The program can still write the bytes
  // (records are its own); F_SEAL_SEAL keeps anyone from adding F_SEAL_WRITE,
  // which would stop the gate's writes.
  if (fcntl(reader.fd_, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    return system_error("sealing the trace region's size");
  }
  void* m = mmap(nullptr, options.region_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, reader.fd_, 0);
  if (m == MAP_FAILED) return system_error("mmap of the trace region");
  reader.base_ = static_cast<uint8_t*>(m);
  reader.bytes_ = options.region_bytes;

  RegionHeader* h = reinterpret_cast<RegionHeader*>(reader.base_);
  h->magic = kRegionMagic;
  h->version = kRegionVersion;
  h->header_bytes = kRegionHeaderBytes;
  h->region_bytes = options.region_bytes;
  h->ring_count = static_cast<uint32_t>(count);
  h->ring_bytes = options.ring_bytes;
  h->controls_offset = kRegionHeaderBytes;
  h->data_offset = data_offset;
  h->max_path = options.max_path;
  h->max_data = options.max_data;
  h->record_all_calls = options.call_mask ? 0 : 1;
  h->time_calls = options.time_calls ? 1 : 0;
  h->record_ip = options.record_ip ? 1 : 0;
  h->record_fd_inodes = options.record_fd_inodes ? 1 : 0;
  h->verbose = options.verbose ? 1 : 0;
  h->stack_bytes = std::min(options.stack_bytes, kMaxStackBytes);
  h->wait_after_socket_calls = options.wait_after_socket_calls ? 1 : 0;
  h->raise_again = options.raise_again;
  if (options.call_mask) std::memcpy(h->call_mask, options.call_mask->data(), sizeof h->call_mask);
  h->inject = options.inject;
  h->dump_bytes = options.dump_bytes;
  std::memcpy(h->dump_read_fds, options.dump_read_fds.data(), sizeof h->dump_read_fds);
  std::memcpy(h->dump_write_fds, options.dump_write_fds.data(), sizeof h->dump_write_fds);
  Result<bool> checked = reader.map_and_check(options.region_bytes);
  if (!checked) return checked.error();
  return reader;
}

Result<RingReader> RingReader::attach(int fd, bool free_rings_of_dead_owners) {
  RingReader reader;
  reader.free_rings_of_dead_owners_ = free_rings_of_dead_owners;
  reader.fd_ = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (reader.fd_ < 0) return system_error("dup of the trace region");
  struct stat st;
  if (fstat(reader.fd_, &st) != 0) return system_error("fstat of the trace region");
  const uint64_t bytes = static_cast<uint64_t>(st.st_size);
  if (bytes < kRegionHeaderBytes || bytes > kMaxRegionBytes) {
    return make_error(ErrorCode::kInvalidArgument, "not a trace region (size)");
  }
  void* m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, reader.fd_, 0);
  if (m == MAP_FAILED) return system_error("mmap of the trace region");
  reader.base_ = static_cast<uint8_t*>(m);
  reader.bytes_ = bytes;
  Result<bool> checked = reader.map_and_check(bytes);
  if (!checked) return checked.error();
  for (uint32_t i = 0; i < reader.ring_count_; ++i) {
    reader.tails_[i] = shared(reader.control(i)->tail).load(std::memory_order_acquire);
  }
  return reader;
}

// Validates the header at base_ and copies the geometry into members.
Result<bool> RingReader::map_and_check(uint64_t bytes) {
  const RegionHeader* h = reinterpret_cast<const RegionHeader*>(base_);
  auto bad = [](const std::string& what) {
    return make_error(ErrorCode::kInvalidArgument, "not a valid trace region: " + what);
  };
  if (h->magic != kRegionMagic) return bad("magic");
  if (h->version != kRegionVersion) return bad("version " + std::to_string(h->version));
  if (h->header_bytes != kRegionHeaderBytes || h->region_bytes != bytes) return bad("sizes");
  const uint64_t count = h->ring_count;
  const uint64_t ring = h->ring_bytes;
  if (count == 0 || count > (1u << 20)) return bad("ring count");
  if (!is_power_of_two(ring) || ring < kMinRingBytes || ring > kMaxRingBytes) return bad("ring size");
  const uint64_t controls = h->controls_offset;
  const uint64_t data = h->data_offset;
  if (controls < kRegionHeaderBytes || controls % 64 != 0 || controls > bytes ||
      count * kRingControlBytes > bytes - controls) {
    return bad("controls offset");
  }
  if (data < controls + count * kRingControlBytes || data % 8 != 0 || data > bytes || count * ring > bytes - data) {
    return bad("data offset");
  }
  ring_count_ = static_cast<uint32_t>(count);
  ring_bytes_ = static_cast<uint32_t>(ring);
  controls_offset_ = controls;
  data_offset_ = data;
  limits_.max_path = h->max_path < kMaxPathBytes ? h->max_path : kMaxPathBytes;
  limits_.max_data = h->max_data < kMaxDataBytes ? h->max_data : kMaxDataBytes;
  limits_.max_dump = max_dump_bytes(h->dump_bytes, h->ring_bytes);
  limits_.max_stack = std::min(h->stack_bytes, kMaxStackBytes);
  tails_.assign(ring_count_, 0);
  return true;
}

RingReader::RingReader(RingReader&& other) noexcept { *this = std::move(other); }

RingReader& RingReader::operator=(RingReader&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
    base_ = std::exchange(other.base_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    ring_count_ = std::exchange(other.ring_count_, 0);
    ring_bytes_ = std::exchange(other.ring_bytes_, 0);
    controls_offset_ = other.controls_offset_;
    data_offset_ = other.data_offset_;
    limits_ = other.limits_;
    tails_ = std::move(other.tails_);
    scratch_ = std::move(other.scratch_);
    record_ = std::move(other.record_);
    spare_bytes_ = std::move(other.spare_bytes_);
    errors_ = std::move(other.errors_);
    stats_ = other.stats_;
    free_rings_of_dead_owners_ = other.free_rings_of_dead_owners_;
    next_owner_check_ = other.next_owner_check_;
  }
  return *this;
}

RingReader::~RingReader() { release(); }

void RingReader::release() {
  if (base_ != nullptr) {
    detach();
    munmap(base_, bytes_);
    base_ = nullptr;
  }
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
}

RingControl* RingReader::control(uint32_t index) const {
  return reinterpret_cast<RingControl*>(base_ + controls_offset_) + index;
}

uint8_t* RingReader::data(uint32_t index) const { return base_ + data_offset_ + uint64_t{index} * ring_bytes_; }

void RingReader::report(uint32_t index, std::string message) {
  // The program writes its rings: it can make an inconsistency every
  // millisecond for as long as it runs. The first few are kept, all counted.
  constexpr size_t kMaxKeptErrors = 16;
  ++stats_.corrupt;
  if (errors_.size() < kMaxKeptErrors) errors_.push_back(RingError{index, std::move(message)});
}

void RingReader::wake_writer(RingControl* c) {
  if (shared(c->writer_waiting).load(std::memory_order_relaxed) == 0) return;
  shared(c->space_seq).fetch_add(1, std::memory_order_release);
  futex_wake_all(&c->space_seq);
}

void RingReader::wake_claimers() {
  RegionHeader* h = reinterpret_cast<RegionHeader*>(base_);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (shared(h->claimers_waiting).exchange(0, std::memory_order_acq_rel) == 0) return;
  shared(h->free_seq).fetch_add(1, std::memory_order_release);
  futex_wake_all(&h->free_seq);
}

bool RingReader::drain_ring(uint32_t index, const Sink& sink, size_t* budget) {
  RingControl* c = control(index);
  const uint32_t state = shared(c->state).load(std::memory_order_acquire);
  if (state != kRingOwned && state != kRingReleased) return false;
  uint64_t tail = tails_[index];
  const uint64_t head = shared(c->head).load(std::memory_order_acquire);
  const uint64_t mask = ring_bytes_ - 1;
  const uint8_t* ring = data(index);
  bool delivered = false;
  std::string problem;
  if (head - tail > ring_bytes_ || head % kRecordAlign != 0) {
    problem = "head " + std::to_string(head) + " inconsistent with tail " + std::to_string(tail);
  }
  while (problem.empty() && tail != head && *budget > 0) {
    const uint64_t offset = tail & mask;
    const uint64_t to_end = ring_bytes_ - offset;
    const uint64_t available = head - tail;
    uint32_t size;
    uint16_t kind;
    std::memcpy(&size, ring + offset, sizeof size);
    std::memcpy(&kind, ring + offset + 4, sizeof kind);
    if (size < kRecordAlign || size % kRecordAlign != 0 || size > available || size > to_end) {
      problem = "record size " + std::to_string(size) + " at " + std::to_string(tail);
      break;
    }
    if (kind == kRecordPad) {
      tail += size;
      continue;
    }
    // Copy first: the program can change the ring under our feet. The copy
    // buffer grows to the largest record seen (a ring's size at most) rather
    // than being a whole ring up front: that cost a megabyte of page faults at
    // every start.
    if (scratch_.size() < size) scratch_.resize(size);
    std::memcpy(scratch_.data(), ring + offset, size);
    Result<void> decoded = decode_record_into(std::span<const uint8_t>(scratch_.data(), size), limits_, record_,
                                               &spare_bytes_);
    if (!decoded) {
      problem = decoded.error().message + " at " + std::to_string(tail);
      break;
    }
    record_.ring = index;
    tail += size;
    ++stats_.records;
    --*budget;
    delivered = true;
    sink(record_);
  }
  if (!problem.empty()) {
    report(index, std::move(problem));
    tail = head;  // resync: skip what cannot be decoded
  }
  if (tail != tails_[index] || !problem.empty()) {
    tails_[index] = tail;
    shared(c->tail).store(tail, std::memory_order_release);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // tail before writer_waiting
    wake_writer(c);
  }
  return delivered;
}

void RingReader::maybe_free(uint32_t index, bool check_owner) {
  RingControl* c = control(index);
  const uint32_t state = shared(c->state).load(std::memory_order_acquire);
  if (state != kRingOwned && state != kRingReleased) return;
  if (shared(c->head).load(std::memory_order_acquire) != tails_[index]) return;
  if (state == kRingReleased) {
    uint32_t expected = kRingReleased;
    if (shared(c->state).compare_exchange_strong(expected, kRingFree, std::memory_order_acq_rel)) {
      ++stats_.rings_freed;
      wake_claimers();
    }
    return;
  }
  if (!check_owner) return;
  const int32_t pid = shared(c->owner_pid).load(std::memory_order_relaxed);
  const int32_t tid = shared(c->owner_tid).load(std::memory_order_relaxed);
  if (pid <= 0 || tid <= 0) return;
  if (syscall(SYS_tgkill, pid, tid, 0) == 0 || errno != ESRCH) return;
  // The owner is gone without giving the ring up (killed, exit_group of another
  // thread, execve of another thread): nothing can be written any more.
  if (shared(c->head).load(std::memory_order_acquire) != tails_[index]) return;
  uint32_t expected = kRingOwned;
  if (shared(c->state).compare_exchange_strong(expected, kRingFree, std::memory_order_acq_rel)) {
    ++stats_.rings_freed;
    wake_claimers();
  }
}

size_t RingReader::poll(const Sink& sink, size_t max_records) {
  if (base_ == nullptr) return 0;
  RegionHeader* h = reinterpret_cast<RegionHeader*>(base_);
  const auto now = std::chrono::steady_clock::now();
  const bool check_owners =
      free_rings_of_dead_owners_ &&
      (now >= next_owner_check_ || shared(h->claimers_waiting).load(std::memory_order_relaxed) != 0);
  if (check_owners) next_owner_check_ = now + kOwnerCheckInterval;
  size_t budget = max_records;
  uint32_t in_use = shared(h->claimers_waiting).load(std::memory_order_relaxed) != 0 ? 2 : 0;
  uint32_t looked_at = 0;
  for (uint32_t i = 0; i < ring_count_ && budget > 0; ++i, ++looked_at) {
    if (shared(control(i)->state).load(std::memory_order_acquire) != kRingFree) ++in_use;
    drain_ring(i, sink, &budget);
    maybe_free(i, check_owners);
  }
  last_poll_busy_ = budget != max_records;
  last_poll_one_writer_ = looked_at == ring_count_ && in_use <= 1;
  return max_records - budget;
}

std::vector<OpenCall> RingReader::open_calls_of(int32_t pid, int32_t except_tid) const {
  std::vector<OpenCall> calls;
  if (base_ == nullptr) return calls;
  for (uint32_t i = 0; i < ring_count_; ++i) {
    // Any state: a dead owner's ring may have been freed already, and keeps
    // its owner and slot until the next claim (which clears the slot).
    RingControl* c = control(i);
    const int32_t tid = shared(c->open_call_tid).load(std::memory_order_acquire);
    // The owner's own slot only: what else is there was scribbled.
    if (tid == 0 || tid == except_tid || shared(c->owner_pid).load(std::memory_order_relaxed) != pid ||
        shared(c->owner_tid).load(std::memory_order_relaxed) != tid) {
      continue;
    }
    OpenCall call;
    call.tid = tid;
    call.nr = shared(c->open_call_nr).load(std::memory_order_relaxed);
    for (int k = 0; k < 6; ++k) call.args[k] = shared(c->open_call_args[k]).load(std::memory_order_relaxed);
    // A thread still running rewrites the slot tid first: read torn, it reads 0 now.
    std::atomic_thread_fence(std::memory_order_acquire);
    if (shared(c->open_call_tid).load(std::memory_order_relaxed) != tid) continue;
    // The program can write its rings: a number no call has is no call.
    if (call.nr < 0 || call.nr >= 512) continue;
    calls.push_back(call);
  }
  return calls;
}

bool RingReader::has_work() const {
  RegionHeader* h = reinterpret_cast<RegionHeader*>(base_);
  if (shared(h->claimers_waiting).load(std::memory_order_relaxed) != 0) return true;
  for (uint32_t i = 0; i < ring_count_; ++i) {
    RingControl* c = control(i);
    const uint32_t state = shared(c->state).load(std::memory_order_acquire);
    if (state != kRingOwned && state != kRingReleased) continue;
    if (shared(c->head).load(std::memory_order_acquire) != tails_[i] || state == kRingReleased) return true;
  }
  return false;
}

bool RingReader::wait(std::chrono::milliseconds timeout) {
  if (base_ == nullptr) return false;
  RegionHeader* h = reinterpret_cast<RegionHeader*>(base_);
  auto sleep_on_data_seq = [&](uint32_t seq, std::chrono::nanoseconds how_long) {
    const auto ns = how_long.count();
    struct timespec ts = {static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    syscall(SYS_futex, &h->data_seq, FUTEX_WAIT, seq, &ts, nullptr, 0);
  };
  if (last_poll_busy_) {
    last_poll_busy_ = false;
    if (!has_work()) {
      sleep_on_data_seq(shared(h->data_seq).load(std::memory_order_acquire),
                        std::min<std::chrono::nanoseconds>(timeout, kBusyNap));
    }
    return has_work();
  }
  shared(h->reader_sleeping).store(1, std::memory_order_relaxed);
  const uint32_t seq = shared(h->data_seq).load(std::memory_order_acquire);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // reader_sleeping before the heads
  if (!has_work()) sleep_on_data_seq(seq, timeout);
  shared(h->reader_sleeping).store(0, std::memory_order_relaxed);
  return has_work();
}

bool RingReader::wait_for_drain_request(uint32_t* seen, std::chrono::milliseconds timeout) const {
  if (base_ == nullptr) return false;
  RegionHeader* h = reinterpret_cast<RegionHeader*>(base_);
  uint32_t now = shared(h->drain_seq).load(std::memory_order_acquire);
  if (now == *seen) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
    struct timespec ts = {static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    syscall(SYS_futex, &h->drain_seq, FUTEX_WAIT, *seen, &ts, nullptr, 0);
    now = shared(h->drain_seq).load(std::memory_order_acquire);
  }
  const bool asked = now != *seen;
  *seen = now;
  return asked;
}

void RingReader::wake_drain_waiters() const {
  if (base_ == nullptr) return;
  RegionHeader* h = reinterpret_cast<RegionHeader*>(base_);
  shared(h->drain_seq).fetch_add(1, std::memory_order_release);
  syscall(SYS_futex, &h->drain_seq, FUTEX_WAKE, INT32_MAX, nullptr, nullptr, 0);
}

void RingReader::detach() {
  if (base_ == nullptr) return;
  RegionHeader* h = reinterpret_cast<RegionHeader*>(base_);
  shared(h->reader_detached).store(1, std::memory_order_release);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // Every ring's sequence moves, so a writer about to sleep on it does not; a
  // wake-up only for writers that said they sleep (each is a syscall that
  // looks up the shared page: a profile of `sysgate trace -- true` put ~1 ms
  // in the 256 of them at every exit). The locked add orders the bump before
  // the flag's load, as the writer orders its flag before its futex wait
  // re-reads the sequence.
  for (uint32_t i = 0; i < ring_count_; ++i) {
    RingControl* c = control(i);
    shared(c->space_seq).fetch_add(1, std::memory_order_seq_cst);
    if (shared(c->writer_waiting).load(std::memory_order_seq_cst) != 0) futex_wake_all(&c->space_seq);
  }
  shared(h->free_seq).fetch_add(1, std::memory_order_release);
  futex_wake_all(&h->free_seq);
}

std::vector<RingError> RingReader::take_errors() { return std::exchange(errors_, {}); }

uint64_t RingReader::dropped_after_detach() const {
  if (base_ == nullptr) return 0;
  RegionHeader* h = reinterpret_cast<RegionHeader*>(base_);
  return shared(h->dropped_records).load(std::memory_order_relaxed);
}

}  // namespace sysgate::trace
