// Builds small synthetic x86-64 ELF files for the loader's tests: a valid
// dynamic PIE by default, which each test then bends in one place.
//
//   ElfBuilder b = ElfBuilder::dynamic_pie();
//   b.phdrs[2].filesz = b.phdrs[2].memsz + 1;       // one malformation
//   std::vector<uint8_t> bytes = b.bytes();
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace sysgate::loader::testing {

inline constexpr uint32_t kPtLoad = 1, kPtInterp = 3, kPtPhdr = 6, kPtGnuStack = 0x6474e551;
inline constexpr uint32_t kPfX = 1, kPfW = 2, kPfR = 4;

struct TestPhdr {
  uint32_t type = 0, flags = 0;
  uint64_t offset = 0, vaddr = 0, filesz = 0, memsz = 0, align = 0x1000;
};

struct ElfBuilder {
  uint8_t ident_class = 2, ident_data = 1, ident_version = 1;
  uint16_t type = 3, machine = 62, phentsize = 56;
  uint32_t version = 1;
  uint64_t entry = 0x1000, phoff = 64;
  std::optional<uint16_t> phnum;  // default: phdrs.size()
  std::vector<TestPhdr> phdrs;
  std::vector<std::pair<uint64_t, std::string>> blobs;  // bytes placed at file offsets
  uint64_t file_size = 0x3000;

  static constexpr char kInterp[] = "/lib64/ld-linux-x86-64.so.2";

  // PHDR, INTERP, LOAD r (0x0), LOAD rx (0x1000), LOAD rw (0x3000 <- 0x2000, bss), GNU_STACK rw.
  static ElfBuilder dynamic_pie() {
    ElfBuilder b;
    b.phdrs = {
        {kPtPhdr, kPfR, 64, 64, 6 * 56, 6 * 56, 8},
        {kPtInterp, kPfR, 0x200, 0x200, sizeof(kInterp), sizeof(kInterp), 1},
        {kPtLoad, kPfR, 0, 0, 0x800, 0x800},
        {kPtLoad, kPfR | kPfX, 0x1000, 0x1000, 0x900, 0x900},
        {kPtLoad, kPfR | kPfW, 0x2000, 0x3000, 0x100, 0x2000},
        {kPtGnuStack, kPfR | kPfW, 0, 0, 0, 0, 16},
    };
    b.blobs.push_back({0x200, std::string(kInterp, sizeof(kInterp))});
    return b;
  }

  // A static non-PIE image at 0x400000: LOAD r, LOAD rx, LOAD rw with bss, GNU_STACK.
  static ElfBuilder static_exec() {
    ElfBuilder b;
    b.type = 2;
    b.entry = 0x401000;
    b.phdrs = {
        {kPtLoad, kPfR, 0, 0x400000, 0x400, 0x400},
        {kPtLoad, kPfR | kPfX, 0x1000, 0x401000, 0x800, 0x800},
        {kPtLoad, kPfR | kPfW, 0x2000, 0x402000, 0x80, 0x10000},
        {kPtGnuStack, kPfR | kPfW, 0, 0, 0, 0, 16},
    };
    return b;
  }

  std::vector<uint8_t> bytes() const {
    std::vector<uint8_t> out(file_size, 0);
    auto put = [&](uint64_t off, uint64_t value, int width) {
      for (int i = 0; i < width; ++i) {
        const uint64_t at = off + i;
        if (at >= off && at < out.size()) out[at] = static_cast<uint8_t>(value >> (8 * i));
      }
    };
    const uint8_t magic[4] = {0x7f, 'E', 'L', 'F'};
    for (int i = 0; i < 4; ++i) put(i, magic[i], 1);
    put(4, ident_class, 1);
    put(5, ident_data, 1);
    put(6, ident_version, 1);
    put(16, type, 2);
    put(18, machine, 2);
    put(20, version, 4);
    put(24, entry, 8);
    put(32, phoff, 8);
    put(52, 64, 2);  // e_ehsize
    put(54, phentsize, 2);
    put(56, phnum.value_or(static_cast<uint16_t>(phdrs.size())), 2);
    for (size_t i = 0; i < phdrs.size(); ++i) {
      const TestPhdr& p = phdrs[i];
      const uint64_t at = phoff + i * 56;
      if (at < phoff || at > out.size()) continue;  // a table past the end (or wrapping) is not written
      put(at + 0, p.type, 4);
      put(at + 4, p.flags, 4);
      put(at + 8, p.offset, 8);
      put(at + 16, p.vaddr, 8);
      put(at + 24, p.vaddr, 8);
      put(at + 32, p.filesz, 8);
      put(at + 40, p.memsz, 8);
      put(at + 48, p.align, 8);
    }
    for (const auto& [off, text] : blobs) {
      for (size_t i = 0; i < text.size(); ++i) {
        if (off + i >= off) put(off + i, static_cast<uint8_t>(text[i]), 1);
      }
    }
    return out;
  }
};

}  // namespace sysgate::loader::testing
