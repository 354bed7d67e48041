// What the monitor pays per trace record to print it (`sysgate trace -o FILE`):
// format_record on the calls that dominate tar and find (newfstatat with its
// stat struct, openat, getdents64, fcntl, close), and append_record into one
// reused buffer, which is what the printer does. For syscall-dense programs
// this, not the traced program, bounds the wall time (docs/performance.md);
// trace_pipeline_bench measures the whole path from the ring. The --json rows
// compare a json value built and dumped per record with append_json.
#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>
#include <sys/syscall.h>

#include <cstring>
#include <string>
#include <vector>

#include "syscalls/syscall_table.h"
#include "trace/formatter.h"
#include "trace/record.h"

namespace {

using sysgate::trace::Payload;
using sysgate::trace::Record;

Record call(int nr, std::vector<uint64_t> args, int64_t ret, std::vector<Payload> payloads) {
  Record r;
  r.kind = sysgate::trace::kRecordSyscall;
  r.nr = nr;
  r.tid = r.pid = 4242;
  for (size_t i = 0; i < args.size(); ++i) r.args[i] = args[i];
  r.ret = ret;
  r.payloads = std::move(payloads);
  return r;
}

std::vector<Record> tar_like() {
  const uint64_t path = 0x7ffd1000, st = 0x7ffd2000, dirent = 0x7ffd3000;
  std::string stat(144, '\0');
  const uint32_t mode = 0100644;
  const int64_t size = 41747;
  std::memcpy(stat.data() + 24, &mode, 4);
  std::memcpy(stat.data() + 48, &size, 8);
  const std::string file = "/usr/include/linux/netfilter_ipv4/ip_tables.h";
  auto p = [](int arg, sysgate::trace::PayloadKind kind, uint64_t addr, std::string bytes) {
    return Payload{.arg = arg, .kind = kind, .truncated = false, .addr = addr, .bytes = std::move(bytes)};
  };
  return {
      call(SYS_newfstatat, {static_cast<uint64_t>(-100), path, st, 0x100}, 0,
           {p(1, sysgate::trace::kPayloadPath, path, file), p(2, sysgate::trace::kPayloadStructOut, st, stat)}),
      call(SYS_openat, {static_cast<uint64_t>(-100), path, 0x90800}, 3, {p(1, sysgate::trace::kPayloadPath, path, file)}),
      call(SYS_getdents64, {3, dirent, 32768}, 0, {}),
      call(SYS_fcntl, {3, 1, 0}, 1, {}),
      call(SYS_close, {3}, 0, {}),
  };
}

void BM_FormatRecord(benchmark::State& state) {
  const std::vector<Record> records = tar_like();
  sysgate::trace::FormatOptions options;
  size_t bytes = 0;
  for (auto _ : state) {
    for (const Record& r : records) bytes += sysgate::trace::format_record(r, options).size();
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(records.size()));
}
BENCHMARK(BM_FormatRecord);

// Every record appended to one reused buffer, a line each, as the trace
// printer builds its output.
void append_lines(benchmark::State& state,
                  void (*append)(std::string&, const Record&, const sysgate::trace::FormatOptions&)) {
  const std::vector<Record> records = tar_like();
  sysgate::trace::FormatOptions options;
  std::string out;
  size_t bytes = 0;
  for (auto _ : state) {
    for (const Record& r : records) {
      append(out, r, options);
      out += '\n';
    }
    bytes += out.size();
    out.clear();
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(records.size()));
}

// The same lines appended to one reused buffer, as the trace printer builds them.
void BM_AppendRecord(benchmark::State& state) { append_lines(state, &sysgate::trace::append_record); }
BENCHMARK(BM_AppendRecord);

// --json: the json value nlohmann builds and dumps (format_json's way until
// 2026-11-27), and the object appended by hand (append_json, what `trace --json`
// writes now).
void BM_JsonByValue(benchmark::State& state) {
  const std::vector<Record> records = tar_like();
  sysgate::trace::FormatOptions options;
  size_t bytes = 0;
  for (auto _ : state) {
    for (const Record& r : records) {
      nlohmann::ordered_json j;
      j["pid"] = r.pid;
      j["tid"] = r.tid;
      j["syscall"] = sysgate::syscalls::display_name(r.nr);
      j["nr"] = r.nr;
      j["args"] = nlohmann::ordered_json::array();
      for (const uint64_t arg : r.args) j["args"].push_back(arg);
      j["call"] = sysgate::trace::format_call_text(r, options);
      j["ret"] = r.ret;
      j["errno"] = nullptr;
      j["text"] = sysgate::trace::format_record(r, options);
      bytes += j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace).size();
    }
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(records.size()));
}
BENCHMARK(BM_JsonByValue);

void BM_AppendJson(benchmark::State& state) { append_lines(state, &sysgate::trace::append_json); }
BENCHMARK(BM_AppendJson);

}  // namespace

BENCHMARK_MAIN();
