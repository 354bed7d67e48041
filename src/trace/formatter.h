// Trace records as `strace -f` prints them: one line per record, returned as a
// string (the library never prints).
//
//   trace::FormatOptions options{.max_string = 32, .pid_prefix = trace::PidPrefix::kBracketed};
//   reader->poll([&](const trace::Record& r) {
//     out << trace::format_record(r, options) << "\n";
//   });
//   // openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3
//   // read(3, "root:x:0:0:root:/root:/bin/bash\n"..., 4096) = 1234
//   // [pid  4242] openat(AT_FDCWD, "/nope", O_RDONLY) = -1 ENOENT (No such file or directory)
//   // exit_group(0)                           = ?
//   out << trace::format_exited(tid, 0, options) << "\n";   // +++ exited with 0 +++
//
// What each kind of record becomes:
//   kRecordSyscall       the call, its arguments (output buffers such as read's
//                        show what the kernel wrote, from the record's payload),
//                        " = " aligned at column 40 as strace does, the result.
//   kRecordExit          "exit_group(0) = ?"; the caller prints format_exited()
//                        when it learns the process ended.
//   kRecordSyscallEnter  execve/execveat, which returns only on failure. The
//                        caller resolves it from the next record of the same pid:
//                        a kRecordSyscall of the same call carries the error (format
//                        that record as usual); anything else means the exec
//                        happened: format_exec_success(enter) gives "... = 0".
//                        format_record(enter) gives strace's unresolved form,
//                        `execve("/bin/ls", ...) <unfinished ...>`, for an exec
//                        whose outcome never came (the process was killed).
//   kRecordSignal        "": see signal_format.h.
//   kRecordPad           "".
//
// format_call_text, format_result and format_record have append_* twins that add
// the same text to a caller's buffer, for a printer that builds many lines in one:
//
//   std::string out;
//   trace::append_record(out, r, options);   // appends nothing for a signal or a pad
//
// Pure functions of their arguments; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "syscalls/call_format.h"
#include "trace/pid_names.h"
#include "trace/record.h"
#include "trace/trace_filter.h"

namespace sysgate::trace {

// The task's id before a line, in strace's two forms: "[pid  1234] " (-f on
// stderr, while more than one task is traced) and "1234  " ("%-5d ": -f -o FILE).
enum class PidPrefix : uint8_t { kNone, kBracketed, kColumn };

struct FormatOptions {
  // strace -s: bytes of a data buffer or non-path string shown before "...".
  size_t max_string = 32;
  // The record's tid before each line, as strace -f shows it. The caller
  // knows which form and how many tasks there are.
  PidPrefix pid_prefix = PidPrefix::kNone;
  // strace -t/-tt/-ttt/-r: printed after the pid prefix, with its trailing
  // space (trace/line_time.h). The caller sets it for each line.
  std::string timestamp;
  // --json with -t/-tt/-ttt/-r: the call's wall-clock time, CLOCK_REALTIME ns,
  // printed as "time": seconds with microseconds. 0: no "time" member.
  int64_t json_time_ns = 0;
  // strace -y: the name of a descriptor of the record's process (nullptr:
  // unknown), shown as "3</etc/passwd>" after fd arguments. Unset: numbers only.
  std::function<const std::string*(int32_t fd)> fd_path;
  // strace -Y: the command name of a task (trace/pid_names.h; nullptr: none),
  // shown as "1234<sh>" after the ids that name a task: the pid prefix, pid
  // and tid arguments (not process groups), the results of getpid, getppid,
  // gettid, clone, fork, vfork and wait4, and a siginfo's si_pid. Unset:
  // numbers only.
  TaskNames task_name;
  // --json with -T: the time spent in the call, printed as "duration": seconds
  // with microseconds. Negative: no "duration" member.
  int64_t json_duration_ns = -1;
  // strace -a: the column " = " is aligned to (counting the prefix).
  size_t align_column = 40;
  // strace -n: "[ 257] " (format_syscall_number), printed after the timestamp
  // and before -i's address. The caller sets it for each line.
  std::string syscall_number;
  // strace -i: "[00007f12a0b1c2d3] " (format_instruction_pointer), printed
  // after the timestamp and counted in the prefix. The caller sets it for each line.
  std::string instruction_pointer;
  // --json with -i: that address, as "ip":"0x7f12a0b1c2d3". 0: no "ip" member.
  uint64_t json_ip = 0;
  // strace -x / -xx: strings with other than printable ASCII, or all, in hex.
  syscalls::StringStyle string_style = syscalls::StringStyle::kEscaped;
  // -v: structs whole (the stat family: every field, as strace -v).
  bool verbose = false;
  // -X: named constants and flags, in arguments, structs and a siginfo's
  // fields, as names (abbrev, strace's default), numbers (raw: "openat(-100,
  // \"/x\", 0x80000)") or numbers with the names in a comment (verbose:
  // "0x80000 /* O_RDONLY|O_CLOEXEC */"); syscalls/const_style.h. What stays
  // named in every style, as strace's: errors ("= -1 ENOENT (...)"), the
  // signal of a "--- SIGCHLD" or "+++ killed by" line, wait statuses,
  // F_GETFL's and prctl's decoded results, rt_sigtimedwait's "(SIGUSR1)".
  syscalls::ConstStyle const_style = syscalls::ConstStyle::kAbbrev;
  // -e raw=SET: the calls whose arguments and result show as raw hex, as
  // strace -e raw= shows them ("openat(0xffffff9c, 0x7f..., 0x80000, 0) = 0x3");
  // nullptr for none.
  const TraceFilter* raw = nullptr;
};

// strace -i's "[%016lx] ": where the program resumes after the call's syscall
// instruction, or where a signal interrupted it (Record::ip); for 0 (not
// known: an exit line, a record without one) strace's "[????????????????] ".
std::string format_instruction_pointer(uint64_t ip);
// What starts a line before its text: "[pid  1234] " (with -f), the time
// (-t), the call's number (-n) and the instruction pointer (-i).
std::string line_prefix(int32_t tid, const FormatOptions& options);
// strace -n's "[%4d] ": a call's number ("[ 257] ", "[   3] ").
std::string format_syscall_number(int nr);
// ,"ip":"0x7f12a0b1c2d3" for --json -i; nothing for 0.
void append_json_ip(std::string& out, uint64_t ip);
// ,"stack":["/lib/libc.so.6(read+0x12) [0x1147e2]",...] for --json -k (the
// record's backtrace, frames without " > "); nothing without one.
void append_json_stack(std::string& out, const Record& record);

// The call with its arguments and no result: `read(3, "abc", 4096)`. For a
// completed call, output buffers show what the kernel wrote.
std::string format_call_text(const Record& record, const FormatOptions& options = {});
void append_call_text(std::string& out, const Record& record, const FormatOptions& options = {});

// The result as strace prints it after the call: "= 3", "= 0x7f12a000" (mmap,
// mremap, brk, shmat), "= 022" (umask), "= 0x8002 (flags O_RDWR|O_LARGEFILE)"
// (fcntl F_GETFL), "= -1 ENOENT (No such file or directory)",
// "= ? ERESTARTSYS (To be restarted if SA_RESTART is set)", "= ?" (exit, exit_group,
// and a kRecordSyscallEnter). ret is the raw kernel value: -4095..-1 is -errno.
std::string format_result(const Record& record);
void append_result(std::string& out, const Record& record);

// strace -e verbose=SET: a call outside the set is shown with its structs and
// arrays (stat buffers, sigactions, an exec's argv, iovecs, fd sets, poll's
// descriptors, getdents' count, ...) as addresses, and no result decoded from
// them; its paths, strings and data buffers stay. A copy of record without
// those payloads.
Record with_structs_as_addresses(const Record& record);

// The whole strace line for a record (no trailing newline); see the table above.
std::string format_record(const Record& record, const FormatOptions& options = {});
void append_record(std::string& out, const Record& record, const FormatOptions& options = {});

// An execve/execveat enter record as the completed call the exec became:
// kind kRecordSyscall, ret 0. format_record(exec_result(enter)) == format_exec_success(enter).
Record exec_result(const Record& enter);
std::string format_exec_success(const Record& enter, const FormatOptions& options = {});

// What every line starts with: the pid prefix options.pid_prefix asks for, the
// timestamp, the syscall number and the instruction pointer (for lines the
// caller composes itself, as the command's first execve).
std::string format_line_start(int32_t tid, const FormatOptions& options);

// "+++ exited with 3 +++" (status: the exit code, 0..255) and
// "+++ killed by SIGKILL +++" / "+++ killed by SIGSEGV (core dumped) +++",
// with options.pid_prefix's prefix.
std::string format_exited(int32_t tid, int status, const FormatOptions& options = {});
std::string format_killed(int32_t tid, int signal, bool core_dumped, const FormatOptions& options = {});
// A process's leader that another of its threads' exec replaced:
// "+++ superseded by execve in pid 1235 +++".
std::string format_superseded(int32_t tid, int32_t exec_tid, const FormatOptions& options = {});

// One JSON object on one line:
//   {"pid":12,"tid":12,"syscall":"openat","nr":257,"args":[4294967196,...,0,0],
//    "call":"openat(AT_FDCWD, \"/x\", O_RDONLY)","ret":-2,"errno":"ENOENT",
//    "text":"openat(AT_FDCWD, \"/x\", O_RDONLY) = -1 ENOENT (No such file or directory)"}
// args are the six raw registers; ret is the raw kernel value, null when there is
// none (exit records, an unresolved exec); errno is the error's name, null on
// success (or for an error number without a name). Bytes that are not UTF-8 in
// the text fields are replaced (U+FFFD), never emitted raw.
std::string format_json(const Record& record, const FormatOptions& options = {});
// The same object appended to out (no newline), as `sysgate trace --json`
// writes it: ~10x cheaper than building a json value.
void append_json(std::string& out, const Record& record, const FormatOptions& options = {});

// text as a JSON string, exactly as nlohmann's dump(-1, ' ', false, replace)
// writes it: its escapes, other control characters as \u00xx, text with
// bytes above 0x7f (seldom: the formatter escapes them) through nlohmann itself
// for its UTF-8 replacement.
void append_json_string(std::string& out, std::string_view text);

}  // namespace sysgate::trace
