// The redirect filter: a tiny second seccomp filter, stacked on the policy's,
// that sends every syscall made outside the loader image to the gate -- under
// `sysgate trace` only where the kernel lacks Syscall User Dispatch, which does
// the same for less (user_dispatch.h); the listed and signal-and-exec variants
// below serve the interposer and `sysgate run`.
//
//   sock_filter prog[kRedirectFilterLength];
//   if (!build_redirect_filter(info->loader_start, info->loader_end, prog)) die(...);
//   seccomp(SECCOMP_SET_MODE_FILTER, 0, {kRedirectFilterLength, prog});
//
//        ld   [4]                     ; arch
//        jeq  #AUDIT_ARCH_X86_64, nr, allow   ; the policy filter kills other arches
//   nr:  ld   [0]
//        jeq  #__NR_rt_sigreturn, allow, hi   ; the gate cannot emulate it
//   hi:  ld   [12]                    ; instruction_pointer, high word
//        jeq  #hi(begin), lo, trap
//   lo:  ld   [8]                     ; low word
//        jge  #lo(begin), last, trap
//   last:jgt  #lo(end - 1), trap, allow
//   trap: ret TRAP(kGateTrapData)        ; gate_trap.h: the gate's, not the program's
//   allow: ret ALLOW
//
// Why a second filter and not one: the kernel runs every filter and keeps the
// most severe verdict (KILL > TRAP > ERRNO > USER_NOTIF > ALLOW), so this one
// only ever turns a call into a trap that the gate then repeats from inside the
// loader, where the policy filter alone decides. It grants nothing: it is not
// part of the sandbox boundary (docs/gate.md). The policy filter stays the one
// installed by the launcher before the first exec, whose handshake needs that
// first execve to reach the monitor untrapped.
//
// Pure; freestanding.
#pragma once

#include <asm/unistd.h>
#include <linux/filter.h>
#include <stdint.h>

namespace sysgate::gate {

inline constexpr int kRedirectFilterLength = 11;

// [begin, end) must be non-empty and inside one 4 GiB-aligned window (the loader
// image is a few pages); false otherwise.
bool build_redirect_filter(uint64_t begin, uint64_t end, sock_filter out[kRedirectFilterLength]);

// The same shape for any list of numbers (the interposer's and a hook library's
// hooked calls, plus the calls every gate must see): nrs[0..count) trap outside
// [begin, end), every other call is allowed on arch and nr alone. count <=
// kMaxListedNumbers; returns the program's length (<= kMaxListedFilterLength),
// or 0 if the range spans a 4 GiB boundary or count is out of range.
inline constexpr int kMaxListedNumbers = 80;
inline constexpr int kMaxListedFilterLength = 3 + kMaxListedNumbers + 1 + 5 + 2;
int build_listed_redirect_filter(const long* nrs, int count, uint64_t begin, uint64_t end,
                                 sock_filter out[kMaxListedFilterLength]);

// The calls every gate must see, whoever makes them: execve and execveat (every
// image starts in the loader), rt_sigaction, rt_sigprocmask and sigaltstack
// (SIGSYS stays the gate's, so its traps are delivered), rt_sigpending,
// rt_sigsuspend and rt_sigtimedwait (a SIGSYS the program blocks is pending
// in the gate, not the kernel: pending_sigsys.h), arch_prctl (the gate
// finds its per-thread state through GS and must see a program that takes GS
// for itself), readlink and readlinkat (the gate answers "/proc/self/exe" with
// the program, not the loader), close_range (the gate closes a range
// around its protected descriptors, which the policy filter will not let a
// close_range cover: close_range.h), and prctl (a program's own Syscall User
// Dispatch must let the gate's code through: program_dispatch.h).
inline constexpr long kGateTrappedNumbers[] = {
    __NR_execve,     __NR_execveat,   __NR_rt_sigaction, __NR_rt_sigprocmask, __NR_rt_sigpending,
    __NR_rt_sigsuspend, __NR_rt_sigtimedwait, __NR_sigaltstack, __NR_arch_prctl, __NR_readlink,
    __NR_readlinkat, __NR_close_range, __NR_prctl};
inline constexpr int kGateTrappedCount = static_cast<int>(sizeof kGateTrappedNumbers / sizeof kGateTrappedNumbers[0]);

// `sysgate run`'s variant: only kGateTrappedNumbers trap outside [begin, end).
// Every other syscall's path reads only arch and nr and returns ALLOW, so the
// kernel's verdict cache still applies to it and the policy filter alone
// decides its fate at full speed.
inline constexpr int kSignalExecRedirectFilterLength = 3 + kGateTrappedCount + 1 + 5 + 2;
bool build_signal_exec_redirect_filter(uint64_t begin, uint64_t end,
                                       sock_filter out[kSignalExecRedirectFilterLength]);

}  // namespace sysgate::gate
