#include "trace/signal_format.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string_view>

#include <nlohmann/json.hpp>

#include "syscalls/constants.h"
#include "syscalls/syscall_table.h"
#include "trace/struct_format.h"

namespace sysgate::trace {
namespace {

namespace constants = syscalls::constants;

// <asm-generic/siginfo.h>, spelled out: the monitor must not depend on the C
// library's idea of these.
constexpr int kSigIll = 4, kSigTrap = 5, kSigBus = 7, kSigFpe = 8, kSigSegv = 11, kSigChld = 17, kSigPoll = 29,
              kSigSys = 31;
constexpr int kSiUser = 0, kSiKernel = 0x80, kSiQueue = -1, kSiTimer = -2, kSiMesgq = -3;
constexpr int kCldExited = 1;

struct CodeName {
  int code;
  std::string_view name;
};

constexpr CodeName kGenericCodes[] = {{0, "SI_USER"},    {0x80, "SI_KERNEL"}, {-1, "SI_QUEUE"},
                                      {-2, "SI_TIMER"},  {-3, "SI_MESGQ"},    {-4, "SI_ASYNCIO"},
                                      {-5, "SI_SIGIO"},  {-6, "SI_TKILL"},    {-7, "SI_DETHREAD"},
                                      {-60, "SI_ASYNCNL"}};
constexpr std::string_view kIllCodes[] = {"ILL_ILLOPC", "ILL_ILLOPN", "ILL_ILLADR", "ILL_ILLTRP", "ILL_PRVOPC",
                                          "ILL_PRVREG", "ILL_COPROC", "ILL_BADSTK", "ILL_BADIADDR"};
constexpr std::string_view kFpeCodes[] = {"FPE_INTDIV", "FPE_INTOVF", "FPE_FLTDIV", "FPE_FLTOVF",
                                          "FPE_FLTUND", "FPE_FLTRES", "FPE_FLTINV", "FPE_FLTSUB",
                                          "",           "",           "",           "",
                                          "",           "FPE_FLTUNK", "FPE_CONDTRAP"};
constexpr std::string_view kSegvCodes[] = {"SEGV_MAPERR",  "SEGV_ACCERR",  "SEGV_BNDERR",  "SEGV_PKUERR",
                                           "SEGV_ACCADI",  "SEGV_ADIDERR", "SEGV_ADIPERR", "SEGV_MTEAERR",
                                           "SEGV_MTESERR", "SEGV_CPERR"};
constexpr std::string_view kBusCodes[] = {"BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR", "BUS_MCEERR_AR", "BUS_MCEERR_AO"};
constexpr std::string_view kTrapCodes[] = {"TRAP_BRKPT",  "TRAP_TRACE", "TRAP_BRANCH",
                                           "TRAP_HWBKPT", "TRAP_UNK",   "TRAP_PERF"};
constexpr std::string_view kChldCodes[] = {"CLD_EXITED",  "CLD_KILLED",  "CLD_DUMPED",
                                           "CLD_TRAPPED", "CLD_STOPPED", "CLD_CONTINUED"};
constexpr std::string_view kPollCodes[] = {"POLL_IN", "POLL_OUT", "POLL_MSG", "POLL_ERR", "POLL_PRI", "POLL_HUP"};
constexpr std::string_view kSysCodes[] = {"SYS_SECCOMP", "SYS_USER_DISPATCH"};
constexpr uint32_t kAuditArchX86_64 = 0xc000003e, kAuditArchI386 = 0x40000003;

// The siginfo bytes the record carries.
struct Siginfo {
  uint8_t bytes[48];
  int32_t i32(size_t offset) const {
    int32_t v;
    std::memcpy(&v, bytes + offset, sizeof v);
    return v;
  }
  int64_t i64(size_t offset) const {
    int64_t v;
    std::memcpy(&v, bytes + offset, sizeof v);
    return v;
  }
};

Siginfo siginfo_of(const Record& r) {
  Siginfo s;
  std::memcpy(s.bytes, r.args, sizeof s.bytes);
  return s;
}

std::string signal_text(int sig) {
  const std::string_view name = constants::signal_name(sig);
  return name.empty() ? std::to_string(sig) : std::string(name);
}

// A signal number in a siginfo's fields: SIGCHLD, 17 (-X raw), 17 /* SIGCHLD */.
std::string signal_text(int sig, syscalls::ConstStyle style) {
  std::string out;
  constants::append_signal(out, sig, style);
  return out;
}

template <size_t N>
std::string_view code_in(const std::string_view (&table)[N], int code) {
  return code >= 1 && static_cast<size_t>(code) <= N ? table[code - 1] : std::string_view{};
}

// si_code as strace names it: signal-specific codes are positive; a raw
// constant in hex ("%#x": 0xfffffffa for SI_TKILL).
std::string code_name(int sig, int code);
std::string code_text(int sig, int code, syscalls::ConstStyle style) {
  std::string out;
  syscalls::append_constant(out, style, static_cast<uint32_t>(code), syscalls::NumberForm::kHex,
                            [&](std::string& o) { o += code_name(sig, code); });
  return out;
}

std::string code_name(int sig, int code) {
  std::string_view name;
  if (code > 0 && code != kSiKernel) {
    switch (sig) {
      case kSigIll: name = code_in(kIllCodes, code); break;
      case kSigFpe: name = code_in(kFpeCodes, code); break;
      case kSigSegv: name = code_in(kSegvCodes, code); break;
      case kSigBus: name = code_in(kBusCodes, code); break;
      case kSigTrap: name = code_in(kTrapCodes, code); break;
      case kSigChld: name = code_in(kChldCodes, code); break;
      case kSigPoll: name = code_in(kPollCodes, code); break;
      case kSigSys: name = code_in(kSysCodes, code); break;
      default: break;
    }
  }
  if (name.empty()) {
    for (const CodeName& c : kGenericCodes) {
      if (c.code == code) name = c.name;
    }
  }
  if (!name.empty()) return std::string(name);
  char buf[24];
  std::snprintf(buf, sizeof buf, "%#x", static_cast<unsigned>(code));
  return buf;
}

std::string pointer(uint64_t value) {
  if (value == 0) return "NULL";
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, value);
  return buf;
}

bool is_fault_signal(int sig) {
  return sig == kSigIll || sig == kSigFpe || sig == kSigSegv || sig == kSigBus || sig == kSigTrap;
}

}  // namespace

std::string format_siginfo(const Record& record, const TaskNames* task_names, syscalls::ConstStyle style) {
  const Siginfo s = siginfo_of(record);
  return format_siginfo_bytes(std::string_view(reinterpret_cast<const char*>(s.bytes), sizeof s.bytes), task_names,
                              style);
}

std::string format_siginfo_bytes(std::string_view bytes, const TaskNames* task_names, syscalls::ConstStyle style) {
  Siginfo s{};
  std::memcpy(s.bytes, bytes.data(), bytes.size() < sizeof s.bytes ? bytes.size() : sizeof s.bytes);
  const int sig = s.i32(0);
  const int err = s.i32(4);
  const int code = s.i32(8);
  std::string out = "{si_signo=" + signal_text(sig, style) + ", si_code=" + code_text(sig, code, style);
  if (err != 0) {
    const std::string_view name = constants::errno_name(err);
    out += ", si_errno=";
    if (name.empty()) {
      out += std::to_string(err);
    } else {
      syscalls::append_named(out, style, static_cast<uint64_t>(int64_t{err}), syscalls::NumberForm::kDecimal, name);
    }
  }
  auto sender = [&] {
    const int32_t pid = s.i32(16);
    out += ", si_pid=" + std::to_string(pid);
    if (task_names != nullptr && *task_names && pid > 0) {
      if (const std::string* name = (*task_names)(pid)) out += "<" + *name + ">";
    }
    out += ", si_uid=" + std::to_string(static_cast<uint32_t>(s.i32(20)));
  };
  auto value = [&] {
    out += ", si_int=" + std::to_string(s.i32(24)) + ", si_ptr=" + pointer(static_cast<uint64_t>(s.i64(24)));
  };
  if (code == kSiKernel) {
    // nothing but the code
  } else if (code == kSiTimer) {
    out += ", si_timerid=" + std::to_string(s.i32(16)) + ", si_overrun=" + std::to_string(s.i32(20));
    value();
  } else if (code == kSiQueue || code == kSiMesgq) {
    sender();
    value();
  } else if (code <= kSiUser) {
    sender();
  } else if (sig == kSigChld) {
    sender();
    const int status = s.i32(24);
    // A signal for every code but CLD_EXITED (CLD_CONTINUED's is SIGCONT), as strace prints it.
    const bool by_signal = code != kCldExited;
    out += ", si_status=" + (by_signal ? signal_text(status, style) : std::to_string(status));
    out += ", si_utime=";
    append_clock_ticks(out, static_cast<uint64_t>(s.i64(32)));
    out += ", si_stime=";
    append_clock_ticks(out, static_cast<uint64_t>(s.i64(40)));
  } else if (is_fault_signal(sig)) {
    out += ", si_addr=" + pointer(static_cast<uint64_t>(s.i64(16)));
  } else if (sig == kSigPoll) {
    out += ", si_band=" + std::to_string(s.i64(16)) + ", si_fd=" + std::to_string(s.i32(24));
  } else if (sig == kSigSys) {
    // A seccomp trap's or Syscall User Dispatch's: the call and where it was made.
    out += ", si_call_addr=" + pointer(static_cast<uint64_t>(s.i64(16)));
    const int nr = s.i32(24);
    const syscalls::SyscallInfo* info = syscalls::by_number(nr);
    out += ", si_syscall=" + (info != nullptr ? "__NR_" + std::string(info->name) : std::to_string(nr));
    const auto arch = static_cast<uint32_t>(s.i32(28));
    out += ", si_arch=";
    if (arch == kAuditArchX86_64) out += "AUDIT_ARCH_X86_64";
    else if (arch == kAuditArchI386) out += "AUDIT_ARCH_I386";
    else out += pointer(arch);
  }
  return out + "}";
}

std::string format_signal(const Record& record, const FormatOptions& options) {
  const TaskNames* names = options.task_name ? &options.task_name : nullptr;
  return line_prefix(record.tid, options) + "--- " + signal_text(record.nr) + " " +
         format_siginfo(record, names, options.const_style) + " ---";
}

std::string format_signal_json(const Record& record, const FormatOptions& options) {
  nlohmann::ordered_json j;
  j["pid"] = record.pid;
  j["tid"] = record.tid;
  j["signal"] = signal_text(record.nr);
  j["signo"] = record.nr;
  j["code"] = siginfo_of(record).i32(8);
  j["siginfo"] = format_siginfo(record);
  FormatOptions plain = options;
  plain.pid_prefix = PidPrefix::kNone;
  plain.timestamp.clear();
  plain.instruction_pointer.clear();
  j["text"] = format_signal(record, plain);
  std::string out = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  if (options.json_time_ns > 0) {  // as formatter.cc's append_json: seconds, to the microsecond
    char time[40];
    std::snprintf(time, sizeof time, ",\"time\":%lld.%06lld}", static_cast<long long>(options.json_time_ns / 1000000000),
                  static_cast<long long>(options.json_time_ns % 1000000000 / 1000));
    out.pop_back();
    out += time;
  }
  if (options.json_ip != 0) {
    out.pop_back();
    append_json_ip(out, options.json_ip);
    out += '}';
  }
  if (!record.backtrace().empty()) {  // -k
    out.pop_back();
    append_json_stack(out, record);
    out += '}';
  }
  return out;
}

}  // namespace sysgate::trace
