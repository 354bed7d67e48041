// The descriptors a process was started with that its exec would pass on.
//
// strace's child keeps every descriptor strace inherited: a make jobserver's
// pipe, a systemd socket, a caller's `3>log` still work under strace. `sysgate
// trace` does the same, so a traced program sees what it sees natively. (`sysgate
// run` closes them: a sandbox gets no descriptor the policy did not name.)
#pragma once

#include <vector>

namespace sysgate::sandbox {

// Open descriptors >= 3 without FD_CLOEXEC, in increasing order. Call it before
// the process opens anything of its own that is not O_CLOEXEC (first thing in
// main). Reads /proc/self/fd; without /proc, probes each number below the soft
// RLIMIT_NOFILE (up to 65536).
std::vector<int> inheritable_descriptors();

}  // namespace sysgate::sandbox
