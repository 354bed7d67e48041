#include "trace/trace_filter.h"

#include <regex.h>

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <span>
#include <string>

#include "syscalls/syscall_table.h"

namespace sysgate::trace {
namespace {

using syscalls::ArgType;
using syscalls::SyscallInfo;
using Names = std::span<const std::string_view>;

// Class lists, as strace 6's syscallent flags them for x86-64 (TP, TN, TS, TI,
// TM, TC, TCL, PU, the stat families).
constexpr std::string_view kProcess[] = {"clone", "fork", "vfork", "execve", "exit", "wait4", "kill", "rt_sigqueueinfo",
                            "tkill", "exit_group", "tgkill", "waitid", "rt_tgsigqueueinfo", "execveat",
                            "pidfd_send_signal", "clone3"};
constexpr std::string_view kNetwork[] = {"sendfile", "socket", "connect", "accept", "sendto", "recvfrom", "sendmsg",
                            "recvmsg", "shutdown", "bind", "listen", "getsockname", "getpeername",
                            "socketpair", "setsockopt", "getsockopt", "getpmsg", "putpmsg", "accept4",
                            "recvmmsg", "sendmmsg"};
constexpr std::string_view kSignal[] = {"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "pause", "kill", "rt_sigpending",
                           "rt_sigtimedwait", "rt_sigqueueinfo", "rt_sigsuspend", "sigaltstack", "tkill", "tgkill",
                           "signalfd", "signalfd4", "rt_tgsigqueueinfo", "pidfd_send_signal", "io_uring_enter"};
constexpr std::string_view kIpc[] = {"shmget", "shmat", "shmctl", "semget", "semop", "semctl",
                        "shmdt", "msgget", "msgsnd", "msgrcv", "msgctl", "semtimedop"};
constexpr std::string_view kMemory[] = {"mmap", "mprotect", "munmap", "brk", "mremap", "msync", "mincore", "madvise",
                           "shmat", "shmdt", "mlock", "munlock", "mlockall", "munlockall", "io_setup",
                           "io_destroy", "remap_file_pages", "mbind", "set_mempolicy", "get_mempolicy",
                           "migrate_pages", "move_pages", "mlock2", "pkey_mprotect", "io_uring_register",
                           "set_mempolicy_home_node", "map_shadow_stack", "mseal"};
constexpr std::string_view kCreds[] = {"getuid", "getgid", "setuid", "setgid", "geteuid", "getegid", "setreuid",
                          "setregid", "getgroups", "setgroups", "setresuid", "getresuid", "setresgid",
                          "getresgid", "setfsuid", "setfsgid", "capget", "capset", "prctl"};
constexpr std::string_view kClock[] = {"gettimeofday", "adjtimex", "settimeofday", "time",
                          "clock_settime", "clock_gettime", "clock_getres", "clock_adjtime"};
constexpr std::string_view kPure[] = {"getpid", "getppid", "getpgrp", "gettid", "getuid", "getgid", "geteuid", "getegid"};
constexpr std::string_view kStat[] = {"stat"};
constexpr std::string_view kLstat[] = {"lstat"};
constexpr std::string_view kFstat[] = {"fstat", "newfstatat", "statx"};
constexpr std::string_view kAnyStat[] = {"stat", "fstat", "lstat", "newfstatat", "statx"};
constexpr std::string_view kStatfs[] = {"statfs"};
constexpr std::string_view kFstatfs[] = {"fstatfs"};
constexpr std::string_view kAnyStatfs[] = {"ustat", "statfs", "fstatfs"};

// Not derivable from the signatures: %file's calls without a path argument, and
// %desc's calls that create fds or wait on sets of them without taking one.
constexpr std::string_view kFileExtra[] = {"getcwd", "fsconfig"};
constexpr std::string_view kDescExtra[] = {"open", "creat", "poll", "select", "pipe", "epoll_create", "mq_open",
                              "inotify_init", "pselect6", "ppoll", "timerfd_create", "eventfd", "eventfd2",
                              "epoll_create1", "pipe2", "inotify_init1", "fanotify_init", "memfd_create",
                              "bpf", "userfaultfd", "io_uring_setup", "fsopen", "pidfd_open",
                              "landlock_create_ruleset", "memfd_secret"};
// fd arguments strace does not count: never-implemented calls, and close_range's range.
constexpr std::string_view kDescExcluded[] = {"epoll_ctl_old", "epoll_wait_old", "close_range"};

bool listed(Names names, std::string_view name) { return std::find(names.begin(), names.end(), name) != names.end(); }

bool has_arg(const SyscallInfo& info, std::initializer_list<ArgType> types) {
  for (int i = 0; i < info.argc; ++i) {
    if (std::find(types.begin(), types.end(), info.args[i].type) != types.end()) return true;
  }
  return false;
}

bool in_file(const SyscallInfo& info) { return has_arg(info, {ArgType::kPath}) || listed(kFileExtra, info.name); }

bool in_desc(const SyscallInfo& info) {
  if (listed(kDescExtra, info.name)) return true;
  if (listed(kDescExcluded, info.name)) return false;
  if (listed(kNetwork, info.name) && info.name != "sendfile") return false;
  return has_arg(info, {ArgType::kFd, ArgType::kDirFd});
}

struct ClassDef {
  std::string_view name;
  bool legacy;  // also accepted without "%"
  bool (*derived)(const SyscallInfo&);
  Names names;
};

const ClassDef kClasses[] = {
    {"file", true, in_file, Names{}},
    {"desc", true, in_desc, Names{}},
    {"process", true, nullptr, kProcess},
    {"network", true, nullptr, kNetwork},
    {"net", false, nullptr, kNetwork},
    {"signal", true, nullptr, kSignal},
    {"ipc", true, nullptr, kIpc},
    {"memory", true, nullptr, kMemory},
    {"creds", false, nullptr, kCreds},
    {"clock", false, nullptr, kClock},
    {"pure", false, nullptr, kPure},
    {"stat", false, nullptr, kStat},
    {"lstat", false, nullptr, kLstat},
    {"fstat", false, nullptr, kFstat},
    {"%stat", false, nullptr, kAnyStat},
    {"statfs", false, nullptr, kStatfs},
    {"fstatfs", false, nullptr, kFstatfs},
    {"%statfs", false, nullptr, kAnyStatfs},
};

const ClassDef* find_class(std::string_view name, bool with_percent) {
  for (const ClassDef& c : kClasses) {
    if (c.name == name && (with_percent || c.legacy)) return &c;
  }
  return nullptr;
}

bool class_member(const ClassDef& c, const SyscallInfo& info) {
  return c.derived != nullptr ? c.derived(info) : listed(c.names, info.name);
}

Error invalid(std::string_view token) {
  return make_error(ErrorCode::kUnknownName, "invalid system call '" + std::string(token) + "'");
}

// Adds the item's syscalls to bits; false when it names nothing known.
Result<bool> add_item(std::string_view item, std::vector<bool>& bits, bool& outside) {
  if (item == "all") {
    std::fill(bits.begin(), bits.end(), true);
    outside = true;
    return true;
  }
  if (item == "none") return true;
  if (item.front() == '/') {
    const std::string pattern(item.substr(1));
    regex_t re;
    if (const int rc = regcomp(&re, pattern.c_str(), REG_EXTENDED | REG_NOSUB); rc != 0) {
      char message[256];
      regerror(rc, &re, message, sizeof message);
      return make_error(ErrorCode::kParse, "regcomp: " + pattern + ": " + message);
    }
    bool found = false;
    for (const SyscallInfo& info : syscalls::all()) {
      const std::string name(info.name);
      if (regexec(&re, name.c_str(), 0, nullptr, 0) == 0) {
        bits[info.nr] = true;
        found = true;
      }
    }
    regfree(&re);
    return found;
  }
  if (item.front() == '%' || find_class(item, false) != nullptr) {
    const ClassDef* c = item.front() == '%' ? find_class(item.substr(1), true) : find_class(item, false);
    if (c == nullptr) return false;
    for (const SyscallInfo& info : syscalls::all()) {
      if (class_member(*c, info)) bits[info.nr] = true;
    }
    return true;
  }
  if (item.front() >= '0' && item.front() <= '9') {
    int nr = -1;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), nr);
    if (ec != std::errc() || end != item.data() + item.size() || nr > syscalls::max_known_number()) return false;
    bits[nr] = true;
    return true;
  }
  // A name, with strace's optional personality: only @64 is x86-64's own table.
  std::string_view name = item;
  bool native = true;
  if (const size_t at = item.rfind('@'); at != std::string_view::npos) {
    const std::string_view personality = item.substr(at + 1);
    if (personality != "64" && personality != "32" && personality != "x32") return false;
    native = personality == "64";
    name = item.substr(0, at);
  }
  const SyscallInfo* info = syscalls::by_name(name);
  if (info == nullptr) return false;
  if (native) bits[info->nr] = true;
  return true;
}

}  // namespace

TraceFilter::TraceFilter() : in_table_(static_cast<size_t>(syscalls::max_known_number()) + 1, true) {}

bool TraceFilter::matches(int nr) const {
  if (nr < 0 || static_cast<size_t>(nr) >= in_table_.size()) return outside_table_;
  return in_table_[nr];
}

std::vector<int> TraceFilter::selected() const {
  std::vector<int> out;
  for (size_t nr = 0; nr < in_table_.size(); ++nr) {
    if (in_table_[nr]) out.push_back(static_cast<int>(nr));
  }
  return out;
}

Result<TraceFilter> parse_trace_filter(std::string_view set) {
  const std::string_view whole = set;
  bool invert = false;
  if (!set.empty() && set.front() == '!') {
    invert = true;
    set.remove_prefix(1);
  }
  TraceFilter filter;
  std::fill(filter.in_table_.begin(), filter.in_table_.end(), false);
  filter.outside_table_ = false;
  bool any_token = false;
  while (!set.empty()) {
    const size_t comma = set.find(',');
    std::string_view token = set.substr(0, comma);
    set = comma == std::string_view::npos ? std::string_view{} : set.substr(comma + 1);
    if (token.empty()) continue;
    any_token = true;
    const bool optional = token.front() == '?';
    const std::string_view item = optional ? token.substr(1) : token;
    if (item.empty()) {
      if (optional) continue;
      return invalid(token);
    }
    Result<bool> known = add_item(item, filter.in_table_, filter.outside_table_);
    if (!known) return known.error();
    if (!*known && !optional) return invalid(item);
  }
  if (!any_token) return invalid(whole);
  if (invert) {
    filter.in_table_.flip();
    filter.outside_table_ = !filter.outside_table_;
  }
  return filter;
}

std::optional<std::vector<int>> syscall_class(std::string_view name) {
  const ClassDef* c = find_class(name, true);
  if (c == nullptr) return std::nullopt;
  std::vector<int> out;
  for (const SyscallInfo& info : syscalls::all()) {
    if (class_member(*c, info)) out.push_back(info.nr);
  }
  return out;
}

}  // namespace sysgate::trace
