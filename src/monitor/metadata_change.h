// The last step of a brokered metadata call (chmod, chown, utimes, xattrs):
// make the change on the object the broker resolved and judged.
//
//   // broker.cc, after judging `object` (an O_PATH descriptor) against the write right:
//   int err = change_metadata(object.get(), n.data.nr, n.data.args, memory);   // 0 or an errno
//
// Landlock has no right for a file's metadata, so a promise (fattr, chown)
// cannot let the kernel do these calls on paths once a policy has file
// rules: the broker resolves the path as the program would (no magic links),
// judges the object it holds, and this changes exactly that object, through
// the descriptor (AT_EMPTY_PATH, or /proc/self/fd/N for the calls that have
// no such form). The values (mode, ids, times, the xattr's name and value)
// are copied from the program once, here; none of them affects the judgment.
#pragma once

#include <cstdint>

#include "sandbox/notify.h"

namespace sysgate::monitor {

// Whether nr is one of the calls change_metadata() performs.
bool is_metadata_call(int nr);

// Changes object's metadata as call nr with arguments args would have changed
// the file its path names. Returns 0 or the errno the program gets. Reads the
// call's value arguments through memory. Thread-compatible.
int change_metadata(int object, int nr, const uint64_t args[6], sandbox::ProcessMemory& memory);

// The descriptor forms: fchmod, fchown, fsetxattr, fremovexattr, and
// utimensat with a NULL path (futimens). The descriptor is args[0].
bool is_descriptor_metadata_call(int nr, const uint64_t args[6]);

// Makes call nr on `file`, the monitor's copy of the program's own open file
// (pidfd_getfd), with the program's other arguments: the kernel answers as it
// would have answered the program (EBADF for an O_PATH descriptor...).
// Returns 0 or the errno.
int change_descriptor_metadata(int file, int nr, const uint64_t args[6], sandbox::ProcessMemory& memory);

}  // namespace sysgate::monitor
