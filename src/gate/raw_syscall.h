// The gate's only way into the kernel, and the other assembly entry points.
//
//   long fd = raw_syscall(__NR_openat, AT_FDCWD, path, O_RDONLY);
//   if (fd < 0) { int err = -fd; ... }
//
// Every call goes through the single `syscall` instruction in
// arch/x86_64/gate_entry.S, whose address the kernel filter allows according to
// the policy. Results are the kernel's (-errno on failure); errno is never
// touched (there is no libc here). Async-signal-safe, thread-safe.
#pragma once

#include <asm/unistd.h>
#include <stdint.h>

extern "C" {
// C ABI wrapper around the gate's syscall instruction (see gate_entry.S).
long sysgate_gate_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
    __attribute__((visibility("hidden")));
// call[0](call[1..6]) with the signal mask *mask (the program's, uc_sigmask,
// or more), then every signal blocked again; uc is the SIGSYS frame's
// ucontext (see gate_entry.S).
long sysgate_gate_blocking_syscall_masked(const void* uc, const uint64_t call[7], const uint64_t* mask)
    __attribute__((visibility("hidden")));
// clone(2) for CLONE_VM children; see gate_entry.S and process.cc.
long sysgate_gate_clone(unsigned long flags, void* child_sp, void* ptid, void* ctid, unsigned long tls)
    __attribute__((visibility("hidden")));
// Unmaps [map, map + len) and exits the calling thread with `status`; never returns.
[[noreturn]] void sysgate_gate_exit_thread(void* map, unsigned long len, int status)
    __attribute__((visibility("hidden")));
void sysgate_gate_sigsys_entry() __attribute__((visibility("hidden")));
void sysgate_gate_restorer() __attribute__((visibility("hidden")));
}

namespace sysgate::gate {

inline long raw_syscall(long nr, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0, uint64_t a4 = 0,
                        uint64_t a5 = 0, uint64_t a6 = 0) {
  return sysgate_gate_syscall(nr, static_cast<long>(a1), static_cast<long>(a2), static_cast<long>(a3),
                              static_cast<long>(a4), static_cast<long>(a5), static_cast<long>(a6));
}

// The calling thread's and process's ids, as the kernel knows them now (a
// fork child's copy of the gate's state may still name its parent's).
inline int32_t current_tid() { return static_cast<int32_t>(raw_syscall(__NR_gettid)); }
inline int32_t current_pid() { return static_cast<int32_t>(raw_syscall(__NR_getpid)); }

template <typename T>
inline uint64_t addr(T* p) {
  return reinterpret_cast<uint64_t>(p);
}

}  // namespace sysgate::gate
