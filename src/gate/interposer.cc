// include/sysgate/interposer.h: the hook registry and interposer_start().
//
// The table is written only before start (registration after it is refused), so
// the handler reads it without synchronisation: start's seccomp() call, which
// every later trap happens after, orders the writes before the reads.
#include "sysgate/interposer.h"

#include <asm/unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>

// The gate's symbols are in this same library: reach them PC-relative, not
// through a GOT (the freestanding check refuses _GLOBAL_OFFSET_TABLE_).
#pragma GCC visibility push(hidden)
#include "gate/gate.h"
#pragma GCC visibility pop
#include "gate/hooks.h"
#include "gate/deferred_signal.h"
#include "gate/redirect_filter.h"
#include "gate/raw_syscall.h"
#include "gate/util.h"

extern "C" {
// arch/x86_64/vector_state.S
void sysgate_vector_save(void* area, uint64_t features) __attribute__((visibility("hidden")));
void sysgate_vector_restore(const void* area, uint64_t features) __attribute__((visibility("hidden")));
}

namespace sysgate::gate {
namespace {

constexpr long kMaxNr = 512;
constexpr int kMaxHooked = 64;

struct HookSlot {
  BeforeHook before;
  void* before_user;
  AfterHook after;
  void* after_user;
  uint32_t before_flags;  // HookFlags
  uint32_t after_flags;
};

// Zero-initialised: no constructor runs in the gate.
HookSlot g_slots[kMaxNr];
uint64_t g_vector_features;  // XCR0: the state sysgate_vector_save saves
long g_hooked[kMaxHooked];
int g_hooked_count;
int g_started;

// Handled by the gate itself (handler.cc), never forwarded: not hookable.
bool reserved(long nr) {
  switch (nr) {
    case __NR_clone: case __NR_clone3: case __NR_fork: case __NR_vfork:
    case __NR_execve: case __NR_execveat: case __NR_exit: case __NR_exit_group:
    case __NR_rt_sigaction: case __NR_rt_sigprocmask: case __NR_sigaltstack: case __NR_rt_sigreturn:
    case __NR_rt_sigsuspend: case __NR_ppoll: case __NR_pselect6: case __NR_epoll_pwait: case __NR_epoll_pwait2:
    case __NR_rt_sigpending: case __NR_prctl: case __NR_arch_prctl:
      return true;
    default:
      return false;
  }
}

bool note_hooked(long nr) {
  for (int i = 0; i < g_hooked_count; ++i) {
    if (g_hooked[i] == nr) return true;
  }
  if (g_hooked_count == kMaxHooked) return false;
  g_hooked[g_hooked_count++] = nr;
  return true;
}

bool can_hook(long nr) { return g_started == 0 && nr >= 0 && nr < kMaxNr && !reserved(nr); }

// Room for the XSAVE area of every state the OS enabled (AVX-512 needs ~2.7 KiB).
constexpr uint32_t kMaxVectorArea = 4096;

void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
  asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

// Hooks may run outside the SIGSYS handler only if their vector state can be
// saved: XSAVE enabled by the OS, and an area that fits kMaxVectorArea.
bool vector_state_savable() {
  uint32_t r[4];
  cpuid(1, 0, r);
  if ((r[2] & (1u << 27)) == 0) return false;  // OSXSAVE
  uint32_t lo, hi;
  asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  cpuid(0xd, 0, r);
  if (r[1] == 0 || r[1] > kMaxVectorArea) return false;
  g_vector_features = (uint64_t{hi} << 32) | lo;
  return true;
}

// AT_PHDR, AT_PHNUM and AT_BASE from /proc/self/auxv (the gate has no libc to
// ask): where the site rewriter finds the loaded objects (rewrite_elf.h).
bool read_own_auxv(uint64_t* phdr, uint64_t* phnum, uint64_t* base) {
  const long fd = raw_syscall(__NR_openat, static_cast<uint64_t>(-100), addr("/proc/self/auxv"), 0 /* O_RDONLY */);
  if (fd < 0) return false;
  uint64_t words[128];
  uint64_t got = 0;
  for (;;) {
    const long n = raw_syscall(__NR_read, static_cast<uint64_t>(fd), addr(words) + got, sizeof words - got);
    if (n <= 0) break;
    got += static_cast<uint64_t>(n);
    if (got == sizeof words) break;
  }
  raw_syscall(__NR_close, static_cast<uint64_t>(fd));
  *phdr = *phnum = *base = 0;
  for (uint64_t i = 0; i + 1 < got / 8; i += 2) {
    if (words[i] == 3 /* AT_PHDR */) *phdr = words[i + 1];
    if (words[i] == 5 /* AT_PHNUM */) *phnum = words[i + 1];
    if (words[i] == 7 /* AT_BASE */) *base = words[i + 1];
  }
  return *phdr != 0 && *phnum != 0;
}

}  // namespace

bool interposer_started() { return g_started != 0; }

int trapped_numbers(long out[kMaxListedNumbers], bool with_exe_link) {
  int k = 0;
  for (long nr : kGateTrappedNumbers) {
    if (with_exe_link || (nr != __NR_readlink && nr != __NR_readlinkat)) out[k++] = nr;
  }
  for (int i = 0; i < g_hooked_count; ++i) out[k++] = g_hooked[i];
  return k;
}

bool hooks_registered() { return g_hooked_count > 0; }

bool hooks_prepare() { return vector_state_savable(); }

namespace {

const HookSlot* hooks_of(long nr) {
  const HookSlot* slot = nr >= 0 && nr < kMaxNr ? &g_slots[nr] : nullptr;
  return slot == nullptr || (slot->before == nullptr && slot->after == nullptr) ? nullptr : slot;
}

// Before-hook, the call (make(args)) unless the hook answered, after-hook.
template <typename Make>
long run_hooks(const HookSlot* slot, Syscall& s, Make make) {
  const HookDecision d = slot->before != nullptr ? slot->before(s, slot->before_user) : HookDecision::proceed();
  long ret = d.answered ? d.value : make(s.args);
  if (slot->after != nullptr) slot->after(s, &ret, slot->after_user);
  return ret;
}

}  // namespace

long hooked_forward(const arch::KernelUcontext* uc, const Call& call) {
  const HookSlot* slot = hooks_of(call.nr);
  if (slot == nullptr) return forward(uc, call.nr, call.args, call.pending);
  Syscall s;
  s.nr = call.nr;
  for (int i = 0; i < 6; ++i) s.args[i] = call.args[i];
  return run_hooks(slot, s, [&](const uint64_t* a) { return forward(uc, call.nr, a); });
}

long hooked_call(long nr, uint64_t args[6]) {
  const HookSlot* slot = hooks_of(nr);
  // The program's call (deferred_signal.h: a signal that came at its
  // syscall is the program's, told by this call's return address).
  const auto call = [nr](const uint64_t* a) {
    return sysgate_gate_program_syscall(nr, static_cast<long>(a[0]), static_cast<long>(a[1]),
                                        static_cast<long>(a[2]), static_cast<long>(a[3]),
                                        static_cast<long>(a[4]), static_cast<long>(a[5]));
  };
  if (slot == nullptr) return call(args);
  Syscall s;
  s.nr = nr;
  for (int i = 0; i < 6; ++i) s.args[i] = args[i];
  // Hooks are ordinary code of the program's (they may use vector registers);
  // the program expects its vector state intact across `syscall`, and here, unlike
  // in the SIGSYS handler, nobody else saves it.
  const bool save = ((slot->before != nullptr && (slot->before_flags & kHookNoVectorState) == 0) ||
                     (slot->after != nullptr && (slot->after_flags & kHookNoVectorState) == 0));
  alignas(64) uint8_t area[kMaxVectorArea];
  if (save) {
    zero_bytes(area + 512, 64);  // the XSAVE header: XRSTOR faults on stale bits there
    sysgate_vector_save(area, g_vector_features);
  }
  const long ret =
      run_hooks(slot, s, call);
  if (save) sysgate_vector_restore(area, g_vector_features);
  for (int i = 0; i < 6; ++i) args[i] = s.args[i];
  return ret;
}

}  // namespace sysgate::gate

namespace sysgate {

using gate::g_slots;

bool interpose_before(long nr, BeforeHook hook, void* user, unsigned flags) {
  if (!gate::can_hook(nr) || !gate::note_hooked(nr)) return false;
  g_slots[nr].before = hook;
  g_slots[nr].before_user = user;
  g_slots[nr].before_flags = flags;
  return true;
}

bool interpose_after(long nr, AfterHook hook, void* user, unsigned flags) {
  if (!gate::can_hook(nr) || !gate::note_hooked(nr)) return false;
  g_slots[nr].after = hook;
  g_slots[nr].after_user = user;
  g_slots[nr].after_flags = flags;
  return true;
}

long interposer_syscall(long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5) {
  return gate::raw_syscall(nr, a0, a1, a2, a3, a4, a5);
}

bool interposer_start() {
  using namespace gate;
  if (g_started != 0) return false;
  // Trapped outside the gate's instruction: the hooked numbers, and the calls
  // the gate must see (exec, refused, see the header; the signal calls that
  // keep SIGSYS the gate's).
  long nrs[kMaxListedNumbers];
  const int k = trapped_numbers(nrs, false);
  sock_filter program[kMaxListedFilterLength];
  const int n = build_listed_redirect_filter(nrs, k, addr(sysgate_gate_syscall_begin),
                                             addr(sysgate_gate_syscall_end), program);
  if (n == 0) return false;
  if (raw_syscall(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
  GateConfig config;  // no trace region: the interposer does not record
  // Hooked sites move onto trampolines after their first trap, as under
  // `sysgate trace`; without the auxv the trap path serves every call.
  if (vector_state_savable() && read_own_auxv(&config.program_phdr, &config.program_phnum, &config.interp_base)) {
    config.flags |= kGateRewrite | kGateHooks;
  }
  if (!gate_install(config)) return false;
  g_started = 1;
  const sock_fprog fprog = {static_cast<unsigned short>(n), program};
  if (raw_syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, addr(&fprog)) != 0) {
    g_started = 0;  // the gate is installed but nothing traps: hooks simply never run
    return false;
  }
  return true;
}

}  // namespace sysgate
