// Starts a command confined by a seccomp filter (and optionally a Landlock
// ruleset) and hands the caller the filter's user-notification listener.
//
//   LaunchSpec spec;
//   spec.executable = "echo";                       // searched in the PATH of spec.env
//   spec.argv = {"echo", "hello"};
//   spec.env = {"PATH=/usr/bin:/bin"};
//   spec.filter = program;                          // MUST route execve to SECCOMP_RET_USER_NOTIF
//   Result<LaunchedProcess> child = launch(spec);
//   if (!child) return child.error();               // e.g. kNotFound: command "echo" not found
//   if (auto r = release_first_exec(*child); !r) return r.error();
//   ...monitor loop on child->listener; reap child->pid (waitpid or child->pidfd)...
//
// With spec.executable_fd the child execs that descriptor instead of a path
// (execveat), and the filter must route execveat to SECCOMP_RET_USER_NOTIF.
//
// The handshake (why the filter must notify the first exec, why the child makes
// no syscall between installing the filter and its exec) is described at the
// top of launcher.cc. Every failure the parent can detect before fork is
// reported with a precise error; failures inside the child before the filter
// is installed come back through a shared page as "step: strerror".
//
// The child stays in the caller's process group and session (signals from the
// terminal reach it; sysgate forwards the rest). It is killed (SIGKILL) if the
// thread that called launch() exits (PR_SET_PDEATHSIG follows the parent
// *thread*): call launch() from a thread that outlives the child.
//
// Thread-safety: launch() may be called from several threads; it forks the
// calling process and briefly blocks all signals on the calling thread.
// Not async-signal-safe.
#pragma once

#include <sys/types.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "bpf/program.h"
#include "sandbox/notify.h"
#include "sandbox/unique_fd.h"
#include "sandbox/user_credentials.h"

namespace sysgate::sandbox {

struct LaunchSpec {
  // A path (contains '/'; relative paths are relative to working_directory) or a
  // command name searched like execvp in the PATH of env (default "/bin:/usr/bin").
  // Scripts need a "#!" line: there is no /bin/sh fallback on ENOEXEC.
  // With executable_fd it only names the program (argv[0] when argv is empty)
  // and is neither searched nor checked.
  std::string executable;
  // An open descriptor >= 3 of the program, or -1. Set: the child's exec is
  // execveat(executable_fd, "", argv, envp, AT_EMPTY_PATH) instead of an exec
  // by path, so no path is looked up with the child's ids: with `user`, a
  // program in a directory the user may not search (a build tree under a 0700
  // directory) still starts. The kernel still checks the file itself: the
  // user's exec permission on it, Landlock's rights, noexec mounts. The filter
  // must then notify execveat (322). The caller keeps ownership; the program
  // keeps the descriptor across the exec only if it is in keep_fds (a "#!"
  // script needs that: its interpreter opens /dev/fd/N).
  int executable_fd = -1;
  // argv[0] included. Empty: {executable}.
  std::vector<std::string> argv;
  // The complete environment, "NAME=value" each. Nothing is inherited implicitly.
  std::vector<std::string> env;
  // Installed with NEW_LISTENER|TSYNC|TSYNC_ESRCH. It must return
  // SECCOMP_RET_USER_NOTIF for the child's exec on x86-64: execve (59), or
  // execveat (322) with executable_fd — see launcher.cc.
  bpf::Program filter;
  // A Landlock ruleset fd (landlock::build_ruleset) enforced before the filter,
  // or -1. The caller keeps ownership; the child closes its copy.
  int landlock_ruleset_fd = -1;
  // chdir() here before confinement. Empty: inherit the caller's.
  std::string working_directory;
  // Descriptors dup2'ed onto the child's 0, 1, 2 (in that order); -1 inherits.
  std::array<int, 3> stdio = {-1, -1, -1};
  // Of 0, 1, 2 that inherit: closed in the child instead (the caller was
  // started without them and holds /dev/null there, inherited_fds.h).
  std::array<bool, 3> close_stdio = {false, false, false};
  // Descriptors >= 3 that stay open across execve. Every other descriptor of
  // the caller is closed at exec (close_range CLOEXEC), so supervisor fds
  // (listeners, pidfds, sockets) never leak into the sandbox.
  std::vector<int> keep_fds;
  // The child takes these ids first of all (setgroups, setresgid, setresuid:
  // the caller must be root), so everything after, the exec included, is the
  // user's. nullopt: the caller's ids.
  std::optional<UserIds> user;
  // The child's RLIMIT_NOFILE (soft, hard), set just before its filter; nullopt:
  // the caller's. The caller may have raised its own soft limit to place
  // descriptors high (runner.cc); the command starts with the limit it was given.
  std::optional<std::pair<uint64_t, uint64_t>> nofile_limit;
  // How long launch() waits for the child to install its filter.
  int handshake_timeout_ms = 10000;
};

// Shared page between parent and child; defined in launcher.cc.
struct Handoff;
struct HandoffUnmapper {
  void operator()(Handoff* page) const;
};

// A child blocked in (or past) its first exec. The caller reaps it.
struct LaunchedProcess {
  pid_t pid = -1;
  UniqueFd pidfd;     // O_CLOEXEC; poll it (readable when the child exits) or waitid(P_PIDFD)
  Listener listener;  // the filter's notification listener, owned by the parent
  // LaunchSpec::executable_fd: the exec release_first_exec must see (-1: execve).
  int executable_fd = -1;
  // The envp array the child's exec was given: its address here, which fork
  // made its address in the child too (`sysgate trace` prints it, as strace).
  uint64_t envp_address = 0;

  // The errno of the child's first exec if it failed (after release_first_exec
  // continued it, or after the caller answered it with an error); nullopt while
  // it has not returned, and forever once it succeeded. The child then exits 127.
  std::optional<int> exec_error() const;

  std::unique_ptr<Handoff, HandoffUnmapper> handoff;
};

// Resolves spec.executable the way launch() will: returns the path to execve.
// kNotFound when no candidate exists, kSystem (EACCES) when candidates exist but
// none is an executable regular file, kInvalidArgument for an empty name.
Result<std::string> resolve_executable(const std::string& executable,
                                       const std::vector<std::string>& env,
                                       const std::string& working_directory);

// Forks a child that confines itself (no_new_privs, Landlock, seccomp filter)
// and blocks in execve; returns once the parent holds the listener. Errors:
// kInvalidArgument (bad spec), kNotFound / kSystem (executable), kSystem (a
// syscall in the parent or a pre-filter step in the child failed, or the
// handshake timed out). On error no child is left behind (it is killed and reaped).
Result<LaunchedProcess> launch(const LaunchSpec& spec);

// Step 2 of starting a command: receives the child's first notification, checks
// it comes from child.pid and is the exec the child makes (is_first_exec), and
// lets the kernel run it (SECCOMP_USER_NOTIF_FLAG_CONTINUE). Anything else is
// answered EPERM and reported as an error, as is the child dying first. Waits
// at most timeout_ms.
Result<void> release_first_exec(LaunchedProcess& child, int timeout_ms = 10000);

// Whether data is exactly the exec launch()'s child makes, on x86-64: execve
// when executable_fd is -1; else execveat(executable_fd, "", argv, envp,
// AT_EMPTY_PATH) with the launcher's own "" (the child is a fork of this
// process: the address is the same), the three arguments equal in all 64 bits.
// Pure and thread-safe; release_first_exec's check.
bool is_first_exec(const bpf::SeccompData& data, int executable_fd);

}  // namespace sysgate::sandbox
