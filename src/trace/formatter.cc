// format_record and friends: a trace record in strace's grammar.
//
// The arguments come from syscalls::format_call, reading strings and input
// buffers from the record's payloads (RecordMemory). What format_call cannot know
// is the result, so this file adds it: output buffers (read's buf and the like)
// through FormatOptions::output_buffer, then " = " and the return value as
// strace's syscall_exiting_trace prints it. Everything shown from a payload is
// bytes the traced (untrusted) program's memory held: it is bounded by
// max_string and escaped by quote_string, so a line is always printable ASCII.
#include "trace/formatter.h"

#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <iterator>
#include <string_view>

#include <nlohmann/json.hpp>

#include "syscalls/call_format.h"
#include "syscalls/constants.h"
#include "syscalls/syscall_table.h"
#include "trace/struct_format.h"

namespace sysgate::trace {
namespace {

namespace constants = syscalls::constants;

constexpr int kErestartSys = 512;
constexpr int kErestartNoIntr = 513;
constexpr int kErestartNoHand = 514;
constexpr int kErestartRestartBlock = 516;
constexpr int kFGetFd = 1;  // <fcntl.h> F_GETFD / F_GETFL, without the header
constexpr int kFGetFl = 3;

// The kernel's internal errors (include/linux/errno.h) that strace names too.
// glibc has no text for them: strerror says "Unknown error 515".
constexpr std::string_view kKernelErrnoNames[] = {
    "ERESTARTSYS",  "ERESTARTNOINTR", "ERESTARTNOHAND", "ENOIOCTLCMD", "ERESTART_RESTARTBLOCK",
    "EPROBE_DEFER", "EOPENSTALE",     "ENOPARAM",       "",            "EBADHANDLE",
    "ENOTSYNC",     "EBADCOOKIE",     "ENOTSUPP",       "ETOOSMALL",   "ESERVERFAULT",
    "EBADTYPE",     "EJUKEBOX",       "EIOCBQUEUED",    "ERECALLCONFLICT"};

bool is_error(int64_t ret) { return ret >= -4095 && ret <= -1; }

std::string_view errno_display_name(int err) {
  if (err >= 512 && err < 512 + static_cast<int>(std::size(kKernelErrnoNames))) return kKernelErrnoNames[err - 512];
  return constants::errno_name(err);
}

std::string hex(uint64_t value) {  // strace's %#llx: 0 or 0x...
  if (value == 0) return "0";
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, value);
  return buf;
}

std::string_view name_of(const Record& r) {
  const syscalls::SyscallInfo* info = syscalls::by_number(r.nr);
  return info != nullptr ? info->name : std::string_view{};
}

std::string prefix(int32_t tid, const FormatOptions& options) {
  if (!options.pid_prefix) return {};
  char buf[32];
  std::snprintf(buf, sizeof buf, "[pid %5d] ", tid);
  return buf;
}

// strace's QUOTE_FORCE_HEX (getrandom): every byte as \xNN.
std::string quote_hex(std::string_view bytes, bool truncated) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out += "\\x";
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  out += "\"";
  if (truncated) out += "...";
  return out;
}

// getdents/getdents64 entries in the first len bytes: both structures keep the
// record length (u16) at offset 16. nullopt when the bytes do not parse.
std::optional<size_t> count_dirents(std::string_view bytes) {
  size_t count = 0;
  size_t at = 0;
  while (at < bytes.size()) {
    if (bytes.size() - at < 18) return std::nullopt;
    const auto lo = static_cast<unsigned char>(bytes[at + 16]);
    const auto hi = static_cast<unsigned char>(bytes[at + 17]);
    const size_t reclen = lo | (size_t{hi} << 8);
    if (reclen < 18 || reclen > bytes.size() - at) return std::nullopt;
    at += reclen;
    ++count;
  }
  return count;
}

// An output buffer (kBufOut) of a call that returned ret >= 0, shown as strace
// shows it on exit; nullopt leaves the address. The bytes come from the
// kPayloadDataOut payload the gate copied after the call: min(ret, length,
// max_data) bytes.
std::optional<std::string> output_buffer_text(const Record& r, int index, uint64_t addr,
                                              const FormatOptions& options) {
  const syscalls::SyscallInfo* info = syscalls::by_number(r.nr);
  if (info == nullptr || r.kind != kRecordSyscall || r.ret < 0 || addr == 0) return std::nullopt;
  const syscalls::ArgSpec& spec = info->args[index];
  const Payload* payload = r.payload(index);
  if (payload != nullptr && (payload->kind != kPayloadDataOut || payload->addr != addr)) payload = nullptr;
  const auto ret = static_cast<uint64_t>(r.ret);

  if (info->name == "getdents" || info->name == "getdents64") {
    // strace (not verbose): the address and how many entries the kernel wrote.
    std::optional<size_t> entries = ret == 0 ? std::optional<size_t>(0) : std::nullopt;
    if (ret > 0 && payload != nullptr && payload->bytes.size() == ret) entries = count_dirents(payload->bytes);
    if (!entries) return std::nullopt;
    return hex(addr) + " /* " + std::to_string(*entries) + " entries */";
  }
  if (info->name == "getcwd") {
    // ret counts the NUL; the path is shown whole, as every path is.
    if (payload == nullptr) return std::nullopt;
    const std::string_view bytes = payload->bytes;
    const size_t nul = bytes.find('\0');
    return syscalls::quote_string(bytes.substr(0, nul), nul == std::string_view::npos && payload->truncated);
  }
  if (spec.size_arg < 0 || spec.size_arg >= info->argc) return std::nullopt;  // mincore's vec

  // Data: the first min(ret, max_string) bytes the kernel wrote, "..." after when
  // it wrote more (strace's printstrn(addr, ret)).
  uint64_t capacity = r.args[spec.size_arg];
  if (syscalls::arg_width_bits(info->args[spec.size_arg].type) == 32) {
    capacity = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(capacity)));
  }
  const uint64_t written = ret < capacity ? ret : capacity;
  const size_t shown = written < options.max_string ? static_cast<size_t>(written) : options.max_string;
  std::string_view bytes;
  if (shown > 0) {
    if (payload == nullptr) return std::nullopt;
    bytes = payload->bytes;
  }
  bool truncated = written > shown;
  if (bytes.size() > shown) {
    bytes = bytes.substr(0, shown);
  } else if (bytes.size() < shown) {
    truncated = true;  // the gate copied fewer bytes (max_data) than -s asks for
  }
  if (info->name == "getrandom") return quote_hex(bytes, truncated);
  return syscalls::quote_string(bytes, truncated);
}

// fcntl's results that strace decodes: F_GETFL's and F_GETFD's flags.
std::optional<std::string> fcntl_result(const Record& r) {
  const auto cmd = static_cast<int32_t>(r.args[1]);
  const auto value = static_cast<uint64_t>(r.ret);
  if (cmd == kFGetFl) {
    return "= " + hex(value) + " (flags " + constants::format_value(syscalls::ArgType::kOpenFlags, value) + ")";
  }
  if (cmd == kFGetFd && value != 0) {
    std::string flags = (value & 1) != 0 ? "FD_CLOEXEC" : "";
    if ((value & ~uint64_t{1}) != 0) flags += (flags.empty() ? "" : "|") + hex(value & ~uint64_t{1});
    return "= " + hex(value) + " (flags " + flags + ")";
  }
  return std::nullopt;
}

std::string aligned(std::string head, const std::string& result, const FormatOptions& options) {
  head += ' ';
  if (head.size() < options.align_column) head.append(options.align_column - head.size(), ' ');
  head += result;
  return head;
}

}  // namespace

std::string format_call_text(const Record& record, const FormatOptions& options) {
  RecordMemory memory(record);
  syscalls::FormatOptions call_options;
  call_options.max_string = options.max_string;
  call_options.output_buffer = [&record, &options](int index, uint64_t value) {
    return output_buffer_text(record, index, value, options);
  };
  call_options.struct_arg = [&record](int index, uint64_t value) { return struct_arg_text(record, index, value); };
  return syscalls::format_call(record.nr, record.args, &memory, call_options);
}

std::string format_result(const Record& record) {
  if (record.kind != kRecordSyscall) return "= ?";
  const int64_t ret = record.ret;
  if (is_error(ret)) {
    const int err = static_cast<int>(-ret);
    switch (err) {
      case kErestartSys: return "= ? ERESTARTSYS (To be restarted if SA_RESTART is set)";
      case kErestartNoIntr: return "= ? ERESTARTNOINTR (To be restarted)";
      case kErestartNoHand: return "= ? ERESTARTNOHAND (To be restarted if no handler)";
      case kErestartRestartBlock: return "= ? ERESTART_RESTARTBLOCK (Interrupted by signal)";
      default: break;
    }
    const std::string_view name = errno_display_name(err);
    if (name.empty()) return "= -1 (errno " + std::to_string(err) + ")";
    std::string text(constants::errno_text(err));
    if (text.empty()) text = "Unknown error " + std::to_string(err);  // glibc's strerror
    return "= -1 " + std::string(name) + " (" + text + ")";
  }
  const std::string_view name = name_of(record);
  if (name == "mmap" || name == "mremap" || name == "brk" || name == "shmat") {
    return "= " + hex(static_cast<uint64_t>(ret));
  }
  if (name == "umask") {
    char buf[32];
    std::snprintf(buf, sizeof buf, "= %#03" PRIo64, static_cast<uint64_t>(ret));
    return buf;
  }
  if (name == "fcntl") {
    if (std::optional<std::string> text = fcntl_result(record)) return *text;
  }
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, ret);
  std::string out;
  out.reserve(2 + static_cast<size_t>(end - buf));
  out += "= ";
  out.append(buf, end);
  return out;
}

std::string format_record(const Record& record, const FormatOptions& options) {
  switch (record.kind) {
    case kRecordSyscall:
    case kRecordExit:
      if (!options.pid_prefix) return aligned(format_call_text(record, options), format_result(record), options);
      return aligned(prefix(record.tid, options) + format_call_text(record, options), format_result(record), options);
    case kRecordSyscallEnter: {
      // strace's form for a call whose return has not been seen: the closing
      // parenthesis comes with "<... execve resumed>)".
      std::string call = format_call_text(record, options);
      if (!call.empty() && call.back() == ')') call.pop_back();
      return prefix(record.tid, options) + call + " <unfinished ...>";
    }
    default:
      return {};
  }
}

Record exec_result(const Record& enter) {
  Record done = enter;
  done.kind = kRecordSyscall;
  done.ret = 0;
  return done;
}

std::string format_exec_success(const Record& enter, const FormatOptions& options) {
  return format_record(exec_result(enter), options);
}

std::string format_exited(int32_t tid, int status, const FormatOptions& options) {
  return prefix(tid, options) + "+++ exited with " + std::to_string(status) + " +++";
}

std::string format_killed(int32_t tid, int signal, bool core_dumped, const FormatOptions& options) {
  const std::string_view name = constants::signal_name(signal);
  return prefix(tid, options) + "+++ killed by " + (name.empty() ? std::to_string(signal) : std::string(name)) +
         (core_dumped ? " (core dumped)" : "") + " +++";
}

std::string format_json(const Record& record, const FormatOptions& options) {
  nlohmann::ordered_json j;
  j["pid"] = record.pid;
  j["tid"] = record.tid;
  j["syscall"] = syscalls::display_name(record.nr);
  j["nr"] = record.nr;
  j["args"] = nlohmann::ordered_json::array();
  for (const uint64_t arg : record.args) j["args"].push_back(arg);
  j["call"] = format_call_text(record, options);
  if (record.kind == kRecordSyscall) {
    j["ret"] = record.ret;
    const std::string_view name = is_error(record.ret) ? errno_display_name(static_cast<int>(-record.ret)) : "";
    j["errno"] = name.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(std::string(name));
  } else {
    j["ret"] = nullptr;
    j["errno"] = nullptr;
  }
  j["text"] = format_record(record, options);
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace sysgate::trace
