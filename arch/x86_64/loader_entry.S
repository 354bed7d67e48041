/* Process entry and final jump of the sysgate loader (src/loader/).
 *
 * _start: the kernel enters with %rsp -> argc, argv..., NULL, envp..., NULL,
 * auxv pairs (16-byte aligned). The initial stack pointer is handed to
 * sysgate_loader_main(uint64_t* sp), which never returns.
 *
 * sysgate_loader_enter(uint64_t entry, uint64_t* sp): switches to the target's
 * entry block and jumps to its entry point with the register state the
 * kernel's execve gives: every general-purpose register zero (in particular
 * %rdx = 0: no atexit function for the target to register), DF clear,
 * %rsp = sp (16-byte aligned, -> argc). The entry address is kept in the dead
 * word just below sp so that no register has to hold it at the jump.
 */
	.text

	.globl	_start
	.type	_start, @function
_start:
	xorl	%ebp, %ebp		/* outermost frame */
	movq	%rsp, %rdi		/* uint64_t* sp */
	andq	$-16, %rsp		/* already aligned by the kernel; be sure */
	call	sysgate_loader_main
	ud2
	.size	_start, .-_start

	.globl	sysgate_loader_enter
	.type	sysgate_loader_enter, @function
sysgate_loader_enter:
	movq	%rsi, %rsp
	movq	%rdi, -8(%rsp)
	xorl	%eax, %eax
	xorl	%ebx, %ebx
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%esi, %esi
	xorl	%edi, %edi
	xorl	%ebp, %ebp
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	xorl	%r10d, %r10d
	xorl	%r11d, %r11d
	xorl	%r12d, %r12d
	xorl	%r13d, %r13d
	xorl	%r14d, %r14d
	xorl	%r15d, %r15d
	cld
	jmp	*-8(%rsp)
	.size	sysgate_loader_enter, .-sysgate_loader_enter

	.section .note.GNU-stack, "", @progbits
