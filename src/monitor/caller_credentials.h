// Whose rights the broker may act with.
//
//   if (!acts_with_monitor_credentials(n.pid)) { refuse: EPERM, reported }
//
// The monitor opens, execs and changes metadata for the program with its own
// credentials (root, usually). A program that changed its ids since it
// started (the `id` promise, a server dropping root, setpriv or runuser in the
// sandbox) would otherwise have the monitor open, exec and chmod what it no
// longer may itself: a setuid-root file made by "nobody". So the broker acts
// only for a calling thread whose file-system ids, supplementary groups and
// effective capabilities are the monitor's. (Acting with the caller's
// credentials instead, on a thread that takes them, is the fuller answer; not
// built.) The calling thread is blocked in the call being judged, so its
// credentials cannot change meanwhile.
#pragma once

#include <sys/types.h>

namespace sysgate::monitor {

// True if thread tid (the notification's pid: a thread id) has the calling
// thread's fsuid, fsgid, supplementary groups and effective capabilities, as
// /proc/TID/status shows them. False if they differ or cannot be read.
bool acts_with_monitor_credentials(pid_t tid);

}  // namespace sysgate::monitor
