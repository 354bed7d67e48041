// Writing a patch into program code through a separate writable view (DESIGN
// invariant 5: "a patched page is written through a separate writable view or
// replaced whole"), for the site rewriter.
//
//   long error = 0;
//   switch (code_alias_write(site, jmp, 5, rewrite_sole_thread(), &error)) ...
//
// A code page's first patch replaces it whole: its bytes are copied into a page
// of a memfd, the patch is applied to the copy, and the copy is mapped over the
// original, R-X, MAP_PRIVATE|MAP_FIXED. An executor on another thread sees the
// old page or the new one, never a hole, never a writable page. The memfd stays
// mapped a second time, RW and MAP_SHARED, at an address only the gate keeps:
// the view. While the process has a single thread, later patches on that page
// are stores through the view: nothing executes the page meanwhile (the
// patching thread is in the SIGSYS handler, every signal blocked), and x86
// keeps instruction fetch coherent with stores to the same physical page. With
// more threads a patch replaces its page(s) whole again (a thread could be
// decoding the very bytes a store changes), and the copy it replaced is reused.
//
// Why: replacing a page costs one mmap (~5 us here) and a page copy; the
// mremap of a fresh anonymous copy this replaced cost 30-60 us a site, and a
// store costs nothing (docs/performance.md, "First hits").
//
// fork: parent and child then map the same memfd pages (a MAP_PRIVATE file page
// is the file's until written), so a store through either view would change
// both programs' code, and their trampoline slots differ. code_alias_forked
// forgets every view in both; their next patch on such a page replaces it
// again. The child also drops the parent's memfd and makes its own on demand.
// A program that made a viewed page writable and wrote it has its own private
// copy; the store through the view then does not show there, which
// code_alias_write sees (it reads the code back) and answers by replacing the
// page whole.
//
// The memfd is the process's own (MFD_CLOEXEC; sealed against shrinking,
// growing and execve). The program can reach it through its descriptor, and so
// write its own code, which it could do anyway (mprotect); the gate's and the
// loader's pages are never in it. Before each mmap the descriptor is checked
// (fstat) to still be the memfd: if the program closed or replaced it, a new
// memfd is made. (Between that check and the mmap, another thread could still
// swap the descriptor; the gate would then map that file over the code page:
// a program that closes descriptors it does not own while threads run breaks
// itself.)
//
// Only under the rewrite lock, inside the SIGSYS handler. Freestanding.
#pragma once

#include <stdint.h>

namespace sysgate::gate {

enum AliasResult {
  kAliasDone,
  // memfd_create, its view or the R-X mmap was refused (the policy, the
  // kernel); *error has the errno. Nothing changed: patch some other way.
  kAliasUnavailable,
};

// Writes bytes[0..n) at code address at (0 < n <= 8). The caller has checked
// that [at, at + n) lies in one R-X mapping of program code, whose pages are
// readable. sole_thread: no other thread runs in this address space.
AliasResult code_alias_write(uint64_t at, const uint8_t* bytes, uint32_t n, bool sole_thread, long* error);

// Several patches inside one code page, as one replacement of the page
// (whatever the number of threads): what a sweep writes while threads run.
struct CodePatch {
  uint64_t at;  // [at, at + n) inside the page
  uint32_t n;   // 0 < n <= 8
  uint8_t bytes[8];
};
AliasResult code_alias_replace_page(uint64_t page, const CodePatch* patches, uint32_t count, long* error);

// After a fork without CLONE_VM, in the parent (in_child false, under the
// rewrite lock held across the fork) and in the child.
void code_alias_forked(bool in_child);

// Pages replaced so far, and patches stored through a view (for tests and
// --rewrite-stats).
struct AliasCounts {
  uint64_t replaced;
  uint64_t stored;
};
AliasCounts code_alias_counts();

}  // namespace sysgate::gate
