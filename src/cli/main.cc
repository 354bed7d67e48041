// sysgate: run untrusted programs under a policy, and explain every refusal.
// This file only parses flags; the work is in the library (src/monitor, src/policy).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <optional>
#include <climits>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli/command_boundary.h"
#include "cli/commands.h"
#include "syscalls/const_style.h"
#include "sandbox/inherited_fds.h"

namespace {

using sysgate::policy::FileRule;
using sysgate::policy::Origin;

// --allow-* paths are taken relative to the working directory, like a shell would.
void add_path_rules(std::vector<FileRule>& out, const std::vector<std::string>& paths, uint8_t rights,
                    const char* flag) {
  char cwd[PATH_MAX];
  std::string base = getcwd(cwd, sizeof cwd) ? cwd : "/";
  for (const std::string& p : paths) {
    std::string path = !p.empty() && (p[0] == '/' || p[0] == '$') ? p : base + "/" + p;
    out.push_back({path, rights, {}, {Origin::Source::kCommandLine, std::string(flag) + " " + p}});
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Before sysgate opens anything: what a traced command keeps, as under strace.
  const std::array<bool, 3> closed_stdio = sysgate::sandbox::occupy_closed_stdio();
  const std::vector<int> inherited_fds = sysgate::sandbox::inheritable_descriptors();
  CLI::App app{"sysgate: run untrusted native code under a seccomp policy, and explain every refusal"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "sysgate 0.1");

  sysgate::cli::RunFlags run;
  run.closed_stdio = closed_stdio;
  std::vector<std::string> allow_read, allow_write, allow_exec;
  CLI::App* run_cmd = app.add_subcommand("run", "run a command confined by a policy");
  auto* policy_opt = run_cmd->add_option("--policy", run.source.file, "policy file (TOML)");
  run_cmd->add_option("--profile", run.source.profile, "embedded profile: default, stdio, all")->excludes(policy_opt);
  run_cmd->add_option("--allow-read", allow_read, "also allow reading this path (file or tree)")
      ->expected(1)
      ->allow_extra_args(false)
      ->take_all();  // one path per flag: a greedy vector would eat "--" and then the command's flags
  run_cmd->add_option("--allow-write", allow_write, "also allow writing and creating under this path")
      ->expected(1)
      ->allow_extra_args(false)
      ->take_all();  // one path per flag: a greedy vector would eat "--" and then the command's flags
  run_cmd->add_option("--allow-exec", allow_exec, "also allow executing this path")
      ->expected(1)
      ->allow_extra_args(false)
      ->take_all();  // one path per flag: a greedy vector would eat "--" and then the command's flags
  run_cmd->add_flag("--kill-on-violation", run.kill_on_violation, "kill the program at its first refused call");
  run_cmd->add_flag("--json", run.json, "report refusals as JSON lines");
  run_cmd->add_flag("-q,--quiet", run.quiet, "report refusals only, not notes");
  run_cmd->add_option("--hooks", run.hooks, "load this hook library into the gate of every image (see sysgate/hook_library.h)");
  run_cmd->add_option("command", run.command, "the command and its arguments (after --)")->required();

  sysgate::cli::TraceFlags trace;
  trace.inherited_fds = inherited_fds;
  trace.closed_stdio = closed_stdio;
  CLI::App* trace_cmd = app.add_subcommand("trace", "run a command and print its syscalls in strace's grammar");
  auto* trace_policy = trace_cmd->add_option("--policy", trace.source.file, "confine it by this policy file too");
  trace_cmd->add_option("--profile", trace.source.profile, "confine it by an embedded profile (default: all)")
      ->excludes(trace_policy);
  trace_cmd->add_flag("-f,--follow-forks", trace.follow,
                      "with -o FILE, prefix every line with its pid, as strace -f (every process is always\n"
                      "traced, and on stderr lines get [pid N] while there are several); -ff with -o FILE:\n"
                      "each thread's lines in FILE.TID instead");
  auto* trace_t = trace_cmd->add_flag("-t", trace.timestamps,
                                      "time of day on each line, when its call began (as strace); -tt with microseconds,\n"
                                      "-ttt as seconds since the epoch");
  auto* trace_r = trace_cmd->add_flag("-r", trace.relative, "time since the previous line on each line")->excludes(trace_t);
  trace_cmd->add_flag("-T", trace.durations, "time spent in each call, as <seconds> after its result");
  trace_cmd->add_flag("-A,--output-append-mode", trace.append, "with -o FILE: append to it (and to -ff's files) instead of emptying it");
  bool seccomp_bpf = false;
  trace_cmd->add_flag("--seccomp-bpf", seccomp_bpf, "accepted: sysgate's calls are always chosen in the kernel, by its filter");
  std::string absolute_spec, relative_spec, durations_spec;
  auto* absolute_opt = trace_cmd->add_option("--absolute-timestamps,--timestamps", absolute_spec,
                                             "-t's long form: [[format:]time|unix|none][,[precision:]s|ms|us|ns]\n"
                                             "(no value: time,s)")
                           ->expected(0, 1)
                           ->excludes(trace_r);
  auto* relative_opt = trace_cmd->add_option("--relative-timestamps", relative_spec,
                                             "-r's long form: s|ms|us|ns (no value: us)")
                           ->expected(0, 1)
                           ->excludes(trace_t)
                           ->excludes(absolute_opt);
  auto* durations_opt = trace_cmd->add_option("--syscall-times", durations_spec,
                                              "-T's long form: s|ms|us|ns (no value: us)")
                            ->expected(0, 1);
  trace_cmd->add_flag("-x", trace.hex_strings, "strings with other than printable ASCII in hex; -xx: all strings");
  std::optional<std::string> strings_in_hex;
  trace_cmd->add_option("--strings-in-hex", strings_in_hex,
                        "-x's long form: non-ascii (-x), all (-xx, and with no value), non-ascii-chars (only the bytes\n"
                        "shown escaped, as \\xHH instead of octal)")
      ->expected(0, 1);
  trace_cmd->add_option("-I,--interruptible", trace.interruptible,
                        "accepted (strace's modes for when its own signals are blocked while it stops a tracee; the\n"
                        "monitor stops no tracee)");
  std::vector<std::string> attach;
  trace_cmd->add_option("-p,--attach", attach, "not supported: sysgate traces the commands it starts (the gate must be\n"
                                               "in a process from its first instruction)");
  int daemonize = 0;
  trace_cmd->add_flag("-D", daemonize, "not supported (strace's tracer as a detached grandchild; sysgate's monitor is "
                                       "the command's parent)");
  trace_cmd->add_option("-X,--const-print-style", trace.const_print_style,
                        "how named constants and flags print: abbrev (names, strace's default: O_RDONLY|O_CLOEXEC),\n"
                        "raw (numbers: 0x80000), verbose (both: 0x80000 /* O_RDONLY|O_CLOEXEC */)");
  trace_cmd->add_flag("-i,--instruction-pointer", trace.instruction_pointers,
                      "the instruction pointer at each call: [address after its syscall instruction]");
  trace_cmd->add_flag("-k,--stack-traces", trace.stack_traces,
                      "each call's stack trace under its line, as strace -k (the monitor reads the ELF and DWARF of\n"
                      "the files the program maps: for programs you would debug, not ones you confine)");
  trace_cmd->add_flag("-n,--syscall-number", trace.syscall_numbers,
                      "the syscall's number before each line: [ 257]; on signal and exit lines the task's last call's");
  trace_cmd->add_flag("-y", trace.fd_paths,
                      "show what each file descriptor names: 3</etc/passwd>; -yy: and a socket's endpoints,\n"
                      "4<TCP:[127.0.0.1:41234->127.0.0.1:80]>, a device's numbers, 1</dev/null<char 1:3>>");
  trace_cmd->add_flag("-Y", trace.pid_names, "show each task's command name after its id: 1234<sh> (in [pid N] prefixes, pid\n"
                                             "and tid arguments, getpid's or clone's result, a signal's sender)");
  std::string detach_on;
  trace_cmd->add_option("-b,--detach-on", detach_on,
                        "execve: stop tracing a process once it execs (its exec shows as \"<detached ...>\"; the\n"
                        "new image and what it starts run untraced, still confined)");
  std::string decode_pids;
  trace_cmd->add_option("--decode-pids", decode_pids, "comm: -Y's long form");
  trace_cmd->add_option("-P,--trace-path", trace.trace_paths, "show only calls that access this path (by name or descriptor); repeatable")
      ->expected(1)
      ->allow_extra_args(false)
      ->take_all();  // one path per flag, as --allow-read
  auto* trace_z = trace_cmd->add_flag("-z,--successful-only", trace.successful_only, "show only calls that returned without an error");
  trace_cmd->add_flag("-Z,--failed-only", trace.failed_only, "show only calls that returned an error")->excludes(trace_z);
  trace_cmd->add_option("-o,--output", trace.output, "write the trace to this file");
  trace_cmd->add_option("-s,--string-limit", trace.max_string, "bytes of data buffers to show (like strace -s)")
      ->check(CLI::Validator(
          [](std::string& value) {
            const bool digits = !value.empty() && value.find_first_not_of("0123456789") == std::string::npos;
            return digits ? std::string() : "invalid -s argument: '" + value + "'";  // strace's words
          },
          "N"));
  auto* trace_c = trace_cmd->add_flag("-c,--summary-only", trace.summary, "count calls and errors per syscall (like strace -c)");
  trace_cmd->add_flag("-C,--summary", trace.summary_too, "the lines, and -c's table after them")->excludes(trace_c);
  trace_cmd->add_option("-S,--summary-sort-by", trace.summary_sort,
                        "order of -c's table: time (default), min-time, max-time, avg-time, calls, errors, name, nothing");
  trace_cmd->add_option("-U,--summary-columns", trace.summary_columns,
                        "-c's columns, in order: time-percent, total-time, min-time, max-time, avg-time, calls, errors,\n"
                        "name (last when not given)");
  trace_cmd->add_option("-O,--summary-syscall-overhead", trace.summary_overhead,
                        "OVERHEAD[UNIT]: taken from every call's time in -c's table (microseconds unless s, ms, us, ns)");
  trace_cmd->add_flag("-w,--summary-wall-clock", trace.wall_clock, "accepted: -c's times are always the wall-clock time in each call (strace -w)");
  trace_cmd->add_option("-a,--columns", trace.align_column, "align results at this column (default 40)");
  trace_cmd->add_flag("--json", trace.json, "one JSON object per call");
  trace_cmd->add_flag("--no-rewrite", trace.no_rewrite,
                      "keep every call on the SIGSYS trap path (no rewritten syscall sites)");
  trace_cmd->add_flag("--no-sweep", trace.no_sweep,
                      "rewrite only syscall sites that trapped, not their neighbours on the same pages");
  trace_cmd->add_flag("--rewrite-stats", trace.rewrite_stats,
                      "at the end, on stderr: syscall sites rewritten or left on the trap path, and the share of\n"
                      "calls that went through rewritten sites");
  trace_cmd->add_option("--hooks", trace.hooks, "load this hook library into the gate of every image");
  trace_cmd->add_flag("-v,--no-abbrev", trace.verbose, "unabbreviated: stat structs whole, exec environments listed (as strace -v)");
  trace_cmd->add_flag("-q", trace.quiet, "-qq: no \"+++ exited with N +++\" lines (there are no attach messages to hide)");
  trace_cmd->add_option("-u,--user", trace.user,
                        "run as this user (from /etc/passwd and /etc/group, or UID:GID): sysgate becomes the user "
                        "once -o's file is open, so neither the command nor the monitor has root's rights");
  trace_cmd->add_option("-E,--env", trace.environment_changes, "VAR=VALUE: set it in the command's environment; VAR: remove it")
      ->expected(1)
      ->allow_extra_args(false)
      ->take_all();
  trace_cmd->add_option("-e", trace.expressions,
                        "trace=SET: which syscalls to show (strace's sets and %classes); signal=SET: which signals; "
                        "status=SET: successful, failed, unfinished (\"!\" negates); "
                        "inject=SET:error=E|retval=N|signal=S|delay_enter=T|delay_exit=T[:when=EXPR] and "
                        "fault=SET[:error=E][:when=EXPR]: tamper with those calls (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)
      ->take_all();  // one expression per flag, as --allow-read
  // strace's long forms of -e QUALIFIER=SET: --trace=SET is -e trace=SET.
  static const char* const kQualifiers[] = {"trace", "signal", "status", "abbrev", "verbose", "raw",
                                            "read",  "write",  "inject", "fault",   "quiet", "decode-fds"};
  static std::vector<std::string> qualified[std::size(kQualifiers)];
  CLI::Option* decode_fds_opt = nullptr;
  size_t decode_fds_index = 0;
  for (size_t i = 0; i < std::size(kQualifiers); ++i) {
    CLI::Option* o =
        trace_cmd->add_option(std::string("--") + kQualifiers[i], qualified[i], std::string("-e ") + kQualifiers[i] + "=SET")
            ->allow_extra_args(false)
            ->take_all();
    // --decode-fds alone is -y, as strace's (its value is optional there).
    if (std::string_view(kQualifiers[i]) == "decode-fds") {
      o->expected(0, 1);
      decode_fds_opt = o;
      decode_fds_index = i;
    } else {
      o->expected(1);
    }
  }
  bool output_separately = false;
  trace_cmd->add_flag("--output-separately", output_separately, "-ff's second f: with -o FILE, each thread's lines in FILE.TID");
  // Required, but checked after -p's own message (main, below).
  trace_cmd->add_option("command", trace.command, "the command and its arguments (after --); required");
  trace_cmd->callback([&] {
    for (size_t i = 0; i < std::size(kQualifiers); ++i) {
      for (const std::string& set : qualified[i]) {
        if (!set.empty()) trace.expressions.push_back(std::string(kQualifiers[i]) + "=" + set);
      }
    }
    const std::vector<std::string>& decode_fds = qualified[decode_fds_index];
    if (decode_fds_opt->count() > 0 && std::all_of(decode_fds.begin(), decode_fds.end(), [](auto& s) { return s.empty(); })) {
      trace.expressions.push_back("decode-fds=path");
    }
    if (output_separately) trace.follow = std::max(trace.follow, 2);
  });

  sysgate::policy::PolicySource check_source;
  bool dump = false;
  CLI::App* check_cmd = app.add_subcommand("check", "validate a policy and summarise it");
  auto* check_file = check_cmd->add_option("file", check_source.file, "policy file");
  check_cmd->add_option("--profile", check_source.profile, "check an embedded profile instead")->excludes(check_file);
  check_cmd->add_flag("--dump", dump, "print the compiled BPF program");

  sysgate::policy::PolicySource explain_source;
  std::vector<std::string> explain_args;
  CLI::App* explain_cmd =
      app.add_subcommand("explain", "say which rule decides a syscall: explain FILE SYSCALL [ARGS...]");
  explain_cmd->add_option("--profile", explain_source.profile, "use an embedded profile instead of FILE");
  explain_cmd->add_option("words", explain_args, "[FILE] SYSCALL [ARG...] (args: numbers or constants)")
      ->required();

  bool markdown = false;
  CLI::App* promises_cmd = app.add_subcommand("promises", "list the promises and what they grant");
  promises_cmd->add_flag("--markdown", markdown, "print docs/promises.md");

  // run's and trace's options end at the command, as strace's do.
  std::vector<std::string> args(argv, argv + argc);
  if (argc >= 2 && (std::string(argv[1]) == "run" || std::string(argv[1]) == "trace")) {
    args = sysgate::cli::with_command_boundary(std::string(argv[1]) == "run" ? *run_cmd : *trace_cmd, argc, argv, 2);
  }
  try {
    // CLI11 takes the arguments last first, without the program's name.
    app.name(args[0]);
    std::vector<std::string> reversed(args.rbegin(), args.rend() - 1);
    app.parse(std::move(reversed));
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (run_cmd->parsed()) {
    add_path_rules(run.source.extra_files, allow_read, sysgate::policy::kRead, "--allow-read");
    add_path_rules(run.source.extra_files, allow_write,
                   sysgate::policy::kRead | sysgate::policy::kWrite | sysgate::policy::kCreate, "--allow-write");
    add_path_rules(run.source.extra_files, allow_exec, sysgate::policy::kRead | sysgate::policy::kExecute,
                   "--allow-exec");
    return sysgate::cli::run_command(run);
  }
  if (trace_cmd->parsed()) {
    if (absolute_opt->count() > 0) trace.absolute_timestamps = absolute_spec;
    if (relative_opt->count() > 0) trace.relative_timestamps = relative_spec;
    if (durations_opt->count() > 0) trace.syscall_times = durations_spec;
    // -e decode-fds=SET (--decode-fds=SET): strace's long form of -y (path)
    // and -yy (socket, dev, all; pidfd is not shown).
    for (auto it = trace.expressions.begin(); it != trace.expressions.end();) {
      if (it->rfind("decode-fds=", 0) != 0) {
        ++it;
        continue;
      }
      std::stringstream names(it->substr(11));
      for (std::string name; std::getline(names, name, ',');) {
        if (name == "path" || name == "pidfd") {
          trace.fd_paths = std::max(trace.fd_paths, 1);
        } else if (name == "socket" || name == "dev" || name == "all") {
          trace.fd_paths = 2;
        } else if (name != "none") {
          std::cerr << "sysgate trace: -e " << *it << ": invalid decode-fds '" << name << "'\n";
          return 2;
        }
      }
      it = trace.expressions.erase(it);
    }
    if (!attach.empty()) {
      std::cerr << "sysgate trace: -p: not supported: sysgate traces only the commands it starts, whose every image "
                   "the gate is in from its first instruction (trace -- COMMAND instead)\n";
      return 2;
    }
    if (trace.command.empty()) {
      std::cerr << "sysgate trace: a command is required: sysgate trace [OPTIONS] -- COMMAND [ARGS...]\n";
      return 2;
    }
    if (daemonize != 0) {
      std::cerr << "sysgate trace: -D: not supported: the monitor stays the command's parent\n";
      return 2;
    }
    if (strings_in_hex) {
      const std::string& v = *strings_in_hex;
      if (v.empty() || v == "all") {
        trace.hex_strings = 2;
      } else if (v == "non-ascii") {
        trace.hex_strings = std::max(trace.hex_strings, 1);
      } else if (v == "non-ascii-chars") {
        trace.hex_chars = true;
      } else if (v != "none") {
        std::cerr << "sysgate trace: --strings-in-hex=" << v << ": invalid value (none, non-ascii-chars, non-ascii, all)\n";
        return 2;
      }
    }
    if (!trace.const_print_style.empty() && !sysgate::syscalls::const_style_by_name(trace.const_print_style)) {
      std::cerr << "sysgate trace: -X " << trace.const_print_style << ": invalid value (abbrev, raw, verbose)\n";
      return 2;
    }
    static const char* const kInterruptible[] = {"1", "2", "3", "4", "anywhere", "waiting", "never", "never_tstp"};
    if (!trace.interruptible.empty() &&
        std::find(std::begin(kInterruptible), std::end(kInterruptible), trace.interruptible) == std::end(kInterruptible)) {
      std::cerr << "sysgate trace: -I " << trace.interruptible
                << ": invalid value (1, 2, 3, 4, anywhere, waiting, never, never_tstp)\n";
      return 2;
    }
    if (!detach_on.empty()) {
      if (detach_on != "execve") {
        std::cerr << "sysgate trace: -b " << detach_on << ": only execve is supported (as strace's -b)\n";
        return 2;
      }
      trace.detach_on_exec = true;
    }
    if (!decode_pids.empty()) {  // strace's --decode-pids=comm|pidns|all|none
      std::stringstream names(decode_pids);
      for (std::string name; std::getline(names, name, ',');) {
        if (name == "comm") {
          trace.pid_names = true;
        } else if (name == "pidns" || name == "all") {
          std::cerr << "sysgate trace: --decode-pids=" << name
                    << ": not supported (ids are shown as the traced program sees them, without a translation to "
                       "sysgate's PID namespace)\n";
          return 2;
        } else if (name != "none") {
          std::cerr << "sysgate trace: --decode-pids: invalid value '" << name << "' (comm, pidns, all or none)\n";
          return 2;
        }
      }
    }
    return sysgate::cli::trace_command(trace);
  }
  if (check_cmd->parsed()) {
    if (check_source.file.empty() && check_source.profile.empty()) {
      std::cerr << "sysgate check: give a policy FILE or --profile NAME\n";
      return 2;
    }
    return sysgate::cli::check_command(check_source, dump);
  }
  if (explain_cmd->parsed()) {
    if (explain_source.profile.empty()) {
      if (explain_args.size() < 2) {
        std::cerr << "sysgate explain: usage: explain FILE SYSCALL [ARGS...] (or --profile NAME SYSCALL ...)\n";
        return 2;
      }
      explain_source.file = explain_args.front();
      explain_args.erase(explain_args.begin());
    }
    std::string syscall = explain_args.front();
    explain_args.erase(explain_args.begin());
    return sysgate::cli::explain_command(explain_source, syscall, explain_args);
  }
  if (promises_cmd->parsed()) return sysgate::cli::promises_command(markdown);
  return 2;
}
