// Numbers appended to text the way strace's printf formats write them, without
// printf and without a temporary string: the trace formatter writes a few of
// them per line, for lines that come by the hundred thousand a second.
//
//   std::string out = "fd=";
//   append_decimal(out, -1);          // "fd=-1"
//   append_hex(out, 0x7f10);          // "0x7f10"  printf "0x%lx"  (0 -> "0x0")
//   append_hex_or_zero(out, 0);       // "0"       printf "%#lx"   (0 -> "0")
//   append_octal_mode(out, 0644);     // "0644"    printf "%#03o"  (0 -> "000")
//
// Pure functions; thread-safe; they allocate only when out grows.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <type_traits>

namespace sysgate::syscalls {

template <typename Int>
  requires std::is_integral_v<Int>
void append_decimal(std::string& out, Int value) {
  char buf[24];  // a 64-bit value and its sign
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

// "[N]": an integer the kernel read or wrote through a pointer, as strace
// shows it (pipe's descriptors aside: "[3, 4]").
template <typename Int>
  requires std::is_integral_v<Int>
void append_bracketed_decimal(std::string& out, Int value) {
  out += '[';
  append_decimal(out, value);
  out += ']';
}

// "0x" and the lowercase hex digits, 0 included ("0x0").
inline void append_hex(std::string& out, uint64_t value) {
  char buf[16];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, 16);
  out += "0x";
  out.append(buf, end);
}

// As append_hex, but 0 is "0": what the '#' flag of printf makes of it.
inline void append_hex_or_zero(std::string& out, uint64_t value) {
  if (value == 0) {
    out += '0';
    return;
  }
  append_hex(out, value);
}

// A leading 0 and at least two octal digits: file modes and umask's result.
inline void append_octal_mode(std::string& out, uint64_t value) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, 8);
  out += '0';
  if (end - buf < 2) out += '0';
  out.append(buf, end);
}

}  // namespace sysgate::syscalls
