#include "gate/exe_link.h"

#include <asm/errno.h>
#include <asm/unistd.h>

#include "gate/app_memory.h"
#include "gate/raw_syscall.h"
#include "gate/util.h"
#include "trace/ring_format.h"

namespace sysgate::gate {
namespace {

constexpr long kAtFdcwd = -100;

bool same(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

// "/proc/<pid>/exe" for this pid.
bool is_own_pid_link(const char* path, int32_t pid) {
  const char prefix[] = "/proc/";
  for (int i = 0; prefix[i] != '\0'; ++i) {
    if (path[i] != prefix[i]) return false;
  }
  path += 6;
  char digits[12];
  int n = 0;
  uint32_t v = static_cast<uint32_t>(pid);
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) {
    if (*path++ != digits[--n]) return false;
  }
  return same(path, "/exe");
}

}  // namespace

bool names_own_exe_link(const char* path, int32_t pid) {
  return same(path, "/proc/self/exe") || same(path, "/proc/thread-self/exe") || is_own_pid_link(path, pid);
}

bool emulate_exe_link(const GateThread* t, Call& call, long* ret) {
  if (g_gate.exe_path[0] == '\0') return false;
  const bool at = call.nr == __NR_readlinkat;
  if (!at && call.nr != __NR_readlink) return false;
  const uint64_t path = at ? call.args[1] : call.args[0];
  const uint64_t buf = at ? call.args[2] : call.args[1];
  const int32_t size = static_cast<int32_t>(at ? call.args[3] : call.args[2]);
  // Only an absolute path or one relative to the cwd can be the link (and an
  // absolute one ignores dirfd).
  char name[32];
  bool terminated = false;
  const long len = app_string_length(path, sizeof name - 1, 0, &terminated);
  if (len <= 0 || !terminated) return false;
  copy_bytes(name, reinterpret_cast<const void*>(path), static_cast<uint64_t>(len));
  name[len] = '\0';
  if (name[0] != '/' && (!at || static_cast<long>(call.args[0]) != kAtFdcwd)) return false;
  if (!names_own_exe_link(name, t->pid)) return false;
  // A buffer under 8 bytes cannot be probed without writing past it (app_memory.h):
  // the kernel answers those (with the loader's path, cut short).
  if (size < 8) return false;
  // The policy still decides: the call is made, and only a success is rewritten.
  const long real = raw_syscall(call.nr, call.args[0], call.args[1], call.args[2], call.args[3], 0, 0);
  if (real < 0) {
    *ret = real;
    return true;
  }
  call.record_flags |= trace::kRecordEmulated;
  uint64_t n = string_length(g_gate.exe_path);
  if (n > static_cast<uint64_t>(size)) n = static_cast<uint64_t>(size);
  if (!app_probe_write(buf, n < 8 ? 8 : n)) {
    *ret = -EFAULT;
    return true;
  }
  copy_bytes(reinterpret_cast<void*>(buf), g_gate.exe_path, n);
  *ret = static_cast<long>(n);
  return true;
}

}  // namespace sysgate::gate
