// `sysgate trace`: run a command with the gate armed and print its syscalls.
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "monitor/runner.h"
#include "syscalls/call_format.h"
#include "trace/record.h"

namespace sysgate::cli {

int trace_command(const TraceFlags& flags) {
  policy::PolicySource source = flags.source;
  if (source.file.empty() && source.profile.empty()) source.profile = "all";  // like strace: confine nothing
  Result<policy::Policy> policy = policy::load_policy(source);
  if (!policy) return report_error(policy.error());

  FILE* out = stderr;
  if (!flags.output.empty()) {
    out = std::fopen(flags.output.c_str(), "w");
    if (out == nullptr) {
      std::cerr << "sysgate trace: cannot write " << flags.output << "\n";
      return 2;
    }
  }
  monitor::RunOptions options;
  options.command = flags.command;
  monitor::TraceOptions trace;
  trace.max_data = flags.max_string;
  trace.on_record = [&](const trace::Record& r) {
    trace::RecordMemory memory(r);
    syscalls::FormatOptions fo;
    fo.max_string = flags.max_string;
    std::string line = flags.follow ? "[pid " + std::to_string(r.tid) + "] " : "";
    line += syscalls::format_call(r.nr, r.args, &memory, fo);
    if (r.kind == trace::kRecordSyscall) line += " = " + std::to_string(r.ret);
    else line += " = ?";
    line += "\n";
    std::fwrite(line.data(), 1, line.size(), out);
  };
  options.trace = trace;
  options.on_violation = [&](const monitor::Violation& v) {
    std::string line = monitor::format_text(v) + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
  };
  Result<monitor::RunResult> result = monitor::run_confined(*policy, options);
  if (out != stderr) std::fclose(out);
  if (!result) return report_error(result.error());
  return result->exit_status;
}

}  // namespace sysgate::cli
