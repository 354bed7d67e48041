// The trace rings: the gate's writer (src/gate/ring_writer.h, called directly
// here, no signals involved) against the monitor's reader (src/trace).
#include <fcntl.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gate/ring_writer.h"
#include "syscalls/call_format.h"
#include "trace/record.h"
#include "trace/ring_format.h"
#include "trace/ring_reader.h"

namespace sysgate::trace {
namespace {

using gate::RingWriter;
using gate::TraceRegion;

// Rings are claimed with real ids: the reader frees the rings of threads that
// no longer exist.
int32_t tid() { return static_cast<int32_t>(syscall(SYS_gettid)); }

// The writer's view of a reader's region: a second mapping, as in the traced process.
struct WriterSide {
  explicit WriterSide(const RingReader& reader) {
    struct stat st;
    EXPECT_EQ(fstat(reader.fd(), &st), 0);
    bytes = static_cast<uint64_t>(st.st_size);
    map = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, reader.fd(), 0);
    EXPECT_NE(map, MAP_FAILED);
    EXPECT_TRUE(gate::region_check(static_cast<RegionHeader*>(map), bytes, &region));
  }
  ~WriterSide() { munmap(map, bytes); }
  void* map = nullptr;
  uint64_t bytes = 0;
  TraceRegion region;
};

struct TestPayload {
  int arg;
  PayloadKind kind;
  std::string bytes;
  uint64_t addr;
  bool truncated = false;
};

// Bytes a record with these payloads takes.
uint32_t record_bytes(const std::vector<TestPayload>& payloads) {
  uint32_t bytes = sizeof(RecordHeader);
  for (const TestPayload& p : payloads) bytes += sizeof(PayloadHeader) + align_record(p.bytes.size());
  return bytes;
}

// Lays out header h (size and payload count filled in here) and the payloads
// at out, as the gate does; out holds record_bytes(payloads) zeroed bytes.
void lay_out_record(uint8_t* out, RecordHeader h, const std::vector<TestPayload>& payloads) {
  h.size = record_bytes(payloads);
  h.payload_count = static_cast<uint16_t>(payloads.size());
  std::memcpy(out, &h, sizeof h);
  uint8_t* at = out + sizeof h;
  for (const TestPayload& p : payloads) {
    PayloadHeader ph = {};
    ph.length = static_cast<uint32_t>(p.bytes.size());
    ph.arg = static_cast<uint8_t>(p.arg);
    ph.kind = p.kind;
    ph.flags = p.truncated ? kPayloadTruncated : 0;
    ph.addr = p.addr;
    std::memcpy(at, &ph, sizeof ph);
    at += sizeof ph;
    std::memcpy(at, p.bytes.data(), p.bytes.size());
    at += align_record(p.bytes.size());
  }
}

// Appends one record as the gate would; false if the reader detached.
bool write_record(const TraceRegion& region, RingWriter* w, int nr, uint64_t seq, int64_t ret,
                  const std::vector<TestPayload>& payloads = {}) {
  const uint32_t bytes = record_bytes(payloads);
  uint8_t* out = gate::ring_reserve(region, w, bytes);
  if (out == nullptr) return false;
  std::memset(out, 0, bytes);
  RecordHeader h = {};
  h.kind = kRecordSyscall;
  h.tid = 1234;
  h.pid = 1200;
  h.nr = nr;
  h.args[0] = seq;
  for (size_t i = 0; i < payloads.size(); ++i) h.args[payloads[i].arg] = payloads[i].addr;
  h.ret = ret;
  h.tsc = seq * 10;
  lay_out_record(out, h, payloads);
  gate::ring_commit(region, w);
  return true;
}

RegionOptions small_region(uint32_t rings = 4, uint32_t ring_bytes = kMinRingBytes) {
  RegionOptions o;
  o.ring_bytes = ring_bytes;
  o.region_bytes = kRegionHeaderBytes + 4096 + uint64_t{rings} * ring_bytes;
  return o;
}

TEST(TraceRegion, CreateLaysOutHeaderControlsAndData) {
  Result<RingReader> reader = RingReader::create(small_region(4));
  ASSERT_TRUE(reader) << reader.error().describe();
  EXPECT_EQ(reader->ring_count(), 4u);
  EXPECT_EQ(reader->ring_bytes(), kMinRingBytes);
  EXPECT_EQ(reader->limits().max_path, 4096u);
  EXPECT_EQ(reader->limits().max_data, 32u);
  WriterSide w(*reader);
  EXPECT_EQ(w.region.ring_count, 4u);
  EXPECT_EQ(w.region.max_data, 32u);
  EXPECT_EQ(w.region.data_offset % 4096, 0u);

  Result<RingReader> again = RingReader::attach(reader->fd());
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_EQ(again->ring_count(), 4u);
}

TEST(TraceRegion, RejectsBadOptionsAndForeignFiles) {
  RegionOptions o;
  o.ring_bytes = 100000;  // not a power of two
  EXPECT_FALSE(RingReader::create(o));
  o = {};
  o.max_data = 5000;
  EXPECT_FALSE(RingReader::create(o));
  o = small_region(1);
  o.region_bytes = 8192;  // no room for a ring
  EXPECT_FALSE(RingReader::create(o));

  const int fd = static_cast<int>(syscall(SYS_memfd_create, "not-a-region", 0));
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, 1 << 20), 0);
  EXPECT_FALSE(RingReader::attach(fd));
  close(fd);
}

TEST(TraceRegion, WriterRejectsAMalformedHeader) {
  Result<RingReader> reader = RingReader::create(small_region(2));
  ASSERT_TRUE(reader);
  WriterSide w(*reader);
  auto* h = static_cast<RegionHeader*>(w.map);
  TraceRegion out;
  h->ring_count = 1000;  // more rings than fit
  EXPECT_FALSE(gate::region_check(h, w.bytes, &out));
  h->ring_count = 2;
  h->ring_bytes = 3000;
  EXPECT_FALSE(gate::region_check(h, w.bytes, &out));
  h->ring_bytes = kMinRingBytes;
  EXPECT_FALSE(gate::region_check(h, w.bytes - 4096, &out));  // size mismatch
  EXPECT_TRUE(gate::region_check(h, w.bytes, &out));
}

TEST(TraceRing, RecordsAndPayloadsRoundTripIntoTheFormatter) {
  Result<RingReader> reader = RingReader::create(small_region(2));
  ASSERT_TRUE(reader);
  WriterSide side(*reader);
  RingWriter w;
  ASSERT_TRUE(gate::ring_claim(side.region, tid(), getpid(), &w));
  ASSERT_TRUE(write_record(side.region, &w, SYS_openat, static_cast<uint64_t>(-100), 3,
                           {{1, kPayloadPath, "/etc/hostname", 0x7000}}));
  ASSERT_TRUE(write_record(side.region, &w, SYS_write, 1, 6, {{1, kPayloadDataIn, "hello\n", 0x8000}}));
  ASSERT_TRUE(write_record(side.region, &w, SYS_openat, static_cast<uint64_t>(-100), -2,
                           {{1, kPayloadPath, "/very/long", 0x9000, /*truncated=*/true}}));

  std::vector<Record> got;
  EXPECT_EQ(reader->poll([&](const Record& r) { got.push_back(r); }), 3u);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].tid, 1234);  // what the record says, not the ring's owner
  EXPECT_EQ(got[0].pid, 1200);
  EXPECT_EQ(got[0].ret, 3);
  ASSERT_NE(got[0].payload(1), nullptr);
  EXPECT_EQ(got[0].payload(1)->bytes, "/etc/hostname");
  EXPECT_EQ(got[0].ring, w.index);

  got[0].args[2] = 0;  // O_RDONLY
  RecordMemory m0(got[0]);
  EXPECT_EQ(syscalls::format_call(got[0].nr, got[0].args, &m0), "openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY)");
  got[1].args[2] = 6;
  RecordMemory m1(got[1]);
  EXPECT_EQ(syscalls::format_call(got[1].nr, got[1].args, &m1), "write(1, \"hello\\n\", 6)");
  EXPECT_FALSE(m1.read_bytes(0x8000, 7).has_value());
  EXPECT_EQ(m1.view_bytes(0x8000, 5), "hello");
  EXPECT_FALSE(m1.view_bytes(0x8000, 7).has_value());
  EXPECT_FALSE(m0.view_bytes(0x7000, 1).has_value());  // a path is not data
  EXPECT_FALSE(m1.read_string(0x8000, 10, nullptr).has_value());  // data is not a string
  got[2].args[2] = 0;
  RecordMemory m2(got[2]);
  EXPECT_EQ(syscalls::format_call(got[2].nr, got[2].args, &m2), "openat(AT_FDCWD, \"/very/long\"..., O_RDONLY)");
  EXPECT_TRUE(reader->take_errors().empty());
}

// One writer thread, a reader that takes few records at a time: nothing lost,
// order kept, across many wrap-arounds with pads.
TEST(TraceRing, SlowReaderNeverLosesARecord) {
  constexpr uint64_t kRecords = 200000;
  Result<RingReader> reader = RingReader::create(small_region(1));
  ASSERT_TRUE(reader);
  WriterSide side(*reader);
  std::atomic<bool> writer_ok{true};
  std::thread writer([&] {
    RingWriter w;
    if (!gate::ring_claim(side.region, tid(), getpid(), &w)) writer_ok = false;
    for (uint64_t i = 0; i < kRecords && writer_ok; ++i) {
      // Varying sizes so records land on every offset and the end of the ring.
      const std::string data(i % 29, static_cast<char>('a' + i % 26));
      if (!write_record(side.region, &w, SYS_write, i, static_cast<int64_t>(data.size()),
                        {{1, kPayloadDataIn, data, 0x1000 + i}})) {
        writer_ok = false;
      }
    }
    gate::ring_release(&w);
  });
  uint64_t expected = 0;
  bool in_order = true;
  auto sink = [&](const Record& r) {
    if (r.args[0] != expected || r.payload(1) == nullptr || r.payload(1)->bytes.size() != expected % 29) {
      in_order = false;
    }
    ++expected;
  };
  size_t polls = 0;
  while (expected < kRecords && polls < 10000000) {
    reader->poll(sink, 97);
    if (++polls % 64 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  writer.join();
  reader->poll(sink);
  EXPECT_TRUE(writer_ok);
  EXPECT_TRUE(in_order);
  EXPECT_EQ(expected, kRecords);
  EXPECT_TRUE(reader->take_errors().empty());
  EXPECT_EQ(reader->stats().records, kRecords);
  reader->poll(sink);  // the released, drained ring is freed
  EXPECT_EQ(reader->stats().rings_freed, 1u);
}

TEST(TraceRing, WaitWakesWhenAWriterPublishes) {
  Result<RingReader> reader = RingReader::create(small_region(1));
  ASSERT_TRUE(reader);
  WriterSide side(*reader);
  RingWriter w;
  ASSERT_TRUE(gate::ring_claim(side.region, tid(), getpid(), &w));
  reader->poll([](const Record&) {});
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    write_record(side.region, &w, SYS_getpid, 1, 5);
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(reader->wait(std::chrono::seconds(10)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  writer.join();
  EXPECT_EQ(reader->poll([](const Record&) {}), 1u);
  EXPECT_FALSE(reader->wait(std::chrono::milliseconds(10)));
}

TEST(TraceRing, ClaimersWaitForAFreeRing) {
  Result<RingReader> reader = RingReader::create(small_region(2));
  ASSERT_TRUE(reader);
  WriterSide side(*reader);
  constexpr int kWriters = 6;
  std::atomic<int> done{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      RingWriter w;
      if (!gate::ring_claim(side.region, tid(), getpid(), &w)) return;
      for (uint64_t i = 0; i < 1000; ++i) write_record(side.region, &w, SYS_getppid, i, t);
      gate::ring_release(&w);
      ++done;
    });
  }
  std::vector<int> per_writer(kWriters, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (done.load() < kWriters && std::chrono::steady_clock::now() < deadline) {
    reader->poll([&](const Record& r) { ++per_writer[static_cast<size_t>(r.ret)]; });
    reader->wait(std::chrono::milliseconds(5));
  }
  for (std::thread& th : writers) th.join();
  reader->poll([&](const Record& r) { ++per_writer[static_cast<size_t>(r.ret)]; });
  for (int t = 0; t < kWriters; ++t) EXPECT_EQ(per_writer[static_cast<size_t>(t)], 1000) << t;
  EXPECT_GE(reader->stats().rings_freed, static_cast<uint64_t>(kWriters - 2));
}

TEST(TraceRing, ReacquireTakesTheSameRingBack) {
  Result<RingReader> reader = RingReader::create(small_region(3));
  ASSERT_TRUE(reader);
  WriterSide side(*reader);
  RingWriter w;
  ASSERT_TRUE(gate::ring_claim(side.region, tid(), getpid(), &w));
  const uint32_t index = w.index;
  ASSERT_TRUE(write_record(side.region, &w, SYS_execve, 1, 0));
  gate::ring_release(&w);
  ASSERT_TRUE(gate::ring_reacquire(side.region, tid(), getpid(), &w));  // before the reader freed it
  EXPECT_EQ(w.index, index);
  ASSERT_TRUE(write_record(side.region, &w, SYS_execve, 2, -2));
  std::vector<uint64_t> seen;
  reader->poll([&](const Record& r) { seen.push_back(r.args[0]); });
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 2}));

  gate::ring_release(&w);
  reader->poll([](const Record&) {});  // drained and released: freed
  EXPECT_EQ(reader->stats().rings_freed, 1u);
  ASSERT_TRUE(gate::ring_reacquire(side.region, tid(), getpid(), &w));  // claims afresh (same start index)
  EXPECT_EQ(w.index, index);
  ASSERT_TRUE(write_record(side.region, &w, SYS_getpid, 3, 9));
  reader->poll([&](const Record& r) { seen.push_back(r.args[0]); });
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 2, 3}));
}

// What lets TimeOrder release a single writer's records without its margin:
// a poll says whether it found one ring in use, or more.
TEST(TraceRing, APollTellsWhetherItSawASingleWriter) {
  Result<RingReader> reader = RingReader::create(small_region(3));
  ASSERT_TRUE(reader);
  WriterSide side(*reader);
  auto poll = [&] { reader->poll([](const Record&) {}); };
  poll();
  EXPECT_TRUE(reader->last_poll_saw_one_writer());  // none at all
  RingWriter first;
  ASSERT_TRUE(gate::ring_claim(side.region, tid(), getpid(), &first));
  ASSERT_TRUE(write_record(side.region, &first, SYS_getpid, 1, 9));
  poll();
  EXPECT_TRUE(reader->last_poll_saw_one_writer());
  RingWriter second;  // claimed, nothing written yet: it may be stamping a record
  ASSERT_TRUE(gate::ring_claim(side.region, tid() + 1, getpid(), &second));
  poll();
  EXPECT_FALSE(reader->last_poll_saw_one_writer());
  ASSERT_TRUE(write_record(side.region, &second, SYS_getpid, 2, 9));
  gate::ring_release(&second);
  poll();  // drains the released ring and frees it
  EXPECT_FALSE(reader->last_poll_saw_one_writer());
  poll();
  EXPECT_TRUE(reader->last_poll_saw_one_writer());
  ASSERT_TRUE(write_record(side.region, &first, SYS_getpid, 3, 9));
  reader->poll([](const Record&) {}, /*max_records=*/0);  // looked at no ring
  EXPECT_FALSE(reader->last_poll_saw_one_writer());
}

// The call a thread waits in, as its ring says (gate::ring_open_call), is
// what the monitor shows for a thread exit_group or a signal ends there; the
// slot empties as the call returns, as the ring is released (exit, exec) and
// as another thread claims the ring.
TEST(TraceRing, OpenCallsAreTheOwnersOfTheProcess) {
  Result<RingReader> reader = RingReader::create(small_region(1));
  ASSERT_TRUE(reader);
  WriterSide side(*reader);
  RingWriter w;
  ASSERT_TRUE(gate::ring_claim(side.region, 501, 500, &w));
  EXPECT_TRUE(reader->open_calls_of(500, 0).empty());
  const uint64_t read_args[6] = {0, 0x1000, 64};
  gate::ring_open_call(&w, 501, SYS_read, read_args);
  std::vector<OpenCall> open = reader->open_calls_of(500, 502);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].tid, 501);
  EXPECT_EQ(open[0].nr, SYS_read);
  EXPECT_EQ(open[0].args[2], 64u);
  EXPECT_TRUE(reader->open_calls_of(500, 501).empty());  // the exiting thread's own
  EXPECT_TRUE(reader->open_calls_of(600, 0).empty());    // another process's
  gate::ring_close_call(&w);
  EXPECT_TRUE(reader->open_calls_of(500, 0).empty());

  // A slot that does not name the ring's owner (scribbled on) is no call.
  gate::ring_open_call(&w, 777, SYS_pause, read_args);
  EXPECT_TRUE(reader->open_calls_of(500, 0).empty());

  // Found whatever the ring's state (a dead owner's may be freed before the monitor looks)...
  gate::ring_open_call(&w, 501, SYS_pause, read_args);
  RingWriter dead = w;  // what the dead owner held
  reader->poll([](const Record&) {});
  ASSERT_EQ(reader->open_calls_of(500, 0).size(), 1u);
  // ...until a release (the owner exits or execs) or another claim empties it.
  gate::ring_release(&dead);
  EXPECT_TRUE(reader->open_calls_of(500, 0).empty());
  gate::ring_open_call(&w, 501, SYS_pause, read_args);
  reader->poll([](const Record&) {});  // released and drained: freed
  RingWriter next;
  ASSERT_TRUE(gate::ring_claim(side.region, 601, 600, &next));
  EXPECT_EQ(next.index, w.index);
  EXPECT_TRUE(reader->open_calls_of(500, 0).empty());
  EXPECT_TRUE(reader->open_calls_of(600, 0).empty());
}

TEST(TraceRing, DetachReleasesAWriterWaitingForSpace) {
  Result<RingReader> reader = RingReader::create(small_region(1));
  ASSERT_TRUE(reader);
  WriterSide side(*reader);
  std::atomic<uint64_t> written{0};
  std::atomic<bool> finished{false};
  std::thread writer([&] {
    RingWriter w;
    ASSERT_TRUE(gate::ring_claim(side.region, tid(), getpid(), &w));
    while (write_record(side.region, &w, SYS_getpid, written, 0)) ++written;
    finished = true;
  });
  // Nobody reads: the writer fills the ring and sleeps.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(finished.load());
  EXPECT_GT(written.load(), 100u);
  // Woken by detach, not by the end of its bounded sleep (1 s from ~200 ms
  // before the detach: ~800 ms after it). detach wakes only the rings whose
  // writer says it sleeps, and this one does.
  const auto detached = std::chrono::steady_clock::now();
  reader->detach();
  writer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - detached, std::chrono::milliseconds(500));
  EXPECT_TRUE(finished.load());
  EXPECT_EQ(reader->dropped_after_detach(), 1u);
}

TEST(TraceRing, ADeadOwnersRingIsDrainedAndFreed) {
  Result<RingReader> reader = RingReader::create(small_region(2));
  ASSERT_TRUE(reader);
  const pid_t child = fork();
  if (child == 0) {
    WriterSide side(*reader);
    RingWriter w;
    if (!gate::ring_claim(side.region, getpid(), getpid(), &w)) _exit(1);
    for (uint64_t i = 0; i < 10; ++i) write_record(side.region, &w, SYS_getpid, i, 0);
    _exit(0);  // without releasing the ring
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_EQ(status, 0);
  size_t n = 0;
  reader->poll([&](const Record&) { ++n; });
  EXPECT_EQ(n, 10u);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // past the owner-check interval
  reader->poll([&](const Record&) { ++n; });
  EXPECT_EQ(reader->stats().rings_freed, 1u);
}

TEST(TraceRing, CorruptRingsAreReportedAndSkipped) {
  Result<RingReader> reader = RingReader::create(small_region(1));
  ASSERT_TRUE(reader);
  WriterSide side(*reader);
  RingWriter w;
  ASSERT_TRUE(gate::ring_claim(side.region, tid(), getpid(), &w));
  ASSERT_TRUE(write_record(side.region, &w, SYS_getpid, 1, 0));
  // The program scribbles a size that runs past the head.
  auto* data = static_cast<uint8_t*>(side.map) + side.region.data_offset;
  const uint64_t at = w.head;
  ASSERT_TRUE(write_record(side.region, &w, SYS_getpid, 2, 0));
  const uint32_t huge = 1u << 20;
  std::memcpy(data + (at & (side.region.ring_bytes - 1)), &huge, sizeof huge);
  std::vector<uint64_t> seen;
  reader->poll([&](const Record& r) { seen.push_back(r.args[0]); });
  EXPECT_EQ(seen, std::vector<uint64_t>{1});
  std::vector<RingError> errors = reader->take_errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("record size"), std::string::npos) << errors[0].message;
  // The reader resynced at the head: later records come through.
  ASSERT_TRUE(write_record(side.region, &w, SYS_getpid, 3, 0));
  reader->poll([&](const Record& r) { seen.push_back(r.args[0]); });
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 3}));
}

TEST(TraceRing, RandomGarbageNeverCrashesTheReader) {
  Result<RingReader> reader = RingReader::create(small_region(2));
  ASSERT_TRUE(reader);
  WriterSide side(*reader);
  std::mt19937_64 rng(12345);
  auto* base = static_cast<uint8_t*>(side.map);
  for (int round = 0; round < 2000; ++round) {
    for (uint32_t i = 0; i < 2; ++i) {
      RingControl* c = ring_control(static_cast<RegionHeader*>(side.map), i);
      c->state = static_cast<uint32_t>(rng() % 5);
      c->head = rng() % 3 == 0 ? rng() : c->tail + (rng() % 4096) * 8;
      uint8_t* data = base + side.region.data_offset + uint64_t{i} * side.region.ring_bytes;
      for (int k = 0; k < 64; ++k) data[rng() % side.region.ring_bytes] = static_cast<uint8_t>(rng());
      // Sometimes a plausible record header with garbage inside.
      RecordHeader h = {};
      h.size = static_cast<uint32_t>((rng() % 64) * 8);
      h.kind = static_cast<uint16_t>(rng() % 6);
      h.payload_count = static_cast<uint16_t>(rng() % 8);
      std::memcpy(data + (c->tail & (side.region.ring_bytes - 1) & ~uint64_t{7}), &h,
                  std::min<size_t>(sizeof h, side.region.ring_bytes - (c->tail & (side.region.ring_bytes - 1))));
    }
    reader->poll([](const Record&) {});
  }
  SUCCEED() << reader->stats().corrupt << " inconsistencies reported";
}

// trace -T: the TSC from before the call rides as a last 8-byte payload and
// comes out as Record::enter_tsc, not among the arguments' payloads.
// A record of the kind with 8-byte payloads (kind, value) of argument 0.
std::vector<uint8_t> record(uint16_t kind, std::initializer_list<std::pair<uint8_t, uint64_t>> payloads) {
  std::vector<uint8_t> b(sizeof(RecordHeader) + payloads.size() * (sizeof(PayloadHeader) + 8));
  RecordHeader h = {};
  h.size = static_cast<uint32_t>(b.size());
  h.kind = kind;
  h.payload_count = static_cast<uint16_t>(payloads.size());
  std::memcpy(b.data(), &h, sizeof h);
  size_t at = sizeof h;
  for (const auto& [payload_kind, value] : payloads) {
    PayloadHeader ph = {};
    ph.length = 8;
    ph.kind = payload_kind;
    std::memcpy(b.data() + at, &ph, sizeof ph);
    std::memcpy(b.data() + at + sizeof ph, &value, 8);
    at += sizeof ph + 8;
  }
  return b;
}

TEST(TraceRecord, EnterTimeBecomesAFieldNotAPayload) {
  Result<Record> timed = decode_record(record(kRecordSyscall, {{kPayloadStructOut, 7}, {kPayloadEnterTsc, 123456789}}));
  ASSERT_TRUE(timed) << timed.error().message;
  EXPECT_EQ(timed->enter_tsc, 123456789u);
  ASSERT_EQ(timed->payloads.size(), 1u);
  EXPECT_EQ(timed->payloads[0].kind, kPayloadStructOut);
  Result<Record> plain = decode_record(record(kRecordSyscall, {{kPayloadStructOut, 7}}));
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->enter_tsc, 0u);

  // Decoding into a record that had one leaves no stale value.
  Record reused;
  std::vector<std::string> spare;
  const std::vector<uint8_t> first = record(kRecordSyscall, {{kPayloadEnterTsc, 5}});
  const std::vector<uint8_t> second = record(kRecordSyscall, {});
  ASSERT_TRUE(decode_record_into(first, {}, reused, &spare));
  EXPECT_EQ(reused.enter_tsc, 5u);
  ASSERT_TRUE(decode_record_into(second, {}, reused, &spare));
  EXPECT_EQ(reused.enter_tsc, 0u);

  // Only completed calls have one, and only once; eleven payloads at most.
  EXPECT_FALSE(decode_record(record(kRecordExit, {{kPayloadEnterTsc, 5}})));
  EXPECT_FALSE(decode_record(record(kRecordSyscall, {{kPayloadEnterTsc, 5}, {kPayloadEnterTsc, 6}})));
  EXPECT_FALSE(decode_record(record(kRecordSyscall, {{kPayloadStructOut, 1}, {kPayloadStructOut, 1}, {kPayloadStructOut, 1},
                                                     {kPayloadStructOut, 1}, {kPayloadStructOut, 1}, {kPayloadStructOut, 1},
                                                     {kPayloadStructOut, 1}, {kPayloadStructOut, 1}, {kPayloadBefore, 3},
                                                     {kPayloadFdInodes, 4}, {kPayloadEnterTsc, 5}, {kPayloadIp, 6}})));
}

// A record with a kPayloadStack of `bytes` (StackRegisters -- two with
// outer -- then stack), and an instruction pointer after it (or before it,
// where it must not be; or none).
enum class IpAt { kAfter, kBefore, kNone };
std::vector<uint8_t> stack_record(uint16_t kind, uint32_t bytes, IpAt ip = IpAt::kAfter, bool outer = false) {
  const size_t ip_bytes = ip == IpAt::kNone ? 0 : sizeof(PayloadHeader) + 8;
  std::vector<uint8_t> b(sizeof(RecordHeader) + sizeof(PayloadHeader) + align_record(bytes) + ip_bytes);
  RecordHeader h = {};
  h.size = static_cast<uint32_t>(b.size());
  h.kind = kind;
  h.payload_count = ip == IpAt::kNone ? 1 : 2;
  std::memcpy(b.data(), &h, sizeof h);
  size_t at = sizeof h;
  auto put = [&](uint8_t payload_kind, uint32_t length, uint16_t flags, uint8_t fill) {
    PayloadHeader ph = {};
    ph.length = length;
    ph.kind = payload_kind;
    ph.flags = flags;
    std::memcpy(b.data() + at, &ph, sizeof ph);
    std::memset(b.data() + at + sizeof ph, fill, length);
    at += sizeof ph + align_record(length);
  };
  if (ip == IpAt::kBefore) put(kPayloadIp, 8, 0, 1);
  put(kPayloadStack, bytes, outer ? kPayloadStackOuter : 0, 0xab);
  if (ip == IpAt::kAfter) put(kPayloadIp, 8, 0, 1);
  return b;
}

TEST(TraceRecord, StacksAreCheckedAndKeptApart) {
  const DecodeLimits limits{.max_stack = 4096};
  Result<Record> r = decode_record(stack_record(kRecordSyscall, 64 + 256), limits);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_NE(r->extras, nullptr);
  EXPECT_EQ(r->extras->stack.size(), 64u + 256u);
  EXPECT_EQ(static_cast<uint8_t>(r->extras->stack[100]), 0xab);
  EXPECT_FALSE(r->extras->stack_has_outer);
  EXPECT_TRUE(r->payloads.empty());  // never served as an argument's memory
  EXPECT_NE(r->ip, 0u);
  EXPECT_TRUE(decode_record(stack_record(kRecordExit, 64), limits));
  EXPECT_TRUE(decode_record(stack_record(kRecordSyscallEnter, 64), limits));
  EXPECT_TRUE(decode_record(stack_record(kRecordSignal, 64), limits));  // where the signal found the program
  Result<Record> nested = decode_record(stack_record(kRecordSyscall, 128 + 64, IpAt::kAfter, true), limits);
  ASSERT_TRUE(nested) << nested.error().message;
  ASSERT_NE(nested->extras, nullptr);
  EXPECT_TRUE(nested->extras->stack_has_outer);
  EXPECT_FALSE(decode_record(stack_record(kRecordSyscall, 120, IpAt::kAfter, true), limits));  // two sets announced
  EXPECT_FALSE(decode_record(stack_record(kRecordSyscall, 63), limits));          // shorter than the registers
  EXPECT_FALSE(decode_record(stack_record(kRecordSyscall, 64 + 4104), limits));   // more than the region allows
  EXPECT_FALSE(decode_record(stack_record(kRecordSyscall, 64 + 8)));              // a region without -k
  EXPECT_FALSE(decode_record(stack_record(kRecordSyscall, 64, IpAt::kBefore), limits));  // after the 8-byte values
  EXPECT_FALSE(decode_record(stack_record(kRecordRewriteCounts, 64, IpAt::kNone), limits));  // not a call's record
}

// An in/out length as it was before the call ("[128 => 16]") is a field too:
// once, of a completed call, before the inodes, time and address.
TEST(TraceRecord, ValueBeforeTheCallBecomesAField) {
  std::vector<uint8_t> b = record(kRecordSyscall, {{kPayloadStructOut, 7}, {kPayloadBefore, 128}, {kPayloadEnterTsc, 5}});
  b[sizeof(RecordHeader) + sizeof(PayloadHeader) + 8 + 4] = 2;  // the second payload's arg
  Result<Record> r = decode_record(b);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->before_arg, 2);
  EXPECT_EQ(r->before_value, 128u);
  EXPECT_EQ(r->payloads.size(), 1u);
  EXPECT_FALSE(decode_record(record(kRecordSyscall, {{kPayloadBefore, 1}, {kPayloadBefore, 2}})));
  EXPECT_FALSE(decode_record(record(kRecordSyscall, {{kPayloadIp, 1}, {kPayloadBefore, 2}})));
  EXPECT_FALSE(decode_record(record(kRecordExit, {{kPayloadBefore, 2}})));
  Record reused;
  ASSERT_TRUE(decode_record_into(b, {}, reused));
  ASSERT_TRUE(decode_record_into(record(kRecordSyscall, {}), {}, reused));
  EXPECT_EQ(reused.before_arg, -1);
}

// trace -y: a socket's or pipe's inodes are a field too, of completed calls,
// before the enter time and the instruction pointer: one or two of them.
TEST(TraceRecord, DescriptorInodesBecomeAFieldNotAPayload) {
  Result<Record> one = decode_record(record(kRecordSyscall, {{kPayloadFdInodes, 4242}, {kPayloadEnterTsc, 5}, {kPayloadIp, 6}}));
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(one->fd_inodes[0], 4242u);
  EXPECT_EQ(one->fd_inodes[1], 0u);
  EXPECT_EQ(one->ip, 6u);
  EXPECT_TRUE(one->payloads.empty());
  // Two inodes: one 16-byte payload.
  std::vector<uint8_t> two = record(kRecordSyscall, {{kPayloadFdInodes, 77}});
  RecordHeader h;
  std::memcpy(&h, two.data(), sizeof h);
  h.size += 8;
  std::memcpy(two.data(), &h, sizeof h);
  PayloadHeader ph;
  std::memcpy(&ph, two.data() + sizeof h, sizeof ph);
  ph.length = 16;
  std::memcpy(two.data() + sizeof h, &ph, sizeof ph);
  const uint64_t second = 78;
  two.insert(two.end(), reinterpret_cast<const uint8_t*>(&second), reinterpret_cast<const uint8_t*>(&second) + 8);
  Result<Record> pair = decode_record(two);
  ASSERT_TRUE(pair) << pair.error().message;
  EXPECT_EQ(pair->fd_inodes[0], 77u);
  EXPECT_EQ(pair->fd_inodes[1], 78u);

  EXPECT_FALSE(decode_record(record(kRecordExit, {{kPayloadFdInodes, 1}})));
  EXPECT_FALSE(decode_record(record(kRecordSyscall, {{kPayloadFdInodes, 1}, {kPayloadFdInodes, 2}})));
  EXPECT_FALSE(decode_record(record(kRecordSyscall, {{kPayloadIp, 6}, {kPayloadFdInodes, 1}})));
}

// trace -i: the instruction pointer is a field too, of calls, enter, exit and
// signal records, after the enter time; once, never 0.
TEST(TraceRecord, InstructionPointerBecomesAFieldNotAPayload) {
  Result<Record> call = decode_record(record(kRecordSyscall, {{kPayloadStructOut, 7}, {kPayloadEnterTsc, 9}, {kPayloadIp, 0x49641b}}));
  ASSERT_TRUE(call) << call.error().message;
  EXPECT_EQ(call->ip, 0x49641bu);
  EXPECT_EQ(call->enter_tsc, 9u);
  ASSERT_EQ(call->payloads.size(), 1u);
  for (uint16_t kind : {kRecordSyscallEnter, kRecordExit, kRecordSignal}) {
    Result<Record> r = decode_record(record(kind, {{kPayloadIp, 0x1000}}));
    ASSERT_TRUE(r) << kind << ": " << r.error().message;
    EXPECT_EQ(r->ip, 0x1000u);
  }
  Record reused;
  std::vector<std::string> spare;
  ASSERT_TRUE(decode_record_into(record(kRecordSyscall, {{kPayloadIp, 5}}), {}, reused, &spare));
  ASSERT_TRUE(decode_record_into(record(kRecordSyscall, {}), {}, reused, &spare));
  EXPECT_EQ(reused.ip, 0u);

  EXPECT_FALSE(decode_record(record(kRecordRewriteCounts, {{kPayloadIp, 5}})));
  EXPECT_FALSE(decode_record(record(kRecordSyscall, {{kPayloadIp, 0}})));
  EXPECT_FALSE(decode_record(record(kRecordSyscall, {{kPayloadIp, 5}, {kPayloadIp, 6}})));
  EXPECT_FALSE(decode_record(record(kRecordSyscall, {{kPayloadIp, 5}, {kPayloadEnterTsc, 6}})));  // the time comes first
}

TEST(TraceRecord, DecodeRejectsMalformedRecords) {
  std::vector<uint8_t> buf(256, 0);
  RecordHeader h = {};
  h.size = sizeof h;
  h.kind = kRecordSyscall;
  std::memcpy(buf.data(), &h, sizeof h);
  EXPECT_TRUE(decode_record(buf));

  auto with = [&](auto mutate) {
    RecordHeader copy = h;
    mutate(copy);
    std::vector<uint8_t> b = buf;
    std::memcpy(b.data(), &copy, sizeof copy);
    return decode_record(b);
  };
  EXPECT_FALSE(with([](RecordHeader& x) { x.size = 12; }));
  EXPECT_FALSE(with([](RecordHeader& x) { x.size = 1000; }));
  EXPECT_FALSE(with([](RecordHeader& x) { x.size = 92; }));
  EXPECT_FALSE(with([](RecordHeader& x) { x.kind = kRecordPad; }));
  EXPECT_FALSE(with([](RecordHeader& x) { x.kind = 99; }));
  EXPECT_FALSE(with([](RecordHeader& x) { x.payload_count = 1; }));  // no room for it

  // One payload whose length runs past the record.
  RecordHeader p = h;
  p.payload_count = 1;
  p.size = sizeof(RecordHeader) + sizeof(PayloadHeader) + 8;
  PayloadHeader ph = {};
  ph.length = 40;
  ph.kind = kPayloadPath;
  std::vector<uint8_t> b = buf;
  std::memcpy(b.data(), &p, sizeof p);
  std::memcpy(b.data() + sizeof p, &ph, sizeof ph);
  EXPECT_FALSE(decode_record(b));
  ph.length = 8;
  std::memcpy(b.data() + sizeof p, &ph, sizeof ph);
  EXPECT_TRUE(decode_record(b));
  ph.arg = 6;
  std::memcpy(b.data() + sizeof p, &ph, sizeof ph);
  EXPECT_FALSE(decode_record(b));
  ph.arg = 0;
  ph.kind = kPayloadEnterTsc + 1;
  std::memcpy(b.data() + sizeof p, &ph, sizeof ph);
  EXPECT_FALSE(decode_record(b));
  ph.kind = kPayloadDataIn;
  ph.length = 8;
  DecodeLimits tight;
  tight.max_data = 4;
  std::memcpy(b.data() + sizeof p, &ph, sizeof ph);
  EXPECT_FALSE(decode_record(b, tight));
}

// The bytes of one record with the given payloads, as the gate lays them out.
std::vector<uint8_t> encoded(int nr, const std::vector<TestPayload>& payloads) {
  std::vector<uint8_t> out(record_bytes(payloads), 0);
  RecordHeader h = {};
  h.kind = kRecordSyscall;
  h.nr = nr;
  h.tsc = static_cast<uint64_t>(nr);
  lay_out_record(out.data(), h, payloads);
  return out;
}

std::string describe(const Record& r) {
  std::string out = std::to_string(r.nr) + "@" + std::to_string(r.tsc);
  for (const Payload& p : r.payloads) {
    out += " [" + std::to_string(p.arg) + " " + std::to_string(p.kind) + (p.truncated ? " cut " : " ") +
           std::to_string(p.addr) + " " + p.bytes + "]";
  }
  return out;
}

// Decoding into a record that held another one (more payloads, fewer, longer
// ones) gives what decoding afresh gives; a bad record fails alike both ways.
TEST(TraceRecord, DecodeIntoAReusedRecordEqualsAFreshDecode) {
  const std::string stat(144, 's');
  const std::vector<std::vector<uint8_t>> records = {
      encoded(262, {{1, kPayloadPath, "a-rather-long-file-name.h", 0x10}, {2, kPayloadStructOut, stat, 0x20}}),
      encoded(3, {}),
      encoded(257, {{1, kPayloadPath, "x", 0x30, /*truncated=*/true}}),
      encoded(59, {{0, kPayloadPath, "/bin/sh", 1}, {1, kPayloadStringArray, std::string("\0sh\0", 4), 2},
                   {2, kPayloadArrayCount, std::string(8, '\0'), 3}}),
      encoded(262, {{1, kPayloadPath, "b.h", 0x10}, {2, kPayloadStructOut, stat, 0x20}}),
  };
  Record reused;
  std::vector<std::string> spare;
  for (int round = 0; round < 3; ++round) {
    for (const std::vector<uint8_t>& bytes : records) {
      Result<Record> fresh = decode_record(bytes);
      ASSERT_TRUE(fresh);
      ASSERT_TRUE(decode_record_into(bytes, {}, reused, round == 0 ? nullptr : &spare));
      EXPECT_EQ(describe(reused), describe(*fresh));
    }
  }
  EXPECT_LE(spare.size(), 64u);
  std::vector<uint8_t> bad = records[0];
  bad[sizeof(RecordHeader) + 4] = 6;  // the first payload's argument index
  EXPECT_FALSE(decode_record(bad));
  EXPECT_FALSE(decode_record_into(bad, {}, reused, &spare));
}

}  // namespace
}  // namespace sysgate::trace
