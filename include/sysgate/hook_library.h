// A hook library: interposer hooks (include/sysgate/interposer.h) that
// `sysgate run` and `sysgate trace` load into the gate of every image they start:
//
//   sysgate run --hooks ./libmyhooks.so -- CMD...
//
// The library is a freestanding ELF shared object: no libc, no C++ runtime, no
// DT_NEEDED, no constructors (DT_INIT/DT_INIT_ARRAY are refused: nothing would
// run them), and only R_X86_64_RELATIVE relocations, which the loader applies
// itself (it is not a dynamic linker). It must have a DT_HASH table (link with
// -Wl,--hash-style=sysv or both) and export one function:
//
//   #include <sysgate/hook_library.h>
//   extern "C" SYSGATE_HOOK_EXPORT int sysgate_hooks_init(const sysgate::HookApi* api) {
//     api->interpose_after(SYS_uname, rename_host, nullptr, sysgate::kHookNoVectorState);
//     return 0;   // non-zero: the image does not start (exit 127)
//   }
//
// Build it like tests/integration/CMakeLists.txt builds hook_library_example:
//   -fPIC -shared -nostdlib -ffreestanding -fno-exceptions -fno-rtti
//   -mgeneral-regs-only -fvisibility=hidden -Wl,--hash-style=both -Wl,-z,noexecstack
//
// The loader maps it into each image before the program (after every exec too:
// the descriptor stays open, protected like the loader's), calls
// sysgate_hooks_init with the API below, then arms the gate with the hooks.
// Hooked numbers are trapped wherever they are made (under `run` the filter
// traps them too) and their glibc-shaped sites are rewritten, as in the
// interposer. The rules for hook code are the interposer's (interposer.h); the
// library runs in the untrusted process, so it can do nothing the policy
// refuses: it is a tool for observing and changing the program's calls, not a
// part of the sandbox.
#pragma once

#include <cstdint>

#include "sysgate/interposer.h"

#define SYSGATE_HOOK_EXPORT __attribute__((visibility("default")))

namespace sysgate {

inline constexpr uint32_t kHookApiVersion = 1;

struct HookApi {
  uint32_t version;  // kHookApiVersion
  uint32_t size;     // sizeof(HookApi)
  bool (*interpose_before)(long nr, BeforeHook hook, void* user, unsigned flags);
  bool (*interpose_after)(long nr, AfterHook hook, void* user, unsigned flags);
  // A syscall from the gate's own instruction: the only way for a hook to make one.
  long (*syscall)(long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);
};

}  // namespace sysgate

// What the library defines (C linkage, default visibility).
extern "C" int sysgate_hooks_init(const sysgate::HookApi* api);
