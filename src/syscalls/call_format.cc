// format_call and quote_string: a syscall in strace's grammar.
//
// Arguments are decoded by type (format_value), except strings and input buffers,
// which are fetched through the MemoryReader, and a few calls whose arguments'
// meaning depends on another argument (fcntl's arg, open's mode) or that take O_*
// flags without an access mode (dup3, pipe2, inotify_init1). What the reader returns is untrusted
// bytes from the traced process: it is bounded by the options and escaped.
#include "syscalls/call_format.h"

#include <linux/fcntl.h>

#include <cinttypes>
#include <cstdio>

#include "syscalls/constant_tables.h"
#include "syscalls/constants.h"

namespace sysgate::syscalls {
namespace {

std::string hex_or_zero(uint64_t value) {  // strace's %#lx: 0 or 0x...
  if (value == 0) return "0";
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, value);
  return buf;
}

// A NUL-terminated string of at most max_len bytes; its address when unreadable.
std::string string_arg(uint64_t addr, size_t max_len, MemoryReader* reader) {
  if (addr == 0 || reader == nullptr) return constants::format_value(ArgType::kPtr, addr);
  bool truncated = false;
  if (std::optional<std::string_view> held = reader->view_string(addr, max_len, &truncated)) {
    return quote_string(*held, truncated);
  }
  std::optional<std::string> text = reader->read_string(addr, max_len, &truncated);
  if (!text) return constants::format_value(ArgType::kPtr, addr);
  return quote_string(*text, truncated);
}

// A buffer the kernel reads, whose length is another argument: up to max_string bytes
// of it, quoted, with "..." when the buffer is longer.
std::string input_buffer_arg(const SyscallInfo& info, const ArgSpec& spec, uint64_t addr,
                             const uint64_t args[6], MemoryReader* reader,
                             const FormatOptions& options) {
  if (addr == 0 || reader == nullptr || spec.size_arg < 0 || spec.size_arg >= info.argc) {
    return constants::format_value(ArgType::kPtr, addr);
  }
  uint64_t length = args[spec.size_arg];
  if (arg_width_bits(info.args[spec.size_arg].type) == 32) {
    const auto narrow = static_cast<int32_t>(length);  // int lengths, as the kernel sees them
    if (narrow < 0) return constants::format_value(ArgType::kPtr, addr);
    length = static_cast<uint64_t>(narrow);
  }
  const size_t shown = length < options.max_string ? static_cast<size_t>(length) : options.max_string;
  std::optional<std::string> bytes =
      shown == 0 ? std::optional<std::string>(std::string()) : reader->read_bytes(addr, shown);
  if (!bytes || bytes->size() != shown) return constants::format_value(ArgType::kPtr, addr);
  return quote_string(*bytes, length > shown);
}

// O_* flags of calls that take no access mode: O_CLOEXEC, not O_RDONLY|O_CLOEXEC.
std::string flags_without_access_mode(uint64_t value) {
  constants::detail::FlagSet set = constants::detail::kOpenFlags;
  set.field_mask = 0;
  set.field_values = {};
  return constants::detail::format_flags(set, static_cast<uint32_t>(value));
}

// fcntl's third argument as strace shows it, or nullopt for commands that take none.
std::optional<std::string> fcntl_arg(uint64_t cmd_value, uint64_t arg) {
  switch (static_cast<uint32_t>(cmd_value)) {
    case F_GETFD:
    case F_GETFL:
    case F_GETOWN:
    case F_GETSIG:
    case F_GETLEASE:
    case F_GETPIPE_SZ:
    case F_GET_SEALS:
      return std::nullopt;
    case F_SETFD:
      return constants::detail::format_flags(constants::detail::kFdFlags, static_cast<uint32_t>(arg));
    case F_SETFL:
      return constants::format_value(ArgType::kOpenFlags, arg);
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
    case F_SETOWN:
    case F_SETSIG:
    case F_SETPIPE_SZ:
    case F_SETLEASE:
      return constants::format_value(ArgType::kInt, arg);
    default:  // struct flock*, f_owner_ex*, seal and notify masks ...
      return hex_or_zero(arg);
  }
}

// statx's flags: the AT_STATX_SYNC_TYPE field by name first (strace prints
// AT_STATX_SYNC_AS_STAT for 0), then the other AT_* bits.
std::string statx_flags(uint64_t value) {
  constexpr uint32_t kSyncType = 0x6000, kForceSync = 0x2000, kDontSync = 0x4000;
  const uint32_t v = static_cast<uint32_t>(value);
  const uint32_t sync = v & kSyncType;
  std::string out = sync == 0 ? "AT_STATX_SYNC_AS_STAT" : sync == kForceSync ? "AT_STATX_FORCE_SYNC"
                                : sync == kDontSync                         ? "AT_STATX_DONT_SYNC"
                                                                            : "0x6000";
  const uint32_t rest = v & ~kSyncType;
  if (rest != 0) out += "|" + constants::format_value(ArgType::kAtFlags, rest);
  return out;
}

// socket()'s protocol for the IP families, as strace names it (IPPROTO_IP for 0).
std::optional<std::string> ip_protocol(uint64_t domain, uint64_t protocol) {
  constexpr int kAfInet = 2, kAfInet6 = 10;
  const int family = static_cast<int>(static_cast<uint32_t>(domain));
  if (family != kAfInet && family != kAfInet6) return std::nullopt;
  static constexpr struct {
    uint32_t value;
    const char* name;
  } kProtocols[] = {{0, "IPPROTO_IP"},       {1, "IPPROTO_ICMP"},   {6, "IPPROTO_TCP"},
                    {17, "IPPROTO_UDP"},     {58, "IPPROTO_ICMPV6"}, {132, "IPPROTO_SCTP"},
                    {136, "IPPROTO_UDPLITE"}, {255, "IPPROTO_RAW"},  {262, "IPPROTO_MPTCP"}};
  for (const auto& p : kProtocols) {
    if (p.value == static_cast<uint32_t>(protocol)) return std::string(p.name);
  }
  return std::nullopt;
}

std::string format_arg(const SyscallInfo& info, int index, const uint64_t args[6],
                       MemoryReader* reader, const FormatOptions& options) {
  const ArgSpec& spec = info.args[index];
  const uint64_t value = args[index];
  switch (spec.type) {
    case ArgType::kPath:
      return string_arg(value, options.max_path, reader);
    case ArgType::kString:
      return string_arg(value, options.max_string, reader);
    case ArgType::kBufIn:
      return input_buffer_arg(info, spec, value, args, reader, options);
    case ArgType::kBufOut:
      if (options.output_buffer) {
        if (std::optional<std::string> text = options.output_buffer(index, value)) return std::move(*text);
      }
      return constants::format_value(spec.type, value);
    case ArgType::kStructPtr:
      if (options.struct_arg && value != 0) {
        if (std::optional<std::string> text = options.struct_arg(index, value)) return std::move(*text);
      }
      return constants::format_value(spec.type, value);
    case ArgType::kAtFlags:
      if (info.name == "statx") return statx_flags(value);
      return constants::format_value(spec.type, value);
    case ArgType::kUInt:
      if (info.name == "statx" && index == 3) return format_statx_mask(value);
      return constants::format_value(spec.type, value);
    case ArgType::kInt:
      if (info.name == "socket" && index == 2) {
        if (std::optional<std::string> name = ip_protocol(args[0], value)) return std::move(*name);
      }
      return constants::format_value(spec.type, value);
    case ArgType::kOpenFlags:
      if (info.name == "dup3" || info.name == "pipe2" || info.name == "inotify_init1") {
        return flags_without_access_mode(value);
      }
      return constants::format_value(spec.type, value);
    default:
      return constants::format_value(spec.type, value);
  }
}

}  // namespace

std::string format_call(int nr, const uint64_t args[6], MemoryReader* reader,
                        const FormatOptions& options) {
  std::string out;
  out.reserve(160);
  out += display_name(nr);
  out += '(';
  const SyscallInfo* info = by_number(nr);
  if (info == nullptr) {  // unknown: all six registers, as nothing says how many count
    for (int i = 0; i < 6; ++i) {
      if (i > 0) out += ", ";
      out += hex_or_zero(args[i]);
    }
    return out + ")";
  }
  int argc = info->argc;
  if (info->name == "open" || info->name == "openat") {
    // As strace: the mode is shown only when the kernel reads it.
    const uint64_t flags = args[info->name == "open" ? 1 : 2];
    if ((flags & O_CREAT) == 0 && (flags & __O_TMPFILE) == 0) --argc;
  }
  for (int i = 0; i < argc; ++i) {
    std::string text;
    if (info->name == "fcntl" && i == 2) {
      std::optional<std::string> arg = fcntl_arg(args[1], args[2]);
      if (!arg) break;
      text = std::move(*arg);
    } else {
      text = format_arg(*info, i, args, reader, options);
    }
    if (i > 0) out += ", ";
    out += text;
  }
  return out + ")";
}

std::string format_statx_mask(uint64_t mask) {
  static constexpr struct {
    uint64_t bits;
    const char* name;
  } kNames[] = {{0xfff, "STATX_ALL"},         // strace's name for BASIC_STATS|BTIME
                {0x7ff, "STATX_BASIC_STATS"}, {0x1, "STATX_TYPE"},      {0x2, "STATX_MODE"},
                {0x4, "STATX_NLINK"},         {0x8, "STATX_UID"},       {0x10, "STATX_GID"},
                {0x20, "STATX_ATIME"},        {0x40, "STATX_MTIME"},    {0x80, "STATX_CTIME"},
                {0x100, "STATX_INO"},         {0x200, "STATX_SIZE"},    {0x400, "STATX_BLOCKS"},
                {0x800, "STATX_BTIME"},       {0x1000, "STATX_MNT_ID"}, {0x2000, "STATX_DIOALIGN"},
                {0x4000, "STATX_MNT_ID_UNIQUE"}, {0x8000, "STATX_SUBVOL"}, {0x10000, "STATX_WRITE_ATOMIC"},
                {0x20000, "STATX_DIO_READ_ALIGN"}};
  uint64_t left = static_cast<uint32_t>(mask);
  if (left == 0) return "0";
  std::string out;
  for (const auto& n : kNames) {
    if ((left & n.bits) != n.bits) continue;
    out += (out.empty() ? "" : "|") + std::string(n.name);
    left &= ~n.bits;
  }
  if (left != 0) out += (out.empty() ? "" : "|") + hex_or_zero(left);
  return out;
}

std::string quote_string(std::string_view bytes, bool truncated) {
  std::string out;
  out.reserve(bytes.size() + 6);
  out += '"';
  size_t i = 0;
  while (i < bytes.size()) {
    // Runs of bytes printed as they are go in with one append.
    size_t run = i;
    while (run < bytes.size()) {
      const auto c = static_cast<unsigned char>(bytes[run]);
      if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') break;
      ++run;
    }
    out.append(bytes.data() + i, run - i);
    i = run;
    if (i == bytes.size()) break;
    const auto c = static_cast<unsigned char>(bytes[i]);
    ++i;
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\t': out += "\\t"; continue;
      case '\n': out += "\\n"; continue;
      case '\v': out += "\\v"; continue;
      case '\f': out += "\\f"; continue;
      case '\r': out += "\\r"; continue;
      default: break;
    }
    // Shortest octal escape, but all three digits when an octal digit follows, so
    // that "\0" then '1' does not read back as "\01".
    const bool digit_follows = i < bytes.size() && bytes[i] >= '0' && bytes[i] <= '7';
    out += '\\';
    if (digit_follows || c >= 0100) out += static_cast<char>('0' + (c >> 6));
    if (digit_follows || c >= 010) out += static_cast<char>('0' + ((c >> 3) & 7));
    out += static_cast<char>('0' + (c & 7));
  }
  out += '"';
  if (truncated) out += "...";
  return out;
}

}  // namespace sysgate::syscalls
