// Mapping a validated image into the address space.
//
//   MappedImage m = map_image(prog.fd, prog.plan, "/bin/ls");
//   // m.bias + p_vaddr is where each segment now lives; m.entry is relocated.
//
// The whole span [first_page, end_page) is reserved first with one PROT_NONE
// mapping — at its fixed address for ET_EXEC (MAP_FIXED_NOREPLACE: an image
// that would overlap the loader, the stack, the vDSO or another image is
// refused, never clobbered), anywhere for ET_DYN (aligned to plan.align) —
// and every segment is then mapped MAP_FIXED inside it, so nothing outside
// the reservation is ever replaced. Holes between segments stay PROT_NONE.
//
// Segments get exactly the protections they ask for and are never writable
// and executable at once: a partial last file page followed by bss is filled
// through an anonymous read-write page (pread, then mprotect to the final
// protection), so the loader never writes to a file-backed page and never
// faults on a file that shrank under it.
//
// Failures die (exit 127) naming `name`. Loader-only (raw syscalls).
#pragma once

#include <stdint.h>

#include "loader/elf_image.h"

namespace sysgate::loader {

struct MappedImage {
  uint64_t bias = 0;   // added to every p_vaddr: 0 for ET_EXEC
  uint64_t start = 0;  // bias + first_page
  uint64_t end = 0;    // bias + end_page
  uint64_t entry = 0;  // bias + e_entry
  uint64_t phdr = 0;   // bias + phdr_vaddr, or 0 when the table is not in the image
};

MappedImage map_image(int fd, const LoadPlan& plan, const char* name);

// Makes the process stack executable (PT_GNU_STACK with PF_X), as the kernel
// would have: mprotect with PROT_GROWSDOWN from the page holding `sp`.
void make_stack_executable(const void* sp, const char* name);

}  // namespace sysgate::loader
