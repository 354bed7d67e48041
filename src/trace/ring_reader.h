// The monitor's side of the trace region: creates it, drains its rings, frees
// rings whose owners are done.
//
//   Result<RingReader> reader = RingReader::create({.region_bytes = 64 << 20});
//   int fd = reader->fd();             // give to the gate: GateConfig::ring_fd
//   ... start the traced program ...
//   while (running) {
//     reader->poll([&](const Record& r) { print(r); });   // per-ring order
//     reader->wait(std::chrono::milliseconds(100));
//   }
//   reader->poll(sink);                // drain what is left
//
// Every thread's records come from its own ring, so poll() yields each thread's
// records in the order it made the calls; records of different threads (rings)
// can be ordered by Record::tsc. A ring is freed for reuse once its owner gave
// it up (exit, execve) or died, and everything in it was read.
//
// The region is written by the traced process, which is untrusted: the reader
// copies each record out before decoding it, bounds-checks everything, keeps
// its own copies of the region's geometry and of each ring's read position, and
// on an inconsistent ring reports a RingError and skips to the ring's current
// head (records in between are lost; only a program writing to the region
// itself can cause this).
//
// Not thread-safe: one thread polls. The writers never block the reader.
#pragma once

#include <array>
#include <optional>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "trace/record.h"
#include "trace/ring_format.h"

namespace sysgate::trace {

struct RegionOptions {
  // Size of the memfd: 255 rings of 1 MiB. Only what is written takes memory
  // (a ring a thread fills is 1 MiB); the rest is address space, in the
  // monitor and in each traced process. More threads at once than rings run
  // with their records dropped (a thread waits 0.5 s for a ring first).
  uint64_t region_bytes = uint64_t{256} << 20;
  uint32_t ring_bytes = 1u << 20;  // per ring; power of two in [kMinRingBytes, kMaxRingBytes]
  uint32_t max_path = 4096;        // path bytes copied per argument (<= kMaxPathBytes)
  uint32_t max_data = 32;          // data / string bytes copied (<= kMaxDataBytes), like strace -s
  // Which completed calls the gate records (RegionHeader::call_mask): nullopt
  // for all of them. Bit nr % 64 of word nr / 64.
  std::optional<std::array<uint64_t, 8>> call_mask;
  // Records of completed calls carry the TSC from before the call (-T).
  bool time_calls = false;
  // Records carry the program's instruction pointer (RegionHeader::record_ip, -i).
  bool record_ip = false;
  // Socket and pipe records carry their descriptors' inodes (record_fd_inodes, -y).
  bool record_fd_inodes = false;
  // Whole stat structs and exec environments (RegionHeader::verbose, -v).
  bool verbose = false;
  // Call records carry the program's stack (RegionHeader::stack_bytes, -k); 0: none.
  uint32_t stack_bytes = 0;
  // Writers wait for the reader after socket-making calls (RegionHeader::wait_after_socket_calls, -yy).
  bool wait_after_socket_calls = false;
  // How the gate may raise a fatal signal again (RegionHeader::raise_again); 0: it may not.
  uint32_t raise_again = 0;
  // -e inject= rules (RegionHeader::inject); rule_count 0: none.
  InjectTable inject{};
  // -e read=SET / -e write=SET (RegionHeader::dump_*): bit fd % 64 of word
  // fd / 64; dump_bytes 0: no dumps.
  uint32_t dump_bytes = 0;
  std::array<uint64_t, kDumpFdNumbers / 64> dump_read_fds{};
  std::array<uint64_t, kDumpFdNumbers / 64> dump_write_fds{};
  // Free a ring whose owner thread no longer exists (killed, or gone with an
  // exit_group/execve of another thread) once it is drained. The reader asks
  // the kernel about the owner's ids (tgkill(pid, tid, 0)), so this needs the
  // traced threads to be in the reader's pid namespace; turn it off otherwise
  // (rings of threads that die without exit/execve are then never reused).
  bool free_rings_of_dead_owners = true;
};

struct RingError {
  uint32_t ring = 0;
  std::string message;
};

class RingReader {
 public:
  // The record is the reader's own, reused for the next one: a sink may move
  // from it, or swap it with a record it no longer needs.
  using Sink = std::function<void(Record&)>;

  struct Stats {
    uint64_t records = 0;      // records delivered
    uint64_t rings_freed = 0;  // rings returned to the free pool
    uint64_t corrupt = 0;      // inconsistencies found (see take_errors)
  };

  // Creates a memfd (MFD_CLOEXEC: clear it, or dup, to pass it across exec),
  // sizes it and writes the header. The monitor's constructor.
  static Result<RingReader> create(const RegionOptions& options = {});
  // Reads a region created elsewhere (validates its header). Dups fd.
  static Result<RingReader> attach(int fd, bool free_rings_of_dead_owners = true);

  RingReader(RingReader&& other) noexcept;
  RingReader& operator=(RingReader&& other) noexcept;
  RingReader(const RingReader&) = delete;
  RingReader& operator=(const RingReader&) = delete;
  // Detaches (writers stop waiting and drop), unmaps, closes.
  ~RingReader();

  int fd() const { return fd_; }
  uint32_t ring_count() const { return ring_count_; }
  uint32_t ring_bytes() const { return ring_bytes_; }
  const DecodeLimits& limits() const { return limits_; }

  // Drains every ring, calling sink for each record (each ring's records in
  // order, at most max_records in all), wakes writers waiting for space, frees
  // rings that are done. Returns the number of records delivered.
  size_t poll(const Sink& sink, size_t max_records = SIZE_MAX);
  // Whether the last poll looked at every ring and found at most one in use
  // (claimed, owned, or released with records left), and no writer waiting
  // for a ring. A writer claims its ring before it reads the TSC for its
  // first record (an lfence after the claim), so a ring claimed after the
  // poll began holds only younger stamps (TimeOrder::release's sole_writer).
  // Call TimeOrder::now() before poll().
  bool last_poll_saw_one_writer() const { return last_poll_one_writer_; }

  // The calls the threads of process pid other than except_tid wait in, as
  // their rings say now (RingControl::open_call_*), or waited in when they
  // died: for an exit_group record, and a process a signal killed. A freed
  // ring keeps its last owner's slot until it is claimed again.
  std::vector<OpenCall> open_calls_of(int32_t pid, int32_t except_tid) const;

  // Sleeps until a writer publishes something, or timeout. True if there is
  // something for poll() to do. Adaptive: while records are flowing (the last
  // poll delivered some) it naps for at most kBusyNap without asking writers to
  // wake it -- a wake-up costs the writer a futex syscall, which per record
  // would double the cost of a traced call -- and only when a poll came back
  // empty does it ask the next writer to wake it.
  bool wait(std::chrono::milliseconds timeout);
  static constexpr std::chrono::microseconds kBusyNap{1000};

  // Sleeps until a writer asks for its records to be taken now
  // (RegionHeader::drain_seq, bumped since *seen), or timeout; updates *seen.
  // True if one did. Safe to call from another thread than poll()'s.
  bool wait_for_drain_request(uint32_t* seen, std::chrono::milliseconds timeout) const;
  // Wakes a thread in wait_for_drain_request (to stop it).
  void wake_drain_waiters() const;

  // From now on writers drop records instead of waiting for space or rings.
  void detach();

  // Inconsistencies found since the last call (the first 16 of them:
  // stats().corrupt counts them all).
  std::vector<RingError> take_errors();
  Stats stats() const { return stats_; }
  // Records writers dropped because the reader had detached.
  uint64_t dropped_after_detach() const;

 private:
  RingReader() = default;
  Result<bool> map_and_check(uint64_t bytes);
  RingControl* control(uint32_t index) const;
  uint8_t* data(uint32_t index) const;
  bool drain_ring(uint32_t index, const Sink& sink, size_t* budget);
  bool has_work() const;
  void wake_writer(RingControl* c);
  void wake_claimers();
  void maybe_free(uint32_t index, bool check_owner);
  void report(uint32_t index, std::string message);
  void release();

  int fd_ = -1;
  uint8_t* base_ = nullptr;
  uint64_t bytes_ = 0;
  uint32_t ring_count_ = 0;
  uint32_t ring_bytes_ = 0;
  uint64_t controls_offset_ = 0;
  uint64_t data_offset_ = 0;
  DecodeLimits limits_;
  std::vector<uint64_t> tails_;  // our own read position per ring
  std::vector<uint8_t> scratch_;
  // Every record is decoded into this one, whose memory a sink may take or
  // swap for another's (TimeOrder::add does): no allocation per record.
  Record record_;
  std::vector<std::string> spare_bytes_;  // payload memory between records (decode_record_into)
  std::vector<RingError> errors_;
  Stats stats_;
  bool free_rings_of_dead_owners_ = true;
  bool last_poll_busy_ = false;
  bool last_poll_one_writer_ = false;
  std::chrono::steady_clock::time_point next_owner_check_{};
};

}  // namespace sysgate::trace
