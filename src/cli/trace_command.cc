// `sysgate trace`: run a command with the gate armed and print its syscalls in
// strace's grammar (src/trace/formatter.h), or strace -c's table (-c).
#include <asm/unistd.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>

#include "cli/commands.h"
#include "cli/trace_output.h"
#include "cli/trace_printer.h"
#include "policy/evaluate.h"
#include "syscalls/call_format.h"
#include "monitor/loader_image.h"
#include "monitor/runner.h"
#include "sandbox/launcher.h"
#include "sandbox/user_credentials.h"
#include "trace/fd_paths.h"
#include "trace/formatter.h"
#include "trace/inject_spec.h"
#include "trace/io_dump.h"
#include "trace/line_time.h"
#include "trace/path_filter.h"
#include "trace/signal_filter.h"
#include "trace/rewrite_counts.h"
#include "trace/signal_format.h"
#include "trace/socket_names.h"
#include "trace/stack_unwinder.h"
#include "trace/summary.h"
#include "trace/trace_filter.h"

extern char** environ;

namespace sysgate::cli {

namespace {

// -y shows a descriptor opened by path by that path resolved (symlinks, ".."),
// as the kernel names it, where the descriptor is gone by the time its record
// is read. The monitor resolves it in its own, unconfined view, so only where
// the program could have done the same: where the policy lets it readlink and
// lstat any path. Else a forged record's path would make the monitor tell,
// in a trace the program may read, where a symlink it may not read points
// (a reviewer's finding); the path is then shown as the program gave it.
bool program_resolves_paths(const policy::Policy& policy) {
  auto allowed = [&](int nr, std::initializer_list<uint64_t> args) {
    policy::SyscallInput input;
    input.nr = nr;
    int i = 0;
    for (uint64_t a : args) input.args[i++] = a;
    const policy::ActionKind kind = policy::evaluate(policy, input).action.kind;
    return kind == policy::ActionKind::kAllow || kind == policy::ActionKind::kLog;
  };
  const uint64_t cwd = static_cast<uint64_t>(AT_FDCWD);
  return (allowed(__NR_readlink, {0, 0, 4096}) || allowed(__NR_readlinkat, {cwd, 0, 0, 4096})) &&
         allowed(__NR_newfstatat, {cwd, 0, 0, AT_SYMLINK_NOFOLLOW});
}

// strace's -e quiet=SET (attach, exit, path-resolution, personality,
// thread-execve, superseded, all, none; "!" negates): which of the two kinds
// of message sysgate prints it hides, "+++ exited with N +++" and
// "+++ superseded by execve in pid N +++".
struct Quiets {
  bool exits = false;
  bool superseded = false;
};
Result<Quiets> quiets_of(const std::string& set) {
  const bool negated = !set.empty() && set[0] == '!';
  Quiets quiets;
  std::stringstream names(negated ? set.substr(1) : set);
  for (std::string name; std::getline(names, name, ',');) {
    static const std::set<std::string> kOthers = {"attach", "path-resolution", "personality", "thread-execve", "none"};
    if (name == "exit" || name == "exits" || name == "all") quiets.exits = true;
    if (name == "superseded" || name == "all") quiets.superseded = true;
    if (name != "exit" && name != "exits" && name != "all" && name != "superseded" && kOthers.count(name) == 0) {
      return make_error(ErrorCode::kInvalidArgument, "invalid quiet '" + name + "'");
    }
  }
  if (negated) quiets = {!quiets.exits, !quiets.superseded};
  return quiets;
}

// strace's -e status=SET: successful, failed, unfinished, unavailable,
// detached, all, none; "!" negates. StatusBits; 0 would show nothing, so
// "none" is a set of no bit with a marker bit that matches nothing.
Result<int> status_set(const std::string& set) {
  const bool negated = !set.empty() && set[0] == '!';
  int bits = 0;
  std::stringstream names(negated ? set.substr(1) : set);
  for (std::string name; std::getline(names, name, ',');) {
    if (name == "successful") bits |= kStatusSuccessful;
    else if (name == "failed") bits |= kStatusFailed;
    else if (name == "unfinished") bits |= kStatusUnfinished;
    else if (name == "all") bits |= kStatusSuccessful | kStatusFailed | kStatusUnfinished;
    else if (name != "unavailable" && name != "detached" && name != "none") {
      return make_error(ErrorCode::kInvalidArgument, "invalid status '" + name + "'");
    }
  }
  constexpr int kAll = kStatusSuccessful | kStatusFailed | kStatusUnfinished;
  if (negated) bits = kAll & ~bits;
  return bits != 0 ? bits : 8;  // 8: no call's status (an empty selection, as strace's "none")
}

}  // namespace

int trace_command(const TraceFlags& given) {
  TraceFlags flags = given;
  // strace's long timestamp options: their values checked here, and each
  // implies its short form (--syscall-times is -T, ...).
  if (flags.absolute_timestamps && !trace::parse_absolute_timestamps(*flags.absolute_timestamps)) {
    std::cerr << "sysgate trace: --absolute-timestamps=" << *flags.absolute_timestamps
              << ": expected [[format:]time|unix|none][,[precision:]s|ms|us|ns]\n";
    return 2;
  }
  for (const auto& [name, value] : {std::pair{"--relative-timestamps", &flags.relative_timestamps},
                                    std::pair{"--syscall-times", &flags.syscall_times}}) {
    if (*value && !value->value().empty() && !trace::parse_precision(**value)) {
      std::cerr << "sysgate trace: " << name << "=" << **value << ": expected s, ms, us or ns\n";
      return 2;
    }
  }
  if (flags.append && flags.output.empty()) {
    std::cerr << "sysgate trace: -A/--output-append-mode has no effect without -o/--output\n";  // as strace
  }
  if (flags.relative_timestamps) flags.relative = true;
  if (flags.syscall_times) flags.durations = true;
  policy::PolicySource source = flags.source;
  if (source.file.empty() && source.profile.empty()) source.profile = "all";  // like strace: confine nothing
  Result<policy::Policy> policy = policy::load_policy(source);
  if (!policy) return report_error(policy.error());

  trace::SummaryOptions summary_options;
  if (!flags.summary_sort.empty()) {
    Result<trace::SummarySort> sort = trace::parse_summary_sort(flags.summary_sort);
    if (!sort) {
      std::cerr << "sysgate trace: -S: " << sort.error().message << "\n";
      return 2;
    }
    summary_options.sort = *sort;
  }
  if (!flags.summary_columns.empty()) {
    Result<std::vector<trace::SummaryColumn>> columns = trace::parse_summary_columns(flags.summary_columns);
    if (!columns) {
      std::cerr << "sysgate trace: -U: " << columns.error().message << "\n";
      return 2;
    }
    summary_options.columns = std::move(*columns);
  }
  int64_t summary_overhead_ns = 0;
  if (!flags.summary_overhead.empty()) {
    Result<int64_t> overhead = trace::parse_summary_overhead(flags.summary_overhead);
    if (!overhead) {
      std::cerr << "sysgate trace: -O: " << overhead.error().message << "\n";
      return 2;
    }
    summary_overhead_ns = *overhead;
  }

  std::optional<trace::TraceFilter> filter;
  std::optional<trace::SignalFilter> signals;
  std::vector<trace::InjectSpec> injections;
  std::optional<trace::FdSet> dump_reads, dump_writes;
  std::optional<trace::TraceFilter> raw, abbreviated, decoded;
  std::optional<Quiets> quiets;
  std::optional<int> statuses;
  for (const std::string& expression : flags.expressions) {
    // strace's -e QUALIFIER=SET; a bare SET is trace=. One of each but inject= and fault=.
    const size_t equals = expression.find('=');
    const std::string qualifier = equals == std::string::npos ? "trace" : expression.substr(0, equals);
    const std::string set = equals == std::string::npos ? expression : expression.substr(equals + 1);
    std::optional<Error> error;
    if (qualifier == "trace" && !filter) {
      Result<trace::TraceFilter> parsed = trace::parse_trace_filter(set);
      if (parsed) filter = std::move(*parsed);
      else error = parsed.error();
    } else if ((qualifier == "signal" || qualifier == "signals") && !signals) {
      Result<trace::SignalFilter> parsed = trace::parse_signal_filter(set);
      if (parsed) signals = *parsed;
      else error = parsed.error();
    } else if ((qualifier == "read" && !dump_reads) || (qualifier == "write" && !dump_writes)) {
      Result<trace::FdSet> parsed = trace::parse_fd_set(set);
      if (parsed) (qualifier == "read" ? dump_reads : dump_writes) = *parsed;
      else error = parsed.error();
    } else if (qualifier == "raw" && !raw) {
      Result<trace::TraceFilter> parsed = trace::parse_trace_filter(set);
      if (parsed) raw = std::move(*parsed);
      else error = parsed.error();
    } else if ((qualifier == "abbrev" && !abbreviated) || (qualifier == "verbose" && !decoded)) {
      Result<trace::TraceFilter> parsed = trace::parse_trace_filter(set);
      if (parsed) (qualifier == "abbrev" ? abbreviated : decoded) = std::move(*parsed);
      else error = parsed.error();
    } else if (qualifier == "status" && !statuses) {
      Result<int> parsed = status_set(set);
      if (parsed) statuses = *parsed;
      else error = parsed.error();
    } else if (qualifier == "quiet" && !quiets) {
      Result<Quiets> parsed = quiets_of(set);
      if (parsed) quiets = *parsed;
      else error = parsed.error();
    } else if (qualifier == "inject" || qualifier == "fault") {
      Result<trace::InjectSpec> parsed = trace::parse_inject_spec(set, qualifier == "fault");
      if (parsed) injections.push_back(std::move(*parsed));
      else error = parsed.error();
    } else {
      const bool known = qualifier == "trace" || qualifier == "signal" || qualifier == "signals" || qualifier == "read" ||
                         qualifier == "write" || qualifier == "raw" || qualifier == "abbrev" ||
                         qualifier == "verbose" || qualifier == "quiet" || qualifier == "status";
      std::cerr << "sysgate trace: -e " << expression << ": "
                << (known ? "given twice"
                          : "only -e trace=, signal=, status=, raw=, abbrev=, verbose=, quiet=, read=, write=, inject= and "
                            "fault= are supported")
                << "\n";
      return 2;
    }
    if (error) {
      std::cerr << "sysgate trace: -e " << expression << ": " << error->message << "\n";
      return 2;
    }
  }

  std::optional<trace::InjectTable> inject;
  if (!injections.empty()) {
    if (!flags.trace_paths.empty()) {
      // strace tampers only with calls that access the paths; the gate cannot tell.
      std::cerr << "sysgate trace: -e inject= and -e fault= cannot be combined with -P\n";
      return 2;
    }
    Result<trace::InjectTable> table = trace::inject_table(injections, filter ? *filter : trace::TraceFilter());
    if (!table) {
      std::cerr << "sysgate trace: " << table.error().message << "\n";
      return 2;
    }
    inject = *table;
  }

  // Calls outside the set are not even recorded: the gate skips them. With -y
  // or -P, the calls that open, copy and close descriptors are recorded anyway,
  // to name descriptors, and with -Y those that name tasks (their lines are
  // not printed).
  std::optional<std::array<uint64_t, 8>> call_mask;
  if (filter) {
    const bool names_fds = (flags.fd_paths && !flags.summary) || !flags.trace_paths.empty();
    const bool names_tasks = flags.pid_names && !flags.summary;
    std::array<uint64_t, 8> mask{};
    for (int nr = 0; nr < trace::kCallMaskNumbers; ++nr) {
      if (filter->matches(nr) || (names_fds && trace::FdPaths::follows(nr)) ||
          (names_tasks && trace::PidNames::follows(nr))) {
        mask[static_cast<size_t>(nr / 64)] |= uint64_t{1} << (nr % 64);
      }
    }
    call_mask = mask;
  }

  int out = STDERR_FILENO;
  // -ff -o FILE: FILE.TID per thread and no FILE (as strace); -c still writes FILE.
  const bool per_task = flags.follow >= 2 && !flags.output.empty() && !flags.summary;
  if (!flags.output.empty() && !per_task) {
    // Emptied by the printer's output, not O_TRUNC (TraceOutput::truncate_first).
    out = ::open(flags.output.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (flags.append ? O_APPEND : 0), 0666);
    if (out < 0) {
      const int error = errno;
      std::cerr << "sysgate trace: cannot write " << flags.output << ": " << std::strerror(error) << "\n";
      return 2;
    }
  }
  // -u: the user's ids, looked up now (a bad name is bad input); the command
  // and then the monitor take them (monitor::RunOptions::user).
  std::optional<sandbox::UserIds> user;
  if (!flags.user.empty()) {
    Result<sandbox::UserIds> found = sandbox::find_user(flags.user);
    if (!found) {
      std::cerr << "sysgate trace: -u " << flags.user << ": " << found.error().message << "\n";
      return 2;
    }
    user = *found;
  }
  // -E: strace's putenv and unsetenv on the command's environment.
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) environment.emplace_back(*e);
  for (const std::string& change : flags.environment_changes) {
    const size_t equals = change.find('=');
    const std::string name = change.substr(0, equals);
    if (name.empty()) {
      std::cerr << "sysgate trace: -E " << change << ": expected VAR=VALUE or VAR\n";
      return 2;
    }
    auto same_name = [&](const std::string& e) { return e.size() > name.size() && e[name.size()] == '=' && e.starts_with(name); };
    if (equals == std::string::npos) {
      std::erase_if(environment, same_name);
    } else if (auto it = std::find_if(environment.begin(), environment.end(), same_name); it != environment.end()) {
      *it = change;
    } else {
      environment.push_back(change);
    }
  }

  TraceFlags shown = flags;
  shown.resolve_paths = program_resolves_paths(*policy);
  if (quiets && quiets->exits) shown.quiet = std::max(flags.quiet, 2);  // -e quiet=exit is -qq's
  shown.quiet_superseded = quiets && quiets->superseded;
  // -z is status=successful, -Z status=failed; an -e status= given replaces them.
  shown.statuses = statuses.value_or(flags.successful_only ? kStatusSuccessful : flags.failed_only ? kStatusFailed : 0);
  // The processes whose /proc the trace may read: those holding the trace
  // region (a record's pid is the program's to write).
  trace::TracedProcesses traced;
  TracePrinter printer(out, shown, std::move(filter), &traced, per_task ? flags.output : "");
  printer.set_summary_options(summary_options, summary_overhead_ns);
  const bool abbreviated_set = abbreviated.has_value();
  if (abbreviated) printer.set_abbreviated_calls(std::move(*abbreviated));
  if (decoded) printer.set_decoded_calls(std::move(*decoded));
  if (signals) printer.set_signal_filter(*signals);
  if (raw) printer.set_raw_calls(std::move(*raw));
  if (dump_reads || dump_writes) printer.set_dumps(dump_reads.value_or(trace::FdSet{}), dump_writes.value_or(trace::FdSet{}));
  {
    // The path execve was given: strace shows the one it found in PATH.
    std::error_code ignored;
    const Result<std::string> path =
        sandbox::resolve_executable(flags.command[0], environment, std::filesystem::current_path(ignored).string());
    printer.set_first_exec(path ? *path : flags.command[0], flags.command, environment);
  }
  monitor::RunOptions options;
  options.command = flags.command;
  options.environment = std::move(environment);
  options.hooks = flags.hooks;
  options.pass_fds = flags.inherited_fds;
  options.closed_stdio = flags.closed_stdio;
  options.user = user;
  monitor::TraceOptions trace;
  trace.max_data = static_cast<uint32_t>(std::min<size_t>(flags.max_string, 4096));
  trace.rewrite = !flags.no_rewrite;
  trace.sweep = !flags.no_sweep;
  trace.detach_on_exec = flags.detach_on_exec;
  trace.call_mask = call_mask;
  trace.time_calls = stamps_call_starts(flags);
  trace.record_ip = flags.instruction_pointers && !flags.summary;
  trace.record_fd_inodes = flags.fd_paths && !flags.summary;
  if (inject) trace.inject = *inject;
  // The gate copies what -v shows (an exec's environment) for abbrev= too.
  trace.verbose = (flags.verbose || abbreviated_set) && !flags.summary;
  if ((dump_reads || dump_writes) && !flags.summary && !flags.json) {
    trace.dump_bytes = trace::kMaxDumpBytes;  // the gate keeps it within half a ring
    trace.dump_read_fds = dump_reads.value_or(trace::FdSet{});
    trace.dump_write_fds = dump_writes.value_or(trace::FdSet{});
  }
  // -k: stacks are unwound as their records are read, while their processes
  // still have the mappings they name (the gate waits at exit and exec).
  std::optional<trace::StackUnwinder> unwinder;
  if (flags.stack_traces && flags.summary) {
    std::cerr << "sysgate trace: -k has no effect with -c\n";  // as strace says
  } else if (flags.stack_traces) {
    unwinder.emplace(&traced);
    if (Result<monitor::LoaderImage> loader = monitor::find_loader_image(); loader) {
      unwinder->set_gate_code(loader->code_begin, loader->code_end);
    }
    trace.stack_bytes = trace::kMaxStackBytes;
  }
  // -yy: sockets are looked up as their records arrive, while they are open.
  const bool socket_names = flags.fd_paths >= 2 && !flags.summary;
  trace.wait_after_socket_calls = socket_names;
  // -y: a recvmsg's SCM_RIGHTS descriptors likewise (the gate waits).
  const bool received_names = flags.fd_paths >= 1 && !flags.summary;
  if (socket_names || unwinder || received_names) {
    trace.on_arrival = [&, socket_names, received_names](trace::Record& r) {
      if (socket_names) printer.note_sockets(r);
      if (received_names) printer.note_received_fds(r);
      if (unwinder) unwinder->resolve(r);
    };
  }
  trace.on_record = [&](const trace::Record& r) { printer.record(r); };
  trace.on_region = [&](int monitor_fd, int program_fd) { traced.set_region(monitor_fd, program_fd); };
  trace.on_idle = [&] { printer.flush(); };
  options.trace = trace;
  // Reports go to stderr, where the trace may go too: the lines printed before
  // a report come before it.
  options.on_violation = [&](const monitor::Violation& v) {
    printer.flush();
    // write_all: the program shares stderr, and may have made it non-blocking.
    write_all(STDERR_FILENO, monitor::format_text(v) + "\n");
  };
  options.on_launched = [&](int pid, uint64_t envp_address) {
    printer.set_command_pid(pid);
    printer.set_first_exec_envp(envp_address);
    if (out != STDERR_FILENO && !flags.append) printer.truncate_output_first(flags.output);
  };
  options.on_note = [&](const std::string& line) {
    printer.flush();
    write_all(STDERR_FILENO, "sysgate: note: " + line + "\n");
  };
  Result<monitor::RunResult> result = monitor::run_confined(*policy, options);
  printer.finish();
  if (result && result->killed_by != 0) {
    printer.killed(result->pid, result->killed_by, result->core_dumped, &result->open_calls);
  }
  printer.flush();
  if (out != STDERR_FILENO) ::close(out);
  if (flags.rewrite_stats) std::cerr << "sysgate trace: " << printer.rewrite_counts().render() << "\n";
  if (!result) return report_error(result.error());
  return result->exit_status;
}

}  // namespace sysgate::cli
