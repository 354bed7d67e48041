#include "trace/traced_processes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

namespace sysgate::trace {

namespace {

// At most this many /proc descriptors are kept; past it they are all dropped
// (and opened again as needed).
constexpr size_t kMaxKept = 1024;

}  // namespace

TracedProcesses::~TracedProcesses() {
  for (const auto& [pid, dir] : dirs_) close(dir);
}

void TracedProcesses::set_region(int monitor_fd, int program_fd) {
  struct stat st {};
  if (monitor_fd < 0 || program_fd < 0 || fstat(monitor_fd, &st) != 0) return;
  region_dev_ = st.st_dev;
  region_ino_ = st.st_ino;
  program_fd_ = program_fd;
  monitor_pid_ = getpid();
}

bool TracedProcesses::holds_region(int dir) const {
  struct stat st {};
  const std::string link = "fd/" + std::to_string(program_fd_);
  return fstatat(dir, link.c_str(), &st, 0) == 0 && st.st_dev == region_dev_ && st.st_ino == region_ino_;
}

int TracedProcesses::proc_dir(int32_t pid) {
  // Never the monitor itself (which, before the launch, held the region at
  // that number too; runner.cc closes it once the command has its copy).
  if (program_fd_ < 0 || pid <= 0 || pid == monitor_pid_) return -1;
  // A kept descriptor still names the process it was opened for; while that
  // one lives and holds the region it answers (one fstatat).
  if (const auto it = dirs_.find(pid); it != dirs_.end()) {
    if (holds_region(it->second)) return it->second;
    close(it->second);
    dirs_.erase(it);
  }
  const std::string path = "/proc/" + std::to_string(pid);
  const int dir = open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return -1;
  if (!holds_region(dir)) {
    close(dir);
    return -1;
  }
  if (dirs_.size() >= kMaxKept) {
    for (const auto& [kept, fd] : dirs_) close(fd);
    dirs_.clear();
  }
  dirs_[pid] = dir;
  return dir;
}

}  // namespace sysgate::trace
