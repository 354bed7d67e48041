// The loader's only failure path: one line on stderr, then exit_group(127).
//
//   die("arguments", "missing --fd");
//   // -> "sysgate-exec: arguments: missing --fd\n", exit status 127
//   die_errno("/bin/ls", "cannot read", ENOENT);
//   // -> "sysgate-exec: /bin/ls: cannot read: No such file or directory (ENOENT)\n"
//
// The line is assembled in a bounded stack buffer (long parts are truncated)
// and written with a single write(2), so it is never interleaved. No libc,
// no allocation; async-signal-safe.
#pragma once

#include <stddef.h>

namespace sysgate::loader {

inline constexpr int kLoaderExitStatus = 127;

// "sysgate-exec: <what>: <why>" (and ": <detail>" when detail is non-null).
[[noreturn]] void die(const char* what, const char* why, const char* detail = nullptr);

// "sysgate-exec: <what>: <why>: <strerror text> (<ENAME>)"; err is a positive errno.
[[noreturn]] void die_errno(const char* what, const char* why, int err);

// Bounded string builder used by die() and for "segment 3: ..." details.
class LineBuffer {
 public:
  LineBuffer(char* buf, size_t cap) : buf_(buf), cap_(cap) { buf_[0] = 0; }
  LineBuffer& add(const char* s);
  LineBuffer& add_unsigned(unsigned long v);
  const char* str() const { return buf_; }
  size_t size() const { return len_; }

 private:
  char* buf_;
  size_t cap_;  // includes the terminating NUL
  size_t len_ = 0;
};

// The symbolic name and text of a positive errno ("ENOENT", "No such file or
// directory"); unknown values give "errno" and "unknown error".
const char* errno_name(int err);
const char* errno_text(int err);

}  // namespace sysgate::loader
