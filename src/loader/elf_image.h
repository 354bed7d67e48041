// ELF image validation: turns the untrusted header bytes of an x86-64 program
// or interpreter into a load plan the mapper can follow without further checks.
//
//   ElfHeader h;
//   ElfStatus s = parse_elf_header(head, head_len, file_size, &h);   // first >= 64 bytes
//   if (s.ok()) s = build_load_plan(h, phdr_bytes, h.phdr_bytes, file_size, &plan);
//   if (s.ok() && plan.has_interp) s = check_interp_path(interp_bytes, plan.interp_size);
//   if (!s.ok()) report(elf_error_message(s.error), s.phdr_index);
//
// or, when the buffer holds the header, the program headers and the PT_INTERP
// bytes (tests, the fuzzer): parse_elf_image(data, len, file_size, &plan).
//
// Pure: no syscalls, no libc, no globals, no allocation; every function is
// thread-safe and async-signal-safe. It compiles into the freestanding loader
// and into host tests and the fuzzer. Every field read is bounds-checked
// against the buffer, every offset against file_size, every sum for overflow.
//
// What a valid plan guarantees (the mapper relies on each):
//  - ELF64, little-endian, EV_CURRENT, x86-64, ET_EXEC or ET_DYN;
//  - 1..kMaxPhnum program headers of exactly 56 bytes, inside the file;
//  - 1..kMaxPhnum PT_LOAD segments with p_memsz > 0 (empty ones are dropped),
//    sorted by p_vaddr, whose page-rounded ranges do not overlap;
//  - p_filesz <= p_memsz, p_offset + p_filesz <= file_size,
//    p_vaddr == p_offset (mod kPageSize), p_vaddr + p_memsz <= kUserAddressLimit;
//  - end_page - first_page <= kMaxSpan; an ET_EXEC's first_page >=
//    kMinFixedAddress; align is a power of two in
//    [kPageSize, kMaxAlign];
//  - e_entry lies inside a PT_LOAD segment's memory;
//  - at most one PT_INTERP, 2..kMaxInterpPath bytes, inside the file
//    (check_interp_path then proves it NUL-terminated and non-empty).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace sysgate::loader {

inline constexpr uint64_t kPageSize = 4096;
inline constexpr size_t kEhdrSize = 64;
inline constexpr size_t kPhdrSize = 56;
// The kernel refuses program header tables larger than one page; so do we.
inline constexpr size_t kMaxPhdrTableBytes = 4096;
inline constexpr size_t kMaxPhnum = kMaxPhdrTableBytes / kPhdrSize;  // 73
inline constexpr size_t kMaxInterpPath = 4096;                       // PATH_MAX, NUL included
// Largest address range one image may span (bss included): 64 GiB.
inline constexpr uint64_t kMaxSpan = uint64_t{1} << 36;
// Largest placement alignment honoured for ET_DYN (p_align); larger ones are refused.
inline constexpr uint64_t kMaxAlign = uint64_t{1} << 30;
// Lowest address an ET_EXEC image may start at: page zero and its
// neighbourhood stay unmapped (NULL dereferences fault) even for root, who
// is exempt from vm.mmap_min_addr. Debian's mmap_min_addr is the same 64 KiB.
inline constexpr uint64_t kMinFixedAddress = 0x10000;
// Top of the 47-bit x86-64 user address space (TASK_SIZE_MAX): no segment ends above it.
inline constexpr uint64_t kUserAddressLimit = 0x00007ffffffff000;

// Segment protections, bit-compatible with the kernel's PROT_READ/WRITE/EXEC.
inline constexpr uint32_t kProtRead = 1;
inline constexpr uint32_t kProtWrite = 2;
inline constexpr uint32_t kProtExec = 4;

enum class ElfError : uint8_t {
  kOk = 0,
  kTruncatedHeader,      // fewer than 64 bytes
  kBadMagic,             // not \x7fELF
  kBadClass,             // not ELFCLASS64
  kBadEndian,            // not little-endian
  kBadVersion,           // EI_VERSION or e_version not EV_CURRENT
  kBadType,              // neither ET_EXEC nor ET_DYN
  kBadMachine,           // not EM_X86_64
  kBadPhentsize,         // e_phentsize != 56
  kBadPhnum,             // 0 or more than kMaxPhnum program headers
  kPhdrsOutOfFile,       // e_phoff + table size beyond the file (or wraps)
  kNotInBuffer,          // parse_elf_image only: headers or interp not in the buffer given
  kBadPhdrBuffer,        // build_load_plan called with a buffer of the wrong size
  kNoLoadSegment,        // no PT_LOAD with p_memsz > 0
  kFileszExceedsMemsz,   // p_filesz > p_memsz
  kSegmentOutOfFile,     // p_offset + p_filesz beyond the file (or wraps)
  kMisalignedSegment,    // p_offset and p_vaddr differ mod kPageSize
  kAddressWrap,          // p_vaddr + p_memsz wraps or ends above kUserAddressLimit
  kUnsortedSegments,     // PT_LOAD not in ascending p_vaddr order
  kOverlappingSegments,  // two PT_LOAD share a page
  kSpanTooLarge,         // image spans more than kMaxSpan
  kLowAddress,           // ET_EXEC image starts below kMinFixedAddress
  kBadAlign,             // p_align is a power of two above kMaxAlign
  kEntryOutsideImage,    // e_entry not inside any PT_LOAD
  kMultipleInterp,       // more than one PT_INTERP
  kBadInterpSize,        // PT_INTERP p_filesz < 2 or > kMaxInterpPath
  kInterpOutOfFile,      // PT_INTERP bytes beyond the file
  kInterpUnterminated,   // PT_INTERP's last byte is not NUL
  kInterpEmpty,          // PT_INTERP path is ""
};

// A short, static, lower-case description ("p_filesz exceeds p_memsz"). Never null.
const char* elf_error_message(ElfError error);

struct ElfStatus {
  ElfError error = ElfError::kOk;
  int16_t phdr_index = -1;  // the offending program header, or -1
  bool ok() const { return error == ElfError::kOk; }
};

enum class ElfKind : uint8_t { kExec, kDyn };

struct ElfHeader {
  ElfKind kind = ElfKind::kExec;
  uint64_t entry = 0;       // e_entry (an unrelocated address for ET_DYN)
  uint64_t phoff = 0;       // e_phoff; the table lies inside the file
  uint16_t phnum = 0;       // 1..kMaxPhnum
  uint32_t phdr_bytes = 0;  // phnum * kPhdrSize
};

struct Segment {
  uint64_t vaddr = 0;   // p_vaddr (unrelocated for ET_DYN)
  uint64_t memsz = 0;   // > 0
  uint64_t offset = 0;  // p_offset
  uint64_t filesz = 0;  // <= memsz
  uint32_t prot = 0;    // kProt* bits, exactly what p_flags asks for
};

struct LoadPlan {
  ElfHeader header;
  Segment segments[kMaxPhnum];
  size_t segment_count = 0;
  uint64_t first_page = 0;     // page-floor of the lowest segment's p_vaddr
  uint64_t end_page = 0;       // page-ceiling of the highest segment's p_vaddr + p_memsz
  uint64_t align = kPageSize;  // where an ET_DYN image's first_page must land
  // The program headers as the target will see them (AT_PHDR): when the whole
  // table lies in a segment's file bytes, it is mapped at phdr_vaddr (+ bias);
  // otherwise the loader must provide a copy itself.
  bool phdrs_in_image = false;
  uint64_t phdr_vaddr = 0;
  bool has_interp = false;
  uint64_t interp_offset = 0;
  uint64_t interp_size = 0;       // NUL included
  bool executable_stack = false;  // PT_GNU_STACK with PF_X
};

// Checks the ELF header in data[0, len) of a file of file_size bytes (len <=
// file_size). Fills *out only on success.
ElfStatus parse_elf_header(const uint8_t* data, size_t len, uint64_t file_size, ElfHeader* out);

// Validates the program header table (phdrs must hold exactly header.phdr_bytes
// bytes read from header.phoff) and fills *out. *out is left unspecified on error.
ElfStatus build_load_plan(const ElfHeader& header, const uint8_t* phdrs, size_t len, uint64_t file_size, LoadPlan* out);

// Checks the PT_INTERP bytes (len == plan.interp_size): NUL-terminated, not empty.
// The path is the bytes up to the first NUL, as for the kernel.
ElfStatus check_interp_path(const uint8_t* bytes, size_t len);

// All three steps on data[0, len), the first len bytes of a file of file_size
// bytes; the program headers and PT_INTERP must lie inside data (else kNotInBuffer).
ElfStatus parse_elf_image(const uint8_t* data, size_t len, uint64_t file_size, LoadPlan* out);

}  // namespace sysgate::loader
