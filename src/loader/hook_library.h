// Mapping and linking a hook library (include/sysgate/hook_library.h) for the
// gate: the loader is not a dynamic linker, so it accepts only what it can link
// completely itself and refuses everything else with a message.
//
//   uint64_t init = load_hook_library(hooks_fd, "hook library");
//   // init: the address of the library's sysgate_hooks_init
//
// Accepted: an ET_DYN x86-64 image without PT_INTERP, with a PT_DYNAMIC whose
// relocations (DT_RELA and DT_JMPREL) are all R_X86_64_RELATIVE (or NONE) and
// land in writable segments, a DT_HASH symbol table defining the function
// sysgate_hooks_init in an executable segment, and no DT_NEEDED, DT_REL,
// DT_TEXTREL, DT_INIT or non-empty DT_INIT_ARRAY. PT_GNU_RELRO is made
// read-only after relocation. The fd stays open (later execs map it again).
// Every address the dynamic section gives is checked to lie in the mapped
// image before it is read. Failures die (exit 127). Loader-only (raw syscalls).
#pragma once

#include <stdint.h>

namespace sysgate::loader {

uint64_t load_hook_library(int fd, const char* name);

}  // namespace sysgate::loader
