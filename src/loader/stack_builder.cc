#include "loader/stack_builder.h"

namespace sysgate::loader {
namespace {

constexpr int kReplacedKeys = 6;  // AT_PHDR, AT_PHENT, AT_PHNUM, AT_ENTRY, AT_BASE, AT_EXECFN

size_t round16(size_t n) { return (n + 15) & ~static_cast<size_t>(15); }

size_t words_before_copy(const StackSpec& spec) {
  // argc, argv + NULL, envp + NULL, (original + replaced + AT_NULL) pairs.
  return 1 + (spec.argc + 1) + (spec.envc + 1) + 2 * (count_auxv(spec.auxv) + kReplacedKeys + 1);
}

}  // namespace

size_t count_auxv(const uint64_t* auxv) {
  size_t n = 0;
  if (auxv == nullptr) return 0;
  while (auxv[2 * n] != kAtNull) ++n;
  return n;
}

size_t stack_block_size(const StackSpec& spec) {
  size_t bytes = round16(8 * words_before_copy(spec));
  if (spec.phdr == 0) bytes += round16(spec.phdr_copy_len);
  return bytes;
}

StackBlock build_stack_block(void* mem, size_t size, const StackSpec& spec) {
  auto* words = static_cast<uint64_t*>(mem);
  StackBlock b;
  b.sp = words;
  b.argc = spec.argc;

  uint64_t phdr = spec.phdr;
  if (phdr == 0) {
    // The copy sits at the top of the block, above everything the target indexes.
    auto* copy = static_cast<uint8_t*>(mem) + size - round16(spec.phdr_copy_len);
    for (size_t i = 0; i < spec.phdr_copy_len; ++i) copy[i] = spec.phdr_copy[i];
    phdr = reinterpret_cast<uint64_t>(copy);
  }
  b.phdr = phdr;

  size_t w = 0;
  words[w++] = spec.argc;
  b.argv = reinterpret_cast<char**>(&words[w]);
  for (uint64_t i = 0; i < spec.argc; ++i) words[w++] = reinterpret_cast<uint64_t>(spec.argv[i]);
  words[w++] = 0;
  b.envp = reinterpret_cast<char**>(&words[w]);
  for (uint64_t i = 0; i < spec.envc; ++i) words[w++] = reinterpret_cast<uint64_t>(spec.envp[i]);
  words[w++] = 0;

  b.auxv = &words[w];
  const uint64_t keys[kReplacedKeys] = {kAtPhdr, kAtPhent, kAtPhnum, kAtEntry, kAtBase, kAtExecfn};
  const uint64_t values[kReplacedKeys] = {phdr,       spec.phent, spec.phnum,
                                          spec.entry, spec.base,  reinterpret_cast<uint64_t>(spec.execfn)};
  bool written[kReplacedKeys] = {};
  const size_t n = count_auxv(spec.auxv);
  for (size_t i = 0; i < n; ++i) {
    uint64_t key = spec.auxv[2 * i];
    uint64_t value = spec.auxv[2 * i + 1];
    for (int k = 0; k < kReplacedKeys; ++k) {
      if (key == keys[k]) {
        value = values[k];
        written[k] = true;
      }
    }
    words[w++] = key;
    words[w++] = value;
  }
  for (int k = 0; k < kReplacedKeys; ++k) {
    if (!written[k]) {
      words[w++] = keys[k];
      words[w++] = values[k];
    }
  }
  b.auxc = (reinterpret_cast<uint64_t>(&words[w]) - reinterpret_cast<uint64_t>(b.auxv)) / 16;
  words[w++] = kAtNull;
  words[w++] = 0;
  return b;
}

}  // namespace sysgate::loader
