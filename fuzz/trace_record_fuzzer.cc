// libFuzzer target: bytes of a trace ring record -> decoded Record or an error.
// The traced (untrusted) process writes these bytes into shared memory; the
// monitor decodes them. Any input must decode within its bounds or fail with a
// message, and a decoded record must format without crashing (strace line,
// JSON), so a hostile process cannot take the monitor down through its ring.
#include <cstddef>
#include <cstdint>
#include <span>

#include "trace/formatter.h"
#include "trace/record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sysgate::trace;
  DecodeLimits limits;
  limits.max_path = 4096;
  limits.max_data = 256;
  sysgate::Result<Record> r = decode_record(std::span<const uint8_t>(data, size), limits);
  if (!r) {
    if (r.error().message.empty()) __builtin_trap();
    return 0;
  }
  for (const Payload& p : r->payloads) {
    if (p.arg < 0 || p.arg > 5) __builtin_trap();
  }
  FormatOptions options;
  options.pid_prefix = true;
  (void)format_record(*r, options);
  (void)format_json(*r, options);
  return 0;
}
