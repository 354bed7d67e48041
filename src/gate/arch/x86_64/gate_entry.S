/* The gate's machine-level entry points (x86-64 Linux).
 *
 * The gate issues every system call it makes -- its own and the ones it makes for
 * the program -- from ONE `syscall` instruction, sysgate_gate_syscall_insn. The
 * kernel filter identifies the gate by the instruction pointer it reports for a
 * call made there, which is the address of the instruction AFTER `syscall`:
 *
 *     sysgate_gate_syscall_insn:   0f 05   syscall
 *     sysgate_gate_syscall_begin:  c3      ret          <- seccomp_data.instruction_pointer
 *     sysgate_gate_syscall_end:
 *
 * so [sysgate_gate_syscall_begin, sysgate_gate_syscall_end) is exactly the set of
 * instruction_pointer values (one) a filter must treat as "made by the gate". No
 * other `syscall` instruction can report an address in it: the two bytes before
 * begin are this instruction, and the range holds one byte.
 *
 * The one other `syscall` here is the restorer's rt_sigreturn, in the exact byte
 * pattern debuggers recognise as a signal trampoline; rt_sigreturn is allowed
 * from everywhere by the filter (restoring a frame gives register control the
 * program already has), so it needs no gate address.
 *
 * Nothing here touches a vector register, and nothing writes to the program's
 * stack. */
#include "child_start.h"

#define NR_munmap 11
#define NR_rt_sigprocmask 14
#define SIG_SETMASK 2
#define UC_SIGMASK_OFFSET 296 /* KernelUcontext::uc_sigmask */
#define NR_rt_sigreturn 15
#define NR_clone 56
#define NR_exit 60

	.text

/* [sysgate_gate_text_begin, sysgate_gate_text_end): this file's code, which
 * holds every syscall instruction of the gate (its one general instruction,
 * the restorer's, clone's and exit's): the region Syscall User Dispatch must
 * exempt for a gate linked into a program rather than into the loader
 * (user_dispatch.h; bench/gate_rewrite_bench). */
	.globl sysgate_gate_text_begin
	.hidden sysgate_gate_text_begin
sysgate_gate_text_begin:

/* The number and six arguments of a C call f(nr, a1, ..., a6) -- rdi, rsi,
 * rdx, rcx, r8, r9 and the stack -- where the kernel takes them: rax, rdi,
 * rsi, rdx, r10, r8, r9. */
	.macro c_call_to_kernel_call
	movq %rdi, %rax
	movq %rsi, %rdi
	movq %rdx, %rsi
	movq %rcx, %rdx
	movq %r8, %r10
	movq %r9, %r8
	movq 8(%rsp), %r9
	.endm

/* long sysgate_gate_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
 * C calling convention in, kernel convention out: rax=nr, rdi rsi rdx r10 r8 r9.
 * Returns the kernel's rax (-errno on failure). Clobbers only what a C call may
 * (plus rcx and r11, which the kernel uses). */
	.globl sysgate_gate_syscall
	.hidden sysgate_gate_syscall
	.type sysgate_gate_syscall, @function
	.p2align 4
sysgate_gate_syscall:
	.cfi_startproc  /* rsp stays at the return address throughout */
	c_call_to_kernel_call
	/* rcx is the kernel's: a frame whose rcx is sysgate_gate_syscall_begin
	 * was saved by the syscall itself (the kernel rewinds rip to restart it),
	 * not by a signal that came before it (trace_emit.cc, trace_pending_call). */
	xorl %ecx, %ecx
	.globl sysgate_gate_syscall_insn
	.type sysgate_gate_syscall_insn, @function
sysgate_gate_syscall_insn:
	syscall
	.globl sysgate_gate_syscall_begin
sysgate_gate_syscall_begin:
	ret
	.globl sysgate_gate_syscall_end
sysgate_gate_syscall_end:
	.cfi_endproc
	.size sysgate_gate_syscall_insn, . - sysgate_gate_syscall_insn
	.size sysgate_gate_syscall, . - sysgate_gate_syscall

/* long sysgate_gate_program_syscall(long nr, long a1, ..., long a6)
 * sysgate_gate_syscall for the call a trampoline's C++ path makes for the
 * program (rewrite.cc), with signals as the program has them: while a signal
 * is deferred (deferred_signal.h) it makes no call and returns CALL_NOT_MADE,
 * for the trampoline to deliver the signal first. A signal arriving between
 * the check and the syscall starts the check again (the signal wrapper
 * rewinds rip to it), so no call is ever made with a deferred signal blocked.
 * A signal at the syscall finds sysgate_gate_program_call_return at rsp. */
#define GT_DEFERRED 2672 /* GateThread::deferred, as in trampoline.S */
	.globl sysgate_gate_program_syscall
	.hidden sysgate_gate_program_syscall
	.type sysgate_gate_program_syscall, @function
	.p2align 4
sysgate_gate_program_syscall:
	c_call_to_kernel_call
	.globl sysgate_gate_program_check
	.hidden sysgate_gate_program_check
sysgate_gate_program_check:
	movq %gs:GT_DEFERRED, %rcx
	jrcxz 1f
	movabsq $0x8000000000000000, %rax /* CALL_NOT_MADE */
	ret
1:	xorl %ecx, %ecx /* as in sysgate_gate_syscall */
	call sysgate_gate_syscall_insn
	.globl sysgate_gate_program_call_return
	.hidden sysgate_gate_program_call_return
sysgate_gate_program_call_return:
	ret
	.size sysgate_gate_program_syscall, . - sysgate_gate_program_syscall

/* long sysgate_gate_blocking_syscall_masked(const KernelUcontext* uc, const uint64_t call[7],
 *                                           const uint64_t* mask)
 * Performs call[0](call[1..6]) -- a call that may block -- with the program's
 * signal mask (*mask: uc->uc_sigmask, or that plus the signals the observer of
 * an ignoring default must not interrupt it with, signals.h) and blocks every
 * signal again afterwards:
 *   rt_sigprocmask(SIG_SETMASK, mask); r = call; rt_sigprocmask(SIG_SETMASK, all)
 * This is the only place where the program's own signal handlers can run on top
 * of the gate (the rest of the gate runs with every signal blocked). Its unwind
 * information therefore describes its caller as the PROGRAM at the trapped
 * syscall -- registers and CFA taken from uc, a signal frame -- skipping the
 * gate's C++ frames (built without unwind tables) and the SIGSYS frame. An
 * unwinder started in such a handler (pthread_cancel's forced unwind, a C++
 * exception, a debugger's backtrace) walks straight from here into the program.
 * It only helps where the unwinder can see this object's .eh_frame (the gate
 * linked into the program, as in the tests); see docs/gate.md. */
#define UC_REG_OFFSET(n) (40 + 8 * (n)) /* sigcontext slot n: r8=0 ... rip=16 */
/* DW_CFA_expression reg: saved at rbx + off  (DW_OP_breg3, sleb128 in two bytes) */
#define CFI_REG_AT_UC(dwreg, slot) \
	.cfi_escape 0x10, dwreg, 0x03, 0x73, (0x80 | (UC_REG_OFFSET(slot) & 0x7f)), (UC_REG_OFFSET(slot) >> 7)
	.globl sysgate_gate_blocking_syscall_masked
	.hidden sysgate_gate_blocking_syscall_masked
	.type sysgate_gate_blocking_syscall_masked, @function
	.p2align 4
sysgate_gate_blocking_syscall_masked:
	.cfi_startproc
	.cfi_signal_frame
	pushq %rbx
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbx, 0
	pushq %r12
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r12, 0
	movq %rdi, %rbx  /* uc, for the CFI below and the masks */
	movq %rsi, %r12  /* call[] */
	.cfi_remember_state
	/* From here: CFA = uc->rsp (DW_CFA_def_cfa_expression: breg3 160; deref) */
	.cfi_escape 0x0f, 0x04, 0x73, (0x80 | (UC_REG_OFFSET(15) & 0x7f)), (UC_REG_OFFSET(15) >> 7), 0x06
	CFI_REG_AT_UC(0, 13)   /* rax */
	CFI_REG_AT_UC(1, 12)   /* rdx */
	CFI_REG_AT_UC(2, 14)   /* rcx */
	CFI_REG_AT_UC(3, 11)   /* rbx */
	CFI_REG_AT_UC(4, 9)    /* rsi */
	CFI_REG_AT_UC(5, 8)    /* rdi */
	CFI_REG_AT_UC(6, 10)   /* rbp */
	CFI_REG_AT_UC(8, 0)    /* r8 */
	CFI_REG_AT_UC(9, 1)    /* r9 */
	CFI_REG_AT_UC(10, 2)   /* r10 */
	CFI_REG_AT_UC(11, 3)   /* r11 */
	CFI_REG_AT_UC(12, 4)   /* r12 */
	CFI_REG_AT_UC(13, 5)   /* r13 */
	CFI_REG_AT_UC(14, 6)   /* r14 */
	CFI_REG_AT_UC(15, 7)   /* r15 */
	CFI_REG_AT_UC(16, 16)  /* rip: the return address column */
	movl $NR_rt_sigprocmask, %eax
	movl $SIG_SETMASK, %edi
	movq %rdx, %rsi  /* mask */
	xorl %edx, %edx
	movl $8, %r10d
	call sysgate_gate_syscall_insn
	/* The program's mask is in place, its call not made yet: a signal from
	 * here to the call's syscall finds the program before its call
	 * (moved_handler.cc). */
	.globl sysgate_gate_blocking_mask_return
	.hidden sysgate_gate_blocking_mask_return
sysgate_gate_blocking_mask_return:
	movq 0(%r12), %rax
	movq 8(%r12), %rdi
	movq 16(%r12), %rsi
	movq 24(%r12), %rdx
	movq 32(%r12), %r10
	movq 40(%r12), %r8
	movq 48(%r12), %r9
	.globl sysgate_gate_blocking_call
	.hidden sysgate_gate_blocking_call
sysgate_gate_blocking_call:
	call sysgate_gate_syscall_insn
	/* A signal delivered as the program's call returns finds this return
	 * address at its rsp (trace_emit.h, PendingCall). */
	.globl sysgate_gate_blocking_call_return
	.hidden sysgate_gate_blocking_call_return
sysgate_gate_blocking_call_return:
	movq %rax, %r12
	movl $NR_rt_sigprocmask, %eax
	movl $SIG_SETMASK, %edi
	leaq sysgate_gate_all_signals(%rip), %rsi
	xorl %edx, %edx
	movl $8, %r10d
	call sysgate_gate_syscall_insn
	movq %r12, %rax
	.cfi_restore_state  /* signals are blocked again: back to the plain frame */
	popq %r12
	.cfi_adjust_cfa_offset -8
	.cfi_restore %r12
	popq %rbx
	.cfi_adjust_cfa_offset -8
	.cfi_restore %rbx
	ret
	.cfi_endproc
	.size sysgate_gate_blocking_syscall_masked, . - sysgate_gate_blocking_syscall_masked

/* SIGSYS handler, installed with SA_SIGINFO|SA_ONSTACK|SA_RESTORER and a signal
 * mask of every signal: void (int sig, siginfo_t* info, ucontext_t* uc), running
 * on the registered alternate stack: the thread's gate stack, or the program's
 * own alternate stack once it has one. sysgate_gate_sigsys_relocate decides
 * whether to stay there or to continue on a copy of the frame (siginfo, ucontext,
 * FPU state) on the gate stack (handler.cc says when); rsi/rdx then point into
 * the copy. The C++ side does the work; returning goes to the restorer (the
 * return address the kernel pushed, copied along), whose rt_sigreturn reads the
 * frame at rsp - 8 -- the copy, if there is one. The kernel has cleared DF
 * already; cld is for the reader's peace of mind. */
	.globl sysgate_gate_sigsys_entry
	.hidden sysgate_gate_sigsys_entry
	.type sysgate_gate_sigsys_entry, @function
	.p2align 4
sysgate_gate_sigsys_entry:
	cld
	pushq %rdi
	pushq %rsi
	pushq %rdx  /* rsp was 8 mod 16 (a frame as for a call): now 16-aligned */
	leaq 24(%rsp), %rdi  /* the frame: its return address */
	xchgq %rsi, %rdx     /* (frame, uc, info) */
	call sysgate_gate_sigsys_relocate
	popq %rdx
	popq %rsi
	popq %rdi
	testq %rax, %rax
	jz sysgate_gate_handle_sigsys
	subq %rsp, %rsi  /* info and uc at the same offsets in the copy */
	addq %rax, %rsi
	subq %rsp, %rdx
	addq %rax, %rdx
	movq %rax, %rsp
	jmp sysgate_gate_handle_sigsys
	.size sysgate_gate_sigsys_entry, . - sysgate_gate_sigsys_entry

/* long sysgate_gate_sigaltstack_on(const KernelStack* ss, KernelStack* old, void* stack_top)
 * sigaltstack(ss, old) made with rsp = stack_top: the kernel refuses to change
 * the alternate stack while rsp is on the registered one, which is where the
 * SIGSYS handler runs. stack_top is a few free, 16-byte aligned bytes of the
 * thread's own that are on no alternate stack (the end of its GateThread page);
 * every signal is blocked, so nothing is delivered there. */
#define NR_sigaltstack 131
	.globl sysgate_gate_sigaltstack_on
	.hidden sysgate_gate_sigaltstack_on
	.type sysgate_gate_sigaltstack_on, @function
	.p2align 4
sysgate_gate_sigaltstack_on:
	movq %rsp, %r8  /* the kernel preserves r8 */
	movq %rdx, %rsp
	movl $NR_sigaltstack, %eax
	call sysgate_gate_syscall_insn
	movq %r8, %rsp
	ret
	.size sysgate_gate_sigaltstack_on, . - sysgate_gate_sigaltstack_on

/* sa_restorer of the gate's own handler: rt_sigreturn with rsp at the frame. */
	.globl sysgate_gate_restorer
	.hidden sysgate_gate_restorer
	.type sysgate_gate_restorer, @function
	.p2align 4
sysgate_gate_restorer:
	movq $NR_rt_sigreturn, %rax
	syscall
	ud2
	.size sysgate_gate_restorer, . - sysgate_gate_restorer

/* void sysgate_gate_signal_entry(int sig, siginfo_t* info, ucontext_t* uc)
 * The handler the kernel enters for a signal the program has a handler for
 * (signals.cc, should_wrap). sysgate_gate_signal_record writes the delivery's
 * record (tracing) and returns the program's handler;
 * sysgate_gate_move_handler_frame may move the frame to the program's stack
 * (moved_handler.h). The jump enters the handler as the kernel would have: the
 * frame's rsp (its return address the program's restorer), same rdi/rsi/rdx,
 * eax zero. Nothing is left of this function on the stack. */
	.globl sysgate_gate_signal_entry
	.hidden sysgate_gate_signal_entry
	.type sysgate_gate_signal_entry, @function
	.p2align 4
sysgate_gate_signal_entry:
	.cfi_startproc
	pushq %rdi
	.cfi_adjust_cfa_offset 8
	pushq %rsi
	.cfi_adjust_cfa_offset 8
	pushq %rdx  /* rsp was 8 mod 16 (as for a call): now 16-aligned */
	.cfi_adjust_cfa_offset 8
	/* A signal that came in a trampoline's code on the gate stack is queued
	 * again and blocked, to be delivered as the trampoline gets back to the
	 * program (deferred_signal.h): then this returns the frame to go back
	 * into. */
	call sysgate_gate_signal_defer
	testq %rax, %rax
	jz 1f
	movq %rax, %rdi
	jmp sysgate_gate_launch_handler
1:	movq 16(%rsp), %rdi
	movq 8(%rsp), %rsi
	movq (%rsp), %rdx
	call sysgate_gate_signal_record
	pushq %rax  /* the program's handler */
	.cfi_adjust_cfa_offset 8
	subq $8, %rsp
	.cfi_adjust_cfa_offset 8
	leaq 40(%rsp), %rdi  /* the frame: its return address */
	movq 16(%rsp), %rsi  /* uc */
	movl 32(%rsp), %edx  /* sig */
	movq 8(%rsp), %rcx   /* the program's handler */
	call sysgate_gate_move_handler_frame /* returns only when it did not move the frame */
	addq $8, %rsp
	.cfi_adjust_cfa_offset -8
	popq %r11
	.cfi_adjust_cfa_offset -8
	popq %rdx
	.cfi_adjust_cfa_offset -8
	popq %rsi
	.cfi_adjust_cfa_offset -8
	popq %rdi
	.cfi_adjust_cfa_offset -8
	xorl %eax, %eax
	jmp *%r11
	.cfi_endproc
	.size sysgate_gate_signal_entry, . - sysgate_gate_signal_entry


/* void sysgate_gate_launch_handler(uint64_t frame): rt_sigreturn with rsp at
 * frame + 8, as after its return address was popped (moved_handler.h). */
	.globl sysgate_gate_launch_handler
	.hidden sysgate_gate_launch_handler
	.type sysgate_gate_launch_handler, @function
	.p2align 4
sysgate_gate_launch_handler:
	leaq 8(%rdi), %rsp
	movq $NR_rt_sigreturn, %rax
	syscall
	ud2
	.size sysgate_gate_launch_handler, . - sysgate_gate_launch_handler


/* long sysgate_gate_clone(unsigned long flags, void* child_sp, int* ptid, int* ctid,
 *                         unsigned long tls)
 * clone(2) for CLONE_VM children. child_sp points 8 bytes below a ChildStart
 * block (16-byte aligned) on the child's own, fresh gate stack. The call is made
 * with `call sysgate_gate_syscall_insn`, so the instruction after `syscall` is a
 * `ret` in both tasks: the parent's pops the address pushed by the call and
 * comes back here; the child's runs on child_sp and pops the word stored at
 * child_sp, which is sysgate_gate_clone_child. The parent gets the child's tid
 * or -errno; the child never comes back to this function. */
	.globl sysgate_gate_clone
	.hidden sysgate_gate_clone
	.type sysgate_gate_clone, @function
	.p2align 4
sysgate_gate_clone:
	movq %rcx, %r10
	leaq sysgate_gate_clone_child(%rip), %rax
	movq %rax, (%rsi)
	movl $NR_clone, %eax
	call sysgate_gate_syscall_insn
	ret
	.size sysgate_gate_clone, . - sysgate_gate_clone

/* The child's first instruction after the clone's `ret`: rsp is the ChildStart
 * block, every signal is blocked (the mask was inherited from the parent's
 * handler), and the child has no alternate stack (or the parent's, for vfork).
 * sysgate_gate_child_start registers this gate stack and restores the program's
 * signal mask; then the program's registers are loaded from the block and the
 * child jumps to the instruction after the program's syscall, with rax = 0,
 * rcx = that address and r11 = its rflags, exactly what `syscall` leaves behind. */
	.hidden sysgate_gate_clone_child
	.type sysgate_gate_clone_child, @function
	.p2align 4
sysgate_gate_clone_child:
	movq %rsp, %rdi
	call sysgate_gate_child_start
	pushq CHILD_START_EFLAGS(%rsp)
	popfq
	movq CHILD_START_R8(%rsp), %r8
	movq CHILD_START_R9(%rsp), %r9
	movq CHILD_START_R10(%rsp), %r10
	movq CHILD_START_R11(%rsp), %r11
	movq CHILD_START_R12(%rsp), %r12
	movq CHILD_START_R13(%rsp), %r13
	movq CHILD_START_R14(%rsp), %r14
	movq CHILD_START_R15(%rsp), %r15
	movq CHILD_START_RDI(%rsp), %rdi
	movq CHILD_START_RSI(%rsp), %rsi
	movq CHILD_START_RBP(%rsp), %rbp
	movq CHILD_START_RBX(%rsp), %rbx
	movq CHILD_START_RDX(%rsp), %rdx
	movq CHILD_START_RIP(%rsp), %rcx
	movl $0, %eax  /* mov, not xor: the flags are already the program's */
	movq CHILD_START_RSP(%rsp), %rsp
	jmp *%rcx
	.size sysgate_gate_clone_child, . - sysgate_gate_clone_child

/* void sysgate_gate_exit_thread(void* map, unsigned long map_len, int status)
 * Unmaps the calling thread's gate stack (which it may be running on) and exits
 * the thread, without touching any stack in between: rsp is pointed at a word
 * holding the address to continue at, which the `ret` after the gate's
 * `syscall` pops. The words are in .bss, filled here with lea (every thread
 * stores the same value), so the gate needs no load-time relocation. Every
 * signal is blocked (we are in the gate's handler), so nothing is delivered on
 * the stack that no longer exists. */
	.globl sysgate_gate_exit_thread
	.hidden sysgate_gate_exit_thread
	.type sysgate_gate_exit_thread, @function
	.p2align 4
sysgate_gate_exit_thread:
	movl %edx, %ebx
	leaq .Lexit_continue(%rip), %rax
	movq %rax, sysgate_gate_exit_after_munmap(%rip)
	leaq .Lexit_unreachable(%rip), %rax
	movq %rax, sysgate_gate_exit_after_exit(%rip)
	leaq sysgate_gate_exit_after_munmap(%rip), %rsp
	movl $NR_munmap, %eax
	jmp sysgate_gate_syscall_insn
.Lexit_continue:
	leaq sysgate_gate_exit_after_exit(%rip), %rsp
	movl $NR_exit, %eax
	movl %ebx, %edi
	jmp sysgate_gate_syscall_insn
.Lexit_unreachable:
	ud2
	.size sysgate_gate_exit_thread, . - sysgate_gate_exit_thread

	.globl sysgate_gate_text_end
	.hidden sysgate_gate_text_end
sysgate_gate_text_end:

	.section .rodata
	.p2align 3
sysgate_gate_all_signals:
	.quad -1

	.bss
	.p2align 3
sysgate_gate_exit_after_munmap:
	.zero 8
sysgate_gate_exit_after_exit:
	.zero 8

	.section .note.GNU-stack, "", @progbits
