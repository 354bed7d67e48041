// append_value: one argument value rendered as strace shows it.
//
// A 32-bit type is decoded from the low 32 bits only, because that is all the kernel
// reads (see arg_width.cc): fd 0xffffffff00000003 is shown, and acts, as fd 3.
//
// Everything appends to the caller's string: the trace formatter renders every
// argument of every traced call, so a temporary string per value would cost more
// than the decoding itself.
#include "syscalls/constant_tables.h"
#include "syscalls/constants.h"
#include "syscalls/const_style.h"
#include "syscalls/number_text.h"

namespace sysgate::syscalls::constants {
namespace {

using detail::FlagSet;
using detail::Named;

void append_pointer(std::string& out, uint64_t value) {
  if (value == 0) {
    out += "NULL";
    return;
  }
  append_hex(out, value);
}

// Requests two drivers number alike, named as strace names them (its table
// has both; kIoctlCmds keeps one name per number, for policies to look up).
const char* ioctl_shared_name(uint32_t request) {
  switch (request) {
    case 0x5402: return "SNDCTL_TMR_START or TCSETS";
    case 0x5403: return "SNDCTL_TMR_STOP or TCSETSW";
    case 0x5404: return "SNDCTL_TMR_CONTINUE or TCSETSF";
    case 0x40049409: return "BTRFS_IOC_CLONE or FICLONE";
    default: return nullptr;
  }
}

const Named* find_by_value(std::span<const Named> table, uint64_t value) {
  for (const Named& entry : table) {
    if (entry.value == value) return &entry;
  }
  return nullptr;
}

// An enumeration argument: its name, or the number (signed) if it has none;
// in hex as a raw number (strace's "%#x").
void append_enum(std::string& out, std::span<const Named> table, uint32_t value, ConstStyle style) {
  const Named* entry = find_by_value(table, value);
  if (entry == nullptr) {
    if (style == ConstStyle::kAbbrev) return append_decimal(out, static_cast<int32_t>(value));
    return append_hex_or_zero(out, value);
  }
  append_named(out, style, value, NumberForm::kHex, entry->name);
}

// Like strace's "%#03o": 0644, 04755, and 000 for zero; with the file type first
// when present (S_IFREG|0644), as mknod's mode carries it; a mode with a type
// is a number in octal as a raw constant ("%#o": 0100644).
void append_mode(std::string& out, uint32_t value, ConstStyle style) {
  const uint64_t type = value & detail::kFileType.field_mask;
  const Named* entry = type != 0 ? find_by_value(detail::kFileType.field_values, type) : nullptr;
  if (entry == nullptr) return append_octal_mode(out, value);
  append_constant(out, style, value, NumberForm::kOctal, [&](std::string& o) {
    o += entry->name;
    o += '|';
    append_octal_mode(o, value & ~static_cast<uint32_t>(detail::kFileType.field_mask));
  });
}

// clone()'s flags carry the exit signal in the low byte (CSIGNAL). Signals stop below
// 0x80, so bit 7 is decoded as a flag (CLONE_NEWTIME, for unshare and clone3).
// As raw constants the two parts stay apart, as strace shows them: 0x1200000|17.
void append_clone_flags(std::string& out, uint64_t value, ConstStyle style) {
  const uint64_t signal = value & 0x7f;
  const uint64_t flags = value & ~uint64_t{0x7f};
  if (flags != 0) detail::append_flags(out, detail::kCloneFlags, flags, style);
  if (signal != 0) {
    if (flags != 0) out += '|';
    append_signal(out, static_cast<int64_t>(signal), style);
  }
  if (value == 0) out += '0';
}

// socket()'s type: the type and its flags are two constants as strace shows
// them raw, 0x1|0x80800 (0x1 /* SOCK_STREAM */|0x80800 /* SOCK_CLOEXEC|SOCK_NONBLOCK */).
void append_socket_type(std::string& out, uint32_t value, ConstStyle style) {
  if (style == ConstStyle::kAbbrev) return detail::append_flags(out, detail::kSocketType, value, style);
  const FlagSet& set = detail::kSocketType;
  const uint64_t type = value & set.field_mask;
  const uint64_t flags = value & ~set.field_mask;
  FlagSet type_only = set;
  type_only.bits = {};
  FlagSet flags_only = set;
  flags_only.field_mask = 0;
  flags_only.field_values = {};
  if (type != 0 || flags == 0) detail::append_flags(out, type_only, type, style);
  if (flags == 0) return;
  if (type != 0) out += '|';
  detail::append_flags(out, flags_only, flags, style);
}

}  // namespace

namespace detail {

void append_named_or_unknown(std::string& out, std::span<const Named> table, uint64_t value, std::string_view unknown,
                             ConstStyle style) {
  append_constant(out, style, value, NumberForm::kHex, [&](std::string& o) {
    if (const Named* entry = find_by_value(table, value)) {
      o += entry->name;
      return;
    }
    append_hex_or_zero(o, value);
    o += " /* ";
    o += unknown;
    o += " */";
  });
}

void append_set_bits(std::string& out, std::span<const Named> table, uint64_t* rest, bool* first) {
  for (const Named& bit : table) {
    if (bit.value == 0 || (*rest & bit.value) != bit.value) continue;
    if (!*first) out += '|';
    out += bit.name;
    *rest &= ~bit.value;
    *first = false;
  }
}

void append_flags(std::string& out, const FlagSet& set, uint64_t value, ConstStyle style) {
  if (style == ConstStyle::kAbbrev) return append_flags(out, set, value);
  append_constant(out, style, value, NumberForm::kHex, [&](std::string& o) { append_flags(o, set, value); });
}

void append_flags(std::string& out, const FlagSet& set, uint64_t value) {
  if (value == 0 && !set.zero_name.empty()) {
    out += set.zero_name;
    return;
  }
  const size_t start = out.size();
  auto separate = [&out, start] {
    if (out.size() != start) out += '|';
  };
  uint64_t rest = value;
  if (set.field_mask != 0) {
    if (const Named* entry = find_by_value(set.field_values, value & set.field_mask)) {
      out += entry->name;
      rest &= ~set.field_mask;
    }
  }
  for (const Named& bit : set.bits) {
    if (bit.value != 0 && (rest & bit.value) == bit.value) {
      separate();
      out += bit.name;
      rest &= ~bit.value;
    }
  }
  if (rest != 0) {
    const bool only_unknown = out.size() == start;
    separate();
    append_hex(out, rest);
    if (only_unknown && !set.unknown_name.empty()) {
      out += " /* ";
      out += set.unknown_name;
      out += " */";
    }
  }
  if (out.size() == start) out += '0';
}

std::string format_flags(const FlagSet& set, uint64_t value) {
  std::string out;
  append_flags(out, set, value);
  return out;
}

}  // namespace detail

// A signal's name, or its number when it has none; raw, its number in decimal.
void append_signal(std::string& out, int64_t sig, ConstStyle style) {
  const std::string_view name = signal_name(static_cast<int>(sig));
  if (name.empty()) return append_decimal(out, sig);
  append_named(out, style, static_cast<uint64_t>(sig), NumberForm::kDecimal, name);
}

void append_value(std::string& out, ArgType type, uint64_t value, ConstStyle style) {
  const auto u32 = static_cast<uint32_t>(value);
  const auto i32 = static_cast<int32_t>(u32);
  switch (type) {
    case ArgType::kInt:
    case ArgType::kFd:
    case ArgType::kPid:
      return append_decimal(out, i32);
    case ArgType::kUInt:
      return append_decimal(out, u32);
    case ArgType::kUid:  // (uid_t)-1 means "unchanged" to setresuid and friends
      if (u32 == UINT32_MAX) {
        out += "-1";
        return;
      }
      return append_decimal(out, u32);
    case ArgType::kLong:
    case ArgType::kOffset:
      return append_decimal(out, static_cast<int64_t>(value));
    case ArgType::kULong:
    case ArgType::kSize:
      return append_decimal(out, value);
    case ArgType::kDirFd:
      if (i32 == detail::kAtFdcwd) {
        return append_named(out, style, static_cast<uint64_t>(int64_t{i32}), NumberForm::kDecimal, "AT_FDCWD");
      }
      return append_decimal(out, i32);
    case ArgType::kPath:
    case ArgType::kString:
    case ArgType::kPtr:
    case ArgType::kBufIn:
    case ArgType::kBufOut:
    case ArgType::kStructPtr:
      return append_pointer(out, value);
    case ArgType::kMode:
      return append_mode(out, u32, style);
    case ArgType::kOpenFlags:
      return detail::append_flags(out, detail::kOpenFlags, u32, style);
    case ArgType::kAtFlags:
      return detail::append_flags(out, detail::kAtFlags, u32, style);
    case ArgType::kAccessMode:
      return detail::append_flags(out, detail::kAccessModes, u32, style);
    case ArgType::kWaitOptions:
      return detail::append_flags(out, detail::kWaitOptions, u32, style);
    case ArgType::kSocketType:
      return append_socket_type(out, u32, style);
    case ArgType::kFutexOp:
      return detail::append_flags(out, detail::kFutexOp, u32, style);
    case ArgType::kProt:
      return detail::append_flags(out, detail::kProt, value, style);
    case ArgType::kMmapFlags:
      return detail::append_flags(out, detail::kMmapFlags, value, style);
    case ArgType::kCloneFlags:
      return append_clone_flags(out, value, style);
    case ArgType::kSignal:
      return append_signal(out, i32, style);
    case ArgType::kIoctlCmd:  // unnamed requests are bit-encoded (_IOR...): hex reads best
      if (const char* both = ioctl_shared_name(u32)) return append_named(out, style, u32, NumberForm::kHex, both);
      if (const Named* entry = find_by_value(detail::kIoctlCmds, u32)) {
        return append_named(out, style, u32, NumberForm::kHex, entry->name);
      }
      return append_hex(out, u32);
    case ArgType::kFcntlCmd:
      return append_enum(out, detail::kFcntlCmds, u32, style);
    case ArgType::kSocketDomain:
      return append_enum(out, detail::kSocketDomains, u32, style);
    case ArgType::kPrctlOption:
      return append_enum(out, detail::kPrctlOptions, u32, style);
    case ArgType::kMadvice:  // strace: "0x100 /* MADV_??? */" for a number without a name
      return detail::append_named_or_unknown(out, detail::kMadvice, u32, "MADV_???", style);
    case ArgType::kWhence:
      return append_enum(out, detail::kWhence, u32, style);
    case ArgType::kSigHow:
      return append_enum(out, detail::kSigHow, u32, style);
    case ArgType::kArchPrctl:
      return append_enum(out, detail::kArchPrctl, u32, style);
    case ArgType::kRlimit:
      return append_enum(out, detail::kRlimits, u32, style);
    case ArgType::kEpollOp:
      return append_enum(out, detail::kEpollCtlOps, u32, style);
    case ArgType::kRenameFlags:
      return detail::append_flags(out, detail::kRenameFlags, u32, style);
    case ArgType::kMsgFlags:
      return detail::append_flags(out, detail::kMsgFlags, u32, style);
    case ArgType::kPkeyAccess:
      return detail::append_flags(out, detail::kPkeyAccess, value, style);
    case ArgType::kClockId:
      return append_enum(out, detail::kClockIds, u32, style);
    case ArgType::kTimerFlags:
      return detail::append_flags(out, detail::kTimerFlags, u32, style);
    case ArgType::kItimerWhich:
      return append_enum(out, detail::kItimers, u32, style);
    case ArgType::kPrioWhich:
      return append_enum(out, detail::kPrioWhich, u32, style);
    case ArgType::kFlockOp:
      return detail::append_flags(out, detail::kFlockOps, u32, style);
    case ArgType::kRusageWho:
      return append_enum(out, detail::kRusageWho, u32, style);
    case ArgType::kIdType:
      return append_enum(out, detail::kIdTypes, u32, style);
    case ArgType::kMempolicyMode:
      return detail::append_flags(out, detail::kMempolicyModes, u32, style);
    case ArgType::kMbindFlags:
      return detail::append_flags(out, detail::kMbindFlags, u32, style);
    case ArgType::kMempolicyFlags:
      return detail::append_flags(out, detail::kMempolicyFlags, value, style);
  }
  append_hex(out, value);
}

std::string format_value(ArgType type, uint64_t value, ConstStyle style) {
  std::string out;
  append_value(out, type, value, style);
  return out;
}

}  // namespace sysgate::syscalls::constants
