#include "gate/exec_args_payload.h"

#include "gate/app_memory.h"
#include "gate/thread_state.h"
#include "gate/util.h"
#include "trace/ring_format.h"

namespace sysgate::gate {
namespace {

// The pages one walk of an array and its strings has found readable. A probe
// is a syscall, and an environment's pointers and strings share a page or two:
// probing each slot cost an exec ~40 probes for a 37-variable environment.
// Knowing a page readable for the rest of the walk claims no more than one
// probe does (app_memory.h: a probe answers for the moment it is made).
struct KnownPages {
  uint64_t page[2] = {0, 0};  // 0: none (page 0 is never readable)

  bool knows(uint64_t p) const {
    const uint64_t pg = p & ~(kPageBytes - 1);
    return pg != 0 && (pg == page[0] || pg == page[1]);
  }
  // [p, p + n) readable (n >= 1, at most a page; the range must not wrap).
  bool readable(uint64_t p, uint64_t n) {
    const uint64_t last = p + n - 1;
    if (knows(p) && knows(last)) return true;
    if (!app_probe_read(p, n)) return false;
    remember(p);
    remember(last);
    return true;
  }
  void remember(uint64_t p) {
    const uint64_t pg = p & ~(kPageBytes - 1);
    if (pg == page[0]) return;
    page[1] = page[0];
    page[0] = pg;
  }
  // Bytes from p on known readable (to the end of a known page), or 0.
  uint64_t trusted_from(uint64_t p) const {
    return knows(p) ? (p & ~(kPageBytes - 1)) + kPageBytes - p : 0;
  }
};

// argv[i], or false at the end (NULL) or an unreadable slot.
bool pointer_at(uint64_t array, uint64_t i, KnownPages* known, uint64_t* out) {
  const uint64_t slot = array + 8 * i;
  if (slot < array || !known->readable(slot, 8)) return false;
  copy_bytes(out, reinterpret_cast<const void*>(slot), 8);
  return *out != 0;
}

// One string's part of the payload: flag + bytes + NUL; 0 when unreadable.
uint32_t string_part(uint64_t s, uint32_t max_string, KnownPages* known, uint32_t* copied, bool* cut) {
  if (s >= kPageBytes && !known->readable(s, 1)) return 0;
  bool terminated = false;
  const long n = app_string_length(s, max_string, known->trusted_from(s), &terminated);
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
  KnownPages known;
  for (; i < kMaxExecArgs && pointer_at(argv, i, &known, &s); ++i) {
    uint32_t copied = 0;
    bool cut = false;
    const uint32_t part = string_part(s, max_string, &known, &copied, &cut);
    if (part == 0 || size + part > kMaxExecArgBytes) {
      *payload_flags |= trace::kPayloadTruncated;
      return size;
    }
    size += part;
  }
  if (i == kMaxExecArgs && pointer_at(argv, i, &known, &s)) *payload_flags |= trace::kPayloadTruncated;
  return size;
}

void argv_payload_copy(uint64_t argv, uint32_t max_string, uint8_t* out, uint32_t size) {
  uint32_t at = 0;
  uint64_t s = 0;
  KnownPages known;
  for (uint64_t i = 0; i < kMaxExecArgs && at < size && pointer_at(argv, i, &known, &s); ++i) {
    uint32_t copied = 0;
    bool cut = false;
    const uint32_t part = string_part(s, max_string, &known, &copied, &cut);
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
  KnownPages known;
  if (!known.readable(array, 8)) return -1;
  while (n < kMaxEnvCount && pointer_at(array, n, &known, &s)) ++n;
  return static_cast<int64_t>(n);
}

}  // namespace sysgate::gate
