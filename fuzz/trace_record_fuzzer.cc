// libFuzzer target: bytes of a trace ring record -> decoded Record or an error.
// The traced (untrusted) process writes these bytes into shared memory; the
// monitor decodes them. Any input must decode within its bounds or fail with a
// message, and a decoded record must format without crashing (strace line,
// JSON), so a hostile process cannot take the monitor down through its ring.
// The record then goes through -y's descriptor tables (trace/fd_paths.h), as
// the monitor feeds every record to them, and is formatted again with names,
// a timestamp and its instruction pointer (-i), strings in hex (-x, -xx),
// judged by -P's path filter, and dumped as -e read=all -e write=all would
// (data payloads up to 8 KiB, beyond -s's 256 bytes). A record's stack (-k)
// is unwound by libdwfl against this very process's mappings: the registers
// and stack words are the hostile process's to choose.
#include <cstddef>
#include <cstdint>
#include <span>

#include "trace/fd_paths.h"
#include "trace/formatter.h"
#include "trace/io_dump.h"
#include "trace/path_filter.h"
#include "trace/record.h"
#include "trace/stack_unwinder.h"

#include <sys/mman.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sysgate::trace;
  DecodeLimits limits;
  limits.max_path = 4096;
  limits.max_data = 256;
  limits.max_dump = 8192;
  limits.max_stack = 2048;
  sysgate::Result<Record> r = decode_record(std::span<const uint8_t>(data, size), limits);
  if (!r) {
    if (r.error().message.empty()) __builtin_trap();
    return 0;
  }
  for (const Payload& p : r->payloads) {
    if (p.arg < 0 || p.arg > 5) __builtin_trap();
  }
  if (r->extras && !r->extras->stack.empty()) {
    // This process is the traced one: it holds a "region" (any file will do).
    static TracedProcesses traced;
    static const bool region_set = [] {
      const int region = memfd_create("fuzz-region", MFD_CLOEXEC);
      traced.set_region(region, region);
      return true;
    }();
    (void)region_set;
    static StackUnwinder unwinder(&traced);  // keeps this process's modules from one input to the next
    Record mine = *r;
    mine.pid = mine.tid = getpid();
    unwinder.resolve(mine);
    (void)format_record(mine);
  }
  FormatOptions options;
  options.pid_prefix = sysgate::trace::PidPrefix::kBracketed;
  (void)format_record(*r, options);
  (void)format_json(*r, options);

  // No system to ask: the probe knows nothing, paths resolve to themselves.
  FdPaths::Probe probe;
  probe.link = [](int32_t, int) -> std::optional<std::string> { return std::nullopt; };
  probe.resolve = [](const std::string& path) -> std::optional<std::string> { return path; };
  FdPaths paths(probe);
  paths.start(r->pid, "/", {{0, "/dev/null"}, {1, "/dev/pts/0"}});
  options.timestamp = "12:00:00.000000 ";
  options.fd_path = [&](int32_t fd) { return fd == -100 ? paths.cwd(r->pid) : paths.path(r->pid, fd); };
  (void)format_record(*r, options);
  const PathFilter filter({"/dev/null", "relative"});  // -P: by path argument or descriptor
  (void)filter.selects(*r, paths);
  paths.after(*r);
  if (FdPaths::returns_fd(*r)) (void)paths.path(r->pid, r->ret);
  options.instruction_pointer = format_instruction_pointer(r->ip);
  options.json_ip = r->ip;
  options.string_style = sysgate::syscalls::StringStyle::kHexNonAscii;
  (void)format_record(*r, options);
  options.string_style = sysgate::syscalls::StringStyle::kHexAll;
  (void)format_record(*r, options);
  (void)format_json(*r, options);
  FdSet all;
  all.fill(~uint64_t{0});
  if (std::optional<std::string_view> bytes = dumped_bytes(*r, all, all)) (void)hex_dump_lines(*bytes);
  return 0;
}
