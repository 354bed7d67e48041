// A hook library (include/sysgate/hook_library.h) for the tests: every image
// under `sysgate run|trace --hooks` sees uname's nodename as "sysgate-hooked"
// and getppid() answered with 4242. Freestanding: no libc, no relocations but
// R_X86_64_RELATIVE (the hook table below makes some).
#include <sys/syscall.h>

#include "sysgate/hook_library.h"

namespace {

void rename_host(const sysgate::Syscall& call, long* result, void*) {
  if (*result != 0) return;
  volatile char* nodename = reinterpret_cast<char*>(call.args[0]) + 65;  // struct new_utsname
  const char name[] = "sysgate-hooked";
  for (unsigned i = 0; i < sizeof name; ++i) nodename[i] = name[i];
}

sysgate::HookDecision answer_getppid(sysgate::Syscall&, void*) { return sysgate::HookDecision::answer(4242); }

struct BeforeEntry {
  long nr;
  sysgate::BeforeHook hook;
};
// Pointers in data: relocated by the loader (R_X86_64_RELATIVE); the table is
// read-only after that (RELRO), and read through a volatile pointer so the
// compiler cannot fold it away.
const BeforeEntry kBefore[] = {{SYS_getppid, answer_getppid}};
const BeforeEntry* volatile g_before = kBefore;

}  // namespace

extern "C" SYSGATE_HOOK_EXPORT int sysgate_hooks_init(const sysgate::HookApi* api) {
  if (api->version != sysgate::kHookApiVersion || api->size < sizeof(sysgate::HookApi)) return 1;
  const BeforeEntry* table = g_before;
  for (unsigned i = 0; i < sizeof kBefore / sizeof kBefore[0]; ++i) {
    if (!api->interpose_before(table[i].nr, table[i].hook, nullptr, sysgate::kHookNoVectorState)) return 1;
  }
  if (!api->interpose_after(SYS_uname, rename_host, nullptr, sysgate::kHookNoVectorState)) return 1;
  // A hook library may make syscalls through the gate's instruction.
  return api->syscall(SYS_getpid, 0, 0, 0, 0, 0, 0) > 0 ? 0 : 1;
}
