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

// An enumeration argument: its name, or the number (signed) if it has none.
void append_enum(std::string& out, std::span<const Named> table, uint32_t value) {
  if (const Named* entry = find_by_value(table, value)) {
    out += entry->name;
    return;
  }
  append_decimal(out, static_cast<int32_t>(value));
}

// Like strace's "%#03o": 0644, 04755, and 000 for zero; with the file type first
// when present (S_IFREG|0644), as mknod's mode carries it.
void append_mode(std::string& out, uint32_t value) {
  const uint64_t type = value & detail::kFileType.field_mask;
  if (type != 0) {
    if (const Named* entry = find_by_value(detail::kFileType.field_values, type)) {
      out += entry->name;
      out += '|';
      value &= ~static_cast<uint32_t>(detail::kFileType.field_mask);
    }
  }
  append_octal_mode(out, value);
}

// A signal's name, or its number when it has none.
void append_signal(std::string& out, int64_t sig) {
  const std::string_view name = signal_name(static_cast<int>(sig));
  if (name.empty()) {
    append_decimal(out, sig);
  } else {
    out += name;
  }
}

// clone()'s flags carry the exit signal in the low byte (CSIGNAL). Signals stop below
// 0x80, so bit 7 is decoded as a flag (CLONE_NEWTIME, for unshare and clone3).
void append_clone_flags(std::string& out, uint64_t value) {
  const uint64_t signal = value & 0x7f;
  const uint64_t flags = value & ~uint64_t{0x7f};
  if (flags != 0) detail::append_flags(out, detail::kCloneFlags, flags);
  if (signal != 0) {
    if (flags != 0) out += '|';
    append_signal(out, static_cast<int64_t>(signal));
  }
  if (value == 0) out += '0';
}

}  // namespace

namespace detail {

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
    separate();
    append_hex(out, rest);
  }
  if (out.size() == start) out += '0';
}

std::string format_flags(const FlagSet& set, uint64_t value) {
  std::string out;
  append_flags(out, set, value);
  return out;
}

}  // namespace detail

void append_value(std::string& out, ArgType type, uint64_t value) {
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
        out += "AT_FDCWD";
        return;
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
      return append_mode(out, u32);
    case ArgType::kOpenFlags:
      return detail::append_flags(out, detail::kOpenFlags, u32);
    case ArgType::kAtFlags:
      return detail::append_flags(out, detail::kAtFlags, u32);
    case ArgType::kAccessMode:
      return detail::append_flags(out, detail::kAccessModes, u32);
    case ArgType::kWaitOptions:
      return detail::append_flags(out, detail::kWaitOptions, u32);
    case ArgType::kSocketType:
      return detail::append_flags(out, detail::kSocketType, u32);
    case ArgType::kFutexOp:
      return detail::append_flags(out, detail::kFutexOp, u32);
    case ArgType::kProt:
      return detail::append_flags(out, detail::kProt, value);
    case ArgType::kMmapFlags:
      return detail::append_flags(out, detail::kMmapFlags, value);
    case ArgType::kCloneFlags:
      return append_clone_flags(out, value);
    case ArgType::kSignal:
      return append_signal(out, i32);
    case ArgType::kIoctlCmd:  // unnamed requests are bit-encoded (_IOR...): hex reads best
      if (const char* both = ioctl_shared_name(u32)) {
        out += both;
        return;
      }
      if (const Named* entry = find_by_value(detail::kIoctlCmds, u32)) {
        out += entry->name;
        return;
      }
      return append_hex(out, u32);
    case ArgType::kFcntlCmd:
      return append_enum(out, detail::kFcntlCmds, u32);
    case ArgType::kSocketDomain:
      return append_enum(out, detail::kSocketDomains, u32);
    case ArgType::kPrctlOption:
      return append_enum(out, detail::kPrctlOptions, u32);
    case ArgType::kMadvice:
      return append_enum(out, detail::kMadvice, u32);
    case ArgType::kWhence:
      return append_enum(out, detail::kWhence, u32);
    case ArgType::kSigHow:
      return append_enum(out, detail::kSigHow, u32);
    case ArgType::kArchPrctl:
      return append_enum(out, detail::kArchPrctl, u32);
    case ArgType::kRlimit:
      return append_enum(out, detail::kRlimits, u32);
    case ArgType::kEpollOp:
      return append_enum(out, detail::kEpollCtlOps, u32);
    case ArgType::kRenameFlags:
      return detail::append_flags(out, detail::kRenameFlags, u32);
    case ArgType::kMsgFlags:
      return detail::append_flags(out, detail::kMsgFlags, u32);
    case ArgType::kPkeyAccess:
      return detail::append_flags(out, detail::kPkeyAccess, value);
    case ArgType::kClockId:
      return append_enum(out, detail::kClockIds, u32);
    case ArgType::kTimerFlags:
      return detail::append_flags(out, detail::kTimerFlags, u32);
    case ArgType::kItimerWhich:
      return append_enum(out, detail::kItimers, u32);
    case ArgType::kPrioWhich:
      return append_enum(out, detail::kPrioWhich, u32);
    case ArgType::kFlockOp:
      return detail::append_flags(out, detail::kFlockOps, u32);
    case ArgType::kRusageWho:
      return append_enum(out, detail::kRusageWho, u32);
    case ArgType::kIdType:
      return append_enum(out, detail::kIdTypes, u32);
    case ArgType::kMempolicyMode:
      return detail::append_flags(out, detail::kMempolicyModes, u32);
    case ArgType::kMbindFlags:
      return detail::append_flags(out, detail::kMbindFlags, u32);
    case ArgType::kMempolicyFlags:
      return detail::append_flags(out, detail::kMempolicyFlags, value);
  }
  append_hex(out, value);
}

std::string format_value(ArgType type, uint64_t value) {
  std::string out;
  append_value(out, type, value);
  return out;
}

}  // namespace sysgate::syscalls::constants
