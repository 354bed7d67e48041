// Reading and writing the program's memory from the gate without faulting.
//
//   if (!app_probe_read(act, sizeof(KernelSigaction))) return -EFAULT;
//   copy_bytes(&local, reinterpret_cast<void*>(act), sizeof local);
//
// The gate runs with every signal blocked, so a fault in it would kill the
// process (the kernel forces a blocked SIGSEGV). Where the program passes a
// pointer the kernel has not already validated, the gate asks the kernel first,
// with calls that have no side effect other than the validation:
//
//   readable page:  rt_sigaction(0, p & ~31, NULL, 8) -> -EINVAL (sig 0 is invalid,
//                   but the kernel copies the 32-byte act in first) or -EFAULT
//   writable bytes: rt_sigprocmask(SIG_BLOCK, NULL, p, 8) writes the current mask
//                   (all signals, in the handler) to p -> 0 or -EFAULT; callers then
//                   overwrite those bytes
//
// A probe answers for the moment it is made: another thread can unmap the memory
// right after. Only a program hurting itself does that; the gate then dies.
// Async-signal-safe. Only for use inside the SIGSYS handler (probe_write relies on
// the handler's full signal mask).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace sysgate::gate {

// Whether p can point into the program's memory at all: not in page 0 (never
// readable here, see app_probe_read) and below the end of user space (4-level
// paging). A cheap first test for a traced call's arguments: AT_FDCWD, flags
// and lengths fail it.
inline bool could_be_app_pointer(uint64_t p) { return p >= 4096 && p < (uint64_t{1} << 47); }

// True if every page of [p, p + n) is readable (n > 0; [p, p+n) must not wrap).
bool app_probe_read(uint64_t p, uint64_t n);

// True if [p, p + n) is writable, for n >= 8 spanning at most two pages: probes
// its first and last 8 bytes, which it clobbers.
bool app_probe_write(uint64_t p, uint64_t n);

// Length of the NUL-terminated string at p, at most max; *terminated false when
// no NUL was found within max bytes. Bytes [p, p + trusted) are known readable
// (the kernel just read them); other pages are probed. Returns -1 if the first
// byte is unreadable; stops early (as if unterminated) at an unreadable page.
long app_string_length(uint64_t p, uint64_t max, uint64_t trusted, bool* terminated);

// Number of bytes of [p, p + n) readable from p on, probing pages beyond
// [p, p + trusted).
uint64_t app_readable_prefix(uint64_t p, uint64_t n, uint64_t trusted);

}  // namespace sysgate::gate
