// The descriptors a process was started with that its exec would pass on.
//
// strace's child keeps every descriptor strace inherited: a make jobserver's
// pipe, a systemd socket, a caller's `3>log` still work under strace. `sysgate
// trace` does the same, so a traced program sees what it sees natively. (`sysgate
// run` closes them: a sandbox gets no descriptor the policy did not name.)
#pragma once

#include <array>
#include <vector>

namespace sysgate::sandbox {

// Which of descriptors 0, 1 and 2 the process was started without, each now
// /dev/null: nothing sysgate opens may land there (a policy path's descriptor
// taken for stdout, the program's file refused by the launcher as fd 1, a
// trace written into whatever took fd 2). The command gets them closed again
// (LaunchSpec::close_stdio), as a command under strace finds them. Call it
// first thing in main.
std::array<bool, 3> occupy_closed_stdio();

// Open descriptors >= 3 without FD_CLOEXEC, in increasing order. Call it before
// the process opens anything of its own that is not O_CLOEXEC (first thing in
// main). Reads /proc/self/fd; without /proc, probes each number below the soft
// RLIMIT_NOFILE (up to 65536).
std::vector<int> inheritable_descriptors();

}  // namespace sysgate::sandbox
