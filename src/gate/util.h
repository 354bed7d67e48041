// Freestanding helpers for the gate: byte copies, atomics, futexes, the raw die.
//
//   copy_bytes(dst, src, n);            // rep movsb: no libc, no vector registers
//   futex_wait_shared(&word, seen, 0);  // on a MAP_SHARED word (the trace region)
//   die("SIGSYS not sent by seccomp", code);  // "sysgate gate: ...", exit_group(159)
//
// Everything here is async-signal-safe and thread-safe (no state).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace sysgate::gate {

// Exit status of a process the gate had to stop (as a shell shows "killed by SIGSYS").
inline constexpr int kDieStatus = 159;

// Copies / clears n bytes with `rep movsb` / `rep stosb` (general registers only;
// gcc would otherwise be free to emit calls to memcpy/memset, which do not exist here).
inline void copy_bytes(void* dst, const void* src, size_t n) {
  asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}
inline void zero_bytes(void* dst, size_t n) {
  asm volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(0) : "memory");
}

// The decimal digits of v, NUL-terminated, into buf (at least 21 bytes); returns buf.
inline char* format_decimal(uint64_t v, char* buf) {
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v > 0);
  for (int i = 0; i < n; ++i) buf[i] = tmp[n - 1 - i];
  buf[n] = '\0';
  return buf;
}

// The lowercase hexadecimal digits of v (no prefix), NUL-terminated, into buf
// (at least 17 bytes); returns how many digits.
inline uint64_t format_hex(uint64_t v, char* buf) {
  uint64_t n = 0;
  for (int shift = 60; shift >= 0; shift -= 4) {
    const uint64_t d = (v >> shift) & 0xf;
    if (n == 0 && d == 0 && shift != 0) continue;
    buf[n++] = static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10);
  }
  buf[n] = '\0';
  return n;
}

inline uint64_t read_tsc() {
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t{hi} << 32) | lo;
}

inline void cpu_relax() { asm volatile("pause" ::: "memory"); }

template <typename T>
inline T load_acquire(const T* p) {
  return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
template <typename T>
inline T load_relaxed(const T* p) {
  return __atomic_load_n(p, __ATOMIC_RELAXED);
}
template <typename T>
inline void store_release(T* p, T v) {
  __atomic_store_n(p, v, __ATOMIC_RELEASE);
}
template <typename T>
inline void store_relaxed(T* p, T v) {
  __atomic_store_n(p, v, __ATOMIC_RELAXED);
}
template <typename T>
inline bool compare_exchange(T* p, T expected, T desired) {
  return __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
// A full barrier (store-load ordering included), as a locked no-op on the top
// of the stack: on x86 any locked instruction is one, and it costs ~9 ns here
// where the mfence a seq_cst fence compiles to costs ~32 ns (Linux's smp_mb()
// made the same choice). The word is rewritten with its own value.
inline void full_fence() { asm volatile("lock orq $0, (%%rsp)" ::: "memory", "cc"); }

// Shared (inter-process) futex wait/wake. timeout_ns == 0: no timeout.
long futex_wait_shared(uint32_t* word, uint32_t expected, uint64_t timeout_ns);
long futex_wake_shared(uint32_t* word);

// Ends the process with status. A policy can refuse exit_group: then an
// undefined instruction ends it (SIGILL, fatal with every signal
// blocked), never a loop.
[[noreturn]] void end_process(int status);

// Writes "sysgate gate: <message>[ <number>]\n" to fd 2 and end_process(kDieStatus).
[[noreturn]] void die(const char* message);
[[noreturn]] void die(const char* message, long number);

// Bytes of the NUL-terminated string s (a gate string, not program memory).
size_t string_length(const char* s);

}  // namespace sysgate::gate
