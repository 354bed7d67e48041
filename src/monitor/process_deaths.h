// How the traced processes other than the command's first one died.
//
// Only a process's parent learns its status from wait, and the monitor is the
// parent of the command's first process alone. strace prints "+++ killed by
// SIGPIPE +++" for every process a signal kills (`yes | head -1`): the gate
// cannot, a process killed by a signal runs no more code. Since Linux 6.15 a
// pidfd tells anyone holding it how its process ended, even once the parent
// reaped it (ioctl PIDFD_GET_INFO, PIDFD_INFO_EXIT). So the monitor opens a
// pidfd for each process the moment its first record is read, and asks each
// one that has ended.
//
// What it cannot know: a process that ended and was reaped before its first
// record was read (pidfd_open fails), or any, on a kernel without
// PIDFD_INFO_EXIT (the ioctl fails: no line, as before). A pid reused within
// the few milliseconds between a process's death and its first record being
// read would be watched in its place; pids are not reused that fast unless
// the pid space is nearly exhausted.
//
// The pids come from records, which the traced program writes: it can name
// any process. At most kMaxWatched pidfds are held at once (the monitor's
// descriptors are for brokering) and kMaxSeen pids remembered; beyond those,
// processes are not watched. A forged pid costs a line of trace the program
// could have forged anyway.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include <map>
#include <unordered_set>
#include <vector>

#include "sandbox/unique_fd.h"

namespace sysgate::monitor {

class ProcessDeaths {
 public:
  static constexpr size_t kMaxWatched = 256;
  static constexpr size_t kMaxSeen = size_t{1} << 16;

  struct Killed {
    pid_t pid;
    int signal;
    bool core_dumped;
    // Where its line goes: after its last record read, and no earlier than the
    // poll that first saw it had ended (within a poll period of its death).
    uint64_t tsc;
  };

  // A record of process pid, stamped tsc, was read: watch it (once; not pids
  // in ignored).
  void saw(pid_t pid, uint64_t tsc);
  // It exited itself (an exit_group record): nothing to report.
  void exited(pid_t pid);
  // Never watch pid (the command's first process: its parent reads its status).
  void ignore(pid_t pid) { ignored_.push_back(pid); }
  // The watched processes that have ended and were killed by a signal, as far
  // as their status is known; those are no longer watched, nor the ones that
  // exited. now_tsc: the TSC at this poll's start.
  std::vector<Killed> collect(uint64_t now_tsc);

 private:
  struct Watch {
    sandbox::UniqueFd pidfd;
    uint64_t last_tsc = 0;   // its last record's stamp
    uint64_t ended_tsc = 0;  // the poll that first saw it had ended; 0: not yet
  };
  std::map<pid_t, Watch> watched_;
  std::vector<pid_t> ignored_;
  std::unordered_set<pid_t> seen_;  // every pid watched or tried: opened once (a reused pid is not watched again)
  // The last record's process and its watch (nullptr: not watched): records
  // come in runs of one ring.
  pid_t last_ = 0;
  Watch* current_ = nullptr;
};

}  // namespace sysgate::monitor
