/* A freestanding static program that checks the process-entry state the
 * loader must reproduce: %rsp 16-byte aligned and -> argc, argv[argc] == NULL,
 * %rdx == 0 and every other general-purpose register zero (as after execve).
 * Prints "entry ok" (exit 0) or "entry bad: <what>" (exit 1).
 */
	.text
	.globl	_start
_start:
	testq	$15, %rsp
	jnz	bad_align
	testq	%rdx, %rdx
	jnz	bad_rdx
	orq	%rbx, %rax
	orq	%rcx, %rax
	orq	%rsi, %rax
	orq	%rdi, %rax
	orq	%rbp, %rax
	orq	%r8, %rax
	orq	%r9, %rax
	orq	%r10, %rax
	orq	%r11, %rax
	orq	%r12, %rax
	orq	%r13, %rax
	orq	%r14, %rax
	orq	%r15, %rax
	jnz	bad_regs
	movq	(%rsp), %rcx		/* argc */
	cmpq	$0, 8(%rsp,%rcx,8)	/* argv[argc] */
	jne	bad_argv
	leaq	msg_ok(%rip), %rsi
	movl	$msg_ok_len, %edx
	xorl	%ebx, %ebx
	jmp	out
bad_align:
	leaq	msg_align(%rip), %rsi
	movl	$msg_align_len, %edx
	jmp	fail
bad_rdx:
	leaq	msg_rdx(%rip), %rsi
	movl	$msg_rdx_len, %edx
	jmp	fail
bad_regs:
	leaq	msg_regs(%rip), %rsi
	movl	$msg_regs_len, %edx
	jmp	fail
bad_argv:
	leaq	msg_argv(%rip), %rsi
	movl	$msg_argv_len, %edx
fail:
	movl	$1, %ebx
out:
	movl	$1, %eax		/* write(1, msg, len) */
	movl	$1, %edi
	syscall
	movl	$231, %eax		/* exit_group(status) */
	movl	%ebx, %edi
	syscall
	ud2

	.section .rodata
msg_ok:		.ascii "entry ok\n"
	.set msg_ok_len, . - msg_ok
msg_align:	.ascii "entry bad: rsp not 16-byte aligned\n"
	.set msg_align_len, . - msg_align
msg_rdx:	.ascii "entry bad: rdx not zero\n"
	.set msg_rdx_len, . - msg_rdx
msg_regs:	.ascii "entry bad: a general-purpose register not zero\n"
	.set msg_regs_len, . - msg_regs
msg_argv:	.ascii "entry bad: argv[argc] not NULL\n"
	.set msg_argv_len, . - msg_argv

	.section .note.GNU-stack, "", @progbits
