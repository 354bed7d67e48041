// format_record and friends: a trace record in strace's grammar.
//
// The arguments come from syscalls::append_call, reading strings and input
// buffers from the record's payloads (RecordMemory). What append_call cannot know
// is the result, so this file adds it: output buffers (read's buf and the like)
// through FormatOptions::output_buffer, then " = " and the return value as
// strace's syscall_exiting_trace prints it. Everything shown from a payload is
// bytes the traced (untrusted) program's memory held: it is bounded by
// max_string and escaped by append_quoted, so a line is always printable ASCII.
//
// A line is appended piece by piece to the caller's buffer: the monitor formats
// every call of the traced program, and a temporary string per piece would cost
// more than the formatting itself.
#include "trace/formatter.h"

#include <sys/syscall.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <string_view>

#include <nlohmann/json.hpp>

#include "syscalls/call_format.h"
#include "syscalls/constants.h"
#include "syscalls/number_text.h"
#include "syscalls/result_names.h"
#include "syscalls/syscall_table.h"
#include "trace/fd_paths.h"
#include "trace/event_format.h"
#include "trace/restart_code.h"
#include "trace/offset_format.h"
#include "trace/select_format.h"
#include "trace/iovec_format.h"
#include "trace/msghdr_format.h"
#include "trace/struct_format.h"

namespace sysgate::trace {
namespace {

namespace constants = syscalls::constants;
using syscalls::append_hex_or_zero;

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

// -Y: "<sh>" after an id that names a task with a known name.
void append_task_name(std::string& out, int64_t id, const FormatOptions& options) {
  if (!options.task_name || id <= 0 || id > INT32_MAX) return;
  if (const std::string* name = options.task_name(static_cast<int32_t>(id))) {
    out += '<';
    out += *name;
    out += '>';
  }
}

// "[pid  1234] " (strace's "[pid %5d] ") or "1234  " (its "%-5d ") when the
// options ask for it, then the line's timestamp and instruction pointer, if any.
// With -Y: "[pid  1234<sh>] ", "1234<sh> ".
void append_prefix(std::string& out, int32_t tid, const FormatOptions& options) {
  if (options.pid_prefix != PidPrefix::kNone) {
    char digits[16];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, tid);
    const auto width = static_cast<size_t>(end - digits);
    const size_t pad = width < 5 ? 5 - width : 0;
    if (options.pid_prefix == PidPrefix::kBracketed) {
      out += "[pid ";
      out.append(pad, ' ');
      out.append(digits, end);
      append_task_name(out, tid, options);
      out += "] ";
    } else {
      const size_t start = out.size();
      out.append(digits, end);
      append_task_name(out, tid, options);
      const size_t shown = out.size() - start;
      out.append(shown < 5 ? 5 - shown + 1 : 1, ' ');
    }
  }
  out += options.timestamp;
  out += options.syscall_number;
  out += options.instruction_pointer;
}

std::string prefix(int32_t tid, const FormatOptions& options) {
  std::string out;
  append_prefix(out, tid, options);
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

// getdents: strace (not verbose) shows the address and how many entries the
// kernel wrote.
// The gate counts them (a kPayloadArrayCount); a whole copy of the entries,
// from a record that has one, is counted here.
bool append_dirents(std::string& out, uint64_t addr, uint64_t ret, const Payload* payload) {
  std::optional<size_t> entries = ret == 0 ? std::optional<size_t>(0) : std::nullopt;
  if (ret > 0 && payload != nullptr && payload->kind == kPayloadArrayCount && payload->bytes.size() == 8) {
    uint64_t count;
    std::memcpy(&count, payload->bytes.data(), 8);
    entries = count;
  } else if (ret > 0 && payload != nullptr && payload->kind == kPayloadDataOut && payload->bytes.size() == ret) {
    entries = count_dirents(payload->bytes);
  }
  if (!entries) return false;
  append_hex_or_zero(out, addr);
  out += " /* ";
  syscalls::append_decimal(out, *entries);
  out += " entries */";
  return true;
}

// getcwd: ret counts the NUL; the path is shown whole, as every path is.
bool append_cwd(std::string& out, const Payload* payload, syscalls::StringStyle style) {
  if (payload == nullptr) return false;
  const std::string_view bytes = payload->bytes;
  const size_t nul = bytes.find('\0');
  syscalls::append_quoted(out, bytes.substr(0, nul), nul == std::string_view::npos && payload->truncated, style);
  return true;
}

// An output buffer (kBufOut) of a call that returned ret >= 0, shown as strace
// shows it on exit; false (nothing appended) leaves the address. The bytes come
// from the kPayloadDataOut payload the gate copied after the call: min(ret,
// length, max_data) bytes.
bool append_output_buffer(std::string& out, const Record& r, int index, uint64_t addr,
                          const FormatOptions& options) {
  const syscalls::SyscallInfo* info = syscalls::by_number(r.nr);
  if (info == nullptr || r.kind != kRecordSyscall || r.ret < 0 || addr == 0) return false;
  const syscalls::ArgSpec& spec = info->args[index];
  const Payload* payload = r.payload(index);
  const bool dirents = r.nr == SYS_getdents || r.nr == SYS_getdents64;
  if (payload != nullptr && ((payload->kind != kPayloadDataOut && !(dirents && payload->kind == kPayloadArrayCount)) ||
                             payload->addr != addr)) {
    payload = nullptr;
  }
  const auto ret = static_cast<uint64_t>(r.ret);
  if (dirents) return append_dirents(out, addr, ret, payload);
  if (r.nr == SYS_getcwd) return append_cwd(out, payload, options.string_style);
  if (spec.size_arg < 0 || spec.size_arg >= info->argc) return false;  // mincore's vec

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
    if (payload == nullptr) return false;
    bytes = payload->bytes;
  }
  bool truncated = written > shown;
  if (bytes.size() > shown) {
    bytes = bytes.substr(0, shown);
  } else if (bytes.size() < shown) {
    truncated = true;  // the gate copied fewer bytes (max_data) than -s asks for
  }
  if (r.nr == SYS_getrandom) {
    syscalls::append_quoted(out, bytes, truncated, syscalls::StringStyle::kHexAll);  // strace shows random bytes in hex
  } else {
    syscalls::append_quoted(out, bytes, truncated, options.string_style);
  }
  return true;
}

// "= 0x8002 (flags O_RDWR|O_LARGEFILE)": fcntl's results that strace decodes,
// F_GETFL's and F_GETFD's flags. False (nothing appended) for the others.
// As strace 6.1, -X changes F_GETFD's flags and leaves F_GETFL's named.
bool append_fcntl_result(std::string& out, const Record& r, syscalls::ConstStyle style) {
  const auto cmd = static_cast<int32_t>(r.args[1]);
  const auto value = static_cast<uint64_t>(r.ret);
  if (cmd != kFGetFl && (cmd != kFGetFd || value == 0)) return false;
  out += "= ";
  append_hex_or_zero(out, value);
  out += " (flags ";
  if (cmd == kFGetFl) {
    constants::append_value(out, syscalls::ArgType::kOpenFlags, value);
  } else {
    syscalls::append_constant(out, style, value, syscalls::NumberForm::kHex, [value](std::string& o) {
      const uint64_t rest = value & ~uint64_t{1};
      if ((value & 1) != 0) o += "FD_CLOEXEC";
      if ((value & 1) != 0 && rest != 0) o += '|';
      if (rest != 0) append_hex_or_zero(o, rest);
    });
  }
  out += ')';
  return true;
}

// "= 1 (SUID_DUMP_USER)": prctl's results that strace names, PR_GET_DUMPABLE's
// and PR_MCE_KILL_GET's (<linux/prctl.h>'s numbers). False for the others.
bool append_prctl_result(std::string& out, const Record& r) {
  static constexpr const char* kDumpable[] = {"SUID_DUMP_DISABLE", "SUID_DUMP_USER", "SUID_DUMP_ROOT"};
  static constexpr const char* kMceKill[] = {"PR_MCE_KILL_LATE", "PR_MCE_KILL_EARLY", "PR_MCE_KILL_DEFAULT"};
  const auto option = static_cast<uint32_t>(r.args[0]);
  if ((option != 3 && option != 34) || r.ret < 0 || r.ret > 2) return false;  // PR_GET_DUMPABLE, PR_MCE_KILL_GET
  out += "= ";
  syscalls::append_decimal(out, r.ret);
  out += " (";
  out += (option == 3 ? kDumpable : kMceKill)[r.ret];
  out += ')';
  return true;
}

// What the argument hooks of syscalls::FormatOptions decode from.
struct CallContext {
  const Record* record;
  const FormatOptions* options;
};

bool output_buffer_hook(const void* context, int index, uint64_t value, std::string& out) {
  const auto* call = static_cast<const CallContext*>(context);
  return append_output_buffer(out, *call->record, index, value, *call->options);
}

bool struct_arg_hook(const void* context, int index, uint64_t value, std::string& out) {
  const auto* call = static_cast<const CallContext*>(context);
  const Record& r = *call->record;
  // -y: pipe's or socketpair's two descriptors with what they name,
  // "[3<pipe:[123]>, 4<pipe:[123]>]" (the caller applied the call to the names
  // first: FdPaths::fd_array_arg).
  if (call->options->fd_path && index >= 0 && index == FdPaths::fd_array_arg(r)) {
    const Payload* p = r.payload(index);
    if (p == nullptr || p->addr != value || p->bytes.size() != 8) return false;
    int32_t fds[2];
    std::memcpy(fds, p->bytes.data(), sizeof fds);
    out += '[';
    for (int i = 0; i < 2; ++i) {
      if (i > 0) out += ", ";
      syscalls::append_decimal(out, fds[i]);
      if (const std::string* name = call->options->fd_path(fds[i])) {
        out += '<';
        out += *name;
        out += '>';
      }
    }
    out += ']';
    return true;
  }
  if (append_iovec_arg(out, r, index, value, call->options->max_string, call->options->string_style)) return true;
  if (append_select_arg(out, r, index, value, call->options->fd_path)) return true;
  if (append_offset_arg(out, r, index, value)) return true;
  if (append_event_arg(out, r, index, value, call->options->max_string, call->options->const_style,
                       call->options->fd_path)) {
    return true;
  }
  if (append_msghdr_arg(out, r, index, value, call->options->max_string, call->options->string_style,
                        call->options->const_style, call->options->fd_path)) {
    return true;
  }
  const TaskNames* names = call->options->task_name ? &call->options->task_name : nullptr;
  return append_struct_arg(out, r, index, value, call->options->string_style, call->options->verbose, names,
                           call->options->const_style);
}

// strace -y: "<path>" after a descriptor whose name is known.
bool fd_arg_hook(const void* context, int, uint64_t value, std::string& out) {
  const auto* call = static_cast<const CallContext*>(context);
  const std::string* name = call->options->fd_path(static_cast<int32_t>(value));
  if (name == nullptr) return false;
  out += '<';
  out += *name;
  out += '>';
  return true;
}

// strace -Y: "<sh>" after a pid or tid argument (call_format's pid_arg).
bool pid_arg_hook(const void* context, int, uint64_t value, std::string& out) {
  const auto* call = static_cast<const CallContext*>(context);
  append_task_name(out, static_cast<int32_t>(value), *call->options);
  return true;
}

// "= -1 ENOENT (No such file or directory)" and the kernel's restart codes.
void append_error(std::string& out, int err) {
  switch (err) {
    case kErestartSys: out += "= ? ERESTARTSYS (To be restarted if SA_RESTART is set)"; return;
    case kErestartNoIntr: out += "= ? ERESTARTNOINTR (To be restarted)"; return;
    case kErestartNoHand: out += "= ? ERESTARTNOHAND (To be restarted if no handler)"; return;
    case kErestartRestartBlock: out += "= ? ERESTART_RESTARTBLOCK (Interrupted by signal)"; return;
    default: break;
  }
  const std::string_view name = errno_display_name(err);
  if (name.empty()) {
    out += "= -1 (errno ";
    syscalls::append_decimal(out, err);
    out += ')';
    return;
  }
  out += "= -1 ";
  out += name;
  out += " (";
  const std::string_view text = constants::errno_text(err);
  if (text.empty()) {
    out += "Unknown error ";  // glibc's strerror
    syscalls::append_decimal(out, err);
  } else {
    out += text;
  }
  out += ')';
}

}  // namespace

void append_call_text(std::string& out, const Record& record, const FormatOptions& options) {
  if (options.raw != nullptr && options.raw->matches(record.nr)) {  // -e raw=: every argument as hex
    out += syscalls::display_name(record.nr);
    out += '(';
    const syscalls::SyscallInfo* info = syscalls::by_number(record.nr);
    const int argc = info != nullptr ? info->argc : 6;
    for (int i = 0; i < argc; ++i) {
      if (i > 0) out += ", ";
      syscalls::append_hex_or_zero(out, record.args[i]);
    }
    out += ')';
    return;
  }
  if (record.nr == SYS_rt_sigreturn) {  // "rt_sigreturn({mask=[ALRM]})": the mask the frame restores
    out += "rt_sigreturn(";
    const Payload* mask = record.payload(0);
    if (mask != nullptr) {
      if (std::optional<std::string> set =
              struct_arg_text(record, 0, mask->addr, options.string_style, false, options.const_style)) {
        out += "{mask=" + *set + "}";
      }
    }
    out += ')';
    return;
  }
  RecordMemory memory(record);
  const CallContext context{&record, &options};
  syscalls::FormatOptions call_options;
  call_options.max_string = options.max_string;
  call_options.string_style = options.string_style;
  call_options.const_style = options.const_style;
  call_options.output_buffer = {output_buffer_hook, &context};
  call_options.struct_arg = {struct_arg_hook, &context};
  if (options.fd_path) call_options.fd_arg = {fd_arg_hook, &context};
  if (options.task_name) call_options.pid_arg = {pid_arg_hook, &context};
  syscalls::append_call(out, record.nr, record.args, &memory, call_options);
}

std::string format_call_text(const Record& record, const FormatOptions& options) {
  std::string out;
  append_call_text(out, record, options);
  return out;
}

namespace {

void append_result_value(std::string& out, const Record& record, syscalls::ConstStyle style) {
  if (record.kind != kRecordSyscall) {
    out += "= ?";
    return;
  }
  const int64_t ret = shown_result(record);  // "? ERESTARTSYS" for an interrupted call, as strace
  if (is_error(ret)) return append_error(out, static_cast<int>(-ret));
  if (syscalls::append_named_result(out, record.nr, record.args, ret)) return;  // "= 10 (SIGUSR1)"
  switch (record.nr) {
    case SYS_mmap:
    case SYS_mremap:
    case SYS_brk:
    case SYS_shmat:
      out += "= ";
      return append_hex_or_zero(out, static_cast<uint64_t>(ret));
    case SYS_umask:
      out += "= ";
      return syscalls::append_octal_mode(out, static_cast<uint64_t>(ret));
    case SYS_fcntl:
      if (append_fcntl_result(out, record, style)) return;
      break;
    case SYS_prctl:
      if (append_prctl_result(out, record)) return;
      break;
    case SYS_rt_sigtimedwait:  // "= 15 (SIGTERM)": the signal taken
      if (const std::string_view name = constants::signal_name(static_cast<int>(ret)); ret > 0 && !name.empty()) {
        out += "= ";
        syscalls::append_decimal(out, ret);
        out += " (";
        out += name;
        out += ')';
        return;
      }
      break;
    default:
      break;
  }
  out += "= ";
  syscalls::append_decimal(out, ret);
}

// Calls whose result names a task (strace's TID and TGID results).
bool returns_task_id(const Record& record) {
  switch (record.nr) {
    case SYS_getpid: case SYS_getppid: case SYS_gettid: case SYS_clone: case SYS_clone3: case SYS_fork:
    case SYS_vfork: case SYS_wait4:
      return record.kind == kRecordSyscall && record.ret > 0;
    default:
      return false;
  }
}

// The result, with -Y's name after an id that names a task.
void append_result_named(std::string& out, const Record& record, const FormatOptions& options) {
  append_result_value(out, record, options.const_style);
  // (A child the call reaped is gone by its return: strace finds no name.)
  if (returns_task_id(record) && PidNames::reaped_by(record) != record.ret) append_task_name(out, record.ret, options);
  if (record.kind != kRecordSyscall) return;
  append_poll_result(out, record, options.const_style);  // " ([{fd=3, revents=POLLIN}])", " (Timeout)"
  append_select_result(out, record);  // " (in [3], left {tv_sec=0, tv_nsec=999})"
  // As strace marks what -e inject= did.
  if ((record.flags & kRecordInjected) != 0) out += " (INJECTED)";
  if ((record.flags & kRecordDelayed) != 0) out += " (DELAYED)";
}

}  // namespace

void append_result(std::string& out, const Record& record) {
  static const FormatOptions kNoNames;
  append_result_named(out, record, kNoNames);
}

std::string format_result(const Record& record) {
  std::string out;
  append_result(out, record);
  return out;
}

void append_record(std::string& out, const Record& record, const FormatOptions& options) {
  const size_t start = out.size();
  switch (record.kind) {
    case kRecordSyscall:
    case kRecordExit: {
      append_prefix(out, record.tid, options);
      append_call_text(out, record, options);
      out += ' ';
      const size_t width = out.size() - start;
      if (width < options.align_column) out.append(options.align_column - width, ' ');
      if (options.raw != nullptr && options.raw->matches(record.nr) && record.kind == kRecordSyscall &&
          !is_error(record.ret)) {
        out += "= ";  // -e raw=: the result in hex too, errors as ever
        return syscalls::append_hex_or_zero(out, static_cast<uint64_t>(record.ret));
      }
      append_result_named(out, record, options);
      return;
    }
    case kRecordSyscallEnter: {
      // strace's form for a call whose return has not been seen: the closing
      // parenthesis comes with "<... execve resumed>)".
      append_prefix(out, record.tid, options);
      const size_t call = out.size();
      append_call_text(out, record, options);
      if (out.size() > call && out.back() == ')') out.pop_back();
      out += " <unfinished ...>";
      return;
    }
    default:
      return;
  }
}

std::string format_record(const Record& record, const FormatOptions& options) {
  std::string out;
  out.reserve(160);
  append_record(out, record, options);
  return out;
}

Record with_structs_as_addresses(const Record& record) {
  Record shown = record;
  shown.payloads.clear();
  for (const Payload& p : record.payloads) {
    switch (p.kind) {
      case kPayloadPath: case kPayloadString: case kPayloadDataIn: case kPayloadDataOut:
        shown.payloads.push_back(p);
        break;
      default:
        break;
    }
  }
  return shown;
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

std::string line_prefix(int32_t tid, const FormatOptions& options) { return prefix(tid, options); }

std::string format_syscall_number(int nr) {
  char text[24];
  std::snprintf(text, sizeof text, "[%4d] ", nr);
  return text;
}

std::string format_instruction_pointer(uint64_t ip) {
  if (ip == 0) return "[????????????????] ";
  char text[24];
  std::snprintf(text, sizeof text, "[%016llx] ", static_cast<unsigned long long>(ip));
  return text;
}

void append_json_ip(std::string& out, uint64_t ip) {
  if (ip == 0) return;
  char text[32];
  std::snprintf(text, sizeof text, ",\"ip\":\"0x%llx\"", static_cast<unsigned long long>(ip));
  out += text;
}

std::string format_line_start(int32_t tid, const FormatOptions& options) { return prefix(tid, options); }

std::string format_exited(int32_t tid, int status, const FormatOptions& options) {
  return prefix(tid, options) + "+++ exited with " + std::to_string(status) + " +++";
}

std::string format_superseded(int32_t tid, int32_t exec_tid, const FormatOptions& options) {
  return prefix(tid, options) + "+++ superseded by execve in pid " + std::to_string(exec_tid) + " +++";
}

std::string format_killed(int32_t tid, int signal, bool core_dumped, const FormatOptions& options) {
  const std::string_view name = constants::signal_name(signal);
  return prefix(tid, options) + "+++ killed by " + (name.empty() ? std::to_string(signal) : std::string(name)) +
         (core_dumped ? " (core dumped)" : "") + " +++";
}

void append_json_string(std::string& out, std::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      out += nlohmann::ordered_json(std::string(text)).dump(-1, ' ', false,
                                                           nlohmann::ordered_json::error_handler_t::replace);
      return;
    }
  }
  out += '"';
  size_t i = 0;
  while (i < text.size()) {
    size_t run = i;
    while (run < text.size() && static_cast<unsigned char>(text[run]) >= 0x20 && text[run] != '"' &&
           text[run] != '\\') {
      ++run;
    }
    out.append(text.data() + i, run - i);
    i = run;
    if (i == text.size()) break;
    const auto c = static_cast<unsigned char>(text[i++]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
  }
  out += '"';
}

namespace {

template <typename T>
void append_number(std::string& out, T value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

}  // namespace

void append_json(std::string& out, const Record& record, const FormatOptions& options) {
  thread_local std::string scratch;
  out += "{\"pid\":";
  append_number(out, record.pid);
  out += ",\"tid\":";
  append_number(out, record.tid);
  out += ",\"syscall\":";
  append_json_string(out, syscalls::display_name(record.nr));
  out += ",\"nr\":";
  append_number(out, record.nr);
  out += ",\"args\":[";
  for (size_t i = 0; i < 6; ++i) {
    if (i != 0) out += ',';
    append_number(out, record.args[i]);
  }
  out += "],\"call\":";
  scratch.clear();
  append_call_text(scratch, record, options);
  append_json_string(out, scratch);
  out += ",\"ret\":";
  if (record.kind == kRecordSyscall) {
    append_number(out, record.ret);
    out += ",\"errno\":";
    const std::string_view name = is_error(record.ret) ? errno_display_name(static_cast<int>(-record.ret)) : "";
    if (name.empty()) {
      out += "null";
    } else {
      append_json_string(out, name);
    }
  } else {
    out += "null,\"errno\":null";
  }
  out += ",\"text\":";
  scratch.clear();
  append_record(scratch, record, options);
  append_json_string(out, scratch);
  if (options.json_duration_ns >= 0) {
    char duration[40];
    std::snprintf(duration, sizeof duration, ",\"duration\":%lld.%06lld",
                  static_cast<long long>(options.json_duration_ns / 1000000000),
                  static_cast<long long>(options.json_duration_ns % 1000000000 / 1000));
    out += duration;
  }
  if (options.json_time_ns > 0) {
    char time[40];
    std::snprintf(time, sizeof time, ",\"time\":%lld.%06lld", static_cast<long long>(options.json_time_ns / 1000000000),
                  static_cast<long long>(options.json_time_ns % 1000000000 / 1000));
    out += time;
  }
  append_json_ip(out, options.json_ip);
  append_json_stack(out, record);
  if ((record.flags & kRecordInjected) != 0) out += ",\"injected\":true";
  if ((record.flags & kRecordDelayed) != 0) out += ",\"delayed\":true";
  out += '}';
}

void append_json_stack(std::string& out, const Record& record) {
  if (record.backtrace().empty()) return;
  out += ",\"stack\":[";
  std::string_view lines = record.backtrace();
  bool first = true;
  while (!lines.empty()) {
    const size_t end = lines.find('\n');
    std::string_view line = lines.substr(0, end);
    if (line.starts_with(" > ")) line.remove_prefix(3);
    if (!first) out += ',';
    append_json_string(out, line);
    first = false;
    lines = end == std::string_view::npos ? std::string_view() : lines.substr(end + 1);
  }
  out += ']';
}

std::string format_json(const Record& record, const FormatOptions& options) {
  std::string out;
  out.reserve(256);
  append_json(out, record, options);
  return out;
}

}  // namespace sysgate::trace
