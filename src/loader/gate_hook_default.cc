// The default gate hook: does nothing. Weak, and built into its own archive
// that src/loader/CMakeLists.txt links after everything else, so a real gate
// linked into sysgate-exec takes precedence (see gate_hook.h).
#include "loader/gate_hook.h"

extern "C" __attribute__((weak)) void sysgate_gate_arm(const sysgate_loader_info* info) { (void)info; }
