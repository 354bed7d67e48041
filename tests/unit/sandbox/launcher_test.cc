// Real-kernel tests of the launcher: real programs started under hand-written
// filters, the test acting as the monitor.
#include "sandbox/launcher.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "sandbox/landlock.h"
#include "test_support.h"

namespace sysgate::sandbox {
namespace {

using test_support::describe_status;
using test_support::errno_verdict;
using test_support::filter_with;
using test_support::TempDir;

const std::vector<std::string> kEnv = {"PATH=/usr/bin:/bin", "LC_ALL=C"};

// execve -> USER_NOTIF, everything else allowed.
bpf::Program exec_notifying_filter() {
  return filter_with({{__NR_execve, SECCOMP_RET_USER_NOTIF}}, SECCOMP_RET_ALLOW);
}

int wait_status(pid_t pid) {
  int status = -1;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

bool exited_with(int status, int code) { return WIFEXITED(status) && WEXITSTATUS(status) == code; }

struct Pipe {
  Pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) == 0) {
      read_end.reset(fds[0]);
      write_end.reset(fds[1]);
    }
  }
  std::string drain() {
    write_end.reset();
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(read_end.get(), buf, sizeof(buf))) > 0)
      out.append(buf, static_cast<size_t>(n));
    return out;
  }
  UniqueFd read_end, write_end;
};

// Launches spec, releases its first exec, returns {status, stdout, stderr}.
// (Outputs are small: stdout is drained before stderr.)
struct RunResult {
  int status = -1;
  std::string out;
  std::string err;
  std::optional<int> exec_error;
};
RunResult run_confined(LaunchSpec spec) {
  Pipe pipe, err_pipe;
  spec.stdio[1] = pipe.write_end.get();
  spec.stdio[2] = err_pipe.write_end.get();
  Result<LaunchedProcess> child = launch(spec);
  if (!child.ok()) {
    ADD_FAILURE() << child.error().describe();
    return {};
  }
  Result<void> released = release_first_exec(child->listener, child->pid);
  EXPECT_TRUE(released.ok()) << (released.ok() ? "" : released.error().describe());
  RunResult r;
  r.out = pipe.drain();
  r.err = err_pipe.drain();
  r.status = wait_status(child->pid);
  r.exec_error = child->exec_error();
  return r;
}

// Pids (live or zombie) whose parent is this process, from /proc/*/stat.
std::set<pid_t> children() {
  std::set<pid_t> out;
  const pid_t self = ::getpid();
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    size_t close_paren = line.rfind(')');
    if (close_paren == std::string::npos) continue;
    char state;
    pid_t ppid = 0;
    if (std::sscanf(line.c_str() + close_paren + 1, " %c %d", &state, &ppid) == 2 && ppid == self) {
      out.insert(static_cast<pid_t>(std::atoi(entry.path().filename().c_str())));
    }
  }
  return out;
}

TEST(ResolveExecutable, SearchesPathLikeExecvp) {
  Result<std::string> r = resolve_executable("true", kEnv, "");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(*r, "/usr/bin/true");
  Result<std::string> with_default = resolve_executable("true", {}, "");
  ASSERT_TRUE(with_default.ok()) << with_default.error().describe();
  EXPECT_EQ(*with_default, "/bin/true");
  Result<std::string> absolute = resolve_executable("/bin/true", {}, "");
  ASSERT_TRUE(absolute.ok());
  EXPECT_EQ(*absolute, "/bin/true");
}

TEST(ResolveExecutable, ExplainsFailures) {
  Result<std::string> missing = resolve_executable("sysgate-no-such-command", kEnv, "");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message,
            "command \"sysgate-no-such-command\" not found in PATH (/usr/bin:/bin)");

  Result<std::string> missing_path = resolve_executable("/nonexistent/prog", kEnv, "");
  ASSERT_FALSE(missing_path.ok());
  EXPECT_EQ(missing_path.error().code, ErrorCode::kNotFound);

  TempDir tmp;
  std::string plain = tmp.write_file("plain", "not executable");
  Result<std::string> not_exec = resolve_executable(plain, kEnv, "");
  ASSERT_FALSE(not_exec.ok());
  EXPECT_EQ(not_exec.error().code, ErrorCode::kSystem);
  EXPECT_NE(not_exec.error().message.find("Permission denied"), std::string::npos);

  Result<std::string> directory = resolve_executable(tmp.path(), kEnv, "");
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.error().code, ErrorCode::kSystem);

  // Relative to the working directory the child will chdir to.
  ASSERT_EQ(::chmod(plain.c_str(), 0755), 0);
  Result<std::string> relative = resolve_executable("./plain", kEnv, tmp.path());
  ASSERT_TRUE(relative.ok()) << relative.error().describe();
  EXPECT_EQ(*relative, "./plain");
}

TEST(Launcher, RunsTrue) {
  const std::set<pid_t> before = children();
  LaunchSpec spec;
  spec.executable = "/bin/true";
  spec.env = kEnv;
  spec.filter = exec_notifying_filter();
  RunResult r = run_confined(spec);
  EXPECT_TRUE(exited_with(r.status, 0)) << describe_status(r.status);
  EXPECT_EQ(r.exec_error, std::nullopt);
  EXPECT_EQ(children(), before);
}

TEST(Launcher, RunsEchoFoundInPath) {
  LaunchSpec spec;
  spec.executable = "echo";
  spec.argv = {"echo", "hello", "sandbox"};
  spec.env = kEnv;
  spec.filter = exec_notifying_filter();
  RunResult r = run_confined(spec);
  EXPECT_EQ(r.out, "hello sandbox\n");
  EXPECT_TRUE(exited_with(r.status, 0)) << describe_status(r.status);
}

TEST(Launcher, PassesEnvironmentAndWorkingDirectory) {
  TempDir tmp;
  LaunchSpec spec;
  spec.executable = "sh";
  spec.argv = {"sh", "-c", "echo \"$GREETING\"; pwd"};
  spec.env = {"PATH=/usr/bin:/bin", "GREETING=hi there"};
  spec.working_directory = tmp.path();
  spec.filter = exec_notifying_filter();
  RunResult r = run_confined(spec);
  EXPECT_EQ(r.out, "hi there\n" + tmp.path() + "\n");
  EXPECT_TRUE(exited_with(r.status, 0)) << describe_status(r.status);
}

TEST(Launcher, ReportsAMissingExecutable) {
  const std::set<pid_t> before = children();
  LaunchSpec spec;
  spec.executable = "sysgate-no-such-command";
  spec.env = kEnv;
  spec.filter = exec_notifying_filter();
  Result<LaunchedProcess> child = launch(spec);
  ASSERT_FALSE(child.ok());
  EXPECT_EQ(child.error().code, ErrorCode::kNotFound);
  EXPECT_NE(child.error().message.find("sysgate-no-such-command"), std::string::npos);
  EXPECT_EQ(children(), before);
}

TEST(Launcher, RejectsAnEmptyFilter) {
  LaunchSpec spec;
  spec.executable = "/bin/true";
  Result<LaunchedProcess> child = launch(spec);
  ASSERT_FALSE(child.ok());
  EXPECT_EQ(child.error().code, ErrorCode::kInvalidArgument);
}

// A failure inside the child before the filter comes back through the page.
TEST(Launcher, ReportsAChildStepFailure) {
  const std::set<pid_t> before = children();
  LaunchSpec spec;
  spec.executable = "/bin/true";
  spec.env = kEnv;
  spec.working_directory = "/nonexistent-sysgate-dir";
  spec.filter = exec_notifying_filter();
  Result<LaunchedProcess> child = launch(spec);
  ASSERT_FALSE(child.ok());
  EXPECT_EQ(child.error().code, ErrorCode::kSystem);
  EXPECT_EQ(child.error().message,
            "sandbox child: chdir(/nonexistent-sysgate-dir): No such file or directory");
  EXPECT_EQ(children(), before);  // the failed child was reaped
}

// The filter refuses everything except execve (notified) and exit_group: the
// child must still get from installing the filter to execve. With KILL_PROCESS
// as the default verdict this also proves no syscall happens in between.
class DenyAllFilter : public ::testing::TestWithParam<uint32_t> {};

TEST_P(DenyAllFilter, HandshakeStillWorks) {
  bpf::Program deny_all = filter_with(
      {{__NR_execve, SECCOMP_RET_USER_NOTIF}, {__NR_exit_group, SECCOMP_RET_ALLOW}}, GetParam());
  LaunchSpec spec;
  spec.executable = "/bin/true";
  spec.env = kEnv;
  spec.filter = deny_all;
  Result<LaunchedProcess> child = launch(spec);
  ASSERT_TRUE(child.ok()) << child.error().describe();

  // Answer the first execve with an error: the child records it and exits 127.
  Result<Readiness> ready = child->listener.wait(5000);
  ASSERT_TRUE(ready.ok());
  ASSERT_TRUE(ready->notification);
  Result<std::optional<Notification>> n = child->listener.receive();
  ASSERT_TRUE(n.ok() && n->has_value());
  EXPECT_EQ((*n)->data.nr, __NR_execve);
  EXPECT_EQ((*n)->pid, static_cast<uint32_t>(child->pid));
  ASSERT_TRUE(child->listener.respond_error((*n)->id, EACCES).ok());
  int status = wait_status(child->pid);
  EXPECT_TRUE(exited_with(status, 127)) << describe_status(status);
  EXPECT_EQ(child->exec_error(), EACCES);

  // Released instead, /bin/true runs with every syscall refused and must die
  // (its loader cannot even map libc), not hang.
  Result<LaunchedProcess> second = launch(spec);
  ASSERT_TRUE(second.ok()) << second.error().describe();
  ASSERT_TRUE(release_first_exec(second->listener, second->pid).ok());
  status = wait_status(second->pid);
  EXPECT_FALSE(exited_with(status, 0)) << describe_status(status);
  EXPECT_EQ(second->exec_error(), std::nullopt);  // the exec itself succeeded
}

INSTANTIATE_TEST_SUITE_P(DefaultVerdicts, DenyAllFilter,
                         ::testing::Values(errno_verdict(EPERM), SECCOMP_RET_KILL_PROCESS));

// The kernel refuses the continued exec (not an ELF, no "#!"): the errno is
// reported and the child exits 127.
TEST(Launcher, ReportsAFailedExec) {
  TempDir tmp;
  std::string garbage = tmp.write_file("garbage", "\x01\x02 not a program\n");
  ASSERT_EQ(::chmod(garbage.c_str(), 0755), 0);
  LaunchSpec spec;
  spec.executable = garbage;
  spec.env = kEnv;
  spec.filter = exec_notifying_filter();
  RunResult r = run_confined(spec);
  EXPECT_TRUE(exited_with(r.status, 127)) << describe_status(r.status);
  EXPECT_EQ(r.exec_error, ENOEXEC);
}

// Descriptors of the caller never leak into the sandbox unless kept.
TEST(Launcher, ClosesInheritedDescriptorsExceptKeptOnes) {
  Pipe leak_probe;
  UniqueFd leaked(::dup2(leak_probe.read_end.get(), 100));  // no O_CLOEXEC
  UniqueFd kept(::dup2(leak_probe.read_end.get(), 101));
  ASSERT_TRUE(leaked.valid() && kept.valid());
  LaunchSpec spec;
  spec.executable = "sh";
  spec.argv = {"sh", "-c",
               "for fd in 100 101; do if [ -e /proc/self/fd/$fd ]; then echo $fd open; "
               "else echo $fd closed; fi; done"};
  spec.env = kEnv;
  spec.keep_fds = {101};
  spec.filter = exec_notifying_filter();
  RunResult r = run_confined(spec);
  EXPECT_EQ(r.out, "100 closed\n101 open\n");
  EXPECT_TRUE(exited_with(r.status, 0)) << describe_status(r.status);
}

// The Landlock ruleset built in the parent confines the launched program.
TEST(Launcher, EnforcesALandlockRuleset) {
  if (landlock::abi_version() == 0) GTEST_SKIP() << "no Landlock";
  TempDir tmp;
  tmp.make_dir("inside");
  tmp.make_dir("outside");
  std::string in_file = tmp.write_file("inside/f", "inside\n");
  std::string out_file = tmp.write_file("outside/f", "outside\n");
  std::vector<landlock::Rule> rules = {
      {"/usr", landlock::kRead | landlock::kExecute},
      {"/lib", landlock::kRead | landlock::kExecute},
      {"/lib64", landlock::kRead | landlock::kExecute},
      {"/etc", landlock::kRead},
      {tmp.path() + "/inside", landlock::kRead},
  };
  Result<landlock::Ruleset> ruleset = landlock::build_ruleset(rules);
  ASSERT_TRUE(ruleset.ok()) << ruleset.error().describe();

  LaunchSpec spec;
  spec.executable = "cat";
  spec.env = kEnv;
  spec.landlock_ruleset_fd = ruleset->fd.get();
  spec.filter = exec_notifying_filter();
  spec.argv = {"cat", in_file};
  RunResult inside = run_confined(spec);
  EXPECT_EQ(inside.out, "inside\n");
  EXPECT_TRUE(exited_with(inside.status, 0)) << describe_status(inside.status);

  spec.argv = {"cat", out_file};
  RunResult outside = run_confined(spec);
  EXPECT_EQ(outside.out, "");
  EXPECT_NE(outside.err.find("Permission denied"), std::string::npos) << outside.err;
  EXPECT_TRUE(exited_with(outside.status, 1)) << describe_status(outside.status);
}

}  // namespace
}  // namespace sysgate::sandbox
