#include "monitor/runner.h"

#include <ftw.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "bpf/compiler.h"
#include "monitor/broker.h"
#include "monitor/exec_chain.h"
#include "monitor/resolved_files.h"
#include "policy/evaluate.h"
#include "sandbox/landlock.h"
#include "sandbox/launcher.h"
#include "syscalls/call_format.h"

extern char** environ;

namespace sysgate::monitor {

namespace {

using policy::Action;
using policy::ActionKind;

// The command's pid, for forwarding SIGTERM/SIGHUP from the signal handler.
volatile sig_atomic_t g_child = 0;

void forward_signal(int sig) {
  if (g_child > 0) kill(g_child, sig);
}

bool mentions_tmp(const policy::Policy& p) {
  for (const policy::FileRule& f : p.file_rules()) {
    if (f.path.rfind("$TMP", 0) == 0) return true;
  }
  return false;
}

int remove_entry(const char* path, const struct stat*, int, struct FTW*) { return remove(path); }

// Removes the run's private temp dir when the run ends, whatever the outcome.
class TempDir {
 public:
  ~TempDir() {
    if (!path_.empty()) nftw(path_.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  }
  Result<void> create() {
    const char* base = getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/sysgate.XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) {
      return make_error(ErrorCode::kSystem, "cannot create the private temp dir " + templ + ": " + strerror(errno));
    }
    path_ = templ;
    return {};
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class Monitor {
 public:
  Monitor(const policy::Policy& policy, const ResolvedFiles& files, const RunOptions& options,
          sandbox::Listener& listener, pid_t main_pid)
      : policy_(policy), files_(files), options_(options), listener_(listener), main_pid_(main_pid) {}

  void handle(const sandbox::Notification& n) {
    policy::SyscallInput input;
    input.nr = n.data.nr;
    input.arch = n.data.arch;
    input.instruction_pointer = n.data.instruction_pointer;
    for (int i = 0; i < 6; ++i) input.args[i] = n.data.args[i];
    const policy::Decision d = policy::evaluate(policy_, input);

    // Only execve reaches us with a verdict other than explain: it is always routed here.
    switch (d.action.kind) {
      case ActionKind::kAllow:
      case ActionKind::kLog:
        (void)listener_.respond_continue(n.id);  // the decision depends on registers only
        return;
      case ActionKind::kErrno:
        (void)listener_.respond_error(n.id, d.action.errno_value);
        return;
      default:
        break;
    }

    std::optional<PathHint> hint;
    if (d.action.kind == ActionKind::kExplain) {
      BrokerOutcome b = broker_path_call(listener_, n, files_);
      if (b.kind == BrokerOutcome::Kind::kAnswered) return;
      hint = b.kind == BrokerOutcome::Kind::kRefused ? b.hint : path_hint(n);
    }

    Violation v;
    v.pid = static_cast<pid_t>(n.pid);
    v.main_process = v.pid == main_pid_;
    v.nr = n.data.nr;
    for (int i = 0; i < 6; ++i) v.args[i] = n.data.args[i];
    sandbox::ProcessMemory memory(v.pid);
    v.call = syscalls::format_call(v.nr, v.args, &memory);
    v.action = d.action;
    v.why = explain_refusal(policy_, input, d, hint);
    v.killed = options_.kill_on_violation || d.action.kind == ActionKind::kKill;
    v.error = d.action.errno_value ? d.action.errno_value : EPERM;
    if (v.killed) {
      // The syscall has not run and cannot until we answer: the process dies first.
      kill(v.pid, SIGKILL);
    }
    // Report before answering: the caller stays blocked until then, so the report
    // precedes anything it prints about the failure.
    ++violations_;
    if (options_.on_violation) options_.on_violation(v);
    (void)listener_.respond_error(n.id, v.error);
  }

  int violations() const { return violations_; }

 private:
  const policy::Policy& policy_;
  const ResolvedFiles& files_;
  const RunOptions& options_;
  sandbox::Listener& listener_;
  pid_t main_pid_;
  int violations_ = 0;
};

int exit_status_of(const siginfo_t& info) {
  if (info.si_code == CLD_EXITED) return info.si_status;
  return 128 + info.si_status;
}

}  // namespace

Result<RunResult> run_confined(const policy::Policy& policy, const RunOptions& options) {
  if (options.command.empty()) return make_error(ErrorCode::kInvalidArgument, "no command to run");
  auto note = [&](const std::string& line) {
    if (options.on_note) options.on_note(line);
  };

  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);

  // 1. The run's places: $CWD, $HOME, and a private $TMP if the policy names it.
  Placeholders places;
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof cwd) == nullptr) {
    return make_error(ErrorCode::kSystem, std::string("getcwd: ") + strerror(errno));
  }
  places.cwd = cwd;
  if (const char* home = getenv("HOME")) places.home = home;
  TempDir tmp;
  if (mentions_tmp(policy)) {
    if (Result<void> r = tmp.create(); !r) return r.error();
    places.tmp = tmp.path();
    std::erase_if(env, [](const std::string& e) { return e.rfind("TMPDIR=", 0) == 0; });
    env.push_back("TMPDIR=" + tmp.path());
  }

  Result<std::string> executable = sandbox::resolve_executable(options.command[0], env, places.cwd);
  if (!executable) return executable.error();
  // A relative command (./prog, or a relative PATH entry) is relative to the
  // working directory: the exec chain below needs the absolute path.
  if (!executable->empty() && (*executable)[0] != '/') *executable = places.cwd + "/" + *executable;

  // 2. File rules -> Landlock. The command's own exec chain is always executable.
  Result<ResolvedFiles> files = resolve_files(policy.file_rules(), places);
  if (!files) return files.error();
  sandbox::UniqueFd ruleset;
  if (!files->empty()) {
    for (const ChainEntry& c : exec_chain(*executable)) {
      ResolvedRule r;
      r.path = canonical_path(c.path);
      // The kernel opens each file of the chain for reading with FMODE_EXEC: Landlock wants both rights.
      r.rights = policy::kExecute | policy::kRead;
      r.exists = true;
      r.origin = "the command's exec chain";
      files->add(std::move(r));
    }
    if (sandbox::landlock::abi_version() == 0) {
      return make_error(ErrorCode::kUnsupported,
                        "this kernel has no Landlock, so the policy's file rules cannot be enforced; "
                        "refusing to run (a policy without [files] runs with syscall rules only)");
    }
    std::vector<std::string> notes;
    std::vector<sandbox::landlock::Rule> rules = files->landlock_rules(nullptr);
    Result<sandbox::landlock::Ruleset> rs = sandbox::landlock::build_ruleset(rules);
    if (!rs) return rs.error();
    for (const std::string& d : rs->degradations) note(d);
    ruleset = std::move(rs->fd);
  }

  // 3. The filter: the policy, with every execve routed to the monitor (the
  // launcher's handshake needs the first; the monitor applies the policy to the rest).
  std::vector<policy::Rule> routing;
  for (int nr : {SYS_execve, SYS_execveat}) {
    routing.push_back({nr, policy::Condition::always(), Action::explain(),
                       {policy::Origin::Source::kBuiltin, "exec routing"}});
  }
  Result<bpf::Program> program = bpf::compile(policy::with_leading_rules(policy, routing));
  if (!program) return program.error();

  // 4. Start it.
  sandbox::LaunchSpec spec;
  spec.executable = *executable;
  spec.argv = options.command;
  spec.env = env;
  spec.filter = std::move(*program);
  spec.landlock_ruleset_fd = ruleset.valid() ? ruleset.get() : -1;
  Result<sandbox::LaunchedProcess> child = sandbox::launch(spec);
  if (!child) return child.error();
  g_child = child->pid;
  struct sigaction forward {}, ignore {}, old_int {}, old_quit {}, old_term {}, old_hup {};
  forward.sa_handler = forward_signal;
  ignore.sa_handler = SIG_IGN;
  // ^C and ^\ reach the command through the terminal's process group; sysgate
  // outlives them to report the command's status. SIGTERM and SIGHUP are passed on.
  sigaction(SIGINT, &ignore, &old_int);
  sigaction(SIGQUIT, &ignore, &old_quit);
  sigaction(SIGTERM, &forward, &old_term);
  sigaction(SIGHUP, &forward, &old_hup);
  struct RestoreSignals {
    struct sigaction* saved[4];
    ~RestoreSignals() {
      sigaction(SIGINT, saved[0], nullptr);
      sigaction(SIGQUIT, saved[1], nullptr);
      sigaction(SIGTERM, saved[2], nullptr);
      sigaction(SIGHUP, saved[3], nullptr);
      g_child = 0;
    }
  } restore{{&old_int, &old_quit, &old_term, &old_hup}};

  if (Result<void> r = sandbox::release_first_exec(child->listener, child->pid); !r) {
    kill(child->pid, SIGKILL);
    siginfo_t info{};
    waitid(P_PID, static_cast<id_t>(child->pid), &info, WEXITED);
    return r.error();
  }

  // 5. Serve notifications until the command exits.
  Monitor monitor(policy, *files, options, child->listener, child->pid);
  for (;;) {
    Result<sandbox::Readiness> ready = child->listener.wait(-1, child->pidfd.get());
    if (!ready) return ready.error();
    if (ready->notification) {
      Result<std::optional<sandbox::Notification>> n = child->listener.receive();
      if (n && *n) monitor.handle(**n);
      continue;
    }
    if (ready->other || ready->no_targets) break;
  }
  siginfo_t info{};
  while (waitid(P_PID, static_cast<id_t>(child->pid), &info, WEXITED) != 0) {
    if (errno != EINTR) return make_error(ErrorCode::kSystem, std::string("waitid: ") + strerror(errno));
  }
  if (std::optional<int> err = child->exec_error()) {
    return make_error(ErrorCode::kSystem, "cannot execute " + *executable + ": " + strerror(*err));
  }
  RunResult result;
  result.exit_status = exit_status_of(info);
  result.violations = monitor.violations();
  if (info.si_code != CLD_EXITED && info.si_status == SIGSYS) {
    note("the command was killed by SIGSYS: a syscall matched a kill rule (or the x86-64 arch/x32 check)");
  }
  return result;
}

}  // namespace sysgate::monitor
