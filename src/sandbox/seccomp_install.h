// Installs a seccomp-BPF filter on the calling thread (or process), and probes
// what the kernel's seccomp supports.
//
//   // In the process itself (the library's restrict_self path):
//   if (auto r = set_no_new_privs(); !r) return r.error();
//   Result<int> listener = install_filter(program, {.tsync = true, .new_listener = true});
//
//   // In a forked child before execve (async-signal-safe, no allocation):
//   sock_fprog prog = to_sock_fprog(program);        // prepared in the parent
//   unsigned flags = filter_flags({.tsync = true, .new_listener = true});
//   if (raw_set_no_new_privs() < 0) _exit(126);
//   long fd = raw_install_filter(&prog, flags);      // listener fd or -errno
//
// Functions named raw_* are async-signal-safe: one raw syscall, no allocation,
// no errno; they return the kernel's result (>= 0) or -errno. The others are for
// ordinary code and return Result with the failing call and strerror in the message.
// All functions are thread-safe (they only act on the calling thread or process).
//
// A filter, once installed, can never be removed; filters stack (every installed
// filter runs; the most restrictive verdict wins). Installing needs either
// no_new_privs or CAP_SYS_ADMIN in the current user namespace; we always set
// no_new_privs so that a setuid program cannot run with a filter it did not expect.
#pragma once

#include <linux/filter.h>

#include <cstdint>

#include "base/result.h"
#include "bpf/program.h"

namespace sysgate::sandbox {

struct InstallOptions {
  // Apply the filter to every thread of the process, atomically. Always sent
  // together with SECCOMP_FILTER_FLAG_TSYNC_ESRCH, so that a thread that cannot
  // be synchronised makes the call fail with ESRCH instead of returning its tid
  // (and because the kernel rejects TSYNC + NEW_LISTENER without TSYNC_ESRCH).
  bool tsync = false;
  // Return a user-notification listener fd (O_CLOEXEC) for SECCOMP_RET_USER_NOTIF
  // verdicts. Fails with EBUSY if a filter with a listener is already installed.
  bool new_listener = false;
  // With new_listener: while the target waits for the supervisor's answer, only
  // fatal signals interrupt it (Linux 5.19+). Off by default.
  bool wait_killable_recv = false;
};

// The SECCOMP_FILTER_FLAG_* bits for options. Pure; async-signal-safe.
unsigned filter_flags(const InstallOptions& options);

// A sock_fprog viewing program's instructions. The program must outlive it and
// must not change; build it in the parent before fork. Pure; async-signal-safe.
sock_fprog to_sock_fprog(const bpf::Program& program);

// prctl(PR_SET_NO_NEW_PRIVS, 1): execve can no longer grant privileges (setuid,
// file capabilities). Inherited by children, irreversible.
long raw_set_no_new_privs();
Result<void> set_no_new_privs();

// seccomp(SECCOMP_SET_MODE_FILTER, flags, prog). Returns the listener fd when
// flags include NEW_LISTENER, else 0; or -errno. Async-signal-safe.
long raw_install_filter(const sock_fprog* prog, unsigned flags);

// Installs program with options. Returns the listener fd (caller owns it) when
// options.new_listener, else -1. kInvalidArgument for an empty or oversized
// program; kSystem when the kernel refuses (message names the flags and errno).
Result<int> install_filter(const bpf::Program& program, const InstallOptions& options);

// SECCOMP_GET_ACTION_AVAIL: does the kernel know this SECCOMP_RET_* action
// (e.g. SECCOMP_RET_USER_NOTIF, SECCOMP_RET_KILL_PROCESS)? Only the action bits
// matter; the data bits are ignored. kSystem for unexpected failures.
Result<bool> action_available(uint32_t action);

// SECCOMP_GET_NOTIF_SIZES: the kernel's sizes of the user-notification structs.
// They may be larger than this program's headers (newer kernel); buffers handed
// to the kernel must be at least this large. kUnsupported when the kernel has no
// user notification.
struct NotifSizes {
  uint16_t notif = 0;       // struct seccomp_notif
  uint16_t notif_resp = 0;  // struct seccomp_notif_resp
  uint16_t data = 0;        // struct seccomp_data
};
Result<NotifSizes> notif_sizes();

}  // namespace sysgate::sandbox
