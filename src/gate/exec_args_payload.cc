#include "gate/exec_args_payload.h"

#include "gate/app_memory.h"
#include "gate/util.h"
#include "trace/ring_format.h"

namespace sysgate::gate {
namespace {

// argv[i], or false at the end (NULL) or an unreadable slot.
bool pointer_at(uint64_t array, uint64_t i, uint64_t* out) {
  const uint64_t slot = array + 8 * i;
  if (!app_probe_read(slot, 8)) return false;
  copy_bytes(out, reinterpret_cast<const void*>(slot), 8);
  return *out != 0;
}

// One string's part of the payload: flag + bytes + NUL; 0 when unreadable.
uint32_t string_part(uint64_t s, uint32_t max_string, uint32_t* copied, bool* cut) {
  bool terminated = false;
  const long n = app_string_length(s, max_string, 0, &terminated);
  if (n < 0) return 0;
  *copied = static_cast<uint32_t>(n);
  *cut = !terminated;
  return static_cast<uint32_t>(n) + 2;
}

}  // namespace

uint32_t argv_payload_size(uint64_t argv, uint32_t max_string, uint16_t* payload_flags) {
  uint32_t size = 0;
  uint64_t s = 0;
  uint64_t i = 0;
  for (; i < kMaxExecArgs && pointer_at(argv, i, &s); ++i) {
    uint32_t copied = 0;
    bool cut = false;
    const uint32_t part = string_part(s, max_string, &copied, &cut);
    if (part == 0 || size + part > kMaxExecArgBytes) {
      *payload_flags |= trace::kPayloadTruncated;
      return size;
    }
    size += part;
  }
  if (i == kMaxExecArgs && pointer_at(argv, i, &s)) *payload_flags |= trace::kPayloadTruncated;
  return size;
}

void argv_payload_copy(uint64_t argv, uint32_t max_string, uint8_t* out, uint32_t size) {
  uint32_t at = 0;
  uint64_t s = 0;
  for (uint64_t i = 0; i < kMaxExecArgs && at < size && pointer_at(argv, i, &s); ++i) {
    uint32_t copied = 0;
    bool cut = false;
    const uint32_t part = string_part(s, max_string, &copied, &cut);
    if (part == 0 || at + part > size) break;
    out[at] = cut ? 1 : 0;
    copy_bytes(out + at + 1, reinterpret_cast<const void*>(s), copied);
    out[at + 1 + copied] = 0;
    at += part;
  }
  zero_bytes(out + at, size - at);  // the strings changed under us: pad
}

int64_t pointer_array_count(uint64_t array) {
  uint64_t s = 0;
  uint64_t n = 0;
  if (!app_probe_read(array, 8)) return -1;
  while (n < kMaxEnvCount && pointer_at(array, n, &s)) ++n;
  return static_cast<int64_t>(n);
}

}  // namespace sysgate::gate
