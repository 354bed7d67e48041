// The file offsets sendfile, splice and copy_file_range take by pointer, as
// strace prints them: the value given, and for sendfile what the call that
// moved bytes left there (copied by the gate before and after the call:
// kPayloadInOut, gate/call_snapshot.h):
//
//   sendfile(1, 3, [0] => [4096], 4096) = 4096
//   splice(3, [1], 5, NULL, 3, 0) = 3
//   copy_file_range(3, [2], 6, NULL, 3, 0) = 3
//
// Pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "trace/record.h"

namespace sysgate::trace {

// Appends argument index when it is one of those offsets and the record has
// its copy; false, having appended nothing, otherwise.
bool append_offset_arg(std::string& out, const Record& record, int index, uint64_t addr);

}  // namespace sysgate::trace
