// Whose rights the broker may act with.
//
//   if (!caller_of(n.pid).same_as_monitor) { refuse: EPERM, reported }
//
// The monitor opens, execs and changes metadata for the program with its own
// credentials (root, usually). A program that changed its ids since it
// started (the `id` promise, a server dropping root, setpriv or runuser in the
// sandbox) would otherwise have the monitor open, exec and chmod what it no
// longer may itself: a setuid-root file made by "nobody". So the broker acts
// only for a calling thread whose file-system ids, supplementary groups and
// effective capabilities are the monitor's -- except exec, which the exec
// broker performs with the caller's credentials, on a thread that takes them
// (as_caller), as the kernel would have checked them. The calling thread is
// blocked in the call being judged, so its credentials cannot change
// meanwhile.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace sysgate::monitor {

// What the kernel checks a thread's file access with.
struct Credentials {
  uid_t fsuid = 0;
  gid_t fsgid = 0;
  std::vector<gid_t> groups;
  uint64_t effective_capabilities = 0;
  bool operator==(const Credentials&) const = default;
};

// Thread tid's, from /proc/TID/status; nullopt if unreadable.
std::optional<Credentials> credentials_of(pid_t tid);

// A notifying thread's credentials, read once per notification (one read of
// /proc/TID/status), and whether they are those of the calling thread of the
// monitor (fsuid, fsgid, supplementary groups, effective capabilities; its own
// are read once per monitor thread). same_as_monitor is false if either
// cannot be read.
struct Caller {
  std::optional<Credentials> credentials;
  bool same_as_monitor = false;
  pid_t tgid = 0;  // its process (Tgid:), 0 if unreadable
};
Caller caller_of(pid_t tid);

// Runs fn on a new thread of the monitor that has taken c (raw per-thread
// setgroups, setfsgid, setfsuid, then capset: its effective capabilities are
// c's, within the monitor's permitted set) and returns true; false, without
// running fn, if the thread could not take them.
bool as_caller(const Credentials& c, const std::function<void()>& fn);

}  // namespace sysgate::monitor
