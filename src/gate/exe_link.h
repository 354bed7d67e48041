// readlink("/proc/self/exe") under the loader: the kernel's link names
// sysgate-exec, the program expects itself (clang finds its headers, node its
// execPath, Go's os.Executable its binary that way). With GateProcess::exe_path
// known (the loader's --exe), readlink and readlinkat of "/proc/self/exe",
// "/proc/thread-self/exe" or "/proc/<own pid>/exe" are answered with it, as
// the kernel answers: the path's bytes, cut to bufsiz, no NUL, the count
// returned. Every other readlink is the kernel's.
//
//   long ret;
//   if (emulate_exe_link(t, call, &ret)) return ret;   // in dispatch
//
// Inside the SIGSYS handler, or on a trampoline's C++ path with every signal
// blocked (rewrite.cc): it probes the program's memory (app_memory.h).
#pragma once

#include "gate/call.h"

namespace sysgate::gate {

bool emulate_exe_link(const GateThread* t, Call& call, long* ret);

// Whether path is "/proc/self/exe", "/proc/thread-self/exe" or "/proc/<pid>/exe".
bool names_own_exe_link(const char* path, int32_t pid);

}  // namespace sysgate::gate
