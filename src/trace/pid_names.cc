#include "trace/pid_names.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

namespace sysgate::trace {
namespace {

constexpr size_t kCommBytes = 15;  // TASK_COMM_LEN less its NUL

// The bytes a task name keeps of s: up to its first NUL, at most 15.
std::string comm_of(const std::string& s) {
  const size_t end = s.find('\0');
  return s.substr(0, std::min(end == std::string::npos ? s.size() : end, kCommBytes));
}

bool is_task_id(int64_t v) { return v > 0 && v <= INT32_MAX; }

// Past this many ids a table starts afresh: records come from the traced
// program, which could name ids without end (names then come from /proc).
constexpr size_t kMaxIds = size_t{1} << 16;

template <typename Table>
void bound(Table& table) {
  if (table.size() > kMaxIds) table.clear();
}

}  // namespace

PidNames::Probe PidNames::system_probe() {
  return [](int32_t tid) -> std::optional<std::string> {
    const std::string path = "/proc/" + std::to_string(tid) + "/comm";
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    char buf[64];
    const ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n <= 0) return std::nullopt;
    std::string name(buf, static_cast<size_t>(n));
    if (!name.empty() && name.back() == '\n') name.pop_back();
    return name;
  };
}

bool PidNames::follows(int nr) {
  switch (nr) {
    case SYS_clone: case SYS_clone3: case SYS_fork: case SYS_vfork: case SYS_execve: case SYS_execveat:
    case SYS_prctl: case SYS_wait4: case SYS_waitid:
      return true;
    default:
      return false;
  }
}

std::string PidNames::exec_name(const std::string& path) {
  const size_t slash = path.rfind('/');
  return comm_of(slash == std::string::npos ? path : path.substr(slash + 1));
}

void PidNames::start(int32_t pid, std::string name) {
  if (names_.count(pid) == 0) names_[pid] = comm_of(name);
}

const std::string* PidNames::name(int32_t tid) {
  if (line_child_ && line_child_->first == tid) return &line_child_->second;
  if (tid <= 0 || reaped_.count(tid) != 0) return nullptr;
  if (const auto it = names_.find(tid); it != names_.end()) return &it->second;
  std::optional<std::string> probed = probe_ ? probe_(tid) : std::nullopt;
  if (!probed) {
    const auto owner = process_of_.find(tid);
    if (owner == process_of_.end() || owner->second == tid) return nullptr;
    const auto it = names_.find(owner->second);
    return it != names_.end() && reaped_.count(owner->second) == 0 ? &it->second : nullptr;
  }
  probed_ = std::move(*probed);
  return &probed_;
}

void PidNames::reap(int32_t pid) {
  names_.erase(pid);
  own_.erase(pid);
  reaped_.insert(pid);
}

void PidNames::before(const Record& r) {
  bound(process_of_);
  bound(names_);
  bound(own_);
  bound(reaped_);
  if (r.tid > 0 && r.pid > 0) process_of_[r.tid] = r.pid;
  if (r.kind != kRecordSyscall) return;
  // A child is named for its maker's line already: "clone(...) = 1234<sh>".
  if ((r.nr == SYS_clone || r.nr == SYS_clone3 || r.nr == SYS_fork || r.nr == SYS_vfork) && is_task_id(r.ret)) {
    const auto child = static_cast<int32_t>(r.ret);
    const std::string* maker = name(r.tid);
    // A child whose own exec or PR_SET_NAME came first keeps that name; the
    // fork's line still shows the name it had then, its maker's.
    if (reaped_.erase(child) == 0 && own_.count(child) != 0) {
      if (maker != nullptr) line_child_ = {child, *maker};
      return;
    }
    own_.erase(child);
    if (maker != nullptr) {
      names_[child] = *maker;
    } else {
      names_.erase(child);
    }
    return;
  }
}

std::optional<int32_t> PidNames::reaped_by(const Record& r) {
  if (r.kind != kRecordSyscall) return std::nullopt;
  if (r.nr == SYS_wait4 && is_task_id(r.ret)) {
    // Reaped unless the status says stopped or continued; without a status,
    // only a wait for neither can have returned.
    const Payload* status = r.payload(1);
    int st = 0;
    const bool known = status != nullptr && status->bytes.size() == sizeof st;
    if (known) std::memcpy(&st, status->bytes.data(), sizeof st);
    const bool ended = known ? WIFEXITED(st) || WIFSIGNALED(st) : (r.args[2] & (WUNTRACED | WCONTINUED)) == 0;
    if (ended) return static_cast<int32_t>(r.ret);
    return std::nullopt;
  }
  if (r.nr == SYS_waitid && r.ret == 0) {
    const uint64_t options = r.args[3];
    if ((options & WEXITED) == 0 || (options & WNOWAIT) != 0) return std::nullopt;
    const Payload* info = r.payload(2);
    if (info != nullptr && info->bytes.size() >= 20) {  // si_signo, si_errno, si_code, pad, si_pid
      int32_t signo = 0, code = 0, pid = 0;
      std::memcpy(&signo, info->bytes.data(), 4);
      std::memcpy(&code, info->bytes.data() + 8, 4);
      std::memcpy(&pid, info->bytes.data() + 16, 4);
      if (signo != 0 && (code == CLD_EXITED || code == CLD_KILLED || code == CLD_DUMPED) && pid > 0) return pid;
    } else if (info == nullptr && r.args[0] == P_PID && (options & (WSTOPPED | WCONTINUED)) == 0 &&
               is_task_id(static_cast<int64_t>(r.args[1]))) {
      return static_cast<int32_t>(r.args[1]);
    }
  }
  return std::nullopt;
}

void PidNames::after(const Record& r) {
  line_child_.reset();
  if (r.kind != kRecordSyscall) return;
  if (const std::optional<int32_t> child = reaped_by(r)) return reap(*child);
  switch (r.nr) {
    case SYS_execve:
    case SYS_execveat: {
      if (r.ret != 0) return;
      const int path_arg = r.nr == SYS_execve ? 0 : 1;
      const Payload* path = r.payload(path_arg);
      const bool of_descriptor = r.nr == SYS_execveat && static_cast<int32_t>(r.args[0]) != AT_FDCWD &&
                                 path != nullptr && path->bytes.empty();
      reaped_.erase(r.pid);
      own_.insert(r.pid);
      if (path == nullptr || path->truncated || of_descriptor) {
        names_.erase(r.pid);  // the file's own name: the system's answer
      } else {
        names_[r.pid] = exec_name(path->bytes);
      }
      return;
    }
    case SYS_prctl: {
      if (r.args[0] != PR_SET_NAME || r.ret != 0) return;
      const Payload* name = r.payload(1);
      if (name == nullptr) return;
      names_[r.tid] = comm_of(name->bytes);
      own_.insert(r.tid);
      return;
    }
    default:
      return;
  }
}

}  // namespace sysgate::trace
