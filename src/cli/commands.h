// The subcommands of the sysgate CLI. Each returns the process exit status:
// 0 success, 1 a failed check, 2 bad input (policy errors, unknown names),
// otherwise the confined command's own status (run).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "policy/parser.h"

namespace sysgate::cli {

struct RunFlags {
  policy::PolicySource source;
  bool kill_on_violation = false;
  bool json = false;
  bool quiet = false;  // no notes (degradations), only violations
  std::string hooks;   // --hooks LIB: a hook library for the gate (include/sysgate/hook_library.h)
  std::vector<std::string> command;
  std::array<bool, 3> closed_stdio = {false, false, false};  // 0, 1, 2 sysgate was started without
};

// strace's -e status= classes that sysgate can tell apart ("unavailable" and
// "detached" never happen here: they are accepted and match nothing).
enum StatusBits { kStatusSuccessful = 1, kStatusFailed = 2, kStatusUnfinished = 4 };

struct TraceFlags {
  policy::PolicySource source;  // default: the `all` profile
  int follow = 0;               // -f: [pid N] prefixes; -ff with -o: a file per thread, FILE.TID
  int timestamps = 0;           // -t, -tt, -ttt: wall-clock time of each line
  bool relative = false;        // -r: time since the previous line
  bool durations = false;       // -T: time spent in each call
  // strace's long forms, with their optional values: --absolute-timestamps[=SPEC]
  // (--timestamps), --relative-timestamps[=PRECISION], --syscall-times[=PRECISION].
  std::optional<std::string> absolute_timestamps, relative_timestamps, syscall_times;
  bool instruction_pointers = false;  // -i: where the program resumes after each call
  bool stack_traces = false;    // -k: each call's stack trace under its line
  bool syscall_numbers = false;  // -n: "[ 257] ": the call's number; on ---/+++ lines the task's last call's
  int hex_strings = 0;          // -x: non-ASCII strings in hex; -xx: all strings
  bool hex_chars = false;       // --strings-in-hex=non-ascii-chars: escapes in hex instead of octal
  bool successful_only = false; // -z: only calls that returned without an error
  bool failed_only = false;     // -Z: only calls that returned an error
  // -e status=SET (and -z, -Z, which it replaces): StatusBits of the calls shown; 0: all.
  int statuses = 0;
  int fd_paths = 0;             // -y: descriptors with what they name, "3</etc/passwd>"; -yy: sockets' endpoints, devices' numbers
  bool pid_names = false;       // -Y: a task's command name after its id, "1234<sh>"
  std::vector<std::string> trace_paths;  // -P PATH: only calls that access these paths
  std::string output;           // -o FILE (default stderr)
  bool append = false;          // -A: -o FILE (and -ff's files) appended to, not emptied
  size_t max_string = 32;       // -s N
  bool summary = false;         // -c: strace -c's table instead of lines
  bool summary_too = false;     // -C: the lines, and strace -c's table after them
  std::string summary_sort;     // -S: the table's order (time, calls, errors, name, nothing)
  std::string summary_columns;  // -U: the table's columns (name,calls,min-time,...)
  std::string summary_overhead; // -O: a tracing overhead taken from every call's time, OVERHEAD[UNIT]
  bool wall_clock = false;      // -w: accepted; -c's times are always wall-clock time in the calls
  size_t align_column = 40;     // -a: the column results are aligned to
  bool json = false;            // --json: one object per call
  std::vector<std::string> expressions;  // -e trace=SET, -e signal=SET (a bare SET is trace=)
  bool no_rewrite = false;      // --no-rewrite: every call on the SIGSYS trap path
  bool detach_on_exec = false;  // -b execve: a process that execs is traced no more
  std::string interruptible;    // -I: accepted (validated), no effect
  std::string const_print_style;  // -X: abbrev (or ""), raw or verbose (syscalls/const_style.h)
  bool no_sweep = false;        // --no-sweep: rewrite only sites that trapped (docs/gate.md, "Sweeping a page")
  bool rewrite_stats = false;   // --rewrite-stats: what the site rewriter did, on stderr at the end
  std::string hooks;            // --hooks LIB, as for run
  bool verbose = false;         // -v: stat structs whole, exec environments listed
  int quiet = 0;                // -qq: no "+++ exited with N +++" lines (-q, -qqq: accepted)
  bool quiet_superseded = false;  // -e quiet=superseded: no "+++ superseded by execve ..." lines
  std::vector<std::string> environment_changes;  // -E VAR=VALUE sets, -E VAR removes
  std::string user;             // -u USER (or UID:GID): sysgate, and so the command, run as that user
  std::vector<int> inherited_fds;  // sysgate's own >= 3 without CLOEXEC: the command keeps them, as under strace
  std::array<bool, 3> closed_stdio = {false, false, false};  // 0, 1, 2 sysgate was started without
  // -y: whether the monitor may resolve a path from a record (symlinks, "..")
  // in its own view; set by trace_command from the policy (FdPaths::system_probe).
  bool resolve_paths = true;
  std::vector<std::string> command;
};

int run_command(const RunFlags& flags);
int trace_command(const TraceFlags& flags);
int check_command(const policy::PolicySource& source, bool dump);
int explain_command(const policy::PolicySource& source, const std::string& syscall,
                    const std::vector<std::string>& args);
int promises_command(bool markdown);

// Prints "sysgate: <error>" to stderr and returns the exit status for it (2 for bad input).
int report_error(const Error& error);

}  // namespace sysgate::cli
