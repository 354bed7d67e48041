#include "gate/rewrite_decoder.h"

namespace sysgate::gate {
namespace {

// Operand kinds after the opcode byte.
enum : uint8_t {
  kX = 0,   // unknown / invalid in 64-bit mode: give up
  kN,       // no ModRM, no immediate
  kM,       // ModRM
  kMB,      // ModRM + imm8
  kMZ,      // ModRM + imm16/32 (operand size)
  kB,       // imm8
  kZ,       // imm16/32
  kW,       // imm16
  kRel8,    // rel8 branch
  kRel32,   // rel32 branch
  kMReg,    // ModRM forced register form (mov to/from CR/DR): no SIB/displacement
  kSpecial  // handled in code
};

// Two-byte map (0F xx), legacy encoding.
constexpr uint8_t map0f(uint8_t op) {
  if (op >= 0x10 && op <= 0x1f) return kM;
  if (op >= 0x20 && op <= 0x23) return kMReg;
  if (op >= 0x28 && op <= 0x2f) return kM;
  if (op >= 0x40 && op <= 0x6f) return kM;
  if (op >= 0x70 && op <= 0x73) return kMB;
  if (op >= 0x74 && op <= 0x76) return kM;
  if (op >= 0x7c && op <= 0x7f) return kM;
  if (op >= 0x80 && op <= 0x8f) return kRel32;
  if (op >= 0x90 && op <= 0x9f) return kM;
  if (op >= 0xb0 && op <= 0xb9) return kM;
  if (op >= 0xbb && op <= 0xc1) return kM;
  if (op >= 0xc8 && op <= 0xcf) return kN;
  if (op >= 0xd0) return kM;
  switch (op) {
    case 0x00: case 0x01: case 0x02: case 0x03: case 0x0d:
    case 0x78: case 0x79: case 0xa3: case 0xa5: case 0xab: case 0xad: case 0xae: case 0xaf:
    case 0xc3: case 0xc7:
      return kM;
    case 0x05: case 0x06: case 0x07: case 0x08: case 0x09: case 0x0b:
    case 0x30: case 0x31: case 0x32: case 0x33: case 0x34: case 0x35: case 0x37:
    case 0x77: case 0xa0: case 0xa1: case 0xa2: case 0xa8: case 0xa9: case 0xaa:
      return kN;
    case 0xa4: case 0xac: case 0xba: case 0xc2: case 0xc4: case 0xc5: case 0xc6:
      return kMB;
    default:
      return kX;  // 04 0a 0c 0e 0f(3DNow!) 24-27 36 38/3a(handled) 39 3b-3f 7a 7b a6 a7
  }
}

// One-byte map, legacy encoding (prefix bytes handled before).
constexpr uint8_t map1(uint8_t op) {
  if (op < 0x40) {
    const uint8_t low = op & 7;
    if (low <= 3) return kM;
    if (low == 4) return kB;
    if (low == 5) return kZ;
    return kX;  // 06 07 0e 16 17 1e 1f 27 2f 37 3f (prefixes 26 2e 36 3e never get here); 0f handled
  }
  if (op >= 0x50 && op <= 0x5f) return kN;
  if (op >= 0x70 && op <= 0x7f) return kRel8;
  if (op >= 0x84 && op <= 0x8e) return kM;
  if (op >= 0x90 && op <= 0x99) return kN;
  if (op >= 0x9b && op <= 0x9f) return kN;
  if (op >= 0xa4 && op <= 0xa7) return kN;
  if (op >= 0xaa && op <= 0xaf) return kN;
  if (op >= 0xb0 && op <= 0xb7) return kB;
  if (op >= 0xd8 && op <= 0xdf) return kM;
  if (op >= 0xe4 && op <= 0xe7) return kB;
  if (op >= 0xe0 && op <= 0xe3) return kRel8;
  if (op >= 0xec && op <= 0xef) return kN;
  switch (op) {
    case 0x63: case 0xd0: case 0xd1: case 0xd2: case 0xd3: case 0xfe: case 0xff:
      return kM;
    case 0x68:
      return kZ;
    case 0x69: case 0x81: case 0xc7:
      return kMZ;
    case 0x6a: case 0xa8: case 0xcd:
      return kB;
    case 0x6b: case 0x80: case 0x83: case 0xc0: case 0xc1: case 0xc6:
      return kMB;
    case 0x6c: case 0x6d: case 0x6e: case 0x6f: case 0xc3: case 0xc9: case 0xcb: case 0xcc: case 0xcf:
    case 0xd7: case 0xf1: case 0xf4: case 0xf5: case 0xf8: case 0xf9: case 0xfa: case 0xfb: case 0xfc: case 0xfd:
      return kN;
    case 0xa9:
      return kZ;
    case 0xc2: case 0xca:
      return kW;
    case 0xe8: case 0xe9:
      return kRel32;
    case 0xeb:
      return kRel8;
    case 0x8f: case 0xa0: case 0xa1: case 0xa2: case 0xa3: case 0xb8: case 0xb9: case 0xba: case 0xbb:
    case 0xbc: case 0xbd: case 0xbe: case 0xbf: case 0xc8: case 0xf6: case 0xf7:
      return kSpecial;
    default:
      return kX;  // 60-62 82 9a c4 c5 ce d4-d6 ea; 40-4f and prefixes never get here
  }
}

constexpr bool is_legacy_prefix_byte(uint8_t b) {
  switch (b) {
    case 0xf0: case 0xf2: case 0xf3: case 0x2e: case 0x36: case 0x3e: case 0x26: case 0x64: case 0x65:
    case 0x66: case 0x67:
      return true;
    default:
      return false;
  }
}

// The functions above as 256-entry tables, computed by the compiler: a chain
// of range tests per byte cost ~30 ns an instruction in mispredicted branches,
// and a sweep decodes whole functions (rewrite_function_scan.h).
struct ByteTable {
  uint8_t value[256];
};
constexpr ByteTable table_of(uint8_t (*f)(uint8_t)) {
  ByteTable t{};
  for (int b = 0; b < 256; ++b) t.value[b] = f(static_cast<uint8_t>(b));
  return t;
}
constexpr ByteTable kMap0f = table_of(map0f);
constexpr ByteTable kMap1 = table_of(map1);
constexpr ByteTable kLegacyPrefix = table_of([](uint8_t b) -> uint8_t { return is_legacy_prefix_byte(b) ? 1 : 0; });

bool is_legacy_prefix(uint8_t b) { return kLegacyPrefix.value[b] != 0; }

// Bytes of ModRM + SIB + displacement at p[0..]; 0 if truncated.
uint32_t modrm_bytes(const uint8_t* p, size_t avail, bool force_register) {
  if (avail < 1) return 0;
  const uint8_t modrm = p[0];
  const uint8_t mod = modrm >> 6;
  const uint8_t rm = modrm & 7;
  uint32_t n = 1;
  if (mod == 3 || force_register) return n;
  if (rm == 4) {
    if (avail < 2) return 0;
    const uint8_t sib = p[1];
    n = 2;
    if (mod == 0 && (sib & 7) == 5) n += 4;
  } else if (mod == 0 && rm == 5) {
    n += 4;  // rip-relative
  }
  if (mod == 1) n += 1;
  if (mod == 2) n += 4;
  return n <= avail ? n : 0;
}

int64_t read_signed(const uint8_t* p, uint32_t bytes) {
  if (bytes == 1) return static_cast<int8_t>(p[0]);
  uint32_t v = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
               static_cast<uint32_t>(p[3]) << 24;
  return static_cast<int32_t>(v);
}

}  // namespace

uint32_t decode_length(const uint8_t* p, size_t avail, DecodedInsn* out) {
  out->has_target = false;
  out->rel = 0;
  if (avail > 15) avail = 15;
  uint32_t i = 0;
  bool opsize = false, addrsize = false, rep_or_lock = false;
  while (i < avail && is_legacy_prefix(p[i])) {
    if (p[i] == 0x66) opsize = true;
    if (p[i] == 0x67) addrsize = true;
    if (p[i] == 0xf0 || p[i] == 0xf2 || p[i] == 0xf3) rep_or_lock = true;
    ++i;
  }
  uint8_t rex = 0;
  if (i < avail && (p[i] & 0xf0) == 0x40) {
    rex = p[i++];
    if (i < avail && (is_legacy_prefix(p[i]) || (p[i] & 0xf0) == 0x40)) return 0;  // REX must be last
  }
  if (i >= avail) return 0;
  const bool rex_w = (rex & 8) != 0;
  const uint32_t iz = rex_w ? 4 : (opsize ? 2 : 4);
  const uint8_t op = p[i++];

  // VEX / EVEX: opcode map from the prefix, ModRM always (but vzeroupper/all).
  if (op == 0xc4 || op == 0xc5 || op == 0x62) {
    if (opsize || rep_or_lock || rex != 0) return 0;  // #UD
    uint32_t map;
    if (op == 0xc5) {
      if (i + 1 > avail) return 0;
      map = 1;
      i += 1;
    } else if (op == 0xc4) {
      if (i + 2 > avail) return 0;
      map = p[i] & 0x1f;
      i += 2;
      if (map < 1 || map > 3) return 0;
    } else {
      if (i + 3 > avail) return 0;
      if ((p[i] & 0x08) != 0 || (p[i + 1] & 0x04) == 0) return 0;
      map = p[i] & 0x07;
      i += 3;
      if (map != 1 && map != 2 && map != 3 && map != 5 && map != 6) return 0;
    }
    if (i >= avail) return 0;
    const uint8_t vop = p[i++];
    if (op != 0x62 && map == 1 && vop == 0x77) return i;  // vzeroupper / vzeroall
    if (map == 1 && vop >= 0x80 && vop <= 0x8f) return 0;  // no VEX/EVEX form (Zydis: KNC jcc)
    const uint32_t m = modrm_bytes(p + i, avail - i, false);
    if (m == 0) return 0;
    i += m;
    uint32_t imm = 0;
    if (map == 3) imm = 1;
    if (map == 1 && ((vop >= 0x70 && vop <= 0x73) || vop == 0xc2 || vop == 0xc4 || vop == 0xc5 || vop == 0xc6)) {
      imm = 1;
    }
    if (i + imm > avail) return 0;
    return i + imm;
  }

  uint8_t kind;
  uint32_t imm = 0;
  if (op == 0x0f) {
    if (i >= avail) return 0;
    const uint8_t op2 = p[i++];
    if (op2 == 0x38 || op2 == 0x3a) {
      if (i >= avail) return 0;
      ++i;  // the third opcode byte
      kind = op2 == 0x38 ? kM : kMB;
    } else {
      kind = kMap0f.value[op2];
      if (kind == kRel32 && opsize && !rex_w) return 0;  // rel16 on AMD, rel32 on Intel
    }
  } else {
    kind = kMap1.value[op];
    if (kind == kSpecial) {
      if (op >= 0xa0 && op <= 0xa3) {
        kind = kN;
        imm = addrsize ? 4 : 8;  // moffs
      } else if (op >= 0xb8 && op <= 0xbf) {
        kind = kN;
        imm = rex_w ? 8 : (opsize ? 2 : 4);
      } else if (op == 0xc8) {
        kind = kN;
        imm = 3;  // enter imm16, imm8
      } else if (op == 0x8f) {
        if (i >= avail || (p[i] & 0x38) != 0) return 0;  // XOP, or not pop r/m
        kind = kM;
      } else if (op == 0xf6 || op == 0xf7) {
        if (i >= avail) return 0;
        const uint8_t reg = (p[i] >> 3) & 7;
        kind = reg <= 1 ? (op == 0xf6 ? kMB : kMZ) : kM;
      }
    }
    if ((op == 0xe8 || op == 0xe9) && opsize && !rex_w) return 0;  // REX.W wins (TLS call padding)
  }

  switch (kind) {
    case kX:
    case kSpecial:
      return 0;
    case kN:
      break;
    case kB:
      imm = 1;
      break;
    case kZ:
      imm = iz;
      break;
    case kW:
      imm = 2;
      break;
    case kRel8:
    case kRel32: {
      const uint32_t n = kind == kRel8 ? 1 : 4;
      if (i + n > avail) return 0;
      out->has_target = true;
      out->rel = read_signed(p + i, n);
      return i + n;
    }
    case kM:
    case kMB:
    case kMZ:
    case kMReg: {
      const uint8_t modrm = i < avail ? p[i] : 0;
      const uint32_t m = modrm_bytes(p + i, avail - i, kind == kMReg);
      if (m == 0) return 0;
      i += m;
      if (kind == kMB) imm = 1;
      if (kind == kMZ) imm = iz;
      if (op == 0xc7 && modrm == 0xf8) {  // xbegin rel32 (rel16 with 66: give up)
        if (opsize) return 0;
        if (i + 4 > avail) return 0;
        out->has_target = true;
        out->rel = read_signed(p + i, 4);
        return i + 4;
      }
      break;
    }
  }
  if (i + imm > avail) return 0;
  return i + imm;
}

}  // namespace sysgate::gate
