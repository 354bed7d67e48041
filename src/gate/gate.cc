// gate_install: the one-time set-up. Ordering matters: the region and the
// thread's gate stack exist before the handler is installed (the handler needs
// both), and SIGSYS is unblocked last (a trap before that would kill).
#include "gate/close_range.h"
#include "gate/gate.h"

#include <asm/unistd.h>
#include <linux/mman.h>

#include "gate/arch/x86_64/kernel_abi.h"
#include "gate/inject.h"
#include "gate/io_dump.h"
#include "gate/raw_syscall.h"
#include "gate/pending_sigsys.h"
#include "gate/process.h"
#include "gate/rewrite.h"
#include "gate/signals.h"
#include "gate/thread_state.h"
#include "gate/trace_emit.h"
#include "gate/util.h"

namespace sysgate::gate {
namespace {

constexpr uint64_t kMinStackBytes = 64 * 1024;
constexpr uint64_t kMaxRegionBytes = uint64_t{1} << 40;

bool is_error(long r) { return r < 0 && r > -4096; }

// Where to ask for the trace region: 16 GiB below near, the interpreter or
// the program (0: anywhere). Why: left to the kernel, its 256 MiB land next
// to the libraries the dynamic linker maps next, right where the site
// rewriter wants trampoline blocks within a jump's reach of their code -- a
// punned jump's 16 MiB window (rewrite.cc) often fell wholly inside it, and
// every site there cost 15 refused mmaps and stayed on the trap path. A hint
// only: the kernel places it elsewhere if that range is taken.
uint64_t region_hint(uint64_t near) {
  constexpr uint64_t kBelow = uint64_t{16} << 30;
  constexpr uint64_t kAlign = uint64_t{2} << 20;
  if (near < kBelow + (uint64_t{1} << 32)) return 0;
  return (near - kBelow) & ~(kAlign - 1);
}

// Maps the trace region behind fd: the header page first, to learn the size.
bool map_region(int fd, uint64_t hint, TraceRegion* out) {
  const long probe = raw_syscall(__NR_mmap, 0, kPageBytes, PROT_READ, MAP_SHARED, static_cast<uint64_t>(fd), 0);
  if (is_error(probe)) return false;
  const trace::RegionHeader* h = reinterpret_cast<const trace::RegionHeader*>(probe);
  const bool looks_right = h->magic == trace::kRegionMagic && h->version == trace::kRegionVersion;
  const uint64_t bytes = h->region_bytes;
  raw_syscall(__NR_munmap, static_cast<uint64_t>(probe), kPageBytes);
  if (!looks_right || bytes < trace::kRegionHeaderBytes || bytes > kMaxRegionBytes) return false;
  const long m = raw_syscall(__NR_mmap, hint, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, static_cast<uint64_t>(fd), 0);
  if (is_error(m)) return false;
  if (!region_check(reinterpret_cast<trace::RegionHeader*>(m), bytes, out)) {
    raw_syscall(__NR_munmap, static_cast<uint64_t>(m), bytes);
    return false;
  }
  return true;
}

}  // namespace

bool gate_install(const GateConfig& config) {
  if (g_gate.installed != 0) return false;

  TraceRegion region;
  const uint64_t hint = region_hint(config.interp_base != 0 ? config.interp_base : config.program_phdr);
  if (config.ring_fd >= 0 && !map_region(config.ring_fd, hint, &region)) return false;
  protect_fd(config.ring_fd);  // the filter refuses to close it (close_range.h)

  uint64_t stack_bytes = config.stack_bytes != 0 ? config.stack_bytes : kDefaultStackBytes;
  if (stack_bytes < kMinStackBytes) stack_bytes = kMinStackBytes;
  GateThread* t = thread_create(stack_bytes);
  if (t == nullptr) {
    if (region.header != nullptr) raw_syscall(__NR_munmap, addr(region.header), region.bytes);
    return false;
  }
  thread_identify(t);
  t->program_stack_top = config.program_stack_top;
  arch::KernelStack previous = {};
  if (thread_register_stack(t, &previous) < 0) {
    thread_unmap(t);
    if (region.header != nullptr) raw_syscall(__NR_munmap, addr(region.header), region.bytes);
    return false;
  }
  if ((previous.ss_flags & SS_DISABLE) == 0 && previous.ss_sp != 0) {
    t->app_altstack.sp = previous.ss_sp;
    t->app_altstack.size = previous.ss_size;
    t->app_altstack.flags = static_cast<int32_t>(static_cast<uint32_t>(previous.ss_flags) & SS_AUTODISARM);
  }

  g_gate.flags = config.flags;
  g_gate.stack_bytes = stack_bytes;
  g_gate.region = region;
  if (region.header != nullptr) {
    inject_install(region.header->inject);
    io_dump_install(*region.header, region.ring_bytes);
  }

  if ((config.flags & kGateFreshImage) == 0) strip_sigsys_from_installed_handlers();

  arch::KernelSigaction action = {};
  action.handler = addr(&sysgate_gate_sigsys_entry);
  action.flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER;
  action.restorer = addr(&sysgate_gate_restorer);
  action.mask = arch::kAllSignals;
  arch::KernelSigaction old_action = {};
  if (raw_syscall(__NR_rt_sigaction, SIGSYS, addr(&action), addr(&old_action), 8) != 0) {
    raw_syscall(__NR_sigaltstack, addr(&previous), 0);
    thread_unmap(t);
    if (region.header != nullptr) raw_syscall(__NR_munmap, addr(region.header), region.bytes);
    g_gate.region = TraceRegion();
    return false;
  }
  g_gate.app_sigsys = old_action;
  // execve keeps SIG_IGN (and only it: a handler becomes SIG_DFL, flags and
  // mask are emptied).
  if ((config.flags & kGateSigsysIgnored) != 0) {
    g_gate.app_sigsys = arch::KernelSigaction{};
    g_gate.app_sigsys.handler = arch::kSigIgn;
  }
  observe_default_actions();  // tracing: deliveries that end the process get their line too
  fork_marker_install();

  // The GS base finds the thread's state once the program's own alternate stack
  // is the registered one (thread_state.h); without it, alternate stacks stay
  // virtual and the gate stack stays registered.
  g_gate.gs_owned = 1;
  thread_set_gs(t);

  // The program's SIGSYS as the exec'ing thread left it, before SIGSYS is
  // unblocked for real: one pending then arrives blocked, and is kept.
  if ((config.flags & kGateSigsysBlocked) != 0) t->sigsys_blocked = 1;
  if ((config.flags & (kGateSigsysBlocked | kGateSigsysPending)) == (kGateSigsysBlocked | kGateSigsysPending)) {
    restore_pending_sigsys(config.pending_sigsys);
  }
  uint64_t unblock = arch::kSigsysBit;
  uint64_t before = 0;
  raw_syscall(__NR_rt_sigprocmask, SIG_UNBLOCK, addr(&unblock), addr(&before), 8);
  t->sigsys_blocked = (before & arch::kSigsysBit) != 0 || (config.flags & kGateSigsysBlocked) != 0 ? 1 : 0;
  g_gate.installed = 1;
  if ((config.flags & kGateNewImage) != 0) {
    // Still single-threaded, before any program code: stamped before any other
    // record of the image.
    g_gate.image_pid = t->pid;
    g_gate.first_record_pending = 1;
    trace_image_started(t, config.exec_tid);
  }
  if ((config.flags & kGateRewrite) != 0) {
    LoadedObjects objects;
    objects.program_phdr = config.program_phdr;
    objects.program_phnum = config.program_phnum;
    objects.interp_base = config.interp_base;
    rewrite_install(objects);
    rewrite_thread_started(t);  // GS base = this thread's GateThread (or rewriting stays off)
  }
  return true;
}

}  // namespace sysgate::gate
