#include "monitor/process_images.h"

#include <cstdlib>

#include "monitor/proc_file.h"

namespace sysgate::monitor {
namespace {

struct ProcStatus {
  pid_t tgid = 0;
  pid_t ppid = 0;
  unsigned long long start_time = 0;  // /proc/PID/stat field 22, clock ticks since boot
};

// The number after `key` on its line of /proc/PID/status; 0 if absent.
long status_field(const std::string& status, const std::string& key) {
  const size_t at = status.find("\n" + key);
  if (at == std::string::npos) return 0;
  return std::strtol(status.c_str() + at + 1 + key.size(), nullptr, 10);
}

// Field 22 of /proc/PID/stat: the process's start, in clock ticks since boot.
// The command name (field 2) may hold spaces and parentheses: fields resume
// after the last ')'.
std::optional<unsigned long long> start_time_in(const std::string& stat) {
  const size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return std::nullopt;
  const char* p = stat.c_str() + close_paren + 1;
  for (int field = 3; field <= 22; ++field) {
    while (*p == ' ') ++p;
    if (*p == '\0') return std::nullopt;
    if (field == 22) return std::strtoull(p, nullptr, 10);
    while (*p != ' ' && *p != '\0') ++p;
  }
  return std::nullopt;
}

std::optional<unsigned long long> start_time_of(pid_t pid) {
  std::optional<std::string> stat = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
  return stat ? start_time_in(*stat) : std::nullopt;
}

std::optional<ProcStatus> read_status(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid);
  std::optional<std::string> status = read_proc_file(dir + "/status");
  std::optional<std::string> stat = read_proc_file(dir + "/stat");
  if (!status || !stat) return std::nullopt;
  ProcStatus s;
  s.tgid = static_cast<pid_t>(status_field(*status, "Tgid:"));
  s.ppid = static_cast<pid_t>(status_field(*status, "PPid:"));
  std::optional<unsigned long long> start = start_time_in(*stat);
  if (s.tgid == 0 || !start) return std::nullopt;
  s.start_time = *start;
  return s;
}

}  // namespace

void ProcessImages::set(pid_t pid, const std::string& path) {
  if (std::optional<ProcStatus> s = read_status(pid)) images_[s->tgid] = Image{s->start_time, path};
}

void ProcessImages::set_for_process(pid_t tgid, const std::string& path) {
  if (std::optional<unsigned long long> start = start_time_of(tgid)) images_[tgid] = Image{*start, path};
}

std::optional<std::string> ProcessImages::image_of(pid_t pid) const {
  for (int depth = 0; depth < 64 && pid > 0; ++depth) {
    std::optional<ProcStatus> s = read_status(pid);
    if (!s) return std::nullopt;
    auto it = images_.find(s->tgid);
    if (it != images_.end()) {
      std::optional<ProcStatus> leader = s->tgid == pid ? s : read_status(s->tgid);
      if (leader && leader->start_time == it->second.start_time) return it->second.path;
    }
    pid = s->ppid;  // a forked child runs its parent's image until it execs
  }
  return std::nullopt;
}

std::optional<std::string> exe_link_target(const std::string& path, pid_t caller, const ProcessImages& images) {
  if (path != "/proc/self/exe" && path != "/proc/thread-self/exe") {
    // Only "/proc/<pid>/exe" can still be it: every other exec (nearly all)
    // skips the two /proc reads (~8 syscalls on each brokered exec).
    const std::string prefix = "/proc/", suffix = "/exe";
    if (path.size() <= prefix.size() + suffix.size() || path.compare(0, prefix.size(), prefix) != 0 ||
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) {
      return std::nullopt;
    }
    std::optional<ProcStatus> s = read_status(caller);
    if (!s || path != "/proc/" + std::to_string(s->tgid) + "/exe") return std::nullopt;
  }
  return images.image_of(caller);
}

}  // namespace sysgate::monitor
