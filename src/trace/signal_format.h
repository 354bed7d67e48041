// A signal record (kRecordSignal: a delivery to a program handler) as the line
// strace prints for it:
//
//   --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=42, si_uid=0, si_status=3, si_utime=0, si_stime=0} ---
//   --- SIGALRM {si_signo=SIGALRM, si_code=SI_KERNEL} ---
//   [pid  4242] --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=7, si_uid=0} ---
//
// The record's args hold the first 48 bytes of the kernel's siginfo; which union
// member they are read as follows si_code and the signal, as strace decides it.
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "trace/formatter.h"
#include "trace/record.h"

namespace sysgate::trace {

// "{si_signo=SIGALRM, si_code=SI_KERNEL}"; with task_names (strace -Y),
// "si_pid=1234<sh>" for a sender or child it names. style (strace -X): the
// signal numbers, codes and errno in si_signo, si_code, si_errno and a
// child's si_status as numbers ("{si_signo=17, si_code=0x1, ...}") or both;
// the line's "--- SIGCHLD" keeps its name in every style, as strace's.
std::string format_siginfo(const Record& record, const TaskNames* task_names = nullptr,
                           syscalls::ConstStyle style = syscalls::ConstStyle::kAbbrev);
// The same from a siginfo's first 48 bytes (waitid's infop; fewer are taken as zeros).
std::string format_siginfo_bytes(std::string_view bytes, const TaskNames* task_names = nullptr,
                                 syscalls::ConstStyle style = syscalls::ConstStyle::kAbbrev);

// The whole line, with options.pid_prefix's prefix.
std::string format_signal(const Record& record, const FormatOptions& options = {});

// One JSON object: {"pid":..,"tid":..,"signal":"SIGALRM","signo":14,"code":128,
// "siginfo":"{...}","text":"--- SIGALRM {...} ---"}.
std::string format_signal_json(const Record& record, const FormatOptions& options = {});

}  // namespace sysgate::trace
