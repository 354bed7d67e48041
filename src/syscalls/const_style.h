// strace -X (--const-print-style): how a named constant or a set of flags is
// shown. Every decoder that prints a name goes through append_constant, so
// the style is decided here, once:
//
//   std::string out;
//   auto names = [](std::string& o) { o += "O_RDONLY|O_CLOEXEC"; };
//   append_constant(out, ConstStyle::kAbbrev, 0x80000, NumberForm::kHex, names);   // O_RDONLY|O_CLOEXEC
//   append_constant(out, ConstStyle::kRaw, 0x80000, NumberForm::kHex, names);      // 0x80000
//   append_constant(out, ConstStyle::kVerbose, 0x80000, NumberForm::kHex, names);  // 0x80000 /* O_RDONLY|O_CLOEXEC */
//
// The number is written in the form strace uses for that kind of value
// (flags and most enumerations in hex, signals and AT_FDCWD in decimal, modes
// in octal). In verbose style the comment is left out when the abbreviated
// text names nothing (a flags word of 0 with no name for 0 is "0", as
// strace prints it), and an abbreviated text that already is the number
// with a comment ("0x12345678 /* PR_??? */", strace's text for an unknown
// value) is kept as it is.
//
// Pure functions; thread-safe; they allocate only when out grows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sysgate::syscalls {

enum class ConstStyle : uint8_t {
  kAbbrev,   // names (strace's default): O_RDONLY|O_CLOEXEC
  kRaw,      // numbers: 0x80000
  kVerbose,  // both: 0x80000 /* O_RDONLY|O_CLOEXEC */
};

// "abbrev", "raw", "verbose" (strace's words for -X); nullopt for others.
std::optional<ConstStyle> const_style_by_name(std::string_view name);

// How a constant's number is written in raw and verbose style.
enum class NumberForm : uint8_t {
  kHex,       // printf "%#x": 0x80000, and 0 as "0"
  kDecimal,   // signed: -100, 17
  kUnsigned,  // 18446744073709551615
  kOctal,     // printf "%#o": 0100644, and 0 as "0"
};

void append_number(std::string& out, uint64_t value, NumberForm form);

// Completes a verbose constant: out holds the number at [start, number_end),
// then " /* " and the abbreviated text from comment on. Drops the comment
// when that text names nothing, keeps the text alone when it already starts
// with the number and a comment, and closes the comment otherwise.
void finish_verbose_constant(std::string& out, size_t start, size_t number_end, size_t comment);

// The constant value in style: abbreviated(out) appends its abbreviated text
// (called once, except not at all in raw style).
template <typename Abbreviated>
void append_constant(std::string& out, ConstStyle style, uint64_t value, NumberForm form, Abbreviated&& abbreviated) {
  if (style == ConstStyle::kAbbrev) {
    abbreviated(out);
    return;
  }
  const size_t start = out.size();
  append_number(out, value, form);
  if (style == ConstStyle::kRaw) return;
  const size_t number_end = out.size();
  out += " /* ";
  const size_t comment = out.size();
  abbreviated(out);
  finish_verbose_constant(out, start, number_end, comment);
}

// One name for one value: "SIGCHLD", "17", "17 /* SIGCHLD */".
inline void append_named(std::string& out, ConstStyle style, uint64_t value, NumberForm form, std::string_view name) {
  append_constant(out, style, value, form, [name](std::string& o) { o += name; });
}

}  // namespace sysgate::syscalls
