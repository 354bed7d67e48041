#include "gate/util.h"

#include <asm/unistd.h>
#include <linux/futex.h>

#include "gate/raw_syscall.h"

namespace sysgate::gate {

long futex_wait_shared(uint32_t* word, uint32_t expected, uint64_t timeout_ns) {
  struct {
    int64_t sec;
    int64_t nsec;
  } ts = {static_cast<int64_t>(timeout_ns / 1000000000u), static_cast<int64_t>(timeout_ns % 1000000000u)};
  return raw_syscall(__NR_futex, addr(word), FUTEX_WAIT, expected, timeout_ns == 0 ? 0 : addr(&ts), 0, 0);
}

long futex_wake_shared(uint32_t* word) {
  return raw_syscall(__NR_futex, addr(word), FUTEX_WAKE, 0x7fffffff, 0, 0, 0);
}

size_t string_length(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

namespace {

// Appends s to buf[*used, cap); returns false when it did not fit.
void append(char* buf, size_t cap, size_t* used, const char* s, size_t n) {
  for (size_t i = 0; i < n && *used < cap; ++i) buf[(*used)++] = s[i];
}

[[noreturn]] void die_impl(const char* message, bool with_number, long number) {
  char buf[256];
  size_t used = 0;
  static const char kPrefix[] = "sysgate gate: ";
  append(buf, sizeof buf - 1, &used, kPrefix, sizeof kPrefix - 1);
  append(buf, sizeof buf - 1, &used, message, string_length(message));
  if (with_number) {
    char digits[24];
    size_t n = 0;
    uint64_t v = number < 0 ? 0 - static_cast<uint64_t>(number) : static_cast<uint64_t>(number);
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    append(buf, sizeof buf - 1, &used, " ", 1);
    if (number < 0) append(buf, sizeof buf - 1, &used, "-", 1);
    while (n > 0) append(buf, sizeof buf - 1, &used, &digits[--n], 1);
  }
  buf[used++] = '\n';
  raw_syscall(__NR_write, 2, addr(buf), used);
  end_process(kDieStatus);
}

}  // namespace

void end_process(int status) {
  raw_syscall(__NR_exit_group, static_cast<uint64_t>(status));
  __builtin_trap();  // not exit: the other threads would live on
}

void die(const char* message) { die_impl(message, false, 0); }
void die(const char* message, long number) { die_impl(message, true, number); }

}  // namespace sysgate::gate
