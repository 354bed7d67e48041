// The one path an exec of the loader may name, and where it lives.
//
// The filter lets `execveat(loader_fd, PATH, argv, envp, AT_EMPTY_PATH)` run
// in the kernel (monitor/gate_routing.cc). The kernel ignores the descriptor
// when PATH is absolute, so the descriptor alone proves nothing: a program
// could exec any file past the policy's exec rules, without the loader. BPF
// cannot read PATH, so the filter checks where it points instead:
// kLoaderExecPath, a zero byte in a page the loader maps at
// kLoaderExecPathPage in every image it starts, first thing, whatever its
// arguments (loader/main.cc: it cannot trust them, a program can exec the
// loader with arguments of its own):
//   - shared and anonymous, mapped read-only and never written: no file and no
//     other mapping reaches it, and /proc/self/mem's forced writes refuse a
//     shared mapping without write access;
//   - sealed with mseal (Linux 6.10), so it cannot be made writable,
//     unmapped, moved or mapped over. Without mseal a program could replace
//     it; sysgate says so at start (monitor/runner.cc).
//
// Freestanding: included by the loader and the gate.
#pragma once

#include <stdint.h>

namespace sysgate::loader {

// 64 KiB below the loader image (SYSGATE_LOADER_ADDRESS, src/loader/CMakeLists.txt).
inline constexpr uint64_t kLoaderExecPathPage = 0x100000000000 - 0x10000;
inline constexpr uint64_t kLoaderExecPathBytes = 4096;
inline constexpr uint64_t kLoaderExecPath = kLoaderExecPathPage;  // "": the page is all zeros

}  // namespace sysgate::loader
