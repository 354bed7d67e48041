/* Trampolines for rewritten syscall sites (src/gate/rewrite.h, docs/gate.md
 * "Site rewriting").
 *
 * A rewritten site is `jmp slot; syscall` where the program had
 * `mov $nr,%eax; syscall`. A slot lives in a trampoline BLOCK mapped within
 * +-2 GiB of the site:
 *
 *     block + 0      code page, R-X: a byte-for-byte copy of
 *                    sysgate_tramp_template below (256 slots of 16 bytes)
 *     block + 4096   data pages, RW: 256 slot records of 64 bytes
 *                    {nr, return address (after the syscall), entry, site, flag, taken}
 *
 * Slot i is `lea data_i(%rip), %r11; jmp *16(%r11)`: position-independent, so
 * the copy works wherever the block is; the code never changes and is never
 * writable (the copy is made in a fresh RW page that is then made R-X). r11 is
 * clobbered by `syscall` anyway, and so are rax (the mov was skipped: it holds
 * garbage) and rcx.
 *
 * sysgate_tramp_entry, entered by jmp with r11 = the slot record, everything
 * else the program's (rsp on the program's stack, whose red zone is not touched):
 *   1. save the arithmetic flags in rax (seto + lahf: no stack needed);
 *   2. if rewriting fell back (the program took the GS base) -> jump to the
 *      site's own `syscall` with eax = nr: the trap path;
 *   3. switch to the thread's gate stack (GS base = its GateThread): the top,
 *      or stay below rsp - 128 if rsp is already on it or on the program's own
 *      alternate stack (a program handler running there) -- the kernel's own
 *      rule for nested signals on an alternate stack;
 *   4. untraced (or traced, outside the trace's -e set, without hooks): the
 *      program's arithmetic flags back, then `call sysgate_gate_syscall_insn`
 *      with rax = nr and the program's argument registers as they are; the
 *      kernel returns with rflags and r11 as they were at that syscall, so
 *      they are the program's already; traced, or a call the gate emulates
 *      (rt_sigaction): push rflags, save the argument registers and call
 *      sysgate_tramp_traced (C++), which makes or emulates the call and writes
 *      the record;
 *   5. rcx = return address, r11 = rflags (what `syscall` leaves), rflags
 *      (popfq, on the C++ path only) and rsp back, jmp *%rcx.
 * Signals are NOT blocked: a program handler may interrupt at any point and
 * runs with the program's mask, natively (EINTR, SA_RESTART: the kernel restarts
 * at the gate's `syscall` with the argument registers it saved).
 *
 * No vector register is touched. */

#define GT_SELF 8
#define GT_STACK 32
#define GT_STACK_BYTES 40
#define GT_APP_ALT_SP 72 /* GateThread::app_altstack.sp */
#define GT_APP_ALT_SIZE 80 /* GateThread::app_altstack.size */
#define GT_TRAMP_CALLS 144 /* static_assert in rewrite.cc */
#define GT_PROGRAM_PLACE 2488 /* GateThread::program_place, static_assert in moved_handler.cc */
#define GT_MOVED_TOP 2496 /* GateThread::moved_top, static_assert in moved_handler.cc */
#define GT_MOVED_PROGRAM_SP 2504
#define GT_MOVED_SAME_STACK_END 2624
#define GT_DEFERRED 2672 /* GateThread::deferred, static_assert in deferred_signal.cc */
#define CALL_NOT_MADE 0x8000000000000000 /* deferred_signal.h kCallNotMade */
#define SLOT_NR 0
#define SLOT_RET 8
#define SLOT_FLAG 32
#define SLOT_TAKEN 40
#define SLOT_EMULATED 48 /* the gate emulates the call: always the C++ path */
#define SLOT_IMM 56 /* dynamic-imm: the immediate of the displaced mov */
#define SLOT_BYTES 64
#define DYNAMIC_OK_BITS 512 /* rewrite.cc kDynamicOkBits */
#define CPP_CALLS_BITS 512 /* rewrite.cc sysgate_rewrite_cpp_calls */

	.text

/* Switches to the thread's gate stack (step 3 above) and pushes the
 * program's rsp there. Uses rcx and the flags. */
	.macro switch_to_gate_stack
	movq %rsp, %rcx
	subq %gs:GT_STACK, %rcx
	cmpq %gs:GT_STACK_BYTES, %rcx
	jb 1f
	/* On the program's own alternate stack (a handler of its own running
	 * there): stay, below it, as the kernel nests signals there; the top of
	 * the gate stack may hold frames suspended under that handler. Size 0
	 * when it has none. */
	movq %rsp, %rcx
	subq %gs:GT_APP_ALT_SP, %rcx
	cmpq %gs:GT_APP_ALT_SIZE, %rcx
	jb 1f
	/* A program handler moved off the gate stack (moved_handler.h) suspended
	 * the gate frames above moved_top: a call it makes goes below them. */
	movq %gs:GT_MOVED_TOP, %rcx
	testq %rcx, %rcx
	jz 3f
	cmpq %gs:GT_MOVED_PROGRAM_SP, %rsp
	jb 2f /* below the outermost one's program rsp: inside some moved handler */
	cmpq %gs:GT_MOVED_SAME_STACK_END, %rsp
	jae 2f /* above it on another stack (a coroutine's a handler switched to): inside still */
3:	movq %gs:GT_SELF, %rcx /* top of the gate stack */
	jmp 2f
1:	leaq -128(%rsp), %rcx /* nested: below the red zone of the code running there */
2:	andq $-16, %rcx
	/* One instruction switches: a signal arriving before it runs on the
	 * program's stack (and a trampoline call in its handler may use the top of
	 * the gate stack); after it, rsp is on the gate stack and the kernel puts
	 * the frame below it. Storing the old rsp first and switching after would
	 * let such a handler's trampoline overwrite the stored word. */
	xchgq %rcx, %rsp
	pushq %rcx /* the program's rsp */
	.endm

/* Counts the call, then picks its path: the C++ one (to \slow) when traced or
 * hooked, unless the call is outside the trace's -e set and there are no hooks
 * (nothing to record or run), or when the gate emulates the call; else falls
 * through to the fast path. rax = nr, r11 = the slot. Changes the flags. */
	.macro choose_path slow
	incq %gs:GT_TRAMP_CALLS
	cmpb $0, sysgate_rewrite_traced(%rip)
	je 3f
	cmpq $CPP_CALLS_BITS, %rax
	jae \slow
	btq %rax, sysgate_rewrite_cpp_calls(%rip)
	jc \slow
3:	cmpq $0, SLOT_EMULATED(%r11)
	jne \slow
	.endm

/* The program's arithmetic flags back from rcx (seto/lahf's al and ah), rax
 * (the number) kept: only the flags change. */
	.macro restore_flags_from_rcx
	xchgq %rax, %rcx
	addb $0x7f, %al /* OF back from al, then SF ZF AF PF CF from ah */
	sahf
	movq %rcx, %rax
	.endm

	.globl sysgate_tramp_entry
	.hidden sysgate_tramp_entry
	.type sysgate_tramp_entry, @function
	.p2align 4
sysgate_tramp_entry:
	seto %al
	lahf
	cmpb $0, sysgate_rewrite_fallback(%rip)
	jne .Ltramp_fallback
	switch_to_gate_stack
	movq %rax, %rcx /* the program's flags: OF in cl, the others in ch */
	movq SLOT_NR(%r11), %rax
	choose_path .Ltramp_cpp_flags_in_rcx
	restore_flags_from_rcx
.Ltramp_fast: /* rax = nr; stack: [program rsp]. The flags are the program's: lea, not sub. */
	/* A ProgramPlace {sp, callee_saved, outer, ip} for the call
	 * (moved_handler.h: a handler the call's signal interrupts runs below the
	 * program's rsp, and shows the program there), the callee-saved registers
	 * live in the registers. */
	pushq SLOT_RET(%r11)
	pushq %gs:GT_PROGRAM_PLACE
	pushq $0
	pushq 24(%rsp)
	movq %rsp, %gs:GT_PROGRAM_PLACE
	pushq %r11
	/* A signal deferred so far (deferred_signal.h) is delivered before the
	 * call is made: made with it blocked, a blocking call would wait for
	 * nothing. One that arrives from here to the syscall starts this check
	 * again (the signal wrapper rewinds to it). jrcxz: the flags stay the
	 * program's. */
	.globl sysgate_tramp_fast_check
	.hidden sysgate_tramp_fast_check
sysgate_tramp_fast_check:
	movq %gs:GT_DEFERRED, %rcx
	jrcxz 1f
	jmp .Lfast_deliver_before
1:	call sysgate_gate_syscall_insn
	/* A signal that interrupts that call finds this return address at its
	 * rsp and the slot above it (rewrite_fast_path_resume_ip, trace -i). */
	.globl sysgate_tramp_fast_return
	.hidden sysgate_tramp_fast_return
sysgate_tramp_fast_return:
	/* stack: [slot][place: sp, 0, outer, ip][program rsp]. The flags, and
	 * r11, are what the syscall left: the program's as they were at it.
	 * Nothing below may change them (no popfq needed: it cost ~6 ns a call
	 * here; mov, lea and jrcxz leave them). */
	movq 24(%rsp), %rcx
	movq %rcx, %gs:GT_PROGRAM_PLACE
	/* A signal deferred while the call was made or since is delivered as
	 * the program gets back; one that arrives from here to the switch
	 * starts this check again. */
	.globl sysgate_tramp_fast_exit_check
	.hidden sysgate_tramp_fast_exit_check
sysgate_tramp_fast_exit_check:
	movq %gs:GT_DEFERRED, %rcx
	jrcxz 1f
	jmp .Lfast_deliver_after
1:	movq 32(%rsp), %rcx
	movq 40(%rsp), %rsp
	.globl sysgate_tramp_fast_exit_end
	.hidden sysgate_tramp_fast_exit_end
sysgate_tramp_fast_exit_end:
	jmp *%rcx

/* Deferred signals (deferred_signal.h): the program's registers as a
 * KernelSigcontext's first 18 words (r8 .. eflags) on the gate stack, then
 * sysgate_gate_deliver_deferred, which never returns. On entry: rcx = rip,
 * r11 = the program's rsp, the eflags pushed; \before: 1 when the call is
 * still to be made (rip is then the address after the site's syscall). */
	.macro deliver_deferred before
	pushq %rcx /* rip */
	pushq %r11 /* rsp */
	pushq %rcx /* rcx: what syscall leaves */
	pushq %rax
	pushq %rdx
	pushq %rbx
	pushq %rbp
	pushq %rsi
	pushq %rdi
	pushq %r15
	pushq %r14
	pushq %r13
	pushq %r12
	pushq 104(%rsp) /* r11: the eflags, as syscall leaves it */
	pushq %r10
	pushq %r9
	pushq %r8
	movq %rsp, %rdi
	movl $\before, %esi
	andq $-16, %rsp
	cld
	call sysgate_gate_deliver_deferred
	ud2
	.endm

.Lfast_deliver_before: /* stack: [slot][place: sp, 0, outer, ip][program rsp]; rax = nr */
	movq 24(%rsp), %rcx
	movq %rcx, %gs:GT_PROGRAM_PLACE /* the call is not made: its place is gone */
	movq 32(%rsp), %rcx
	movq 40(%rsp), %r11
	pushfq
	deliver_deferred 1

.Lfast_deliver_after: /* the same stack; rax = the result */
	movq 32(%rsp), %rcx
	movq 40(%rsp), %r11
	pushfq
	deliver_deferred 0

.Ltramp_cpp_flags_in_rcx:
	restore_flags_from_rcx
	pushfq /* the program's rflags */
.Ltramp_cpp: /* rax = nr; stack: [rflags][program rsp] */
	pushq %r11

.Ltramp_traced:
	/* The program's callee-saved registers, for trace -k's unwinder (the C++
	 * code preserves them, so they are only read). */
	pushq %r15
	pushq %r14
	pushq %r13
	pushq %r12
	pushq %rbp
	pushq %rbx
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %r10
	pushq %r8
	pushq %r9
	pushq %rax /* TrampFrame::nr; keeps the call 16-byte aligned */
	movq %rsp, %rdi /* TrampFrame */
	movq %gs:GT_SELF, %rsi
	cld
	call sysgate_tramp_traced
	addq $8, %rsp
	popq %r9
	popq %r8
	popq %r10
	popq %rdx
	popq %rsi
	popq %rdi
	addq $48, %rsp /* rbx rbp r12-r15: unchanged */
	/* stack: [slot][rflags][program rsp]. A signal deferred while the C++
	 * path ran is delivered as the program gets back, and so is one that
	 * stopped the call before it was made (rax = kCallNotMade); one that
	 * arrives from here to the switch starts this check again (the signal
	 * wrapper rewinds rip, and rsp by what the pops below took). */
	.globl sysgate_tramp_cpp_exit_check
	.hidden sysgate_tramp_cpp_exit_check
sysgate_tramp_cpp_exit_check:
	movq %gs:GT_DEFERRED, %rcx
	jrcxz 1f
	jmp .Lcpp_deliver
1:	movabsq $CALL_NOT_MADE, %rcx
	cmpq %rcx, %rax
	je .Lcpp_deliver
	movq (%rsp), %r11
	movq SLOT_RET(%r11), %rcx
	movq 8(%rsp), %r11
	leaq 8(%rsp), %rsp
	.globl sysgate_tramp_cpp_exit_popf
	.hidden sysgate_tramp_cpp_exit_popf
sysgate_tramp_cpp_exit_popf: /* rsp 8 above the check's */
	popfq
	.globl sysgate_tramp_cpp_exit_leave
	.hidden sysgate_tramp_cpp_exit_leave
sysgate_tramp_cpp_exit_leave: /* rsp 16 above the check's */
	movq (%rsp), %rsp
	.globl sysgate_tramp_cpp_exit_end
	.hidden sysgate_tramp_cpp_exit_end
sysgate_tramp_cpp_exit_end:
	jmp *%rcx

.Lcpp_deliver: /* stack: [slot][rflags][program rsp]; rax = the result, or kCallNotMade */
	movq (%rsp), %r11
	movq SLOT_RET(%r11), %rcx
	movq 16(%rsp), %r11
	pushq 8(%rsp)
	deliver_deferred 0

/* The entry for a site whose number is in rax at run time (glibc's syscall()),
 * from sysgate_tramp_dynamic below once the number was found rewritable. The
 * program's next instruction compares rax (rewrite.cc checks its bytes), so
 * its flags are dead here: no need to keep them. */
	.globl sysgate_tramp_entry_dynamic
	.hidden sysgate_tramp_entry_dynamic
sysgate_tramp_entry_dynamic:
	cmpb $0, sysgate_rewrite_fallback(%rip)
	jne .Ltramp_to_site
	switch_to_gate_stack
	choose_path 4f
	jmp .Ltramp_fast
4:	pushfq
	jmp .Ltramp_cpp

.Ltramp_fallback:
	addb $0x7f, %al
	sahf
	movl SLOT_NR(%r11), %eax
.Ltramp_to_site:
	movq SLOT_RET(%r11), %rcx
	leaq -2(%rcx), %rcx /* the site's own syscall instruction: traps */
	jmp *%rcx
	.size sysgate_tramp_entry, . - sysgate_tramp_entry

/* Entry for glibc's syscall() (`mov 0x8(%rsp),%r9; syscall; cmp $imm,%rax`,
 * the number in rax from the caller): the stub runs the mov, then numbers the
 * gate must see (clone, exec, signals, ... : sysgate_rewrite_dynamic_ok, set
 * by rewrite_install) go to the site's own syscall, which traps. */
	.globl sysgate_tramp_dynamic
	.hidden sysgate_tramp_dynamic
	.type sysgate_tramp_dynamic, @function
	.p2align 4
sysgate_tramp_dynamic:
	movq 8(%rsp), %r9
.Ltramp_dynamic_check: /* rax = the number; the flags are dead */
	cmpq $DYNAMIC_OK_BITS, %rax
	jae .Ltramp_to_site
	btq %rax, sysgate_rewrite_dynamic_ok(%rip)
	jnc .Ltramp_to_site
	jmp sysgate_tramp_entry_dynamic
	.size sysgate_tramp_dynamic, . - sysgate_tramp_dynamic

/* Entry for the "stcheck" shape, glibc's single-threaded read at the entry of
 * read():  cmpb $0,X(%rip); je L; xor %eax,%eax; syscall  (the cmpb became the
 * jmp). At a function's entry rax, rcx, r11 and the flags are dead (SysV ABI),
 * so the taken branch may arrive at L with them clobbered; the flags there are
 * the cmpb's own, computed again here. */
	.globl sysgate_tramp_entry_stcheck
	.hidden sysgate_tramp_entry_stcheck
	.type sysgate_tramp_entry_stcheck, @function
	.p2align 4
sysgate_tramp_entry_stcheck:
	movq SLOT_TAKEN(%r11), %rax
	movq SLOT_FLAG(%r11), %rcx
	cmpb $0, (%rcx)
	jne 1f
	jmp *%rax
1:	xorl %eax, %eax /* the flags the program's xor leaves, kept across the call */
	jmp sysgate_tramp_entry
	/* (Its taken branch goes back to the program with no check: no signal is
	 * deferred before this point, deferred_signal.cc.) */
	.globl sysgate_tramp_entry_stcheck_end
	.hidden sysgate_tramp_entry_stcheck_end
sysgate_tramp_entry_stcheck_end:
	.size sysgate_tramp_entry_stcheck, . - sysgate_tramp_entry_stcheck

/* Entries for sites where one instruction D sits between the number and the
 * syscall (rewrite.cc, "displaced" shapes): D is executed here, verbatim, with
 * the program's rsp (nothing was pushed: the site jumped here), then the call
 * goes on as for the mov shape. Each D is position-independent and touches
 * neither rax, rcx nor r11, so running it here instead of at its address is the
 * same instruction. Three families, 16 bytes per stub, indexed as
 * rewrite.cc's displaced_index():
 *   sysgate_tramp_displaced      `mov $nr,%eax; D; syscall`: D, then the call;
 *   sysgate_tramp_displaced_xor  `D; xor %eax,%eax; syscall`: D, the xor (its
 *                                flags are what the program sees after the
 *                                syscall), then the call;
 *   sysgate_tramp_displaced_dynamic  `D; syscall; cmp $imm,%rax`, the number
 *                                loaded into eax earlier: D, then the checks
 *                                of sysgate_tramp_dynamic (flags dead).
 * D: index 1..31  movl 4*index(%rsp), %edi  (8b 7c 24 <4*index>)
 *    index 32     xorb $0x80, %sil           (40 80 f6 80)
 *    index 33     xorb $0x81, %sil           (40 80 f6 81)
 * Index 0 (movl 0(%rsp) has another encoding) is never used: ud2. */
	.macro displaced_tail with_xor
	.if \with_xor == 2
	jmp .Ltramp_dynamic_check
	.else
	.if \with_xor
	xorl %eax, %eax
	.endif
	jmp sysgate_tramp_entry
	.endif
	.p2align 4, 0xcc
	.endm

	.macro displaced_stubs with_xor
	ud2
	.p2align 4, 0xcc
	.set .Ldisp, 4
	.rept 31
	movl .Ldisp(%rsp), %edi
	displaced_tail \with_xor
	.set .Ldisp, .Ldisp + 4
	.endr
	xorb $0x80, %sil
	displaced_tail \with_xor
	xorb $0x81, %sil
	displaced_tail \with_xor
	.endm

	.globl sysgate_tramp_displaced
	.hidden sysgate_tramp_displaced
	.type sysgate_tramp_displaced, @function
	.p2align 4
sysgate_tramp_displaced:
	displaced_stubs 0
	.size sysgate_tramp_displaced, . - sysgate_tramp_displaced

	.globl sysgate_tramp_displaced_xor
	.hidden sysgate_tramp_displaced_xor
	.type sysgate_tramp_displaced_xor, @function
	.p2align 4
sysgate_tramp_displaced_xor:
	displaced_stubs 1
	.size sysgate_tramp_displaced_xor, . - sysgate_tramp_displaced_xor

/* Entries for `mov $imm32,%reg; syscall; cmp $imm,%rax` with the number in eax
 * from before (ld.so's and libc's open without cancellation, `mov $-100,%edi`;
 * glibc's futex wakes, `mov $0x7fffffff,%edx`): the mov, with the immediate
 * from the slot (rewrite.cc copies it), then the checks of
 * sysgate_tramp_dynamic. One entry per register: edx, esi, edi. */
	.globl sysgate_tramp_imm_edx
	.hidden sysgate_tramp_imm_edx
	.p2align 4
sysgate_tramp_imm_edx:
	movl SLOT_IMM(%r11), %edx
	jmp .Ltramp_dynamic_check
	.globl sysgate_tramp_imm_esi
	.hidden sysgate_tramp_imm_esi
	.p2align 4
sysgate_tramp_imm_esi:
	movl SLOT_IMM(%r11), %esi
	jmp .Ltramp_dynamic_check
	.globl sysgate_tramp_imm_edi
	.hidden sysgate_tramp_imm_edi
	.p2align 4
sysgate_tramp_imm_edi:
	movl SLOT_IMM(%r11), %edi
	jmp .Ltramp_dynamic_check

/* Entries for the "xor-r10-dynamic" shape, `xor %r10d,%r10d; mov %rN,%eax;
 * syscall; cmp $imm32,%rax` (glibc's pthread_cond_signal and _broadcast wake
 * with the number in a register): the jmp covers the xor and the mov's first
 * bytes; a 16-byte stub per source register N (0..15, in encoding order) runs
 * both, then the checks of sysgate_tramp_dynamic. rewrite.cc never picks r11
 * (the slot pointer here) or esp. */
	.globl sysgate_tramp_xor_r10_mov
	.hidden sysgate_tramp_xor_r10_mov
	.type sysgate_tramp_xor_r10_mov, @function
	.p2align 4
sysgate_tramp_xor_r10_mov:
	.irp reg, eax, ecx, edx, ebx, esp, ebp, esi, edi, r8d, r9d, r10d, r11d, r12d, r13d, r14d, r15d
	xorl %r10d, %r10d
	movl %\reg, %eax
	jmp .Ltramp_dynamic_check
	.p2align 4, 0xcc
	.endr
	.size sysgate_tramp_xor_r10_mov, . - sysgate_tramp_xor_r10_mov

	.globl sysgate_tramp_displaced_dynamic
	.hidden sysgate_tramp_displaced_dynamic
	.type sysgate_tramp_displaced_dynamic, @function
	.p2align 4
sysgate_tramp_displaced_dynamic:
	displaced_stubs 2
	.size sysgate_tramp_displaced_dynamic, . - sysgate_tramp_displaced_dynamic

/* The slot code template: copied (never executed here). */
	.globl sysgate_tramp_template
	.hidden sysgate_tramp_template
	.type sysgate_tramp_template, @object
	.p2align 12
sysgate_tramp_template:
.Ltmpl:
	.set .Lslot, 0
	.rept 256
	leaq .Ltmpl + 4096 + SLOT_BYTES * .Lslot(%rip), %r11
	jmpq *16(%r11)
	.p2align 4, 0xcc
	.set .Lslot, .Lslot + 1
	.endr
	.globl sysgate_tramp_template_end
	.hidden sysgate_tramp_template_end
sysgate_tramp_template_end:
	.size sysgate_tramp_template, . - sysgate_tramp_template

	.section .note.GNU-stack, "", @progbits
