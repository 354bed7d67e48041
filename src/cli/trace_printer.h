// sysgate trace's printer: the records of a trace, in time order, as the
// lines strace -f prints (or -c's table, or --json's objects), with what
// strace shows between them: exec outcomes (an exec's line is held until the
// new image's start or the exec's failure says how it went), thread and
// process ends, signals, and the options that change lines (-y, -Y, -P, -e,
// -t/-r/-T, -k, -b execve). Used by trace_command.cc only. Not thread-safe:
// the monitor's thread feeds it.
#pragma once

#include <asm/unistd.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "cli/trace_output.h"
#include "syscalls/call_format.h"
#include "syscalls/number_text.h"
#include "trace/fd_paths.h"
#include "trace/formatter.h"
#include "trace/io_dump.h"
#include "trace/line_time.h"
#include "trace/path_filter.h"
#include "trace/pid_names.h"
#include "trace/rewrite_counts.h"
#include "trace/signal_filter.h"
#include "trace/signal_format.h"
#include "trace/socket_names.h"
#include "trace/stack_unwinder.h"
#include "trace/summary.h"
#include "trace/trace_filter.h"

namespace sysgate::cli {

// What -t, -tt, -ttt, -r and their long forms (checked by trace_command
// before) put before each line.
inline trace::Stamps stamps_of(const TraceFlags& flags) {
  trace::Stamps stamps;
  if (flags.relative) stamps = {trace::StampStyle::kRelative, 6};
  else if (flags.timestamps == 1) stamps = {trace::StampStyle::kTimeOfDay, 0};
  else if (flags.timestamps == 2) stamps = {trace::StampStyle::kTimeOfDay, 6};
  else if (flags.timestamps >= 3) stamps = {trace::StampStyle::kUnix, 6};
  if (flags.absolute_timestamps) stamps = *trace::parse_absolute_timestamps(*flags.absolute_timestamps);
  if (flags.relative_timestamps) {
    stamps = {trace::StampStyle::kRelative, trace::parse_precision(*flags.relative_timestamps).value_or(6)};
  }
  return stamps;
}

// Whether the gate stamps each call's start (RegionHeader::time_calls): -T and
// -c time calls, and a line's timestamp is, as strace's, when its call began.
inline bool stamps_call_starts(const TraceFlags& flags) {
  return flags.durations || flags.summary || flags.summary_too || stamps_of(flags).style != trace::StampStyle::kNone;
}

class TracePrinter {
 public:
  // task_files: -ff -o FILE's base name (lines go to FILE.TID), or "" for one output.
  // traced: the processes whose /proc -y and -yy may read (trace/traced_processes.h).
  TracePrinter(int fd, const TraceFlags& flags, std::optional<trace::TraceFilter> filter,
               trace::TracedProcesses* traced, const std::string& task_files = "")
      : out_(fd), socket_names_(traced), flags_(flags), filter_(std::move(filter)) {
    options_.max_string = flags.max_string;
    options_.verbose = flags.verbose;
    options_.const_style =
        syscalls::const_style_by_name(flags.const_print_style).value_or(syscalls::ConstStyle::kAbbrev);  // -X
    options_.align_column = flags.align_column;
    options_.string_style = flags.hex_strings >= 2   ? syscalls::StringStyle::kHexAll
                            : flags.hex_strings == 1 ? syscalls::StringStyle::kHexNonAscii
                            : flags.hex_chars        ? syscalls::StringStyle::kHexChars
                                                     : syscalls::StringStyle::kEscaped;
    if (!task_files.empty()) task_files_.emplace(task_files, flags.append);
    if (!flags.trace_paths.empty()) path_filter_.emplace(flags.trace_paths);
    if ((flags.fd_paths && !flags.summary) || path_filter_) {  // -P follows descriptors too
      fd_paths_.emplace(trace::FdPaths::system_probe(traced, flags.resolve_paths));
      // The command starts where sysgate runs, with its 0, 1 and 2.
      if (char* here = getcwd(nullptr, 0); here != nullptr) {
        start_cwd_ = here;
        free(here);
      }
      std::vector<int> start = {0, 1, 2};
      start.insert(start.end(), flags.inherited_fds.begin(), flags.inherited_fds.end());
      for (int fd : start) {
        char link[4096];
        const ssize_t n = readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), link, sizeof link);
        if (n > 0 && static_cast<size_t>(n) < sizeof link) start_fds_[fd] = std::string(link, static_cast<size_t>(n));
      }
      if (flags.fd_paths && !flags.summary) {
        options_.fd_path = [this](int32_t fd) { return fd == AT_FDCWD ? fd_paths_->cwd(line_pid_) : shown_name(line_pid_, fd); };
      }
    }
    if (flags.pid_names && !flags.summary) {
      pid_names_.emplace(trace::PidNames::system_probe());
      options_.task_name = [this](int32_t tid) { return pid_names_->name(tid); };
    }
    to_file_ = !flags.output.empty();
    stamps_ = stamps_of(flags);
    if (flags.syscall_times) duration_digits_ = trace::parse_precision(*flags.syscall_times).value_or(6);
  }

  // The command's own first execve is made by sysgate's launcher, before any gate
  // exists: print it as strace would, from what sysgate itself passed (the
  // environment's address once launched: set_first_exec_envp).
  void set_first_exec(const std::string& path, const std::vector<std::string>& argv,
                      const std::vector<std::string>& env) {
    first_exec_path_ = path;
    if (flags_.stack_traces) first_exec_backtrace_ = trace::entry_backtrace(path);  // -k
    const syscalls::StringStyle style = options_.string_style;
    // Each string cut at -s, as strace cuts them.
    auto strings = [&](const std::vector<std::string>& list) {
      std::string text;
      for (size_t i = 0; i < list.size(); ++i) {
        const bool cut = list[i].size() > flags_.max_string;
        text += (i ? ", " : "") + syscalls::quote_string(cut ? list[i].substr(0, flags_.max_string) : list[i], cut, style);
      }
      return text;
    };
    first_exec_ = "execve(" + syscalls::quote_string(path, false, style) + ", [" + strings(argv);
    if (verbose_for(__NR_execve)) {  // -v: the environment's strings
      first_exec_ += "], [" + strings(env) + "]) = 0";
    } else {
      first_exec_ += "], ";
      first_exec_env_ = "/* " + std::to_string(env.size()) + " vars */) = 0";
    }
  }

  // Where the launcher's envp array was (the monitor built it before it forked
  // the launcher, so the address is the same there): strace prints the
  // address its own exec passed, "0x7ffd4b5e0d08 /* 37 vars */".
  void set_first_exec_envp(uint64_t address) {
    if (first_exec_env_.empty() || address == 0) return;
    std::string shown;
    syscalls::append_hex(shown, address);
    first_exec_env_ = shown + " " + first_exec_env_;
  }

  // The command's process: the one its first execve is shown for (the first
  // record read may be a child's: -e trace= may leave the command's own
  // calls unrecorded).
  void set_command_pid(int pid) {
    command_pid_ = pid;
    live_.try_emplace(pid, pid);
  }

  void record(const trace::Record& r) {
    if (r.kind == trace::kRecordPad) return;
    // -b execve: nothing of a process after the exec the trace detached at
    // (a clone's child with its pid again is another process).
    if (!detached_.empty() && detached_.count(r.pid) != 0) return;
    if (!first_exec_.empty()) {
      const int32_t pid = command_pid_ != 0 ? command_pid_ : r.pid;
      if (fd_paths_) fd_paths_->start(pid, start_cwd_, start_fds_);
      // -Y: sysgate made the process; its exec names it after the command.
      if (pid_names_) pid_names_->start(pid, trace::PidNames::system_probe()(getpid()).value_or(""));
      stamp(line_tsc(r));  // the command's first call comes right after its exec
      point(0);      // made by sysgate's launcher: where is not known
      number(__NR_execve);
      const bool path_selected = !path_filter_ || path_filter_->names(first_exec_path_);
      const bool shown_status = flags_.statuses == 0 || (flags_.statuses & kStatusSuccessful) != 0;
      if (wanted(__NR_execve) && path_selected && !flags_.summary && !flags_.json && shown_status) {
        choose_prefix();
        line(pid, trace::format_line_start(pid, options_) + first_exec_ + first_exec_env_);
        if (TraceOutput* out = output(pid)) print_backtrace(out, first_exec_backtrace_);
      }
      if ((flags_.summary || flags_.summary_too) && wanted(__NR_execve) && path_selected) {
        // -c counts it as strace does, with no time: no gate existed to time it.
        trace::Record exec;
        exec.kind = trace::kRecordSyscallEnter;
        exec.nr = __NR_execve;
        exec.pid = pid;
        exec.tid = pid;
        summary_.add(exec, 0);
      }
      first_exec_.clear();
      if (pid_names_) {
        trace::Record exec;
        exec.kind = trace::kRecordSyscall;
        exec.nr = __NR_execve;
        exec.pid = exec.tid = pid;
        exec.payloads.push_back(trace::Payload{0, trace::kPayloadPath, false, 0, first_exec_path_});
        pid_names_->after(exec);
      }
    }
    // What tells an exec's outcome: the new image's kRecordImageStarted (the
    // gate writes it as the loader arms it; else its first record, flagged
    // kRecordFirstOfImage), or the exec'ing thread's failure record. Another
    // thread's record may come between (one that returned before the exec
    // ended it, or while the exec fails).
    const bool image_began = r.kind == trace::kRecordImageStarted || (r.flags & trace::kRecordFirstOfImage) != 0;
    if (auto pending = pending_exec_.find(r.tid); pending != pending_exec_.end() || image_began) {
      const bool failed = !image_began && pending != pending_exec_.end() && r.kind == trace::kRecordSyscall &&
                          r.nr == pending->second.nr && r.pid == pending->second.pid;
      // The image names the thread whose exec made it (0 for the flagged
      // fallback record: then the latest exec of the process).
      if (image_began) pending = winning_exec(r.pid, r.kind == trace::kRecordImageStarted ? static_cast<int32_t>(r.args[0]) : 0);
      if (pending != pending_exec_.end() && (failed || image_began)) {
        trace::Record enter = std::move(pending->second);
        pending_exec_.erase(pending);
        if (image_began) end_losing_execs(enter.pid);
        choose_prefix();
        if (failed) {
          // The error of the exec, with the arguments as the enter record read
          // them before the call: the failure record carries no argv or envp.
          trace::Record error = r;
          error.payloads = std::move(enter.payloads);
          emit(error);
          return;
        }
        // It returned when the new image began (its kRecordImageStarted), and
        // began when the enter record was written, just before the call.
        trace::Record done = trace::exec_result(enter);
        done.tsc = r.tsc;
        if (stamps_call_starts(flags_)) done.enter_tsc = enter.tsc;
        stamp(r.tsc);
        if (flags_.detach_on_exec) return exec_detached(enter, done);  // r: the new image's one record
        exec_done(enter, done);
      }
    }
    if (r.kind == trace::kRecordImageStarted) return;  // (no line of its own)
    if (r.kind == trace::kRecordRewriteCounts) {
      counts_.add(r);
      return;
    }
    if (r.kind == trace::kRecordKilled) {  // another process a signal killed (monitor/process_deaths.h)
      if (auto pending = winning_exec(r.pid, 0); pending != pending_exec_.end()) {
        // Its exec worked: it would have come back with an error, not died.
        const trace::Record enter = std::move(pending->second);
        pending_exec_.erase(pending);
        end_losing_execs(enter.pid);
        trace::Record done = trace::exec_result(enter);
        done.tsc = r.tsc;
        stamp(r.tsc);
        if (flags_.detach_on_exec) {
          exec_detached(enter, done);  // -b execve: its death is not the trace's
        } else {
          exec_done(enter, done);
        }
      }
      killed(r.pid, static_cast<int>(r.nr), r.args[0] != 0, r.extras ? &r.extras->open_calls : nullptr, r.tsc);
      return;
    }
    if (live_.try_emplace(r.tid, r.pid).second) ended_.erase(r.tid);  // (a reused tid is a new task)
    choose_prefix();
    if (r.kind == trace::kRecordSignal) {
      // As strace: shown whatever -e trace= selects; not counted by -c.
      stamp(r.tsc);
      point(r.ip);
      number(last_call(r.tid));
      if (!flags_.summary && (!signals_ || signals_->matches(r.nr))) {  // -e signal=SET
        line(r.tid, flags_.json ? trace::format_signal_json(r, options_) : trace::format_signal(r, options_));
        if (TraceOutput* out = output(r.tid); out != nullptr && !flags_.json) {
          print_backtrace(out, r.backtrace());  // -k: where it found the program (--json: in the object)
        }
      }
      return;
    }
    if (r.kind == trace::kRecordSyscallEnter) {
      pending_exec_[r.tid] = r;
      return;
    }
    exit_backtrace_.clear();
    emit(r);
    note_new_task(r);
    // A process's end, and a thread's own (strace shows both). exit_group
    // ends the process's other threads first, with its status, as strace
    // shows them (the call each was blocked in has no line here).
    if (r.kind == trace::kRecordExit && shows_ends()) {
      stamp(r.tsc);
      point(0);
      const int status = static_cast<int>(r.args[0] & 0xff);
      if (r.nr == __NR_exit_group) {
        end_other_threads(r.extras ? &r.extras->open_calls : nullptr, r.pid, r.tid, status);
      }
      number(r.nr);
      line(r.tid, trace::format_exited(r.tid, status, options_));
    }
    if (r.kind == trace::kRecordExit) forget_tasks(r.nr == __NR_exit_group ? r.pid : 0, r.tid);
    if (!exit_backtrace_.empty()) {
      if (TraceOutput* out = output(r.tid)) print_backtrace(out, exit_backtrace_);
      exit_backtrace_.clear();
    }
    if (r.kind == trace::kRecordExit) last_nr_.erase(r.tid);
    if (r.kind == trace::kRecordExit && task_files_) task_files_->close(r.tid);
  }

  const trace::RewriteCounts& rewrite_counts() const { return counts_; }

  // A process died of a signal: "+++ killed by SIGSYS +++", as strace ends
  // its lines (the command's own, from its status; the others' from
  // kRecordKilled records): each other thread's first, each after the call
  // it waited in (open: trace::OpenCall), then the process's.
  // tsc: when the monitor learned of the death; 0: now.
  void killed(int pid, int signal, bool core_dumped, const std::vector<trace::OpenCall>* open = nullptr,
              uint64_t tsc = 0) {
    if (detached_.count(pid) != 0) return;  // -b execve: its end is not the trace's
    if (flags_.summary || flags_.json) return forget_tasks(pid, pid);
    stamp(tsc);
    auto end = [&](int32_t tid) {
      choose_prefix();  // the last task's line has none on stderr, as strace's
      unfinished(open, pid, tid);
      number(last_call(tid));
      point(0);
      line(tid, trace::format_killed(tid, signal, core_dumped, options_));
      forget_tasks(0, tid);
    };
    for (const int32_t tid : other_threads(pid, pid)) end(tid);
    end(pid);
    forget_tasks(pid, pid);
  }

  // An exec worked (done: its line, from enter). It ended the process's
  // other threads: as strace, their ends come first, each after the call it
  // waited in, and a leader replaced by another thread's exec is
  // "superseded"; the exec'ing thread takes the leader's pid, and its line
  // shows under it.
  void exec_done(const trace::Record& enter, trace::Record& done) {
    const std::vector<trace::OpenCall>* open = enter.extras ? &enter.extras->open_calls : nullptr;
    const int32_t pid = enter.pid;
    const int32_t exec_tid = enter.tid;
    if (exec_tid == pid) {
      end_other_threads(open, pid, pid, 0);
      return emit(done);
    }
    end_other_threads(open, pid, exec_tid, 0, /*keep=*/pid);
    const bool leader_live = live_.count(pid) != 0;
    if (leader_live && shows_calls()) unfinished(open, pid, pid);
    // From here the exec'ing thread is the leader (strace's prefixes count it once).
    forget_tasks(0, exec_tid);
    live_.try_emplace(pid, pid);
    choose_prefix();
    if (leader_live && shows_calls() && !flags_.quiet_superseded) {  // not -qq's: strace keeps it
      number(last_call(pid));
      point(0);
      line(pid, trace::format_superseded(pid, exec_tid, options_));
    }
    done.tid = pid;
    emit(done);
  }

  // -b execve: an exec that worked, as strace shows the call it detached in,
  // "execve(...) <detached ...>"; the process records nothing after it (its
  // gate writes the one record that told the exec worked), and its lines end.
  void exec_detached(const trace::Record& enter, const trace::Record& done) {
    const int32_t pid = enter.pid;
    const int64_t duration = time_calls() && enter.tsc != 0 && done.tsc != 0 ? clock_.elapsed_ns(enter.tsc, done.tsc) : -1;
    if (wanted(enter.nr) && (flags_.summary || flags_.summary_too)) summary_.add(done, duration);
    const bool selected = !path_filter_ || path_filter_->selects(enter, *fd_paths_);
    if (wanted(enter.nr) && selected && shows_calls() && status_wanted(enter)) {  // (a call that never returned)
      number(enter.nr);
      point(enter.ip);
      line_pid_ = pid;
      // As an unfinished call's line, with strace's mark for the detach.
      std::string text = trace::format_line_start(enter.tid, options_);
      const size_t start = text.size();
      trace::append_call_text(text, enter, options_);
      if (text.size() > start && text.back() == ')') text.pop_back();
      text += " <detached ...>";
      line(enter.tid, text);
    }
    detached_.insert(pid);
    forget_tasks(pid, enter.tid);
    choose_prefix();
  }

  // The exec of process pid an image began from: thread exec_tid's, else
  // (0, or not pending) the one entered last. end() if pid has none.
  std::map<int32_t, trace::Record>::iterator winning_exec(int32_t pid, int32_t exec_tid) {
    auto latest = pending_exec_.end();
    for (auto it = pending_exec_.begin(); it != pending_exec_.end(); ++it) {
      if (it->second.pid != pid) continue;
      if (exec_tid != 0 && it->first == exec_tid) return it;
      if (latest == pending_exec_.end() || it->second.tsc > latest->second.tsc) latest = it;
    }
    return latest;
  }

  // Execs of process pid still pending once another of its threads' exec
  // worked: the kernel lets one exec end the others' threads, which never
  // come back from theirs. As strace, "execve(...) = ?"; their threads' ends
  // follow with the others' (end_other_threads).
  void end_losing_execs(int32_t pid) {
    for (auto it = pending_exec_.begin(); it != pending_exec_.end();) {
      if (it->second.pid != pid) {
        ++it;
        continue;
      }
      trace::Record call = std::move(it->second);
      it = pending_exec_.erase(it);
      call.kind = trace::kRecordExit;  // a call that never returned, as exit_group's own: "= ?"
      if (!wanted(call.nr) || !status_wanted(call) || !shows_calls()) continue;
      if (path_filter_ && !path_filter_->selects(call, *fd_paths_)) continue;  // -P
      options_.verbose = verbose_for(call.nr);
      number(call.nr);
      point(call.ip);
      line_pid_ = call.pid;
      std::string text;
      trace::append_record(text, call, options_);
      line(call.tid, text);
    }
  }

  // exit_group or an exec by except_tid ended the other threads of process
  // pid: "+++ exited with STATUS +++" for each, after the call it waited in
  // (open: trace::OpenCall), as strace shows them.
  // keep: a thread not to end either (0: none).
  void end_other_threads(const std::vector<trace::OpenCall>* open, int32_t pid, int32_t except_tid, int status,
                         int32_t keep = 0) {
    for (const int32_t tid : other_threads(pid, except_tid)) {
      if (tid == keep) continue;
      if (shows_calls()) unfinished(open, pid, tid);  // a call's line: -qq keeps it, as strace
      if (shows_ends()) {
        number(last_call(tid));
        point(0);
        line(tid, trace::format_exited(tid, status, options_));
      }
      forget_tasks(0, tid);
      choose_prefix();  // the last task's line has none on stderr, as strace's
    }
  }

  // Whether "+++ exited" lines are printed: not by -c, --json or -qq (-e
  // quiet=exit). Lines of calls and of other task events: not by -c or --json.
  bool shows_ends() const { return shows_calls() && flags_.quiet < 2; }
  bool shows_calls() const { return !flags_.summary && !flags_.json; }

  // The live tasks of process pid but except_tid.
  std::vector<int32_t> other_threads(int32_t pid, int32_t except_tid) const {
    std::vector<int32_t> tids;
    for (const auto& [tid, owner] : live_) {
      if (owner == pid && tid != except_tid) tids.push_back(tid);
    }
    return tids;
  }

  // Execs whose process ended without another record: the exec happened.
  void finish() {
    while (!pending_exec_.empty()) {
      auto pending = winning_exec(pending_exec_.begin()->second.pid, 0);
      const trace::Record enter = std::move(pending->second);
      pending_exec_.erase(pending);
      end_losing_execs(enter.pid);
      trace::Record done = trace::exec_result(enter);
      done.tsc = 0;  // when it returned is not known: stamped now
      stamp(0);
      if (flags_.detach_on_exec) {
        exec_detached(enter, done);
      } else {
        exec_done(enter, done);
      }
    }
    if (flags_.summary || flags_.summary_too) out_.text() += summary_.render(summary_options_);
  }

  // Writes out every line printed so far.
  void flush() {
    out_.flush();
    if (task_files_) task_files_->flush();
  }

  // -e abbrev=SET: the calls whose structs stay abbreviated; the others' are
  // whole, as -v shows them (-v is abbrev=none). Before set_first_exec.
  void set_abbreviated_calls(trace::TraceFilter calls) { abbreviated_.emplace(std::move(calls)); }
  // -e verbose=SET: the calls whose structs and arrays are decoded at all; the
  // others' show as addresses (trace::with_structs_as_addresses).
  void set_decoded_calls(trace::TraceFilter calls) { decoded_.emplace(std::move(calls)); }

  // -e raw=SET: these calls' arguments and results in hex.
  void set_raw_calls(trace::TraceFilter calls) {
    raw_.emplace(std::move(calls));
    options_.raw = &*raw_;
  }

  // -e read=SET, -e write=SET: whose data is dumped under the call's line.
  void set_dumps(const trace::FdSet& reads, const trace::FdSet& writes) { dumps_.emplace(reads, writes); }

  // -e signal=SET: which deliveries get a line.
  void set_signal_filter(const trace::SignalFilter& filter) { signals_ = filter; }

  // -S: the order of -c's and -C's table.
  // -S, -U; -O's overhead, taken from every call's time (before any record).
  void set_summary_options(const trace::SummaryOptions& options, int64_t overhead_ns) {
    summary_options_ = options;
    summary_ = trace::Summary(overhead_ns);
  }

  // -o FILE: emptied while the command starts (TraceOutput::truncate_first).
  void truncate_output_first(const std::string& path) { out_.truncate_first(path); }

 private:
  bool wanted(int nr) const { return !filter_ || filter_->matches(nr); }
  bool verbose_for(int nr) const { return abbreviated_ ? !abbreviated_->matches(nr) : flags_.verbose; }

  // -e status=SET, -z, -Z: whether a record's line is shown, by how the call
  // ended (exits never returned: "unfinished", as strace 6 calls them; -c
  // counts every call).
  bool status_wanted(const trace::Record& r) const {
    if (flags_.statuses == 0) return true;
    if (r.kind != trace::kRecordSyscall) return (flags_.statuses & kStatusUnfinished) != 0;
    const bool failed = r.ret >= -4095 && r.ret <= -1;
    return (flags_.statuses & (failed ? kStatusFailed : kStatusSuccessful)) != 0;
  }

  // -T and -c: the gate stamps each call's start (RegionHeader::time_calls).
  bool time_calls() const { return flags_.durations || flags_.summary || flags_.summary_too; }
  // A call's line shows when it began, as strace's -- unless a line recorded
  // after it began was printed before it: strace would have cut the call into
  // "<unfinished ...>" and "<... resumed>", stamped when it returned. A line
  // of anything else (a signal, an exit) shows when it was recorded.
  uint64_t line_tsc(const trace::Record& r) const {
    const bool began_alone = r.enter_tsc != 0 && r.enter_tsc >= latest_line_tsc_;
    return r.kind == trace::kRecordSyscall && began_alone ? r.enter_tsc : r.tsc;
  }

  void emit(const trace::Record& record) {
    if (pid_names_) pid_names_->before(record);  // -Y: a child this wait reaped is named no more
    if (!wanted(record.nr)) return follow_calls(record);
    // -e verbose=SET: a call outside it is shown from a copy without its structs.
    std::optional<trace::Record> addresses_only;
    if (decoded_ && !decoded_->matches(record.nr)) addresses_only = trace::with_structs_as_addresses(record);
    const trace::Record& r = addresses_only ? *addresses_only : record;
    options_.verbose = verbose_for(r.nr);
    last_nr_[r.tid] = r.nr;
    number(r.nr);
    if (path_filter_ && !path_filter_->selects(record, *fd_paths_)) return follow_calls(record);  // -P
    const bool timed = time_calls() && r.kind == trace::kRecordSyscall && r.enter_tsc != 0 && r.tsc != 0;
    const int64_t duration = timed ? clock_.elapsed_ns(r.enter_tsc, r.tsc) : -1;
    if (flags_.summary || flags_.summary_too) summary_.add(r, duration);
    if (flags_.summary) return;
    if (!status_wanted(r)) return follow_calls(record);
    stamp(line_tsc(r), r.tsc);
    point(r.ip);
    TraceOutput* out = output(r.tid);
    if (out == nullptr) return follow_calls(record);
    line_pid_ = r.pid;  // whose descriptors options_.fd_path names
    line_record_ = &r;  // -yy: its sockets as they were at the call
    struct ForgetLine {
      const trace::Record*& line;
      ~ForgetLine() { line = nullptr; }
    } forget{line_record_};
    // A pipe's or socketpair's line names the descriptors it made ("[3<pipe:[123]>, ...]"): the
    // tables learn them first. Every other line shows the names from before its call.
    const bool names_made_fds = trace::FdPaths::fd_array_arg(r) >= 0 || trace::FdPaths::names_fds_it_received(r);
    if (names_made_fds) follow_calls(record);
    if (flags_.json) {
      options_.json_duration_ns = flags_.durations ? duration : -1;
      trace::append_json(out->text(), r, options_);
      if (!names_made_fds) follow_calls(record);
      return out->end_line();
    }
    std::string& text = out->text();
    const size_t start = text.size();
    trace::append_record(text, r, options_);
    if (!names_made_fds) follow_calls(record);
    if (options_.fd_path && text.size() != start && trace::FdPaths::returns_fd(r)) {
      if (const std::string* name = shown_name(r.pid, r.ret)) text += "<" + *name + ">";  // "= 3</etc/passwd>"
    }
    if (timed && flags_.durations && text.size() != start) {
      text += trace::format_duration(duration, duration_digits_);  // -T, not just -C
    }
    if (text.size() == start) return;
    out->end_line();
    if (dumps_) {  // -e read=, -e write=: the data under the line, unprefixed, as strace
      for (const std::string& dump : trace::dump_lines(r, dumps_->first, dumps_->second)) {
        out->text() += dump;
        out->end_line();
      }
    }
    // -k: the stack under the line; strace prints exit_group's after its "+++ exited" line.
    if (r.kind == trace::kRecordExit && r.nr == __NR_exit_group) {
      exit_backtrace_ = r.backtrace();
    } else {
      print_backtrace(out, r.backtrace());
    }
  }

  // The call exit_group or a signal ended thread tid in (trace::OpenCall), if any, as
  // strace's "<... call resumed>) = ?": whole, as strace showed it when it
  // began, but its pointers as addresses (nothing was copied), then " = ?".
  void unfinished(const std::vector<trace::OpenCall>* calls, int32_t pid, int32_t tid) {
    if (calls == nullptr) return;
    for (const trace::OpenCall& open : *calls) {
      if (open.tid != tid) continue;
      trace::Record call;
      call.kind = trace::kRecordExit;  // a call that never returned, as exit_group's own: "= ?"
      call.tid = tid;
      call.pid = pid;
      call.nr = open.nr;
      std::copy(std::begin(open.args), std::end(open.args), std::begin(call.args));
      if (!wanted(call.nr) || !status_wanted(call)) return;
      if (path_filter_ && !path_filter_->selects(call, *fd_paths_)) return;  // -P
      options_.verbose = verbose_for(call.nr);
      number(call.nr);
      point(0);
      line_pid_ = call.pid;
      std::string text;
      trace::append_record(text, call, options_);
      line(tid, text);
      return;
    }
  }

  // -k: a call's stack trace (trace::Record::backtrace), unprefixed, as strace.
  static void print_backtrace(TraceOutput* out, const std::string& lines) {
    if (lines.empty()) return;
    out->text().append(lines, 0, lines.size() - 1);  // the last line's newline is end_line's
    out->end_line();
  }

  // Sets the syscall number of the lines printed next (-n).
  void number(int nr) {
    if (flags_.syscall_numbers && !flags_.summary && !flags_.json) options_.syscall_number = trace::format_syscall_number(nr);
  }
  // strace -n shows a signal's or an exit's line with the task's last call's
  // number (the last one recorded here: calls outside -e trace= are not).
  int last_call(int32_t tid) const {
    const auto it = last_nr_.find(tid);
    return it != last_nr_.end() ? it->second : 0;
  }

  // Sets the instruction pointer of the lines printed next (-i); 0: not known.
  void point(uint64_t ip) {
    if (!flags_.instruction_pointers || flags_.summary) return;
    if (flags_.json) {
      options_.json_ip = ip;
    } else {
      options_.instruction_pointer = trace::format_instruction_pointer(ip);
    }
  }

  // Sets the timestamp of the lines printed next (-t, -tt, -ttt, -r) from a
  // record's TSC; 0: now. recorded_tsc: when its record was written, if later.
  void stamp(uint64_t tsc, uint64_t recorded_tsc = 0) {
    if (stamps_.style == trace::StampStyle::kNone || flags_.summary) return;
    latest_line_tsc_ = std::max({latest_line_tsc_, tsc, recorded_tsc});
    const int64_t ns = tsc == 0 ? clock_.now_ns() : clock_.realtime_ns(tsc);
    if (flags_.json) {
      options_.json_time_ns = ns;
    } else {
      options_.timestamp = trace::format_stamp(stamps_, ns, previous_ns_);
    }
    previous_ns_ = ns;
  }

  // What -y shows for a descriptor: FdPaths' name; with -yy a socket's
  // endpoints and a device file's numbers (trace::SocketNames).
  const std::string* shown_name(int32_t pid, int64_t fd) {
    const std::string* name = fd_paths_->path(pid, fd);
    if (name == nullptr || flags_.fd_paths < 2) return name;
    return socket_names_.shown(*name, line_record_);
  }

 public:
  // -yy: as a record arrives, what its sockets are (trace::SocketNames).
  void note_sockets(trace::Record& r) { socket_names_.note(r); }
  // -y: as a recvmsg's record arrives, the names of the descriptors it received.
  void note_received_fds(trace::Record& r) {
    if (fd_paths_ && trace::FdPaths::names_fds_it_received(r)) fd_paths_->note_received(r);
  }

 private:
  // -y, -Y: what the call did to the process's descriptors and to its tasks'
  // names, shown or not.
  void follow_calls(const trace::Record& r) {
    if (fd_paths_) fd_paths_->after(r);
    if (pid_names_) pid_names_->after(r);
  }

  // The prefix of the lines printed next, as strace picks it: with -o FILE
  // (not -ff), "PID   " on every line once -f is given or more than one task
  // is traced; on stderr, "[pid N] " while more than one task is.
  // strace -f counts tasks from their attach at the clone to their exit;
  // sysgate traces every task with or without -f.
  void choose_prefix() {
    using trace::PidPrefix;
    const bool several = live_.size() > 1;
    if (task_files_) {
      options_.pid_prefix = PidPrefix::kNone;  // a file per thread needs none
    } else if (flags_.json) {
      options_.pid_prefix = flags_.follow > 0 ? PidPrefix::kBracketed : PidPrefix::kNone;  // the "text" member
    } else if (to_file_) {
      options_.pid_prefix = flags_.follow > 0 || several ? PidPrefix::kColumn : PidPrefix::kNone;
    } else {
      options_.pid_prefix = several ? PidPrefix::kBracketed : PidPrefix::kNone;
    }
  }

  // A clone, fork or vfork that made a task: traced from now on, as strace
  // attaches it there (its own records may have come first).
  void note_new_task(const trace::Record& r) {
    if (r.kind != trace::kRecordSyscall || r.ret <= 0 || r.ret > INT32_MAX) return;
    const auto child = static_cast<int32_t>(r.ret);
    detached_.erase(child);  // a detached process's pid, used again
    if (ended_.count(child) != 0) return;  // its records, its end too, came before the clone's
    if (r.nr == __NR_clone) {
      live_.try_emplace(child, (r.args[0] & CLONE_THREAD) != 0 ? r.pid : child);
    } else if (r.nr == __NR_fork || r.nr == __NR_vfork) {
      live_.try_emplace(child, child);
    }
  }

  // A task ended: tid, or with pid != 0 every task of that process.
  void forget_tasks(int32_t pid, int32_t tid) {
    note_ended(tid);
    live_.erase(tid);
    if (pid == 0) return;
    std::erase_if(live_, [&](const auto& task) {
      if (task.second != pid) return false;
      note_ended(task.first);
      return true;
    });
  }

  // The tasks that ended lately, for note_new_task: a clone's record comes
  // within a few polls of its child's, so the last kRecentEnds are enough.
  void note_ended(int32_t tid) {
    static constexpr size_t kRecentEnds = 4096;
    if (!ended_.insert(tid).second) return;
    ended_order_.push_back(tid);
    if (ended_order_.size() > kRecentEnds) {
      ended_.erase(ended_order_.front());
      ended_order_.pop_front();
    }
  }

  // Where thread tid's lines go.
  TraceOutput* output(int32_t tid) { return task_files_ ? task_files_->output(tid) : &out_; }

  void line(int32_t tid, std::string_view text) {
    TraceOutput* out = output(tid);
    if (text.empty() || out == nullptr) return;
    out->text() += text;
    out->end_line();
  }

  TraceOutput out_;
  std::optional<TaskFiles> task_files_;
  std::optional<trace::FdPaths> fd_paths_;
  std::optional<trace::PidNames> pid_names_;  // -Y
  std::set<int32_t> detached_;  // -b execve: processes whose exec the trace detached at
  trace::SocketNames socket_names_;  // -yy
  int32_t line_pid_ = 0;
  const trace::Record* line_record_ = nullptr;  // the record whose line is being printed
  std::string start_cwd_;               // -y: the command's first process's directory
  std::map<int, std::string> start_fds_;  // and its inherited 0, 1, 2 and others
  const TraceFlags& flags_;
  std::optional<trace::TraceFilter> filter_;
  trace::FormatOptions options_;
  trace::Stamps stamps_;
  int duration_digits_ = 6;  // -T: us; --syscall-times=PRECISION
  trace::TscClock clock_;
  int64_t previous_ns_ = 0;
  uint64_t latest_line_tsc_ = 0;  // the newest record stamped so far (line_tsc)
  trace::Summary summary_;
  std::optional<trace::PathFilter> path_filter_;  // -P
  std::optional<trace::SignalFilter> signals_;    // -e signal=SET
  std::optional<std::pair<trace::FdSet, trace::FdSet>> dumps_;  // -e read=SET, -e write=SET
  std::optional<trace::TraceFilter> raw_;                        // -e raw=SET (options_.raw points here)
  std::optional<trace::TraceFilter> abbreviated_;                // -e abbrev=SET
  std::optional<trace::TraceFilter> decoded_;                    // -e verbose=SET
  std::map<int32_t, int> last_nr_;                               // -n: each task's last call
  int32_t command_pid_ = 0;
  bool to_file_ = false;             // -o FILE (with -ff: the per-thread files)
  std::map<int32_t, int32_t> live_;  // tid -> pid of the tasks traced now, for choose_prefix
  std::set<int32_t> ended_;          // tasks that ended lately (until a record shows the tid again)
  std::deque<int32_t> ended_order_;  // ended_, oldest first
  std::string first_exec_path_;
  std::string first_exec_backtrace_;  // -k: the command's entry point, under its first execve
  std::string exit_backtrace_;  // -k: exit_group's stack, printed after its "+++ exited" line
  trace::SummaryOptions summary_options_;
  trace::RewriteCounts counts_;
  std::map<int32_t, trace::Record> pending_exec_;
  std::string first_exec_;
  std::string first_exec_env_;  // without -v: "0x... /* N vars */) = 0"
};

}  // namespace sysgate::cli
