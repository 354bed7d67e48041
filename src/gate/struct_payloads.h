// Which struct arguments a trace record carries whole, so the monitor can print
// them as strace does (src/trace/struct_format.h): their size, and whether the
// kernel reads them (copied whatever the call returned, if readable) or writes
// them (copied only after a successful call).
//
//   StructPayload s;
//   if (struct_payload(__NR_newfstatat, 2, args, &s)) ... s.bytes == 144, s.kind == kPayloadStructOut
//
// Freestanding; a pure function of its arguments.
#pragma once

#include <stdint.h>

namespace sysgate::gate {

struct StructPayload {
  uint32_t bytes;  // <= trace::kMaxStructBytes
  uint8_t kind;    // trace::kPayloadStructIn or kPayloadStructOut
};

bool struct_payload(long nr, int i, const uint64_t args[6], StructPayload* out);

// False when no argument of nr is ever a struct payload (the common case).
bool has_struct_payloads(long nr);

}  // namespace sysgate::gate
