// get_mempolicy's, set_mempolicy's and mbind's structs as strace shows them:
// the mode get_mempolicy writes, "[MPOL_DEFAULT]" (a node number with
// MPOL_F_NODE), and a node mask as its longs,
// "[0x00000000000001, 0000000000000000, ...]" (strace's "%#016lx": zero has
// no 0x), as many as maxnode - 1 bits take, "..." after those the gate did
// not copy (src/gate/struct_payloads.cc: 32).
#pragma once

#include <string>

#include "trace/record.h"

namespace sysgate::trace {

// False when p is not such a struct of r's call (the caller shows the address).
bool append_mempolicy_payload(std::string& out, const Record& r, const Payload& p);

}  // namespace sysgate::trace
