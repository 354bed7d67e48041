// A signal frame the kernel built on a stack, and copying it elsewhere: the
// return address (pretcode), the ucontext and the siginfo, in that order, and
// the FPU state the ucontext points to, above them on the same stack. The
// copy's rt_sigreturn restores the same context; used to move a SIGSYS frame
// off the program's alternate stack (handler.cc) and a program handler's off
// the gate stack (moved_handler.h). Freestanding.
//
//   uint64_t at = copy_signal_frame(frame, uc, stack_top, lowest_allowed);
//   if (at == 0) ... the frame stays where it is
#pragma once

#include <stdint.h>

#include "gate/arch/x86_64/kernel_abi.h"
#include "gate/util.h"

namespace sysgate::gate {

inline constexpr uint64_t kRedZoneBytes = 128;
inline constexpr uint64_t kSigframeBytes = 8 + sizeof(arch::KernelUcontext) + 128;  // pretcode, uc, siginfo

// Whether sp lies on [base, base + size), counting its top (an empty stack's sp).
inline bool on_stack(uint64_t sp, uint64_t base, uint64_t size) { return sp > base && sp - base <= size; }

// Bytes of the FPU state uc points to (the xsave size it records, or the
// legacy fxsave area's), 0 when it has none; false when the sizes make no sense.
inline bool fpstate_bytes(const arch::KernelUcontext* uc, uint64_t* bytes) {
  constexpr uint32_t kFpXstateMagic1 = 0x46505853;  // FP_XSTATE_MAGIC1
  constexpr uint64_t kFxsaveBytes = 512;
  constexpr uint64_t kMaxFpstateBytes = 64 * 1024;
  *bytes = 0;
  if (uc->mc.fpstate == 0) return true;
  const uint8_t* fx = reinterpret_cast<const uint8_t*>(uc->mc.fpstate);
  uint32_t magic1 = 0;
  uint32_t extended = 0;
  copy_bytes(&magic1, fx + 464, 4);  // struct _fpx_sw_bytes in the fxsave area's reserved bytes
  copy_bytes(&extended, fx + 468, 4);
  *bytes = magic1 == kFpXstateMagic1 ? extended : kFxsaveBytes;
  return *bytes >= kFxsaveBytes && *bytes <= kMaxFpstateBytes;
}

// Where a copy of the frame at frame (fp_bytes of FPU state) goes below top,
// aligned as the kernel aligns one: its FPU state at *fp_at (64-byte aligned,
// for xrstor), the frame below it; returns the frame's address.
inline uint64_t signal_frame_place(uint64_t top, uint64_t fp_bytes, uint64_t* fp_at) {
  *fp_at = fp_bytes != 0 ? (top - fp_bytes) & ~uint64_t{63} : top;
  return ((*fp_at - kSigframeBytes) & ~uint64_t{15}) - 8;
}

// Copies the frame and its FPU state to new_frame and fp_at (from
// signal_frame_place), and points the copy's ucontext at its FPU state.
inline void copy_signal_frame(uint64_t frame, const arch::KernelUcontext* uc, uint64_t fp_bytes, uint64_t new_frame,
                              uint64_t fp_at) {
  copy_bytes(reinterpret_cast<void*>(new_frame), reinterpret_cast<const void*>(frame), kSigframeBytes);
  if (fp_bytes == 0) return;
  copy_bytes(reinterpret_cast<void*>(fp_at), reinterpret_cast<const void*>(uc->mc.fpstate), fp_bytes);
  reinterpret_cast<arch::KernelUcontext*>(new_frame + 8)->mc.fpstate = fp_at;
}

}  // namespace sysgate::gate
