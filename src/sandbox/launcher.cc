// Launching a confined command: the parent/child handshake.
//
// The parent does everything that can fail with a useful message first: it
// resolves the executable like execvp (unless it is given as a descriptor),
// builds argv/envp, checks descriptors, and maps one MAP_SHARED anonymous
// "handoff" page. Then it forks. The child runs only raw syscalls on memory
// prepared by the parent (no allocation, no libc calls, no lazy PLT binding),
// because it is a fork of a possibly multi-threaded process:
//
//   0. with LaunchSpec::user, setgroups, setresgid, setresuid;
//   1. prctl(PR_SET_PDEATHSIG, SIGKILL), then exit if getppid() is no longer
//      the parent (it died before the prctl took effect);
//   2. signal handlers inherited from the parent are reset to SIG_DFL (the
//      parent blocked every signal around fork, so none ran in the child), then
//      the signal mask is emptied;
//   3. stdio dup2s (or closes: LaunchSpec::close_stdio), close_range(3, ~0,
//      CLOSE_RANGE_CLOEXEC), every descriptor but keep_fds, the Landlock
//      ruleset and the executable closed (the listener must find a free
//      number under the command's RLIMIT_NOFILE), keep_fds un-CLOEXEC'd;
//   4. chdir, prctl(PR_SET_NO_NEW_PRIVS), landlock_restrict_self + close,
//      prlimit64(RLIMIT_NOFILE) with LaunchSpec::nofile_limit;
//   5. seccomp(SET_MODE_FILTER, NEW_LISTENER|TSYNC|TSYNC_ESRCH) -> listener fd;
//   6. a release store of the listener fd number into the handoff page;
//   7. the exec: execve(path, argv, envp), or with LaunchSpec::executable_fd
//      execveat(executable_fd, "", argv, envp, AT_EMPTY_PATH).
// A failure in steps 0-5 writes (step, errno) to the page and exits 126.
//
// Why no syscall between 5 and 7: from step 5 on, the filter judges every
// syscall and the policy may allow almost nothing (a write(2) to a pipe, a
// futex wake, even getpid could be refused or kill). A plain memory store on a
// shared page needs no permission, so the only syscall after the filter is the
// exec itself.
//
// Why the filter must route the exec to a user notification: the listener fd
// exists only in the child and is O_CLOEXEC, so the parent must copy it
// (pidfd_getfd) *before* the exec closes it. Because the exec is a
// notification, the child blocks at the entry of its first exec until the
// parent answers, which gives the parent all the time it needs: it polls the
// page (and the pidfd, so a dead child is an error, not a hang), copies the fd,
// checks it really is a seccomp listener, and returns. The caller then calls
// release_first_exec(), which receives that first notification, checks it is
// exactly the exec the child makes (is_first_exec: execve, or execveat of
// executable_fd with the launcher's "" and AT_EMPTY_PATH), and answers
// CONTINUE; from then on the caller's monitor loop owns the listener. If the
// filter did not notify the exec, the child could exec before the copy and
// the parent could copy whatever the new program put under that fd number; the
// anon-inode check and release_first_exec (which must see that exec from the
// child) detect that.
//
// Why exec by descriptor: the parent opened the program with its own rights;
// the child, which may have taken a user's ids (step 0), then needs no
// search permission on the directories above it. The kernel still checks the
// file: the child's exec permission on it, Landlock's rights, noexec mounts.
//
// If the exec returns (the parent answered with an error, or the kernel failed
// the continued exec: ENOEXEC, Landlock's EACCES, ...), the child stores the
// errno in the page (plain store) and calls exit_group(127) in a loop; if even
// that is refused it executes ud2 and dies of SIGILL.
#include "sandbox/launcher.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <new>
#include <string_view>

#include "sandbox/landlock.h"
#include "sandbox/raw_syscall.h"
#include "sandbox/seccomp_install.h"

namespace sysgate::sandbox {
namespace {

// Steps of the child that can fail before the filter is installed.
enum class ChildStep : int32_t {
  kNone = 0,
  kUser,
  kPdeathsig,
  kSignals,
  kStdio,
  kCloseRange,
  kKeepFd,
  kChdir,
  kNoNewPrivs,
  kLandlock,
  kNofileLimit,
  kSeccomp,
};

enum HandoffState : uint32_t { kPending = 0, kReady = 1, kFailed = 2 };

// How long the parent yields instead of sleeping while it waits for the child's
// handoff: a start takes a few hundred microseconds; a slower one (a loaded
// machine, a huge filter) then costs 1 ms ticks, not a spinning CPU.
constexpr std::chrono::milliseconds kHandshakeSpin{20};

}  // namespace

// The shared page. Written by the child only before its execve succeeds (after
// a successful exec the child's address space no longer contains it), read by
// the parent; the parent still validates every field it reads.
struct Handoff {
  std::atomic<uint32_t> state;  // HandoffState; release-stored by the child
  std::atomic<int32_t> listener_fd;
  std::atomic<int32_t> failed_step;  // ChildStep
  std::atomic<int32_t> failed_errno;
  std::atomic<int32_t> exec_errno;  // set if the first execve returned
};
static_assert(std::atomic<uint32_t>::is_always_lock_free &&
                  std::atomic<int32_t>::is_always_lock_free,
              "the handoff page needs address-free atomics");

void HandoffUnmapper::operator()(Handoff* page) const {
  if (page) ::munmap(page, static_cast<size_t>(::sysconf(_SC_PAGESIZE)));
}

std::optional<int> LaunchedProcess::exec_error() const {
  if (!handoff) return std::nullopt;
  int32_t err = handoff->exec_errno.load(std::memory_order_acquire);
  if (err <= 0) return std::nullopt;
  return err;
}

namespace {

// --- the child -------------------------------------------------------------

// The path of an exec by descriptor. In static storage: the child, a fork,
// finds it at the same address, and is_first_exec compares that address.
constexpr char kEmptyPath[] = "";

// Everything the child needs, computed by the parent before fork.
struct ChildPlan {
  pid_t parent = 0;
  const char* path = nullptr;
  int executable_fd = -1;  // >= 0: execveat(executable_fd, kEmptyPath, ..., AT_EMPTY_PATH)
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* working_directory = nullptr;  // nullptr: inherit
  int landlock_fd = -1;
  int stdio[3] = {-1, -1, -1};
  bool close_stdio[3] = {false, false, false};
  const int* keep_fds = nullptr;
  size_t keep_count = 0;
  // Descriptors >= 3 open until the exec, sorted: keep_fds, the Landlock
  // ruleset, executable_fd. The child closes every other one.
  const int* survivors = nullptr;
  size_t survivor_count = 0;
  sock_fprog filter{};
  unsigned filter_flags = 0;
  Handoff* handoff = nullptr;
  // LaunchSpec::user: taken first (a change of ids clears the parent-death signal).
  bool set_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  const gid_t* groups = nullptr;
  size_t group_count = 0;
  // LaunchSpec::nofile_limit, as prlimit64 takes it.
  bool set_nofile = false;
  uint64_t nofile[2] = {0, 0};
};

// struct sigaction as the x86-64 kernel's rt_sigaction takes it.
struct KernelSigaction {
  unsigned long handler;
  unsigned long flags;
  unsigned long restorer;
  unsigned long mask;
};
constexpr long kSigsetSize = 8;
constexpr int kMaxSignal = 64;

// Child code is built without sanitizer instrumentation: ASan, for one, calls
// __asan_handle_no_return (which makes syscalls) before every noreturn call,
// and after the filter the child must make no syscall but execve.
#define SYSGATE_CHILD_CODE __attribute__((no_sanitize("address", "undefined")))

[[noreturn]] SYSGATE_CHILD_CODE void child_exit(int status) {
  for (;;) {
    raw_syscall(__NR_exit_group, status);
    __builtin_trap();  // exit_group refused by the filter: die of SIGILL
  }
}

[[noreturn]] SYSGATE_CHILD_CODE void child_fail(Handoff* h, ChildStep step, long neg_errno) {
  h->failed_step.store(static_cast<int32_t>(step), std::memory_order_relaxed);
  h->failed_errno.store(static_cast<int32_t>(-neg_errno), std::memory_order_relaxed);
  h->state.store(kFailed, std::memory_order_release);
  child_exit(126);
}

// Runs in the forked child. Raw syscalls on prepared memory only; never returns.
[[noreturn]] SYSGATE_CHILD_CODE void child_main(const ChildPlan& plan) {
  Handoff* h = plan.handoff;
  long r = 0;
  if (plan.set_user) {
    // Raw: this thread's ids only, and the child has no other thread.
    r = raw_syscall(__NR_setgroups, static_cast<long>(plan.group_count), reinterpret_cast<long>(plan.groups));
    if (r >= 0) r = raw_syscall(__NR_setresgid, plan.gid, plan.gid, plan.gid);
    if (r >= 0) r = raw_syscall(__NR_setresuid, plan.uid, plan.uid, plan.uid);
    if (r < 0) child_fail(h, ChildStep::kUser, r);
  }
  r = raw_syscall(__NR_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (r < 0) child_fail(h, ChildStep::kPdeathsig, r);
  if (raw_syscall(__NR_getppid) != plan.parent) child_exit(126);  // parent already gone

  for (int sig = 1; sig <= kMaxSignal; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    KernelSigaction old{};
    if (raw_syscall(__NR_rt_sigaction, sig, 0, reinterpret_cast<long>(&old), kSigsetSize) < 0) {
      continue;  // signal numbers the kernel rejects
    }
    if (old.handler == reinterpret_cast<unsigned long>(SIG_DFL) ||
        old.handler == reinterpret_cast<unsigned long>(SIG_IGN)) {
      continue;
    }
    KernelSigaction dfl{};
    dfl.handler = reinterpret_cast<unsigned long>(SIG_DFL);
    r = raw_syscall(__NR_rt_sigaction, sig, reinterpret_cast<long>(&dfl), 0, kSigsetSize);
    if (r < 0) child_fail(h, ChildStep::kSignals, r);
  }
  unsigned long empty_mask = 0;
  r = raw_syscall(__NR_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&empty_mask), 0,
                  kSigsetSize);
  if (r < 0) child_fail(h, ChildStep::kSignals, r);

  for (int target = 0; target < 3; ++target) {
    int source = plan.stdio[target];
    if (source < 0) continue;
    r = source == target ? raw_syscall(__NR_fcntl, target, F_SETFD, 0)
                         : raw_syscall(__NR_dup2, source, target);
    if (r < 0) child_fail(h, ChildStep::kStdio, r);
  }
  for (int target = 0; target < 3; ++target) {
    if (plan.close_stdio[target] && plan.stdio[target] < 0) raw_syscall(__NR_close, target);
  }
  r = raw_syscall(__NR_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
  if (r < 0) child_fail(h, ChildStep::kCloseRange, r);
  unsigned next = 3;  // the lowest descriptor not yet closed or kept
  for (size_t i = 0; i < plan.survivor_count; ++i) {
    const unsigned keep = static_cast<unsigned>(plan.survivors[i]);
    if (keep > next) {
      r = raw_syscall(__NR_close_range, next, keep - 1, 0);
      if (r < 0) child_fail(h, ChildStep::kCloseRange, r);
    }
    next = keep + 1;
  }
  r = raw_syscall(__NR_close_range, next, ~0U, 0);
  if (r < 0) child_fail(h, ChildStep::kCloseRange, r);
  for (size_t i = 0; i < plan.keep_count; ++i) {
    r = raw_syscall(__NR_fcntl, plan.keep_fds[i], F_SETFD, 0);
    if (r < 0) child_fail(h, ChildStep::kKeepFd, r);
  }

  if (plan.working_directory) {
    r = raw_syscall(__NR_chdir, reinterpret_cast<long>(plan.working_directory));
    if (r < 0) child_fail(h, ChildStep::kChdir, r);
  }
  r = raw_set_no_new_privs();
  if (r < 0) child_fail(h, ChildStep::kNoNewPrivs, r);
  if (plan.landlock_fd >= 0) {
    r = landlock::raw_restrict_self(plan.landlock_fd);
    if (r < 0) child_fail(h, ChildStep::kLandlock, r);
    raw_syscall(__NR_close, plan.landlock_fd);
  }
  if (plan.set_nofile) {
    // Last before the filter, whose listener is the one descriptor still to come.
    r = raw_syscall(__NR_prlimit64, 0, RLIMIT_NOFILE, reinterpret_cast<long>(plan.nofile), 0);
    if (r < 0) child_fail(h, ChildStep::kNofileLimit, r);
  }

  r = raw_install_filter(&plan.filter, plan.filter_flags);
  if (r < 0) child_fail(h, ChildStep::kSeccomp, r);
  // From here on: no syscall but the exec (see the top of this file).
  h->listener_fd.store(static_cast<int32_t>(r), std::memory_order_relaxed);
  h->state.store(kReady, std::memory_order_release);

  if (plan.executable_fd >= 0) {
    r = raw_syscall(__NR_execveat, plan.executable_fd, reinterpret_cast<long>(kEmptyPath),
                    reinterpret_cast<long>(plan.argv), reinterpret_cast<long>(plan.envp), AT_EMPTY_PATH);
  } else {
    r = raw_syscall(__NR_execve, reinterpret_cast<long>(plan.path), reinterpret_cast<long>(plan.argv),
                    reinterpret_cast<long>(plan.envp));
  }
  h->exec_errno.store(static_cast<int32_t>(-r), std::memory_order_release);
  child_exit(127);
}

// --- the parent ------------------------------------------------------------

Error system_error(const std::string& call, int err) {
  return make_error(ErrorCode::kSystem, call + ": " + std::strerror(err));
}

bool has_nul(const std::string& s) { return s.find('\0') != std::string::npos; }

std::string step_name(ChildStep step, const LaunchSpec& spec) {
  switch (step) {
    case ChildStep::kUser:
      return "taking the user's ids (setgroups, setresgid, setresuid)";
    case ChildStep::kPdeathsig:
      return "prctl(PR_SET_PDEATHSIG)";
    case ChildStep::kSignals:
      return "resetting signal handlers and mask";
    case ChildStep::kStdio:
      return "dup2 of stdio descriptors";
    case ChildStep::kCloseRange:
      return "close_range(3, ~0, CLOSE_RANGE_CLOEXEC)";
    case ChildStep::kKeepFd:
      return "fcntl(F_SETFD) on a kept descriptor";
    case ChildStep::kChdir:
      return "chdir(" + spec.working_directory + ")";
    case ChildStep::kNoNewPrivs:
      return "prctl(PR_SET_NO_NEW_PRIVS)";
    case ChildStep::kLandlock:
      return "landlock_restrict_self";
    case ChildStep::kNofileLimit:
      return "prlimit64(RLIMIT_NOFILE)";
    case ChildStep::kSeccomp:
      return "seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER|TSYNC|TSYNC_ESRCH)";
    case ChildStep::kNone:
      break;
  }
  return "an unknown step";
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    if (name) return std::string("was killed by SIG") + name;
    return "was killed by signal " + std::to_string(WTERMSIG(status));
  }
  return "changed state " + std::to_string(status);
}

// Kills (if still running) and reaps the child; used on every error after fork.
int kill_and_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

bool is_seccomp_listener(int fd) {
  char link[64] = {};
  std::string proc = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = ::readlink(proc.c_str(), link, sizeof(link) - 1);
  return n > 0 && std::string_view(link, static_cast<size_t>(n)) == "anon_inode:seccomp notify";
}

// Is candidate (relative to working_directory if relative) an executable
// regular file? 0, or the errno explaining why not.
int check_executable(const std::string& candidate, const std::string& working_directory) {
  std::string where = candidate;
  if (candidate[0] != '/' && !working_directory.empty())
    where = working_directory + "/" + candidate;
  struct stat st {};
  if (::stat(where.c_str(), &st) != 0) return errno;
  if (!S_ISREG(st.st_mode)) return EACCES;  // execve's answer for directories and devices
  if (::access(where.c_str(), X_OK) != 0) return errno;
  return 0;
}

struct Prepared {
  std::string path;
  std::vector<char*> argv;
  std::vector<char*> envp;
};

Result<Prepared> prepare(const LaunchSpec& spec) {
  if (spec.filter.instructions.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "launch: the seccomp filter is empty");
  }
  if (spec.filter.instructions.size() > bpf::kMaxInstructions) {
    return make_error(ErrorCode::kTooLarge, "launch: the seccomp filter has " +
                                                std::to_string(spec.filter.instructions.size()) +
                                                " instructions (the kernel's limit is " +
                                                std::to_string(bpf::kMaxInstructions) + ")");
  }
  if (has_nul(spec.executable) || has_nul(spec.working_directory)) {
    return make_error(ErrorCode::kInvalidArgument, "launch: a path contains a NUL byte");
  }
  for (const auto& list : {&spec.argv, &spec.env}) {
    for (const std::string& s : *list) {
      if (has_nul(s)) {
        return make_error(ErrorCode::kInvalidArgument,
                          "launch: an argument or environment string contains a NUL byte");
      }
    }
  }
  for (int fd : spec.stdio) {
    if (fd >= 0 && ::fcntl(fd, F_GETFD) < 0) {
      return system_error("launch: stdio descriptor " + std::to_string(fd), errno);
    }
  }
  for (int fd : spec.keep_fds) {
    if (fd < 3 || ::fcntl(fd, F_GETFD) < 0) {
      return make_error(
          ErrorCode::kInvalidArgument,
          "launch: keep_fds entry " + std::to_string(fd) + " is not an open descriptor >= 3");
    }
  }
  if (spec.landlock_ruleset_fd >= 0 && ::fcntl(spec.landlock_ruleset_fd, F_GETFD) < 0) {
    return system_error("launch: Landlock ruleset descriptor", errno);
  }
  // (>= 3: the stdio dup2s must not replace it; the child closes the ruleset's.)
  if (spec.executable_fd != -1 &&
      (spec.executable_fd < 3 || spec.executable_fd == spec.landlock_ruleset_fd ||
       ::fcntl(spec.executable_fd, F_GETFD) < 0)) {
    return make_error(ErrorCode::kInvalidArgument, "launch: executable_fd " + std::to_string(spec.executable_fd) +
                                                       " is not an open descriptor >= 3");
  }

  Prepared out;
  if (spec.executable_fd != -1) {
    if (spec.executable.empty()) return make_error(ErrorCode::kInvalidArgument, "no executable given");
    out.path = spec.executable;  // (not used: the child execs the descriptor)
  } else {
    Result<std::string> path = resolve_executable(spec.executable, spec.env, spec.working_directory);
    if (!path) return path.error();
    out.path = std::move(path).value();
  }
  if (spec.argv.empty()) {
    out.argv.push_back(const_cast<char*>(spec.executable.c_str()));
  } else {
    for (const std::string& a : spec.argv) out.argv.push_back(const_cast<char*>(a.c_str()));
  }
  out.argv.push_back(nullptr);
  for (const std::string& e : spec.env) out.envp.push_back(const_cast<char*>(e.c_str()));
  out.envp.push_back(nullptr);
  return out;
}

// Blocks every signal on the calling thread for its lifetime, so that no
// handler of the parent runs in the child between fork and the reset.
class BlockAllSignals {
 public:
  BlockAllSignals() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old_);
  }
  ~BlockAllSignals() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  BlockAllSignals(const BlockAllSignals&) = delete;
  BlockAllSignals& operator=(const BlockAllSignals&) = delete;

 private:
  sigset_t old_;
};

}  // namespace

Result<std::string> resolve_executable(const std::string& executable,
                                       const std::vector<std::string>& env,
                                       const std::string& working_directory) {
  if (executable.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "no executable given");
  }
  if (executable.find('/') != std::string::npos) {
    int err = check_executable(executable, working_directory);
    if (err == 0) return executable;
    if (err == ENOENT || err == ENOTDIR) {
      return make_error(ErrorCode::kNotFound, "executable " + executable + " does not exist");
    }
    return system_error("cannot execute " + executable, err);
  }

  std::string search = "/bin:/usr/bin";  // glibc's execvp default (confstr _CS_PATH)
  for (const std::string& entry : env) {
    if (entry.rfind("PATH=", 0) == 0) search = entry.substr(5);
  }
  int last_error = ENOENT;
  size_t start = 0;
  for (;;) {
    size_t end = search.find(':', start);
    std::string dir =
        search.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (dir.empty()) dir = ".";  // an empty PATH element means the working directory
    std::string candidate = dir + "/" + executable;
    int err = check_executable(candidate, working_directory);
    if (err == 0) return candidate;
    if (err != ENOENT && err != ENOTDIR) last_error = err;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (last_error == ENOENT) {
    return make_error(ErrorCode::kNotFound,
                      "command \"" + executable + "\" not found in PATH (" + search + ")");
  }
  return system_error(
      "cannot execute command \"" + executable + "\" found in PATH (" + search + ")", last_error);
}

Result<LaunchedProcess> launch(const LaunchSpec& spec) {
  Result<Prepared> prepared = prepare(spec);
  if (!prepared) return prepared.error();

  const size_t page_size = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  void* page =
      ::mmap(nullptr, page_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return system_error("mmap(handoff page)", errno);
  // A fresh anonymous mapping is zero-filled: every field starts at 0 (kPending).
  std::unique_ptr<Handoff, HandoffUnmapper> handoff(new (page) Handoff);

  ChildPlan plan;
  plan.parent = ::getpid();
  plan.path = prepared->path.c_str();
  plan.executable_fd = spec.executable_fd;
  plan.argv = prepared->argv.data();
  plan.envp = prepared->envp.data();
  plan.working_directory =
      spec.working_directory.empty() ? nullptr : spec.working_directory.c_str();
  plan.landlock_fd = spec.landlock_ruleset_fd;
  for (int i = 0; i < 3; ++i) {
    plan.stdio[i] = spec.stdio[static_cast<size_t>(i)];
    plan.close_stdio[i] = spec.close_stdio[static_cast<size_t>(i)];
  }
  plan.keep_fds = spec.keep_fds.data();
  plan.keep_count = spec.keep_fds.size();
  std::vector<int> survivors = spec.keep_fds;
  for (int fd : {spec.landlock_ruleset_fd, spec.executable_fd}) {
    if (fd >= 3) survivors.push_back(fd);
  }
  std::sort(survivors.begin(), survivors.end());
  survivors.erase(std::unique(survivors.begin(), survivors.end()), survivors.end());
  plan.survivors = survivors.data();
  plan.survivor_count = survivors.size();
  plan.filter = to_sock_fprog(spec.filter);
  plan.filter_flags = filter_flags({.tsync = true, .new_listener = true});
  plan.handoff = handoff.get();
  if (spec.user) {
    plan.set_user = true;
    plan.uid = spec.user->uid;
    plan.gid = spec.user->gid;
    plan.groups = spec.user->groups.data();
    plan.group_count = spec.user->groups.size();
  }
  if (spec.nofile_limit) {
    plan.set_nofile = true;
    plan.nofile[0] = spec.nofile_limit->first;
    plan.nofile[1] = spec.nofile_limit->second;
  }

  pid_t pid;
  {
    BlockAllSignals blocked;
    pid = ::fork();
    if (pid == 0) child_main(plan);
  }
  if (pid < 0) return system_error("fork", errno);

  long pidfd = raw_syscall(__NR_pidfd_open, pid, 0);
  if (pidfd < 0) {
    kill_and_reap(pid);
    return system_error("pidfd_open", static_cast<int>(-pidfd));
  }
  LaunchedProcess out;
  out.pid = pid;
  out.pidfd.reset(static_cast<int>(pidfd));
  out.executable_fd = spec.executable_fd;
  out.envp_address = reinterpret_cast<uint64_t>(plan.envp);

  // Wait for the child to publish its listener fd number (or its failure),
  // watching the pidfd so that a child that dies is noticed at once.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(spec.handshake_timeout_ms);
  // The child needs well under a millisecond from fork to its filter, and a
  // 1 ms poll tick would add up to a millisecond more to every start: yield for
  // the first kHandshakeSpin (checking the pidfd without sleeping), then sleep
  // in 1 ms ticks.
  const auto spin_until = std::chrono::steady_clock::now() + kHandshakeSpin;
  uint32_t state = kPending;
  for (;;) {
    state = handoff->state.load(std::memory_order_acquire);
    if (state != kPending) break;
    const bool spinning = std::chrono::steady_clock::now() < spin_until;
    if (spinning) ::sched_yield();
    pollfd p{out.pidfd.get(), POLLIN, 0};
    int ready = ::poll(&p, 1, spinning ? 0 : 1);
    if (ready > 0) {
      state = handoff->state.load(std::memory_order_acquire);
      if (state != kPending) break;
      int status = reap(pid);
      return make_error(ErrorCode::kSystem, "sandbox child " + describe_status(status) +
                                                " before installing its seccomp filter");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      kill_and_reap(pid);
      return make_error(ErrorCode::kSystem,
                        "sandbox child did not install its seccomp filter within " +
                            std::to_string(spec.handshake_timeout_ms) + " ms; killed");
    }
  }

  if (state == kFailed) {
    int32_t step = handoff->failed_step.load(std::memory_order_relaxed);
    int32_t err = handoff->failed_errno.load(std::memory_order_relaxed);
    kill_and_reap(pid);
    std::string what = step >= static_cast<int32_t>(ChildStep::kPdeathsig) &&
                               step <= static_cast<int32_t>(ChildStep::kSeccomp)
                           ? step_name(static_cast<ChildStep>(step), spec)
                           : "an unknown step";
    std::string message = "sandbox child: " + what + ": " +
                          (err > 0 && err < 4096 ? std::strerror(err) : "unknown error");
    if (static_cast<ChildStep>(step) == ChildStep::kSeccomp && err == EBUSY) {
      message += " (the caller already runs under a filter with a listener)";
    }
    return make_error(ErrorCode::kSystem, message);
  }
  if (state != kReady) {
    kill_and_reap(pid);
    return make_error(ErrorCode::kSystem, "sandbox child wrote an invalid handoff state");
  }

  int32_t remote_fd = handoff->listener_fd.load(std::memory_order_relaxed);
  if (remote_fd < 0) {
    kill_and_reap(pid);
    return make_error(ErrorCode::kSystem, "sandbox child reported an invalid listener fd");
  }
  long fd = raw_syscall(__NR_pidfd_getfd, out.pidfd.get(), remote_fd, 0);
  if (fd < 0) {
    kill_and_reap(pid);
    std::string call = "pidfd_getfd(listener " + std::to_string(remote_fd) + ")";
    if (fd == -EPERM) call += " (ptrace access to the child refused; check Yama ptrace_scope)";
    if (fd == -EBADF) call += " (the child already closed it: does the filter notify its exec?)";
    return system_error(call, static_cast<int>(-fd));
  }
  out.listener = Listener(UniqueFd(static_cast<int>(fd)));
  if (!is_seccomp_listener(out.listener.fd())) {
    kill_and_reap(pid);
    return make_error(ErrorCode::kSystem,
                      "the descriptor copied from the sandbox child is not a seccomp listener "
                      "(does the filter notify its exec?)");
  }
  out.handoff = std::move(handoff);
  return out;
}

bool is_first_exec(const bpf::SeccompData& data, int executable_fd) {
  if (data.arch != bpf::kArchX86_64) return false;
  if (executable_fd < 0) return data.nr == __NR_execve;
  return data.nr == __NR_execveat && data.args[0] == static_cast<uint64_t>(executable_fd) &&
         data.args[1] == reinterpret_cast<uint64_t>(kEmptyPath) && data.args[4] == AT_EMPTY_PATH;
}

Result<void> release_first_exec(LaunchedProcess& child, int timeout_ms) {
  Listener& listener = child.listener;
  const pid_t pid = child.pid;
  const char* const expected = child.executable_fd < 0 ? "execve" : "execveat of the executable's descriptor";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return make_error(ErrorCode::kSystem, std::string("no ") + expected + " notification from sandbox child " +
                                                std::to_string(pid) + " within " +
                                                std::to_string(timeout_ms) + " ms");
    }
    Result<Readiness> ready = listener.wait(static_cast<int>(left.count()));
    if (!ready) return ready.error();
    if (!ready->notification) {
      if (ready->no_targets) {
        return make_error(ErrorCode::kSystem,
                          "sandbox child " + std::to_string(pid) + " died before its first exec");
      }
      continue;
    }
    Result<std::optional<Notification>> received = listener.receive();
    if (!received) return received.error();
    // Gone: a signal interrupted the child's exec (it restarts and notifies
    // again) or killed the child (the next wait reports no_targets).
    if (!*received) continue;
    const Notification& n = **received;
    if (n.pid != static_cast<uint32_t>(pid) || !is_first_exec(n.data, child.executable_fd)) {
      (void)listener.respond_error(n.id, EPERM);
      return make_error(ErrorCode::kSystem, "first notification from the sandbox was syscall " +
                                                std::to_string(n.data.nr) + " from pid " +
                                                std::to_string(n.pid) + ", expected " + expected + " from " +
                                                std::to_string(pid));
    }
    Result<Reply> reply = listener.respond_continue(n.id);
    if (!reply) return reply.error();
    if (*reply == Reply::kTargetGone) continue;  // interrupted: it will notify again
    return {};
  }
}

}  // namespace sysgate::sandbox
