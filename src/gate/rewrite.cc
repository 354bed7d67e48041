#include "gate/close_range.h"
#include "gate/rewrite.h"

#include <asm/errno.h>
#include <stddef.h>
#include <asm/unistd.h>
#include <linux/futex.h>
#include <linux/mman.h>
#include <linux/sched.h>

#include "gate/app_memory.h"
#include "gate/call_before.h"
#include "gate/call_snapshot.h"
#include "gate/code_alias.h"
#include "gate/deferred_signal.h"
#include "gate/exe_link.h"
#include "gate/gate.h"
#include "gate/hooks.h"
#include "gate/inject.h"
#include "gate/moved_handler.h"
#include "gate/raw_syscall.h"
#include "gate/rewrite_decoder.h"
#include "gate/rewrite_function_scan.h"
#include "gate/signals.h"
#include "gate/syscall_classes.h"
#include "gate/trace_emit.h"
#include "gate/util.h"

// Read by trampoline.S on every call (RIP-relative, no GS needed).
extern "C" {
__attribute__((visibility("hidden"))) uint8_t sysgate_rewrite_fallback = 0;
__attribute__((visibility("hidden"))) uint8_t sysgate_rewrite_traced = 0;
// With sysgate_rewrite_traced: bit nr set, call nr takes the C++ path (hooks
// see every call; a trace records those its -e set selects). The others need
// nothing but the syscall: the assembly path makes it. Set by rewrite_install.
__attribute__((visibility("hidden"))) uint64_t sysgate_rewrite_cpp_calls[512 / 64] = {};
// Bit nr set: a dynamic site (glibc's syscall()) may make call nr from its
// trampoline (rewrite_install). Read by trampoline.S.
__attribute__((visibility("hidden"))) uint64_t sysgate_rewrite_dynamic_ok[512 / 64] = {};
// Bit nr: signal_prone_for_some_args(nr) (the C++ path asks signal_prone only then).
uint64_t g_signal_prone[512 / 64] = {};
// The numbers interrupted_despite_restart holds for with some arguments: a
// table, made once, spares every other traced call the lookup.
uint64_t g_quiet_prone[512 / 64] = {};
extern const uint8_t sysgate_tramp_template[] __attribute__((visibility("hidden")));
extern const uint8_t sysgate_tramp_template_end[] __attribute__((visibility("hidden")));
void sysgate_tramp_entry() __attribute__((visibility("hidden")));
void sysgate_tramp_entry_stcheck() __attribute__((visibility("hidden")));
extern const uint8_t sysgate_tramp_displaced[] __attribute__((visibility("hidden")));
extern const uint8_t sysgate_tramp_displaced_xor[] __attribute__((visibility("hidden")));
extern const uint8_t sysgate_tramp_displaced_dynamic[] __attribute__((visibility("hidden")));
extern const uint8_t sysgate_tramp_xor_r10_mov[] __attribute__((visibility("hidden")));
void sysgate_tramp_imm_edx() __attribute__((visibility("hidden")));
void sysgate_tramp_imm_esi() __attribute__((visibility("hidden")));
void sysgate_tramp_imm_edi() __attribute__((visibility("hidden")));
void sysgate_tramp_dynamic() __attribute__((visibility("hidden")));
}

namespace sysgate::gate {

static_assert(offsetof(GateThread, self) == 8);
static_assert(offsetof(GateThread, stack) == 32);
static_assert(offsetof(GateThread, stack_bytes) == 40);
static_assert(offsetof(GateThread, tramp_calls) == 144);  // GT_TRAMP_CALLS in trampoline.S
static_assert(offsetof(GateThread, app_altstack) + offsetof(AppAltStack, sp) == 72);    // GT_APP_ALT_SP
static_assert(offsetof(GateThread, app_altstack) + offsetof(AppAltStack, size) == 80);  // GT_APP_ALT_SIZE

namespace {

constexpr uint64_t kArchSetGs = 0x1001;
constexpr uint32_t kPfR = 4, kPfX = 1;
constexpr uint64_t kSlotsPerBlock = 256;
constexpr uint64_t kSlotCodeBytes = 16;
constexpr uint64_t kBlockCodeBytes = kSlotsPerBlock * kSlotCodeBytes;  // one page
constexpr uint64_t kBlockDataBytes = 4 * kPageBytes;
constexpr uint64_t kBlockBytes = kBlockCodeBytes + kBlockDataBytes;
constexpr uint64_t kMaxBlocks = 64;
// Sites already judged. 32 KiB: each page of it a process touches costs a
// page fault (~3 µs), so no bigger than a few thousand sites need; when full,
// sites not yet judged stay on the trap path.
constexpr uint64_t kSeenSlots = 4096;
constexpr uint64_t kSweptSlots = 1024;  // open-addressed set of pages swept (sweep_page)
constexpr long kDynamicOkBits = 512;   // DYNAMIC_OK_BITS in trampoline.S

static_assert(kBlockCodeBytes == kPageBytes);

struct Slot {  // in a block's data pages; layout shared with trampoline.S
  uint64_t nr;
  uint64_t ret;    // after the syscall
  uint64_t entry;  // sysgate_tramp_entry or sysgate_tramp_entry_stcheck
  uint64_t site;   // the patched instruction
  uint64_t flag;   // stcheck: the byte the entry compares with 0 (__libc_single_threaded)
  uint64_t taken;  // stcheck: where its je goes
  uint64_t emulated;  // 1: the gate emulates this call: always the C++ path (SLOT_EMULATED)
  uint64_t imm;  // dynamic-imm: the displaced mov's immediate (SLOT_IMM in trampoline.S)
};
static_assert(offsetof(Slot, imm) == 56);
static_assert(offsetof(Slot, emulated) == 48);  // SLOT_EMULATED in trampoline.S
static_assert(sizeof(Slot) * kSlotsPerBlock == kBlockDataBytes);

// An open-addressed set of nonzero addresses: lookups without the lock (a
// racing reader misses an entry being added and takes the lock to look
// again), inserts under it. When full, contains() answers true for all.
template <uint64_t N>
struct AddressSet {
  static_assert((N & (N - 1)) == 0);
  uint64_t slots[N];  // 0: empty

  static uint64_t index(uint64_t a) { return ((a * 0x9E3779B97F4A7C15ull) >> 40) & (N - 1); }
  bool contains(uint64_t a) const {
    uint64_t i = index(a);
    for (uint64_t n = 0; n < N; ++n, i = (i + 1) & (N - 1)) {
      const uint64_t v = load_relaxed(&slots[i]);
      if (v == a) return true;
      if (v == 0) return false;
    }
    return true;
  }
  void insert(uint64_t a) {
    uint64_t i = index(a);
    for (uint64_t n = 0; n < N; ++n, i = (i + 1) & (N - 1)) {
      if (slots[i] == a) return;
      if (slots[i] == 0) {
        store_relaxed(&slots[i], a);
        return;
      }
    }
  }
};

struct Block {
  uint64_t code;  // kBlockCodeBytes of R-X slot code, then the Slot table
  uint32_t used;
  uint32_t pad;
};

struct RewriteState {
  uint32_t enabled;
  uint32_t lock;
  int32_t disabled_error;
  uint32_t block_count;
  // Threads that can run in this address space: the one gate_install ran on,
  // plus CLONE_VM children the gate made, minus threads that left. Counts
  // every thread only while sharers_exact (kGateSeesEveryClone, and no thread
  // turned up that the gate did not create).
  uint32_t sharers;
  uint32_t sharers_exact;
  int32_t alias_error;  // -errno that made code_alias unusable (0: it is used)
  uint32_t pad;
  LoadedObjects objects;
  Block blocks[kMaxBlocks];
  uint64_t rewritten;
  uint64_t refused[kRefuseCount];
  AddressSet<kSeenSlots>* seen;    // sites refused or rewritten (null: none yet)
  uint64_t swept_sites;            // of rewritten: by sweep_page, before their first call
  AddressSet<kSweptSlots> swept;   // pages sweep_page went through
};

constinit RewriteState g_rw = {};
int32_t g_rw_report = 0;  // report fd + 1 (0: no report)
uint64_t g_rw_calls[2] = {};  // trampoline, trap: of threads that exited
uint64_t g_rw_traced[trace::kCountRefusedOther + 1] = {};  // counts already in a trace record

bool is_error(long r) { return r < 0 && r > -4096; }

// Calls a trampoline always takes to the C++ path (sysgate_tramp_traced),
// which emulates them as the trap path does: rt_sigaction (signals.h),
// readlink(at), which answers /proc/self/exe (exe_link.h), and close_range
// over the protected descriptors (close_range.h).
bool emulated_on_trampoline(long nr) {
  return nr == __NR_rt_sigaction || nr == __NR_readlink || nr == __NR_readlinkat || nr == __NR_close_range;
}

// The process's counts in RewriteCountsArg order (calls of threads that exited).
void counts_now(uint64_t out[trace::kCountRefusedOther + 1]) {
  out[trace::kCountSitesRewritten] = load_relaxed(&g_rw.rewritten);
  out[trace::kCountTrampolineCalls] = load_relaxed(&g_rw_calls[0]);
  out[trace::kCountTrapCalls] = load_relaxed(&g_rw_calls[1]);
  out[trace::kCountRefusedShape] = load_relaxed(&g_rw.refused[kRefuseShape]);
  out[trace::kCountRefusedNumber] = load_relaxed(&g_rw.refused[kRefuseNumber]);
  uint64_t other = 0;
  for (uint32_t i = kRefuseNumber + 1; i < kRefuseCount; ++i) other += load_relaxed(&g_rw.refused[i]);
  out[trace::kCountRefusedOther] = other;
}

// The last function decoded for a site check (rewrite_function_scan.h): kept
// only while the lock is held, since the function's bytes may change between
// two of its holders (a patch of another thread's, an unmapped object).
FunctionScan g_scan;

void lock() {
  while (!compare_exchange(&g_rw.lock, 0u, 1u)) cpu_relax();
  function_scan_forget(&g_scan);
}
void unlock() { store_release(&g_rw.lock, 0u); }

// No other thread can be executing program code: patches may be stores.
bool sole_thread() { return load_relaxed(&g_rw.sharers_exact) != 0 && load_acquire(&g_rw.sharers) == 1; }

AddressSet<kSeenSlots> g_seen_static;  // the set if its mapping is refused

bool seen(uint64_t site) {
  const AddressSet<kSeenSlots>* set = load_acquire(&g_rw.seen);
  return set != nullptr && set->contains(site);
}

// Under the lock.
void remember(uint64_t site) {
  if (g_rw.seen == nullptr) {
    // Mapped with its pages populated at once, one call, rather than a page
    // fault (~3 us here) at the first site judged in each of its pages.
    const long m = raw_syscall(__NR_mmap, 0, sizeof(AddressSet<kSeenSlots>), PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, static_cast<uint64_t>(-1), 0);
    store_release(&g_rw.seen, is_error(m) ? &g_seen_static : reinterpret_cast<AddressSet<kSeenSlots>*>(m));
  }
  g_rw.seen->insert(site);
}

void refuse(uint64_t site, RewriteRefusal why) {
  if (seen(site)) return;
  remember(site);
  __atomic_fetch_add(&g_rw.refused[why], 1, __ATOMIC_RELAXED);
}

void disable(long error) {
  g_rw.disabled_error = static_cast<int32_t>(error);
  store_release(&g_rw.enabled, 0u);
}

bool fits_rel32(uint64_t from_end, uint64_t target) {
  const int64_t d = static_cast<int64_t>(target - from_end);
  constexpr int64_t kMargin = 2 * static_cast<int64_t>(kPageBytes);
  return d >= -(int64_t{1} << 31) + kMargin && d < (int64_t{1} << 31) - kMargin;
}

// The slot code addresses a site's jmp can name. Usually any within rel32
// reach; for a punned jmp (shape_at: kShapeDisplacedXor) only those whose
// displacement's top byte is `pun`, the program's own byte at that position,
// which keeps its value: a 16 MiB window.
struct Reach {
  uint64_t from;  // the end of the jmp
  bool punned;
  uint8_t pun;

  bool holds(uint64_t code) const {  // every slot of a block whose code page starts at code
    if (!punned) return fits_rel32(from, code) && fits_rel32(from, code + kBlockCodeBytes);
    const int64_t first = static_cast<int64_t>(code - from);
    const int64_t last = static_cast<int64_t>(code + kBlockCodeBytes - kSlotCodeBytes - from);
    if (first < INT32_MIN || last > INT32_MAX) return false;
    return static_cast<uint32_t>(first) >> 24 == pun && static_cast<uint32_t>(last) >> 24 == pun;
  }
  // Where to try mapping a new block, k = 1, 2, ...; 0 when out of candidates.
  uint64_t candidate(int k, const CodeLocation& loc) const {
    constexpr uint64_t kStep = uint64_t{1} << 20;
    if (punned) {
      if (k > 15) return 0;
      const int64_t window = static_cast<int32_t>(static_cast<uint32_t>(pun) << 24);
      return (from + static_cast<uint64_t>(window) + k * kStep) & ~uint64_t{0xffff};
    }
    // Below the segment first (the usual free gap under a library), then above.
    if (k > 64) return 0;
    const bool down = (k & 1) != 0;
    const uint64_t dist = static_cast<uint64_t>((k + 1) / 2) * kStep;
    if (down) {
      if (loc.segment_start < dist + kBlockBytes + (uint64_t{1} << 16)) return 1;  // skip
      return (loc.segment_start - dist) & ~uint64_t{0xffff};
    }
    return (loc.segment_end + dist) & ~uint64_t{0xffff};
  }
};

// A block with a free slot the site's jmp can reach; maps one if needed.
// Under the lock.
Block* block_near(const Reach& reach, const CodeLocation& loc) {
  for (uint32_t i = 0; i < g_rw.block_count; ++i) {
    Block& b = g_rw.blocks[i];
    if (b.used < kSlotsPerBlock && reach.holds(b.code)) return &b;
  }
  if (g_rw.block_count >= kMaxBlocks) return nullptr;
  for (int k = 1;; ++k) {
    const uint64_t want = reach.candidate(k, loc);
    if (want == 0) break;
    if (want == 1 || !reach.holds(want)) continue;
    // Populated at once: its slot pages are all written sooner or later.
    const long m = raw_syscall(__NR_mmap, want, kBlockBytes, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_POPULATE,
                               static_cast<uint64_t>(-1), 0);
    if (m == -EEXIST) continue;
    if (is_error(m)) {
      disable(m);
      return nullptr;
    }
    if (static_cast<uint64_t>(m) != want) {  // a kernel that ignores NOREPLACE
      raw_syscall(__NR_munmap, static_cast<uint64_t>(m), kBlockBytes);
      continue;
    }
    copy_bytes(reinterpret_cast<void*>(want), sysgate_tramp_template, kBlockCodeBytes);
    const long r = raw_syscall(__NR_mprotect, want, kBlockCodeBytes, PROT_READ | PROT_EXEC);
    if (r != 0) {
      raw_syscall(__NR_munmap, want, kBlockBytes);
      disable(r);
      return nullptr;
    }
    Block& b = g_rw.blocks[g_rw.block_count];
    b.code = want;
    b.used = 0;
    store_release(&g_rw.block_count, g_rw.block_count + 1);
    return &b;
  }
  return nullptr;
}

// Moves a fresh anonymous copy of the page(s) holding [at, at + n) and the
// syscall ending at rip, patched, over them: the way to patch when the policy
// refuses a memfd (code_alias.h). Under the lock.
RewriteRefusal patch_by_mremap(uint64_t at, const uint8_t* patch_bytes, uint32_t n, uint64_t rip,
                               const CodeLocation& loc) {
  const uint64_t first = at & ~(kPageBytes - 1);
  const uint64_t last = (rip - 1) & ~(kPageBytes - 1);  // the syscall's last byte
  const uint64_t bytes = last + kPageBytes - first;
  if (first < loc.segment_start || last + kPageBytes > loc.segment_end) return kRefusePatch;
  const long m = raw_syscall(__NR_mmap, 0, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                             static_cast<uint64_t>(-1), 0);
  if (is_error(m)) {
    disable(m);
    return kRefuseDisabled;
  }
  uint8_t* copy = reinterpret_cast<uint8_t*>(m);
  copy_bytes(copy, reinterpret_cast<const void*>(first), bytes);
  copy_bytes(copy + (at - first), patch_bytes, n);
  long r = raw_syscall(__NR_mprotect, static_cast<uint64_t>(m), bytes, PROT_READ | PROT_EXEC);
  if (r != 0) {
    raw_syscall(__NR_munmap, static_cast<uint64_t>(m), bytes);
    disable(r);
    return kRefuseDisabled;
  }
  r = raw_syscall(__NR_mremap, static_cast<uint64_t>(m), bytes, bytes, MREMAP_MAYMOVE | MREMAP_FIXED, first);
  if (is_error(r)) {
    raw_syscall(__NR_munmap, static_cast<uint64_t>(m), bytes);
    // EFAULT/EINVAL: the range spans mappings; anything else: the policy said no.
    if (r != -EFAULT && r != -EINVAL) {
      disable(r);
      return kRefuseDisabled;
    }
    return kRefusePatch;
  }
  return kRefuseCount;
}

// Writes the n bytes of a site's patch at `at` (before the syscall ending at
// rip) through a view of its page (code_alias.h), or by mremap once the memfd
// way was refused. Under the lock.
RewriteRefusal patch(uint64_t at, const uint8_t* patch_bytes, uint32_t n, uint64_t rip, const CodeLocation& loc) {
  if (at < loc.segment_start || at + n > loc.segment_end) return kRefusePatch;
  if (g_rw.alias_error == 0) {
    long error = 0;
    const AliasResult r = code_alias_write(at, patch_bytes, n, sole_thread(), &error);
    if (r == kAliasDone) return kRefuseCount;
    if (r == kAliasUnavailable) g_rw.alias_error = static_cast<int32_t>(error);
  }
  return patch_by_mremap(at, patch_bytes, n, rip, loc);
}

// `jmp rel32` from `at` to target.
void jmp_to(uint64_t at, uint64_t target, uint8_t out[5]) {
  out[0] = 0xe9;
  const int32_t rel = static_cast<int32_t>(static_cast<int64_t>(target - (at + 5)));
  copy_bytes(out + 1, &rel, 4);
}

// [from, to) holds only the no-op instructions assemblers pad with (nop,
// nopw/nopl with their 66/2e prefixes, int3): what lies between two functions.
bool nop_padding(uint64_t from, uint64_t to) {
  uint64_t p = from;
  while (p < to) {
    DecodedInsn d;
    const uint64_t avail = to - p;
    const uint32_t n = decode_length(reinterpret_cast<const uint8_t*>(p), avail < 15 ? avail : 15, &d);
    if (n == 0) return false;
    const uint8_t* b = reinterpret_cast<const uint8_t*>(p);
    uint32_t k = 0;
    while (k < n && (b[k] == 0x66 || b[k] == 0x2e)) ++k;
    const bool nop = (k < n && (b[k] == 0x90 || b[k] == 0xcc)) || (k + 1 < n && b[k] == 0x0f && b[k + 1] == 0x1f);
    if (!nop) return false;
    p += n;
  }
  return p == to;
}

// D, the one instruction a displaced shape runs in a stub of trampoline.S
// (sysgate_tramp_displaced*): its stub index, or -1. b: 4 readable bytes.
int displaced_index(const uint8_t* b) {
  if (b[0] == 0x8b && b[1] == 0x7c && b[2] == 0x24 && b[3] % 4 == 0 && b[3] != 0 && b[3] < 0x80) {
    return b[3] / 4;  // movl d8(%rsp),%edi: glibc's cancellable calls reload the fd
  }
  if (b[0] == 0x40 && b[1] == 0x80 && b[2] == 0xf6 && (b[3] == 0x80 || b[3] == 0x81)) {
    return 32 + (b[3] & 1);  // xorb $0x80/$0x81,%sil: glibc's futex waits toggle FUTEX_PRIVATE_FLAG
  }
  return -1;
}

// The site shapes (docs/gate.md, "Site rewriting"):
//   mov:     b8 <nr:4> 0f 05                        mov $nr,%eax; syscall
//   stcheck: 80 3d <disp:4> 00 74 <rel8> 31 c0 0f 05
//            cmpb $0,X(%rip); je L; xor %eax,%eax; syscall  -- at a function's
//            entry (glibc's single-threaded read): the 7-byte cmpb becomes the jmp.
//   mov-displaced: b8 <nr:4> <D:4> 0f 05            mov $nr,%eax; D; syscall
//            the mov becomes the jmp; the stub runs D.
//   displaced-xor: <D:4> 31 c0 0f 05                D; xor %eax,%eax; syscall (nr 0:
//            glibc's multi-threaded read). D is only 4 bytes, so the jmp's last
//            byte lands on the xor's first: the displacement is chosen so that
//            this byte stays 0x31 (the jmp is "punned", and needs a block in a
//            16 MiB window). Every instruction boundary but D's interior keeps
//            its bytes.
//   dynamic: 4c 8b 4c 24 08 0f 05 48 3d              mov 0x8(%rsp),%r9; syscall;
//            cmp $imm32,%rax -- glibc's syscall(): the number is in rax at
//            run time. The mov becomes the jmp; the stub runs it and checks
//            the number (trampoline.S); the cmp after the syscall writes every
//            flag the program could read, so the flags are dead there.
//   dynamic-imm: <ba|be|bf> <imm:4> 0f 05 48 3d     mov $imm,%edx/%esi/%edi; syscall;
//            cmp $imm32,%rax, the number loaded into eax before: the mov
//            becomes the jmp, its immediate goes to the slot, a stub per
//            register loads it and makes the dynamic checks.
//   xor-r10-dynamic: 45 31 d2 [44] 89 <c0|reg<<3> 0f 05 48 3d
//            xor %r10d,%r10d; mov %rN,%eax; syscall; cmp $imm32,%rax (glibc's
//            condition-variable wakes, the number in a register): the jmp
//            covers the xor and the mov's first two bytes (the rest of the
//            mov is dead); a stub per N runs both, then the dynamic checks.
//   entry-padded: 31 c0 0f 05 48 3d                 xor %eax,%eax; syscall; cmp $imm32,%rax
//            at a function's entry, after at least 5 bytes of no-op padding
//            that is no function's code (ld.so's and libc's read_nocancel):
//            the xor becomes `jmp .-5` (eb f9) to a `jmp rel32` written into
//            the padding. The syscall keeps its bytes; the cmp after it makes
//            the xor's flags dead.
//   displaced-dynamic: <D:4> 0f 05 48 3d            D; syscall; cmp $imm32,%rax,
//            the number loaded into eax before D (glibc's futex waits and
//            wakes: `xorb $0x80,%sil`). The jmp covers D and the syscall's
//            first byte, punned to keep it 0x0f; the stub runs D and the
//            dynamic checks.
enum SiteShape {
  kShapeNone,
  kShapeMov,
  kShapeStcheck,
  kShapeMovDisplaced,
  kShapeDisplacedXor,
  kShapeDynamic,
  kShapeDisplacedDynamic,
  kShapeDynamicImm,
  kShapeEntryPadded,
  kShapeXorR10Dynamic
};

struct SiteMatch {
  SiteShape shape = kShapeNone;
  uint64_t site = 0;         // the patched instruction
  uint32_t length = 0;       // its length
  uint64_t changed_end = 0;  // the jmp changes [site, changed_end)
  int displaced = -1;        // D's stub index; dynamic-imm: the mov's opcode
};

// Readable bytes [addr, rip): the syscall's page is mapped (it just ran).
bool before_syscall_readable(uint64_t addr, uint64_t rip) {
  return (addr & ~(kPageBytes - 1)) == ((rip - 2) & ~(kPageBytes - 1)) || app_probe_read(addr, rip - 2 - addr);
}

// The instruction after the syscall is `cmp $imm32,%rax`, which writes every
// flag the program could read: a trampoline need not keep them.
bool flags_dead_after(uint64_t rip) {
  if ((rip & (kPageBytes - 1)) > kPageBytes - 2 && !app_probe_read(rip, 2)) return false;
  const uint8_t* after = reinterpret_cast<const uint8_t*>(rip);
  return after[0] == 0x48 && after[1] == 0x3d;
}

SiteMatch shape_at(uint64_t rip, long nr) {
  SiteMatch m;
  const uint8_t* b = reinterpret_cast<const uint8_t*>(rip - 7);
  uint32_t imm;
  copy_bytes(&imm, b + 1, 4);
  if (b[0] == 0xb8 && imm == static_cast<uint32_t>(nr) && b[5] == 0x0f && b[6] == 0x05) {
    return {kShapeMov, rip - 7, 5, rip - 2, -1};
  }
  if (b[5] != 0x0f || b[6] != 0x05) return m;
  if (nr == 0 && b[3] == 0x31 && b[4] == 0xc0 && b[1] == 0x74) {
    if (!before_syscall_readable(rip - 13, rip)) return m;
    const uint8_t* c = reinterpret_cast<const uint8_t*>(rip - 13);  // 7 + 2 + 2 + 2 bytes
    if (c[0] == 0x80 && c[1] == 0x3d && c[6] == 0x00) return {kShapeStcheck, rip - 13, 7, rip - 8, -1};
    return m;
  }
  if (nr == 0 && b[3] == 0x31 && b[4] == 0xc0 && before_syscall_readable(rip - 8, rip)) {
    const int d = displaced_index(reinterpret_cast<const uint8_t*>(rip - 8));
    if (d >= 0 && d < 32) return {kShapeDisplacedXor, rip - 8, 4, rip - 4, d};  // an edi load: D before the xor
  }
  if (b[0] == 0x4c && b[1] == 0x8b && b[2] == 0x4c && b[3] == 0x24 && b[4] == 0x08 && flags_dead_after(rip)) {
    return {kShapeDynamic, rip - 7, 5, rip - 2, -1};
  }
  if (before_syscall_readable(rip - 11, rip)) {
    const uint8_t* c = reinterpret_cast<const uint8_t*>(rip - 11);
    copy_bytes(&imm, c + 1, 4);
    const int d = displaced_index(c + 5);
    if (c[0] == 0xb8 && imm == static_cast<uint32_t>(nr) && d >= 0) return {kShapeMovDisplaced, rip - 11, 5, rip - 6, d};
  }
  if ((b[0] == 0xba || b[0] == 0xbe || b[0] == 0xbf) && flags_dead_after(rip)) {
    return {kShapeDynamicImm, rip - 7, 5, rip - 2, b[0]};
  }
  if (const int d = displaced_index(b + 1); d >= 0 && flags_dead_after(rip)) {
    return {kShapeDisplacedDynamic, rip - 6, 4, rip - 2, d};
  }
  // xor %r10d,%r10d; mov %rN,%eax (3 bytes with REX.R, else 2); not from r11
  // (the stubs' slot pointer) or esp.
  const uint32_t kMovBytes[] = {3, 2};
  for (const uint32_t mov_bytes : kMovBytes) {
    const uint64_t site = rip - 2 - mov_bytes - 3;
    if (!before_syscall_readable(site, rip)) continue;
    const uint8_t* c = reinterpret_cast<const uint8_t*>(site);
    const uint8_t* mov = c + 3;
    const bool rex = mov_bytes == 3;
    if (c[0] != 0x45 || c[1] != 0x31 || c[2] != 0xd2 || (rex && mov[0] != 0x44)) continue;
    const uint8_t modrm = mov[rex ? 2 : 1];
    if (mov[rex ? 1 : 0] != 0x89 || (modrm & 0xc7) != 0xc0 || !flags_dead_after(rip)) continue;
    const int n = (rex ? 8 : 0) + ((modrm >> 3) & 7);
    if (n == 11 || n == 4) continue;
    return {kShapeXorR10Dynamic, site, 3, site + 5, n};
  }
  // rewrite_after_trap checks the function entry and the padding before it.
  if (nr == 0 && b[3] == 0x31 && b[4] == 0xc0 && flags_dead_after(rip)) return {kShapeEntryPadded, rip - 4, 2, rip - 2, -1};
  return m;
}

}  // namespace

bool rewrite_number_allowed(long nr) {
  switch (nr) {
    // The handler emulates these, or must see them (new threads and processes,
    // exits, execs, signal state, GS base, the program's own seccomp filters:
    // program_filters.h).
    case __NR_seccomp:
    case __NR_clone:
    case __NR_clone3:
    case __NR_fork:
    case __NR_vfork:
    case __NR_execve:
    case __NR_execveat:
    case __NR_exit:
    case __NR_exit_group:
    case __NR_rt_sigreturn:
    case __NR_rt_sigprocmask:
    case __NR_rt_sigpending:
    case __NR_rt_sigtimedwait:
    case __NR_sigaltstack:
    case __NR_rt_sigsuspend:
    case __NR_ppoll:
    case __NR_pselect6:
    case __NR_epoll_pwait:
    case __NR_epoll_pwait2:
    case __NR_prctl:
    case __NR_arch_prctl:
    case __NR_restart_syscall:
      return false;
    default:
      return nr >= 0 && syscall_known(nr);
  }
}

bool rewrite_install(const LoadedObjects& objects) {
  g_rw.objects = objects;
  g_rw.sharers = 1;
  g_rw.sharers_exact = (g_gate.flags & kGateSeesEveryClone) != 0 ? 1 : 0;
  for (long nr = 0; nr < kDynamicOkBits; ++nr) {
    // Slots of emulated calls are marked per site; a dynamic site's number
    // changes per call, so those keep the trap path there.
    if (rewrite_number_allowed(nr) && !emulated_on_trampoline(nr)) {
      sysgate_rewrite_dynamic_ok[nr / 64] |= uint64_t{1} << (nr % 64);
    }
    if (signal_prone_for_some_args(nr)) g_signal_prone[nr / 64] |= uint64_t{1} << (nr % 64);
  }
  // Trampolines take the C++ path when each call needs more than the syscall.
  const bool hooks = (g_gate.flags & kGateHooks) != 0;
  const TraceRegion& region = g_gate.region;
  sysgate_rewrite_traced = region.header != nullptr || hooks ? 1 : 0;
  for (int i = 0; i < 512 / 64; ++i) {
    // trace -k: every call, so that a signal arriving in one finds its registers (t->call_registers).
    const bool every_call = hooks || region.record_all_calls != 0 || region.stack_bytes != 0;
    sysgate_rewrite_cpp_calls[i] = every_call ? ~uint64_t{0} : region.call_mask[i];
  }
  // Calls a quiet signal's observer could end with EINTR take the C++ path,
  // which blocks those signals around them (signals.h, quiet_signals_during).
  if (region.header != nullptr) {
    const uint64_t none[6] = {};
    const uint64_t timed_wait[6] = {0, FUTEX_WAIT, 0, 1};
    for (long nr = 0; nr < 512; ++nr) {
      if (interrupted_despite_restart(nr, none) || interrupted_despite_restart(nr, timed_wait)) {
        sysgate_rewrite_cpp_calls[nr / 64] |= uint64_t{1} << (nr % 64);
        g_quiet_prone[nr / 64] |= uint64_t{1} << (nr % 64);
      }
    }
  }
  store_release(&g_rw.enabled, 1u);
  return true;
}

void rewrite_thread_started(GateThread* t) {
  if (load_acquire(&g_rw.enabled) == 0 && g_rw.rewritten == 0) return;
  // thread_set_gs ran first (every thread with a gate stack gets its GS base).
  const long r = t->gs_set != 0 ? 0 : raw_syscall(__NR_arch_prctl, kArchSetGs, addr(t));
  if (r != 0) {
    // Trampolines could not find this thread's state: send every call to the trap path.
    store_release(&sysgate_rewrite_fallback, uint8_t{1});
    disable(r);
  }
}

void rewrite_program_sets_gs() {
  if (load_acquire(&g_rw.enabled) == 0 && g_rw.rewritten == 0) return;
  store_release(&sysgate_rewrite_fallback, uint8_t{1});
  full_fence();
}

bool rewrite_enabled() { return load_acquire(&g_rw.enabled) != 0; }

void rewrite_after_fork_in_child(GateThread* t) {
  store_release(&g_rw.lock, 0u);
  g_rw.sharers = 1;
  code_alias_forked(true);
  // The parent reports what it did before the fork; the child only its own.
  t->tramp_calls = 0;
  t->trap_calls = 0;
  uint64_t now[trace::kCountRefusedOther + 1];
  counts_now(now);
  for (int i = 0; i <= trace::kCountRefusedOther; ++i) g_rw_traced[i] = now[i];
}

void rewrite_trace_counts(GateThread* t) {
  if (g_gate.region.header == nullptr) return;
  uint64_t now[trace::kCountRefusedOther + 1];
  counts_now(now);
  uint64_t delta[6];
  for (int i = 0; i <= trace::kCountRefusedOther; ++i) {
    delta[i] = now[i] - g_rw_traced[i];
    g_rw_traced[i] = now[i];
  }
  trace_syscall(t, trace::kRecordRewriteCounts, 0, -1, delta, 0);
}

namespace {

// A site that passed every check, with its slot taken and filled: the jump
// still to be written.
struct PlannedSite {
  uint64_t rip;  // the end of its syscall
  CodeLocation loc;
  CodePatch patch;
};

// Everything after shape_at for one site but the write: the checks, then a
// slot (taken for good: if the write fails, it stays unused). kRefuseCount:
// *out is ready to write. near: a location found a moment ago, whose object
// is searched first (a sweep's sites share one), or null. Under the lock.
RewriteRefusal plan_site(long nr, uint64_t rip, const SiteMatch& match, PlannedSite* out,
                         const CodeLocation* near = nullptr) {
  const SiteShape shape = match.shape;
  const uint64_t site = match.site;
  // A punned jmp keeps the byte after the site's first instruction: the xor's
  // (0x31) or the syscall's (0x0f).
  const bool punned = shape == kShapeDisplacedXor || shape == kShapeDisplacedDynamic;
  // The jmp rel32 ends at site + 5, or, for an entry-padded site, at the site
  // itself (it sits in the padding before).
  const uint64_t jmp_at = shape == kShapeEntryPadded ? site - 5 : site;
  const Reach reach{jmp_at + 5, punned, static_cast<uint8_t>(shape == kShapeDisplacedXor ? 0x31 : 0x0f)};
  const bool dynamic = shape == kShapeDynamic || shape == kShapeDisplacedDynamic || shape == kShapeDynamicImm ||
                       shape == kShapeXorR10Dynamic;
  CodeLocation loc;
  RewriteRefusal why = kRefuseCount;
  if (shape == kShapeNone) return kRefuseShape;
  if (!dynamic && !rewrite_number_allowed(nr)) return kRefuseNumber;
  if (!(near != nullptr && locate_near(*near, site, rip, &loc)) && !locate_code(g_rw.objects, site, rip, &loc)) {
    return kRefuseNoFunction;
  }
  if (loc.segment_flags != (kPfR | kPfX)) return kRefuseSegment;
  // Only at a function's entry are rax, rcx, r11 and the flags dead.
  if (shape == kShapeStcheck && loc.function_start != site) return kRefuseShape;
  if (shape == kShapeEntryPadded &&
      (loc.function_start != site || loc.previous_end == 0 || loc.previous_end > site - 5 ||
       site - 5 < loc.segment_start || !nop_padding(loc.previous_end, site))) {
    return kRefuseShape;  // the jmp rel32 needs 5 bytes of padding no function owns
  }
  why = function_check(&g_scan, loc.function_start, loc.function_end, site, match.length, match.changed_end);
  if (why != kRefuseCount) return why;
  Block* block = block_near(reach, loc);
  if (block == nullptr) return load_relaxed(&g_rw.enabled) != 0 ? kRefuseNoSlot : kRefuseDisabled;
  const uint64_t index = block->used;
  block->used = static_cast<uint32_t>(index + 1);
  Slot* slot = reinterpret_cast<Slot*>(block->code + kBlockCodeBytes) + index;
  slot->nr = static_cast<uint64_t>(nr);
  slot->emulated = emulated_on_trampoline(nr) ? 1 : 0;
  slot->ret = rip;
  slot->site = site;
  slot->flag = 0;
  slot->taken = 0;
  slot->entry = addr(&sysgate_tramp_entry);
  if (shape == kShapeStcheck) {
    int32_t disp;
    copy_bytes(&disp, reinterpret_cast<const void*>(site + 2), 4);
    slot->flag = site + 7 + static_cast<uint64_t>(static_cast<int64_t>(disp));
    const int8_t rel = static_cast<int8_t>(reinterpret_cast<const uint8_t*>(site)[8]);
    slot->taken = site + 9 + static_cast<uint64_t>(static_cast<int64_t>(rel));
    slot->entry = addr(&sysgate_tramp_entry_stcheck);
  }
  if (shape == kShapeMovDisplaced) slot->entry = addr(sysgate_tramp_displaced) + 16 * match.displaced;
  if (shape == kShapeDisplacedXor) slot->entry = addr(sysgate_tramp_displaced_xor) + 16 * match.displaced;
  if (dynamic) {
    slot->entry = shape == kShapeDynamic          ? addr(&sysgate_tramp_dynamic)
                  : shape == kShapeXorR10Dynamic ? addr(sysgate_tramp_xor_r10_mov) + 16 * match.displaced
                                                 : addr(sysgate_tramp_displaced_dynamic) + 16 * match.displaced;
    if (shape == kShapeDynamicImm) {
      uint32_t value;
      copy_bytes(&value, reinterpret_cast<const void*>(site + 1), 4);
      slot->imm = value;
      slot->entry = match.displaced == 0xba   ? addr(&sysgate_tramp_imm_edx)
                    : match.displaced == 0xbe ? addr(&sysgate_tramp_imm_esi)
                                              : addr(&sysgate_tramp_imm_edi);
    }
    slot->emulated = 0;  // emulated calls are not in sysgate_rewrite_dynamic_ok: they trap
  }
  const uint64_t slot_code = block->code + index * kSlotCodeBytes;
  out->rip = rip;
  out->loc = loc;
  out->patch.at = jmp_at;
  jmp_to(jmp_at, slot_code, out->patch.bytes);
  out->patch.n = 5;
  if (shape == kShapeEntryPadded) {
    out->patch.bytes[5] = 0xeb;  // jmp .-5: back to the jmp rel32 in the padding
    out->patch.bytes[6] = 0xf9;
    out->patch.n = 7;
  }
  return kRefuseCount;
}

// A planned site's jump is in place: it counts as rewritten.
void planned_site_written(const PlannedSite& p) {
  remember(p.rip);
  __atomic_fetch_add(&g_rw.rewritten, 1, __ATOMIC_RELAXED);
}

// One site: plan it, write its jump. kRefuseCount: rewritten (and
// remembered). Under the lock.
RewriteRefusal rewrite_site(long nr, uint64_t rip, const SiteMatch& match) {
  PlannedSite p;
  RewriteRefusal why = plan_site(nr, rip, match, &p);
  if (why != kRefuseCount) return why;
  why = patch(p.patch.at, p.patch.bytes, p.patch.n, rip, p.loc);
  if (why == kRefuseCount) planned_site_written(p);
  return why;
}

// The number a site's own bytes load into eax before its syscall (ending at
// rip): a mov's immediate, 0 for `xor %eax,%eax`, -1 when it comes from
// elsewhere (the dynamic shapes, which check it per call). b: 11 readable
// bytes before rip.
long number_in_bytes(const uint8_t* b) {
  uint32_t imm;
  if (b[4] == 0xb8) {  // mov $nr,%eax; syscall
    copy_bytes(&imm, b + 5, 4);
    return imm;
  }
  if (b[7] == 0x31 && b[8] == 0xc0) return 0;  // xor %eax,%eax; syscall
  if (b[0] == 0xb8) {  // mov $nr,%eax; D; syscall
    copy_bytes(&imm, b + 1, 4);
    return imm;
  }
  return -1;
}

// A page's first trapped site: the other syscall sites on that page are
// rewritten too, before their first call, instead of each costing a trap and
// a patch of its own. Each passes exactly the checks a trapped site does;
// shape_at's number comes from the site's own bytes. A site this refuses is
// not counted or remembered: if it ever traps, the trap path judges it again
// and counts it. With one thread each jump is a store through the page's view
// (the page's first patch replaced it); with more, where a store could change
// bytes another thread is decoding, the page is replaced once with all of
// them (then only jumps that lie inside the page). Under the lock.
// The offset o in [from, kPageBytes - 1) of the next `0f 05` on the page, or
// kPageBytes - 1 (a page is scanned per sweep). Eight bytes are looked at a
// time, seven positions judged: 0x0f alone is too common in code (two-byte
// opcodes) to skip words by, the pair is rare.
uint64_t next_syscall_bytes(const uint8_t* code, uint64_t from) {
  constexpr uint64_t kLow7 = 0x7f7f7f7f7f7f7f7full;
  // 0x80 in exactly the bytes of x that are zero.
  const auto zero_bytes_of = [](uint64_t x) { return ~(((x & kLow7) + kLow7) | x | kLow7); };
  uint64_t o = from;
  for (; o + 8 <= kPageBytes; o += 7) {
    uint64_t word;
    __builtin_memcpy(&word, code + o, 8);
    const uint64_t escapes = zero_bytes_of(word ^ 0x0f0f0f0f0f0f0f0full);
    const uint64_t fives = zero_bytes_of(word ^ 0x0505050505050505ull);
    const uint64_t pairs = escapes & (fives >> 8);  // byte i is 0x0f, byte i + 1 is 0x05
    if (pairs != 0) return o + static_cast<uint64_t>(__builtin_ctzll(pairs)) / 8;
  }
  for (; o + 1 < kPageBytes; ++o) {
    if (code[o] == 0x0f && code[o + 1] == 0x05) return o;
  }
  return kPageBytes - 1;
}

void sweep_page(uint64_t page) {
  if (g_rw.swept.contains(page) || g_rw.alias_error != 0 || page < kPageBytes) return;
  // The dynamic linker may be adding the object the page belongs to: sweep
  // it at a later trap, once locate_code can find it.
  if (!loaded_objects_settled(g_rw.objects)) return;
  g_rw.swept.insert(page);
  const bool stores = sole_thread();
  constexpr uint32_t kBatch = 64;  // more sites on one page wait for their own trap
  PlannedSite planned[kBatch];
  CodePatch patches[kBatch];
  uint32_t count = 0;
  PlannedSite one;
  const CodeLocation* near = nullptr;
  const uint8_t* code = reinterpret_cast<const uint8_t*>(page);
  for (uint64_t o = next_syscall_bytes(code, 0); o + 1 < kPageBytes && count < kBatch;
       o = next_syscall_bytes(code, o + 1)) {
    const uint64_t rip = page + o + 2;
    if (seen(rip)) continue;
    if (o < 13 && !app_probe_read(rip - 13, 13 - o)) continue;  // shape_at reads up to 13 bytes back
    const long nr = number_in_bytes(reinterpret_cast<const uint8_t*>(rip - 11));
    const SiteMatch match = shape_at(rip, nr);
    if (match.shape == kShapeNone) continue;
    if (stores) {
      if (plan_site(nr, rip, match, &one, near) != kRefuseCount) continue;
      near = &one.loc;
      if (patch(one.patch.at, one.patch.bytes, one.patch.n, rip, one.loc) != kRefuseCount) continue;
      planned_site_written(one);
      __atomic_fetch_add(&g_rw.swept_sites, 1, __ATOMIC_RELAXED);
    } else {
      const uint64_t jmp_at = match.shape == kShapeEntryPadded ? match.site - 5 : match.site;
      const uint64_t jmp_end = jmp_at + (match.shape == kShapeEntryPadded ? 7 : 5);
      if (jmp_at < page || jmp_end > page + kPageBytes) continue;
      if (plan_site(nr, rip, match, &planned[count], near) != kRefuseCount) continue;
      near = &planned[count].loc;
      patches[count] = planned[count].patch;
      ++count;
    }
    if (load_relaxed(&g_rw.enabled) == 0) return;
  }
  if (count == 0) return;
  long error = 0;
  if (code_alias_replace_page(page, patches, count, &error) != kAliasDone) {
    g_rw.alias_error = static_cast<int32_t>(error);  // patch() moves on to mremap
    return;
  }
  for (uint32_t i = 0; i < count; ++i) planned_site_written(planned[i]);
  __atomic_fetch_add(&g_rw.swept_sites, count, __ATOMIC_RELAXED);
}

}  // namespace

void rewrite_after_trap(long nr, uint64_t rip) {
  if (load_acquire(&g_rw.enabled) == 0 || load_relaxed(&sysgate_rewrite_fallback) != 0) return;
  if (rip < kPageBytes + 13) return;
  // Sites are remembered by the address after their syscall.
  if (seen(rip)) return;
  // The bytes before rip: the syscall's page is mapped if it just ran, but a
  // SIGSYS the program forged to itself names any address (a review's
  // 0x1234 crashed the gate here); the mov may start on the page before.
  if (!app_probe_read(rip - 7, 7)) return;
  lock();
  if (seen(rip) || load_relaxed(&g_rw.enabled) == 0) {
    unlock();
    return;
  }
  const SiteMatch match = shape_at(rip, nr);
  RewriteRefusal why = rewrite_site(nr, rip, match);
  if (match.shape == kShapeNone) {
    // Already a jump of ours (a fallback, or a branch straight to the syscall): not a refusal.
    const uint8_t* b = reinterpret_cast<const uint8_t*>(rip - 7);
    if (b[0] == 0xe9) {
      remember(rip);
      why = kRefuseCount;
    }
  }
  if (why != kRefuseCount) refuse(rip, why);
  if ((g_gate.flags & kGateSweepPages) != 0) {
    const uint64_t p = (rip - 2) & ~(kPageBytes - 1);
    sweep_page(p);
    if (app_probe_read(p + kPageBytes, 1)) sweep_page(p + kPageBytes);
    if (app_probe_read(p - kPageBytes, 1)) sweep_page(p - kPageBytes);
  }
  unlock();
}

void rewrite_set_report(int fd) { g_rw_report = fd + 1; }

bool rewrite_clone_begin(uint64_t flags) {
  if ((flags & CLONE_VM) != 0) {
    __atomic_fetch_add(&g_rw.sharers, 1, __ATOMIC_ACQ_REL);  // counted before it can run
    return false;
  }
  if (load_acquire(&g_rw.enabled) == 0 && g_rw.rewritten == 0) return false;
  lock();  // the copy gets no half-made patch
  return true;
}

void rewrite_clone_end(uint64_t flags, long result, bool locked) {
  if ((flags & CLONE_VM) != 0) {
    // A vfork child has exec'd or exited by now.
    if (result < 0 || (flags & CLONE_VFORK) != 0) __atomic_fetch_sub(&g_rw.sharers, 1, __ATOMIC_ACQ_REL);
    return;
  }
  if (!locked) return;
  if (result >= 0) code_alias_forked(false);
  unlock();
}

void rewrite_unknown_thread() { store_release(&g_rw.sharers_exact, 0u); }

void rewrite_thread_exits(GateThread* t, bool whole_process) {
  // A vfork child's state (unmap_on_exit 0) was never counted: its parent uncounts it.
  if (!whole_process && t->unmap_on_exit != 0) __atomic_fetch_sub(&g_rw.sharers, 1, __ATOMIC_ACQ_REL);
  __atomic_fetch_add(&g_rw_calls[0], t->tramp_calls, __ATOMIC_RELAXED);
  __atomic_fetch_add(&g_rw_calls[1], t->trap_calls, __ATOMIC_RELAXED);
  t->tramp_calls = 0;
  t->trap_calls = 0;
  if (!whole_process) return;
  rewrite_trace_counts(t);
  if (g_rw_report == 0) return;
  // "sysgate-gate: pid P: rewrite: sites S refused R0/R1/...; calls: trampoline T trap X"
  char line[320];
  uint64_t n = 0;
  auto put = [&](const char* s) {
    while (*s != '\0' && n + 1 < sizeof line) line[n++] = *s++;
  };
  auto put_num = [&](uint64_t v) {
    char d[24];
    int k = 0;
    do {
      d[k++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (k > 0 && n + 1 < sizeof line) line[n++] = d[--k];
  };
  put("sysgate-gate: pid ");
  put_num(static_cast<uint64_t>(t->pid));
  put(": rewrite: sites ");
  put_num(g_rw.rewritten);
  put(" refused");
  static const char kNames[kRefuseCount][14] = {" shape ", " number ", " nofunction ", " segment ", " decode ",
                                                    " branch ", " noslot ", " patch ", " disabled "};
  for (uint32_t i = 0; i < kRefuseCount; ++i) {
    put(kNames[i]);
    put_num(g_rw.refused[i]);
  }
  put("; calls: trampoline ");
  put_num(g_rw_calls[0]);
  put(" trap ");
  put_num(g_rw_calls[1]);
  put("\n");
  raw_syscall(__NR_write, static_cast<uint64_t>(g_rw_report - 1), addr(line), n);
}

void rewrite_stats(RewriteStats* out) {
  out->enabled = load_acquire(&g_rw.enabled);
  out->fallback = load_acquire(&sysgate_rewrite_fallback);
  out->disabled_error = g_rw.disabled_error;
  out->blocks = load_acquire(&g_rw.block_count);
  out->sites_rewritten = load_relaxed(&g_rw.rewritten);
  out->sites_swept = load_relaxed(&g_rw.swept_sites);
  for (uint32_t i = 0; i < kRefuseCount; ++i) out->refused[i] = load_relaxed(&g_rw.refused[i]);
  const AliasCounts alias = code_alias_counts();
  out->pages_replaced = alias.replaced;
  out->patches_stored = alias.stored;
  out->alias_error = g_rw.alias_error;
  out->sole_thread = sole_thread() ? 1 : 0;
}

bool rewrite_in_slot_code(uint64_t ip) {
  const uint32_t count = load_acquire(&g_rw.block_count);
  for (uint32_t i = 0; i < count; ++i) {
    if (ip - g_rw.blocks[i].code < kBlockCodeBytes) return true;
  }
  return false;
}

extern "C" char sysgate_tramp_fast_return[] __attribute__((visibility("hidden")));

uint64_t rewrite_fast_path_resume_ip(const GateThread* t, uint64_t rsp) {
  // [rsp]: the return address of the fast path's call; [rsp + 8]: its slot.
  auto within = [&](uint64_t base, uint64_t bytes) { return base != 0 && rsp >= base && rsp + 16 <= base + bytes; };
  if (!within(addr(t->stack), t->stack_bytes) && !within(t->app_altstack.sp, t->app_altstack.size)) return 0;
  const uint64_t* frame = reinterpret_cast<const uint64_t*>(rsp);
  if (frame[0] != addr(sysgate_tramp_fast_return)) return 0;
  const Slot* slot = reinterpret_cast<const Slot*>(frame[1]);
  return slot != nullptr ? slot->ret : 0;
}

// The trampolines' C++ path (trampoline.S), taken while tracing or with the
// interposer's hooks: the call (through the hooks, if any), then its record, as
// the trap path writes it. Runs on the gate stack with the program's signal mask.
struct TrampFrame {
  uint64_t nr;  // the slot's, or rax for a dynamic site
  uint64_t r9, r8, r10, rdx, rsi, rdi;
  uint64_t rbx, rbp, r12, r13, r14, r15;  // the program's, as they are
  const Slot* slot;
  uint64_t rflags;
  uint64_t program_rsp;  // at the site (it jumped here: nothing pushed)
};
// ProgramPlace::callee_saved points at rbx: rflags is its eighth word.
static_assert(offsetof(TrampFrame, rflags) - offsetof(TrampFrame, rbx) == 7 * 8);

// The program's call, as sysgate_gate_program_syscall makes it: not while a
// signal is deferred (deferred_signal.h).
long program_syscall(long nr, const uint64_t args[6]) {
  return sysgate_gate_program_syscall(nr, static_cast<long>(args[0]), static_cast<long>(args[1]),
                                      static_cast<long>(args[2]), static_cast<long>(args[3]),
                                      static_cast<long>(args[4]), static_cast<long>(args[5]));
}

extern "C" __attribute__((visibility("hidden"))) long sysgate_tramp_traced(const TrampFrame* f, GateThread* t) {
  // Where the program is, for a handler of its own that interrupts the call
  // (moved_handler.h): rbx, rbp, r12-r15 are consecutive in the frame.
  const ProgramPlaceScope place(t, f->program_rsp, &f->rbx, f->slot->ret);
  const long nr = static_cast<long>(f->nr);
  uint64_t args[6] = {f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9};
  uint32_t record_flags = 0;
  const uint64_t enter_tsc = call_enter_tsc(t);  // trace -T
  const uint64_t ip = f->slot->ret;              // trace -i: after the site's syscall
  const uint64_t outer_ip = t->call_ip;
  // trace -k: where an unwinder starts (set for this call, the outer one's back after).
  CallRegisters registers;
  const CallRegisters* const outer_registers = t->call_registers;
  if (g_gate.region.stack_bytes != 0) {
    registers.registers.rip = ip;
    registers.registers.rsp = f->program_rsp;
    registers.registers.rbp = f->rbp;
    registers.registers.rbx = f->rbx;
    registers.registers.r12 = f->r12;
    registers.registers.r13 = f->r13;
    registers.registers.r14 = f->r14;
    registers.registers.r15 = f->r15;
    registers.outer = outer_registers;
    t->call_registers = &registers;
  }
  const CallRegistersRestore restore_registers{t, outer_registers};
  const InjectStep inject = inject_enter(t, nr);  // trace -e inject=
  const uint64_t before = call_before(nr, args);   // an in/out length the call overwrites
  CallSnapshot snapshot;                            // structs the call overwrites (select's fd sets)
  call_snapshot(nr, args, &snapshot);
  if (inject.returns()) {
    const long ret = inject.rule->ret;
    trace_syscall(t, trace::kRecordSyscall, inject.record_flags(), nr, args, ret, enter_tsc, ip, before, &snapshot);
    inject_exit(t, inject);
    return ret;
  }
  t->call_ip = ip;
  if (f->slot->emulated != 0) {
    // rt_sigaction (signals.h): its emulation takes locks the SIGSYS handler
    // holds with every signal blocked; here too, around it. The readlink of
    // /proc/self/exe (exe_link.h) probes the program's memory as it does there.
    uint64_t all = arch::kAllSignals;
    uint64_t program_mask = 0;
    raw_syscall(__NR_rt_sigprocmask, SIG_SETMASK, addr(&all), addr(&program_mask), 8);
    Call call;
    call.pending = nullptr;
    call.nr = nr;
    for (int i = 0; i < 6; ++i) call.args[i] = args[i];
    call.record_flags = 0;
    call.recorded = false;
    call.ip = ip;
    long ret = 0;
    bool done = false;
    if (nr == __NR_rt_sigaction) {
      ret = emulate_rt_sigaction(t, call);
      done = true;
    } else if (nr == __NR_close_range) {
      done = close_range_covers_protected(args);
      if (done) ret = emulate_close_range(args);
    } else {
      done = emulate_exe_link(t, call, &ret);
    }
    raw_syscall(__NR_rt_sigprocmask, SIG_SETMASK, addr(&program_mask), 0, 8);
    if (done) {
      t->call_ip = outer_ip;
      trace_syscall(t, trace::kRecordSyscall, static_cast<uint16_t>(call.record_flags | inject.record_flags()), nr, args, ret, enter_tsc, ip);
      inject_exit(t, inject);
      return ret;
    }
    record_flags = call.record_flags;
  }
  long ret;
  PendingCall pending;
  pending.recorded = 0;
  // Blocked until the record is out: a quiet signal's observer must not end
  // the call with EINTR (signals.h), and its line comes after the call's.
  const bool quiet_prone = nr >= 0 && nr < 512 && (g_quiet_prone[nr / 64] >> (nr % 64) & 1) != 0;
  const uint64_t quiet = quiet_prone ? quiet_signals_during(nr, args) : 0;
  uint64_t program_mask = 0;
  const uint64_t outer_added = t->quiet_added;
  const ProgramPlace* const outer_quiet_place = t->quiet_place;
  if (quiet != 0) {
    raw_syscall(__NR_rt_sigprocmask, SIG_BLOCK, addr(&quiet), addr(&program_mask), 8);
    t->quiet_added = quiet & ~program_mask;
    t->quiet_place = t->program_place;
  }
  if ((g_gate.flags & kGateHooks) != 0) {
    ret = hooked_call(nr, args);
  } else if ((nr >= 0 && nr < 512 && (g_signal_prone[nr / 64] >> (nr % 64) & 1) == 0) || !signal_prone(nr, args)) {
    ret = program_syscall(nr, args);
  } else {
    // A program signal arriving as the call returns writes its record first
    // (trace_emit.h, PendingCall). Saved and restored: a handler that
    // interrupted an outer call's trampoline may be making this one.
    pending.set(t, static_cast<uint16_t>(record_flags | inject.record_flags()), nr, args, enter_tsc, ip, before,
                &snapshot, 0);
    PendingCall* const outer_pending = t->pending_call;
    t->pending_call = &pending;  // sysgate_gate_syscall is opaque: stored before it, reloaded after
    OpenCallMark open;
    open_call_begin(t, nr, args, &open);
    ret = program_syscall(nr, args);
    open_call_end(t, open);
    t->pending_call = outer_pending;
  }
  t->call_ip = outer_ip;
  // A deferred signal stopped the call before it was made: the trampoline
  // delivers it at the site's syscall, which the program then makes again
  // (and -e inject= counts then).
  const bool not_made = static_cast<uint64_t>(ret) == kCallNotMade;
  if (not_made) {
    t->deferred_call_nr = static_cast<uint64_t>(nr);
    pending.recorded = 1;
  }
  if (pending.recorded == 0) {
    trace_syscall(t, trace::kRecordSyscall, static_cast<uint16_t>(record_flags | inject.record_flags()), nr, args, ret,
                  enter_tsc, ip, before, &snapshot);
  }
  if (quiet != 0) {
    t->call_ip = ip;  // a signal let through here is shown at the call's site (trace -i)
    t->quiet_added = outer_added;
    t->quiet_place = outer_quiet_place;
    raw_syscall(__NR_rt_sigprocmask, SIG_SETMASK, addr(&program_mask), 0, 8);
    t->call_ip = outer_ip;
  }
  if (not_made) {
    inject_uncount(t, nr);
    return ret;
  }
  inject_exit(t, inject);
  return ret;
}

}  // namespace sysgate::gate
