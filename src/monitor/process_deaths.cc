#include "monitor/process_deaths.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

namespace sysgate::monitor {
namespace {

// <linux/pidfd.h> of Linux 6.15 (Debian 12's headers predate it): the first
// 64 bytes of struct pidfd_info, PIDFD_INFO_SIZE_VER0.
struct PidfdInfo {
  uint64_t mask;
  uint64_t cgroupid;
  uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  int32_t exit_code;  // a wait status
};
static_assert(sizeof(PidfdInfo) == 64);
constexpr unsigned long kPidfdGetInfo = _IOWR(0xFF, 11, PidfdInfo);  // PIDFS_IOCTL_MAGIC, 11
constexpr uint64_t kPidfdInfoExit = 1u << 3;

}  // namespace

void ProcessDeaths::saw(pid_t pid, uint64_t tsc) {
  if (pid != last_) {
    last_ = pid;
    const auto it = watched_.find(pid);
    current_ = it != watched_.end() ? &it->second : nullptr;
    if (current_ == nullptr && pid > 0 && watched_.size() < kMaxWatched && seen_.size() < kMaxSeen &&
        seen_.insert(pid).second && std::find(ignored_.begin(), ignored_.end(), pid) == ignored_.end()) {
      const int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
      if (fd >= 0) current_ = &watched_.emplace(pid, Watch{sandbox::UniqueFd(fd), 0}).first->second;
    }
  }
  if (current_ != nullptr && tsc > current_->last_tsc) current_->last_tsc = tsc;
}

void ProcessDeaths::exited(pid_t pid) {
  watched_.erase(pid);
  last_ = 0;
  current_ = nullptr;
}

std::vector<ProcessDeaths::Killed> ProcessDeaths::collect(uint64_t now_tsc) {
  std::vector<Killed> killed;
  if (watched_.empty()) return killed;
  last_ = 0;  // entries may go
  current_ = nullptr;
  // One poll for all: a pidfd is readable once its process has ended, before
  // its parent reaps it.
  std::vector<pollfd> fds;
  fds.reserve(watched_.size());
  for (const auto& [pid, watch] : watched_) fds.push_back({watch.pidfd.get(), POLLIN, 0});
  if (poll(fds.data(), fds.size(), 0) <= 0) return killed;
  size_t i = 0;
  for (auto it = watched_.begin(); it != watched_.end(); ++i) {
    const int pidfd = it->second.pidfd.get();
    if ((fds[i].revents & (POLLIN | POLLHUP)) == 0) {
      ++it;
      continue;
    }
    if (it->second.ended_tsc == 0) it->second.ended_tsc = now_tsc;
    PidfdInfo info{};
    info.mask = kPidfdInfoExit;
    const bool answered = ioctl(pidfd, kPidfdGetInfo, &info) == 0;
    if (answered && (info.mask & kPidfdInfoExit) == 0 && syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0) == 0) {
      ++it;  // ended, but its status is recorded only as its parent reaps it: ask again later
      continue;
    }
    if (answered && (info.mask & kPidfdInfoExit) != 0 && WIFSIGNALED(info.exit_code)) {
      killed.push_back({it->first, WTERMSIG(info.exit_code), WCOREDUMP(info.exit_code) != 0,
                        std::max(it->second.last_tsc + 1, it->second.ended_tsc)});
    }
    it = watched_.erase(it);  // reported, exited itself, or no status to be had (a kernel before 6.15)
  }
  return killed;
}

}  // namespace sysgate::monitor
