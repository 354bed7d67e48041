// The broker's last step: open again the object it judged, with the caller's
// flags, and hand the result over. Opening can wait: a FIFO's open waits for
// its other end, some devices' for a carrier, a regular file's for another
// process to give up its lease on it. Natively only the calling thread
// waits; the monitor answers every process of the sandbox from one thread, so
// such an open runs on a thread of its own, which answers the notification
// when the open returns (seccomp lets any holder of the listener answer, at
// any time; the caller waits until then, as it would natively).
//
//   BlockingOpens opens(listener);                    // one per monitor
//   opens.reopen_and_answer(n.id, std::move(object), O_RDONLY | O_CLOEXEC, false);
//   ...                                               // in the monitor's loop:
//   if (opens.any_waiting()) opens.interrupt_abandoned();   // now and then
//
// A thread whose caller no longer waits (killed, or its call interrupted by a
// signal; the kernel then restarts the call, which notifies anew) would wait on
// for nothing: interrupt_abandoned() ends its open with SIGURG, for which the
// first BlockingOpens installs a handler that does nothing (without
// SA_RESTART, so the open fails with EINTR). Threads still waiting when the
// process exits end with it: they never keep sysgate alive.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "sandbox/notify.h"
#include "sandbox/unique_fd.h"

namespace sysgate::monitor {

class BlockingOpens {
 public:
  // listener: the monitor's, which must outlive this object (the threads
  // answer through their own duplicates of it).
  explicit BlockingOpens(sandbox::Listener& listener);

  // Opens object (an O_PATH descriptor the broker judged) again with flags,
  // checks that it got the same file (device and inode), and answers
  // notification id with it, installed in the target (O_CLOEXEC there if
  // cloexec), or with the open's errno (EACCES if the file differs). A
  // directory, a memory device (/dev/null and the like) or a regular file no
  // lease holds is opened now, on this thread; anything else (a FIFO, another
  // device, a leased file) on a detached thread that owns object and its copy
  // of the listener, and this returns at once. Called by the monitor's thread
  // only.
  void reopen_and_answer(uint64_t id, sandbox::UniqueFd object, int flags, bool cloexec);

  // Whether an open started by reopen_and_answer still runs, and how many.
  // Thread-safe.
  bool any_waiting() const;
  size_t waiting() const;

  // Past this many waiting opens, the next one is answered EAGAIN.
  static constexpr size_t kMaxWaiting = 256;

  // Interrupts each running open whose notification is no longer pending;
  // does nothing if it last looked less than kCheckEvery ago. A signal that
  // lands just before its open starts is lost: call again later.
  void interrupt_abandoned();
  static constexpr std::chrono::milliseconds kCheckEvery{100};

 private:
  struct Running;  // the opens that run on threads, shared with those threads
  static void open_and_answer(std::shared_ptr<Running> running, sandbox::Listener listener, uint64_t id,
                              sandbox::UniqueFd object, int flags, bool cloexec);

  sandbox::Listener& listener_;
  std::shared_ptr<Running> running_;
  std::chrono::steady_clock::time_point last_check_{};
};

}  // namespace sysgate::monitor
