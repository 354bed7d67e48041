// A strong sysgate_gate_arm for a test build of the loader
// (sysgate-exec-testhook): checks every promise gate_hook.h makes about the
// info and the entry block, then reports on stderr with one raw write:
//   "gate-hook: ok argc=N options=OPTS execfn=PATH"  (and returns)
//   "gate-hook: FAIL <what>"                          (and exits 126)
// Freestanding, like the real gate.
#include "loader/die.h"
#include "loader/gate_hook.h"
#include "loader/raw.h"
#include "loader/stack_builder.h"

namespace {

using sysgate::loader::LineBuffer;

[[noreturn]] void fail(const char* what) {
  char buf[256];
  LineBuffer line(buf, sizeof(buf) - 1);
  line.add("gate-hook: FAIL ").add(what);
  buf[line.size()] = '\n';
  sysgate::loader::raw::write(2, buf, line.size() + 1);
  sysgate::loader::raw::exit_group(126);
}

#define EXPECT(cond) \
  if (!(cond)) fail(#cond)

uint64_t aux(const sysgate_loader_info* info, uint64_t key) {
  for (uint64_t* a = info->auxv; a[0] != sysgate::loader::kAtNull; a += 2) {
    if (a[0] == key) return a[1];
  }
  return ~uint64_t{0};
}

}  // namespace

extern "C" void sysgate_gate_arm(const sysgate_loader_info* info) {
  using namespace sysgate::loader;
  EXPECT(info->version == SYSGATE_LOADER_INFO_VERSION);
  EXPECT(info->size == sizeof(sysgate_loader_info));
  uint64_t* sp = info->stack_pointer;
  EXPECT((reinterpret_cast<uint64_t>(sp) & 15) == 0);
  EXPECT(sp[0] == info->argc);
  EXPECT(info->argv == reinterpret_cast<char**>(sp + 1));
  EXPECT(info->argv[info->argc] == nullptr);
  EXPECT(info->envp == info->argv + info->argc + 1);
  uint64_t envc = 0;
  while (info->envp[envc] != nullptr) ++envc;
  EXPECT(info->auxv == reinterpret_cast<uint64_t*>(info->envp + envc + 1));
  EXPECT(aux(info, kAtEntry) == info->program_entry);
  EXPECT(aux(info, kAtPhdr) == reinterpret_cast<uint64_t>(info->phdr));
  EXPECT(aux(info, kAtPhnum) == info->phnum);
  EXPECT(aux(info, kAtPhent) == 56);
  EXPECT(aux(info, kAtBase) == info->interp_base);
  EXPECT(aux(info, kAtExecfn) == reinterpret_cast<uint64_t>(info->execfn));
  EXPECT(aux(info, kAtRandom) != 0 && aux(info, kAtRandom) != ~uint64_t{0});
  EXPECT(info->program_entry >= info->image_start && info->program_entry < info->image_end);
  EXPECT(info->image_start < info->image_end);
  if (info->interp_base == 0) {
    EXPECT(info->entry == info->program_entry);
    EXPECT(info->interp_start == 0 && info->interp_end == 0);
  } else {
    EXPECT(info->entry >= info->interp_start && info->entry < info->interp_end);
  }
  EXPECT(info->loader_start == 0x100000000000);
  EXPECT(info->loader_end > info->loader_start);
  EXPECT(info->entry < info->loader_start || info->entry >= info->loader_end);
  // The hook runs below the block it describes.
  int here = 0;
  EXPECT(reinterpret_cast<uint64_t>(&here) < reinterpret_cast<uint64_t>(sp));

  char buf[512];
  LineBuffer line(buf, sizeof(buf) - 1);
  line.add("gate-hook: ok argc=").add_unsigned(info->argc);
  line.add(" options=").add(info->gate_options != nullptr ? info->gate_options : "(none)");
  line.add(" execfn=").add(info->execfn);
  buf[line.size()] = '\n';
  raw::write(2, buf, line.size() + 1);
}
