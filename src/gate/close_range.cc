#include "gate/close_range.h"

#include <asm/unistd.h>

#include "gate/raw_syscall.h"

namespace sysgate::gate {
namespace {

constexpr int kMaxProtected = 4;

// Zero-initialised; written at set-up only, before the program runs.
struct Protected {
  uint32_t count;
  uint32_t fds[kMaxProtected];  // ascending
};
Protected g_protected;

}  // namespace

void protect_fd(int fd) {
  if (fd < 0 || g_protected.count >= kMaxProtected) return;
  const auto v = static_cast<uint32_t>(fd);
  uint32_t i = g_protected.count;
  for (uint32_t k = 0; k < g_protected.count; ++k) {
    if (g_protected.fds[k] == v) return;
  }
  while (i > 0 && g_protected.fds[i - 1] > v) {  // keep them sorted
    g_protected.fds[i] = g_protected.fds[i - 1];
    --i;
  }
  g_protected.fds[i] = v;
  ++g_protected.count;
}

bool close_range_covers_protected(const uint64_t args[6]) {
  // The kernel's types: unsigned int first, last (the filter compares 32 bits too).
  const auto first = static_cast<uint32_t>(args[0]), last = static_cast<uint32_t>(args[1]);
  for (uint32_t k = 0; k < g_protected.count; ++k) {
    if (first <= g_protected.fds[k] && g_protected.fds[k] <= last) return true;
  }
  return false;
}

long emulate_close_range(const uint64_t args[6]) {
  const auto first = static_cast<uint32_t>(args[0]), last = static_cast<uint32_t>(args[1]);
  const uint64_t flags = args[2];
  uint64_t from = first;  // 64-bit: one past a protected 0xffffffff is not 0
  for (uint32_t k = 0; k < g_protected.count; ++k) {
    const uint32_t fd = g_protected.fds[k];
    if (fd < from || fd > last) continue;
    if (fd > from) {
      const long r = raw_syscall(__NR_close_range, from, fd - 1, flags);
      if (r < 0) return r;
    }
    from = uint64_t{fd} + 1;
  }
  if (from <= last) return raw_syscall(__NR_close_range, from, last, flags);
  return 0;
}

}  // namespace sysgate::gate
