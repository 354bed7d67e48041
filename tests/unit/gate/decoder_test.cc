// The site rewriter's instruction length decoder (src/gate/rewrite_decoder.h)
// against Zydis: every function that .eh_frame_hdr lists in libc, ld.so,
// python3 and this test binary is decoded with both, from its start to its end;
// wherever ours gives a length it must be Zydis's, and Zydis must accept the
// instruction. Ours may give up (0); how often is printed, and bounded.
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

}  // namespace
}  // namespace sysgate::gate
