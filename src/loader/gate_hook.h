/* The loader's hook for the in-process gate: called once, after the target
 * (and its interpreter) are mapped and the target's entry block is built on
 * the stack, immediately before the loader jumps to the entry point.
 *
 *   // in the gate (src/gate), a strong definition:
 *   extern "C" void sysgate_gate_arm(const sysgate_loader_info* info) {
 *     install_sigsys_handler(...);        // the target's first instruction runs armed
 *     parse_options(info->gate_options);  // the --gate string, or NULL
 *   }
 *
 * Contract for the implementation:
 *  - It runs in the freestanding loader image (fixed address, see
 *    docs/loader.md): no libc, no TLS, no static constructors (none are run),
 *    no vector registers (-mgeneral-regs-only), on the process stack below the
 *    target's entry block (which it must not overwrite), single-threaded.
 *  - It may return (the loader then jumps to info->entry) or never return.
 *  - It may edit the block through info->argv/envp/auxv in place (e.g. an
 *    auxv value), but must not change counts or move the block.
 *  - A failure should end the process itself (write + exit_group(127)).
 * The loader provides a weak definition that does nothing. It lives in an
 * archive that is linked last, so a gate library linked into sysgate-exec
 * (target_link_libraries(sysgate-exec PRIVATE <gate lib>), STATIC or OBJECT)
 * always supplies the definition that is used.
 *
 * Plain C: this header is included from C and C++, freestanding or hosted.
 */
#ifndef SYSGATE_LOADER_GATE_HOOK_H_
#define SYSGATE_LOADER_GATE_HOOK_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SYSGATE_LOADER_INFO_VERSION 3

typedef struct sysgate_loader_info {
  uint32_t version; /* SYSGATE_LOADER_INFO_VERSION */
  uint32_t size;    /* sizeof(sysgate_loader_info) */

  uint64_t entry;         /* where control goes: the interpreter's entry, else the program's */
  uint64_t program_entry; /* the program's relocated e_entry (AT_ENTRY) */
  uint64_t load_bias;     /* added to the program's p_vaddr (0 for ET_EXEC) */
  uint64_t image_start;   /* the program's mapped range [image_start, image_end) */
  uint64_t image_end;
  uint64_t interp_base;  /* the interpreter's load bias (AT_BASE); 0 without one */
  uint64_t interp_start; /* the interpreter's mapped range; both 0 without one */
  uint64_t interp_end;
  const void* phdr;   /* the program's headers as the target sees them (AT_PHDR) */
  uint64_t phnum;     /* AT_PHNUM (AT_PHENT is always 56) */
  const char* execfn; /* AT_EXECFN */

  /* The NEW entry block: stack_pointer == &argc, 16-byte aligned;
   * argv[argc] == NULL, envp ends with NULL, auxv is (key, value) pairs ending with AT_NULL. */
  uint64_t* stack_pointer;
  uint64_t argc;
  char** argv;
  char** envp;
  uint64_t* auxv;

  const char* gate_options; /* the --gate string, or NULL when absent */
  uint64_t loader_start;    /* the loader's own image [loader_start, loader_end) */
  uint64_t loader_end;

  /* --hooks-fd: the hook library's sysgate_hooks_init (include/sysgate/hook_library.h),
   * mapped and linked; 0 without one. */
  uint64_t hooks_init;
  /* --exe: the program's absolute path, for readlink("/proc/self/exe"); NULL without. */
  const char* exe_path;
  /* Version 3: the end of the process's stack mapping (the kernel's [stack],
   * where the target's stack is too), 0 if unknown. */
  uint64_t stack_top;
} sysgate_loader_info;

void sysgate_gate_arm(const sysgate_loader_info* info);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SYSGATE_LOADER_GATE_HOOK_H_ */
