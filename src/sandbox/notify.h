// The supervisor's side of seccomp user notification: receive the syscalls a
// filter routed to SECCOMP_RET_USER_NOTIF, answer them, and read the target's
// memory to explain them.
//
//   Listener listener(UniqueFd(listener_fd));
//   for (;;) {
//     Result<Readiness> ready = listener.wait(/*timeout_ms=*/-1, signal_fd);
//     if (!ready) return ready.error();
//     if (ready->no_targets) break;                 // every filtered task has exited
//     if (!ready->notification) continue;
//     Result<std::optional<Notification>> n = listener.receive();
//     if (!n) return n.error();
//     if (!*n) continue;                            // target died or was interrupted
//     ProcessMemory memory((*n)->pid);
//     auto path = memory.read_string((*n)->data.args[1], 4096, nullptr);
//     Result<bool> still_waiting = listener.id_valid((*n)->id);   // see TOCTOU below
//     if (!still_waiting || !*still_waiting) continue;
//     listener.respond_error((*n)->id, EACCES);
//   }
//
// TOCTOU rules (why the broker, not this file, makes pointer decisions): the
// target's memory can change after it is read (other threads), and its pid can
// be reused once it dies. Check id_valid() after reading memory before trusting
// that the pid still names the target, and never continue (respond_continue) a
// syscall because of what its pointer arguments said.
//
// Thread-safety: a Listener is just an fd; all methods may be called from several
// threads at once (the kernel serialises). ProcessMemory is not thread-safe (it
// caches an fd); use one per thread. Nothing here is async-signal-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "base/result.h"
#include "bpf/program.h"
#include "sandbox/unique_fd.h"
#include "syscalls/call_format.h"

namespace sysgate::sandbox {

// One syscall waiting for an answer (struct seccomp_notif).
struct Notification {
  uint64_t id = 0;   // cookie for the answer; unique for the listener's lifetime
  uint32_t pid = 0;  // target thread id, in the listener owner's pid namespace (0: not visible)
  uint32_t flags = 0;
  bpf::SeccompData data;  // syscall number, arch, instruction pointer, arguments
};

// What became of an answer. kTargetGone (the kernel's ENOENT) is not an error:
// the target was killed, or a signal interrupted its syscall (it will restart or
// fail with EINTR and, if restarted, notify again). The supervisor moves on.
enum class Reply { kDelivered, kTargetGone };

// Result of wait(). All false: the timeout expired or a signal interrupted poll.
struct Readiness {
  bool notification = false;  // receive() will not block
  bool no_targets = false;    // every task using the filter has exited (POLLHUP)
  bool other = false;         // the other fd is readable (or hung up)
  bool extra = false;         // the extra fd is readable
};

class Listener {
 public:
  Listener() = default;
  explicit Listener(UniqueFd fd) : fd_(std::move(fd)) {}

  bool valid() const { return fd_.valid(); }
  // The listener fd, for the caller's own poll/epoll set. Still owned by this object.
  int fd() const { return fd_.get(); }

  // poll() on the listener and, if other_fd >= 0, on other_fd (a pidfd, a
  // signalfd, ...), and if extra_fd >= 0 on that too (an eventfd). timeout_ms
  // < 0 waits forever.
  Result<Readiness> wait(int timeout_ms, int other_fd = -1, int extra_fd = -1) const;

  // SECCOMP_IOCTL_NOTIF_RECV. Blocks until a notification is pending (retrying
  // EINTR); nullopt when the notification vanished before we got it (ENOENT).
  // Does not return when no task uses the filter any more: wait() first if that
  // can happen.
  Result<std::optional<Notification>> receive();

  // SECCOMP_IOCTL_NOTIF_ID_VALID: is the target still waiting on notification id?
  Result<bool> id_valid(uint64_t id) const;

  // The syscall fails with errno err (1..4095).
  Result<Reply> respond_error(uint64_t id, int err);
  // The syscall returns value (without running).
  Result<Reply> respond_value(uint64_t id, int64_t value);
  // The kernel runs the syscall as if the filter had allowed it
  // (SECCOMP_USER_NOTIF_FLAG_CONTINUE). Safe only when the decision does not
  // depend on the target's memory.
  Result<Reply> respond_continue(uint64_t id);

  // Installs a duplicate of local_fd in the target (O_CLOEXEC there if cloexec)
  // and, atomically, answers the syscall with that fd's number
  // (SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SEND). Returns the fd
  // number in the target; nullopt when the target is gone. local_fd stays ours.
  // Always answers: if the kernel refuses the descriptor (EBADF for an O_PATH
  // file, EMFILE when the target's table is full), the syscall fails with that
  // errno, and that error is returned.
  Result<std::optional<int>> add_fd_and_respond(uint64_t id, int local_fd, bool cloexec);

 private:
  Result<Reply> send(uint64_t id, int64_t value, int32_t error, uint32_t flags);
  UniqueFd fd_;
};

// Reads another process's memory (for display and for copying arguments the
// supervisor then owns). Uses process_vm_readv; if that is unavailable or
// refused, pread() on /proc/PID/mem. The caller needs ptrace-attach rights over
// the target (its parent, or root). Reads are snapshots: see the TOCTOU rules above.
class ProcessMemory : public syscalls::MemoryReader {
 public:
  enum class Method { kAuto, kProcMemOnly };  // kProcMemOnly: for tests of the fallback
  // Largest read_bytes() request served; longer ones return nullopt.
  static constexpr size_t kMaxRead = 16u << 20;

  explicit ProcessMemory(pid_t pid, Method method = Method::kAuto) : pid_(pid), method_(method) {}

  // Reads page by page so that a string ending just before an unmapped page is
  // still read; stops at the NUL. nullopt when the first max_len bytes are not all
  // readable and contain no NUL.
  std::optional<std::string> read_string(uint64_t addr, size_t max_len, bool* truncated) override;
  std::optional<std::string> read_bytes(uint64_t addr, size_t len) override;

 private:
  // Fills buf with up to len bytes at addr, never crossing into addresses that
  // fail; returns how many bytes were read (0 on failure).
  size_t read_some(uint64_t addr, char* buf, size_t len);
  size_t read_proc_mem(uint64_t addr, char* buf, size_t len);

  pid_t pid_;
  Method method_;
  UniqueFd mem_;  // /proc/PID/mem, opened on first need
  bool mem_failed_ = false;
};

}  // namespace sysgate::sandbox
