// UniqueFd: owns one file descriptor and closes it when destroyed.
//
//   UniqueFd fd(::open("/etc/hostname", O_RDONLY | O_CLOEXEC));
//   if (!fd.valid()) return error;
//   read(fd.get(), ...);          // still owned
//   int raw = fd.release();       // ownership handed to the caller
//
// Move-only. Not thread-safe (like any value). Never use it between fork and
// exec: the destructor calls libc close(), which is async-signal-safe, but
// running destructors in a forked child is not.
#pragma once

#include <unistd.h>

#include <utility>

namespace sysgate::sandbox {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  bool valid() const { return fd_ >= 0; }
  int get() const { return fd_; }

  // Gives up ownership without closing; returns the descriptor (or -1).
  int release() { return std::exchange(fd_, -1); }

  // Closes the owned descriptor (if any) and takes ownership of fd.
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace sysgate::sandbox
