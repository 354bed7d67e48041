// strace -Y (--decode-pids=comm): the command name of each task a line names,
// "1234<sh>", followed from the trace's own records in the order the calls
// were made.
//
//   trace::PidNames names(trace::PidNames::system_probe());
//   names.start(pid, "sysgate");              // the command's process, before its exec
//   names.before(record);                     // a fork's child named for the fork's line
//   ...format the line; names.name(tid) gives each task's...
//   names.after(record);                      // what the call named: execs, PR_SET_NAME, reaps
//
// strace reads /proc/PID/comm as it prints each line, while the task is
// stopped at the call. The monitor prints a call milliseconds after it
// returned, when the task may have exec'd or gone, so it follows the names
// the way the kernel gives them:
//   - a task made by clone, fork or vfork takes its maker's name (when the
//     maker's record comes after the child's own, the child keeps what its
//     own calls named it);
//   - an exec names the process after the last component of the path it was
//     given (the script's, not its interpreter's), its first 15 bytes; an
//     execveat of a descriptor itself names it after the file, which only the
//     system knows then (below);
//   - prctl(PR_SET_NAME) names the calling thread (its first 15 bytes);
//   - a child a wait4 or waitid reaped has no name once that call returned, as
//     strace finds no /proc entry for it: not in that call's result or
//     siginfo (reaped_by), nor in later lines; its arguments still show it.
// A task the records never named is asked of the system: /proc/TID/comm when
// its line is printed. Such are a task outside the trace (the monitor a
// getppid returns) and a child whose first records came before its maker's
// (a child that ran before its parent's fork returned; a vfork child): if it
// is gone by then, a thread gets its process's name, a process none. Not followed:
// a name written to /proc/PID/task/TID/comm (pthread_setname_np for another
// thread), which shows from the next record that names the task otherwise.
// Each table is bounded: past 65 536 ids it starts afresh (the records come
// from the traced program), and names then come from /proc. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "trace/record.h"

namespace sysgate::trace {

// What the formatter asks for a task id: its name, or nullptr (none shown).
using TaskNames = std::function<const std::string*(int32_t tid)>;

class PidNames {
 public:
  // /proc/TID/comm without its newline; nullopt if there is no such task.
  using Probe = std::function<std::optional<std::string>(int32_t tid)>;
  static Probe system_probe();

  explicit PidNames(Probe probe) : probe_(std::move(probe)) {}

  // Process pid is named name until its first exec (the command's process,
  // which sysgate made: sysgate's own name).
  void start(int32_t pid, std::string name);
  // The name of task tid for the line being printed; nullptr if it has none
  // (reaped, or unknown to the records and to the system). Valid until the
  // next call.
  const std::string* name(int32_t tid);

  // Before the record's line: a clone, fork or vfork names its child (its
  // result shows that name).
  void before(const Record& record);
  // After it: what the call named, or unnamed (see the header comment).
  void after(const Record& record);
  // The child a wait4 or waitid reaped (it returned the child's exit or death
  // without WNOWAIT), if any.
  static std::optional<int32_t> reaped_by(const Record& record);

  // Whether after() or before() learns anything from a call numbered nr: with
  // -Y and a trace=SET, the gate still records these calls (and the printer
  // drops their lines).
  static bool follows(int nr);

  // The first 15 bytes of the path's last component: the name an exec of
  // path gives (the kernel's kbasename and TASK_COMM_LEN).
  static std::string exec_name(const std::string& path);

 private:
  void reap(int32_t pid);

  Probe probe_;
  std::map<int32_t, std::string> names_;  // by task id
  std::set<int32_t> reaped_;              // named no more until a record makes them again
  std::set<int32_t> own_;                 // named by their own exec or PR_SET_NAME
  std::map<int32_t, int32_t> process_of_;  // thread id -> its process's id, from its records
  // A fork's child, as the fork's line shows it, when the child's own records
  // came first and renamed it (from before() to after()).
  std::optional<std::pair<int32_t, std::string>> line_child_;
  std::string probed_;                    // name()'s answer from the system
};

}  // namespace sysgate::trace
