#include "sandbox/notify.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "sandbox/seccomp_install.h"

namespace sysgate::sandbox {
namespace {

Error system_error(const std::string& call, int err) {
  return make_error(ErrorCode::kSystem, call + ": " + std::strerror(err));
}

// The kernel copies its own sizeof(struct seccomp_notif) / seccomp_notif_resp,
// which may exceed this program's headers on a newer kernel. Buffers handed to
// it are this large and zero-filled; the probe runs once.
constexpr size_t kBufferSize = 256;

struct BufferSizes {
  size_t notif = sizeof(seccomp_notif);
  size_t resp = sizeof(seccomp_notif_resp);
  bool fits = true;
};

const BufferSizes& buffer_sizes() {
  static const BufferSizes sizes = [] {
    BufferSizes s;
    Result<NotifSizes> probed = notif_sizes();
    if (probed) {
      s.notif = std::max<size_t>(s.notif, probed->notif);
      s.resp = std::max<size_t>(s.resp, probed->notif_resp);
    }
    s.fits = s.notif <= kBufferSize && s.resp <= kBufferSize;
    return s;
  }();
  return sizes;
}

Error too_large_error() {
  return make_error(ErrorCode::kUnsupported,
                    "the kernel's seccomp notification structs are larger than " +
                        std::to_string(kBufferSize) + " bytes; this build cannot use them");
}

}  // namespace

Result<Readiness> Listener::wait(int timeout_ms, int other_fd, int extra_fd) const {
  // A negative fd is ignored by poll (its revents stay 0).
  pollfd fds[3] = {{fd_.get(), POLLIN, 0}, {other_fd, POLLIN, 0}, {extra_fd, POLLIN, 0}};
  const nfds_t count = 3;
  int r = ::poll(fds, count, timeout_ms);
  Readiness ready;
  if (r < 0) {
    if (errno == EINTR) return ready;
    return system_error("poll(seccomp listener)", errno);
  }
  if (fds[0].revents & (POLLNVAL | POLLERR)) {
    return make_error(ErrorCode::kSystem, "poll(seccomp listener): listener fd is not usable");
  }
  ready.notification = (fds[0].revents & POLLIN) != 0;
  ready.no_targets = (fds[0].revents & POLLHUP) != 0;
  ready.other = other_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
  ready.extra = extra_fd >= 0 && (fds[2].revents & POLLIN) != 0;
  return ready;
}

Result<std::optional<Notification>> Listener::receive() {
  const BufferSizes& sizes = buffer_sizes();
  if (!sizes.fits) return too_large_error();
  alignas(seccomp_notif) unsigned char buffer[kBufferSize];
  for (;;) {
    // The kernel rejects a buffer that is not zero-filled (EINVAL).
    std::memset(buffer, 0, sizeof(buffer));
    if (::ioctl(fd_.get(), SECCOMP_IOCTL_NOTIF_RECV, buffer) == 0) break;
    if (errno == EINTR) continue;
    if (errno == ENOENT) return std::optional<Notification>();
    return system_error("ioctl(SECCOMP_IOCTL_NOTIF_RECV)", errno);
  }
  seccomp_notif raw;
  std::memcpy(&raw, buffer, sizeof(raw));
  Notification n;
  n.id = raw.id;
  n.pid = raw.pid;
  n.flags = raw.flags;
  n.data.nr = raw.data.nr;
  n.data.arch = raw.data.arch;
  n.data.instruction_pointer = raw.data.instruction_pointer;
  for (int i = 0; i < 6; ++i) n.data.args[i] = raw.data.args[i];
  return std::optional<Notification>(n);
}

Result<bool> Listener::id_valid(uint64_t id) const {
  uint64_t cookie = id;
  if (::ioctl(fd_.get(), SECCOMP_IOCTL_NOTIF_ID_VALID, &cookie) == 0) return true;
  if (errno == ENOENT) return false;
  return system_error("ioctl(SECCOMP_IOCTL_NOTIF_ID_VALID)", errno);
}

Result<Reply> Listener::send(uint64_t id, int64_t value, int32_t error, uint32_t flags) {
  const BufferSizes& sizes = buffer_sizes();
  if (!sizes.fits) return too_large_error();
  alignas(seccomp_notif_resp) unsigned char buffer[kBufferSize] = {};
  seccomp_notif_resp resp{};
  resp.id = id;
  resp.val = value;
  resp.error = error;
  resp.flags = flags;
  std::memcpy(buffer, &resp, sizeof(resp));
  for (;;) {
    if (::ioctl(fd_.get(), SECCOMP_IOCTL_NOTIF_SEND, buffer) == 0) return Reply::kDelivered;
    if (errno == EINTR) continue;  // nothing was delivered; safe to retry
    if (errno == ENOENT) return Reply::kTargetGone;
    return system_error("ioctl(SECCOMP_IOCTL_NOTIF_SEND)", errno);
  }
}

Result<Reply> Listener::respond_error(uint64_t id, int err) {
  if (err <= 0 || err > 4095) {
    return make_error(ErrorCode::kInvalidArgument,
                      "respond_error: errno " + std::to_string(err) + " is out of range 1..4095");
  }
  return send(id, 0, -err, 0);
}

Result<Reply> Listener::respond_value(uint64_t id, int64_t value) { return send(id, value, 0, 0); }

Result<Reply> Listener::respond_continue(uint64_t id) {
  return send(id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
}

Result<std::optional<int>> Listener::add_fd_and_respond(uint64_t id, int local_fd, bool cloexec) {
  seccomp_notif_addfd addfd{};
  addfd.id = id;
  addfd.flags = SECCOMP_ADDFD_FLAG_SEND;
  addfd.srcfd = static_cast<uint32_t>(local_fd);
  addfd.newfd = 0;
  addfd.newfd_flags = cloexec ? O_CLOEXEC : 0;
  for (;;) {
    int r = ::ioctl(fd_.get(), SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
    if (r >= 0) return std::optional<int>(r);
    // EINTR: the kernel withdrew the request before the target took it; retry.
    if (errno == EINTR) continue;
    if (errno == ENOENT) return std::optional<int>();
    // Any other failure leaves the notification unanswered, and its caller
    // would wait for ever: answer it with that error. EBADF: the kernel takes
    // no O_PATH file (fget() refuses FMODE_PATH); EMFILE: the target's
    // descriptor table is full (RLIMIT_NOFILE).
    const int err = errno;
    (void)respond_error(id, err);
    return system_error("ioctl(SECCOMP_IOCTL_NOTIF_ADDFD, SEND)", err);
  }
}

// --- ProcessMemory ---------------------------------------------------------

size_t ProcessMemory::read_proc_mem(uint64_t addr, char* buf, size_t len) {
  if (!mem_.valid()) {
    if (mem_failed_) return 0;
    std::string path = "/proc/" + std::to_string(pid_) + "/mem";
    mem_.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!mem_.valid()) {
      mem_failed_ = true;
      return 0;
    }
  }
  if (addr > static_cast<uint64_t>(INT64_MAX)) return 0;  // not a user address
  size_t done = 0;
  while (done < len) {
    ssize_t r = ::pread(mem_.get(), buf + done, len - done, static_cast<off_t>(addr + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    done += static_cast<size_t>(r);
  }
  return done;
}

size_t ProcessMemory::read_some(uint64_t addr, char* buf, size_t len) {
  if (len == 0 || addr + len < addr) return 0;  // empty or wraps around
  if (method_ == Method::kProcMemOnly) return read_proc_mem(addr, buf, len);
  size_t done = 0;
  while (done < len) {
    iovec local{buf + done, len - done};
    iovec remote{reinterpret_cast<void*>(addr + done), len - done};
    ssize_t r = ::process_vm_readv(pid_, &local, 1, &remote, 1, 0);
    if (r > 0) {
      done += static_cast<size_t>(r);
      continue;
    }
    if (r == 0 || errno == EFAULT || errno == ESRCH) break;  // unmapped, or target gone
    // ENOSYS (kernel without CONFIG_CROSS_MEMORY_ATTACH), EPERM, ...: try /proc.
    return done + read_proc_mem(addr + done, buf + done, len - done);
  }
  return done;
}

std::optional<std::string> ProcessMemory::read_bytes(uint64_t addr, size_t len) {
  if (len > kMaxRead) return std::nullopt;
  std::string out(len, '\0');
  if (len == 0) return out;
  if (read_some(addr, out.data(), len) != len) return std::nullopt;
  return out;
}

std::optional<std::string> ProcessMemory::read_string(uint64_t addr, size_t max_len,
                                                      bool* truncated) {
  if (truncated) *truncated = false;
  if (max_len > kMaxRead) max_len = kMaxRead;
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  // One byte past max_len tells "exactly max_len bytes, then NUL" from "longer".
  const size_t want = max_len + 1;
  std::string out;
  char chunk[4096 * 2];
  while (out.size() < want) {
    uint64_t at = addr + out.size();
    if (at < addr) return std::nullopt;  // wrapped around the address space
    size_t to_page_end = static_cast<size_t>(page - (at % page));
    size_t n = std::min({to_page_end, want - out.size(), sizeof(chunk)});
    size_t got = read_some(at, chunk, n);
    const char* nul = static_cast<const char*>(std::memchr(chunk, '\0', got));
    if (nul) {
      out.append(chunk, static_cast<size_t>(nul - chunk));
      return out;
    }
    out.append(chunk, got);
    if (got < n) break;  // the next byte is unreadable
  }
  if (out.size() < max_len) return std::nullopt;  // ran into unreadable memory first
  out.resize(max_len);
  if (truncated) *truncated = true;
  return out;
}

}  // namespace sysgate::sandbox
