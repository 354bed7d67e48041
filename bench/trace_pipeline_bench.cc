// What the monitor pays per trace record from ring to text: RingReader::poll
// (copy out, decode), TimeOrder (back into write order) and append_record into
// one reused buffer, as `sysgate trace -o FILE` does. The records are the mix
// `tar cf /dev/null /usr/include` makes (78% newfstatat with a path and a stat
// struct), written into a real ring by the gate's writer between polls.
#include <benchmark/benchmark.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "gate/ring_writer.h"
#include "trace/formatter.h"
#include "trace/record.h"
#include "trace/ring_reader.h"
#include "trace/time_order.h"

namespace {

using namespace sysgate::trace;

struct BenchPayload {
  int arg;
  PayloadKind kind;
  uint64_t addr;
  std::string bytes;
};

struct BenchCall {
  int nr;
  std::vector<uint64_t> args;
  int64_t ret;
  std::vector<BenchPayload> payloads;
};

std::string stat_bytes(uint32_t mode, int64_t size) {
  std::string st(144, '\0');
  std::memcpy(st.data() + 24, &mode, 4);
  std::memcpy(st.data() + 48, &size, 8);
  return st;
}

// 100 calls in tar's proportions.
std::vector<BenchCall> tar_mix() {
  const uint64_t path = 0x7ffd1000, st = 0x7ffd2000, dirent = 0x7ffd3000;
  std::vector<BenchCall> calls;
  const char* names[] = {"fipskey.h", "x509v3.h", "safestack.h", "netfilter_ipv4", "bio.h", "ct.h"};
  for (int i = 0; i < 78; ++i) {
    const std::string name = names[i % 6];
    calls.push_back({SYS_newfstatat, {11, path, st, 0x100}, 0,
                     {{1, kPayloadPath, path, name}, {2, kPayloadStructOut, st, stat_bytes(0100644, 1092 + i)}}});
  }
  for (int i = 0; i < 7; ++i) calls.push_back({SYS_fcntl, {12, 1, 0}, 1, {}});
  for (int i = 0; i < 7; ++i) calls.push_back({SYS_getdents64, {12, dirent, 32768}, 0, {}});
  for (int i = 0; i < 4; ++i) {
    calls.push_back({SYS_openat, {11, path, 0x90800}, 12, {{1, kPayloadPath, path, "openssl"}}});
  }
  for (int i = 0; i < 3; ++i) calls.push_back({SYS_close, {12}, 0, {}});
  calls.push_back({SYS_brk, {0x10003a000}, 0x10003a000, {}});
  return calls;
}

// The gate's side of a region: a second mapping and a claimed ring.
class Writer {
 public:
  explicit Writer(const RingReader& reader) {
    bytes_ = static_cast<uint64_t>(lseek(reader.fd(), 0, SEEK_END));
    map_ = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, reader.fd(), 0);
    ok_ = map_ != MAP_FAILED && sysgate::gate::region_check(static_cast<RegionHeader*>(map_), bytes_, &region_) &&
          sysgate::gate::ring_claim(region_, static_cast<int32_t>(syscall(SYS_gettid)), getpid(), &writer_);
  }
  ~Writer() {
    if (map_ != MAP_FAILED) munmap(map_, bytes_);
  }
  bool ok() const { return ok_; }

  void write(const BenchCall& call, uint64_t tsc) {
    uint32_t size = sizeof(RecordHeader);
    for (const BenchPayload& p : call.payloads) size += sizeof(PayloadHeader) + align_record(p.bytes.size());
    uint8_t* out = sysgate::gate::ring_reserve(region_, &writer_, size);
    if (out == nullptr) return;
    RecordHeader h = {};
    h.size = size;
    h.kind = kRecordSyscall;
    h.tid = h.pid = 4242;
    h.nr = call.nr;
    h.payload_count = static_cast<uint16_t>(call.payloads.size());
    for (size_t i = 0; i < call.args.size(); ++i) h.args[i] = call.args[i];
    h.ret = call.ret;
    h.tsc = tsc;
    std::memcpy(out, &h, sizeof h);
    uint8_t* at = out + sizeof h;
    for (const BenchPayload& p : call.payloads) {
      PayloadHeader ph = {};
      ph.length = static_cast<uint32_t>(p.bytes.size());
      ph.arg = static_cast<uint8_t>(p.arg);
      ph.kind = p.kind;
      ph.addr = p.addr;
      std::memcpy(at, &ph, sizeof ph);
      at += sizeof ph;
      std::memcpy(at, p.bytes.data(), p.bytes.size());
      at += align_record(p.bytes.size());
    }
    sysgate::gate::ring_commit(region_, &writer_);
  }

 private:
  void* map_ = MAP_FAILED;
  uint64_t bytes_ = 0;
  sysgate::gate::TraceRegion region_;
  sysgate::gate::RingWriter writer_;
  bool ok_ = false;
};

// Per iteration: 1000 records written, then polled, ordered and formatted.
void BM_RingToText(benchmark::State& state) {
  RegionOptions options;
  options.region_bytes = 8 << 20;
  sysgate::Result<RingReader> reader = RingReader::create(options);
  if (!reader) {
    state.SkipWithError("cannot create a trace region");
    return;
  }
  Writer writer(*reader);
  if (!writer.ok()) {
    state.SkipWithError("cannot claim a ring");
    return;
  }
  const std::vector<BenchCall> calls = tar_mix();
  TimeOrder order;
  FormatOptions format;
  format.pid_prefix = sysgate::trace::PidPrefix::kBracketed;
  std::string text;
  const TimeOrder::Sink print = [&](const Record& r) {
    append_record(text, r, format);
    text += '\n';
  };
  uint64_t tsc = 1;
  size_t bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (int round = 0; round < 10; ++round) {
      for (const BenchCall& call : calls) writer.write(call, tsc++);
    }
    state.ResumeTiming();
    reader->poll([&](Record& r) { order.add(std::move(r)); });
    order.flush(print);
    bytes += text.size();
    text.clear();  // what the printer's write(2) does with its buffer
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(state.iterations() * 10 * static_cast<int64_t>(calls.size()));
}
BENCHMARK(BM_RingToText);

}  // namespace

BENCHMARK_MAIN();
