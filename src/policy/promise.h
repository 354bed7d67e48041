// Promises: pledge-like named groups of syscalls (with argument limits).
// docs/promises.md lists what each grants; it is generated from this table
// (`sysgate promises --markdown`) and a test keeps the two equal.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "policy/condition.h"

namespace sysgate::policy {

enum class Promise : uint8_t {
  kStdio,     // I/O on fds already open, memory, time, exit: the seed's strict mode plus what libc needs
  kRpath,     // read-only filesystem access by path (open O_RDONLY, stat, readlink, getdents)
  kWpath,     // write access to existing files by path (open for writing, truncate)
  kCpath,     // create/remove/rename files and directories
  kTmppath,   // create/remove files (only meaningful with a $TMP file rule)
  kFattr,     // change file attributes: chmod, utimes, fchmod
  kChown,     // change file owner
  kFlock,     // file locks: flock, fcntl locking
  kInet,      // IPv4/IPv6 sockets
  kUnix,      // AF_UNIX sockets
  kDns,       // what resolving names needs: UDP/TCP sockets, connect, sendto/recvfrom
  kProc,      // fork, wait, kill own processes, process groups, sessions
  kThread,    // threads: clone with CLONE_THREAD, futex, robust lists
  kExec,      // execve/execveat (paths limited by x file rules)
  kProtExec,  // mmap/mprotect with PROT_EXEC (needed to load shared libraries)
  kTty,       // terminal ioctls
  kId,        // change uid/gid/groups
  kTime,      // set the clock
  kSignal,    // signal handling (sigaction, sigprocmask, sigaltstack, kill self)
};

struct Grant {
  int nr;
  Condition when;  // kTrue: unconditional
  // A call that changes a file's metadata (chmod, chown, utimes, xattrs), by
  // path or by descriptor. Landlock has no right for metadata, so in a policy
  // with file rules the compiled grant is "explain": the monitor performs the
  // call when a file rule grants the write right on the object
  // (monitor/broker.h, monitor/metadata_change.h).
  bool metadata = false;
};

// Every promise, in declaration order.
const std::vector<Promise>& all_promises();
std::string_view promise_name(Promise p);
std::optional<Promise> promise_by_name(std::string_view name);
// One-line description for docs and reports.
std::string_view promise_summary(Promise p);
// What the promise allows. Grants of one promise never overlap in a way that matters:
// all grants are allow rules, so their union is order-independent.
const std::vector<Grant>& promise_grants(Promise p);

// Promises that grant a syscall (any condition): used by reports ("needs promise rpath").
std::vector<Promise> promises_granting(int nr);

}  // namespace sysgate::policy
