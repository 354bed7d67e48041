#include <unistd.h>

#include <iostream>

#include "cli/commands.h"
#include "cli/trace_output.h"
#include "monitor/runner.h"

namespace sysgate::cli {

int report_error(const Error& error) {
  std::cerr << "sysgate: " << error.describe() << "\n";
  switch (error.code) {
    case ErrorCode::kParse:
    case ErrorCode::kUnknownName:
    case ErrorCode::kConflict:
    case ErrorCode::kTooLarge:
    case ErrorCode::kInvalidArgument:
      return 2;
    case ErrorCode::kNotFound:
      return 127;  // like a shell: command or file not found
    default:
      return 126;  // found but could not be run
  }
}

int run_command(const RunFlags& flags) {
  Result<policy::Policy> policy = policy::load_policy(flags.source);
  if (!policy) return report_error(policy.error());

  monitor::RunOptions options;
  options.command = flags.command;
  options.kill_on_violation = flags.kill_on_violation;
  options.closed_stdio = flags.closed_stdio;
  options.hooks = flags.hooks;
  options.on_violation = [&](const monitor::Violation& v) {
    // One write per report, so lines from the program and from sysgate never
    // interleave mid-line; and a write that waits while the pipe is full: the
    // program shares stderr, and may have made it non-blocking to have the
    // reports dropped (std::cerr stayed failed after one EAGAIN).
    write_all(STDERR_FILENO, (flags.json ? monitor::format_json(v) : monitor::format_text(v)) + "\n");
  };
  options.on_note = [&](const std::string& line) {
    if (!flags.quiet && !flags.json) write_all(STDERR_FILENO, "sysgate: note: " + line + "\n");
  };
  Result<monitor::RunResult> result = monitor::run_confined(*policy, options);
  if (!result) return report_error(result.error());
  return result->exit_status;
}

}  // namespace sysgate::cli
