// `sysgate trace`: run a command with the gate armed and print its syscalls in
// strace's grammar (src/trace/formatter.h), or strace -c's table (-c).
#include <asm/unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>

#include "cli/commands.h"
#include "syscalls/call_format.h"
#include "monitor/runner.h"
#include "trace/formatter.h"
#include "trace/rewrite_counts.h"
#include "trace/signal_format.h"
#include "trace/summary.h"
#include "trace/trace_filter.h"

extern char** environ;

namespace sysgate::cli {

namespace {

// Writes lines to the output; execs are held until their outcome is known
// (the next record of the same process says whether the exec happened).
class TracePrinter {
 public:
  TracePrinter(FILE* out, const TraceFlags& flags, std::optional<trace::TraceFilter> filter)
      : out_(out), flags_(flags), filter_(std::move(filter)) {
    options_.max_string = flags.max_string;
    options_.pid_prefix = flags.follow;
  }

  // The command's own first execve is made by sysgate's launcher, before any gate
  // exists: print it as strace would, from what sysgate itself passed (the
  // environment's address is not known, so only its size is shown).
  void set_first_exec(const std::string& path, const std::vector<std::string>& argv, size_t env_count) {
    first_exec_ = "execve(" + syscalls::quote_string(path, false) + ", [";
    for (size_t i = 0; i < argv.size(); ++i) first_exec_ += (i ? ", " : "") + syscalls::quote_string(argv[i], false);
    first_exec_ += "], /* " + std::to_string(env_count) + " vars */) = 0";
  }

  void record(const trace::Record& r) {
    if (r.kind == trace::kRecordPad) return;
    if (!first_exec_.empty()) {
      if (wanted(__NR_execve) && !flags_.summary && !flags_.json) {
        char prefix[32] = "";
        if (flags_.follow) std::snprintf(prefix, sizeof prefix, "[pid %5d] ", r.pid);  // as strace -f
        line(prefix + first_exec_);
      }
      first_exec_.clear();
    }
    if (r.kind == trace::kRecordRewriteCounts) {
      counts_.add(r);
      return;
    }
    if (r.kind == trace::kRecordSignal) {
      // As strace: shown whatever -e trace= selects; not counted by -c.
      if (!flags_.summary) line(flags_.json ? trace::format_signal_json(r, options_) : trace::format_signal(r, options_));
      return;
    }
    auto pending = pending_exec_.find(r.pid);
    if (pending != pending_exec_.end()) {
      trace::Record enter = pending->second;
      pending_exec_.erase(pending);
      const bool failed = r.kind == trace::kRecordSyscall && r.nr == enter.nr && r.tid == enter.tid;
      if (failed) {
        emit(r);  // the error of the exec
        return;
      }
      emit(trace::exec_result(enter));
    }
    if (r.kind == trace::kRecordSyscallEnter) {
      pending_exec_[r.pid] = r;
      return;
    }
    emit(r);
    if (r.kind == trace::kRecordExit && r.nr == __NR_exit_group && !flags_.summary && !flags_.json) {
      line(trace::format_exited(r.tid, static_cast<int>(r.args[0] & 0xff), options_));
    }
  }

  const trace::RewriteCounts& rewrite_counts() const { return counts_; }

  // The command's own process died of a signal (its other processes' deaths
  // are not known here): "+++ killed by SIGSYS +++", as strace ends.
  void killed(int pid, int signal, bool core_dumped) {
    if (flags_.summary || flags_.json) return;
    line(trace::format_killed(pid, signal, core_dumped, options_));
  }

  // Execs whose process ended without another record: the exec happened.
  void finish() {
    for (const auto& [pid, enter] : pending_exec_) emit(trace::exec_result(enter));
    pending_exec_.clear();
    if (flags_.summary) {
      const std::string table = summary_.render();
      std::fwrite(table.data(), 1, table.size(), out_);
    }
  }

 private:
  bool wanted(int nr) const { return !filter_ || filter_->matches(nr); }

  void emit(const trace::Record& r) {
    if (!wanted(r.nr)) return;
    if (flags_.summary) {
      summary_.add(r);
      return;
    }
    line(flags_.json ? trace::format_json(r, options_) : trace::format_record(r, options_));
  }

  void line(std::string text) {
    if (text.empty()) return;
    text += "\n";
    std::fwrite(text.data(), 1, text.size(), out_);
  }

  FILE* out_;
  const TraceFlags& flags_;
  std::optional<trace::TraceFilter> filter_;
  trace::FormatOptions options_;
  trace::Summary summary_;
  trace::RewriteCounts counts_;
  std::map<int32_t, trace::Record> pending_exec_;
  std::string first_exec_;
};

}  // namespace

int trace_command(const TraceFlags& flags) {
  policy::PolicySource source = flags.source;
  if (source.file.empty() && source.profile.empty()) source.profile = "all";  // like strace: confine nothing
  Result<policy::Policy> policy = policy::load_policy(source);
  if (!policy) return report_error(policy.error());

  std::optional<trace::TraceFilter> filter;
  if (!flags.expression.empty()) {
    std::string set = flags.expression;
    if (set.rfind("trace=", 0) == 0) set.erase(0, 6);
    else if (set.find('=') != std::string::npos) {
      std::cerr << "sysgate trace: only -e trace=SET is supported, not " << flags.expression << "\n";
      return 2;
    }
    Result<trace::TraceFilter> parsed = trace::parse_trace_filter(set);
    if (!parsed) {
      std::cerr << "sysgate trace: -e " << flags.expression << ": " << parsed.error().message << "\n";
      return 2;
    }
    filter = std::move(*parsed);
  }

  // Calls outside the set are not even recorded: the gate skips them.
  std::optional<std::array<uint64_t, 8>> call_mask;
  if (filter) {
    std::array<uint64_t, 8> mask{};
    for (int nr = 0; nr < trace::kCallMaskNumbers; ++nr) {
      if (filter->matches(nr)) mask[static_cast<size_t>(nr / 64)] |= uint64_t{1} << (nr % 64);
    }
    call_mask = mask;
  }

  FILE* out = stderr;
  if (!flags.output.empty()) {
    out = std::fopen(flags.output.c_str(), "w");
    if (out == nullptr) {
      std::cerr << "sysgate trace: cannot write " << flags.output << "\n";
      return 2;
    }
    // Lines arrive by the thousand per poll: write them in large pieces.
    std::setvbuf(out, nullptr, _IOFBF, 1 << 20);
  }
  TracePrinter printer(out, flags, std::move(filter));
  {
    size_t env_count = 0;
    for (char** e = environ; *e != nullptr; ++e) ++env_count;
    printer.set_first_exec(flags.command[0], flags.command, env_count);
  }
  monitor::RunOptions options;
  options.command = flags.command;
  options.hooks = flags.hooks;
  monitor::TraceOptions trace;
  trace.max_data = static_cast<uint32_t>(std::min<size_t>(flags.max_string, 4096));
  trace.rewrite = !flags.no_rewrite;
  trace.call_mask = call_mask;
  trace.on_record = [&](const trace::Record& r) { printer.record(r); };
  options.trace = trace;
  options.on_violation = [&](const monitor::Violation& v) {
    std::string line = monitor::format_text(v) + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
  };
  options.on_note = [&](const std::string& line) { std::cerr << "sysgate: note: " << line << "\n"; };
  Result<monitor::RunResult> result = monitor::run_confined(*policy, options);
  printer.finish();
  if (result && result->killed_by != 0) printer.killed(result->pid, result->killed_by, result->core_dumped);
  if (out != stderr) std::fclose(out);
  if (flags.rewrite_stats) std::cerr << "sysgate trace: " << printer.rewrite_counts().render() << "\n";
  if (!result) return report_error(result.error());
  return result->exit_status;
}

}  // namespace sysgate::cli
