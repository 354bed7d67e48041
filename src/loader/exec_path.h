// The one path an exec of the loader may name, and where it lives.
//
// The filter lets `execveat(loader_fd, PATH, argv, envp, AT_EMPTY_PATH)` run
// in the kernel (monitor/gate_routing.cc). The kernel ignores the descriptor
// when PATH is absolute, so the descriptor alone proves nothing: a program
// could exec any file past the policy's exec rules, without the loader. BPF
// cannot read PATH, so the filter checks where it points instead:
// kLoaderExecPath, a zero byte (EI_PAD of an ELF header) in the loader file's
// first page, which every image maps at kLoaderExecPathPage before the
// program's first instruction (gate/loader_glue.cc):
//   - MAP_SHARED from the loader's descriptor, opened read-only: no VM_MAYWRITE,
//     so neither mprotect nor /proc/self/mem's forced writes can change it;
//   - sealed with mseal (Linux 6.10), so it cannot be unmapped, moved or
//     mapped over. Without mseal a program could replace the page; sysgate
//     says so at start (monitor/runner.cc).
//
// Freestanding: included by the loader and the gate.
#pragma once

#include <stdint.h>

namespace sysgate::loader {

// 64 KiB below the loader image (SYSGATE_LOADER_ADDRESS, src/loader/CMakeLists.txt).
inline constexpr uint64_t kLoaderExecPathPage = 0x100000000000 - 0x10000;
inline constexpr uint64_t kLoaderExecPathBytes = 4096;
inline constexpr uint64_t kLoaderExecPath = kLoaderExecPathPage + 9;  // e_ident[EI_PAD]: 0

}  // namespace sysgate::loader
