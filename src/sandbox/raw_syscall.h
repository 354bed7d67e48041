// Raw x86-64 system calls, for code that runs between fork and execve.
//
//   long r = raw_syscall(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
//   if (r < 0) { int err = static_cast<int>(-r); ... }
//
// Returns the kernel's result unchanged: >= 0 on success, -errno on failure.
// Never touches errno (no TLS), never goes through the PLT (no lazy binding,
// whose resolver can take locks another thread held at fork), never allocates.
// Async-signal-safe and safe in a forked child of a multi-threaded process.
// This is the only place in src/sandbox/ that issues the `syscall` instruction.
#pragma once

#if !defined(__x86_64__)
#error "src/sandbox supports x86-64 only"
#endif

namespace sysgate::sandbox {

inline long raw_syscall(long nr, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0,
                        long a6 = 0) {
  long ret;
  register long r10 asm("r10") = a4;
  register long r8 asm("r8") = a5;
  register long r9 asm("r9") = a6;
  // The kernel clobbers rcx (return address) and r11 (flags); "memory" because
  // the kernel may read or write any buffer the arguments point to.
  asm volatile("syscall"
               : "=a"(ret)
               : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
               : "rcx", "r11", "memory");
  return ret;
}

}  // namespace sysgate::sandbox
