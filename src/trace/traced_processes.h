// Which processes the monitor may look into on a record's word.
//
//   trace::TracedProcesses traced;
//   traced.set_region(region_fd, 900);   // the monitor's memfd, its number in every image
//   int dir = traced.proc_dir(r.pid);    // /proc/PID of a traced process, or -1
//   readlinkat(dir, "fd/3", ...);
//
// A record's pid is the program's to write: a program can publish a record
// naming any process (a reviewer made -yy print another process's socket, by
// pidfd_getfd). So the monitor reads /proc/PID (descriptor links for -y,
// sockets for -yy, mappings for -k) only of a process that holds the trace
// region -- the monitor's memfd at the descriptor number every image gets,
// which the filter keeps from being closed or replaced -- and only through a
// descriptor of /proc/PID opened before that check: it stays bound to that
// process, so a pid reused by another process later fails every lookup
// through it instead of reading the newcomer.
//
// Not thread-safe: the monitor's thread only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>

namespace sysgate::trace {

class TracedProcesses {
 public:
  TracedProcesses() = default;
  ~TracedProcesses();
  TracedProcesses(const TracedProcesses&) = delete;
  TracedProcesses& operator=(const TracedProcesses&) = delete;

  // The trace region: the monitor's own descriptor of it, and the number the
  // programs hold it at. Before it is set, no process is traced.
  void set_region(int monitor_fd, int program_fd);

  // An O_PATH descriptor of /proc/PID if PID is a traced process now, else -1.
  // Owned here; valid until the next call.
  int proc_dir(int32_t pid);

 private:
  bool holds_region(int dir) const;

  dev_t region_dev_ = 0;
  ino_t region_ino_ = 0;
  int program_fd_ = -1;
  int32_t monitor_pid_ = 0;
  std::map<int32_t, int> dirs_;  // pid -> /proc/PID, checked once held
};

}  // namespace sysgate::trace
