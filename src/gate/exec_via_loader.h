// execve and execveat under the loader (DESIGN invariant 4: every image starts
// in our loader, so the gate survives exec).
//
//   exec_loader_configure(loader_fd, "ring=5,loader=1000", -1);   // once, by the loader glue
//   ... in the handler:  case __NR_execve: return exec_via_loader(t, uc, call);
//
// The dance, for execve(path, argv, envp) (execveat likewise):
//   1. The gate makes the program's own call, unchanged, from its instruction.
//      The filter sends every exec to the monitor, which checks the policy's
//      exec rights, opens the file itself and puts the descriptor into this
//      process (SECCOMP_IOCTL_NOTIF_ADDFD): the call "returns" that fd. A real
//      execve never returns success, so a result >= 0 can only mean that.
//      An error is the answer to the program.
//      Where the policy leaves the monitor nothing to judge (no file rules,
//      every exec allowed: gate option selfexec=1), the gate opens the file
//      itself, with the same checks (exec_open.h), and asks the monitor only
//      for what it cannot do there.
//   2. "#!" scripts: the gate reads the first line (as the kernel would), closes
//      the fd and asks again for the interpreter, with the kernel's argv
//      [interp, optional-arg, path, argv[1], ...]. At most 4 levels (ELOOP).
//   3. Anything else: execveat(loader_fd, "", ["sysgate-exec", "--fd", N,
//      "--execfn", path, "--gate", options, "--", argv...], envp, AT_EMPTY_PATH),
//      which the filter allows for the protected loader fd only. The loader
//      validates the file (ENOEXEC-like errors end that process with status 127,
//      after the point of no return, where the kernel would also have failed it).
// Without a configured loader fd (a gate in a hosted test program) the call is
// forwarded unchanged.
//
// Only for use inside the SIGSYS handler.
#pragma once

#include "gate/call.h"

namespace sysgate::gate {

// Copies options (at most 255 bytes; longer: false); hooks_fd >= 0 is passed to
// each next loader as --hooks-fd; open_here: open each program in the process
// where it can (exec_open.h) rather than ask the monitor. Not thread-safe:
// call once before the program runs.
bool exec_loader_configure(int loader_fd, const char* options, int hooks_fd = -1, bool open_here = false);

long exec_via_loader(GateThread* t, const arch::KernelUcontext* uc, Call& call);

}  // namespace sysgate::gate
