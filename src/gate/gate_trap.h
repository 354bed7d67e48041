// The SECCOMP_RET_DATA of the TRAP by which a sysgate filter sends a call to
// the gate (the redirect filters, redirect_filter.h, and the compiler's gate
// mode): the kernel hands it over as the SIGSYS's si_errno. A SIGSYS from
// seccomp with other data came from a filter of the program's own (a
// browser's sandbox traps calls for its SIGSYS handler to emulate): the gate
// delivers it to the program, as the kernel would have without the gate.
//
// Plain C++ constants: included by the freestanding gate and by the hosted
// compiler.
#pragma once

#include <stdint.h>

namespace sysgate::gate {

inline constexpr uint32_t kGateTrapData = 0x5347;  // "SG"; 16 bits, as SECCOMP_RET_DATA keeps them

}  // namespace sysgate::gate
