// The kernel's x86-64 signal ABI as the gate sees it: the layouts of the signal
// frame's ucontext and siginfo, the kernel's struct sigaction and stack_t, and
// register access by syscall-argument index.
//
//   void handle(int, KernelSiginfo* info, KernelUcontext* uc) {
//     uint64_t a0 = syscall_arg(*uc, 0);   // rdi
//     uc->mc.rax = result;                  // what the program's syscall returns
//   }
//
// These are the kernel's structures (arch/x86/include/uapi/asm/sigcontext.h,
// include/uapi/asm-generic/ucontext.h), not glibc's: the signal mask is the
// kernel's 8-byte sigset, not glibc's 128-byte one. Only the gate's freestanding
// sources include this header (it pulls in <linux/signal.h>, which clashes with
// glibc's <signal.h>).
#pragma once

#include <asm/unistd.h>
#include <linux/signal.h>
#include <stddef.h>
#include <stdint.h>

namespace sysgate::gate::arch {

inline constexpr uint32_t kAuditArchX86_64 = 0xC000003Eu;  // AUDIT_ARCH_X86_64
inline constexpr int kSysSeccomp = 1;                      // si_code of a seccomp SIGSYS
inline constexpr uint64_t kX32SyscallBit = 0x40000000u;    // __X32_SYSCALL_BIT

// Signal sets are 64-bit masks: bit (sig - 1).
inline constexpr uint64_t sigbit(int sig) { return uint64_t{1} << (sig - 1); }
inline constexpr uint64_t kSigsysBit = sigbit(SIGSYS);
inline constexpr uint64_t kUnblockableBits = sigbit(SIGKILL) | sigbit(SIGSTOP);
inline constexpr uint64_t kAllSignals = ~uint64_t{0};
inline constexpr uint64_t kSigDfl = 0;  // sa_handler values
inline constexpr uint64_t kSigIgn = 1;

struct KernelSigcontext {
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip;
  uint64_t eflags;
  uint16_t cs, gs, fs, ss;
  uint64_t err, trapno, oldmask, cr2;
  uint64_t fpstate;  // pointer to the saved FPU/vector state in the frame
  uint64_t reserved1[8];
};
static_assert(sizeof(KernelSigcontext) == 256);
static_assert(offsetof(KernelSigcontext, rdi) == 64);
static_assert(offsetof(KernelSigcontext, rax) == 104);
static_assert(offsetof(KernelSigcontext, rip) == 128);

struct KernelStack {  // stack_t
  uint64_t ss_sp;
  int32_t ss_flags;
  int32_t pad;
  uint64_t ss_size;
};
static_assert(sizeof(KernelStack) == 24);

struct KernelUcontext {
  uint64_t uc_flags;
  uint64_t uc_link;
  KernelStack uc_stack;  // the alternate stack registered when the signal arrived
  KernelSigcontext mc;
  uint64_t uc_sigmask;   // the mask sigreturn restores: the program's mask at the trap
};
static_assert(offsetof(KernelUcontext, uc_stack) == 16);
static_assert(offsetof(KernelUcontext, mc) == 40);
static_assert(offsetof(KernelUcontext, uc_sigmask) == 296);

struct KernelSiginfo {  // the SIGSYS shape of siginfo_t
  int32_t si_signo;
  int32_t si_errno;  // SECCOMP_RET_DATA of the filter's verdict
  int32_t si_code;
  int32_t pad;
  uint64_t call_addr;  // address after the trapped syscall instruction
  int32_t syscall;     // the trapped syscall's number
  uint32_t arch;       // AUDIT_ARCH_*
};
static_assert(offsetof(KernelSiginfo, call_addr) == 16);
static_assert(offsetof(KernelSiginfo, syscall) == 24);
static_assert(offsetof(KernelSiginfo, arch) == 28);

struct KernelSigaction {  // what rt_sigaction reads and writes (sizeof == 32)
  uint64_t handler;
  uint64_t flags;
  uint64_t restorer;
  uint64_t mask;
};
static_assert(sizeof(KernelSigaction) == 32);

// Argument i (0..5) of the trapped syscall: rdi rsi rdx r10 r8 r9.
inline uint64_t syscall_arg(const KernelUcontext& uc, int i) {
  switch (i) {
    case 0: return uc.mc.rdi;
    case 1: return uc.mc.rsi;
    case 2: return uc.mc.rdx;
    case 3: return uc.mc.r10;
    case 4: return uc.mc.r8;
    default: return uc.mc.r9;
  }
}

}  // namespace sysgate::gate::arch
