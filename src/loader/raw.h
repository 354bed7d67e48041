// Raw x86-64 system calls for the freestanding loader: the only place in
// src/loader/ that issues the `syscall` instruction.
//
//   long fd = raw::openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
//   if (raw::failed(fd)) die_errno("interpreter", path, raw::error_of(fd));
//
// Every wrapper returns the kernel's value unchanged: >= 0 (or an address) on
// success, -errno in [-4095, -1] on failure. No errno, no TLS, no libc.
// Async-signal-safe; each call is one instruction's worth of state.
//
// Only Linux UAPI headers are used for constants (they are freestanding).
#pragma once

#include <asm/stat.h>
#include <asm/unistd.h>
#include <linux/auxvec.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/mman.h>
#include <linux/prctl.h>
#include <linux/stat.h>
#include <stddef.h>
#include <stdint.h>

#if !defined(__x86_64__)
#error "the sysgate loader supports x86-64 only"
#endif

namespace sysgate::loader::raw {

inline long syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
  long ret;
  register long r10 asm("r10") = a4;
  register long r8 asm("r8") = a5;
  register long r9 asm("r9") = a6;
  // The kernel clobbers rcx (return rip) and r11 (rflags); "memory" because it
  // may read or write any buffer the arguments point to.
  asm volatile("syscall"
               : "=a"(ret)
               : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
               : "rcx", "r11", "memory");
  return ret;
}

inline bool failed(long r) { return static_cast<unsigned long>(r) > static_cast<unsigned long>(-4096L); }
inline int error_of(long r) { return static_cast<int>(-r); }

inline long read(int fd, void* buf, size_t n) {
  return syscall6(__NR_read, fd, reinterpret_cast<long>(buf), static_cast<long>(n), 0, 0, 0);
}
inline long write(int fd, const void* buf, size_t n) {
  return syscall6(__NR_write, fd, reinterpret_cast<long>(buf), static_cast<long>(n), 0, 0, 0);
}
inline long pread(int fd, void* buf, size_t n, uint64_t offset) {
  return syscall6(__NR_pread64, fd, reinterpret_cast<long>(buf), static_cast<long>(n), static_cast<long>(offset), 0, 0);
}
inline long openat(int dirfd, const char* path, int flags) {
  return syscall6(__NR_openat, dirfd, reinterpret_cast<long>(path), flags, 0, 0, 0);
}
inline long close(int fd) { return syscall6(__NR_close, fd, 0, 0, 0, 0, 0); }
inline long fstat(int fd, struct stat* st) { return syscall6(__NR_fstat, fd, reinterpret_cast<long>(st), 0, 0, 0, 0); }
inline long mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t offset) {
  return syscall6(__NR_mmap, static_cast<long>(addr), static_cast<long>(len), prot, flags, fd,
                  static_cast<long>(offset));
}
inline long munmap(uint64_t addr, uint64_t len) {
  return syscall6(__NR_munmap, static_cast<long>(addr), static_cast<long>(len), 0, 0, 0, 0);
}
inline long mseal(uint64_t addr, uint64_t len) {
  constexpr long kNrMseal = 462;  // (not in older kernel headers)
  return syscall6(kNrMseal, static_cast<long>(addr), static_cast<long>(len), 0, 0, 0, 0);
}
inline long mprotect(uint64_t addr, uint64_t len, int prot) {
  return syscall6(__NR_mprotect, static_cast<long>(addr), static_cast<long>(len), prot, 0, 0, 0);
}
inline long prctl(int option, unsigned long arg2) {
  return syscall6(__NR_prctl, option, static_cast<long>(arg2), 0, 0, 0, 0);
}
// A policy can refuse exit_group: then an undefined instruction ends the
// process (SIGILL, with no handler yet), never a loop.
[[noreturn]] inline void exit_group(int status) {
  syscall6(__NR_exit_group, status, 0, 0, 0, 0, 0);
  __builtin_trap();
}

}  // namespace sysgate::loader::raw
