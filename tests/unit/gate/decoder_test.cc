// The site rewriter's instruction length decoder (src/gate/rewrite_decoder.h)
// against Zydis: every function that .eh_frame_hdr lists in libc, ld.so,
// python3 and this test binary is decoded with both, from its start to its end;
// wherever ours gives a length it must be Zydis's, and Zydis must accept the
// instruction. Ours may give up (0); how often is printed, and bounded.
// Also the site check built on it (src/gate/rewrite_function_scan.h): the
// scanned answer against a fresh linear decode, at the same functions' sites.
#include <Zydis/Zydis.h>
#include <elf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "gate/rewrite_decoder.h"
#include "gate/rewrite_elf.h"
#include "gate/rewrite_function_scan.h"

namespace sysgate::gate {
namespace {

// A file's PT_LOAD segments laid out at their virtual addresses in one buffer.
struct Image {
  std::vector<uint8_t> bytes;
  uint64_t bias = 0;  // buffer address - lowest vaddr
  uint64_t eh_frame_hdr = 0;
  std::vector<std::pair<uint64_t, uint64_t>> exec;  // executable [start, end) in buffer addresses
};

bool load_image(const std::string& path, Image* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (file.size() < sizeof(Elf64_Ehdr)) return false;
  Elf64_Ehdr eh;
  std::memcpy(&eh, file.data(), sizeof eh);
  std::vector<Elf64_Phdr> ph(eh.e_phnum);
  std::memcpy(ph.data(), file.data() + eh.e_phoff, eh.e_phnum * sizeof(Elf64_Phdr));
  uint64_t lo = UINT64_MAX, hi = 0;
  for (const auto& p : ph) {
    if (p.p_type != PT_LOAD) continue;
    lo = std::min<uint64_t>(lo, p.p_vaddr & ~0xfffull);
    hi = std::max<uint64_t>(hi, p.p_vaddr + p.p_memsz);
  }
  out->bytes.assign(hi - lo + 4096, 0);
  const uint64_t base = reinterpret_cast<uint64_t>(out->bytes.data());
  out->bias = base - lo;
  for (const auto& p : ph) {
    if (p.p_type == PT_LOAD) {
      std::memcpy(out->bytes.data() + (p.p_vaddr - lo), file.data() + p.p_offset, p.p_filesz);
      if ((p.p_flags & PF_X) != 0) out->exec.push_back({out->bias + p.p_vaddr, out->bias + p.p_vaddr + p.p_memsz});
    }
    if (p.p_type == PT_GNU_EH_FRAME) out->eh_frame_hdr = out->bias + p.p_vaddr;
  }
  return out->eh_frame_hdr != 0;
}

struct Tally {
  uint64_t functions = 0, instructions = 0, gave_up = 0, mismatches = 0, zydis_rejects = 0;
  uint64_t functions_fully_decoded = 0;
};

void compare_function(const ZydisDecoder& zd, uint64_t start, uint64_t end, Tally* t, const std::string& what) {
  ++t->functions;
  uint64_t p = start;
  while (p < end) {
    const uint8_t* bytes = reinterpret_cast<const uint8_t*>(p);
    ZydisDecodedInstruction insn;
    const ZyanStatus zs = ZydisDecoderDecodeInstruction(&zd, nullptr, bytes, end - p, &insn);
    DecodedInsn d;
    const uint32_t mine = decode_length(bytes, std::min<uint64_t>(15, end - p), &d);
    if (mine == 0) {
      if (++t->gave_up <= 15 && getenv("DECODER_SHOW_GIVE_UPS") != nullptr) {
        std::fprintf(stderr, "%s: +%#lx: ours gives up (Zydis %u):", what.c_str(), p - start,
                     ZYAN_SUCCESS(zs) ? insn.length : 0u);
        for (uint32_t i = 0; i < 15 && p + i < end; ++i) std::fprintf(stderr, " %02x", bytes[i]);
        std::fprintf(stderr, "\n");
      }
      return;
    }
    ++t->instructions;
    if (!ZYAN_SUCCESS(zs)) {
      if (++t->zydis_rejects <= 10) {
        std::fprintf(stderr, "%s: +%#lx: Zydis rejects, ours says %u bytes:", what.c_str(), p - start, mine);
        for (uint32_t i = 0; i < mine; ++i) std::fprintf(stderr, " %02x", bytes[i]);
        std::fprintf(stderr, "\n");
      }
      return;
    }
    if (insn.length != mine) {
      if (++t->mismatches <= 20) {
        std::fprintf(stderr, "%s: +%#lx: Zydis %u, ours %u:", what.c_str(), p - start, insn.length, mine);
        for (uint32_t i = 0; i < insn.length; ++i) std::fprintf(stderr, " %02x", bytes[i]);
        std::fprintf(stderr, "\n");
      }
      return;
    }
    const bool zydis_branch = (insn.meta.category == ZYDIS_CATEGORY_COND_BR ||
                               insn.meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
                               insn.meta.category == ZYDIS_CATEGORY_CALL) &&
                              (insn.attributes & ZYDIS_ATTRIB_IS_RELATIVE) != 0 && insn.raw.imm[0].size != 0;
    if (zydis_branch && (!d.has_target || d.rel != insn.raw.imm[0].value.s)) {
      if (++t->mismatches <= 20) std::fprintf(stderr, "%s: +%#lx: branch target differs\n", what.c_str(), p - start);
      return;
    }
    p += mine;
  }
  ++t->functions_fully_decoded;
}

void check_file(const std::string& path) {
  if (access(path.c_str(), R_OK) != 0) GTEST_SKIP() << path << " not present";
  Image image;
  ASSERT_TRUE(load_image(path, &image)) << path;
  EhFrameHdr h;
  ASSERT_TRUE(eh_frame_hdr_open(image.eh_frame_hdr, &h)) << path;
  ZydisDecoder zd;
  ASSERT_TRUE(ZYAN_SUCCESS(ZydisDecoderInit(&zd, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)));
  Tally t;
  uint64_t unparsable = 0;
  for (uint64_t i = 0; i < h.count; ++i) {
    uint64_t s = 0, e = 0;
    if (!eh_frame_hdr_function(h, i, &s, &e)) {
      ++unparsable;
      continue;
    }
    bool inside = false;
    for (const auto& [lo, hi] : image.exec) inside = inside || (s >= lo && e <= hi);
    if (!inside || e <= s) {
      ++unparsable;
      continue;
    }
    char what[64];
    std::snprintf(what, sizeof what, "%s fn %lu", path.c_str(), static_cast<unsigned long>(i));
    compare_function(zd, s, e, &t, what);
  }
  std::printf("%s: %lu FDEs (%lu unusable), %lu functions, %lu fully decoded, %lu instructions, ours gave up in %lu, "
              "mismatches %lu, Zydis rejects %lu\n",
              path.c_str(), h.count, unparsable, t.functions, t.functions_fully_decoded, t.instructions, t.gave_up,
              t.mismatches, t.zydis_rejects);
  EXPECT_EQ(t.mismatches, 0u);
  EXPECT_EQ(t.zydis_rejects, 0u);
  EXPECT_GT(t.functions, 100u);
  // Giving up is allowed (the site stays on the trap path) but must be rare.
  EXPECT_LT(t.gave_up * 100, t.functions * 2) << "ours gives up in more than 2% of the functions";
}

TEST(GateDecoder, AgreesWithZydisOnLibc) { check_file("/lib/x86_64-linux-gnu/libc.so.6"); }
TEST(GateDecoder, AgreesWithZydisOnLdSo) { check_file("/lib64/ld-linux-x86-64.so.2"); }
TEST(GateDecoder, AgreesWithZydisOnPython3) { check_file("/usr/bin/python3"); }
TEST(GateDecoder, AgreesWithZydisOnLibstdcxx) { check_file("/lib/x86_64-linux-gnu/libstdc++.so.6"); }
TEST(GateDecoder, AgreesWithZydisOnLibm) { check_file("/lib/x86_64-linux-gnu/libm.so.6"); }
TEST(GateDecoder, AgreesWithZydisOnThisTest) { check_file("/proc/self/exe"); }

// Random byte strings: wherever both decode, the lengths agree.
TEST(GateDecoder, AgreesWithZydisOnRandomBytes) {
  ZydisDecoder zd;
  ASSERT_TRUE(ZYAN_SUCCESS(ZydisDecoderInit(&zd, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)));
  std::mt19937_64 rng(12345);
  uint64_t both = 0, mismatches = 0;
  for (int n = 0; n < 2000000; ++n) {
    uint8_t buf[15];
    for (auto& b : buf) b = static_cast<uint8_t>(rng());
    // Bias towards prefixes and escape bytes, where the work is.
    if ((n & 3) == 0) buf[0] = 0x0f;
    if ((n & 7) == 1) buf[0] = static_cast<uint8_t>(0x40 | (rng() & 15));
    if ((n & 15) == 2) buf[0] = 0x66;
    ZydisDecodedInstruction insn;
    const bool zok = ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&zd, nullptr, buf, sizeof buf, &insn));
    DecodedInsn d;
    const uint32_t mine = decode_length(buf, sizeof buf, &d);
    if (!zok || mine == 0) continue;
    ++both;
    if (mine != insn.length && ++mismatches <= 20) {
      std::fprintf(stderr, "random: Zydis %u, ours %u:", insn.length, mine);
      for (uint32_t i = 0; i < insn.length; ++i) std::fprintf(stderr, " %02x", buf[i]);
      std::fprintf(stderr, "\n");
    }
  }
  std::printf("random: %lu decoded by both, %lu mismatches\n", both, mismatches);
  EXPECT_EQ(mismatches, 0u);
}

// The functions .eh_frame_hdr lists inside an executable segment of the image.
std::vector<std::pair<uint64_t, uint64_t>> functions_of(const Image& image) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  EhFrameHdr h;
  if (!eh_frame_hdr_open(image.eh_frame_hdr, &h)) return out;
  for (uint64_t i = 0; i < h.count; ++i) {
    uint64_t s = 0, e = 0;
    if (!eh_frame_hdr_function(h, i, &s, &e) || e <= s) continue;
    for (const auto& [lo, hi] : image.exec) {
      if (s >= lo && e <= hi) out.push_back({s, e});
    }
  }
  return out;
}

// At every syscall site of every function (the mov before it, as the
// rewriter patches it) and at random offsets with the patch lengths the
// rewriter uses, one FunctionScan reused through the function as a sweep
// reuses it must accept exactly what a linear decode accepts.
void check_scan_against_linear(const std::string& path) {
  if (access(path.c_str(), R_OK) != 0) GTEST_SKIP() << path << " not present";
  Image image;
  ASSERT_TRUE(load_image(path, &image)) << path;
  static FunctionScan scan;
  std::mt19937_64 rng(777);
  uint64_t checks = 0, accepted = 0, differ = 0;
  for (const auto& [s, e] : functions_of(image)) {
    function_scan_forget(&scan);
    std::vector<uint64_t> sites;
    for (uint64_t p = s; p + 1 < e; ++p) {
      const uint8_t* b = reinterpret_cast<const uint8_t*>(p);
      if (b[0] == 0x0f && b[1] == 0x05 && p >= s + 5) sites.push_back(p - 5);
    }
    for (int k = 0; k < 8; ++k) sites.push_back(s + rng() % (e - s));
    for (const uint64_t site : sites) {
      for (const uint32_t length : {2u, 5u, 7u}) {
        for (const uint64_t changed : {uint64_t{2}, uint64_t{5}, uint64_t{7}}) {
          const bool linear = function_check_linear(s, e, site, length, site + changed) == kRefuseCount;
          const bool scanned = function_check(&scan, s, e, site, length, site + changed) == kRefuseCount;
          ++checks;
          accepted += scanned ? 1 : 0;
          if (linear != scanned && ++differ <= 10) {
            std::fprintf(stderr, "%s: function +%#lx..+%#lx, site +%#lx, length %u, changed %lu: linear %d, scan %d\n",
                         path.c_str(), s - image.bias, e - image.bias, site - s, length,
                         static_cast<unsigned long>(changed), linear, scanned);
          }
        }
      }
    }
  }
  std::printf("%s: %lu site checks, %lu accepted, %lu differ\n", path.c_str(), checks, accepted, differ);
  EXPECT_EQ(differ, 0u);
  EXPECT_GT(accepted, 100u);
}

TEST(FunctionScan, AgreesWithALinearDecodeOnLibc) { check_scan_against_linear("/lib/x86_64-linux-gnu/libc.so.6"); }
TEST(FunctionScan, AgreesWithALinearDecodeOnLdSo) { check_scan_against_linear("/lib64/ld-linux-x86-64.so.2"); }
TEST(FunctionScan, AgreesWithALinearDecodeOnPython3) { check_scan_against_linear("/usr/bin/python3"); }

// A direct branch into the bytes a patch changes refuses the site; one to the
// site's first byte does not.
TEST(FunctionScan, RefusesASiteABranchLandsInside) {
  static FunctionScan scan;
  //  0: jmp rel8   2: mov $39,%eax   7: syscall   9: ret
  uint8_t code[] = {0xeb, 0x01, 0xb8, 0x27, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xc3};
  const uint64_t s = reinterpret_cast<uint64_t>(code), e = s + sizeof code;
  function_scan_forget(&scan);
  EXPECT_EQ(function_check(&scan, s, e, s + 2, 5, s + 7), kRefuseBranchTarget);
  EXPECT_EQ(function_check_linear(s, e, s + 2, 5, s + 7), kRefuseBranchTarget);
  EXPECT_EQ(function_check(&scan, s, e, s + 3, 5, s + 8), kRefuseDecode);  // inside the mov
  EXPECT_EQ(function_check(&scan, s, e, s + 2, 4, s + 6), kRefuseDecode);  // not its length
  code[1] = 0x00;  // now the jmp lands on the mov's first byte: patchable
  function_scan_forget(&scan);
  EXPECT_EQ(function_check(&scan, s, e, s + 2, 5, s + 7), kRefuseCount);
  EXPECT_EQ(function_check(&scan, s, e, s + 7, 2, s + 9), kRefuseCount);
  EXPECT_EQ(function_check(&scan, s, e, s + 9, 1, s + 10), kRefuseCount);
  EXPECT_EQ(function_check(&scan, s, e - 1, s + 9, 1, s + 10), kRefuseDecode);  // outside the function
}

}  // namespace
}  // namespace sysgate::gate
