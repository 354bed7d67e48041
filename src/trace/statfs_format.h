// statfs's and fstatfs's struct statfs as strace prints it:
//
//   statfs("/", {f_type=EXT2_SUPER_MAGIC, f_bsize=4096, f_blocks=66053021, f_bfree=59810234,
//          f_bavail=18841510, f_files=16777216, f_ffree=16312835, f_fsid={val=[0x9f9dac47, 0x4613861d]},
//          f_namelen=255, f_frsize=4096, f_flags=ST_VALID|ST_RELATIME}) = 0
//
// The gate copies the struct up to f_flags (88 of its 120 bytes). Pure.
#pragma once

#include <string>
#include <string_view>

#include "syscalls/const_style.h"

namespace sysgate::trace {

// False, appending nothing, when bytes is shorter than 88.
// style: strace -X, f_type and f_flags as names, numbers or both.
bool append_statfs(std::string& out, std::string_view bytes,
                   syscalls::ConstStyle style = syscalls::ConstStyle::kAbbrev);

}  // namespace sysgate::trace
