// The whole of a small /proc file, read with plain syscalls.
//
//   std::optional<std::string> status = read_proc_file("/proc/123/status");
//
// nullopt if it cannot be opened or read: the process may be gone (reads then
// fail with ESRCH, which must not throw as iostreams would). The monitor reads
// these on every brokered exec, where iostreams cost more than the kernel's
// rendering of the file.
#pragma once

#include <optional>
#include <string>

namespace sysgate::monitor {

std::optional<std::string> read_proc_file(const std::string& path);

}  // namespace sysgate::monitor
