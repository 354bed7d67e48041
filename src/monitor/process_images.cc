#include "monitor/process_images.h"

#include <fstream>
#include <sstream>

namespace sysgate::monitor {
namespace {

struct ProcStatus {
  pid_t tgid = 0;
  pid_t ppid = 0;
  unsigned long long start_time = 0;  // /proc/PID/stat field 22, clock ticks since boot
};

std::optional<ProcStatus> read_status(pid_t pid) {
  ProcStatus s;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Tgid:", 0) == 0) s.tgid = static_cast<pid_t>(std::stol(line.substr(5)));
    if (line.rfind("PPid:", 0) == 0) s.ppid = static_cast<pid_t>(std::stol(line.substr(5)));
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const size_t close = text.rfind(')');
  if (s.tgid == 0 || close == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 22) s.start_time = std::stoull(field);
  }
  return s;
}

}  // namespace

void ProcessImages::set(pid_t pid, const std::string& path) {
  if (std::optional<ProcStatus> s = read_status(pid)) images_[s->tgid] = Image{s->start_time, path};
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
    std::optional<ProcStatus> s = read_status(caller);
    if (!s || path != "/proc/" + std::to_string(s->tgid) + "/exe") return std::nullopt;
  }
  return images.image_of(caller);
}

}  // namespace sysgate::monitor
