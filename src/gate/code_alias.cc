#include "gate/code_alias.h"

#include <asm/errno.h>
#include <asm/stat.h>
#include <asm/unistd.h>
#include <linux/fcntl.h>
#include <linux/memfd.h>
#include <linux/mman.h>
#include <linux/resource.h>

#include "gate/raw_syscall.h"
#include "gate/thread_state.h"
#include "gate/util.h"

namespace sysgate::gate {
namespace {

#ifdef MFD_NOEXEC_SEAL
constexpr unsigned kMfdNoexecSeal = MFD_NOEXEC_SEAL;
#else
constexpr unsigned kMfdNoexecSeal = 0x0008u;  // Linux 6.3; older uapi headers lack it
#endif

// A memfd's size. Sparse: a page exists once written. When every page is
// used, the next replacement makes a new memfd.
constexpr uint32_t kMemfdPages = 1024;
// Code pages with a live view: enough for the start-up of python3 or node
// (tens of pages); a page past the table is replaced at each of its patches.
constexpr uint32_t kMaxViewed = 512;

struct Viewed {
  uint64_t code;  // the program's page
  uint8_t* view;  // the same bytes, RW
};

struct AliasState {
  int32_t fd;
  uint32_t fd_open;  // fd is the memfd (as of the last check)
  uint64_t dev, ino;  // its identity, for that check
  uint8_t* view;      // the memfd's kMemfdPages pages, RW, MAP_SHARED
  uint32_t next_page;  // pages [0, next_page) of the memfd are taken
  uint32_t viewed_count;
  Viewed viewed[kMaxViewed];
  AliasCounts counts;
};

constinit AliasState g_alias = {};

bool is_error(long r) { return r < 0 && r > -4096; }

bool fd_is_the_memfd() {
  if (g_alias.fd_open == 0) return false;
  struct stat st;
  if (raw_syscall(__NR_fstat, static_cast<uint64_t>(g_alias.fd), addr(&st)) != 0) return false;
  return st.st_dev == g_alias.dev && st.st_ino == g_alias.ino;
}

// Where the gate's descriptors go: as the monitor picks them (runner.cc), at
// or above 900, or 16 below the soft RLIMIT_NOFILE when that is lower.
uint64_t high_fd_floor() {
  struct {
    uint64_t cur, max;
  } nofile = {1024, 1024};
  raw_syscall(__NR_prlimit64, 0, RLIMIT_NOFILE, 0, addr(&nofile));
  if (nofile.cur >= 916) return 900;
  return nofile.cur > 64 ? nofile.cur - 16 : 32;
}

// A memfd with count free pages, and its view: the current one, or a new one
// (the old view stays mapped: pages of it may be code). 0 or -errno.
long memfd_with_room(uint32_t count) {
  const bool ours = fd_is_the_memfd();
  if (ours && g_alias.next_page + count <= kMemfdPages) return 0;
  // A descriptor the program closed or replaced is not ours to close.
  if (ours) raw_syscall(__NR_close, static_cast<uint64_t>(g_alias.fd));
  g_alias.fd_open = 0;
  static const char kName[] = "sysgate-code";
  long low = raw_syscall(__NR_memfd_create, addr(kName), MFD_CLOEXEC | MFD_ALLOW_SEALING | kMfdNoexecSeal);
  if (low == -EINVAL) low = raw_syscall(__NR_memfd_create, addr(kName), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (is_error(low)) return low;
  // Out of the way of the program's own numbering, which must stay what it
  // would be natively: high, as the monitor places the gate's other fds.
  const long fd = raw_syscall(__NR_fcntl, static_cast<uint64_t>(low), F_DUPFD_CLOEXEC, high_fd_floor());
  raw_syscall(__NR_close, static_cast<uint64_t>(low));
  if (is_error(fd)) return fd;
  const uint64_t bytes = uint64_t{kMemfdPages} * kPageBytes;
  long r = raw_syscall(__NR_ftruncate, static_cast<uint64_t>(fd), bytes);
  if (r == 0) {
    r = raw_syscall(__NR_fcntl, static_cast<uint64_t>(fd), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
  }
  long view = 0;
  if (r == 0) {
    view = raw_syscall(__NR_mmap, 0, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, static_cast<uint64_t>(fd), 0);
    if (is_error(view)) r = view;
  }
  struct stat st;
  if (r == 0) r = raw_syscall(__NR_fstat, static_cast<uint64_t>(fd), addr(&st));
  if (r != 0) {
    if (view != 0 && !is_error(view)) raw_syscall(__NR_munmap, static_cast<uint64_t>(view), bytes);
    raw_syscall(__NR_close, static_cast<uint64_t>(fd));
    return r;
  }
  g_alias.fd = static_cast<int32_t>(fd);
  g_alias.fd_open = 1;
  g_alias.dev = st.st_dev;
  g_alias.ino = st.st_ino;
  g_alias.view = reinterpret_cast<uint8_t*>(view);
  g_alias.next_page = 0;
  return 0;
}

Viewed* find(uint64_t page) {
  for (uint32_t i = 0; i < g_alias.viewed_count; ++i) {
    if (g_alias.viewed[i].code == page) return &g_alias.viewed[i];
  }
  return nullptr;
}

// Single thread: the patch as stores through the views of its page(s). False
// (maybe with some bytes stored) when a page has no view, or the code does not
// show the stores (the program wrote the page itself: it has a private copy).
bool store_through_views(uint64_t first, uint32_t count, uint64_t at, const uint8_t* bytes, uint32_t n) {
  Viewed* views[2] = {find(first), count == 2 ? find(first + kPageBytes) : nullptr};
  if (views[0] == nullptr || (count == 2 && views[1] == nullptr)) return false;
  for (uint32_t i = 0; i < n; ++i) {
    const uint64_t a = at + i;
    views[(a - first) / kPageBytes]->view[a & (kPageBytes - 1)] = bytes[i];
  }
  const volatile uint8_t* code = reinterpret_cast<const volatile uint8_t*>(at);
  for (uint32_t i = 0; i < n; ++i) {
    if (code[i] != bytes[i]) return false;
  }
  return true;
}

// Copies the code page(s) into fresh memfd pages, applies the patches there and
// maps the copy over the code in one mmap: atomic for every other thread.
AliasResult replace(uint64_t first, uint32_t count, const CodePatch* patches, uint32_t npatches, long* error) {
  const long r = memfd_with_room(count);
  if (r != 0) {
    *error = r;
    return kAliasUnavailable;
  }
  const uint32_t index = g_alias.next_page;
  uint8_t* copy = g_alias.view + uint64_t{index} * kPageBytes;
  copy_bytes(copy, reinterpret_cast<const void*>(first), count * kPageBytes);
  for (uint32_t i = 0; i < npatches; ++i) copy_bytes(copy + (patches[i].at - first), patches[i].bytes, patches[i].n);
  const long m = raw_syscall(__NR_mmap, first, count * kPageBytes, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED,
                             static_cast<uint64_t>(g_alias.fd), uint64_t{index} * kPageBytes);
  if (is_error(m)) {
    *error = m;
    return kAliasUnavailable;
  }
  // The copy's pages are taken for good: nothing tells whether the program
  // moved a page the gate replaced (mremap), so none is ever reused.
  g_alias.next_page = index + count;
  for (uint32_t k = 0; k < count; ++k) {
    const uint64_t page = first + k * kPageBytes;
    Viewed* v = find(page);
    if (v == nullptr && g_alias.viewed_count < kMaxViewed) v = &g_alias.viewed[g_alias.viewed_count++];
    if (v != nullptr) {
      v->code = page;
      v->view = copy + k * kPageBytes;
    }
  }
  ++g_alias.counts.replaced;
  return kAliasDone;
}

}  // namespace

AliasResult code_alias_write(uint64_t at, const uint8_t* bytes, uint32_t n, bool sole_thread, long* error) {
  const uint64_t first = at & ~(kPageBytes - 1);
  const uint32_t count = ((at + n - 1) & ~(kPageBytes - 1)) == first ? 1 : 2;
  if (sole_thread && store_through_views(first, count, at, bytes, n)) {
    ++g_alias.counts.stored;
    return kAliasDone;
  }
  CodePatch patch;
  patch.at = at;
  patch.n = n;
  copy_bytes(patch.bytes, bytes, n);
  return replace(first, count, &patch, 1, error);
}

AliasResult code_alias_replace_page(uint64_t page, const CodePatch* patches, uint32_t count, long* error) {
  return replace(page, 1, patches, count, error);
}

void code_alias_forked(bool in_child) {
  // Each process's next patch on a page both map replaces it (code_alias.h).
  g_alias.viewed_count = 0;
  if (!in_child) return;
  // The parent's memfd: it allocates from it, so this process must not.
  if (g_alias.view != nullptr) {
    raw_syscall(__NR_munmap, addr(g_alias.view), uint64_t{kMemfdPages} * kPageBytes);
  }
  if (fd_is_the_memfd()) raw_syscall(__NR_close, static_cast<uint64_t>(g_alias.fd));
  g_alias.fd_open = 0;
  g_alias.view = nullptr;
  g_alias.next_page = 0;
  g_alias.counts = AliasCounts{};
}

AliasCounts code_alias_counts() { return g_alias.counts; }

}  // namespace sysgate::gate
