#include "gate/rewrite_elf.h"

namespace sysgate::gate {
namespace {

// ELF64 layouts (the uapi <linux/elf.h> names, restated to stay independent of it).
struct Ehdr {
  uint8_t ident[16];
  uint16_t type, machine;
  uint32_t version;
  uint64_t entry, phoff, shoff;
  uint32_t flags;
  uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct Phdr {
  uint32_t type, flags;
  uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
struct Dyn {
  int64_t tag;
  uint64_t val;
};
struct RDebug {
  int32_t version;
  int32_t pad;
  uint64_t map;  // struct link_map*
  uint64_t brk;
  int32_t state;  // RT_CONSISTENT == 0
  int32_t pad2;
  uint64_t ldbase;
};
struct LinkMap {
  uint64_t l_addr;
  uint64_t l_name;
  uint64_t l_ld;
  uint64_t l_next;
  uint64_t l_prev;
};

constexpr uint32_t kPtLoad = 1, kPtDynamic = 2, kPtPhdr = 6, kPtGnuEhFrame = 0x6474e550;
constexpr uint32_t kPfX = 1;
constexpr int64_t kDtNull = 0, kDtDebug = 21;
constexpr uint64_t kPage = 4096;

template <typename T>
T load(uint64_t a) {
  T v;
  __builtin_memcpy(&v, reinterpret_cast<const void*>(a), sizeof v);
  return v;
}

bool elf_header_ok(uint64_t base) {
  const Ehdr* e = reinterpret_cast<const Ehdr*>(base);
  return e->ident[0] == 0x7f && e->ident[1] == 'E' && e->ident[2] == 'L' && e->ident[3] == 'F' &&
         e->ident[4] == 2 /* 64-bit */ && e->machine == 62 /* x86-64 */ && e->phentsize == sizeof(Phdr) &&
         e->phnum > 0 && e->phnum < 256;
}

struct Object {
  uint64_t bias;
  const Phdr* phdr;
  uint64_t phnum;
};

// Looks in one object: [begin, end) in one executable PT_LOAD, then its
// .eh_frame_hdr for the function.
bool function_in(uint64_t eh_frame_hdr, uint64_t begin, uint64_t end, CodeLocation* out);

bool locate_in(const Object& o, uint64_t begin, uint64_t end, CodeLocation* out) {
  const Phdr* seg = nullptr;
  const Phdr* eh = nullptr;
  for (uint64_t i = 0; i < o.phnum; ++i) {
    const Phdr& p = o.phdr[i];
    if (p.type == kPtLoad && (p.flags & kPfX) != 0 && begin >= o.bias + p.vaddr &&
        end <= o.bias + p.vaddr + p.memsz) {
      seg = &p;
    }
    if (p.type == kPtGnuEhFrame) eh = &p;
  }
  if (seg == nullptr) return false;
  out->segment_start = (o.bias + seg->vaddr) & ~(kPage - 1);
  out->segment_end = (o.bias + seg->vaddr + seg->memsz + kPage - 1) & ~(kPage - 1);
  out->segment_flags = seg->flags;
  if (eh == nullptr) return false;
  out->eh_frame_hdr = o.bias + eh->vaddr;
  return function_in(out->eh_frame_hdr, begin, end, out);
}

bool function_in(uint64_t eh_frame_hdr, uint64_t begin, uint64_t end, CodeLocation* out) {
  EhFrameHdr h;
  if (!eh_frame_hdr_open(eh_frame_hdr, &h)) return false;
  uint64_t fs = 0, fe = 0, index = 0;
  if (!eh_frame_hdr_find(h, begin, &fs, &fe, &index)) return false;
  if (end > fe) return false;
  out->function_start = fs;
  out->function_end = fe;
  out->previous_end = 0;
  uint64_t ps = 0, pe = 0;
  if (index > 0 && eh_frame_hdr_function(h, index - 1, &ps, &pe) && ps < fs) out->previous_end = pe;
  return true;
}

// The object whose ELF header is at base (a shared object: first PT_LOAD at 0).
bool object_at(uint64_t base, uint64_t expect_dynamic, Object* out) {
  if (base == 0 || (base & (kPage - 1)) != 0 || !elf_header_ok(base)) return false;
  const Ehdr* e = reinterpret_cast<const Ehdr*>(base);
  out->bias = base;
  out->phdr = reinterpret_cast<const Phdr*>(base + e->phoff);
  out->phnum = e->phnum;
  if (expect_dynamic == 0) return true;
  for (uint64_t i = 0; i < out->phnum; ++i) {
    if (out->phdr[i].type == kPtDynamic) return base + out->phdr[i].vaddr == expect_dynamic;
  }
  return false;
}

bool program_object(const LoadedObjects& objs, Object* out) {
  if (objs.program_phdr == 0 || objs.program_phnum == 0 || objs.program_phnum > 256) return false;
  const Phdr* ph = reinterpret_cast<const Phdr*>(objs.program_phdr);
  out->phdr = ph;
  out->phnum = objs.program_phnum;
  for (uint64_t i = 0; i < objs.program_phnum; ++i) {
    if (ph[i].type == kPtPhdr) {
      out->bias = objs.program_phdr - ph[i].vaddr;
      return true;
    }
  }
  // No PT_PHDR: the headers follow the ELF header in the PT_LOAD at offset 0.
  for (uint64_t i = 0; i < objs.program_phnum; ++i) {
    if (ph[i].type == kPtLoad && ph[i].offset == 0) {
      const uint64_t header = objs.program_phdr - sizeof(Ehdr);
      if (!elf_header_ok(header) || reinterpret_cast<const Ehdr*>(header)->phoff != sizeof(Ehdr)) return false;
      out->bias = header - ph[i].vaddr;
      return true;
    }
  }
  return false;
}

// r_debug from the program's DT_DEBUG, or 0.
uint64_t find_r_debug(const Object& program) {
  for (uint64_t i = 0; i < program.phnum; ++i) {
    if (program.phdr[i].type != kPtDynamic) continue;
    const Dyn* d = reinterpret_cast<const Dyn*>(program.bias + program.phdr[i].vaddr);
    for (uint64_t k = 0; k < 512 && d[k].tag != kDtNull; ++k) {
      if (d[k].tag == kDtDebug) return d[k].val;
    }
  }
  return 0;
}

// Reads an encoded pointer (DW_EH_PE_*) at *p; advances *p.
bool read_encoded(uint64_t* p, uint8_t enc, uint64_t datarel_base, uint64_t* out) {
  if (enc == 0xff) return false;  // omit
  const uint64_t at = *p;
  int64_t v;
  switch (enc & 0x0f) {
    case 0x00:  // absptr
    case 0x04:  // udata8
    case 0x0c:  // sdata8
      v = load<int64_t>(at);
      *p += 8;
      break;
    case 0x03:  // udata4
      v = load<uint32_t>(at);
      *p += 4;
      break;
    case 0x0b:  // sdata4
      v = load<int32_t>(at);
      *p += 4;
      break;
    case 0x02:  // udata2
      v = load<uint16_t>(at);
      *p += 2;
      break;
    case 0x0a:  // sdata2
      v = load<int16_t>(at);
      *p += 2;
      break;
    default:
      return false;
  }
  switch (enc & 0x70) {
    case 0x00:
      break;
    case 0x10:  // pcrel
      v += static_cast<int64_t>(at);
      break;
    case 0x30:  // datarel
      v += static_cast<int64_t>(datarel_base);
      break;
    default:
      return false;
  }
  *out = static_cast<uint64_t>(v);
  return true;
}

bool read_uleb(uint64_t* p, uint64_t limit, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && *p < limit; shift += 7) {
    const uint8_t b = load<uint8_t>((*p)++);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = v;
      return true;
    }
  }
  return false;
}

// The FDE pointer encoding from the CIE's augmentation ('R'); 0 (absptr) without one.
bool cie_fde_encoding(uint64_t cie, uint8_t* enc) {
  const uint32_t length = load<uint32_t>(cie);
  if (length == 0 || length == 0xffffffffu) return false;
  const uint64_t limit = cie + 4 + length;
  uint64_t p = cie + 4;
  if (load<uint32_t>(p) != 0) return false;  // CIE id
  p += 4;
  const uint8_t version = load<uint8_t>(p++);
  if (version != 1 && version != 3) return false;
  const uint64_t aug = p;
  while (p < limit && load<uint8_t>(p) != 0) ++p;
  if (p >= limit) return false;
  ++p;
  uint64_t ignored;
  if (!read_uleb(&p, limit, &ignored)) return false;  // code alignment
  if (!read_uleb(&p, limit, &ignored)) return false;  // data alignment (sleb: same length)
  if (version == 1) {
    ++p;
  } else if (!read_uleb(&p, limit, &ignored)) {
    return false;
  }
  *enc = 0;
  if (load<uint8_t>(aug) != 'z') return true;
  if (!read_uleb(&p, limit, &ignored)) return false;  // augmentation data length
  for (uint64_t a = aug + 1; load<uint8_t>(a) != 0; ++a) {
    const uint8_t c = load<uint8_t>(a);
    if (c == 'R') {
      *enc = load<uint8_t>(p);
      return true;
    }
    if (c == 'L') {
      ++p;
    } else if (c == 'P') {
      const uint8_t penc = load<uint8_t>(p++);
      uint64_t v;
      if (!read_encoded(&p, static_cast<uint8_t>(penc & 0x0f), 0, &v)) return false;
    } else if (c != 'S' && c != 'B') {
      return false;
    }
  }
  return true;
}

bool fde_range(uint64_t fde, uint64_t* start, uint64_t* end) {
  const uint32_t length = load<uint32_t>(fde);
  if (length == 0 || length == 0xffffffffu) return false;
  const uint64_t cie_field = fde + 4;
  const uint32_t cie_off = load<uint32_t>(cie_field);
  if (cie_off == 0) return false;  // a CIE, not an FDE
  uint8_t enc;
  if (!cie_fde_encoding(cie_field - cie_off, &enc)) return false;
  uint64_t p = fde + 8;
  uint64_t s, r;
  if (!read_encoded(&p, enc, 0, &s)) return false;
  if (!read_encoded(&p, static_cast<uint8_t>(enc & 0x0f), 0, &r)) return false;
  *start = s;
  *end = s + r;
  return true;
}

}  // namespace

bool eh_frame_hdr_open(uint64_t hdr, EhFrameHdr* out) {
  if (load<uint8_t>(hdr) != 1) return false;
  const uint8_t ptr_enc = load<uint8_t>(hdr + 1);
  const uint8_t count_enc = load<uint8_t>(hdr + 2);
  const uint8_t table_enc = load<uint8_t>(hdr + 3);
  if (table_enc != 0x3b) return false;  // datarel | sdata4: the only binary-searchable form ld emits
  uint64_t p = hdr + 4;
  uint64_t ignored, count;
  if (!read_encoded(&p, ptr_enc, hdr, &ignored)) return false;
  if (!read_encoded(&p, count_enc, hdr, &count)) return false;
  out->hdr = hdr;
  out->table = p;
  out->count = count;
  return count > 0 && count < (uint64_t{1} << 28);
}

bool eh_frame_hdr_function(const EhFrameHdr& h, uint64_t i, uint64_t* start, uint64_t* end) {
  if (i >= h.count) return false;
  const uint64_t fde = h.hdr + static_cast<uint64_t>(static_cast<int64_t>(load<int32_t>(h.table + 8 * i + 4)));
  return fde_range(fde, start, end);
}

bool eh_frame_hdr_find(const EhFrameHdr& h, uint64_t addr, uint64_t* start, uint64_t* end, uint64_t* index) {
  // The last entry whose initial location is <= addr.
  uint64_t lo = 0, hi = h.count;
  while (hi - lo > 1) {
    const uint64_t mid = lo + (hi - lo) / 2;
    const uint64_t loc = h.hdr + static_cast<uint64_t>(static_cast<int64_t>(load<int32_t>(h.table + 8 * mid)));
    if (loc <= addr) lo = mid; else hi = mid;
  }
  uint64_t s, e;
  if (!eh_frame_hdr_function(h, lo, &s, &e)) return false;
  if (addr < s || addr >= e) return false;
  *start = s;
  *end = e;
  if (index != nullptr) *index = lo;
  return true;
}

bool locate_code(const LoadedObjects& objs, uint64_t begin, uint64_t end, CodeLocation* out) {
  Object program;
  const bool have_program = program_object(objs, &program);
  if (have_program && locate_in(program, begin, end, out)) return true;
  Object interp;
  if (objs.interp_base != 0 && object_at(objs.interp_base, 0, &interp) && locate_in(interp, begin, end, out)) {
    return true;
  }
  if (!have_program) return false;
  const uint64_t rd = find_r_debug(program);
  if (rd == 0) return false;
  const RDebug* r = reinterpret_cast<const RDebug*>(rd);
  if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != 0) return false;  // not RT_CONSISTENT
  uint64_t m = r->map;
  for (int n = 0; m != 0 && n < 4096; ++n) {
    const LinkMap* l = reinterpret_cast<const LinkMap*>(m);
    Object o;
    if (l->l_addr != 0 && l->l_addr != objs.interp_base && object_at(l->l_addr, l->l_ld, &o) &&
        locate_in(o, begin, end, out)) {
      return true;
    }
    m = l->l_next;
  }
  return false;
}

bool loaded_objects_settled(const LoadedObjects& objs) {
  Object program;
  if (!program_object(objs, &program)) return true;
  const uint64_t rd = find_r_debug(program);
  if (rd == 0) return true;
  const RDebug* r = reinterpret_cast<const RDebug*>(rd);
  return __atomic_load_n(&r->state, __ATOMIC_ACQUIRE) == 0;  // RT_CONSISTENT
}

bool locate_near(const CodeLocation& known, uint64_t begin, uint64_t end, CodeLocation* out) {
  if (begin < known.segment_start || end > known.segment_end || known.eh_frame_hdr == 0) return false;
  *out = known;
  return function_in(known.eh_frame_hdr, begin, end, out);
}

}  // namespace sysgate::gate
