// Opening an exec's program in the process itself, where the monitor would
// only repeat what the kernel checks for the program (exec_via_loader.h).
//
//   long fd = exec_open_here(t, words, exe_real);
//   if (fd == kExecAskMonitor) fd = blocking_syscall(uc, words);  // the monitor's answer
//
// The monitor brokers every exec (monitor/exec_broker.h): it copies the path,
// resolves it, checks a regular file with execute permission, judges the file
// rules' x right, opens the file and hands the descriptor over. Under a policy
// with no file rules that allows every exec (`--profile all`, trace's
// default), nothing in those steps is the monitor's to decide: the process can
// open the file itself, with its own credentials, and save the round trip (a
// notification, a monitor thread waking on another CPU, ~15 /proc and file
// syscalls there, SECCOMP_IOCTL_NOTIF_ADDFD: ~0.4 ms of each exec on a 2-vCPU
// VM, docs/performance.md). The monitor then says so with the gate option
// selfexec=1 (monitor/runner.cc). A program that forges that option gains
// nothing: every call made here passes the filter and Landlock as its own
// would, and it can always run a readable file through the loader itself
// (docs/loader.md).
//
// The same checks as the monitor's, in the same order, on the object opened:
// O_PATH resolution (no FIFO or device is opened for reading), a regular file,
// X_OK for the effective ids (faccessat2 AT_EACCESS, which also refuses a
// noexec mount), then an O_RDONLY open of the same path, kept only if it is the
// same file (device and inode). Its real path goes to exe_real, the next
// image's /proc/self/exe. An exec of this process's own exe link runs the
// image the gate already names (GateProcess::exe_path).
//
// Left to the monitor (kExecAskMonitor): anything but a plain non-empty path
// with flags 0 (AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW), another process's
// /proc/PID/exe, a file the program may execute but not read (the monitor
// opens it: the kernel would run it), a path that changed between the two
// opens, and a process where readlink of /proc/self/fd cannot say the file's
// path (no /proc: the monitor then keeps the image it records right).
//
// Only for use inside the SIGSYS handler or the trampolines' C++ path.
#pragma once

#include <stdint.h>

#include "gate/thread_state.h"

namespace sysgate::gate {

inline constexpr long kExecAskMonitor = -4096;

// words: {nr, args[0..5]} of the execve or execveat being made (as
// exec_via_loader builds them). exe_real: kExecRealBytes bytes. Returns the
// descriptor (not close-on-exec: the loader reads it after the exec), the
// kernel's error (-ENOENT, -EACCES, ...), or kExecAskMonitor.
inline constexpr uint64_t kExecRealBytes = 4096;
long exec_open_here(const GateThread* t, const uint64_t words[7], char* exe_real);

}  // namespace sysgate::gate
