#include "monitor/blocking_open.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

namespace sysgate::monitor {

using sandbox::UniqueFd;

namespace {

// Ends a waiting open (its handler does nothing). SIGURG is ignored by
// default and the monitor owns no socket the kernel would send it for.
constexpr int kInterrupt = SIGURG;

void do_nothing(int) {}

void install_interrupt_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_handler = do_nothing;  // no SA_RESTART: the open returns EINTR
    sigemptyset(&action.sa_mask);
    sigaction(kInterrupt, &action, nullptr);
  });
}

UniqueFd reopen(int object, int flags) {
  return UniqueFd(open(("/proc/self/fd/" + std::to_string(object)).c_str(), flags));
}

// Answers id with file if it is the object judged, else with EACCES; with
// open_errno if the open failed.
void answer(sandbox::Listener& listener, uint64_t id, int object, const UniqueFd& file, int open_errno,
            bool cloexec) {
  if (!file.valid()) {
    (void)listener.respond_error(id, open_errno);
    return;
  }
  struct stat a {}, b {};
  if (fstat(object, &a) != 0 || fstat(file.get(), &b) != 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
    (void)listener.respond_error(id, EACCES);
    return;
  }
  // On failure (EMFILE: the target's table is full) this answers with that errno itself.
  (void)listener.add_fd_and_respond(id, file.get(), cloexec);
}

}  // namespace

struct BlockingOpens::Running {
  std::mutex mutex;
  std::map<uint64_t, pthread_t> threads;  // notification id -> the thread opening for it
};

BlockingOpens::BlockingOpens(sandbox::Listener& listener)
    : listener_(listener), running_(std::make_shared<Running>()) {
  install_interrupt_handler();
}

// Character devices of major 1: /dev/null, zero, full, random, urandom.
constexpr unsigned kMemoryDevices = 1;

void BlockingOpens::reopen_and_answer(uint64_t id, UniqueFd object, int flags, bool cloexec) {
  struct stat st {};
  if (fstat(object.get(), &st) != 0) {
    (void)listener_.respond_error(id, errno);
    return;
  }
  // A regular file's open waits only to break another process's lease on it
  // (up to /proc/sys/fs/lease-break-time, 45 s; a sandboxed process can take
  // one with F_SETLEASE): with O_NONBLOCK it fails with EWOULDBLOCK instead,
  // and then waits on a thread like a FIFO's. O_NONBLOCK means nothing else
  // for a regular file, and is taken off again unless the caller asked for it.
  if (S_ISREG(st.st_mode)) {
    UniqueFd file = reopen(object.get(), flags | O_NONBLOCK);
    int open_errno = errno;
    if (file.valid() || open_errno != EWOULDBLOCK) {
      if (file.valid() && (flags & O_NONBLOCK) == 0) {
        const int now = fcntl(file.get(), F_GETFL);
        if (now < 0 || fcntl(file.get(), F_SETFL, now & ~O_NONBLOCK) != 0) {
          open_errno = errno;
          file.reset();
        }
      }
      answer(listener_, id, object.get(), file, open_errno, cloexec);
      return;
    }
  } else if (S_ISDIR(st.st_mode) || (S_ISCHR(st.st_mode) && major(st.st_rdev) == kMemoryDevices)) {
    // The memory devices (/dev/null, zero, full, random, urandom) open at
    // once too, and programs open them often: no thread for them.
    UniqueFd file = reopen(object.get(), flags);
    answer(listener_, id, object.get(), file, errno, cloexec);
    return;
  }
  // A bound on the monitor's threads (and their two descriptors each): a
  // program could otherwise start opens that wait by the thousand.
  if (waiting() >= kMaxWaiting) {
    (void)listener_.respond_error(id, EAGAIN);
    return;
  }
  sandbox::Listener own(UniqueFd(fcntl(listener_.fd(), F_DUPFD_CLOEXEC, 0)));
  if (!own.valid()) {
    (void)listener_.respond_error(id, errno);
    return;
  }
  // Registered before the thread can finish: it unregisters under this lock,
  // so no entry ever names a thread that is gone.
  std::lock_guard<std::mutex> lock(running_->mutex);
  try {
    std::thread thread(open_and_answer, running_, std::move(own), id, std::move(object), flags, cloexec);
    running_->threads[id] = thread.native_handle();
    thread.detach();
  } catch (const std::system_error&) {
    (void)listener_.respond_error(id, EAGAIN);  // no thread to spare
  }
}

void BlockingOpens::open_and_answer(std::shared_ptr<Running> running, sandbox::Listener listener, uint64_t id,
                                    UniqueFd object, int flags, bool cloexec) {
  // Signals for the process are the monitor thread's to take; this one takes only the interrupt.
  sigset_t others;
  sigfillset(&others);
  sigdelset(&others, kInterrupt);
  pthread_sigmask(SIG_SETMASK, &others, nullptr);

  UniqueFd file;
  int open_errno = 0;
  for (;;) {
    file = reopen(object.get(), flags);
    open_errno = errno;
    if (file.valid() || open_errno != EINTR) break;
    // Interrupted: by interrupt_abandoned() (nobody waits any more), or by a
    // stray signal while the caller still waits: then open again.
    Result<bool> pending = listener.id_valid(id);
    if (!pending || !*pending) break;
  }
  {
    std::lock_guard<std::mutex> lock(running->mutex);
    running->threads.erase(id);
  }
  answer(listener, id, object.get(), file, open_errno, cloexec);
}

size_t BlockingOpens::waiting() const {
  std::lock_guard<std::mutex> lock(running_->mutex);
  return running_->threads.size();
}

bool BlockingOpens::any_waiting() const { return waiting() != 0; }

void BlockingOpens::interrupt_abandoned() {
  // At most every kCheckEvery: each check asks the kernel about every waiting
  // notification, and each ask walks the filter's pending list (a reviewer's
  // 2000 waiting opens made every notification of the run take seconds).
  const auto now = std::chrono::steady_clock::now();
  if (now - last_check_ < kCheckEvery) return;
  last_check_ = now;
  // Under the lock: a listed thread cannot exit before it is unlisted, so its pthread_t stays valid.
  std::lock_guard<std::mutex> lock(running_->mutex);
  for (const auto& [id, thread] : running_->threads) {
    Result<bool> pending = listener_.id_valid(id);
    if (pending && !*pending) pthread_kill(thread, kInterrupt);
  }
}

}  // namespace sysgate::monitor
