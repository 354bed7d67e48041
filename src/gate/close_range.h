// close_range over the descriptors the filter protects: the loader's, the
// trace region's and the hook library's (monitor/gate_routing.h refuses a
// close_range that covers one with ENOSYS). The gate splits the program's
// range around them and closes the rest itself, so that the program's one
// call works as it would outside the sandbox, and its protected descriptors
// stay open (a program that counts on them being closed is told nothing: they
// are above its fds, at the top of the descriptor table). Python's subprocess
// closes every inherited descriptor this way.
//
//   protect_fd(loader_fd);                       // at set-up, for each of them
//   if (close_range_covers_protected(args)) return emulate_close_range(args);
//
// Freestanding.
#pragma once

#include <stdint.h>

namespace sysgate::gate {

// Adds fd to the protected set (at most 4; negative fds are ignored).
void protect_fd(int fd);

// Whether close_range(args[0], args[1], ...) covers a protected descriptor.
bool close_range_covers_protected(const uint64_t args[6]);

// close_range on the parts of [args[0], args[1]] between protected
// descriptors, with the program's flags: 0, or the first part's error.
long emulate_close_range(const uint64_t args[6]);

}  // namespace sysgate::gate
