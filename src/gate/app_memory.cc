#include "gate/app_memory.h"

#include <asm/errno.h>
#include <asm/unistd.h>
#include <linux/signal.h>

#include "gate/raw_syscall.h"
#include "gate/thread_state.h"

namespace sysgate::gate {
namespace {

constexpr uint64_t kUserEnd = uint64_t{1} << 47;  // first non-canonical user address (4-level paging)

uint64_t page_of(uint64_t p) { return p & ~(kPageBytes - 1); }

bool page_readable(uint64_t p) {
  // Page 0 never is; and rt_sigaction would take a NULL act as "no action".
  if (p < kPageBytes) return false;
  // The 32-byte window the kernel copies lies inside p's page (32 divides 4096).
  return raw_syscall(__NR_rt_sigaction, 0, p & ~uint64_t{31}, 0, 8) == -EINVAL;
}

bool bytes_writable(uint64_t p) { return raw_syscall(__NR_rt_sigprocmask, SIG_BLOCK, 0, p, 8) == 0; }

bool range_ok(uint64_t p, uint64_t n) { return p != 0 && n <= kUserEnd && p <= kUserEnd - n; }

}  // namespace

bool app_probe_read(uint64_t p, uint64_t n) {
  if (n == 0) return true;
  if (!range_ok(p, n)) return false;
  for (uint64_t page = page_of(p); page < p + n; page += kPageBytes) {
    if (!page_readable(page < p ? p : page)) return false;
  }
  return true;
}

bool app_probe_write(uint64_t p, uint64_t n) {
  if (n < 8 || !range_ok(p, n)) return false;
  return bytes_writable(p) && bytes_writable(p + n - 8);
}

long app_string_length(uint64_t p, uint64_t max, uint64_t trusted, bool* terminated) {
  *terminated = false;
  if (p == 0 || p >= kUserEnd) return -1;
  const uint8_t* s = reinterpret_cast<const uint8_t*>(p);
  // [p, checked_end) is known readable: whole pages, since a readable byte's
  // page is readable.
  uint64_t checked_end = trusted == 0 ? p : page_of(p + trusted - 1) + kPageBytes;
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;
  uint64_t i = 0;
  while (i < max) {
    const uint64_t at = p + i;
    if (at >= kUserEnd) return static_cast<long>(i);
    if (at >= checked_end) {
      if (!page_readable(at)) return i == 0 ? -1 : static_cast<long>(i);
      checked_end = page_of(at) + kPageBytes;
    }
    // Aligned words inside a readable page (a path is scanned a word at a
    // time: one record per traced call carries one); they may read past the
    // NUL or max, never past the page.
    if ((at & 7) == 0 && at + 8 <= checked_end) {
      uint64_t word;
      __builtin_memcpy(&word, s + i, 8);
      const uint64_t zeros = (word - kOnes) & ~word & kHighs;  // lowest set bit: the first NUL
      if (zeros == 0) {
        i += 8;
        continue;
      }
      const uint64_t at_nul = i + static_cast<uint64_t>(__builtin_ctzll(zeros)) / 8;
      if (at_nul >= max) return static_cast<long>(max);
      *terminated = true;
      return static_cast<long>(at_nul);
    }
    if (s[i] == 0) {
      *terminated = true;
      return static_cast<long>(i);
    }
    ++i;
  }
  return static_cast<long>(max);
}

uint64_t app_readable_prefix(uint64_t p, uint64_t n, uint64_t trusted) {
  if (p == 0 || p >= kUserEnd) return 0;
  if (n > kUserEnd - p) n = kUserEnd - p;
  if (trusted >= n) return n;
  // Pages up to the one holding the last trusted byte are readable.
  uint64_t ok = trusted == 0 ? 0 : page_of(p + trusted - 1) + kPageBytes - p;
  while (ok < n) {
    if (!page_readable(p + ok)) break;
    ok = page_of(p + ok) + kPageBytes - p;
  }
  return ok < n ? ok : n;
}

}  // namespace sysgate::gate
