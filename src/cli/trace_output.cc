#include "cli/trace_output.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

namespace sysgate::cli {

void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      struct pollfd writable = {fd, POLLOUT, 0};
      ::poll(&writable, 1, -1);
    } else if (n == 0 || errno != EINTR) {
      return;
    }
  }
}

// On this VM's ext4, truncating even a small file takes ~0.6 ms (a journalled
// transaction; creating a file takes ~0.05): with O_TRUNC, time the traced
// command waited for before its start. The file is emptied while the command
// starts instead (trace_command calls this once it is launched: see
// RunOptions::on_launched for why not sooner), before the first line is
// written. Only a regular file that holds something: O_TRUNC does nothing to
// the others either.
void TraceOutput::truncate_first(const std::string& path) {
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) return;
  truncation_ = std::thread([fd = fd_, path] {
    if (::ftruncate(fd, 0) != 0) {
      const int error = errno;
      std::cerr << "sysgate trace: cannot empty " << path << ": " << std::strerror(error) << "\n";
    }
  });
}

TraceOutput* TaskFiles::output(int32_t tid) {
  auto it = files_.find(tid);
  if (it == files_.end()) {
    if (files_.size() >= kMaxOpen) close_least_recent();
    const std::string path = base_ + "." + std::to_string(tid);
    const bool again = append_ || started_.count(tid) != 0;
    // Opened as the traced program runs, in a directory it may be able to
    // write: a name it planted must not lead the monitor (root, often)
    // elsewhere. No symlink is followed, and nothing but a regular file is
    // kept (O_NONBLOCK: a FIFO's open would wait for a reader; it is
    // refused instead, and O_TRUNC truncates only regular files).
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0666);
    struct stat st {};
    if (fd >= 0 && (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
      ::close(fd);
      fd = -1;
      errno = EINVAL;
    }
    if (fd >= 0 && !again && ::ftruncate(fd, 0) != 0) {
      ::close(fd);
      fd = -1;
    }
    if (fd >= 0 && (::fcntl(fd, F_SETFL, again ? O_APPEND : 0) != 0)) {
      ::close(fd);
      fd = -1;
    }
    if (fd < 0) {
      const int error = errno;
      if (!failed_) {
        std::cerr << "sysgate trace: cannot write " << path << ": "
                  << (error == ELOOP ? "a symbolic link (not followed)"
                      : error == EINVAL || error == ENXIO ? "not a regular file"
                                        : std::strerror(error))
                  << "\n";
      }
      failed_ = true;
      return nullptr;
    }
    started_.insert(tid);
    it = files_.emplace(tid, File{fd, TraceOutput(fd), 0}).first;
  }
  it->second.last_use = ++uses_;
  return &it->second.out;
}

void TaskFiles::close(int32_t tid) {
  auto it = files_.find(tid);
  if (it == files_.end()) return;
  it->second.out.flush();
  ::close(it->second.fd);
  files_.erase(it);
}

void TaskFiles::flush() {
  for (auto& [tid, file] : files_) file.out.flush();
}

void TaskFiles::close_all() {
  while (!files_.empty()) close(files_.begin()->first);
}

void TaskFiles::close_least_recent() {
  auto oldest = files_.begin();
  for (auto it = files_.begin(); it != files_.end(); ++it) {
    if (it->second.last_use < oldest->second.last_use) oldest = it;
  }
  close(oldest->first);
}

}  // namespace sysgate::cli
