// The new process-entry block: argc, argv[], NULL, envp[], NULL, auxv pairs,
// AT_NULL — the x86-64 psABI layout the target's _start expects at %rsp.
//
//   StackSpec spec = {...};                       // from the loader's own block
//   size_t n = stack_block_size(spec);            // bytes, a multiple of 16
//   void* mem = __builtin_alloca_with_align(n, 128);
//   StackBlock b = build_stack_block(mem, n, spec);
//   // jump with %rsp = b.sp
//
// Pure: writes only into mem[0, size); no syscalls, no libc, no globals;
// thread-safe and async-signal-safe. Compiles into the loader and host tests.
//
// Strings are not copied: argv/envp/AT_EXECFN point wherever the spec says
// (the loader's original strings). The auxiliary vector is the original one
// with AT_PHDR, AT_PHENT, AT_PHNUM, AT_ENTRY, AT_BASE and AT_EXECFN replaced
// (appended if the original lacked them); every other entry (AT_RANDOM,
// AT_SYSINFO_EHDR, AT_HWCAP, AT_HWCAP2, AT_PAGESZ, AT_CLKTCK, AT_SECURE,
// AT_MINSIGSTKSZ, AT_PLATFORM, AT_UID, ...) is kept with its value.
// When the program headers are not mapped by the image (spec.phdr == 0), a
// copy of them is placed at the top of the block and AT_PHDR points to it.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace sysgate::loader {

// Auxiliary vector keys (linux/auxvec.h), kept here so the header stays pure.
inline constexpr uint64_t kAtNull = 0;
inline constexpr uint64_t kAtPhdr = 3;
inline constexpr uint64_t kAtPhent = 4;
inline constexpr uint64_t kAtPhnum = 5;
inline constexpr uint64_t kAtBase = 7;
inline constexpr uint64_t kAtEntry = 9;
inline constexpr uint64_t kAtRandom = 25;
inline constexpr uint64_t kAtExecfn = 31;
inline constexpr uint64_t kAtSysinfoEhdr = 33;

struct StackSpec {
  uint64_t argc = 0;
  char* const* argv = nullptr;  // argc pointers
  uint64_t envc = 0;
  char* const* envp = nullptr;         // envc pointers
  const uint64_t* auxv = nullptr;      // original (key, value) pairs ending with AT_NULL; may be null
  uint64_t phdr = 0;                   // AT_PHDR; 0: use a copy of phdr_copy
  uint64_t phent = 0;                  // AT_PHENT
  uint64_t phnum = 0;                  // AT_PHNUM
  uint64_t entry = 0;                  // AT_ENTRY: the program's entry (not the interpreter's)
  uint64_t base = 0;                   // AT_BASE: the interpreter's load bias, 0 without one
  const char* execfn = nullptr;        // AT_EXECFN
  const uint8_t* phdr_copy = nullptr;  // used only when phdr == 0
  size_t phdr_copy_len = 0;
};

struct StackBlock {
  uint64_t* sp = nullptr;  // == mem: &argc, 16-byte aligned
  uint64_t argc = 0;
  char** argv = nullptr;
  char** envp = nullptr;
  uint64_t* auxv = nullptr;  // pairs, ending with AT_NULL
  uint64_t auxc = 0;         // pairs before AT_NULL
  uint64_t phdr = 0;         // the AT_PHDR value written
};

// Number of original auxv pairs before AT_NULL (0 for a null auxv).
size_t count_auxv(const uint64_t* auxv);

// Bytes needed for the block; a multiple of 16.
size_t stack_block_size(const StackSpec& spec);

// Writes the block at mem (16-byte aligned, size >= stack_block_size(spec)).
StackBlock build_stack_block(void* mem, size_t size, const StackSpec& spec);

}  // namespace sysgate::loader
