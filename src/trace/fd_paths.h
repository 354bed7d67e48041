// strace -y: what each file descriptor of each traced process refers to,
// followed from the trace's own records in the order the calls were made.
//
//   trace::FdPaths paths(trace::FdPaths::system_probe(&traced));
//   const std::string* p = paths.path(record.pid, 3);   // before the call: "3</etc/passwd>"
//   ...format the line...
//   paths.after(record);                                // what the call changed
//   if (const std::string* q = paths.path(record.pid, record.ret)) ...  // "= 3</etc/passwd>"
//
// strace reads /proc/PID/fd/N while the process is stopped at the call. The
// monitor sees a call only milliseconds after it returned, when the fd may be
// closed or reused, so it keeps its own table per process instead:
//   - a file opened by path (open, openat, openat2, creat) is named by the
//     path it was opened with, made absolute against the process's working
//     directory or the dirfd's path, then resolved like the kernel's name for
//     it (symlinks, "..": realpath) when it still resolves;
//   - dup, dup2, dup3 and fcntl F_DUPFD* copy a name; close and close_range
//     drop it; an exec drops the close-on-exec ones (O_CLOEXEC, FD_CLOEXEC,
//     SOCK_CLOEXEC, ... as the calls set them);
//   - a process made by fork, vfork or clone without CLONE_FILES starts with a
//     copy of its parent's table; when the parent's record comes after the
//     child's own (a vfork's comes once the child exec'd or exited), the
//     child's lines printed until then lack the inherited names, and it gets
//     the parent's descriptors its own calls did not change (less the
//     close-on-exec ones, if it exec'd);
//   - the command's first process starts with what the caller says it
//     inherited (start());
//   - a pty's slave opened through its master (ioctl TIOCGPTPEER) is asked
//     of the system (the probe below) and kept if it names /dev/pts/;
//   - event fds, epoll, timerfd, signalfd, inotify, pidfd, userfaultfd and
//     perf_event descriptors get the kernel's fixed name for them
//     ("anon_inode:[eventfd]"), memfds "/memfd:NAME (deleted)";
//   - sockets and pipes, whose names hold an inode number, are named from the
//     inode the gate asked fstat for right after the call (with -y the
//     monitor sets RegionHeader::record_fd_inodes); without one they are
//     asked of the system (the probe: /proc/PID/fd/N) when their record is
//     seen, and kept only if the link still names that kind of object (the
//     number may be reused by then).
// A descriptor whose history was not seen has no name: nothing is shown
// rather than a guess. The working directory starts as start() says, is
// copied like the descriptors, and follows chdir and fchdir; a relative path
// opened where it is not known stays unnamed. Names are for display: one can
// be stale when the program renamed the file.
// Not thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <set>

#include "trace/record.h"
#include "trace/traced_processes.h"

namespace sysgate::trace {

class FdPaths {
 public:
  struct Probe {
    // /proc/PID/fd/N's link (system_probe: of traced processes only).
    std::function<std::optional<std::string>(int32_t pid, int fd)> link;
    // The inode number of the file /proc/PID/fd/N is (system_probe: of
    // traced processes only); empty: none asked.
    std::function<std::optional<uint64_t>(int32_t pid, int fd)> inode;
    // The path with symlinks, "." and ".." resolved, if it exists (realpath).
    std::function<std::optional<std::string>(const std::string& path)> resolve;
  };
  // The live system's: links of the processes traced asks about only, since a
  // record's pid is the program's to write (traced_processes.h; null: none).
  // resolve: whether paths are resolved (realpath) at all; else shown as given.
  static Probe system_probe(TracedProcesses* traced, bool resolve = true);

  explicit FdPaths(Probe probe) : probe_(std::move(probe)) {}

  // The name of fd in process pid now; nullptr if not known.
  const std::string* path(int32_t pid, int64_t fd);
  // Process pid starts in directory cwd with these descriptors (the command's
  // first process: sysgate's own directory, and what its 0, 1 and 2 name).
  void start(int32_t pid, const std::string& cwd, const std::map<int, std::string>& inherited);
  // The process's working directory; nullptr if not known.
  const std::string* cwd(int32_t pid);

  // Applies what a record's call did to the tables.
  void after(const Record& record);

  // The call returns a descriptor when it succeeds (open, dup, socket, ...):
  // strace -y names the result too.
  static bool returns_fd(const Record& record);
  // Whether after() learns anything from a call numbered nr: with -y and a
  // trace=SET, the gate still records these calls (and the printer drops their
  // lines), or a descriptor opened by a call outside the set would be unnamed.
  static bool follows(int nr);
  // The argument holding the two descriptors the call made (pipe, pipe2: 0;
  // socketpair: 3), or -1. strace -y names them in the call's own line, so
  // the caller applies the call (after()) before formatting that line.
  static int fd_array_arg(const Record& record);
  // Whether the call's own line names descriptors it made inside a struct
  // (recvmsg's SCM_RIGHTS: "cmsg_data=[5</etc/hosts>]"), so the caller
  // applies it first too.
  static bool names_fds_it_received(const Record& record);
  // As a recvmsg's record arrives (the gate waits for it to be read), the
  // names of the descriptors it received, into its extras: asked of /proc,
  // kept only for a descriptor that is still the file the gate saw at the call.
  void note_received(Record& record);

 private:
  struct Fd {
    std::string path;
    bool cloexec = false;
  };
  struct Process {
    std::map<int, Fd> fds;
    std::optional<std::string> cwd;
    // For a child whose parent's fork record comes after its own records: the
    // descriptors its own calls changed (the parent's say nothing of those),
    // and whether it exec'd (the parent's close-on-exec ones are gone).
    std::set<int> changed;
    std::vector<std::pair<unsigned, unsigned>> closed_ranges;
    bool execed = false;
  };

  Process& process(int32_t pid) { return processes_[pid]; }
  // A path as the process named it, made absolute against dirfd (AT_FDCWD:
  // the working directory), then resolved.
  std::optional<std::string> absolute(int32_t pid, int64_t dirfd, const std::string& path);
  void set(int32_t pid, int64_t fd, std::string path, bool cloexec);
  void drop(int32_t pid, int64_t fd);
  void inherit_late(Process& child, const Process& parent);
  // fd's name from the system, if it has one now and it names a `kind`
  // (its link's start: "socket:[", "pipe:[", ...).
  void set_from_probe(int32_t pid, int64_t fd, std::string_view kind, bool cloexec);
  // A socket or pipe the record made: "socket:[INODE]" from the inode the gate
  // recorded (Record::fd_inodes), or, without one, from the system.
  void set_made(int32_t pid, int64_t fd, std::string_view kind, uint64_t inode, bool cloexec);

  Probe probe_;
  std::map<int32_t, Process> processes_;
};

}  // namespace sysgate::trace
