// stack_builder: the entry block's layout, alignment and auxv substitution.
#include "loader/stack_builder.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <vector>

namespace sysgate::loader {
namespace {

std::map<uint64_t, uint64_t> auxv_map(const uint64_t* auxv) {
  std::map<uint64_t, uint64_t> m;
  for (size_t i = 0; auxv[2 * i] != kAtNull; ++i) m[auxv[2 * i]] = auxv[2 * i + 1];
  return m;
}

struct Fixture {
  char a0[8] = "prog", a1[8] = "-x";
  char e0[8] = "A=1", e1[8] = "B=2", e2[8] = "C=3";
  char* argv[2] = {a0, a1};
  char* envp[3] = {e0, e1, e2};
  char execfn[16] = "/bin/prog";
  std::vector<uint64_t> auxv = {kAtPhdr,   0x1111, kAtPhent,         1,      kAtPhnum,  2,     6 /*AT_PAGESZ*/, 4096,
                                kAtBase,   0x2222, kAtEntry,         0x3333, kAtRandom, 0xabc, kAtSysinfoEhdr,  0xdef,
                                kAtExecfn, 0x4444, 23 /*AT_SECURE*/, 0,      kAtNull,   0};

  StackSpec spec() {
    StackSpec s;
    s.argc = 2;
    s.argv = argv;
    s.envc = 3;
    s.envp = envp;
    s.auxv = auxv.data();
    s.phdr = 0x400040;
    s.phent = 56;
    s.phnum = 11;
    s.entry = 0x401000;
    s.base = 0x7f0000000000;
    s.execfn = execfn;
    return s;
  }
};

TEST(StackBuilderTest, LayoutFollowsThePsAbi) {
  Fixture f;
  StackSpec spec = f.spec();
  const size_t size = stack_block_size(spec);
  EXPECT_EQ(size % 16, 0u);
  alignas(16) uint8_t mem[1024];
  ASSERT_LE(size, sizeof(mem));
  StackBlock b = build_stack_block(mem, size, spec);

  EXPECT_EQ(reinterpret_cast<void*>(b.sp), mem);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.sp) % 16, 0u);
  EXPECT_EQ(b.sp[0], 2u);
  EXPECT_EQ(reinterpret_cast<uint64_t*>(b.argv), b.sp + 1);
  EXPECT_EQ(b.argv[0], f.a0);
  EXPECT_EQ(b.argv[1], f.a1);
  EXPECT_EQ(b.argv[2], nullptr);
  EXPECT_EQ(b.envp, b.argv + 3);
  EXPECT_EQ(b.envp[0], f.e0);
  EXPECT_EQ(b.envp[2], f.e2);
  EXPECT_EQ(b.envp[3], nullptr);
  EXPECT_EQ(reinterpret_cast<char**>(b.auxv), b.envp + 4);
  EXPECT_EQ(b.auxc, 10u);
  EXPECT_EQ(b.auxv[2 * b.auxc], kAtNull);
  EXPECT_LE(reinterpret_cast<uint8_t*>(b.auxv + 2 * b.auxc + 2), mem + size);
}

TEST(StackBuilderTest, ReplacesLoaderValuesAndKeepsTheRest) {
  Fixture f;
  StackSpec spec = f.spec();
  alignas(16) uint8_t mem[1024];
  StackBlock b = build_stack_block(mem, stack_block_size(spec), spec);
  std::map<uint64_t, uint64_t> m = auxv_map(b.auxv);
  EXPECT_EQ(m[kAtPhdr], 0x400040u);
  EXPECT_EQ(m[kAtPhent], 56u);
  EXPECT_EQ(m[kAtPhnum], 11u);
  EXPECT_EQ(m[kAtEntry], 0x401000u);
  EXPECT_EQ(m[kAtBase], 0x7f0000000000u);
  EXPECT_EQ(m[kAtExecfn], reinterpret_cast<uint64_t>(f.execfn));
  EXPECT_EQ(m[kAtRandom], 0xabcu);
  EXPECT_EQ(m[kAtSysinfoEhdr], 0xdefu);
  EXPECT_EQ(m[6], 4096u);
  EXPECT_EQ(m.count(23), 1u);
  // Original order kept: AT_PHDR is still first, AT_SECURE last.
  EXPECT_EQ(b.auxv[0], kAtPhdr);
  EXPECT_EQ(b.auxv[2 * 9], 23u);
}

TEST(StackBuilderTest, AppendsMissingKeys) {
  Fixture f;
  f.auxv = {6, 4096, kAtNull, 0};
  StackSpec spec = f.spec();
  alignas(16) uint8_t mem[1024];
  StackBlock b = build_stack_block(mem, stack_block_size(spec), spec);
  std::map<uint64_t, uint64_t> m = auxv_map(b.auxv);
  EXPECT_EQ(b.auxc, 7u);
  EXPECT_EQ(m[kAtPhdr], 0x400040u);
  EXPECT_EQ(m[kAtBase], 0x7f0000000000u);
  EXPECT_EQ(m[kAtExecfn], reinterpret_cast<uint64_t>(f.execfn));
}

TEST(StackBuilderTest, CopiesProgramHeadersWhenTheImageDoesNotMapThem) {
  Fixture f;
  StackSpec spec = f.spec();
  uint8_t phdrs[112];
  for (size_t i = 0; i < sizeof(phdrs); ++i) phdrs[i] = static_cast<uint8_t>(i * 7);
  spec.phdr = 0;
  spec.phdr_copy = phdrs;
  spec.phdr_copy_len = sizeof(phdrs);
  const size_t size = stack_block_size(spec);
  EXPECT_EQ(size % 16, 0u);
  alignas(16) uint8_t mem[1024];
  ASSERT_LE(size, sizeof(mem));
  StackBlock b = build_stack_block(mem, size, spec);
  const uint8_t* copy = reinterpret_cast<const uint8_t*>(auxv_map(b.auxv)[kAtPhdr]);
  EXPECT_EQ(reinterpret_cast<uint64_t>(copy), b.phdr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(copy) % 8, 0u);
  ASSERT_GE(copy, reinterpret_cast<const uint8_t*>(b.auxv + 2 * b.auxc + 2));
  ASSERT_LE(copy + sizeof(phdrs), mem + size);
  EXPECT_EQ(memcmp(copy, phdrs, sizeof(phdrs)), 0);
}

TEST(StackBuilderTest, EmptyEnvironmentAndNoAuxv) {
  char a0[] = "x";
  char* argv[] = {a0};
  StackSpec spec;
  spec.argc = 1;
  spec.argv = argv;
  spec.phdr = 0x1000;
  spec.execfn = a0;
  alignas(16) uint8_t mem[256];
  const size_t size = stack_block_size(spec);
  ASSERT_LE(size, sizeof(mem));
  StackBlock b = build_stack_block(mem, size, spec);
  EXPECT_EQ(b.envp[0], nullptr);
  EXPECT_EQ(b.auxc, 6u);
}

}  // namespace
}  // namespace sysgate::loader
