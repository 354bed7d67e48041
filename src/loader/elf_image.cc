// See elf_image.h. Fields are read byte by byte in little-endian order: no
// alignment assumptions about the buffer, no memcpy, no host struct layouts.
#include "loader/elf_image.h"

namespace sysgate::loader {
namespace {

// ELF constants (System V gABI; x86-64 psABI).
constexpr uint8_t kElfClass64 = 2;
constexpr uint8_t kElfData2Lsb = 1;
constexpr uint8_t kEvCurrent = 1;
constexpr uint16_t kEtExec = 2;
constexpr uint16_t kEtDyn = 3;
constexpr uint16_t kEmX86_64 = 62;
constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kPtInterp = 3;
constexpr uint32_t kPtGnuStack = 0x6474e551;
constexpr uint32_t kPfX = 1;
constexpr uint32_t kPfW = 2;
constexpr uint32_t kPfR = 4;

uint16_t load16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t load32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t load64(const uint8_t* p) {
  return static_cast<uint64_t>(load32(p)) | (static_cast<uint64_t>(load32(p + 4)) << 32);
}

uint64_t page_floor(uint64_t v) { return v & ~(kPageSize - 1); }
// Only called with v <= kUserAddressLimit, so it cannot wrap.
uint64_t page_ceil(uint64_t v) { return (v + kPageSize - 1) & ~(kPageSize - 1); }

// [offset, offset + size) lies inside a file of file_size bytes, without wrapping.
bool in_file(uint64_t offset, uint64_t size, uint64_t file_size) {
  return size <= file_size && offset <= file_size - size;
}

ElfStatus fail(ElfError e, int index = -1) { return ElfStatus{e, static_cast<int16_t>(index)}; }

// One Elf64_Phdr, decoded.
struct Phdr {
  uint32_t type, flags;
  uint64_t offset, vaddr, filesz, memsz, align;
};

Phdr decode_phdr(const uint8_t* p) {
  Phdr h;
  h.type = load32(p + 0);
  h.flags = load32(p + 4);
  h.offset = load64(p + 8);
  h.vaddr = load64(p + 16);
  // p_paddr (p + 24) is ignored, as by the kernel.
  h.filesz = load64(p + 32);
  h.memsz = load64(p + 40);
  h.align = load64(p + 48);
  return h;
}

uint32_t prot_of(uint32_t flags) {
  return ((flags & kPfR) ? kProtRead : 0) | ((flags & kPfW) ? kProtWrite : 0) | ((flags & kPfX) ? kProtExec : 0);
}

bool is_power_of_two(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// Checks one PT_LOAD and appends it to the plan (empty segments are skipped).
ElfStatus add_load_segment(const Phdr& h, int index, uint64_t file_size, LoadPlan* plan) {
  if (h.filesz > h.memsz) return fail(ElfError::kFileszExceedsMemsz, index);
  if (!in_file(h.offset, h.filesz, file_size)) return fail(ElfError::kSegmentOutOfFile, index);
  if (h.align > 1 && is_power_of_two(h.align) && h.align > kMaxAlign) return fail(ElfError::kBadAlign, index);
  if (h.memsz == 0) return ElfStatus{};
  if ((h.vaddr & (kPageSize - 1)) != (h.offset & (kPageSize - 1))) return fail(ElfError::kMisalignedSegment, index);
  if (h.vaddr > kUserAddressLimit || h.memsz > kUserAddressLimit - h.vaddr) return fail(ElfError::kAddressWrap, index);
  if (plan->segment_count > 0) {
    const Segment& prev = plan->segments[plan->segment_count - 1];
    if (h.vaddr < prev.vaddr) return fail(ElfError::kUnsortedSegments, index);
    if (page_floor(h.vaddr) < page_ceil(prev.vaddr + prev.memsz)) return fail(ElfError::kOverlappingSegments, index);
  }
  // (A non-power-of-two p_align is ignored, as by the kernel.)
  if (is_power_of_two(h.align) && h.align > plan->align) plan->align = h.align;
  Segment& s = plan->segments[plan->segment_count++];
  s.vaddr = h.vaddr;
  s.memsz = h.memsz;
  s.offset = h.offset;
  s.filesz = h.filesz;
  s.prot = prot_of(h.flags);
  return ElfStatus{};
}

bool entry_in_image(const LoadPlan& plan) {
  for (size_t i = 0; i < plan.segment_count; ++i) {
    const Segment& s = plan.segments[i];
    if (plan.header.entry >= s.vaddr && plan.header.entry - s.vaddr < s.memsz) return true;
  }
  return false;
}

// Where the program header table appears in memory, as the kernel computes it:
// through the PT_LOAD whose file bytes contain it (here: contain all of it).
void locate_phdrs(LoadPlan* plan) {
  const uint64_t begin = plan->header.phoff;
  const uint64_t size = plan->header.phdr_bytes;
  for (size_t i = 0; i < plan->segment_count; ++i) {
    const Segment& s = plan->segments[i];
    if (begin >= s.offset && begin - s.offset <= s.filesz && size <= s.filesz - (begin - s.offset)) {
      plan->phdrs_in_image = true;
      plan->phdr_vaddr = s.vaddr + (begin - s.offset);
      return;
    }
  }
}

}  // namespace

const char* elf_error_message(ElfError error) {
  switch (error) {
    case ElfError::kOk:
      return "no error";
    case ElfError::kTruncatedHeader:
      return "file too short for an ELF header";
    case ElfError::kBadMagic:
      return "not an ELF file (bad magic)";
    case ElfError::kBadClass:
      return "not a 64-bit ELF file (EI_CLASS)";
    case ElfError::kBadEndian:
      return "not a little-endian ELF file (EI_DATA)";
    case ElfError::kBadVersion:
      return "unsupported ELF version";
    case ElfError::kBadType:
      return "not an executable or shared object (e_type)";
    case ElfError::kBadMachine:
      return "not an x86-64 ELF file (e_machine)";
    case ElfError::kBadPhentsize:
      return "bad program header size (e_phentsize)";
    case ElfError::kBadPhnum:
      return "no or too many program headers (e_phnum)";
    case ElfError::kPhdrsOutOfFile:
      return "program header table lies outside the file";
    case ElfError::kNotInBuffer:
      return "program headers or interpreter path not in the bytes read";
    case ElfError::kBadPhdrBuffer:
      return "program header buffer has the wrong size";
    case ElfError::kNoLoadSegment:
      return "no loadable segment";
    case ElfError::kFileszExceedsMemsz:
      return "p_filesz exceeds p_memsz";
    case ElfError::kSegmentOutOfFile:
      return "segment lies outside the file";
    case ElfError::kMisalignedSegment:
      return "p_offset and p_vaddr are not congruent modulo the page size";
    case ElfError::kAddressWrap:
      return "segment address wraps or exceeds the user address space";
    case ElfError::kUnsortedSegments:
      return "loadable segments not sorted by address";
    case ElfError::kOverlappingSegments:
      return "loadable segments overlap";
    case ElfError::kSpanTooLarge:
      return "image spans too large an address range";
    case ElfError::kLowAddress:
      return "fixed-address image starts below 64 KiB";
    case ElfError::kBadAlign:
      return "segment alignment too large";
    case ElfError::kEntryOutsideImage:
      return "entry point outside every loadable segment";
    case ElfError::kMultipleInterp:
      return "more than one PT_INTERP";
    case ElfError::kBadInterpSize:
      return "bad PT_INTERP size";
    case ElfError::kInterpOutOfFile:
      return "PT_INTERP lies outside the file";
    case ElfError::kInterpUnterminated:
      return "PT_INTERP path not NUL-terminated";
    case ElfError::kInterpEmpty:
      return "PT_INTERP path is empty";
  }
  return "unknown ELF error";
}

ElfStatus parse_elf_header(const uint8_t* data, size_t len, uint64_t file_size, ElfHeader* out) {
  if (data == nullptr) return fail(ElfError::kTruncatedHeader);
  // The magic first, so that a short script is "not an ELF file", not "too short".
  const uint8_t magic[4] = {0x7f, 'E', 'L', 'F'};
  for (size_t i = 0; i < 4 && i < len; ++i) {
    if (data[i] != magic[i]) return fail(ElfError::kBadMagic);
  }
  if (len < kEhdrSize || file_size < kEhdrSize) return fail(ElfError::kTruncatedHeader);
  if (data[4] != kElfClass64) return fail(ElfError::kBadClass);
  if (data[5] != kElfData2Lsb) return fail(ElfError::kBadEndian);
  if (data[6] != kEvCurrent || load32(data + 20) != kEvCurrent) return fail(ElfError::kBadVersion);
  const uint16_t type = load16(data + 16);
  if (type != kEtExec && type != kEtDyn) return fail(ElfError::kBadType);
  if (load16(data + 18) != kEmX86_64) return fail(ElfError::kBadMachine);
  if (load16(data + 54) != kPhdrSize) return fail(ElfError::kBadPhentsize);
  const uint16_t phnum = load16(data + 56);
  if (phnum == 0 || phnum > kMaxPhnum) return fail(ElfError::kBadPhnum);
  const uint64_t phoff = load64(data + 32);
  const uint32_t bytes = static_cast<uint32_t>(phnum * kPhdrSize);
  if (!in_file(phoff, bytes, file_size)) return fail(ElfError::kPhdrsOutOfFile);
  out->kind = type == kEtExec ? ElfKind::kExec : ElfKind::kDyn;
  out->entry = load64(data + 24);
  out->phoff = phoff;
  out->phnum = phnum;
  out->phdr_bytes = bytes;
  return ElfStatus{};
}

ElfStatus build_load_plan(const ElfHeader& header, const uint8_t* phdrs, size_t len, uint64_t file_size,
                          LoadPlan* out) {
  if (phdrs == nullptr || header.phnum == 0 || header.phnum > kMaxPhnum ||
      header.phdr_bytes != header.phnum * kPhdrSize || len != header.phdr_bytes) {
    return fail(ElfError::kBadPhdrBuffer);
  }
  LoadPlan& plan = *out;
  plan.header = header;
  plan.segment_count = 0;
  plan.align = kPageSize;
  plan.phdrs_in_image = false;
  plan.phdr_vaddr = 0;
  plan.has_interp = false;
  plan.interp_offset = 0;
  plan.interp_size = 0;
  plan.executable_stack = false;

  for (int i = 0; i < header.phnum; ++i) {
    const Phdr h = decode_phdr(phdrs + static_cast<size_t>(i) * kPhdrSize);
    if (h.type == kPtLoad) {
      ElfStatus s = add_load_segment(h, i, file_size, &plan);
      if (!s.ok()) return s;
    } else if (h.type == kPtInterp) {
      if (plan.has_interp) return fail(ElfError::kMultipleInterp, i);
      if (h.filesz < 2 || h.filesz > kMaxInterpPath) return fail(ElfError::kBadInterpSize, i);
      if (!in_file(h.offset, h.filesz, file_size)) return fail(ElfError::kInterpOutOfFile, i);
      plan.has_interp = true;
      plan.interp_offset = h.offset;
      plan.interp_size = h.filesz;
    } else if (h.type == kPtGnuStack) {
      plan.executable_stack = (h.flags & kPfX) != 0;  // the last one wins, as for the kernel
    }
  }
  if (plan.segment_count == 0) return fail(ElfError::kNoLoadSegment);

  const Segment& last = plan.segments[plan.segment_count - 1];
  plan.first_page = page_floor(plan.segments[0].vaddr);
  plan.end_page = page_ceil(last.vaddr + last.memsz);
  if (plan.end_page - plan.first_page > kMaxSpan) return fail(ElfError::kSpanTooLarge);
  if (header.kind == ElfKind::kExec && plan.first_page < kMinFixedAddress) return fail(ElfError::kLowAddress);
  if (!entry_in_image(plan)) return fail(ElfError::kEntryOutsideImage);
  locate_phdrs(&plan);
  return ElfStatus{};
}

ElfStatus check_interp_path(const uint8_t* bytes, size_t len) {
  if (bytes == nullptr || len < 2 || len > kMaxInterpPath) return fail(ElfError::kBadInterpSize);
  if (bytes[len - 1] != 0) return fail(ElfError::kInterpUnterminated);
  if (bytes[0] == 0) return fail(ElfError::kInterpEmpty);
  return ElfStatus{};
}

ElfStatus parse_elf_image(const uint8_t* data, size_t len, uint64_t file_size, LoadPlan* out) {
  if (len > file_size) return fail(ElfError::kNotInBuffer);
  ElfHeader header;
  ElfStatus s = parse_elf_header(data, len, file_size, &header);
  if (!s.ok()) return s;
  if (!in_file(header.phoff, header.phdr_bytes, len)) return fail(ElfError::kNotInBuffer);
  s = build_load_plan(header, data + header.phoff, header.phdr_bytes, file_size, out);
  if (!s.ok()) return s;
  if (out->has_interp) {
    if (!in_file(out->interp_offset, out->interp_size, len)) return fail(ElfError::kNotInBuffer);
    s = check_interp_path(data + out->interp_offset, out->interp_size);
  }
  return s;
}

}  // namespace sysgate::loader
