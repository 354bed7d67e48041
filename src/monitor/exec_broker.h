// Brokered exec for gated processes (trace mode; src/gate/exec_via_loader.h).
//
// A gated process never execs a program directly: its gate makes the program's
// execve/execveat, which the filter routes to the monitor; if the policy allows
// exec, the monitor resolves the path as the process would, checks the file it
// actually got (regular, executable, and — with file rules — covered by an x
// right, the check Landlock would have made on a real exec), opens it read-only
// and puts the descriptor into the process (SECCOMP_IOCTL_NOTIF_ADDFD with
// SEND): the call "returns" the fd, and the gate hands it to the loader.
// Under a policy with no file rules that allows every exec, the gate does
// those steps itself (gate/exec_open.h) and comes here only for what it
// cannot open.
// The same race-free steps as broker.h: one copy of the path, O_PATH resolution
// without magic links, judging the object held, reopening that same object.
#pragma once

#include "monitor/broker.h"
#include "monitor/caller_credentials.h"
#include "monitor/process_images.h"

namespace sysgate::monitor {

// n must be an execve or execveat notification. kAnswered: the fd was handed
// over, or the kernel's own error (ENOENT, EACCES for a non-executable file...)
// was returned. kRefused: the file rules do not grant x on it (report `hint`).
// An exec of the process's own exe link ("/proc/self/exe", ...) runs the image
// `images` says the process runs (process_images.h); a successful exec records
// the new image there, and, when the sixth argument is non-zero, writes the
// file's real path (NUL-terminated, < PATH_MAX) to that address in the
// process -- the gate's buffer for the next loader's --exe.
// caller: the notifying thread's credentials (caller_credentials.h), read
// once for the whole notification.
BrokerOutcome broker_exec(sandbox::Listener& listener, const sandbox::Notification& n, const Caller& caller,
                          const ResolvedFiles& files, ProcessImages& images);

}  // namespace sysgate::monitor
