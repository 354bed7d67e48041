// append_struct_arg: the structs a trace record carries, in strace's grammar.
//
// Each decoder appends to the line being built; the few that can find the bytes
// unprintable (an address family not decoded, an argv without its NUL) say so,
// and append_struct_arg then takes back what they had written, so the caller
// shows the address instead.
#include "trace/struct_format.h"

#include <arpa/inet.h>
#include <sys/syscall.h>

#include <bit>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string_view>

#include "syscalls/call_format.h"
#include "syscalls/constant_tables.h"
#include "syscalls/constants.h"
#include "syscalls/number_text.h"
#include "trace/mempolicy_format.h"
#include "trace/seccomp_format.h"
#include "trace/signal_format.h"
#include "trace/statfs_format.h"
#include "trace/termios_format.h"

namespace sysgate::trace {
namespace {

constexpr size_t kRusageBytes = 144;  // struct rusage: two timevals, 14 longs

namespace constants = syscalls::constants;
using syscalls::append_constant;
using syscalls::append_named;
using syscalls::ConstStyle;
using syscalls::NumberForm;
using syscalls::append_bracketed_decimal;
using syscalls::append_decimal;
using syscalls::append_hex_or_zero;

// The payload's bytes, read at fixed offsets (the kernel's x86-64 layouts).
class Bytes {
 public:
  explicit Bytes(std::string_view b, syscalls::StringStyle style = syscalls::StringStyle::kEscaped,
                 ConstStyle consts = ConstStyle::kAbbrev)
      : b_(b), style_(style), consts_(consts) {}
  size_t size() const { return b_.size(); }
  // How the strings in the struct are quoted (-x, -xx).
  syscalls::StringStyle style() const { return style_; }
  // How its named constants and flags are shown (-X).
  ConstStyle consts() const { return consts_; }
  template <typename T>
  T at(size_t offset) const {
    T v{};
    if (offset + sizeof v <= b_.size()) std::memcpy(&v, b_.data() + offset, sizeof v);
    return v;
  }
  std::string_view view(size_t offset, size_t n) const {
    return offset >= b_.size() ? std::string_view{} : b_.substr(offset, std::min(n, b_.size() - offset));
  }

 private:
  std::string_view b_;
  syscalls::StringStyle style_;
  ConstStyle consts_;
};

void append_pointer(std::string& out, uint64_t v) {
  if (v == 0) {
    out += "NULL";
    return;
  }
  append_hex_or_zero(out, v);
}

// A NUL-terminated field of a fixed-size array, quoted.
void append_c_string(std::string& out, std::string_view field, syscalls::StringStyle style) {
  syscalls::append_quoted(out, field.substr(0, field.find('\0')), false, style);
}

void append_mode_names(std::string& out, uint32_t mode);

// "S_IFREG|0644" for a mode, as strace prints st_mode and stx_mode; a raw
// constant in octal ("%#o": 0100644).
void append_mode(std::string& out, uint32_t mode, ConstStyle style) {
  append_constant(out, style, mode, NumberForm::kOctal, [mode](std::string& o) { append_mode_names(o, mode); });
}

void append_mode_names(std::string& out, uint32_t mode) {
  static constexpr struct {
    uint32_t type;
    const char* name;
  } kTypes[] = {{0140000, "S_IFSOCK"}, {0120000, "S_IFLNK"}, {0100000, "S_IFREG"}, {0060000, "S_IFBLK"},
                {0040000, "S_IFDIR"},  {0020000, "S_IFCHR"}, {0010000, "S_IFIFO"}};
  for (const auto& t : kTypes) {
    if ((mode & 0170000) == t.type) {
      out += t.name;
      out += '|';
    }
  }
  // strace's sprintmode: the set-id and sticky bits by name, then the rest in octal.
  if ((mode & 04000) != 0) out += "S_ISUID|";
  if ((mode & 02000) != 0) out += "S_ISGID|";
  if ((mode & 01000) != 0) out += "S_ISVTX|";
  syscalls::append_octal_mode(out, mode & 0777);
}

// A device number as strace shows it, makedev(0x1, 0x3); raw, the number
// (0x103).
void append_device(std::string& out, uint64_t dev, ConstStyle style) {
  append_constant(out, style, dev, NumberForm::kHex, [dev](std::string& o) {
    const uint64_t major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~uint64_t{0xfff});
    const uint64_t minor = (dev & 0xff) | ((dev >> 12) & ~uint64_t{0xff});
    o += "makedev(";
    append_hex_or_zero(o, major);
    o += ", ";
    append_hex_or_zero(o, minor);
    o += ')';
  });
}

// struct statx: {stx_mask=STATX_BASIC_STATS|STATX_MNT_ID, stx_attributes=0,
// stx_mode=S_IFREG|0755, stx_size=3, ...}
void append_statx(std::string& out, const Bytes& b) {
  out += "{stx_mask=";
  syscalls::append_statx_mask(out, b.at<uint32_t>(0), b.consts());
  out += ", stx_attributes=";
  syscalls::append_statx_attributes(out, b.at<uint64_t>(8), b.consts());
  out += ", stx_mode=";
  append_mode(out, b.at<uint16_t>(28), b.consts());
  out += ", stx_size=";
  append_decimal(out, b.at<uint64_t>(40));
  out += ", ...}";
}

// struct stat: {st_mode=S_IFREG|0644, st_size=41747, ...}; devices show st_rdev.
void append_stat(std::string& out, const Bytes& b) {
  const uint32_t mode = b.at<uint32_t>(24);
  out += "{st_mode=";
  append_mode(out, mode, b.consts());
  const uint32_t kind = mode & 0170000;
  if (kind == 0020000 || kind == 0060000) {
    out += ", st_rdev=";
    append_device(out, b.at<uint64_t>(40), b.consts());
  } else {
    out += ", st_size=";
    append_decimal(out, b.at<int64_t>(48));
  }
  out += ", ...}";
}

void append_sigaction_flag_names(std::string& out, uint64_t flags);

void append_sigaction_flags(std::string& out, uint64_t flags, ConstStyle style) {
  append_constant(out, style, flags, NumberForm::kHex, [flags](std::string& o) { append_sigaction_flag_names(o, flags); });
}

void append_sigaction_flag_names(std::string& out, uint64_t flags) {
  // strace's order.
  static constexpr struct {
    uint64_t bit;
    const char* name;
  } kFlags[] = {{0x04000000, "SA_RESTORER"}, {0x08000000, "SA_ONSTACK"},  {0x10000000, "SA_RESTART"},
                {0x40000000, "SA_NODEFER"},  {0x80000000, "SA_RESETHAND"}, {0x00000004, "SA_SIGINFO"},
                {0x00000001, "SA_NOCLDSTOP"}, {0x00000002, "SA_NOCLDWAIT"}, {0x00000400, "SA_UNSUPPORTED"},
                {0x00000800, "SA_EXPOSE_TAGBITS"}};
  if (flags == 0) {
    out += '0';
    return;
  }
  const size_t start = out.size();
  for (const auto& f : kFlags) {
    if ((flags & f.bit) == 0) continue;
    if (out.size() != start) out += '|';
    out += f.name;
    flags &= ~f.bit;
  }
  if (flags == 0) return;
  if (out.size() != start) out += '|';
  append_hex_or_zero(out, flags);
}

// The kernel's struct sigaction: handler, flags, restorer, mask.
void append_sigaction(std::string& out, const Bytes& b) {
  const uint64_t handler = b.at<uint64_t>(0);
  const uint64_t flags = b.at<uint64_t>(8);
  out += "{sa_handler=";
  if (handler == 0) {
    append_named(out, b.consts(), handler, NumberForm::kHex, "SIG_DFL");
  } else if (handler == 1) {
    append_named(out, b.consts(), handler, NumberForm::kHex, "SIG_IGN");
  } else {
    append_hex_or_zero(out, handler);
  }
  out += ", sa_mask=";
  append_sigset(out, b.at<uint64_t>(24), b.consts());
  out += ", sa_flags=";
  append_sigaction_flags(out, flags, b.consts());
  if ((flags & 0x04000000) != 0) {
    out += ", sa_restorer=";
    append_pointer(out, b.at<uint64_t>(16));
  }
  out += '}';
}

// RLIM64_INFINITY, 8192*1024, 20000; raw, the number in decimal.
void append_rlimit_value(std::string& out, uint64_t v, ConstStyle style) {
  append_constant(out, style, v, NumberForm::kUnsigned, [v](std::string& o) {
    if (v == ~uint64_t{0}) {
      o += "RLIM64_INFINITY";
    } else if (v != 0 && v % 1024 == 0) {
      append_decimal(o, v / 1024);
      o += "*1024";
    } else {
      append_decimal(o, v);
    }
  });
}

// Two struct timevals in a row (itimerval, rusage's first fields), each
// {tv_sec=N, tv_usec=N}, between the given texts.
void append_two_timevals(std::string& out, const Bytes& b, std::string_view open, std::string_view between,
                         std::string_view close) {
  for (size_t i = 0; i < 2; ++i) {
    out += i == 0 ? open : between;
    out += "{tv_sec=";
    append_decimal(out, b.at<int64_t>(16 * i));
    out += ", tv_usec=";
    append_decimal(out, b.at<int64_t>(16 * i + 8));
    out += '}';
  }
  out += close;
}

// times' struct tms: each count of clock ticks with its seconds.
void append_tms(std::string& out, const Bytes& b) {
  static constexpr const char* kFields[] = {"tms_utime", "tms_stime", "tms_cutime", "tms_cstime"};
  out += '{';
  for (size_t i = 0; i < 4; ++i) {
    if (i > 0) out += ", ";
    out += kFields[i];
    out += '=';
    append_clock_ticks(out, b.at<uint64_t>(8 * i));
  }
  out += '}';
}

// timer_create's and mq_notify's struct sigevent (its first 32 bytes), as
// strace shows it: the value when it is not 0, the signal, the notification,
// and a thread's id or a thread's function and attributes:
// {sigev_value={sival_int=7, sival_ptr=0x7}, sigev_signo=SIGALRM,
// sigev_notify=SIGEV_THREAD, sigev_notify_function=NULL, sigev_notify_attributes=NULL};
// false for a notification strace does not know, which stays an address.
bool append_sigevent(std::string& out, const Bytes& b) {
  constexpr int32_t kSigevSignal = 0, kSigevNone = 1, kSigevThread = 2, kSigevThreadId = 4;
  const uint64_t value = b.at<uint64_t>(0);
  const int32_t signo = b.at<int32_t>(8), notify = b.at<int32_t>(12);
  if (notify != kSigevSignal && notify != kSigevNone && notify != kSigevThread && notify != kSigevThreadId) return false;
  out += '{';
  if (value != 0) {
    out += "sigev_value={sival_int=";
    append_decimal(out, static_cast<int32_t>(value));
    out += ", sival_ptr=";
    append_pointer(out, value);
    out += "}, ";
  }
  out += "sigev_signo=";
  if (notify == kSigevNone) append_decimal(out, signo);
  else syscalls::constants::append_value(out, syscalls::ArgType::kSignal, static_cast<uint32_t>(signo), b.consts());
  out += ", sigev_notify=";
  static constexpr std::string_view kNotify[] = {"SIGEV_SIGNAL", "SIGEV_NONE", "SIGEV_THREAD", "", "SIGEV_THREAD_ID"};
  append_named(out, b.consts(), static_cast<uint32_t>(notify), NumberForm::kHex, kNotify[notify]);
  switch (notify) {
    case kSigevSignal: out += '}'; return true;
    case kSigevNone: out += '}'; return true;
    case kSigevThreadId:
      out += ", sigev_notify_thread_id=";
      append_decimal(out, b.at<int32_t>(16));
      out += '}';
      return true;
    default:
      out += ", sigev_notify_function=";
      append_pointer(out, b.at<uint64_t>(16));
      out += ", sigev_notify_attributes=";
      append_pointer(out, b.at<uint64_t>(24));
      out += '}';
      return true;
  }
}

// sigaltstack's stack_t: {ss_sp=0x7f..., ss_flags=SS_ONSTACK, ss_size=65536}.
void append_stack(std::string& out, const Bytes& b) {
  static constexpr std::pair<uint64_t, std::string_view> kFlags[] = {
      {1, "SS_ONSTACK"}, {2, "SS_DISABLE"}, {uint64_t{1} << 31, "SS_AUTODISARM"}};
  out += "{ss_sp=";
  append_pointer(out, b.at<uint64_t>(0));
  out += ", ss_flags=";
  const uint64_t ss_flags = b.at<uint32_t>(8);
  append_constant(out, b.consts(), ss_flags, NumberForm::kHex, [ss_flags](std::string& o) {
    uint64_t flags = ss_flags;
    bool first = true;
    for (const auto& [bit, name] : kFlags) {
      if ((flags & bit) == 0) continue;
      if (!first) o += '|';
      first = false;
      o += name;
      flags &= ~bit;
    }
    if (flags != 0 || first) {
      if (!first) o += '|';
      append_hex_or_zero(o, flags);
    }
  });
  out += ", ss_size=";
  append_decimal(out, b.at<uint64_t>(16));
  out += '}';
}

void append_rlimit(std::string& out, const Bytes& b) {
  out += "{rlim_cur=";
  append_rlimit_value(out, b.at<uint64_t>(0), b.consts());
  out += ", rlim_max=";
  append_rlimit_value(out, b.at<uint64_t>(8), b.consts());
  out += '}';
}

void append_timespec(std::string& out, const Bytes& b) {
  out += "{tv_sec=";
  append_decimal(out, b.at<int64_t>(0));
  out += ", tv_nsec=";
  append_decimal(out, b.at<int64_t>(8));
  out += '}';
}

// " /* 2023-11-14T22:13:20.500000000+0000 */": a time in local time, as
// strace comments the times it prints (the fraction only when there is one;
// none for the epoch itself, which strace leaves uncommented).
void append_time_comment(std::string& out, int64_t sec, int64_t nsec) {
  if (sec == 0 && nsec == 0) return;
  const time_t t = static_cast<time_t>(sec);
  struct tm tm;
  char date[64], zone[16];
  if (localtime_r(&t, &tm) == nullptr || std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm) == 0 ||
      std::strftime(zone, sizeof zone, "%z", &tm) == 0) {
    return;
  }
  out += " /* ";
  out += date;
  if (nsec != 0) {
    char fraction[16];
    std::snprintf(fraction, sizeof fraction, ".%09lld", static_cast<long long>(nsec));
    out += fraction;
  }
  out += zone;
  out += " */";
}

// utimensat's two times as strace shows them: UTIME_NOW, UTIME_OMIT, or
// {tv_sec=1700000000, tv_nsec=500000000} /* 2023-11-14T22:13:20.500000000+0000 */
// (local time; no comment for the epoch itself).
void append_utime_timespecs(std::string& out, const Bytes& b) {
  constexpr int64_t kUtimeNow = (1 << 30) - 1, kUtimeOmit = (1 << 30) - 2;
  out += '[';
  for (size_t i = 0; i < 2; ++i) {
    if (i > 0) out += ", ";
    const int64_t sec = b.at<int64_t>(16 * i), nsec = b.at<int64_t>(16 * i + 8);
    if (nsec == kUtimeNow || nsec == kUtimeOmit) {
      // -X raw: the struct as it is; verbose: and the name in a comment.
      const char* name = nsec == kUtimeNow ? "UTIME_NOW" : "UTIME_OMIT";
      if (b.consts() == ConstStyle::kAbbrev) {
        out += name;
        continue;
      }
      append_timespec(out, Bytes(b.view(16 * i, 16), b.style()));
      if (b.consts() == ConstStyle::kVerbose) out += std::string(" /* ") + name + " */";
      continue;
    }
    append_timespec(out, Bytes(b.view(16 * i, 16), b.style()));
    append_time_comment(out, sec, nsec);
  }
  out += ']';
}

// A statx struct whole (its first 152 bytes: up to stx_mnt_id), as strace -v
// prints it: {stx_mask=STATX_ALL|STATX_MNT_ID, stx_blksize=4096, ...,
// stx_atime={tv_sec=..., tv_nsec=...} /* date */, ..., stx_dev_minor=0, stx_mnt_id=0x1b}.
void append_statx_verbose(std::string& out, const Bytes& b) {
  constexpr uint32_t kStatxMntId = 0x1000;
  const uint32_t mask = b.at<uint32_t>(0);
  out += "{stx_mask=";
  syscalls::append_statx_mask(out, mask, b.consts());
  out += ", stx_blksize=";
  append_decimal(out, b.at<uint32_t>(4));
  out += ", stx_attributes=";
  syscalls::append_statx_attributes(out, b.at<uint64_t>(8), b.consts());
  out += ", stx_nlink=";
  append_decimal(out, b.at<uint32_t>(16));
  out += ", stx_uid=";
  append_decimal(out, b.at<uint32_t>(20));
  out += ", stx_gid=";
  append_decimal(out, b.at<uint32_t>(24));
  out += ", stx_mode=";
  append_mode(out, b.at<uint16_t>(28), b.consts());
  out += ", stx_ino=";
  append_decimal(out, b.at<uint64_t>(32));
  out += ", stx_size=";
  append_decimal(out, b.at<uint64_t>(40));
  out += ", stx_blocks=";
  append_decimal(out, b.at<uint64_t>(48));
  out += ", stx_attributes_mask=";
  syscalls::append_statx_attributes(out, b.at<uint64_t>(56), b.consts());
  static constexpr const char* kTimes[] = {"atime", "btime", "ctime", "mtime"};
  for (size_t i = 0; i < 4; ++i) {
    const int64_t sec = b.at<int64_t>(64 + 16 * i);
    const uint32_t nsec = b.at<uint32_t>(72 + 16 * i);
    out += ", stx_";
    out += kTimes[i];
    out += "={tv_sec=";
    append_decimal(out, sec);
    out += ", tv_nsec=";
    append_decimal(out, nsec);
    out += '}';
    append_time_comment(out, sec, nsec);
  }
  static constexpr const char* kDevices[] = {"rdev_major", "rdev_minor", "dev_major", "dev_minor"};
  for (size_t i = 0; i < 4; ++i) {
    out += ", stx_";
    out += kDevices[i];
    out += '=';
    append_decimal(out, b.at<uint32_t>(128 + 4 * i));
  }
  if ((mask & kStatxMntId) != 0) {
    out += ", stx_mnt_id=";
    append_hex_or_zero(out, b.at<uint64_t>(144));
  }
  out += '}';
}

// A stat struct whole, as strace -v prints it (x86-64's struct stat):
// {st_dev=makedev(0xfe, 0), st_ino=551, st_mode=S_IFREG|0644, st_nlink=1, st_uid=0, st_gid=0,
//  st_blksize=4096, st_blocks=88, st_size=41747, st_atime=1795728001 /* 2026-11-26T21:20:01.2...+0000 */,
//  st_atime_nsec=203093107, st_mtime=..., st_mtime_nsec=..., st_ctime=..., st_ctime_nsec=...}
void append_stat_verbose(std::string& out, const Bytes& b) {
  auto makedev = [&](uint64_t dev) { append_device(out, dev, b.consts()); };
  const uint32_t mode = b.at<uint32_t>(24);
  out += "{st_dev=";
  makedev(b.at<uint64_t>(0));
  out += ", st_ino=";
  append_decimal(out, b.at<uint64_t>(8));
  out += ", st_mode=";
  append_mode(out, mode, b.consts());
  out += ", st_nlink=";
  append_decimal(out, b.at<uint64_t>(16));
  out += ", st_uid=";
  append_decimal(out, b.at<uint32_t>(28));
  out += ", st_gid=";
  append_decimal(out, b.at<uint32_t>(32));
  out += ", st_blksize=";
  append_decimal(out, b.at<int64_t>(56));
  out += ", st_blocks=";
  append_decimal(out, b.at<int64_t>(64));
  const uint32_t kind = mode & 0170000;
  if (kind == 0020000 || kind == 0060000) {
    out += ", st_rdev=";
    makedev(b.at<uint64_t>(40));
  } else {
    out += ", st_size=";
    append_decimal(out, b.at<int64_t>(48));
  }
  static constexpr const char* kTimes[] = {"atime", "mtime", "ctime"};
  for (size_t i = 0; i < 3; ++i) {
    const int64_t sec = b.at<int64_t>(72 + 16 * i), nsec = b.at<int64_t>(80 + 16 * i);
    out += ", st_";
    out += kTimes[i];
    out += '=';
    append_decimal(out, sec);
    append_time_comment(out, sec, nsec);
    out += ", st_";
    out += kTimes[i];
    out += "_nsec=";
    append_decimal(out, nsec);
  }
  out += '}';
}

// struct sysinfo: {uptime=41605, loads=[80320, 68640, 70720], totalram=..., ...,
// procs=80, totalhigh=0, freehigh=0, mem_unit=1}, every field, as strace.
void append_sysinfo(std::string& out, const Bytes& b) {
  out += "{uptime=";
  append_decimal(out, b.at<int64_t>(0));
  out += ", loads=[";
  for (size_t i = 0; i < 3; ++i) {
    if (i != 0) out += ", ";
    append_decimal(out, b.at<uint64_t>(8 + 8 * i));
  }
  out += ']';
  static constexpr struct {
    const char* name;
    size_t offset;
    size_t bytes;
  } kFields[] = {{"totalram", 32, 8},  {"freeram", 40, 8}, {"sharedram", 48, 8}, {"bufferram", 56, 8},
                 {"totalswap", 64, 8}, {"freeswap", 72, 8}, {"procs", 80, 2},    {"totalhigh", 88, 8},
                 {"freehigh", 96, 8},  {"mem_unit", 104, 4}};
  for (const auto& field : kFields) {
    out += ", ";
    out += field.name;
    out += '=';
    const uint64_t value = field.bytes == 8   ? b.at<uint64_t>(field.offset)
                           : field.bytes == 4 ? b.at<uint32_t>(field.offset)
                                              : b.at<uint16_t>(field.offset);
    append_decimal(out, value);
  }
  out += '}';
}

// struct new_utsname: sysname and nodename, or with -v all six fields.
void append_utsname(std::string& out, const Bytes& b, bool verbose) {
  static constexpr const char* kFields[] = {"{sysname=", ", nodename=", ", release=", ", version=", ", machine=",
                                            ", domainname="};
  for (size_t i = 0; i < (verbose ? 6 : 2); ++i) {
    out += kFields[i];
    append_c_string(out, b.view(65 * i, 65), b.style());
  }
  out += verbose ? "}" : ", ...}";
}

// struct rusage: its two times, or with -v every field.
void append_rusage(std::string& out, const Bytes& b, bool verbose) {
  if (!verbose) return append_two_timevals(out, b, "{ru_utime=", ", ru_stime=", ", ...}");
  append_two_timevals(out, b, "{ru_utime=", ", ru_stime=", "");
  static constexpr const char* kFields[] = {"ru_maxrss", "ru_ixrss", "ru_idrss",  "ru_isrss",    "ru_minflt",
                                            "ru_majflt", "ru_nswap", "ru_inblock", "ru_oublock", "ru_msgsnd",
                                            "ru_msgrcv", "ru_nsignals", "ru_nvcsw", "ru_nivcsw"};
  for (size_t i = 0; i < std::size(kFields); ++i) {
    out += ", ";
    out += kFields[i];
    out += '=';
    append_decimal(out, b.at<int64_t>(32 + 8 * i));
  }
  out += '}';
}

void append_pipe_fds(std::string& out, const Bytes& b) {
  out += '[';
  append_decimal(out, b.at<int32_t>(0));
  out += ", ";
  append_decimal(out, b.at<int32_t>(4));
  out += ']';
}

void append_signal_or_number(std::string& out, int sig) {
  const std::string_view name = constants::signal_name(sig);
  if (name.empty()) {
    append_decimal(out, sig);
  } else {
    out += name;
  }
}

// A field of a socket address that strace shows as its bytes as a raw
// constant ("\x00\x09"), and in verbose style with the abbreviated text as a
// comment ("\x00\x09" /* htons(9) */).
template <typename Abbreviated>
void append_address_field(std::string& out, const Bytes& b, size_t offset, size_t size, Abbreviated&& abbreviated) {
  if (b.consts() == ConstStyle::kAbbrev) return abbreviated(out);
  syscalls::append_quoted(out, b.view(offset, size), false, syscalls::StringStyle::kHexAll);
  if (b.consts() == ConstStyle::kRaw) return;
  out += " /* ";
  abbreviated(out);
  out += " */";
}

void append_family(std::string& out, const Bytes& b, uint16_t family, std::string_view name) {
  out += "{sa_family=";
  append_named(out, b.consts(), family, NumberForm::kHex, name);
}

void append_wait_status(std::string& out, const Bytes& b) {
  const uint32_t s = b.at<uint32_t>(0);
  out += "[{";
  if ((s & 0x7f) == 0) {
    out += "WIFEXITED(s) && WEXITSTATUS(s) == ";
    append_decimal(out, (s >> 8) & 0xff);
  } else if ((s & 0xff) == 0x7f) {
    out += "WIFSTOPPED(s) && WSTOPSIG(s) == ";
    append_signal_or_number(out, static_cast<int>((s >> 8) & 0xff));
  } else if (s == 0xffff) {
    out += "WIFCONTINUED(s)";
  } else {
    out += "WIFSIGNALED(s) && WTERMSIG(s) == ";
    append_signal_or_number(out, static_cast<int>(s & 0x7f));
    if ((s & 0x80) != 0) out += " && WCOREDUMP(s)";
  }
  out += "}]";
}

// connect/bind's address; false (nothing appended) for families strace decodes
// in ways not done here.
bool append_sockaddr(std::string& out, const Bytes& b) {
  if (b.size() < 2) return false;
  switch (b.at<uint16_t>(0)) {
    case AF_UNIX: {
      const std::string_view path = b.view(2, b.size() - 2);
      append_family(out, b, AF_UNIX, "AF_UNIX");
      if (path.empty()) {
        out += '}';  // an unnamed socket's address: the family alone
        return true;
      }
      if (path[0] == '\0') {
        out += ", sun_path=@";
        syscalls::append_quoted(out, path.substr(1), false, b.style());
      } else {
        out += ", sun_path=";
        append_c_string(out, path, b.style());
      }
      out += '}';
      return true;
    }
    case AF_INET: {
      if (b.size() < 8) return false;
      char ip[INET_ADDRSTRLEN] = "";
      const uint32_t addr = b.at<uint32_t>(4);
      inet_ntop(AF_INET, &addr, ip, sizeof ip);
      append_family(out, b, AF_INET, "AF_INET");
      out += ", sin_port=";
      append_address_field(out, b, 2, 2, [&](std::string& o) {
        o += "htons(";
        append_decimal(o, ntohs(b.at<uint16_t>(2)));
        o += ')';
      });
      out += ", sin_addr=";
      append_address_field(out, b, 4, 4, [&](std::string& o) {
        o += "inet_addr(\"";
        o += ip;
        o += "\")";
      });
      out += '}';
      return true;
    }
    case AF_INET6: {
      if (b.size() < 28) return false;
      char ip[INET6_ADDRSTRLEN] = "";
      unsigned char addr[16];
      std::memcpy(addr, b.view(8, 16).data(), 16);
      inet_ntop(AF_INET6, addr, ip, sizeof ip);
      append_family(out, b, AF_INET6, "AF_INET6");
      out += ", sin6_port=";
      append_address_field(out, b, 2, 2, [&](std::string& o) {
        o += "htons(";
        append_decimal(o, ntohs(b.at<uint16_t>(2)));
        o += ')';
      });
      out += ", sin6_flowinfo=";
      append_address_field(out, b, 4, 4, [&](std::string& o) {
        o += "htonl(";
        append_decimal(o, ntohl(b.at<uint32_t>(4)));
        o += ')';
      });
      if (b.consts() == ConstStyle::kAbbrev) {
        out += ", inet_pton(AF_INET6, \"";
        out += ip;
        out += "\", &sin6_addr)";
      } else {  // strace's own text for the two styles: the address's bytes, "inet_pton(AF_INET6, "::1")"
        out += ", sin6_addr=";
        append_address_field(out, b, 8, 16, [&](std::string& o) {
          o += "inet_pton(AF_INET6, \"";
          o += ip;
          o += "\")";
        });
      }
      out += ", sin6_scope_id=";
      append_decimal(out, b.at<uint32_t>(24));
      out += '}';
      return true;
    }
    case AF_NETLINK: {  // struct sockaddr_nl: family, pad (shown when not 0), nl_pid, nl_groups in 8 hex digits
      if (b.size() < 12) return false;
      char groups[16];
      std::snprintf(groups, sizeof groups, "%08x", b.at<uint32_t>(8));
      append_family(out, b, AF_NETLINK, "AF_NETLINK");
      out += ", ";
      if (const uint16_t pad = b.at<uint16_t>(2); pad != 0) {
        char text[16];
        std::snprintf(text, sizeof text, "%#x", pad);
        out += "nl_pad=";
        out += text;
        out += ", ";
      }
      out += "nl_pid=";
      append_decimal(out, b.at<uint32_t>(4));
      out += ", nl_groups=";
      out += groups;
      out += '}';
      return true;
    }
    default:
      return false;
  }
}

// An exec's argv (kPayloadStringArray): ["ls", "-l"], with "..." after a string
// or the array the gate cut short. False when a string lacks its NUL (the caller
// takes back what was appended).
bool append_argv(std::string& out, const Payload& p, syscalls::StringStyle style) {
  const std::string_view bytes = p.bytes;
  out += '[';
  size_t at = 0;
  bool first = true;
  while (at < bytes.size()) {
    const bool cut = bytes[at] != 0;
    const size_t end = bytes.find('\0', at + 1);
    if (end == std::string_view::npos) return false;
    if (!first) out += ", ";
    syscalls::append_quoted(out, bytes.substr(at + 1, end - at - 1), cut, style);
    first = false;
    at = end + 1;
    if (at < bytes.size() && bytes[at] == 0 && bytes.find_first_not_of('\0', at) == std::string_view::npos) break;
  }
  if (p.truncated) out += first ? "..." : ", ...";
  out += ']';
  return true;
}

// An exec's envp (kPayloadArrayCount): strace's "0x7ffc1000 /* 37 vars */".
bool append_env_count(std::string& out, const Payload& p) {
  if (p.bytes.size() != 8) return false;
  uint64_t count = 0;
  std::memcpy(&count, p.bytes.data(), 8);
  append_hex_or_zero(out, p.addr);
  out += " /* ";
  append_decimal(out, count);
  out += count == 1 ? " var */" : " vars */";
  return true;
}

// The struct of a call's argument, by the call: false for a call or a size not decoded.
// capget/capset: the header, {version=_LINUX_CAPABILITY_VERSION_3, pid=0}.
void append_cap_header(std::string& out, const Bytes& b) {
  static constexpr struct {
    uint32_t version;
    const char* name;
  } kVersions[] = {{0x19980330, "_LINUX_CAPABILITY_VERSION_1"},
                   {0x20071026, "_LINUX_CAPABILITY_VERSION_2"},
                   {0x20080522, "_LINUX_CAPABILITY_VERSION_3"}};
  const uint32_t version = b.at<uint32_t>(0);
  out += "{version=";
  const char* name = nullptr;
  for (const auto& v : kVersions) {
    if (v.version == version) name = v.name;
  }
  append_constant(out, b.consts(), version, NumberForm::kHex, [&](std::string& o) {
    if (name != nullptr) {
      o += name;
    } else {
      append_hex_or_zero(o, version);
      o += " /* _LINUX_CAPABILITY_VERSION_??? */";
    }
  });
  out += ", pid=";
  append_decimal(out, b.at<int32_t>(4));
  out += '}';
}

void append_capabilities(std::string& out, uint64_t set);

// A capability set in a -X style: strace shows the two 32-bit words the
// kernel passes apart, 0xfeffffff|0x1ff (the high word's names in its comment).
void append_capabilities(std::string& out, uint64_t set, ConstStyle style) {
  if (style == ConstStyle::kAbbrev) return append_capabilities(out, set);
  const uint64_t low = set & 0xffffffff, high = set >> 32;
  if (low != 0 || high == 0) {
    append_constant(out, style, low, NumberForm::kHex, [low](std::string& o) { append_capabilities(o, low); });
  }
  if (high == 0) return;
  if (low != 0) out += '|';
  append_constant(out, style, high, NumberForm::kHex, [high](std::string& o) { append_capabilities(o, high << 32); });
}

// A capability set as strace shows it: 1<<CAP_CHOWN|1<<CAP_KILL, or 0.
void append_capabilities(std::string& out, uint64_t set) {
  if (set == 0) {
    out += '0';
    return;
  }
  bool first = true;
  for (uint32_t bit = 0; bit < 64; ++bit) {
    if ((set >> bit & 1) == 0) continue;
    if (!first) out += '|';
    first = false;
    out += "1<<";
    bool named = false;
    for (const constants::detail::Named& n : constants::detail::kCapabilities) {
      if (n.value == bit) {
        out += n.name;
        named = true;
        break;
      }
    }
    if (!named) append_decimal(out, bit);
  }
}

// capget/capset: the data, one struct (version 1) or two (the high 32 bits of
// each set): {effective=..., permitted=..., inheritable=...}.
void append_cap_data(std::string& out, const Bytes& b) {
  const bool two = b.size() == 24;
  auto set = [&](size_t offset) {
    const uint64_t high = two ? b.at<uint32_t>(12 + offset) : 0;
    return uint64_t{b.at<uint32_t>(offset)} | high << 32;
  };
  out += "{effective=";
  append_capabilities(out, set(0), b.consts());
  out += ", permitted=";
  append_capabilities(out, set(4), b.consts());
  out += ", inheritable=";
  append_capabilities(out, set(8), b.consts());
  out += '}';
}

// prctl's second argument (the gate's struct_payloads.cc copies it for these
// options): a task name, "worker-1"; or what the kernel wrote, [SIGTERM], [1],
// [0x7f...]. <linux/prctl.h>'s numbers.
bool append_prctl_arg(std::string& out, uint64_t option, const Bytes& b) {
  switch (static_cast<uint32_t>(option)) {
    case 15:    // PR_SET_NAME
    case 16: {  // PR_GET_NAME
      // As strace: a name set shows at most 15 bytes, then "..." unless a
      // NUL came within them; a name got, up to its NUL.
      if (b.size() != 16) return false;
      const std::string_view name = b.view(0, static_cast<uint32_t>(option) == 15 ? 15 : 16);
      const size_t nul = name.find('\0');
      syscalls::append_quoted(out, name.substr(0, nul), nul == std::string_view::npos, b.style());
      return true;
    }
    case 2: {  // PR_GET_PDEATHSIG
      if (b.size() != 4) return false;
      const int sig = b.at<int32_t>(0);
      const std::string_view name = sig > 0 && sig <= 64 ? constants::signal_name(sig) : "";
      out += '[';
      if (name.empty()) {
        append_decimal(out, sig);
      } else {
        append_named(out, b.consts(), static_cast<uint64_t>(int64_t{sig}), NumberForm::kDecimal, name);
      }
      out += ']';
      return true;
    }
    case 37:  // PR_GET_CHILD_SUBREAPER
      if (b.size() != 4) return false;
      append_bracketed_decimal(out, b.at<int32_t>(0));
      return true;
    case 40:  // PR_GET_TID_ADDRESS
      if (b.size() != 8) return false;
      out += '[';
      append_hex_or_zero(out, b.at<uint64_t>(0));
      out += ']';
      return true;
    default:
      return false;
  }
}

// clone3's struct clone_args as strace shows it: the fields the flags use.
// openat2's struct open_how: {flags=O_RDONLY|O_CLOEXEC, resolve=RESOLVE_BENEATH},
// the mode only when it is set or the flags create a file, as strace 6.1.
bool append_open_how(std::string& out, const Bytes& b) {
  if (b.size() != 24) return false;
  using syscalls::constants::detail::Named;
  static constexpr Named kResolveBits[] = {{"RESOLVE_NO_XDEV", 0x01},    {"RESOLVE_NO_MAGICLINKS", 0x02},
                                           {"RESOLVE_NO_SYMLINKS", 0x04}, {"RESOLVE_BENEATH", 0x08},
                                           {"RESOLVE_IN_ROOT", 0x10},     {"RESOLVE_CACHED", 0x20}};
  static constexpr syscalls::constants::detail::FlagSet kResolve{0, {}, kResolveBits, {}, "RESOLVE_???"};
  constexpr uint64_t kCreat = 0100, kTmpfile = 020000000;
  const uint64_t flags = b.at<uint64_t>(0), mode = b.at<uint64_t>(8);
  out += "{flags=";
  syscalls::constants::append_value(out, syscalls::ArgType::kOpenFlags, flags, b.consts());
  if (mode != 0 || (flags & (kCreat | kTmpfile)) != 0) {
    out += ", mode=";
    syscalls::constants::append_value(out, syscalls::ArgType::kMode, mode, b.consts());
  }
  out += ", resolve=";
  syscalls::constants::detail::append_flags(out, kResolve, b.at<uint64_t>(16));
  out += '}';
  return true;
}

bool append_clone_args(std::string& out, const Bytes& b) {
  if (b.size() < 64) return false;
  constexpr uint64_t kPidfd = 0x1000, kChildSettid = 0x01000000, kChildCleartid = 0x00200000,
                     kParentSettid = 0x00100000, kSettls = 0x00080000, kIntoCgroup = 0x200000000ull;
  const uint64_t flags = b.at<uint64_t>(0);
  auto field = [&](const char* name, size_t offset) {
    out += name;
    append_pointer(out, b.at<uint64_t>(offset));
  };
  out += "{flags=";
  syscalls::constants::append_value(out, syscalls::ArgType::kCloneFlags, flags, b.consts());
  if ((flags & kPidfd) != 0) field(", pidfd=", 8);
  if ((flags & (kChildSettid | kChildCleartid)) != 0) field(", child_tid=", 16);
  if ((flags & kParentSettid) != 0) field(", parent_tid=", 24);
  out += ", exit_signal=";
  syscalls::constants::append_signal(out, static_cast<int>(b.at<uint64_t>(32)), b.consts());
  field(", stack=", 40);
  out += ", stack_size=";
  append_hex_or_zero(out, b.at<uint64_t>(48));
  if ((flags & kSettls) != 0) field(", tls=", 56);
  if (b.size() >= 80 && (b.at<uint64_t>(64) != 0 || b.at<uint64_t>(72) != 0)) {
    field(", set_tid=", 64);
    out += ", set_tid_size=";
    syscalls::append_decimal(out, b.at<uint64_t>(72));
  }
  if (b.size() >= 88 && (flags & kIntoCgroup) != 0) {
    out += ", cgroup=";
    syscalls::append_decimal(out, b.at<uint64_t>(80));
  }
  out += '}';
  return true;
}

// A CPU mask as strace prints it: the CPUs in it, "[0 1]".
void append_cpu_set(std::string& out, const Bytes& b) {
  out += '[';
  bool first = true;
  for (size_t byte = 0; byte < b.size(); ++byte) {
    const uint8_t bits = b.at<uint8_t>(byte);
    for (int bit = 0; bit < 8; ++bit) {
      if ((bits >> bit & 1) == 0) continue;
      if (!first) out += ' ';
      first = false;
      syscalls::append_decimal(out, byte * 8 + static_cast<size_t>(bit));
    }
  }
  out += ']';
}

bool append_struct_of_call(std::string& out, int nr, const Bytes& b) {
  const size_t size = b.size();
  switch (nr) {
    case SYS_capget:
    case SYS_capset:
      if (size == 8) {
        append_cap_header(out, b);
      } else if (size == 12 || size == 24) {
        append_cap_data(out, b);
      } else {
        return false;
      }
      return true;
    case SYS_stat:
    case SYS_fstat:
    case SYS_lstat:
    case SYS_newfstatat:
      // The gate copies the 56 bytes it prints (struct_payloads.cc); the whole
      // struct is 144.
      if (size != 56 && size != 144) return false;
      append_stat(out, b);
      return true;
    case SYS_statx:
      if (size != 48 && size != 152 && size != 256) return false;  // likewise: 48 of 256 (-v: 152)
      append_statx(out, b);
      return true;
    case SYS_rt_sigaction:
      if (size != 32) return false;
      append_sigaction(out, b);
      return true;
    case SYS_rt_sigprocmask:
    case SYS_rt_sigreturn:
    case SYS_rt_sigsuspend:
    case SYS_rt_sigpending:
    case SYS_ppoll:  // its mask (argument 3)
    case SYS_signalfd:
    case SYS_signalfd4:
    case SYS_epoll_pwait:  // its mask (argument 4; the events are event_format's)
      if (size != 8) return false;
      append_sigset(out, b.at<uint64_t>(0), b.consts());
      return true;
    case SYS_epoll_pwait2:  // its timeout, its mask
      if (size == 16) {
        append_timespec(out, b);
      } else if (size == 8) {
        append_sigset(out, b.at<uint64_t>(0), b.consts());
      } else {
        return false;
      }
      return true;
    case SYS_getitimer:
    case SYS_setitimer:  // {it_interval={tv_sec=0, tv_usec=0}, it_value={tv_sec=1, tv_usec=0}}
      if (size != 32) return false;
      append_two_timevals(out, b, "{it_interval=", ", it_value=", "}");
      return true;
    case SYS_getrusage:  // {ru_utime={tv_sec=0, tv_usec=15611}, ru_stime={tv_sec=0, tv_usec=0}, ...}
      if (size != 32 && size != kRusageBytes) return false;  // (the whole struct with -v)
      append_rusage(out, b, false);
      return true;
    case SYS_rt_sigtimedwait:  // [TERM], {si_signo=SIGTERM, ...}, {tv_sec=1, tv_nsec=0}
      if (size == 8) {
        append_sigset(out, b.at<uint64_t>(0), b.consts());
      } else if (size == 48) {
        out += format_siginfo_bytes(b.view(0, 48), nullptr, b.consts());
      } else if (size == 16) {
        append_timespec(out, b);
      } else {
        return false;
      }
      return true;
    case SYS_rt_sigqueueinfo:  // the siginfo sent, as the signal's line shows it
    case SYS_rt_tgsigqueueinfo:
    case SYS_pidfd_send_signal:
      if (size != 48) return false;
      out += format_siginfo_bytes(b.view(0, 48), nullptr, b.consts());
      return true;
    case SYS_waitid:  // the siginfo as a signal's line shows it; {} when no child was ready
      if (size != 48) return false;
      if (b.at<int32_t>(0) == 0) {
        out += "{}";
        return true;
      }
      out += format_siginfo_bytes(b.view(0, 48), nullptr, b.consts());
      return true;
    case SYS_times:  // {tms_utime=1 /* 0.01 s */, tms_stime=0, ...}: clock ticks, 100 a second
      if (size != 32) return false;
      append_tms(out, b);
      return true;
    case SYS_getresuid:
    case SYS_getresgid:
    case SYS_getcpu:
      if (size != 4) return false;
      append_bracketed_decimal(out, b.at<uint32_t>(0));
      return true;
    case SYS_timer_settime:
    case SYS_timer_gettime:
    case SYS_timerfd_settime:
    case SYS_timerfd_gettime:  // {it_interval={tv_sec=0, tv_nsec=0}, it_value={tv_sec=1, tv_nsec=0}}
      if (size != 32) return false;
      out += "{it_interval=";
      append_timespec(out, Bytes(b.view(0, 16), b.style()));
      out += ", it_value=";
      append_timespec(out, Bytes(b.view(16, 16), b.style()));
      out += '}';
      return true;
    case SYS_timer_create:
      if (size == 4) {  // the timer's id: [0]
        append_bracketed_decimal(out, b.at<int32_t>(0));
        return true;
      }
      return size == 32 && append_sigevent(out, b);
    case SYS_mq_notify:
      return size == 32 && append_sigevent(out, b);
    case SYS_sigaltstack:
      if (size != 24) return false;
      append_stack(out, b);
      return true;
    case SYS_getrlimit:
    case SYS_setrlimit:
    case SYS_prlimit64:
      if (size != 16) return false;
      append_rlimit(out, b);
      return true;
    case SYS_pipe:
    case SYS_pipe2:
    case SYS_socketpair:
      if (size != 8) return false;
      append_pipe_fds(out, b);
      return true;
    case SYS_nanosleep:
    case SYS_clock_nanosleep:
    case SYS_clock_gettime:
    case SYS_futex:  // the timeout (the gate copies it only for the commands that take one)
      if (size != 16) return false;
      append_timespec(out, b);
      return true;
    case SYS_uname:
      if (size != 6 * 65) return false;
      append_utsname(out, b, false);
      return true;
    case SYS_sysinfo:
      if (size != 112) return false;
      append_sysinfo(out, b);
      return true;
    case SYS_wait4:
      if (size != 4) return false;
      append_wait_status(out, b);
      return true;
    case SYS_connect:
    case SYS_bind:
    case SYS_sendto:
      return append_sockaddr(out, b);
    case SYS_clone3:
      return append_clone_args(out, b);
    case SYS_openat2:
      return append_open_how(out, b);
    case SYS_statfs:
    case SYS_fstatfs:
      return append_statfs(out, b.view(0, size), b.consts());
    case SYS_clone:  // parent_tid: "[26420]"
      if (size != 4) return false;
      syscalls::append_bracketed_decimal(out, b.at<uint32_t>(0));
      return true;
    case SYS_utimensat:
      if (size != 32) return false;
      append_utime_timespecs(out, b);
      return true;
    case SYS_sched_getaffinity:
    case SYS_sched_setaffinity:
      append_cpu_set(out, b);
      return true;
    default:
      return false;
  }
}

// fcntl's struct flock as strace shows it: the lock asked for, or with
// F_GETLK/F_OFD_GETLK the kernel's answer, with its l_pid.
bool append_flock(std::string& out, uint64_t cmd, const Bytes& b) {
  if (b.size() != 32) return false;
  const uint32_t command = static_cast<uint32_t>(cmd);
  if (command != 5 && command != 6 && command != 7 && command != 36 && command != 37 && command != 38) return false;
  static constexpr std::string_view kTypes[] = {"F_RDLCK", "F_WRLCK", "F_UNLCK"};
  const auto type = b.at<int16_t>(0);
  out += "{l_type=";
  if (type >= 0 && type <= 2) append_named(out, b.consts(), static_cast<uint16_t>(type), NumberForm::kHex, kTypes[type]);
  else syscalls::append_decimal(out, type);
  out += ", l_whence=";
  syscalls::constants::append_value(out, syscalls::ArgType::kWhence, static_cast<uint16_t>(b.at<int16_t>(2)),
                                    b.consts());
  out += ", l_start=";
  syscalls::append_decimal(out, b.at<int64_t>(8));
  out += ", l_len=";
  syscalls::append_decimal(out, b.at<int64_t>(16));
  if (command == 5 || command == 36) {
    out += ", l_pid=";
    syscalls::append_decimal(out, b.at<int32_t>(24));
  }
  out += '}';
  return true;
}

bool append_payload(std::string& out, const Record& record, const Payload& p, syscalls::StringStyle style,
                    ConstStyle consts) {
  switch (p.kind) {
    case kPayloadStringArray: return append_argv(out, p, style);
    case kPayloadArrayCount: return append_env_count(out, p);
    case kPayloadStructIn:
    case kPayloadStructOut:
      if (record.nr == SYS_seccomp || (record.nr == SYS_prctl && p.arg == 2)) {
        return append_seccomp_payload(out, record, p, consts);
      }
      if (record.nr == SYS_prctl) return append_prctl_arg(out, record.args[0], Bytes(p.bytes, style, consts));
      if (record.nr == SYS_fcntl) return append_flock(out, record.args[1], Bytes(p.bytes, style, consts));
      if (record.nr == SYS_ioctl) return append_terminal_ioctl_arg(out, record.args[1], p.bytes);
      if (record.nr == SYS_get_mempolicy || record.nr == SYS_set_mempolicy || record.nr == SYS_mbind) {
        return append_mempolicy_payload(out, record, p);
      }
      if (record.nr == SYS_capget && p.arg == 0 && record.before_arg == 0 && p.bytes.size() == 8) {
        // The version as the program passed it (call_before.h), not the kernel's answer.
        std::string header = p.bytes;
        std::memcpy(header.data(), &record.before_value, 4);
        return append_struct_of_call(out, record.nr, Bytes(header, style, consts));
      }
      return append_struct_of_call(out, record.nr, Bytes(p.bytes, style, consts));
    default: return false;
  }
}

}  // namespace

void append_sigset(std::string& out, uint64_t set, ConstStyle style) {
  const bool complement = std::popcount(set) > 32;
  if (complement) {
    set = ~set;
    out += '~';
  }
  out += '[';
  bool first = true;
  for (int sig = 1; sig <= 64; ++sig) {
    if ((set & (uint64_t{1} << (sig - 1))) == 0) continue;
    if (!first) out += ' ';
    first = false;
    std::string_view name = constants::signal_name(sig);
    if (name.starts_with("SIG")) name.remove_prefix(3);
    if (name.empty()) {
      append_decimal(out, sig);
    } else {
      append_named(out, style, static_cast<uint64_t>(sig), NumberForm::kDecimal, name);
    }
  }
  out += ']';
}

bool append_socket_address(std::string& out, std::string_view bytes, syscalls::StringStyle style,
                           ConstStyle consts) {
  const size_t start = out.size();
  if (append_sockaddr(out, Bytes(bytes, style, consts))) return true;
  out.resize(start);
  return false;
}

void append_clock_ticks(std::string& out, uint64_t ticks) {
  append_decimal(out, ticks);
  if (ticks == 0) return;
  char seconds[48];
  std::snprintf(seconds, sizeof seconds, " /* %llu.%02llu s */", static_cast<unsigned long long>(ticks / 100),
                static_cast<unsigned long long>(ticks % 100));
  out += seconds;
}

std::string format_sigset(uint64_t set, ConstStyle style) {
  std::string out;
  append_sigset(out, set, style);
  return out;
}

namespace {

// An in/out length (p: its value after the call): "[16]", or "[128 => 16]"
// when the call changed it.
bool append_in_out_length(std::string& out, const Record& record, int index, const Payload* p) {
  const bool has_before = record.before_arg == index;
  const bool has_after = p != nullptr && p->kind == kPayloadStructOut && p->bytes.size() == 4;
  if (!has_before && !has_after) return false;
  uint32_t after = 0;
  if (has_after) std::memcpy(&after, p->bytes.data(), 4);
  out += '[';
  if (has_before) {
    syscalls::append_decimal(out, record.before_value);
    if (has_after && after != record.before_value) out += " => ";
  }
  if (has_after && (!has_before || after != record.before_value)) syscalls::append_decimal(out, after);
  out += ']';
  return true;
}

// setsockopt's value, or the one getsockopt returned: an int ("[1]"),
// SO_LINGER's or SO_PEERCRED's struct; else nothing (the address is shown).
bool append_sockopt_value(std::string& out, const Record& record, const Bytes& b) {
  constexpr uint32_t kSolSocket = 1, kSoLinger = 13, kSoPeercred = 17;
  if (static_cast<uint32_t>(record.args[1]) == kSolSocket && static_cast<uint32_t>(record.args[2]) == kSoPeercred &&
      b.size() == 12) {  // struct ucred
    out += "{pid=";
    syscalls::append_decimal(out, b.at<int32_t>(0));
    out += ", uid=";
    syscalls::append_decimal(out, b.at<uint32_t>(4));
    out += ", gid=";
    syscalls::append_decimal(out, b.at<uint32_t>(8));
    out += '}';
    return true;
  }
  if (static_cast<uint32_t>(record.args[1]) == kSolSocket && static_cast<uint32_t>(record.args[2]) == kSoLinger &&
      b.size() == 8) {
    out += "{l_onoff=";
    syscalls::append_decimal(out, b.at<int32_t>(0));
    out += ", l_linger=";
    syscalls::append_decimal(out, b.at<int32_t>(4));
    out += '}';
    return true;
  }
  if (b.size() != 4) return false;
  syscalls::append_bracketed_decimal(out, b.at<int32_t>(0));
  return true;
}

// getsockname's, getpeername's, accept's, accept4's and recvfrom's address
// and its length; setsockopt's and getsockopt's value and getsockopt's length.
bool append_socket_out_arg(std::string& out, const Record& record, int index, uint64_t addr,
                           syscalls::StringStyle style, ConstStyle consts) {
  int addr_index = 1, len_index = 2;
  switch (record.nr) {
    case SYS_getsockname: case SYS_getpeername: case SYS_accept: case SYS_accept4: break;
    case SYS_recvfrom: addr_index = 4; len_index = 5; break;
    case SYS_setsockopt: case SYS_getsockopt: addr_index = 3; len_index = record.nr == SYS_getsockopt ? 4 : -1; break;
    default: return false;
  }
  const Payload* p = record.payload(index);
  if (p != nullptr && p->addr != addr) p = nullptr;
  if (index == addr_index) {
    if (p == nullptr || (p->kind != kPayloadStructOut && p->kind != kPayloadStructIn)) return false;
    if (record.nr == SYS_setsockopt || record.nr == SYS_getsockopt) {
      return append_sockopt_value(out, record, Bytes(p->bytes, style, consts));
    }
    return p->kind == kPayloadStructOut && append_sockaddr(out, Bytes(p->bytes, style, consts));
  }
  return index == len_index && append_in_out_length(out, record, index, p);
}

// getgroups' and setgroups' gids, "[0, 27]": those the kernel wrote (or was
// given), ", ..." when there were more than the gate copied.
void append_group_list(std::string& out, const Record& record, std::string_view bytes) {
  out += '[';
  const size_t count = bytes.size() / 4;
  for (size_t i = 0; i < count; ++i) {
    uint32_t gid;
    std::memcpy(&gid, bytes.data() + 4 * i, 4);
    if (i != 0) out += ", ";
    syscalls::append_decimal(out, gid);
  }
  const uint64_t total = record.nr == SYS_getgroups ? static_cast<uint64_t>(record.ret) : record.args[0] & 0xffffffff;
  if (total > count) out += count != 0 ? ", ..." : "...";
  out += ']';
}

}  // namespace

bool append_struct_arg(std::string& out, const Record& record, int index, uint64_t addr,
                       syscalls::StringStyle style, bool verbose, const TaskNames* task_names, ConstStyle consts) {
  {
    const size_t start = out.size();
    if (append_socket_out_arg(out, record, index, addr, style, consts)) return true;
    out.resize(start);
  }
  // getgroups that returned 0 wrote no group: strace shows the empty list.
  if (record.nr == SYS_getgroups && index == 1 && record.kind == kRecordSyscall && record.ret == 0) {
    out += "[]";
    return true;
  }
  const Payload* p = record.payload(index);
  if (p == nullptr || p->addr != addr) return false;
  if ((record.nr == SYS_getgroups || record.nr == SYS_setgroups) && index == 1) {
    append_group_list(out, record, p->bytes);
    return true;
  }
  if (record.nr == SYS_get_robust_list && p->bytes.size() == 8) {  // [0x7f...], [24]
    uint64_t value = 0;
    std::memcpy(&value, p->bytes.data(), sizeof value);
    out += '[';
    if (index == 1) {
      if (value == 0) {
        out += "NULL";
      } else {
        syscalls::append_hex(out, value);
      }
    } else {
      syscalls::append_decimal(out, value);
    }
    out += ']';
    return true;
  }
  // -Y: a siginfo's sender or child named (a waitid that found no child wrote none).
  const bool siginfo = (record.nr == SYS_waitid && index == 2) || (record.nr == SYS_rt_sigtimedwait && index == 1) ||
                       ((record.nr == SYS_rt_sigqueueinfo || record.nr == SYS_pidfd_send_signal) && index == 2) ||
                       (record.nr == SYS_rt_tgsigqueueinfo && index == 3);
  if (task_names != nullptr && siginfo && p->bytes.size() == 48 && p->bytes[0] != 0) {
    // A child the call reaped is gone by its return: strace finds no name.
    out += format_siginfo_bytes(p->bytes, PidNames::reaped_by(record) ? nullptr : task_names, consts);
    return true;
  }
  // -Y: the id clone stored in parent_tid, named: "[1234<python3>]".
  if (task_names != nullptr && *task_names && record.nr == SYS_clone && index == 2 && p->bytes.size() == 4) {
    int32_t tid = 0;
    std::memcpy(&tid, p->bytes.data(), sizeof tid);
    out += '[';
    syscalls::append_decimal(out, tid);
    if (const std::string* name = tid > 0 ? (*task_names)(tid) : nullptr) out += "<" + *name + ">";
    out += ']';
    return true;
  }
  const size_t start = out.size();
  if (verbose && p->bytes.size() == 144 && (record.nr == SYS_stat || record.nr == SYS_fstat ||
                                            record.nr == SYS_lstat || record.nr == SYS_newfstatat)) {
    append_stat_verbose(out, Bytes(p->bytes, style, consts));
    return true;
  }
  if (verbose && p->bytes.size() == 152 && record.nr == SYS_statx) {
    append_statx_verbose(out, Bytes(p->bytes, style, consts));
    return true;
  }
  if (verbose && p->bytes.size() == 6 * 65 && record.nr == SYS_uname) {
    append_utsname(out, Bytes(p->bytes, style), true);
    return true;
  }
  if (verbose && p->bytes.size() == kRusageBytes && record.nr == SYS_getrusage) {
    append_rusage(out, Bytes(p->bytes, style), true);
    return true;
  }
  if (verbose && record.nr == SYS_ioctl && append_terminal_ioctl_arg(out, record.args[1], p->bytes, true)) return true;
  if (append_payload(out, record, *p, style, consts)) return true;
  out.resize(start);
  return false;
}

std::optional<std::string> struct_arg_text(const Record& record, int index, uint64_t addr,
                                           syscalls::StringStyle style, bool verbose, ConstStyle consts) {
  std::string out;
  if (!append_struct_arg(out, record, index, addr, style, verbose, nullptr, consts)) return std::nullopt;
  return out;
}

}  // namespace sysgate::trace
