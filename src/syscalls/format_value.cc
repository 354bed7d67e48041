// format_value: one argument value rendered as strace shows it.
//
// A 32-bit type is decoded from the low 32 bits only, because that is all the kernel
// reads (see arg_width.cc): fd 0xffffffff00000003 is shown, and acts, as fd 3.
#include <cinttypes>
#include <cstdio>

#include "syscalls/constant_tables.h"
#include "syscalls/constants.h"

namespace sysgate::syscalls::constants {
namespace {

using detail::FlagSet;
using detail::Named;

std::string hex(uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, value);
  return buf;
}

std::string pointer(uint64_t value) { return value == 0 ? "NULL" : hex(value); }

const Named* find_by_value(std::span<const Named> table, uint64_t value) {
  for (const Named& entry : table) {
    if (entry.value == value) return &entry;
  }
  return nullptr;
}

// An enumeration argument: its name, or the number (signed) if it has none.
std::string enum_value(std::span<const Named> table, uint32_t value) {
  if (const Named* entry = find_by_value(table, value)) return std::string(entry->name);
  return std::to_string(static_cast<int32_t>(value));
}

// Like strace's "%#03o": 0644, 04755, and 000 for zero; with the file type first
// when present (S_IFREG|0644), as mknod's mode carries it.
std::string mode(uint32_t value) {
  std::string out;
  const uint64_t type = value & detail::kFileType.field_mask;
  if (type != 0) {
    if (const Named* entry = find_by_value(detail::kFileType.field_values, type)) {
      out = std::string(entry->name) + "|";
      value &= ~static_cast<uint32_t>(detail::kFileType.field_mask);
    }
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "%#03o", value);
  return out + buf;
}

// clone()'s flags carry the exit signal in the low byte (CSIGNAL). Signals stop below
// 0x80, so bit 7 is decoded as a flag (CLONE_NEWTIME, for unshare and clone3).
std::string clone_flags(uint64_t value) {
  const uint64_t signal = value & 0x7f;
  const uint64_t flags = value & ~uint64_t{0x7f};
  std::string out;
  if (flags != 0) out = detail::format_flags(detail::kCloneFlags, flags);
  if (signal != 0) {
    if (!out.empty()) out += "|";
    const std::string_view name = signal_name(static_cast<int>(signal));
    out += name.empty() ? std::to_string(signal) : std::string(name);
  }
  return out.empty() ? "0" : out;
}

}  // namespace

namespace detail {

std::string format_flags(const FlagSet& set, uint64_t value) {
  if (value == 0 && !set.zero_name.empty()) return std::string(set.zero_name);
  std::string out;
  auto append = [&out](std::string_view part) {
    if (!out.empty()) out += "|";
    out += part;
  };
  uint64_t rest = value;
  if (set.field_mask != 0) {
    if (const Named* entry = find_by_value(set.field_values, value & set.field_mask)) {
      append(entry->name);
      rest &= ~set.field_mask;
    }
  }
  for (const Named& bit : set.bits) {
    if (bit.value != 0 && (rest & bit.value) == bit.value) {
      append(bit.name);
      rest &= ~bit.value;
    }
  }
  if (rest != 0) append(hex(rest));
  return out.empty() ? "0" : out;
}

}  // namespace detail

std::string format_value(ArgType type, uint64_t value) {
  const auto u32 = static_cast<uint32_t>(value);
  const auto i32 = static_cast<int32_t>(u32);
  switch (type) {
    case ArgType::kInt:
    case ArgType::kFd:
    case ArgType::kPid:
      return std::to_string(i32);
    case ArgType::kUInt:
      return std::to_string(u32);
    case ArgType::kUid:  // (uid_t)-1 means "unchanged" to setresuid and friends
      return u32 == UINT32_MAX ? "-1" : std::to_string(u32);
    case ArgType::kLong:
    case ArgType::kOffset:
      return std::to_string(static_cast<int64_t>(value));
    case ArgType::kULong:
    case ArgType::kSize:
      return std::to_string(value);
    case ArgType::kDirFd:
      return i32 == detail::kAtFdcwd ? "AT_FDCWD" : std::to_string(i32);
    case ArgType::kPath:
    case ArgType::kString:
    case ArgType::kPtr:
    case ArgType::kBufIn:
    case ArgType::kBufOut:
    case ArgType::kStructPtr:
      return pointer(value);
    case ArgType::kMode:
      return mode(u32);
    case ArgType::kOpenFlags:
      return detail::format_flags(detail::kOpenFlags, u32);
    case ArgType::kAtFlags:
      return detail::format_flags(detail::kAtFlags, u32);
    case ArgType::kAccessMode:
      return detail::format_flags(detail::kAccessModes, u32);
    case ArgType::kWaitOptions:
      return detail::format_flags(detail::kWaitOptions, u32);
    case ArgType::kSocketType:
      return detail::format_flags(detail::kSocketType, u32);
    case ArgType::kFutexOp:
      return detail::format_flags(detail::kFutexOp, u32);
    case ArgType::kProt:
      return detail::format_flags(detail::kProt, value);
    case ArgType::kMmapFlags:
      return detail::format_flags(detail::kMmapFlags, value);
    case ArgType::kCloneFlags:
      return clone_flags(value);
    case ArgType::kSignal: {
      const std::string_view name = signal_name(i32);
      return name.empty() ? std::to_string(i32) : std::string(name);
    }
    case ArgType::kIoctlCmd:  // unnamed requests are bit-encoded (_IOR...): hex reads best
      if (const Named* entry = find_by_value(detail::kIoctlCmds, u32)) return std::string(entry->name);
      return hex(u32);
    case ArgType::kFcntlCmd:
      return enum_value(detail::kFcntlCmds, u32);
    case ArgType::kSocketDomain:
      return enum_value(detail::kSocketDomains, u32);
    case ArgType::kPrctlOption:
      return enum_value(detail::kPrctlOptions, u32);
    case ArgType::kMadvice:
      return enum_value(detail::kMadvice, u32);
    case ArgType::kWhence:
      return enum_value(detail::kWhence, u32);
    case ArgType::kSigHow:
      return enum_value(detail::kSigHow, u32);
    case ArgType::kArchPrctl:
      return enum_value(detail::kArchPrctl, u32);
    case ArgType::kRlimit:
      return enum_value(detail::kRlimits, u32);
    case ArgType::kClockId:
      return enum_value(detail::kClockIds, u32);
  }
  return hex(value);
}

}  // namespace sysgate::syscalls::constants
