// setsockopt's and getsockopt's level and option name as strace prints them:
// SOL_SOCKET, SO_REUSEADDR; SOL_TCP, TCP_NODELAY; SOL_IP, IP_TTL; an unknown
// option of a known level as "0x270f /* SO_??? */", of an unknown level as
// its number.
#pragma once

#include <cstdint>
#include <string>

#include "syscalls/const_style.h"

namespace sysgate::syscalls {

// style: strace -X (const_style.h); raw, an unknown option has no comment.
void append_sockopt_level(std::string& out, uint64_t level, ConstStyle style = ConstStyle::kAbbrev);
void append_sockopt_name(std::string& out, uint64_t level, uint64_t optname, ConstStyle style = ConstStyle::kAbbrev);

}  // namespace sysgate::syscalls
