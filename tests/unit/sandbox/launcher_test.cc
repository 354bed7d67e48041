// Real-kernel tests of the launcher: real programs started under hand-written
// filters, the test acting as the monitor.
#include "sandbox/launcher.h"

#include <fcntl.h>
#include <sys/resource.h>
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

// execve and execveat -> USER_NOTIF, everything else allowed.
bpf::Program exec_notifying_filter() {
  return filter_with({{__NR_execve, SECCOMP_RET_USER_NOTIF}, {__NR_execveat, SECCOMP_RET_USER_NOTIF}},
                     SECCOMP_RET_ALLOW);
}

// The first notification of a child launch() started.
std::optional<Notification> first_notification(LaunchedProcess& child) {
  Result<Readiness> ready = child.listener.wait(5000);
  if (!ready.ok() || !ready->notification) return std::nullopt;
  Result<std::optional<Notification>> n = child.listener.receive();
  if (!n.ok()) return std::nullopt;
  return *n;
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
  Result<void> released = release_first_exec(*child);
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
  ASSERT_TRUE(release_first_exec(*second).ok());
  status = wait_status(second->pid);
  EXPECT_FALSE(exited_with(status, 0)) << describe_status(status);
  EXPECT_EQ(second->exec_error(), std::nullopt);  // the exec itself succeeded
}

// The same with the exec by descriptor: nothing but the execveat after the filter.
TEST_P(DenyAllFilter, HandshakeStillWorksByDescriptor) {
  UniqueFd program(::open("/bin/true", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(program.valid());
  LaunchSpec spec;
  spec.executable = "/bin/true";
  spec.executable_fd = program.get();
  spec.env = kEnv;
  spec.filter = filter_with(
      {{__NR_execveat, SECCOMP_RET_USER_NOTIF}, {__NR_exit_group, SECCOMP_RET_ALLOW}}, GetParam());
  Result<LaunchedProcess> child = launch(spec);
  ASSERT_TRUE(child.ok()) << child.error().describe();
  Result<void> released = release_first_exec(*child);
  ASSERT_TRUE(released.ok()) << released.error().describe();
  int status = wait_status(child->pid);
  EXPECT_FALSE(exited_with(status, 0)) << describe_status(status);
  EXPECT_EQ(child->exec_error(), std::nullopt);  // the exec itself succeeded
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

// nofile_limit: the command gets that limit even where this process holds
// more descriptors than it allows -- they are closed before the listener
// needs a number under it -- and kept ones above it stay open.
TEST(Launcher, SetsTheCommandsDescriptorLimitUnderManyOpenOnes) {
  std::vector<UniqueFd> many;
  for (int i = 0; i < 40; ++i) many.emplace_back(::open("/dev/null", O_RDONLY));  // no O_CLOEXEC
  Pipe probe;
  UniqueFd kept(::dup2(probe.read_end.get(), 200));
  ASSERT_TRUE(kept.valid());
  struct rlimit nofile {};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &nofile), 0);
  LaunchSpec spec;
  spec.executable = "sh";
  // Builtins only: the filter notifies every exec and only the first is answered.
  spec.argv = {"sh", "-c",
               "ulimit -Sn; [ -e /proc/self/fd/200 ] && echo 200 open; "
               "n=0; for fd in /proc/self/fd/*; do n=$((n + 1)); done; echo $n"};
  spec.env = kEnv;
  spec.keep_fds = {200};
  spec.nofile_limit = std::make_pair(uint64_t{16}, uint64_t{nofile.rlim_max});
  spec.filter = exec_notifying_filter();
  RunResult r = run_confined(spec);
  // 0, 1, 2, 200, and the directory the glob reads.
  EXPECT_EQ(r.out, "16\n200 open\n5\n") << r.err;
  EXPECT_TRUE(exited_with(r.status, 0)) << describe_status(r.status);
}

// executable_fd: the child execs the descriptor; the name is not searched.
TEST(Launcher, ExecsByDescriptor) {
  UniqueFd program(::open("/bin/echo", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(program.valid());
  LaunchSpec spec;
  spec.executable = "sysgate-no-such-command";
  spec.executable_fd = program.get();
  spec.argv = {"echo", "by", "descriptor"};
  spec.env = kEnv;
  spec.filter = exec_notifying_filter();
  RunResult r = run_confined(spec);
  EXPECT_EQ(r.out, "by descriptor\n");
  EXPECT_TRUE(exited_with(r.status, 0)) << describe_status(r.status);
  EXPECT_EQ(r.exec_error, std::nullopt);

  for (int bad : {-2, 1, 1000}) {
    spec.executable_fd = bad;
    Result<LaunchedProcess> child = launch(spec);
    ASSERT_FALSE(child.ok()) << bad;
    EXPECT_EQ(child.error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

// With a user, the exec by path looks the path up with the user's ids; by
// descriptor it does not: a program in a directory the user may not search
// still starts (mkdtemp makes the directory 0700).
TEST(Launcher, ExecsByDescriptorAsAUserWhoCannotSearchItsDirectory) {
  if (::geteuid() != 0) GTEST_SKIP() << "taking a user's ids needs root";
  TempDir tmp;
  const std::string copy = tmp.path() + "/echo";
  std::filesystem::copy_file("/bin/echo", copy);
  ASSERT_EQ(::chmod(copy.c_str(), 0755), 0);
  struct stat st {};
  ASSERT_EQ(::stat(tmp.path().c_str(), &st), 0);
  ASSERT_EQ(st.st_mode & 07777, 0700u);

  LaunchSpec spec;
  spec.executable = copy;
  spec.argv = {"echo", "as", "nobody"};
  spec.env = kEnv;
  spec.working_directory = "/";
  spec.user = UserIds{65534, 65534, {65534}};
  spec.filter = exec_notifying_filter();
  RunResult by_path = run_confined(spec);
  EXPECT_TRUE(exited_with(by_path.status, 127)) << describe_status(by_path.status);
  EXPECT_EQ(by_path.exec_error, EACCES);

  UniqueFd program(::open(copy.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(program.valid());
  spec.executable_fd = program.get();
  RunResult by_fd = run_confined(spec);
  EXPECT_EQ(by_fd.out, "as nobody\n");
  EXPECT_TRUE(exited_with(by_fd.status, 0)) << describe_status(by_fd.status);

  // The kernel still checks the file's own mode for the user.
  ASSERT_EQ(::chmod(copy.c_str(), 0700), 0);
  RunResult not_the_users = run_confined(spec);
  EXPECT_TRUE(exited_with(not_the_users.status, 127)) << describe_status(not_the_users.status);
  EXPECT_EQ(not_the_users.exec_error, EACCES);
}

// is_first_exec accepts the child's real notification and nothing that
// differs from it in the call, the descriptor, the path's address or the flags.
TEST(Launcher, FirstExecIsExactlyTheOneTheChildMakes) {
  UniqueFd program(::open("/bin/true", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(program.valid());
  const int fd = program.get();
  LaunchSpec spec;
  spec.executable = "/bin/true";
  spec.env = kEnv;
  spec.filter = exec_notifying_filter();

  Result<LaunchedProcess> by_path = launch(spec);
  ASSERT_TRUE(by_path.ok()) << by_path.error().describe();
  std::optional<Notification> n = first_notification(*by_path);
  ASSERT_TRUE(n.has_value());
  EXPECT_TRUE(is_first_exec(n->data, -1));
  EXPECT_FALSE(is_first_exec(n->data, fd));
  ASSERT_TRUE(by_path->listener.respond_continue(n->id).ok());
  EXPECT_TRUE(exited_with(wait_status(by_path->pid), 0));

  spec.executable_fd = fd;
  Result<LaunchedProcess> by_fd = launch(spec);
  ASSERT_TRUE(by_fd.ok()) << by_fd.error().describe();
  n = first_notification(*by_fd);
  ASSERT_TRUE(n.has_value());
  const bpf::SeccompData real = n->data;
  EXPECT_EQ(real.nr, __NR_execveat);
  EXPECT_TRUE(is_first_exec(real, fd));
  EXPECT_FALSE(is_first_exec(real, -1));
  EXPECT_FALSE(is_first_exec(real, fd + 1));
  auto changed = [&](auto change) {
    bpf::SeccompData d = real;
    change(d);
    return is_first_exec(d, fd);
  };
  EXPECT_FALSE(changed([](bpf::SeccompData& d) { d.nr = __NR_execve; }));
  EXPECT_FALSE(changed([](bpf::SeccompData& d) { d.arch = 0x40000003; }));  // AUDIT_ARCH_I386
  EXPECT_FALSE(changed([](bpf::SeccompData& d) { d.args[0] += 1; }));
  EXPECT_FALSE(changed([](bpf::SeccompData& d) { d.args[0] |= 1ULL << 32; }));
  EXPECT_FALSE(changed([](bpf::SeccompData& d) { d.args[1] += 1; }));
  EXPECT_FALSE(changed([](bpf::SeccompData& d) { d.args[1] = 0; }));
  EXPECT_FALSE(changed([](bpf::SeccompData& d) { d.args[4] = 0; }));
  EXPECT_FALSE(changed([](bpf::SeccompData& d) { d.args[4] |= AT_SYMLINK_NOFOLLOW; }));
  EXPECT_FALSE(changed([](bpf::SeccompData& d) { d.args[4] |= 1ULL << 32; }));
  EXPECT_TRUE(changed([](bpf::SeccompData& d) { d.args[5] = 42; }));  // (execveat has five arguments)
  ASSERT_TRUE(by_fd->listener.respond_continue(n->id).ok());
  EXPECT_TRUE(exited_with(wait_status(by_fd->pid), 0));
}

// release_first_exec refuses (EPERM) an exec other than the one it expects:
// the child's exec returns and it exits 127.
TEST(Launcher, ReleaseRefusesAnotherExec) {
  UniqueFd program(::open("/bin/true", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(program.valid());
  LaunchSpec spec;
  spec.executable = "/bin/true";
  spec.env = kEnv;
  spec.filter = exec_notifying_filter();
  struct Case {
    int launched_fd, expected_fd;
  };
  for (const Case c : {Case{-1, program.get()}, Case{program.get(), -1}, Case{program.get(), program.get() + 1}}) {
    spec.executable_fd = c.launched_fd;
    Result<LaunchedProcess> child = launch(spec);
    ASSERT_TRUE(child.ok()) << child.error().describe();
    child->executable_fd = c.expected_fd;
    Result<void> released = release_first_exec(*child);
    ASSERT_FALSE(released.ok()) << c.launched_fd << " " << c.expected_fd;
    EXPECT_NE(released.error().message.find(c.expected_fd < 0 ? "expected execve from"
                                                              : "expected execveat of the executable's descriptor"),
              std::string::npos)
        << released.error().message;
    int status = wait_status(child->pid);
    EXPECT_TRUE(exited_with(status, 127)) << describe_status(status);
    EXPECT_EQ(child->exec_error(), EPERM);
  }
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
