// Symbolic constants and flag sets of the syscall ABI (O_*, AF_*, PROT_*, ...).
//
//   constants::lookup("O_RDONLY") == 0;  constants::lookup("EPERM") -> nullopt (use errno_by_name)
//   constants::format_flags(ArgType::kOpenFlags, O_WRONLY|O_CREAT) == "O_WRONLY|O_CREAT"
//   constants::errno_by_name("EACCES") == 13;  constants::errno_name(13) == "EACCES"
//
// Used by the policy parser (conditions may name constants), by the decoder that
// prints syscalls in strace's grammar, and by reports. Pure lookups into static
// tables: thread-safe, async-signal-safe apart from the std::string results
// (and the growth of an appended-to string).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "syscalls/const_style.h"
#include "syscalls/syscall_table.h"

namespace sysgate::syscalls::constants {

// Value of a named ABI constant usable in policy conditions (O_*, AT_*, AF_*,
// SOCK_*, PROT_*, MAP_*, CLONE_*, F_*, SIG*, PR_*, MADV_*, common ioctls such as
// TCGETS/TIOCGWINSZ/FIONREAD, FUTEX_*, ARCH_*, RLIMIT_*, CLOCK_*, SEEK_*).
// Negative constants (AT_FDCWD) are returned as their two's-complement uint64.
std::optional<uint64_t> lookup(std::string_view name);

// errno numbers and names ("EPERM" <-> 1). nullopt / "" for unknown.
std::optional<int> errno_by_name(std::string_view name);
std::string_view errno_name(int err);
// strerror-like text that does not depend on the C library's locale: "Permission denied".
std::string_view errno_text(int err);

// Signal names ("SIGKILL" <-> 9).
std::optional<int> signal_by_name(std::string_view name);
std::string_view signal_name(int sig);

// Decode an argument value of a given type as strace shows it, e.g.
// O_RDONLY|O_CLOEXEC, AT_FDCWD, PROT_READ|PROT_WRITE, 0644, SIGTERM, AF_INET,
// SOCK_STREAM|SOCK_CLOEXEC, F_GETFL, TCGETS. Types without symbolic decoding
// (integers, pointers, sizes) are formatted as numbers (pointers in hex, NULL as "NULL").
// Unknown bits are appended in hex ("O_RDONLY|0x40000000"). style: strace -X,
// the names as numbers (kRaw: 0x80000, -100, 17) or both (kVerbose:
// 0x80000 /* O_RDONLY|O_CLOEXEC */); see const_style.h.
std::string format_value(ArgType type, uint64_t value, ConstStyle style = ConstStyle::kAbbrev);
// The same text, appended to out: the trace formatter builds a whole line in
// one buffer.
void append_value(std::string& out, ArgType type, uint64_t value, ConstStyle style = ConstStyle::kAbbrev);

// A signal number as strace shows one: SIGTERM, or 15 raw, 15 /* SIGTERM */
// verbose; a number without a name in decimal.
void append_signal(std::string& out, int64_t sig, ConstStyle style = ConstStyle::kAbbrev);

}  // namespace sysgate::syscalls::constants
