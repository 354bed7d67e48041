#include "monitor/runner.h"

#include <signal.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <chrono>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <thread>

#include "bpf/compiler.h"
#include "monitor/blocking_open.h"
#include "monitor/broker.h"
#include "monitor/caller_credentials.h"
#include "monitor/exec_broker.h"
#include "monitor/process_images.h"
#include "monitor/exec_chain.h"
#include "monitor/gate_routing.h"
#include "monitor/loader_image.h"
#include "monitor/process_deaths.h"
#include "monitor/private_tmp.h"
#include "monitor/resolved_files.h"
#include "policy/evaluate.h"
#include "sandbox/landlock.h"
#include "sandbox/launcher.h"
#include "syscalls/call_format.h"
#include "trace/ring_reader.h"
#include "trace/time_order.h"

extern char** environ;

namespace sysgate::monitor {

namespace {

// Whether the policy allows nr whatever its arguments: its first rule for nr
// is an unconditional allow, or it has none and allows by default. (The gate
// makes the call from its own instruction, where the policy decides.)
bool allowed_for_any_arguments(const policy::Policy& policy, int nr) {
  const std::span<const policy::Rule> rules = policy.rules_for(nr);
  const policy::Action& action = rules.empty() ? policy.default_action() : rules.front().action;
  return (rules.empty() || rules.front().when.is_true()) && action.kind == policy::ActionKind::kAllow;
}

// How the gate may raise again, on its own thread, a signal whose default
// action ends the process (trace::RegionHeader::raise_again): only with a call
// the policy allows for any arguments, so that the gate's call is never a
// refusal (a false report, or a kill under a kill default).
uint32_t raise_again(const policy::Policy& policy) {
  if (allowed_for_any_arguments(policy, SYS_rt_tgsigqueueinfo)) return trace::kRaiseBySigqueue;
  if (allowed_for_any_arguments(policy, SYS_tgkill)) return trace::kRaiseByTgkill;
  return 0;
}

// A thread that waits for trace writers' drain requests
// (RingReader::wait_for_drain_request) and makes an eventfd readable for each,
// for the monitor's poll. Inert (fd() -1) without a reader.
class DrainRequests {
 public:
  explicit DrainRequests(const trace::RingReader* reader) : reader_(reader) {
    if (reader_ == nullptr) return;
    fd_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!fd_.valid()) return;
    thread_ = std::thread([this] {
      uint32_t seen = 0;
      while (!stop_.load(std::memory_order_acquire)) {
        if (reader_->wait_for_drain_request(&seen, std::chrono::milliseconds(100))) {
          const uint64_t one = 1;
          (void)!write(fd_.get(), &one, sizeof one);
        }
      }
    });
  }
  ~DrainRequests() {
    if (!thread_.joinable()) return;
    stop_.store(true, std::memory_order_release);
    reader_->wake_drain_waiters();
    thread_.join();
  }
  DrainRequests(const DrainRequests&) = delete;
  DrainRequests& operator=(const DrainRequests&) = delete;

  int fd() const { return fd_.valid() ? fd_.get() : -1; }
  void clear() {
    uint64_t count = 0;
    (void)!read(fd_.get(), &count, sizeof count);
  }

 private:
  const trace::RingReader* reader_;
  sandbox::UniqueFd fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

using policy::Action;
using policy::ActionKind;

// The command's pid, for forwarding SIGTERM/SIGHUP from the signal handler;
// 0 once it has ended, while the rest of the sandbox still runs.
volatile sig_atomic_t g_child = 0;
// Set by SIGINT, SIGQUIT, SIGTERM or SIGHUP once the command has ended: stop
// waiting for the processes of the sandbox that outlive it.
volatile sig_atomic_t g_stop_waiting = 0;

void forward_signal(int sig) {
  if (g_child > 0) {
    kill(g_child, sig);
  } else {
    g_stop_waiting = 1;
  }
}

// ^C and ^\ reach the command through the terminal's process group, not
// through us; once it has ended, they end the wait for the rest.
void stop_waiting_after_the_command(int) {
  if (g_child <= 0) g_stop_waiting = 1;
}

bool mentions_tmp(const policy::Policy& p) {
  for (const policy::FileRule& f : p.file_rules()) {
    if (f.path.rfind("$TMP", 0) == 0) return true;
  }
  return false;
}

// Whether the gate may open the programs the process execs itself
// (gate/exec_open.h): the policy allows every exec, whatever its arguments,
// and every call the gate makes for it (a rule that refuses some of them
// would need the monitor to judge each, or would refuse an exec the monitor
// allows, and report an open the program never made).
bool gate_may_open_programs(const policy::Policy& policy) {
  if (policy.default_action().kind != ActionKind::kAllow) return false;
  for (int nr : {SYS_execve, SYS_execveat, SYS_openat, SYS_newfstatat, SYS_fstat, SYS_faccessat2, SYS_readlink,
                 SYS_close}) {
    for (const policy::Rule& rule : policy.rules_for(nr)) {
      if (rule.action.kind != ActionKind::kAllow) return false;
    }
  }
  return true;
}

class Monitor {
 public:
  Monitor(const policy::Policy& policy, const ResolvedFiles& files, const RunOptions& options,
          sandbox::Listener& listener, pid_t main_pid)
      : policy_(policy), files_(files), options_(options), listener_(listener), main_pid_(main_pid), opens_(listener) {}

  // The image each process runs (for exec of /proc/self/exe); the first one's.
  ProcessImages& images() { return images_; }
  // Brokered opens that wait on threads of their own (a FIFO's).
  BlockingOpens& opens() { return opens_; }

  void handle(const sandbox::Notification& n) {
    policy::SyscallInput input;
    input.nr = n.data.nr;
    input.arch = n.data.arch;
    input.instruction_pointer = n.data.instruction_pointer;
    for (int i = 0; i < 6; ++i) input.args[i] = n.data.args[i];
    const policy::Decision d = policy::evaluate(policy_, input);

    // Only exec reaches us with a verdict other than explain: it is always routed here.
    const bool exec = n.data.nr == SYS_execve || n.data.nr == SYS_execveat;
    std::optional<PathHint> hint;
    // The broker acts with the monitor's rights: never for a thread that
    // changed its ids or capabilities since (caller_credentials.h).
    const Caller caller = caller_of(static_cast<pid_t>(n.pid));
    const bool same_credentials = caller.same_as_monitor;
    switch (d.action.kind) {
      case ActionKind::kAllow:
      case ActionKind::kLog: {
        if (!exec) {
          // The filter sends only exec here with this verdict; anything else would
          // be a compiler bug: fail closed.
          (void)listener_.respond_error(n.id, EPERM);
          return;
        }
        // The gate asks us to open the program for the loader (exec_broker.h);
        // after the launcher's first exec, no exec is ever continued.
        // (With the caller's credentials if it changed them: exec_broker.h.)
        BrokerOutcome b = broker_exec(listener_, n, caller, files_, images_);
        if (b.kind == BrokerOutcome::Kind::kAnswered) return;
        hint = b.hint;
        break;
      }
      case ActionKind::kErrno:
        (void)listener_.respond_error(n.id, d.action.errno_value);
        return;
      default:
        break;
    }

    if (d.action.kind == ActionKind::kExplain && may_broker(d, n.data.nr) && same_credentials) {
      BrokerOutcome b = broker_path_call(listener_, opens_, n, files_);
      if (b.kind == BrokerOutcome::Kind::kAnswered) return;
      hint = b.kind == BrokerOutcome::Kind::kRefused ? b.hint : path_hint(n);
    }

    Violation v;
    v.pid = static_cast<pid_t>(n.pid);
    // Any thread of the command's first process is that process (its
    // refusals carry no [pid N], as the main thread's do not).
    v.main_process = v.pid == main_pid_ || caller.tgid == main_pid_;
    v.nr = n.data.nr;
    for (int i = 0; i < 6; ++i) v.args[i] = n.data.args[i];
    sandbox::ProcessMemory memory(v.pid);
    v.call = syscalls::format_call(v.nr, v.args, &memory);
    // An exec the policy allows but no file rule lets run: refused like Landlock would (EACCES).
    policy::Decision shown = d;
    const bool file_rules_refused = shown.action.kind == ActionKind::kAllow || shown.action.kind == ActionKind::kLog;
    if (file_rules_refused) shown.action = Action::explain(EACCES);
    v.action = shown.action;
    v.why = explain_refusal(policy_, input, shown, hint);
    if (file_rules_refused && hint) {
      v.why.cause = "the policy allows exec, but no file rule lets " + hint->path + " run";
      v.why.fixes = {allow_flag(hint->right) + " " + hint->path};
    }
    if (!same_credentials && !exec && may_broker(d, n.data.nr)) {
      v.why.cause = "the program changed its ids or capabilities since it started, and the monitor opens, "
                    "execs and changes files for it only with the rights it started with";
      v.why.fixes = {};
    }
    v.killed = options_.kill_on_violation || shown.action.kind == ActionKind::kKill;
    v.error = shown.action.errno_value ? shown.action.errno_value : EPERM;
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
  ProcessImages images_;
  BlockingOpens opens_;
  int violations_ = 0;
};

int exit_status_of(const siginfo_t& info) {
  if (info.si_code == CLD_EXITED) return info.si_status;
  return 128 + info.si_status;
}

// The soft RLIMIT_NOFILE raised to `want` where the hard limit allows, until
// restore() or the end of the scope.
class NofileRaised {
 public:
  explicit NofileRaised(rlim_t want) {
    if (getrlimit(RLIMIT_NOFILE, &saved_) != 0) return;
    struct rlimit wider = saved_;
    wider.rlim_cur = std::max<rlim_t>(saved_.rlim_cur, std::min<rlim_t>(saved_.rlim_max, want));
    if (wider.rlim_cur != saved_.rlim_cur && setrlimit(RLIMIT_NOFILE, &wider) == 0) raised_ = true;
    soft_ = raised_ ? wider.rlim_cur : saved_.rlim_cur;
  }
  ~NofileRaised() { restore(); }
  NofileRaised(const NofileRaised&) = delete;
  NofileRaised& operator=(const NofileRaised&) = delete;
  rlim_t soft() const { return soft_; }
  rlim_t hard() const { return saved_.rlim_max; }
  // The limit before, if it was raised.
  std::optional<std::pair<uint64_t, uint64_t>> original() const {
    if (!raised_) return std::nullopt;
    return std::make_pair(uint64_t{saved_.rlim_cur}, uint64_t{saved_.rlim_max});
  }
  void restore() {
    if (raised_) setrlimit(RLIMIT_NOFILE, &saved_);
    raised_ = false;
  }

 private:
  struct rlimit saved_ {};
  rlim_t soft_ = 1024;
  bool raised_ = false;
};

// Whether this kernel seals mappings (mseal, Linux 6.10): what keeps the page
// that proves an exec names the loader in place (loader/exec_path.h). Leaves
// one sealed page in the monitor.
bool kernel_seals_mappings() {
  void* page = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return true;  // (cannot tell)
  constexpr long kSysMseal = 462;  // (not in older headers)
  if (syscall(kSysMseal, page, 4096, 0) == 0) return true;
  const int err = errno;
  munmap(page, 4096);
  return err != ENOSYS;
}

}  // namespace

Result<RunResult> run_confined(const policy::Policy& policy, const RunOptions& options) {
  if (options.command.empty()) return make_error(ErrorCode::kInvalidArgument, "no command to run");
  auto note = [&](const std::string& line) {
    if (options.on_note) options.on_note(line);
  };
  // A low soft RLIMIT_NOFILE (`ulimit -n 20`) is raised for the monitor's
  // own descriptors (one for each path the policy's file rules name, held for
  // the run, and some of its own) and for placing the gate's high (900 and
  // up); the command gets it back (LaunchSpec::nofile_limit). A descriptor
  // above the soft limit stays usable -- the limit only bounds new ones -- so
  // the program keeps every number its limit gives it, as natively. (Before:
  // "dup of the trace region: Invalid argument".)
  const size_t descriptors = policy.file_rules().empty() ? 0 : policy.file_rules().size() + 32;
  NofileRaised raised(std::max<rlim_t>(916, descriptors));
  if (raised.soft() < descriptors) {
    return make_error(ErrorCode::kUnsupported,
                      "the monitor needs about " + std::to_string(descriptors) + " descriptors for this policy (one " +
                          "for each of its " + std::to_string(policy.file_rules().size()) + " file rules, and some " +
                          "of its own), and RLIMIT_NOFILE's hard limit is " + std::to_string(raised.hard()) +
                          ": raise it (ulimit -Hn)");
  }

  std::vector<std::string> env;
  if (options.environment) env = *options.environment;
  else for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);

  // 1. The run's places: $CWD, $HOME, and a private $TMP if the policy names it.
  Placeholders places;
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof cwd) == nullptr) {
    return make_error(ErrorCode::kSystem, std::string("getcwd: ") + strerror(errno));
  }
  places.cwd = cwd;
  if (const char* home = getenv("HOME")) places.home = home;
  PrivateTmp tmp;
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

  // Every image starts in the loader (DESIGN invariant 4), which must exist.
  Result<LoaderImage> loader = find_loader_image();
  if (!loader) return loader.error();

  // 2. File rules -> Landlock. The command's own exec chain is always executable
  // (and the loader, which is what the kernel actually execs).
  Result<ResolvedFiles> files = resolve_files(policy.file_rules(), places);
  if (!files) return files.error();
  sandbox::UniqueFd ruleset;
  // A policy that refuses anything keeps the program to itself: no ptrace or
  // pidfd_getfd of processes outside (the monitor's listener is one's
  // descriptor to take), no signals to them, no abstract unix sockets made by
  // them. A policy whose default allows (`--profile all`, trace's default) is
  // not a sandbox, and may signal whom it likes.
  sandbox::landlock::BuildOptions landlock_options;
  landlock_options.scope_outside = policy.default_action().kind != policy::ActionKind::kAllow;
  if (files->empty() && landlock_options.scope_outside) {
    Result<sandbox::landlock::Ruleset> scope = sandbox::landlock::build_process_scope(landlock_options);
    if (scope) {
      ruleset = std::move(scope->fd);
    } else {
      note(scope.error().message + ": the program can reach processes outside the sandbox as far as the "
           "policy's calls allow (ptrace, pidfd_getfd, kill)");
    }
  }
  if (!files->empty()) {
    std::vector<ChainEntry> chain = exec_chain(*executable);
    chain.push_back({loader->path});
    for (const ChainEntry& c : chain) {
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
    Result<sandbox::landlock::Ruleset> rs = sandbox::landlock::build_ruleset(rules, landlock_options);
    if (!rs) return rs.error();
    for (const std::string& d : rs->degradations) note(d);
    ruleset = std::move(rs->fd);
  }

  // 3. The filter: the policy, with every exec routed to the monitor (the
  // launcher's handshake needs the first; the monitor applies the policy to the
  // rest). The launcher's exec is execveat(loader_fd, "", ..., AT_EMPTY_PATH)
  // with a "" of its own, not the one at kLoaderExecPath: the allow rule of
  // with_loader_fd_rules, below, does not match it, so this rule notifies it.
  std::vector<policy::Rule> routing;
  for (int nr : {SYS_execve, SYS_execveat}) {
    routing.push_back({nr, policy::Condition::always(), Action::explain(),
                       {policy::Origin::Source::kBuiltin, "exec routing"}});
  }
  // A filter the program stacks with its own listener would receive the
  // notifications this one sends to the monitor (the kernel notifies the newest
  // filter's listener) and could answer them itself: never allowed.
  routing.push_back({SYS_seccomp,
                     policy::Condition::all_of(
                         {policy::Condition::compare(0, 32, policy::CmpOp::kEq, SECCOMP_SET_MODE_FILTER),
                          policy::Condition::masked_eq(1, 32, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                                                       SECCOMP_FILTER_FLAG_NEW_LISTENER)}),
                     Action::error(EPERM), {policy::Origin::Source::kBuiltin, "no second listener"}});
  policy::Policy routed = policy::with_leading_rules(policy, routing);

  // The loader's fd (protected by the filter), the program's fd, which the
  // loader maps, and in trace mode the trace region (docs/tracing.md).
  std::optional<trace::RingReader> reader;
  sandbox::UniqueFd loader_fd, target_fd, ring_fd;
  // The gate's fds live high, out of the way of the program's own numbering
  // (dup2 onto them fails, see gate_routing.h), above the program's soft
  // RLIMIT_NOFILE if need be (`raised`, above).
  const rlim_t room = raised.soft();
  const int high = static_cast<int>(room > 64 ? std::min<rlim_t>(900, room - 16) : room / 2);
  std::string gate = "filter=exec";
  std::vector<int> protected_fds;
  if (options.trace) {
    trace::RegionOptions region;
    region.max_data = options.trace->max_data;
    region.call_mask = options.trace->call_mask;
    region.time_calls = options.trace->time_calls;
    region.record_ip = options.trace->record_ip;
    region.record_fd_inodes = options.trace->record_fd_inodes;
    region.inject = options.trace->inject;
    region.verbose = options.trace->verbose;
    region.stack_bytes = options.trace->stack_bytes;
    region.wait_after_socket_calls = options.trace->wait_after_socket_calls;
    region.raise_again = raise_again(routed);
    region.dump_bytes = options.trace->dump_bytes;
    region.dump_read_fds = options.trace->dump_read_fds;
    region.dump_write_fds = options.trace->dump_write_fds;
    Result<trace::RingReader> created = trace::RingReader::create(region);
    if (!created) return created.error();
    reader.emplace(std::move(*created));
    ring_fd.reset(fcntl(reader->fd(), F_DUPFD_CLOEXEC, high));
    if (!ring_fd.valid()) return make_error(ErrorCode::kSystem, std::string("dup of the trace region: ") + strerror(errno));
    protected_fds.push_back(ring_fd.get());
    if (options.trace->on_region) options.trace->on_region(reader->fd(), ring_fd.get());
    gate = "ring=" + std::to_string(ring_fd.get()) + ",filter=1" + (options.trace->payloads ? "" : ",nopayloads") +
           (options.trace->rewrite ? ",rewrite=1" : "") + (options.trace->sweep ? "" : ",sweep=0") +
           (options.trace->detach_on_exec ? ",detach=exec" : "");
  }
  // `run`: the gate may queue a signal again on its own thread, which lets it
  // deliver one that ended a blocking call it made at the program's registers
  // (src/gate/deferred_signal.h); under trace the region says so.
  if (!options.trace && raise_again(routed) == trace::kRaiseBySigqueue) gate += ",requeue=1";
  if (!kernel_seals_mappings()) {
    note("this kernel has no mseal (Linux 6.10): a program could replace the page that proves its execs name "
         "the loader, and exec a file of its choice without the loader and past the policy's exec rules (its "
         "syscalls still pass the filter)");
  }
  sandbox::UniqueFd opened(open(loader->path.c_str(), O_RDONLY | O_CLOEXEC));
  if (opened.valid()) loader_fd.reset(fcntl(opened.get(), F_DUPFD_CLOEXEC, high));
  if (!loader_fd.valid()) return make_error(ErrorCode::kSystem, "cannot open " + loader->path + ": " + strerror(errno));
  // A script starts its interpreter, as execve would (the gate does the same
  // for every later exec); execvp runs a command with a slash as given.
  const std::string& typed = options.command[0];
  Result<ExecTarget> target =
      exec_target(*executable, typed.find('/') != std::string::npos ? typed : *executable, options.command, places.cwd);
  if (!target) return target.error();
  if (options.user) {
    // -u: the program as the user may exec it, not as root may read it.
    Result<int> fd = sandbox::open_executable_as(*options.user, target->path);
    if (!fd) return fd.error();
    target_fd.reset(*fd);
  } else {
    target_fd.reset(open(target->path.c_str(), O_RDONLY | O_CLOEXEC));
  }
  if (!target_fd.valid()) return make_error(ErrorCode::kSystem, "cannot open " + target->path + ": " + strerror(errno));
  gate += ",loader=" + std::to_string(loader_fd.get());
  // No file rule to judge and every exec allowed: the gate opens each program
  // itself (gate/exec_open.h), and asks here only for what it cannot open.
  if (files->empty() && gate_may_open_programs(policy)) gate += ",selfexec=1";
  sandbox::UniqueFd hooks_fd;
  if (!options.hooks.empty()) {
    sandbox::UniqueFd hooks_file(open(options.hooks.c_str(), O_RDONLY | O_CLOEXEC));
    if (!hooks_file.valid()) {
      return make_error(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kSystem,
                        "cannot open the hook library " + options.hooks + ": " + strerror(errno));
    }
    hooks_fd.reset(fcntl(hooks_file.get(), F_DUPFD_CLOEXEC, high));
    if (!hooks_fd.valid()) return make_error(ErrorCode::kSystem, std::string("dup of the hook library: ") + strerror(errno));
    protected_fds.push_back(hooks_fd.get());  // like the loader: every later image maps it again
    gate += ",hooks=" + std::to_string(hooks_fd.get());
  }
  const policy::Origin origin{policy::Origin::Source::kBuiltin, "gate set-up"};
  routed = policy::with_leading_rules(
      with_loader_fd_rules(routed, loader_fd.get(), protected_fds),
      {// The loader stacks the gate's redirect filter (no listener, no TSYNC): it can only restrict.
       {SYS_seccomp,
        policy::Condition::all_of({policy::Condition::compare(0, 32, policy::CmpOp::kEq, SECCOMP_SET_MODE_FILTER),
                                   policy::Condition::compare(1, 32, policy::CmpOp::kEq, 0)}),
        Action::allow(), origin},
       // The loader names the task after the program, as exec would.
       {SYS_prctl, policy::Condition::compare(0, 32, policy::CmpOp::kEq, PR_SET_NAME), Action::allow(), origin},
       // What the gate itself needs (src/gate/gate.h), whatever the promises.
       // Each only changes the process's own signal state or identifies it.
       {SYS_rt_sigaction, policy::Condition::always(), Action::allow(), origin},
       {SYS_rt_sigprocmask, policy::Condition::always(), Action::allow(), origin},
       {SYS_sigaltstack, policy::Condition::always(), Action::allow(), origin},
       {SYS_gettid, policy::Condition::always(), Action::allow(), origin},
       {SYS_getpid, policy::Condition::always(), Action::allow(), origin}});
  if (options.trace) {
    // Tracing sends every call to the gate with Syscall User Dispatch where the
    // kernel has it (src/gate/user_dispatch.h): the loader arms it over its own
    // code; any other use of it (turning it off) is refused, from the program
    // or from the gate's instruction alike.
    constexpr uint64_t kPrSetSyscallUserDispatch = 59, kPrSysDispatchOn = 1;
    const policy::Origin sud{policy::Origin::Source::kBuiltin, "the gate's syscall user dispatch"};
    auto arg_is = [](uint8_t arg, uint64_t v) { return policy::Condition::compare(arg, 64, policy::CmpOp::kEq, v); };
    // prctl's option is an int: the kernel ignores its high bits (a review
    // turned SUD off with 0x10000003b past a 64-bit comparison).
    const policy::Condition option_is_sud = policy::Condition::compare(0, 32, policy::CmpOp::kEq, kPrSetSyscallUserDispatch);
    routed = policy::with_leading_rules(
        routed, {{SYS_prctl,
                  policy::Condition::all_of({arg_is(0, kPrSetSyscallUserDispatch), arg_is(1, kPrSysDispatchOn),
                                             arg_is(2, loader->code_begin),
                                             arg_is(3, loader->code_end - loader->code_begin), arg_is(4, 0)}),
                  Action::allow(), sud},
                 {SYS_prctl, option_is_sud, Action::error(EPERM), sud}});
  }
  std::vector<std::string> argv = {"sysgate-exec", "--fd", std::to_string(target_fd.get()), "--execfn", *executable};
  // The program's real path, for readlink("/proc/self/exe") (src/gate/exe_link.h).
  std::string exe_real;
  if (char* real = realpath(target->path.c_str(), nullptr); real != nullptr) {
    exe_real = real;
    free(real);
    argv.insert(argv.end(), {"--exe", exe_real});
  }
  argv.insert(argv.end(), {"--gate", gate});
  if (hooks_fd.valid()) argv.insert(argv.end(), {"--hooks-fd", std::to_string(hooks_fd.get())});
  argv.push_back("--");
  argv.insert(argv.end(), target->argv.begin(), target->argv.end());
  Result<bpf::Program> program = bpf::compile(routed);
  if (!program) return program.error();

  // 4. Start it.
  sandbox::LaunchSpec spec;
  spec.executable = loader->path;
  // By the descriptor: with -u the user need not be able to search the
  // directories above the loader (a build tree under a 0700 directory), only
  // to execute the file itself.
  spec.executable_fd = loader_fd.get();
  spec.argv = argv;
  spec.env = env;
  spec.keep_fds = {loader_fd.get(), target_fd.get()};
  if (ring_fd.valid()) spec.keep_fds.push_back(ring_fd.get());
  if (hooks_fd.valid()) spec.keep_fds.push_back(hooks_fd.get());
  spec.keep_fds.insert(spec.keep_fds.end(), options.pass_fds.begin(), options.pass_fds.end());
  spec.close_stdio = options.closed_stdio;
  spec.filter = std::move(*program);
  spec.landlock_ruleset_fd = ruleset.valid() ? ruleset.get() : -1;
  spec.nofile_limit = raised.original();
  spec.user = options.user;
  // Orphans of the sandbox come to us, not to init: the run waits for them
  // and reaps them (step 5).
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  Result<sandbox::LaunchedProcess> child = sandbox::launch(spec);
  if (!child) return child.error();
  if (options.user) {
    // -u: the monitor holds the child's listener (pidfd_getfd needed root:
    // the child changed ids, so it is not dumpable); from now on it opens and
    // execs for the command with the user's rights only.
    if (Result<void> became = sandbox::become_user(*options.user); !became) {
      kill(child->pid, SIGKILL);
      siginfo_t info{};
      waitid(P_PID, static_cast<id_t>(child->pid), &info, WEXITED);
      return became.error();
    }
  }
  g_child = child->pid;
  if (options.on_launched) options.on_launched(child->pid, child->envp_address);
  struct sigaction forward {}, ignore {}, old_int {}, old_quit {}, old_term {}, old_hup {};
  forward.sa_handler = forward_signal;
  ignore.sa_handler = stop_waiting_after_the_command;
  // The monitor's own calls (an ADDFD, a write of the trace) restart: ^C
  // reaches sysgate too, through the terminal's process group, while the
  // command may well survive it (a shell, python's KeyboardInterrupt). Only
  // the loop's poll returns early, to look at g_stop_waiting.
  forward.sa_flags = SA_RESTART;
  ignore.sa_flags = SA_RESTART;
  // ^C and ^\ reach the command through the terminal's process group; sysgate
  // outlives them to report the command's status. SIGTERM and SIGHUP are passed on.
  g_stop_waiting = 0;
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

  if (Result<void> r = sandbox::release_first_exec(*child); !r) {
    kill(child->pid, SIGKILL);
    siginfo_t info{};
    waitid(P_PID, static_cast<id_t>(child->pid), &info, WEXITED);
    return r.error();
  }

  // 5. Serve notifications until the command exits.
  Monitor monitor(policy, *files, options, child->listener, child->pid);
  if (!exe_real.empty()) monitor.images().set(child->pid, exe_real);
  target_fd.reset();  // the child has its copy
  // So does the region's: the monitor keeps its reader's own descriptor, and
  // holds nothing at the number the programs do, so a record naming the
  // monitor's pid is not taken for a traced process's (trace/traced_processes.h).
  ring_fd.reset();
  // Records come ring by ring; TimeOrder hands them on in the order they were
  // written (by their TSC stamps), a couple of polls late.
  trace::TimeOrder order;
  // An exit_group's or a death's line comes with the calls the process's
  // (other) threads were left waiting in (trace::OpenCall), read from their rings
  // now, as the record goes out: while the process's other threads own
  // rings it goes a margin after it was written, when they are gone (a call
  // that still returned before has its own record and an emptied slot).
  const trace::TimeOrder::Sink deliver = [&](const trace::Record& r) {
    const bool ends = (r.kind == trace::kRecordExit && r.nr == SYS_exit_group) || r.kind == trace::kRecordKilled;
    std::vector<trace::OpenCall> open;
    if (ends && reader) open = reader->open_calls_of(r.pid, r.kind == trace::kRecordKilled ? 0 : r.tid);
    if (open.empty()) return options.trace->on_record(r);
    trace::Record with = r;
    with.extras = std::make_shared<trace::RecordExtras>(r.extras ? *r.extras : trace::RecordExtras{});
    with.extras->open_calls = std::move(open);
    options.trace->on_record(with);
  };
  // How the other processes died: a line for each one a signal killed, placed
  // as ProcessDeaths::Killed::tsc says (on a queue of its own).
  ProcessDeaths deaths;
  deaths.ignore(child->pid);
  auto report_deaths = [&](uint64_t now_tsc) {
    for (const ProcessDeaths::Killed& k : deaths.collect(now_tsc)) {
      trace::Record killed;
      killed.kind = trace::kRecordKilled;
      killed.pid = killed.tid = k.pid;
      killed.nr = k.signal;
      killed.args[0] = k.core_dumped ? 1 : 0;
      killed.tsc = k.tsc;
      killed.ring = reader->ring_count();
      order.add(std::move(killed));
    }
  };
  // Records arrive without a wake-up for us, so we look now and then: at once
  // after a drain that found records (a writer whose ring is full waits for
  // us, and nothing else would wake us), else after idle_ms, which doubles
  // with each empty drain up to kMaxIdlePollMs. Each wake-up of an idle
  // monitor costs the program: on this 2-vCPU VM a 1 ms period slowed its
  // getppid from ~165 to ~190 ns and fstatat from ~800 to ~930 ns
  // (docs/tracing.md, "How the monitor waits"). 8 ms keeps a 1 MiB ring from
  // filling between looks at the rate tar writes records (~100 KB/ms).
  constexpr int kMaxIdlePollMs = 8;
  bool busy = false;  // the last drain found records
  int idle_ms = 1;
  auto drain = [&] {
    if (!reader) return;
    const uint64_t tsc = trace::TimeOrder::now();
    const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::steady_clock::now().time_since_epoch()).count();
    busy = reader->poll([&](trace::Record& r) {
      deaths.saw(r.pid, r.tsc);
      if (r.kind == trace::kRecordExit && r.nr == SYS_exit_group) deaths.exited(r.pid);
      if (r.kind == trace::kRecordSyscallEnter && (r.nr == SYS_execve || r.nr == SYS_execveat)) {
        // An exec's, as its record arrives: the new image's first claim of a
        // ring empties the marks its thread id left (gate::ring_claim).
        std::vector<trace::OpenCall> open = reader->open_calls_of(r.pid, r.tid);
        if (!open.empty()) r.extra().open_calls = std::move(open);
      }
      if (options.trace->on_arrival) options.trace->on_arrival(r);
      order.add(std::move(r));
    }) > 0;
    report_deaths(tsc);
    idle_ms = busy ? 1 : std::min(idle_ms * 2, kMaxIdlePollMs);
    order.release(tsc, ns, deliver, reader->last_poll_saw_one_writer());
    if (!busy && options.trace->on_idle) options.trace->on_idle();
  };
  // trace -k and -yy: some writers wait until the monitor took their
  // records (RegionHeader::drain_seq); a thread of ours sleeps on their
  // futex and turns each request into an eventfd the loop below polls, so
  // such a wait costs a wake-up, not up to kMaxIdlePollMs.
  DrainRequests requests(reader && (options.trace->stack_bytes != 0 || options.trace->wait_after_socket_calls)
                             ? &*reader
                             : nullptr);
  // While a brokered open waits on a thread of its own, look this often
  // whether its caller is gone (killed, or its call interrupted), to end it.
  constexpr int kWaitingOpenPollMs = 100;
  // The command's first process may end before the rest of the sandbox (a
  // child it forked, a daemon): those stay served, traced and reported until
  // no task uses the filter any more (the listener's POLLHUP), as strace -f
  // waits for every tracee, and only then is the private $TMP removed. The
  // monitor is their subreaper (see launch), so orphans are its to reap: a
  // zombie still counts as a user of the filter. A signal that would have
  // gone to the command (^C, SIGTERM) ends the wait instead.
  std::optional<siginfo_t> command_end;
  auto reap = [&] {
    for (;;) {
      siginfo_t si{};
      if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) != 0 || si.si_pid == 0) return;
      if (si.si_pid == child->pid) {
        command_end = si;
        g_child = 0;
      }
    }
  };
  constexpr int kReapPollMs = 100;
  bool left_running = false;
  for (;;) {
    int timeout_ms = reader ? (busy ? 0 : idle_ms) : -1;
    const bool opens_waiting = monitor.opens().any_waiting();
    if (opens_waiting) timeout_ms = timeout_ms < 0 ? kWaitingOpenPollMs : std::min(timeout_ms, kWaitingOpenPollMs);
    if (command_end) timeout_ms = timeout_ms < 0 ? kReapPollMs : std::min(timeout_ms, kReapPollMs);
    Result<sandbox::Readiness> ready =
        child->listener.wait(timeout_ms, command_end ? -1 : child->pidfd.get(), requests.fd());
    if (!ready) return ready.error();
    if (ready->extra) requests.clear();
    if (opens_waiting) monitor.opens().interrupt_abandoned();
    drain();
    if (ready->notification) {
      Result<std::optional<sandbox::Notification>> n = child->listener.receive();
      if (n && *n) monitor.handle(**n);
      continue;
    }
    if (ready->other || command_end) reap();
    if (ready->no_targets) break;
    if (command_end && g_stop_waiting) {
      left_running = true;
      break;
    }
  }
  drain();
  order.flush(deliver);
  if (reader && options.trace->on_idle) options.trace->on_idle();
  siginfo_t info{};
  if (command_end) {
    info = *command_end;
  } else {
    while (waitid(P_PID, static_cast<id_t>(child->pid), &info, WEXITED) != 0) {
      if (errno != EINTR) return make_error(ErrorCode::kSystem, std::string("waitid: ") + strerror(errno));
    }
  }
  reap();
  if (reader && reader->dropped_after_detach() > 0) {
    note(std::to_string(reader->dropped_after_detach()) + " trace records were dropped: more threads ran at once than "
         "the trace region's " + std::to_string(reader->ring_count()) + " rings (a thread waits 0.5 s for one, "
         "then its records are dropped until one is free)");
  }
  if (reader && reader->stats().corrupt > 0) {
    // Only the program writes its rings: what it broke there is skipped, and said.
    const std::vector<trace::RingError> errors = reader->take_errors();
    note(std::to_string(reader->stats().corrupt) +
         " inconsistencies in the trace rings, which the program can write: the records there were skipped" +
         (errors.empty() ? std::string() : " (the first: " + errors.front().message + ")"));
  }
  if (left_running) {
    note("stopped waiting for the processes of the sandbox that outlived the command: they still run, "
         "confined, but nothing is brokered, reported or traced for them any more");
  }
  if (std::optional<int> err = child->exec_error()) {
    // The launcher's one exec is of the loader, by its descriptor (as the user, with -u).
    return make_error(ErrorCode::kSystem, "cannot execute " + *executable + ": cannot start the loader " + loader->path +
                                              ": " + strerror(*err));
  }
  RunResult result;
  result.exit_status = exit_status_of(info);
  result.violations = monitor.violations();
  result.pid = child->pid;
  if (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED) {
    result.killed_by = info.si_status;
    result.core_dumped = info.si_code == CLD_DUMPED;
    if (reader) result.open_calls = reader->open_calls_of(child->pid, 0);
  }
  if (info.si_code != CLD_EXITED && info.si_status == SIGSYS) {
    note("the command was killed by SIGSYS: a syscall matched a kill rule, failed the x86-64 arch/x32 check, "
         "or SIGSYS was sent to it");
  }
  return result;
}

}  // namespace sysgate::monitor
