// Brokered path calls: a path syscall the policy's promises do not grant, but
// a file rule covers, is performed by the monitor on the program's behalf.
//
// Race-free by construction (DESIGN invariant 2): the path is copied out of the
// target once; the monitor resolves and opens *its copy* (O_PATH first, so
// opening has no side effects), judges the file it actually got by its
// canonical path (/proc/self/fd/N), reopens that same file with the requested
// flags, and hands the descriptor over with SECCOMP_ADDFD_FLAG_SEND, which
// answers the syscall atomically. Changing the target's memory after the copy
// changes nothing. A reopen that can wait (a FIFO, a device) runs on a thread
// of its own (monitor/blocking_open.h): only the caller waits, as natively.
//
// Brokered: open/openat without O_CREAT/O_TMPFILE (read needs r, writing needs
// w), access/faccessat (needs r), and the metadata changes that take a path
// (chmod, chown, utimes, xattrs; need w; monitor/metadata_change.h). Paths under /proc are never brokered: the
// monitor's /proc/self is not the target's.
#pragma once

#include <optional>
#include <string>

#include "monitor/blocking_open.h"
#include "monitor/explanation.h"
#include "monitor/resolved_files.h"
#include "policy/evaluate.h"
#include "sandbox/notify.h"

namespace sysgate::monitor {

// What the broker did with one notification.
struct BrokerOutcome {
  enum class Kind {
    kNotBrokerable,  // not a call the broker performs: refuse it as the policy says
    kRefused,        // brokerable, but no file rule covers it: refuse and report with `hint`
    kAnswered,       // performed (or answered with the real errno): nothing to report
  };
  Kind kind = Kind::kNotBrokerable;
  std::optional<PathHint> hint;  // kRefused: the path and right that a rule would need
};

// Whether an explain verdict may be brokered: only the default action's (a
// call no rule decides, which a file rule may then allow) and a promise
// grant's (Grant::metadata: the compiler sends those calls to the monitor
// to be judged against the file rules). A rule the policy states itself
// means what it says: its errno, reported, whatever the file rules allow.
// A metadata change (chmod, chown, utimes, xattrs, by path or descriptor) is
// brokered only for its promise's grant: the default's verdict is not enough.
// `run` and `explain` both ask this.
bool may_broker(const policy::Decision& d, int nr);

// Whether syscall nr is one broker_path_call() can perform (for `explain`).
bool is_brokerable_call(int nr);

// Handles notification n if it is a brokerable call. Answers the notification
// itself (or has `opens` answer it later) only for kAnswered. Not thread-safe
// (one monitor thread).
BrokerOutcome broker_path_call(sandbox::Listener& listener, BlockingOpens& opens, const sandbox::Notification& n,
                               const ResolvedFiles& files);

// For reports of calls that were not brokered: the absolute path (display only)
// and right a brokerable call names, or nullopt.
std::optional<PathHint> path_hint(const sandbox::Notification& n);

}  // namespace sysgate::monitor
