// What /proc/self/cmdline (and so ps, top, pgrep -f) shows for a program the
// loader started: the kernel reads it from the argv strings the loader itself
// was exec'd with, "sysgate-exec\0--fd\03\0...--\0prog\0arg\0". The program's
// strings are the tail of that area; moving them to its start and zeroing the
// rest makes it read "prog\0arg\0\0\0...": the program's argv, then NULs up to
// where the loader's arguments ended (the kernel's arg_end cannot move without
// CAP_SYS_RESOURCE).
//
//   hide_loader_arguments(argv, argc, o.argv, o.argc);   // o.argv now points at the moved strings
//
// Only when the strings are laid out as the kernel lays them out (each right
// after the previous one's NUL, the program's last); otherwise nothing changes.
// Every other string of the loader's argv (its options) is gone afterwards:
// copy what is still needed first. Pure (no syscalls); loader-only.
#pragma once

#include <stdint.h>

namespace sysgate::loader {

// Returns whether it moved them.
bool hide_loader_arguments(char** loader_argv, uint64_t loader_argc, char** program_argv, uint64_t program_argc);

}  // namespace sysgate::loader
