// Which struct arguments a trace record carries whole, so the monitor can print
// them as strace does (src/trace/struct_format.h): their size, and whether the
// kernel reads them (copied whatever the call returned, if readable) or writes
// them (copied only after a successful call).
//
//   StructPayload s;
//   if (struct_payload(__NR_newfstatat, 2, args, ret, &s)) ... s.bytes == 56, s.kind == kPayloadStructOut
//
// Freestanding; a pure function of its arguments.
#pragma once

#include <stdint.h>

namespace sysgate::gate {

struct StructPayload {
  uint32_t bytes;  // <= trace::kMaxStructBytes
  uint8_t kind;    // trace::kPayloadStructIn or kPayloadStructOut
};

// ret: the call's result (a record is written after the call); some sizes
// depend on it (epoll_wait's events, sched_getaffinity's mask).
bool struct_payload(long nr, int i, const uint64_t args[6], long ret, StructPayload* out);

// With trace -v, the bytes to copy instead of bytes: the stat family's and
// getrusage's whole struct (strace -v prints every field).
uint32_t verbose_struct_bytes(long nr, uint32_t bytes);

// False when no argument of nr is ever a struct payload (the common case).
bool has_struct_payloads(long nr);

}  // namespace sysgate::gate
