// append_call and append_quoted: a syscall in strace's grammar.
//
// Arguments are decoded by type (append_value), except strings and input buffers,
// which are fetched through the MemoryReader, and a few calls whose arguments'
// meaning depends on another argument (fcntl's arg, open's mode) or that take O_*
// flags without an access mode (dup3, pipe2, inotify_init1). What the reader returns is untrusted
// bytes from the traced process: it is bounded by the options and escaped.
//
// Everything is appended to one caller-owned string: a trace formats every call
// a program makes, and a temporary string per argument would cost more than
// decoding it.
#include "syscalls/call_format.h"

#include <linux/fcntl.h>
#include <linux/membarrier.h>
#include <linux/mman.h>
#include <linux/sched.h>
#include <sys/syscall.h>

#include "syscalls/constant_tables.h"
#include "syscalls/futex_format.h"
#include "syscalls/ipc_format.h"
#include "syscalls/constants.h"
#include "syscalls/number_text.h"
#include "syscalls/prctl_format.h"
#include "syscalls/seccomp_format.h"
#include "syscalls/sockopt_names.h"

namespace sysgate::syscalls {
namespace {

// The calls whose arguments are not decoded by their types alone. Found once
// per call from its number, rather than by comparing names per argument.
enum class Special : uint8_t {
  kNone, kOpen, kOpenat, kFcntl, kStatx, kSocket, kNoAccessMode, kFutex, kMmap, kRseq, kPrctl, kClone, kSockopt,
  kIoctl, kSeccomp, kMembarrier, kMremap, kMknod, kPersonality, kSyslog
};

Special special_of(int nr) {
  switch (nr) {
    case SYS_open: return Special::kOpen;
    case SYS_openat: return Special::kOpenat;
    case SYS_fcntl: return Special::kFcntl;
    case SYS_statx: return Special::kStatx;
    case SYS_socket: return Special::kSocket;
    case SYS_futex: return Special::kFutex;
    case SYS_mmap: return Special::kMmap;
    case SYS_rseq: return Special::kRseq;
    case SYS_prctl: return Special::kPrctl;
    case SYS_seccomp: return Special::kSeccomp;
    case SYS_clone: return Special::kClone;
    case SYS_setsockopt:
    case SYS_getsockopt: return Special::kSockopt;
    case SYS_ioctl: return Special::kIoctl;
    case SYS_membarrier: return Special::kMembarrier;
    case SYS_mremap: return Special::kMremap;
    case SYS_mknod:
    case SYS_mknodat: return Special::kMknod;
    case SYS_personality: return Special::kPersonality;
    case SYS_syslog: return Special::kSyslog;
    case SYS_dup3:
    case SYS_pipe2: return Special::kNoAccessMode;
    default: return Special::kNone;
  }
}

void append_pointer(std::string& out, uint64_t addr) { constants::append_value(out, ArgType::kPtr, addr); }

// clone as strace shows it, named, with what its flags make it use (x86-64's
// order: flags, stack, parent_tid, child_tid, tls):
//   clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f...)
// parent_tid shows the id the kernel stored there when the trace copied it ("[26420]").
void append_clone_args(std::string& out, const uint64_t args[6], const ArgHook& struct_arg, ConstStyle style) {
  const uint64_t flags = args[0];
  out += "child_stack=";
  append_pointer(out, args[1]);
  out += ", flags=";
  constants::append_value(out, ArgType::kCloneFlags, flags, style);
  if ((flags & (CLONE_PARENT_SETTID | CLONE_PIDFD)) != 0) {
    out += ", parent_tid=";
    if (!(args[2] != 0 && struct_arg && struct_arg(2, args[2], out))) append_pointer(out, args[2]);
  }
  if ((flags & CLONE_SETTLS) != 0) {
    out += ", tls=";
    append_pointer(out, args[4]);
  }
  if ((flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) != 0) {
    out += ", child_tidptr=";
    append_pointer(out, args[3]);
  }
}

// A NUL-terminated string of at most max_len bytes; its address when unreadable.
void append_string_arg(std::string& out, uint64_t addr, size_t max_len, MemoryReader* reader, StringStyle style) {
  if (addr == 0 || reader == nullptr) return append_pointer(out, addr);
  bool truncated = false;
  if (std::optional<std::string_view> held = reader->view_string(addr, max_len, &truncated)) {
    return append_quoted(out, *held, truncated, style);
  }
  std::optional<std::string> text = reader->read_string(addr, max_len, &truncated);
  if (!text) return append_pointer(out, addr);
  append_quoted(out, *text, truncated, style);
}

// A buffer the kernel reads, whose length is another argument: up to max_string bytes
// of it, quoted, with "..." when the buffer is longer.
void append_input_buffer(std::string& out, const SyscallInfo& info, const ArgSpec& spec, uint64_t addr,
                         const uint64_t args[6], MemoryReader* reader, const FormatOptions& options) {
  if (addr == 0 || reader == nullptr || spec.size_arg < 0 || spec.size_arg >= info.argc) {
    return append_pointer(out, addr);
  }
  uint64_t length = args[spec.size_arg];
  if (arg_width_bits(info.args[spec.size_arg].type) == 32) {
    const auto narrow = static_cast<int32_t>(length);  // int lengths, as the kernel sees them
    if (narrow < 0) return append_pointer(out, addr);
    length = static_cast<uint64_t>(narrow);
  }
  const size_t shown = length < options.max_string ? static_cast<size_t>(length) : options.max_string;
  std::optional<std::string_view> bytes = shown == 0 ? std::string_view() : reader->view_bytes(addr, shown);
  std::optional<std::string> copied;  // when the reader cannot lend its bytes
  if (!bytes) {
    copied = reader->read_bytes(addr, shown);
    if (copied) bytes = *copied;
  }
  if (!bytes || bytes->size() != shown) return append_pointer(out, addr);
  append_quoted(out, *bytes, length > shown, options.string_style);
}

// O_* flags of calls that take no access mode: O_CLOEXEC, not O_RDONLY|O_CLOEXEC.
void append_flags_without_access_mode(std::string& out, uint64_t value, ConstStyle style) {
  constants::detail::FlagSet set = constants::detail::kOpenFlags;
  set.field_mask = 0;
  set.field_values = {};
  constants::detail::append_flags(out, set, static_cast<uint32_t>(value), style);
}

// Whether fcntl's command takes a third argument that strace shows.
bool fcntl_has_arg(uint64_t cmd_value) {
  switch (static_cast<uint32_t>(cmd_value)) {
    case F_GETFD:
    case F_GETFL:
    case F_GETOWN:
    case F_GETSIG:
    case F_GETLEASE:
    case F_GETPIPE_SZ:
    case F_GET_SEALS:
      return false;
    default:
      return true;
  }
}

// fcntl's third argument as strace shows it (for a command fcntl_has_arg accepts).
void append_fcntl_arg(std::string& out, uint64_t cmd_value, uint64_t arg, ConstStyle style) {
  switch (static_cast<uint32_t>(cmd_value)) {
    case F_SETFD:
      return constants::detail::append_flags(out, constants::detail::kFdFlags, static_cast<uint32_t>(arg), style);
    case F_SETFL:
      return constants::append_value(out, ArgType::kOpenFlags, arg, style);
    case F_SETSIG:
      return constants::append_value(out, ArgType::kSignal, arg, style);
    case F_NOTIFY:
      return constants::detail::append_flags(out, constants::detail::kDnotifyFlags, arg, style);
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
    case F_SETOWN:
    case F_SETPIPE_SZ:
    case F_SETLEASE:
      return constants::append_value(out, ArgType::kInt, arg);
    default:  // struct flock*, f_owner_ex*, seal and notify masks ...
      return append_hex_or_zero(out, arg);
  }
}

// statx's flags: the AT_STATX_SYNC_TYPE field by name first (strace prints
// AT_STATX_SYNC_AS_STAT for 0), then the other AT_* bits. -X raw and verbose
// show the two parts apart, as strace 6.1 does: a sync type of 0 is nothing
// raw ("|0x100", its text) and "0 /* AT_STATX_SYNC_AS_STAT */" verbose.
void append_statx_flags(std::string& out, uint64_t value, ConstStyle style) {
  constexpr uint32_t kSyncType = 0x6000, kForceSync = 0x2000, kDontSync = 0x4000;
  const uint32_t v = static_cast<uint32_t>(value);
  const uint32_t sync = v & kSyncType;
  const uint32_t rest = v & ~kSyncType;
  const char* name = sync == 0 ? "AT_STATX_SYNC_AS_STAT" : sync == kForceSync ? "AT_STATX_FORCE_SYNC"
                     : sync == kDontSync                                    ? "AT_STATX_DONT_SYNC"
                                                                            : "0x6000";
  if (style == ConstStyle::kRaw && sync == 0) {
    if (rest == 0) out += '0';
  } else {
    append_named(out, style, sync, NumberForm::kHex, name);
  }
  if (rest == 0) return;
  out += '|';
  constants::append_value(out, ArgType::kAtFlags, rest, style);
}

// socket()'s protocol for the IP families, as strace names it (IPPROTO_IP for 0),
// and netlink's (NETLINK_ROUTE); other families' protocols are plain numbers.
void append_socket_protocol(std::string& out, uint64_t domain, uint64_t protocol, ConstStyle style) {
  constexpr int kAfInet = 2, kAfInet6 = 10, kAfNetlink = 16;
  static constexpr const char* kNetlink[] = {
      "NETLINK_ROUTE",     "NETLINK_UNUSED",   "NETLINK_USERSOCK", "NETLINK_FIREWALL",  "NETLINK_SOCK_DIAG",
      "NETLINK_NFLOG",     "NETLINK_XFRM",     "NETLINK_SELINUX",  "NETLINK_ISCSI",     "NETLINK_AUDIT",
      "NETLINK_FIB_LOOKUP", "NETLINK_CONNECTOR", "NETLINK_NETFILTER", "NETLINK_IP6_FW",  "NETLINK_DNRTMSG",
      "NETLINK_KOBJECT_UEVENT", "NETLINK_GENERIC", nullptr, "NETLINK_SCSITRANSPORT", "NETLINK_ECRYPTFS",
      "NETLINK_RDMA",      "NETLINK_CRYPTO",   "NETLINK_SMC"};
  static constexpr struct {
    uint32_t value;
    const char* name;
  } kProtocols[] = {{0, "IPPROTO_IP"},       {1, "IPPROTO_ICMP"},   {6, "IPPROTO_TCP"},
                    {17, "IPPROTO_UDP"},     {58, "IPPROTO_ICMPV6"}, {132, "IPPROTO_SCTP"},
                    {136, "IPPROTO_UDPLITE"}, {255, "IPPROTO_RAW"},  {262, "IPPROTO_MPTCP"}};
  const int family = static_cast<int>(static_cast<uint32_t>(domain));
  const auto number = static_cast<uint32_t>(protocol);
  if (family == kAfNetlink && number < std::size(kNetlink) && kNetlink[number] != nullptr) {
    return append_named(out, style, number, NumberForm::kHex, kNetlink[number]);
  }
  if (family == kAfInet || family == kAfInet6) {
    for (const auto& p : kProtocols) {
      if (p.value == static_cast<uint32_t>(protocol)) return append_named(out, style, number, NumberForm::kHex, p.name);
    }
  }
  constants::append_value(out, ArgType::kInt, protocol);
}

// Flags declared as plain integers that strace names: the descriptor-creating
// calls' and getrandom's.
const constants::detail::FlagSet* named_flags(int nr, int index) {
  namespace c = constants::detail;
  switch (nr) {
    case SYS_eventfd2: return index == 1 ? &c::kEfdFlags : nullptr;
    case SYS_epoll_create1: return index == 0 ? &c::kEpollCreateFlags : nullptr;
    case SYS_timerfd_create: return index == 1 ? &c::kTfdFlags : nullptr;
    case SYS_timerfd_settime: return index == 1 ? &c::kTfdSetFlags : nullptr;
    case SYS_signalfd4: return index == 3 ? &c::kSfdFlags : nullptr;
    case SYS_inotify_init1: return index == 0 ? &c::kInotifyFlags : nullptr;
    case SYS_memfd_create: return index == 1 ? &c::kMfdFlags : nullptr;
    case SYS_getrandom: return index == 2 ? &c::kGrndFlags : nullptr;
    case SYS_faccessat2: return index == 3 ? &c::kAccessAtFlags : nullptr;
    case SYS_inotify_add_watch: return index == 2 ? &c::kInotifyMask : nullptr;
    case SYS_setxattr:
    case SYS_lsetxattr:
    case SYS_fsetxattr: return index == 4 ? &c::kXattrFlags : nullptr;
    case SYS_fallocate: return index == 1 ? &c::kFallocateMode : nullptr;
    case SYS_close_range: return index == 2 ? &c::kCloseRangeFlags : nullptr;
    case SYS_sync_file_range: return index == 3 ? &c::kSyncFileRangeFlags : nullptr;
    case SYS_msync: return index == 2 ? &c::kMsyncFlags : nullptr;
    case SYS_mlock2: return index == 2 ? &c::kMlock2Flags : nullptr;
    case SYS_mlockall: return index == 0 ? &c::kMlockallFlags : nullptr;
    case SYS_mremap: return index == 3 ? &c::kMremapFlags : nullptr;
    case SYS_umount2: return index == 1 ? &c::kUmountFlags : nullptr;
    case SYS_membarrier: return index == 1 ? &c::kMembarrierFlags : nullptr;
    case SYS_setns: return index == 1 ? &c::kSetnsTypes : nullptr;
    case SYS_userfaultfd: return index == 0 ? &c::kUffdFlags : nullptr;
    case SYS_fanotify_init: return index == 0 ? &c::kFanInitFlags : nullptr;
    default: return nullptr;
  }
}

// Integers that strace shows by name when they have one: fadvise64's advice.
std::span<const constants::detail::Named> named_values(int nr, int index) {
  if (nr == SYS_fadvise64 && index == 3) return constants::detail::kFadvice;
  return {};
}

// Integers that strace shows by name, and as "0x5 /* SHUT_??? */" when they
// have none; an empty table for the others.
struct NamedEnum {
  std::span<const constants::detail::Named> table;
  std::string_view unknown;
};
NamedEnum named_enum(int nr, int index) {
  namespace c = constants::detail;
  switch (nr) {
    case SYS_shutdown: return index == 1 ? NamedEnum{c::kShutdownHow, "SHUT_???"} : NamedEnum{};
    case SYS_sched_get_priority_max:
    case SYS_sched_get_priority_min: return index == 0 ? NamedEnum{c::kSchedPolicies, "SCHED_???"} : NamedEnum{};
    case SYS_membarrier: return index == 0 ? NamedEnum{c::kMembarrierCmds, "MEMBARRIER_CMD_???"} : NamedEnum{};
    case SYS_ioprio_get:
    case SYS_ioprio_set: return index == 0 ? NamedEnum{c::kIoprioWho, "IOPRIO_WHO_???"} : NamedEnum{};
    case SYS_kcmp: return index == 2 ? NamedEnum{c::kKcmpTypes, "KCMP_???"} : NamedEnum{};
    default: return {};
  }
}

// mount's type (index 2) and data (4), which strace shows as addresses where
// the flags make the kernel ignore them: a remount's type; a bind's, a
// move's or a propagation change's type and data.
constexpr uint64_t kMgcMask = 0xffff0000, kMgcVal = 0xc0ed0000;  // MS_MGC_MSK, MS_MGC_VAL: mount's old magic

bool mount_ignores(uint64_t flags, int index) {
  if ((flags & kMgcMask) == kMgcVal) flags &= ~kMgcMask;
  constexpr uint64_t kRemount = 32, kBind = 4096, kMove = 8192, kUnbindable = 1 << 17, kPrivate = 1 << 18,
                     kSlave = 1 << 19, kShared = 1 << 20;
  if ((flags & kRemount) != 0) return index == 2;
  return (flags & (kBind | kMove | kShared | kPrivate | kSlave | kUnbindable)) != 0;
}

// Whether a kPid argument names a task (strace's TID and TGID ids): a
// positive id that is not a process group.
bool names_a_task(int nr, int index, const uint64_t args[6]) {
  const auto id = static_cast<int32_t>(args[index]);
  if (id <= 0) return false;
  if (nr == SYS_setpgid && index == 1) return false;                         // the group
  if (nr == SYS_waitid && index == 1) return static_cast<int32_t>(args[0]) == 1;  // P_PID
  return true;
}

void append_arg(std::string& out, const SyscallInfo& info, Special special, int index, const uint64_t args[6],
                MemoryReader* reader, const FormatOptions& options) {
  const ArgSpec& spec = info.args[index];
  const uint64_t value = args[index];
  const ConstStyle style = options.const_style;
  if (append_ipc_arg(out, info.nr, index, args, style)) return;
  if (info.nr == SYS_sysfs) return append_hex_or_zero(out, value);  // strace's printargs: every argument in hex
  if (info.nr == SYS_mount && index == 3) return append_mount_flags(out, value, style);
  if (info.nr == SYS_mount && (index == 2 || index == 4) && mount_ignores(args[3], index)) {
    return append_pointer(out, value);
  }
  if ((info.nr == SYS_ioprio_set && index == 2)) return append_ioprio_value(out, value, style);
  if (const constants::detail::FlagSet* flags = named_flags(info.nr, index)) {
    const uint64_t shown = arg_width_bits(spec.type) == 32 ? static_cast<uint32_t>(value) : value;
    return constants::detail::append_flags(out, *flags, shown, style);
  }
  if (const NamedEnum e = named_enum(info.nr, index); !e.table.empty()) {
    return constants::detail::append_named_or_unknown(out, e.table, static_cast<uint32_t>(value), e.unknown, style);
  }
  for (const constants::detail::Named& entry : named_values(info.nr, index)) {
    if (entry.value == static_cast<uint32_t>(value)) {
      return append_named(out, style, entry.value, NumberForm::kHex, entry.name);
    }
  }
  switch (spec.type) {
    case ArgType::kPath:
      return append_string_arg(out, value, options.max_path, reader, options.string_style);
    case ArgType::kString:
      return append_string_arg(out, value, options.max_string, reader, options.string_style);
    case ArgType::kBufIn:
      return append_input_buffer(out, info, spec, value, args, reader, options);
    case ArgType::kBufOut:
      if (options.output_buffer && options.output_buffer(index, value, out)) return;
      break;
    case ArgType::kStructPtr:
      if (special == Special::kRseq) return append_hex_or_zero(out, value);  // strace: rseq(0, 0, 0, 0), not NULL
      if (options.struct_arg && value != 0 && options.struct_arg(index, value, out)) return;
      break;
    case ArgType::kAtFlags:
      if (special == Special::kStatx) return append_statx_flags(out, value, style);
      break;
    case ArgType::kUInt:
      if (special == Special::kStatx && index == 3) return append_statx_mask(out, value, style);
      // strace: rseq's length and signature in hex, getrandom's GRND_* flags.
      if (special == Special::kRseq && (index == 1 || index == 3)) return append_hex_or_zero(out, static_cast<uint32_t>(value));
      break;
    case ArgType::kInt:
      if (special == Special::kSocket && index == 2) return append_socket_protocol(out, args[0], value, style);
      break;
    case ArgType::kOffset:
      if (special == Special::kMmap) return append_hex_or_zero(out, value);  // strace: mmap's offset in hex
      break;
    case ArgType::kOpenFlags:
      if (special == Special::kNoAccessMode) return append_flags_without_access_mode(out, value, style);
      break;
    case ArgType::kFd:
    case ArgType::kDirFd:
      constants::append_value(out, spec.type, value, style);
      if (options.fd_arg) options.fd_arg(index, value, out);
      return;
    case ArgType::kPid:
      constants::append_value(out, spec.type, value, style);
      if (options.pid_arg && names_a_task(info.nr, index, args)) options.pid_arg(index, value, out);
      return;
    default:
      break;
  }
  constants::append_value(out, spec.type, value, style);
}

// futex: uaddr, op, then what the command takes (futex_format.h), and ")".
void append_futex_call_args(std::string& out, const SyscallInfo& info, const uint64_t args[6], MemoryReader* reader,
                            const FormatOptions& options) {
  append_arg(out, info, Special::kFutex, 0, args, reader, options);
  out += ", ";
  append_arg(out, info, Special::kFutex, 1, args, reader, options);
  const FutexArgsShown shown = futex_args_shown(args[1]);
  for (uint8_t k = 0; k < shown.count; ++k) {
    const int index = shown.index[k];
    out += ", ";
    switch (shown.how[k]) {
      case FutexArg::kAsDeclared:
        append_arg(out, info, Special::kFutex, index, args, reader, options);
        break;
      case FutexArg::kCount:
        append_decimal(out, static_cast<uint32_t>(args[index]));
        break;
      default:
        append_futex_val3(out, shown.how[k], args[index], options.const_style);
        break;
    }
  }
  out += ')';
}

// Unknown calls: all six registers, as nothing says how many count.
// ioctl requests strace prints without their (unused) argument.
constexpr uint32_t kFioclex = 0x5451, kFionclex = 0x5450;  // <asm/ioctls.h>
constexpr uint32_t kFiclone = 0x40049409;                  // <linux/fs.h>: _IOW(0x94, 9, int)

// A terminal's requests whose argument is a number, not a pointer: TCFLSH's
// queue and TCXONC's action by name, TCSBRK's and TCSBRKP's duration in
// decimal (<asm-generic/ioctls.h>). False for other requests.
bool append_terminal_ioctl_arg(std::string& out, uint64_t request, uint64_t arg, ConstStyle style) {
  constexpr uint32_t kTcsbrk = 0x5409, kTcxonc = 0x540A, kTcflsh = 0x540B, kTcsbrkp = 0x5425;
  namespace c = constants::detail;
  switch (static_cast<uint32_t>(request)) {
    case kTcflsh:
      c::append_named_or_unknown(out, c::kTcflshQueues, static_cast<uint32_t>(arg), "TC???", style);
      return true;
    case kTcxonc:
      c::append_named_or_unknown(out, c::kTcxoncActions, static_cast<uint32_t>(arg), "TC???", style);
      return true;
    case kTcsbrk:
    case kTcsbrkp:
      append_decimal(out, static_cast<int32_t>(arg));
      return true;
    default:
      return false;
  }
}

// mknod's and mknodat's device, for a character or block special file only:
// strace's "makedev(0x1, 0x3)", split as glibc's major() and minor() split
// the 32-bit value the kernel reads.
void append_device(std::string& out, uint64_t dev) {
  const auto d = static_cast<uint32_t>(dev);
  out += "makedev(";
  append_hex_or_zero(out, (d >> 8) & 0xfff);
  out += ", ";
  append_hex_or_zero(out, (d & 0xff) | ((d >> 12) & 0xfff00));
  out += ')';
}

bool makes_device(uint64_t mode) {
  const uint32_t type = static_cast<uint32_t>(mode) & 0170000;
  return type == 0020000 || type == 0060000;  // S_IFCHR, S_IFBLK
}

bool ioctl_has_arg(uint64_t request) {
  const auto r = static_cast<uint32_t>(request);
  return r != kFioclex && r != kFionclex;
}

// ioctl requests whose argument is a descriptor, printed in decimal.
bool ioctl_arg_is_fd(uint64_t request) { return static_cast<uint32_t>(request) == kFiclone; }

void append_unknown_call(std::string& out, int nr, const uint64_t args[6]) {
  out += "syscall_";
  append_decimal(out, nr);
  out += '(';
  for (int i = 0; i < 6; ++i) {
    if (i > 0) out += ", ";
    append_hex_or_zero(out, args[i]);
  }
  out += ')';
}

// syslog's type as strace shows it whatever -X says, "10 /* SYSLOG_ACTION_SIZE_BUFFER */"
// (a number only with -X raw). True when the type makes the kernel ignore the
// buffer and the length, which strace then leaves out.
bool append_syslog_type(std::string& out, uint64_t value, ConstStyle style) {
  const auto type = static_cast<int32_t>(value);  // int type
  append_decimal(out, type);
  if (style != ConstStyle::kRaw) {
    out += " /* ";
    std::string_view name = "SYSLOG_ACTION_???";
    for (const constants::detail::Named& n : constants::detail::kSyslogActions) {
      if (type >= 0 && n.value == static_cast<uint32_t>(type)) name = n.name;
    }
    out += name;
    out += " */";
  }
  // CLOSE, OPEN, CLEAR, CONSOLE_OFF, CONSOLE_ON, SIZE_UNREAD, SIZE_BUFFER.
  return type == 0 || type == 1 || type == 5 || type == 6 || type == 7 || type == 9 || type == 10;
}

}  // namespace

void append_call(std::string& out, int nr, const uint64_t args[6], MemoryReader* reader,
                 const FormatOptions& options) {
  const SyscallInfo* info = by_number(nr);
  if (info == nullptr) return append_unknown_call(out, nr, args);
  out += info->name;
  out += '(';
  const Special special = special_of(nr);
  int argc = info->argc;
  if (special == Special::kOpen || special == Special::kOpenat) {
    // As strace: the mode is shown only when the kernel reads it.
    const uint64_t flags = args[special == Special::kOpen ? 1 : 2];
    if ((flags & O_CREAT) == 0 && (flags & __O_TMPFILE) == 0) --argc;
  }
  if (special == Special::kFutex) return append_futex_call_args(out, *info, args, reader, options);
  if (special == Special::kPrctl) {
    append_prctl_args(out, args, options.struct_arg, options.const_style);
    out += ')';
    return;
  }
  if (special == Special::kSeccomp) {
    append_seccomp_args(out, args, options.struct_arg, options.const_style);
    out += ')';
    return;
  }
  if (special == Special::kClone) {
    append_clone_args(out, args, options.struct_arg, options.const_style);
    out += ')';
    return;
  }
  if (special == Special::kPersonality) {
    if (static_cast<uint32_t>(args[0]) == 0xffffffff) {
      out += "0xffffffff";  // the query: no persona
    } else {
      append_personality(out, args[0], options.const_style);
    }
    out += ')';
    return;
  }
  int first = 0;
  if (special == Special::kSyslog) {
    if (append_syslog_type(out, args[0], options.const_style)) {
      out += ')';
      return;
    }
    first = 1;
  }
  // As strace, the arguments only some commands and flags make the kernel read.
  if (special == Special::kMembarrier && (args[1] & MEMBARRIER_CMD_FLAG_CPU) == 0) argc = 2;
  if (special == Special::kMremap && (args[3] & MREMAP_FIXED) == 0) argc = 4;
  const bool device_arg = special == Special::kMknod && makes_device(args[argc - 2]);
  if (special == Special::kMknod && !device_arg) --argc;
  for (int i = first; i < argc; ++i) {
    if (special == Special::kFcntl && i == 2 && !fcntl_has_arg(args[1])) break;
    if (special == Special::kIoctl && i == 2 && !ioctl_has_arg(args[1])) break;
    if (i > 0) out += ", ";
    if (special == Special::kSockopt && (i == 1 || i == 2)) {
      if (i == 1) append_sockopt_level(out, args[1], options.const_style);
      else append_sockopt_name(out, args[1], args[2], options.const_style);
      continue;
    }
    if (device_arg && i == argc - 1) {
      append_device(out, args[i]);
      continue;
    }
    if (special == Special::kIoctl && i == 2 && append_terminal_ioctl_arg(out, args[1], args[2], options.const_style)) {
      continue;
    }
    if (special == Special::kIoctl && i == 2 && ioctl_arg_is_fd(args[1])) {
      append_decimal(out, static_cast<int32_t>(args[2]));  // FICLONE: the source's descriptor
      continue;
    }
    if (special == Special::kIoctl && i == 2 && args[2] != 0 && options.struct_arg &&
        options.struct_arg(2, args[2], out)) {
      continue;  // a struct the trace copied (a terminal's), else the value below
    }
    if (special == Special::kFcntl && i == 2) {
      // A struct flock the trace copied (F_SETLK, F_GETLK, ...), else the value.
      if (args[2] != 0 && options.struct_arg && options.struct_arg(2, args[2], out)) continue;
      append_fcntl_arg(out, args[1], args[2], options.const_style);
    } else {
      append_arg(out, *info, special, i, args, reader, options);
    }
  }
  out += ')';
}

// mount's flags: "MS_MGC_VAL|MS_REMOUNT" when the high half holds the old
// magic (whose bits are then not flags), else the MS_* bits; "0x200 /* MS_??? */"
// for bits strace does not know.
void append_mount_flags(std::string& out, uint64_t flags, ConstStyle style) {
  namespace c = constants::detail;
  const uint64_t value = flags;
  append_constant(out, style, value, NumberForm::kHex, [&](std::string& o) {
    uint64_t rest = value;
    bool first = true;
    if ((rest & kMgcMask) == kMgcVal) {
      o += "MS_MGC_VAL";
      rest &= ~kMgcMask;
      first = false;
    }
    c::append_set_bits(o, c::kMountFlags.bits, &rest, &first);
    if (rest != 0) {
      if (!first) o += '|';
      append_hex_or_zero(o, rest);
      if (first) o += " /* MS_??? */";
    } else if (first) {
      o += '0';
    }
  });
}

void append_personality(std::string& out, uint64_t persona, ConstStyle style) {
  namespace c = constants::detail;
  const auto value = static_cast<uint32_t>(persona);
  append_constant(out, style, value, NumberForm::kHex, [&](std::string& o) {
    constexpr uint32_t kPerMask = 0xff;
    c::append_named_or_unknown(o, c::kPersonalityDomains, value & kPerMask, "PER_???", ConstStyle::kAbbrev);
    uint32_t rest = value & ~kPerMask;
    for (const c::Named& bit : c::kPersonalityFlags.bits) {
      if ((rest & bit.value) == bit.value) {
        o += '|';
        o += bit.name;
        rest &= ~static_cast<uint32_t>(bit.value);
      }
    }
    if (rest != 0) {
      o += '|';
      append_hex_or_zero(o, rest);
    }
  });
}

void append_ioprio_value(std::string& out, uint64_t ioprio, ConstStyle style) {
  namespace c = constants::detail;
  const auto value = static_cast<uint32_t>(ioprio);
  append_constant(out, style, value, NumberForm::kHex, [&](std::string& o) {
    constexpr uint32_t kClassShift = 13;  // IOPRIO_CLASS_SHIFT
    o += "IOPRIO_PRIO_VALUE(";
    c::append_named_or_unknown(o, c::kIoprioClasses, value >> kClassShift, "IOPRIO_CLASS_???", ConstStyle::kAbbrev);
    o += ", ";
    append_decimal(o, value & ((1u << kClassShift) - 1));
    o += ')';
  });
}

std::string format_call(int nr, const uint64_t args[6], MemoryReader* reader, const FormatOptions& options) {
  std::string out;
  out.reserve(160);
  append_call(out, nr, args, reader, options);
  return out;
}

void append_statx_mask(std::string& out, uint64_t mask, ConstStyle style) {
  if (style != ConstStyle::kAbbrev) {
    return append_constant(out, style, static_cast<uint32_t>(mask), NumberForm::kHex,
                           [mask](std::string& o) { append_statx_mask(o, mask); });
  }
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
  if (left == 0) {
    out += '0';
    return;
  }
  const size_t start = out.size();
  for (const auto& n : kNames) {
    if ((left & n.bits) != n.bits) continue;
    if (out.size() != start) out += '|';
    out += n.name;
    left &= ~n.bits;
  }
  if (left == 0) return;
  if (out.size() != start) out += '|';
  append_hex(out, left);
}

void append_statx_attributes(std::string& out, uint64_t attributes, ConstStyle style) {
  constants::detail::append_flags(out, constants::detail::kStatxAttributes, attributes, style);
}

std::string format_statx_mask(uint64_t mask) {
  std::string out;
  append_statx_mask(out, mask);
  return out;
}

namespace {

// -x: strace's test -- a byte above '~', or a control byte other than the
// whitespace \t \n \v \f \r, makes the whole string hex.
bool needs_hex(std::string_view bytes) {
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c > 0x7e || (c < 0x20 && (c < 9 || c > 13))) return true;
  }
  return false;
}

void append_hex_bytes(std::string& out, std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    const char escape[4] = {'\\', 'x', kDigits[c >> 4], kDigits[c & 15]};
    out.append(escape, 4);
  }
}

}  // namespace

void append_quoted(std::string& out, std::string_view bytes, bool truncated, StringStyle style) {
  if (style == StringStyle::kHexAll || (style == StringStyle::kHexNonAscii && needs_hex(bytes))) {
    out += '"';
    append_hex_bytes(out, bytes);
    out += '"';
    if (truncated) out += "...";
    return;
  }
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
    if (style == StringStyle::kHexChars) {  // only the bytes without a name of their own
      append_hex_bytes(out, std::string_view(bytes.data() + i - 1, 1));
      continue;
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
}

std::string quote_string(std::string_view bytes, bool truncated, StringStyle style) {
  std::string out;
  out.reserve(bytes.size() + 6);
  append_quoted(out, bytes, truncated, style);
  return out;
}

}  // namespace sysgate::syscalls
