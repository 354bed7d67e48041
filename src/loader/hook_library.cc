#include "loader/hook_library.h"

#include "loader/die.h"
#include "loader/image_file.h"
#include "loader/map_image.h"
#include "loader/raw.h"

namespace sysgate::loader {
namespace {

// <elf.h> values, spelled out: the loader includes no libc headers.
constexpr uint32_t kPtDynamic = 2;
constexpr uint32_t kPtGnuRelro = 0x6474e552;
constexpr int64_t kDtNull = 0, kDtNeeded = 1, kDtPltRelSz = 2, kDtHash = 4, kDtStrTab = 5, kDtSymTab = 6,
                  kDtRela = 7, kDtRelaSz = 8, kDtRelaEnt = 9, kDtStrSz = 10, kDtSymEnt = 11, kDtInit = 12,
                  kDtRel = 17, kDtPltRel = 20, kDtTextRel = 22, kDtJmpRel = 23, kDtInitArraySz = 27,
                  kDtFlags = 30;
constexpr uint64_t kDfTextRel = 4;
constexpr uint32_t kRelNone = 0, kRelRelative = 8;
constexpr uint64_t kRelaBytes = 24, kSymBytes = 24;
constexpr uint8_t kSttFunc = 2;
constexpr char kInitName[] = "sysgate_hooks_init";

struct Phdr {  // Elf64_Phdr
  uint32_t type, flags;
  uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
struct Dyn {  // Elf64_Dyn
  int64_t tag;
  uint64_t val;
};
struct Rela {  // Elf64_Rela
  uint64_t offset, info;
  int64_t addend;
};
struct Sym {  // Elf64_Sym
  uint32_t name;
  uint8_t info, other;
  uint16_t shndx;
  uint64_t value, size;
};

class Linker {
 public:
  Linker(const ImageFile& file, const MappedImage& image, const char* name)
      : file_(file), image_(image), name_(name) {}

  // True if [addr, addr + n) lies in the mapped image (no wrap).
  bool inside(uint64_t addr, uint64_t n) const {
    return addr >= image_.start && n <= image_.end - addr && addr + n <= image_.end;
  }
  // The same, and in a segment with protection bit `prot`.
  bool inside_segment(uint64_t addr, uint64_t n, uint32_t prot) const {
    for (size_t i = 0; i < file_.plan.segment_count; ++i) {
      const Segment& s = file_.plan.segments[i];
      const uint64_t start = image_.bias + s.vaddr;
      if ((s.prot & prot) == prot && addr >= start && n <= s.memsz && addr - start <= s.memsz - n) return true;
    }
    return false;
  }
  const Phdr* phdr(uint32_t type) const {
    const Phdr* table = reinterpret_cast<const Phdr*>(file_.phdrs);
    for (uint32_t i = 0; i < file_.plan.header.phnum; ++i) {
      if (table[i].type == type) return &table[i];
    }
    return nullptr;
  }
  [[noreturn]] void refuse(const char* why, const char* detail = nullptr) const { die(name_, why, detail); }

  uint64_t link() {
    if (file_.plan.header.kind != ElfKind::kDyn) refuse("not a shared object (ET_DYN)");
    if (file_.plan.has_interp) refuse("has a PT_INTERP: a hook library is loaded by sysgate-exec alone");
    read_dynamic();
    relocate(rela_, rela_bytes_);
    relocate(jmprel_, jmprel_bytes_);
    if (const Phdr* relro = phdr(kPtGnuRelro); relro != nullptr && relro->memsz != 0) {
      const uint64_t first = (image_.bias + relro->vaddr) & ~(kPageSize - 1);
      const uint64_t end = (image_.bias + relro->vaddr + relro->memsz) & ~(kPageSize - 1);  // as ld.so: whole pages
      if (end > first && (!inside(first, end - first) || raw::failed(raw::mprotect(first, end - first, kProtRead)))) {
        refuse("cannot make PT_GNU_RELRO read-only");
      }
    }
    return find_init();
  }

 private:
  void read_dynamic() {
    const Phdr* dyn = phdr(kPtDynamic);
    if (dyn == nullptr) refuse("no PT_DYNAMIC");
    const uint64_t at = image_.bias + dyn->vaddr;
    if (dyn->memsz < sizeof(Dyn) || !inside(at, dyn->memsz)) refuse("PT_DYNAMIC outside the image");
    const Dyn* d = reinterpret_cast<const Dyn*>(at);
    const uint64_t count = dyn->memsz / sizeof(Dyn);
    uint64_t relaent = kRelaBytes, syment = kSymBytes, init_array_bytes = 0;
    for (uint64_t i = 0; i < count && d[i].tag != kDtNull; ++i) {
      const uint64_t v = d[i].val;
      switch (d[i].tag) {
        case kDtNeeded: refuse("needs another shared library (DT_NEEDED): a hook library must be freestanding");
        case kDtRel: refuse("has DT_REL relocations: only DT_RELA is supported");
        case kDtTextRel: refuse("has text relocations (DT_TEXTREL)");
        case kDtInit: refuse("has a constructor (DT_INIT): nothing would run it");
        case kDtInitArraySz: init_array_bytes = v; break;
        case kDtFlags:
          if ((v & kDfTextRel) != 0) refuse("has text relocations (DF_TEXTREL)");
          break;
        case kDtHash: hash_ = image_.bias + v; break;
        case kDtStrTab: strtab_ = image_.bias + v; break;
        case kDtStrSz: strsz_ = v; break;
        case kDtSymTab: symtab_ = image_.bias + v; break;
        case kDtSymEnt: syment = v; break;
        case kDtRela: rela_ = image_.bias + v; break;
        case kDtRelaSz: rela_bytes_ = v; break;
        case kDtRelaEnt: relaent = v; break;
        case kDtJmpRel: jmprel_ = image_.bias + v; break;
        case kDtPltRelSz: jmprel_bytes_ = v; break;
        case kDtPltRel:
          if (v != kDtRela) refuse("PLT relocations are not DT_RELA");
          break;
        default: break;
      }
    }
    if (init_array_bytes != 0) refuse("has constructors (DT_INIT_ARRAY): nothing would run them");
    if (relaent != kRelaBytes || syment != kSymBytes) refuse("unexpected DT_RELAENT or DT_SYMENT");
  }

  void relocate(uint64_t table, uint64_t bytes) {
    if (bytes == 0) return;
    if (bytes % kRelaBytes != 0 || !inside(table, bytes)) refuse("relocation table outside the image");
    const Rela* r = reinterpret_cast<const Rela*>(table);
    for (uint64_t i = 0; i < bytes / kRelaBytes; ++i) {
      const uint32_t type = static_cast<uint32_t>(r[i].info);
      if (type == kRelNone) continue;
      if (type != kRelRelative) {
        char digits[24];
        LineBuffer detail(digits, sizeof digits);
        detail.add("type ").add_unsigned(type);
        refuse("a relocation other than R_X86_64_RELATIVE (build with -fvisibility=hidden)", detail.str());
      }
      const uint64_t where = image_.bias + r[i].offset;
      if (!inside_segment(where, 8, kProtWrite)) refuse("a relocation outside the writable segments");
      *reinterpret_cast<uint64_t*>(where) = image_.bias + static_cast<uint64_t>(r[i].addend);
    }
  }

  uint64_t find_init() const {
    if (hash_ == 0 || symtab_ == 0 || strtab_ == 0) {
      refuse("no DT_HASH symbol table (link with -Wl,--hash-style=both)");
    }
    if (!inside(hash_, 8) || !inside(strtab_, strsz_)) refuse("symbol tables outside the image");
    const uint32_t nsyms = reinterpret_cast<const uint32_t*>(hash_)[1];  // nchain: one per symbol
    if (!inside(symtab_, uint64_t{nsyms} * kSymBytes)) refuse("symbol table outside the image");
    const Sym* syms = reinterpret_cast<const Sym*>(symtab_);
    const char* strings = reinterpret_cast<const char*>(strtab_);
    for (uint32_t i = 0; i < nsyms; ++i) {
      const Sym& s = syms[i];
      if (s.shndx == 0 || (s.info & 0xf) != kSttFunc || s.name >= strsz_) continue;
      uint64_t k = 0;
      while (s.name + k < strsz_ && kInitName[k] != 0 && strings[s.name + k] == kInitName[k]) ++k;
      if (kInitName[k] != 0 || s.name + k >= strsz_ || strings[s.name + k] != 0) continue;
      const uint64_t entry = image_.bias + s.value;
      if (!inside_segment(entry, 1, kProtExec)) refuse("sysgate_hooks_init is not in an executable segment");
      return entry;
    }
    refuse("does not define sysgate_hooks_init");
  }

  const ImageFile& file_;
  const MappedImage& image_;
  const char* name_;
  uint64_t hash_ = 0, strtab_ = 0, strsz_ = 0, symtab_ = 0;
  uint64_t rela_ = 0, rela_bytes_ = 0, jmprel_ = 0, jmprel_bytes_ = 0;
};

}  // namespace

uint64_t load_hook_library(int fd, const char* name) {
  ImageFile file;
  read_image_file(fd, name, &file);
  const MappedImage image = map_image(fd, file.plan, name);
  Linker linker(file, image, name);
  return linker.link();
}

}  // namespace sysgate::loader
