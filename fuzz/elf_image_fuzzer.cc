// libFuzzer target: untrusted ELF header bytes -> load plan or error.
// Any input must give a valid plan or an error with a message: no crash, no
// read outside the input, no plan that breaks a promise of elf_image.h.
// Each input is tried as a whole file and as the head of a much larger file
// (so truncated real headers reach the segment checks).
#include <cstddef>
#include <cstdint>

#include "loader/elf_image.h"

namespace {

using namespace sysgate::loader;

void check_plan(const LoadPlan& p, uint64_t file_size) {
  if (p.segment_count == 0 || p.segment_count > kMaxPhnum) __builtin_trap();
  if (p.header.phnum == 0 || p.header.phnum > kMaxPhnum) __builtin_trap();
  if (p.align < kPageSize || p.align > kMaxAlign || (p.align & (p.align - 1)) != 0) __builtin_trap();
  if (p.end_page <= p.first_page || p.end_page - p.first_page > kMaxSpan || p.end_page > kUserAddressLimit) {
    __builtin_trap();
  }
  bool entry_found = false;
  for (size_t i = 0; i < p.segment_count; ++i) {
    const Segment& s = p.segments[i];
    if (s.memsz == 0 || s.filesz > s.memsz) __builtin_trap();
    if (s.filesz > file_size || s.offset > file_size - s.filesz) __builtin_trap();
    if ((s.vaddr - s.offset) % kPageSize != 0) __builtin_trap();
    if (s.vaddr < p.first_page || s.vaddr + s.memsz > p.end_page) __builtin_trap();
    if (i > 0) {
      const Segment& prev = p.segments[i - 1];
      if ((s.vaddr & ~(kPageSize - 1)) < ((prev.vaddr + prev.memsz + kPageSize - 1) & ~(kPageSize - 1))) {
        __builtin_trap();
      }
    }
    if ((s.prot & ~(kProtRead | kProtWrite | kProtExec)) != 0) __builtin_trap();
    if (p.header.entry >= s.vaddr && p.header.entry - s.vaddr < s.memsz) entry_found = true;
  }
  if (!entry_found) __builtin_trap();
  if (p.has_interp && (p.interp_size < 2 || p.interp_size > kMaxInterpPath || p.interp_offset > file_size ||
                       p.interp_size > file_size - p.interp_offset)) {
    __builtin_trap();
  }
}

void try_parse(const uint8_t* data, size_t size, uint64_t file_size) {
  LoadPlan plan;
  ElfStatus s = parse_elf_image(data, size, file_size, &plan);
  if (s.ok()) {
    check_plan(plan, file_size);
  } else if (elf_error_message(s.error)[0] == 0) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try_parse(data, size, size);
  try_parse(data, size, uint64_t{1} << 40);
  // The staged API on the header alone, as the loader calls it.
  ElfHeader h;
  if (parse_elf_header(data, size < kEhdrSize ? size : kEhdrSize, size, &h).ok() && h.phoff <= size &&
      h.phdr_bytes <= size - h.phoff) {
    LoadPlan plan;
    if (build_load_plan(h, data + h.phoff, h.phdr_bytes, size, &plan).ok()) check_plan(plan, size);
  }
  return 0;
}
