#include "gate/program_traps.h"

#include "gate/gate_trap.h"
#include "gate/signals.h"
#include "gate/util.h"

namespace sysgate::gate {
namespace {

constexpr uint32_t kProgramTrapPending = 1u << 16;  // above the 16 bits of SECCOMP_RET_DATA
constexpr int32_t kSysSigsys = 31;                   // SIGSYS

// A trap's si_call_addr, the address after the syscall instruction: the gate's.
bool at_gate_code(uint64_t call_addr) { return call_addr >= g_gate.code_begin && call_addr <= g_gate.code_end; }

}  // namespace

bool is_gate_trap(const arch::KernelSiginfo* info) {
  return info->si_code == arch::kSysSeccomp && static_cast<uint32_t>(info->si_errno) == kGateTrapData &&
         !at_gate_code(info->call_addr);
}

bool program_filters_may_trap() { return load_relaxed(&g_gate.program_filters) != 0; }

void note_program_filters() { store_relaxed(&g_gate.program_filters, 1u); }

ProgramTrapWindow::ProgramTrapWindow(GateThread* t) : t_(t), outer_(t != nullptr ? t->forwarding : 0) {
  if (t_ != nullptr) t_->forwarding = 1;
}

ProgramTrapWindow::~ProgramTrapWindow() {
  if (t_ != nullptr) t_->forwarding = outer_;
}

// The program's SIGSYS handler for a trap of its filter's, counted.
void deliver_counted(GateThread* t, arch::KernelSiginfo* info, arch::KernelUcontext* uc) {
  ++t->program_trap_depth;
  deliver_foreign_sigsys(info, uc);
  --t->program_trap_depth;
}

bool program_trap_at_gate(GateThread* t, arch::KernelSiginfo* info, arch::KernelUcontext* uc) {
  if (t == nullptr || !at_gate_code(info->call_addr)) return false;
  if (t->program_trap_depth != 0) {
    // (die's line holds 256 bytes.)
    die("the program's filter traps its SIGSYS handler's calls when the gate makes them (an escape hatch by "
        "address, as Chromium's): not supported under trace, see docs/gate.md; syscall",
        info->syscall);
  }
  if (t->forwarding != 0) {
    t->program_trap = (static_cast<uint32_t>(info->si_errno) & 0xffff) | kProgramTrapPending;
    return true;
  }
  if (t->call_ip != 0) info->call_addr = t->call_ip;
  deliver_counted(t, info, uc);
  return true;
}

void deliver_program_trap(GateThread* t, const Call& call, arch::KernelUcontext* uc) {
  if ((t->program_trap & kProgramTrapPending) == 0) return;
  // A whole siginfo_t (128 bytes), as the program's handler may read it.
  alignas(8) uint8_t whole[128];
  zero_bytes(whole, sizeof whole);
  auto* info = reinterpret_cast<arch::KernelSiginfo*>(whole);
  info->si_signo = kSysSigsys;
  info->si_errno = static_cast<int32_t>(t->program_trap & 0xffff);
  info->si_code = arch::kSysSeccomp;
  info->call_addr = call.ip;  // the program's call, as the kernel would have named it
  info->syscall = static_cast<int32_t>(call.nr);
  info->arch = arch::kAuditArchX86_64;
  t->program_trap = 0;
  deliver_counted(t, info, uc);
}

}  // namespace sysgate::gate
