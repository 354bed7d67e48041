#include "monitor/exec_broker.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <string>

#include "monitor/caller_credentials.h"
#include "sandbox/notify.h"
#include "sandbox/unique_fd.h"

namespace sysgate::monitor {

namespace {

using sandbox::UniqueFd;

BrokerOutcome answered() { return {BrokerOutcome::Kind::kAnswered, std::nullopt}; }

// PROCMAP_QUERY (Linux 6.11, uapi/linux/fs.h; Debian 12's headers predate
// it): asks /proc/PID/maps for the one mapping that covers an address, where
// reading the file renders every mapping's line (~20-35 us here, on every
// brokered exec).
struct ProcmapQuery {
  uint64_t size;
  uint64_t query_flags;
  uint64_t query_addr;
  uint64_t vma_start;
  uint64_t vma_end;
  uint64_t vma_flags;
  uint64_t vma_page_size;
  uint64_t vma_offset;
  uint64_t inode;
  uint32_t dev_major;
  uint32_t dev_minor;
  uint32_t vma_name_size;
  uint32_t build_id_size;
  uint64_t vma_name_addr;
  uint64_t build_id_addr;
};
static_assert(sizeof(ProcmapQuery) == 104);
constexpr unsigned long kProcmapQuery = _IOWR('f', 17, ProcmapQuery);
constexpr uint64_t kVmaReadable = 0x01, kVmaWritable = 0x02;

// The same question from the file's text, for kernels without the ioctl.
bool writable_in_text(int maps_fd, uint64_t addr, uint64_t len) {
  std::string maps;
  char buf[4096];
  for (ssize_t n; (n = read(maps_fd, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    maps.append(buf, static_cast<size_t>(n));
  }
  size_t at = 0;
  while (at < maps.size()) {
    const size_t end_of_line = std::min(maps.find('\n', at), maps.size());
    const char* line = maps.c_str() + at;
    char* rest = nullptr;
    const unsigned long long begin = std::strtoull(line, &rest, 16);
    if (rest != nullptr && *rest == '-') {
      const unsigned long long end = std::strtoull(rest + 1, &rest, 16);
      if (begin <= addr && addr + len <= end) return rest[0] == ' ' && rest[1] == 'r' && rest[2] == 'w';
    }
    at = end_of_line + 1;
  }
  return false;
}

// Whether [addr, addr + len) lies in one readable and writable mapping of
// process pid. A write through /proc/PID/mem ignores page protections
// (FOLL_FORCE): without this, a program that named its own code as the buffer
// had the monitor write a path over its read-only text.
bool writable_in(pid_t pid, uint64_t addr, uint64_t len) {
  if (len == 0 || addr + len < addr) return false;
  UniqueFd maps(open(("/proc/" + std::to_string(pid) + "/maps").c_str(), O_RDONLY | O_CLOEXEC));
  if (!maps.valid()) return false;
  ProcmapQuery q{};
  q.size = sizeof q;
  q.query_addr = addr;  // no flags: the mapping that covers addr, or ENOENT
  if (ioctl(maps.get(), kProcmapQuery, &q) == 0) {
    const uint64_t rw = kVmaReadable | kVmaWritable;
    return (q.vma_flags & rw) == rw && q.vma_start <= addr && addr + len <= q.vma_end;
  }
  if (errno != ENOTTY && errno != EINVAL) return false;  // ENOENT: nothing mapped there
  return writable_in_text(maps.get(), addr, len);
}

std::string link_target(const std::string& link) {
  char buf[PATH_MAX];
  ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace

BrokerOutcome broker_exec(sandbox::Listener& listener, const sandbox::Notification& n, const Caller& caller,
                          const ResolvedFiles& files, ProcessImages& images) {
  const pid_t pid = static_cast<pid_t>(n.pid);
  const uint64_t* a = n.data.args;
  const bool at = n.data.nr == SYS_execveat;
  const int dirfd = at ? static_cast<int>(a[0]) : AT_FDCWD;
  const uint64_t path_addr = at ? a[1] : a[0];
  const int flags = at ? static_cast<int>(a[4]) : 0;
  if ((flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) != 0) {
    (void)listener.respond_error(n.id, EINVAL);
    return answered();
  }

  // 1. One copy of the path.
  sandbox::ProcessMemory memory(pid);
  bool truncated = false;
  std::optional<std::string> copied = memory.read_string(path_addr, PATH_MAX, &truncated);
  if (!copied) {
    (void)listener.respond_error(n.id, EFAULT);
    return answered();
  }
  if (truncated) {
    (void)listener.respond_error(n.id, ENAMETOOLONG);
    return answered();
  }
  // The kernel's exe link names the loader: re-exec'ing yourself means the
  // program the monitor started there (an absolute path, so no dirfd matters).
  const std::optional<std::string> own_image = exe_link_target(*copied, pid, images);
  const std::string& path = own_image ? *own_image : *copied;
  if (path.empty() && (flags & AT_EMPTY_PATH) == 0) {
    (void)listener.respond_error(n.id, ENOENT);
    return answered();
  }

  // 2. Where a relative path starts, as the process sees it; then check the pid
  // still names the process (the /proc links above could name a successor).
  const std::string base_link = "/proc/" + std::to_string(pid) + (dirfd == AT_FDCWD ? "/cwd" : "/fd/" + std::to_string(dirfd));
  UniqueFd base(open(base_link.c_str(), O_PATH | O_CLOEXEC));
  Result<bool> still_there = listener.id_valid(n.id);
  if (!still_there || !*still_there) return answered();
  if (!base.valid() && (path.empty() || path[0] != '/')) {
    (void)listener.respond_error(n.id, dirfd == AT_FDCWD ? ENOENT : EBADF);
    return answered();
  }

  // Steps 3 to 5 decide what the kernel would have decided for the caller:
  // with its credentials, on a thread that takes them, if it changed them
  // since it started (caller_credentials.h); else as the monitor is.
  struct Verdict {
    int error = 0;                  // answer with this errno
    std::optional<PathHint> refused;  // or refuse and report
    UniqueFd file;                  // or hand this over
    std::string real;
  } v;
  auto decide = [&] {
    // 3. Resolve our copy without side effects.
    UniqueFd object;
    if (path.empty()) {
      object = std::move(base);  // execveat(fd, "", AT_EMPTY_PATH): the fd itself
    } else {
      open_how how{};
      how.flags = O_PATH | O_CLOEXEC | ((flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0);
      how.resolve = RESOLVE_NO_MAGICLINKS;
      long fd = syscall(SYS_openat2, base.valid() ? base.get() : AT_FDCWD, path.c_str(), &how, sizeof how);
      if (fd < 0) {
        v.error = errno;
        return;
      }
      object.reset(static_cast<int>(fd));
    }

    // 4. Judge the object we hold: what execve itself would check, then the x right.
    // Only a regular file is ever opened (step 5): the open of a FIFO would wait,
    // and with it every notification behind this one.
    struct stat st {};
    if (fstat(object.get(), &st) != 0) {
      v.error = errno;
      return;
    }
    if (!S_ISREG(st.st_mode) || syscall(SYS_faccessat2, object.get(), "", X_OK, AT_EMPTY_PATH | AT_EACCESS) != 0) {
      v.error = EACCES;
      return;
    }
    v.real = link_target("/proc/self/fd/" + std::to_string(object.get()));
    // The x right is judged on the file's identity and its ancestors', as
    // Landlock would on a real exec, not on the name it has now (resolved_files.h).
    if (!files.empty() &&
        (v.real.empty() || v.real[0] != '/' || !files.allows_object(object.get(), v.real, policy::kExecute))) {
      v.refused = PathHint{v.real.empty() ? path : v.real, policy::kExecute};
      return;
    }

    // 5. Reopen that same file for reading, to hand it over (not close-on-exec:
    // the loader reads it after the exec that starts it).
    v.file.reset(open(("/proc/self/fd/" + std::to_string(object.get())).c_str(), O_RDONLY | O_CLOEXEC));
    struct stat again {};
    if (!v.file.valid() || fstat(v.file.get(), &again) != 0 || again.st_dev != st.st_dev || again.st_ino != st.st_ino) {
      v.error = v.file.valid() ? EACCES : errno;
      v.file.reset();
    }
  };
  if (caller.same_as_monitor) {
    decide();
  } else if (!caller.credentials || !as_caller(*caller.credentials, decide)) {
    v.error = EPERM;
  }
  if (v.refused) return {BrokerOutcome::Kind::kRefused, v.refused};
  if (v.error != 0 || !v.file.valid()) {
    (void)listener.respond_error(n.id, v.error != 0 ? v.error : EACCES);
    return answered();
  }
  const std::string& real = v.real;
  UniqueFd file = std::move(v.file);
  // The gate passes a buffer in the sixth argument (which exec does not read)
  // for the file's real path: the next image's /proc/self/exe (src/gate/exe_link.h).
  // Only the notifying process's own memory is written: its /proc/PID/mem is
  // opened first, and used only if the notification is still pending after
  // that (else the pid could name a successor by now).
  if (a[5] != 0 && !real.empty() && real.size() < PATH_MAX) {
    UniqueFd mem(open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_WRONLY | O_CLOEXEC));
    Result<bool> pending = listener.id_valid(n.id);
    if (mem.valid() && pending && *pending && writable_in(pid, a[5], real.size() + 1)) {
      (void)pwrite(mem.get(), real.c_str(), real.size() + 1, static_cast<off_t>(a[5]));
    }
  }
  // Recorded while the process still waits for us (after the answer it may be gone).
  if (caller.tgid > 0) {
    images.set_for_process(caller.tgid, real);
  } else {
    images.set(pid, real);
  }
  (void)listener.add_fd_and_respond(n.id, file.get(), /*cloexec=*/false);
  return answered();
}

}  // namespace sysgate::monitor
