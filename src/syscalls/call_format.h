// Formats a syscall with its arguments in strace's grammar, for reports and traces:
//
//   openat(AT_FDCWD, "/etc/hostname", O_RDONLY)
//   write(1, "hello\n", 6)
//   mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
//
// format_call returns the text; append_call adds it to a caller's buffer (a trace
// builds every line in one).
//
// Strings and buffers live in another process's memory; a MemoryReader fetches
// them. Reading is best-effort and only for display: a failed read prints the
// address in hex, as strace does. The decoded text is never used for a decision.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "syscalls/const_style.h"
#include "syscalls/syscall_table.h"

namespace sysgate::syscalls {

class MemoryReader {
 public:
  virtual ~MemoryReader() = default;
  // Reads up to max_len bytes of a NUL-terminated string at addr (without the NUL).
  // nullopt if the memory cannot be read. *truncated set when no NUL was found in max_len.
  virtual std::optional<std::string> read_string(uint64_t addr, size_t max_len, bool* truncated) = 0;
  // Reads exactly len bytes at addr; nullopt if unreadable.
  virtual std::optional<std::string> read_bytes(uint64_t addr, size_t len) = 0;
  // read_string and read_bytes without a copy, for readers that already hold the
  // bytes (a trace record's payloads); valid while the reader is. nullopt: ask
  // read_string / read_bytes.
  virtual std::optional<std::string_view> view_string(uint64_t addr, size_t max_len, bool* truncated) {
    (void)addr;
    (void)max_len;
    (void)truncated;
    return std::nullopt;
  }
  virtual std::optional<std::string_view> view_bytes(uint64_t addr, size_t len) {
    (void)addr;
    (void)len;
    return std::nullopt;
  }
};

// How strings are quoted: strace's default, -x or -xx.
enum class StringStyle : uint8_t {
  kEscaped,      // "hello\n", with \t \n \v \f \r \" \\ and \ooo escapes
  kHexNonAscii,  // -x: a string with a byte other than printable ASCII and \t-\r is all \xHH
  kHexAll,       // -xx: every string is all \xHH
  kHexChars,     // --strings-in-hex=non-ascii-chars: as kEscaped, but \xHH where it has \ooo
};

// Decodes one argument into out, in place of its address: returns true having
// appended the text, or false having appended nothing (the address is shown).
// A function and its context, not a std::function: a trace sets one up for
// every call it prints, so making it must cost nothing.
struct ArgHook {
  bool (*decode)(const void* context, int index, uint64_t value, std::string& out) = nullptr;
  const void* context = nullptr;

  explicit operator bool() const { return decode != nullptr; }
  bool operator()(int index, uint64_t value, std::string& out) const { return decode(context, index, value, out); }
};

struct FormatOptions {
  size_t max_string = 32;   // like strace -s: longer data buffers are cut and followed by "..."
  size_t max_path = 4096;   // paths are shown whole up to PATH_MAX
  StringStyle string_style = StringStyle::kEscaped;  // strace -x, -xx
  // Output buffers (kBufOut arguments) hold something only after the call
  // returned. When set, called with such an argument's index and value
  // (trace/formatter.cc shows what the kernel wrote there, as strace does on
  // exit). Unset: the address.
  ArgHook output_buffer;
  // Struct pointers (kStructPtr), when set and the pointer is not NULL
  // (trace/struct_format.h decodes the structs a trace record carries). Unset:
  // the address.
  ArgHook struct_arg;
  // File descriptors (kFd, and kDirFd with AT_FDCWD), when set: called after
  // the number was printed, to add strace -y's "<path>" (its result is not used).
  ArgHook fd_arg;
  // Process and thread ids (kPid) that name a task, when set: called after
  // the number, to add strace -Y's "<comm>" (its result is not used). Not
  // called for 0, negative ids (process groups, "any child"), setpgid's
  // pgid, or waitid's id unless its idtype is P_PID.
  ArgHook pid_arg;
  // strace -X: named constants and flags as names, numbers, or both
  // (const_style.h). The hooks above decode their structs in their own style.
  ConstStyle const_style = ConstStyle::kAbbrev;
};

// "name(arg, arg, ...)" without the return value. reader may be nullptr (then
// pointers are shown as addresses).
std::string format_call(int nr, const uint64_t args[6], MemoryReader* reader,
                        const FormatOptions& options = {});
// The same, appended to out: what a caller that builds many lines uses, with one
// buffer for all of them and no string per argument.
void append_call(std::string& out, int nr, const uint64_t args[6], MemoryReader* reader,
                 const FormatOptions& options = {});

// STATX_* bits as strace names them ("STATX_BASIC_STATS|STATX_MNT_ID",
// "STATX_MODE|STATX_SIZE"; unknown bits in hex): statx's mask argument and the
// stx_mask it fills in.
std::string format_statx_mask(uint64_t mask);
void append_statx_mask(std::string& out, uint64_t mask, ConstStyle style = ConstStyle::kAbbrev);
// statx's stx_attributes and stx_attributes_mask: STATX_ATTR_IMMUTABLE|..., or 0.
void append_statx_attributes(std::string& out, uint64_t attributes, ConstStyle style = ConstStyle::kAbbrev);
// personality's persona: "PER_LINUX|ADDR_NO_RANDOMIZE", an unknown domain as
// "0xb /* PER_??? */" (its argument, and the previous persona it returns).
void append_personality(std::string& out, uint64_t persona, ConstStyle style = ConstStyle::kAbbrev);
// mount's flags: "MS_RDONLY|MS_NOSUID", "MS_MGC_VAL|MS_REMOUNT" (the old
// magic in the high half), "0x200 /* MS_??? */".
void append_mount_flags(std::string& out, uint64_t flags, ConstStyle style = ConstStyle::kAbbrev);
// An I/O priority: "IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 4)", an unknown class
// as "0x7 /* IOPRIO_CLASS_??? */" (ioprio_set's argument, ioprio_get's result).
void append_ioprio_value(std::string& out, uint64_t ioprio, ConstStyle style = ConstStyle::kAbbrev);


// Quotes bytes as strace does: "hello\n" (or in hex, as style says), and "..."
// after the closing quote when truncated.
std::string quote_string(std::string_view bytes, bool truncated, StringStyle style = StringStyle::kEscaped);
void append_quoted(std::string& out, std::string_view bytes, bool truncated,
                   StringStyle style = StringStyle::kEscaped);

}  // namespace sysgate::syscalls
