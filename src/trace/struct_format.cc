#include "trace/struct_format.h"

#include <arpa/inet.h>

#include <bit>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "syscalls/call_format.h"
#include "syscalls/constants.h"
#include "syscalls/syscall_table.h"

namespace sysgate::trace {
namespace {

namespace constants = syscalls::constants;

// The payload's bytes, read at fixed offsets (the kernel's x86-64 layouts).
class Bytes {
 public:
  explicit Bytes(std::string_view b) : b_(b) {}
  size_t size() const { return b_.size(); }
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
};

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%#" PRIx64, v);
  return buf;
}

std::string pointer(uint64_t v) { return v == 0 ? "NULL" : hex(v); }

// A NUL-terminated field of a fixed-size array, quoted.
std::string c_string(std::string_view field) {
  const size_t nul = field.find('\0');
  return syscalls::quote_string(field.substr(0, nul), false);
}

// "S_IFREG|0644" for a mode, as strace prints st_mode and stx_mode.
std::string mode_text(uint32_t mode);

// struct statx: {stx_mask=STATX_BASIC_STATS|STATX_MNT_ID, stx_attributes=0,
// stx_mode=S_IFREG|0755, stx_size=3, ...}
std::string statx_text(const Bytes& b) {
  std::string out = "{stx_mask=" + syscalls::format_statx_mask(b.at<uint32_t>(0));
  const uint64_t attributes = b.at<uint64_t>(8);
  out += ", stx_attributes=" + (attributes == 0 ? std::string("0") : hex(attributes));
  out += ", stx_mode=" + mode_text(b.at<uint16_t>(28));
  out += ", stx_size=" + std::to_string(b.at<uint64_t>(40));
  return out + ", ...}";
}

std::string mode_text(uint32_t mode) {
  static constexpr struct {
    uint32_t type;
    const char* name;
  } kTypes[] = {{0140000, "S_IFSOCK"}, {0120000, "S_IFLNK"}, {0100000, "S_IFREG"}, {0060000, "S_IFBLK"},
                {0040000, "S_IFDIR"},  {0020000, "S_IFCHR"}, {0010000, "S_IFIFO"}};
  std::string out;
  out.reserve(16);
  for (const auto& t : kTypes) {
    if ((mode & 0170000) == t.type) {
      out += t.name;
      out += '|';
    }
  }
  // %#03o without printf: "0" then at least two octal digits.
  char digits[6];
  int k = 0;
  uint32_t p = mode & 07777;
  do {
    digits[k++] = static_cast<char>('0' + (p & 7));
    p >>= 3;
  } while (p != 0);
  while (k < 2) digits[k++] = '0';
  out += '0';
  while (k > 0) out += digits[--k];
  return out;
}

// struct stat: {st_mode=S_IFREG|0644, st_size=41747, ...}; devices show st_rdev.
std::string stat_text(const Bytes& b) {
  const uint32_t mode = b.at<uint32_t>(24);
  std::string out;
  out.reserve(64);
  out += "{st_mode=";
  out += mode_text(mode);
  const uint32_t kind = mode & 0170000;
  if (kind == 0020000 || kind == 0060000) {
    const uint64_t dev = b.at<uint64_t>(40);
    const uint64_t major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~uint64_t{0xfff});
    const uint64_t minor = (dev & 0xff) | ((dev >> 12) & ~uint64_t{0xff});
    out += ", st_rdev=makedev(" + hex(major) + ", " + hex(minor) + ")";
  } else {
    char size[24];
    const auto [end, ec] = std::to_chars(size, size + sizeof size, b.at<int64_t>(48));
    out += ", st_size=";
    out.append(size, end);
  }
  out += ", ...}";
  return out;
}

std::string sigaction_flags(uint64_t flags) {
  // strace's order.
  static constexpr struct {
    uint64_t bit;
    const char* name;
  } kFlags[] = {{0x04000000, "SA_RESTORER"}, {0x08000000, "SA_ONSTACK"},  {0x10000000, "SA_RESTART"},
                {0x40000000, "SA_NODEFER"},  {0x80000000, "SA_RESETHAND"}, {0x00000004, "SA_SIGINFO"},
                {0x00000001, "SA_NOCLDSTOP"}, {0x00000002, "SA_NOCLDWAIT"}, {0x00000400, "SA_UNSUPPORTED"},
                {0x00000800, "SA_EXPOSE_TAGBITS"}};
  if (flags == 0) return "0";
  std::string out;
  for (const auto& f : kFlags) {
    if ((flags & f.bit) == 0) continue;
    out += (out.empty() ? "" : "|") + std::string(f.name);
    flags &= ~f.bit;
  }
  if (flags != 0) out += (out.empty() ? "" : "|") + hex(flags);
  return out;
}

// The kernel's struct sigaction: handler, flags, restorer, mask.
std::string sigaction_text(const Bytes& b) {
  const uint64_t handler = b.at<uint64_t>(0);
  const uint64_t flags = b.at<uint64_t>(8);
  const std::string h = handler == 0 ? "SIG_DFL" : handler == 1 ? "SIG_IGN" : hex(handler);
  std::string out = "{sa_handler=" + h + ", sa_mask=" + format_sigset(b.at<uint64_t>(24)) +
                    ", sa_flags=" + sigaction_flags(flags);
  if ((flags & 0x04000000) != 0) out += ", sa_restorer=" + pointer(b.at<uint64_t>(16));
  return out + "}";
}

std::string rlimit_value(uint64_t v) {
  if (v == ~uint64_t{0}) return "RLIM64_INFINITY";
  if (v != 0 && v % 1024 == 0) return std::to_string(v / 1024) + "*1024";
  return std::to_string(v);
}

std::string rlimit_text(const Bytes& b) {
  return "{rlim_cur=" + rlimit_value(b.at<uint64_t>(0)) + ", rlim_max=" + rlimit_value(b.at<uint64_t>(8)) + "}";
}

std::string timespec_text(const Bytes& b) {
  return "{tv_sec=" + std::to_string(b.at<int64_t>(0)) + ", tv_nsec=" + std::to_string(b.at<int64_t>(8)) + "}";
}

std::string utsname_text(const Bytes& b) {
  return "{sysname=" + c_string(b.view(0, 65)) + ", nodename=" + c_string(b.view(65, 65)) + ", ...}";
}

std::string signal_or_number(int sig) {
  const std::string_view name = constants::signal_name(sig);
  return name.empty() ? std::to_string(sig) : std::string(name);
}

std::string wait_status_text(const Bytes& b) {
  const uint32_t s = b.at<uint32_t>(0);
  std::string inner;
  if ((s & 0x7f) == 0) {
    inner = "WIFEXITED(s) && WEXITSTATUS(s) == " + std::to_string((s >> 8) & 0xff);
  } else if ((s & 0xff) == 0x7f) {
    inner = "WIFSTOPPED(s) && WSTOPSIG(s) == " + signal_or_number(static_cast<int>((s >> 8) & 0xff));
  } else if (s == 0xffff) {
    inner = "WIFCONTINUED(s)";
  } else {
    inner = "WIFSIGNALED(s) && WTERMSIG(s) == " + signal_or_number(static_cast<int>(s & 0x7f));
    if ((s & 0x80) != 0) inner += " && WCOREDUMP(s)";
  }
  return "[{" + inner + "}]";
}

// connect/bind's address; nullopt for families strace decodes in ways not done here.
std::optional<std::string> sockaddr_text(const Bytes& b) {
  if (b.size() < 2) return std::nullopt;
  const uint16_t family = b.at<uint16_t>(0);
  switch (family) {
    case AF_UNIX: {
      const std::string_view path = b.view(2, b.size() - 2);
      if (!path.empty() && path[0] == '\0') {
        return "{sa_family=AF_UNIX, sun_path=@" + syscalls::quote_string(path.substr(1), false) + "}";
      }
      return "{sa_family=AF_UNIX, sun_path=" + c_string(path) + "}";
    }
    case AF_INET: {
      if (b.size() < 8) return std::nullopt;
      char ip[INET_ADDRSTRLEN] = "";
      const uint32_t addr = b.at<uint32_t>(4);
      inet_ntop(AF_INET, &addr, ip, sizeof ip);
      return "{sa_family=AF_INET, sin_port=htons(" + std::to_string(ntohs(b.at<uint16_t>(2))) +
             "), sin_addr=inet_addr(\"" + ip + "\")}";
    }
    case AF_INET6: {
      if (b.size() < 28) return std::nullopt;
      char ip[INET6_ADDRSTRLEN] = "";
      unsigned char addr[16];
      std::memcpy(addr, b.view(8, 16).data(), 16);
      inet_ntop(AF_INET6, addr, ip, sizeof ip);
      return "{sa_family=AF_INET6, sin6_port=htons(" + std::to_string(ntohs(b.at<uint16_t>(2))) +
             "), sin6_flowinfo=htonl(" + std::to_string(ntohl(b.at<uint32_t>(4))) + "), inet_pton(AF_INET6, \"" +
             ip + "\", &sin6_addr), sin6_scope_id=" + std::to_string(b.at<uint32_t>(24)) + "}";
    }
    default:
      return std::nullopt;
  }
}

}  // namespace

std::string format_sigset(uint64_t set) {
  const bool complement = std::popcount(set) > 32;
  if (complement) set = ~set;
  std::string out = complement ? "~[" : "[";
  bool first = true;
  for (int sig = 1; sig <= 64; ++sig) {
    if ((set & (uint64_t{1} << (sig - 1))) == 0) continue;
    std::string name(constants::signal_name(sig));
    if (name.rfind("SIG", 0) == 0) name.erase(0, 3);
    if (name.empty()) name = std::to_string(sig);
    out += (first ? "" : " ") + name;
    first = false;
  }
  return out + "]";
}

namespace {

// An exec's argv (kPayloadStringArray): ["ls", "-l"], with "..." after a string
// or the array the gate cut short.
std::optional<std::string> argv_text(const Payload& p) {
  std::string out = "[";
  size_t at = 0;
  bool first = true;
  while (at < p.bytes.size()) {
    const bool cut = p.bytes[at] != 0;
    const size_t end = p.bytes.find('\0', at + 1);
    if (end == std::string::npos) return std::nullopt;
    if (!first) out += ", ";
    out += syscalls::quote_string(std::string_view(p.bytes).substr(at + 1, end - at - 1), cut);
    first = false;
    at = end + 1;
    if (at < p.bytes.size() && p.bytes[at] == 0 && p.bytes.find_first_not_of('\0', at) == std::string::npos) break;
  }
  if (p.truncated) out += first ? "..." : ", ...";
  return out + "]";
}

std::optional<std::string> exec_array_text(const Payload& p) {
  if (p.kind == kPayloadStringArray) return argv_text(p);
  if (p.kind != kPayloadArrayCount || p.bytes.size() != 8) return std::nullopt;
  uint64_t count = 0;
  std::memcpy(&count, p.bytes.data(), 8);
  return hex(p.addr) + " /* " + std::to_string(count) + (count == 1 ? " var */" : " vars */");
}

}  // namespace

std::optional<std::string> struct_arg_text(const Record& record, int index, uint64_t addr) {
  const Payload* p = record.payload(index);
  if (p == nullptr || p->addr != addr) return std::nullopt;
  if (p->kind == kPayloadStringArray || p->kind == kPayloadArrayCount) return exec_array_text(*p);
  if (p->kind != kPayloadStructIn && p->kind != kPayloadStructOut) return std::nullopt;
  const syscalls::SyscallInfo* info = syscalls::by_number(record.nr);
  if (info == nullptr) return std::nullopt;
  const std::string_view name = info->name;
  const Bytes b(p->bytes);
  auto sized = [&](size_t n) { return b.size() == n; };
  if (name == "stat" || name == "fstat" || name == "lstat" || name == "newfstatat") {
    if (sized(144)) return stat_text(b);
  } else if (name == "statx") {
    if (sized(256)) return statx_text(b);
  } else if (name == "rt_sigaction") {
    if (sized(32)) return sigaction_text(b);
  } else if (name == "rt_sigprocmask") {
    if (sized(8)) return format_sigset(b.at<uint64_t>(0));
  } else if (name == "getrlimit" || name == "setrlimit" || name == "prlimit64") {
    if (sized(16)) return rlimit_text(b);
  } else if (name == "pipe" || name == "pipe2") {
    if (sized(8)) return "[" + std::to_string(b.at<int32_t>(0)) + ", " + std::to_string(b.at<int32_t>(4)) + "]";
  } else if (name == "nanosleep" || name == "clock_nanosleep" || name == "clock_gettime") {
    if (sized(16)) return timespec_text(b);
  } else if (name == "uname") {
    if (sized(6 * 65)) return utsname_text(b);
  } else if (name == "wait4") {
    if (sized(4)) return wait_status_text(b);
  } else if (name == "connect" || name == "bind") {
    return sockaddr_text(b);
  }
  return std::nullopt;
}

}  // namespace sysgate::trace
