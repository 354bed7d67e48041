/* Assembly helpers for the gate tests.
 *
 * void sg_regs_roundtrip(const uint64_t in[12], uint64_t out[18])
 *   Loads rbx rbp r12 r13 r14 r15 rdi rsi rdx r8 r9 r10 from in[0..11], makes a
 *   getppid syscall with its own `syscall` instruction (trapped by the test
 *   filter), and stores those registers to out[0..11], then out[12] = rax,
 *   out[13] = rcx, out[14] = r11, out[15] = the address after `syscall`,
 *   out[16] = rsp before, out[17] = rsp after.
 *
 * void sg_xmm_roundtrip(const uint8_t in[256], uint8_t out[256])
 *   Same for xmm0..xmm15 (16 bytes each).
 */
	.text
	.globl sg_regs_roundtrip
	.type sg_regs_roundtrip, @function
sg_regs_roundtrip:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rsi
	movq %rsp, 128(%rsi)
	movq %rdi, %rax
	movq 0(%rax), %rbx
	movq 8(%rax), %rbp
	movq 16(%rax), %r12
	movq 24(%rax), %r13
	movq 32(%rax), %r14
	movq 40(%rax), %r15
	movq 56(%rax), %rsi
	movq 64(%rax), %rdx
	movq 72(%rax), %r8
	movq 80(%rax), %r9
	movq 88(%rax), %r10
	movq 48(%rax), %rdi
	movl $110, %eax
	syscall
.Lafter_syscall:
	pushq %rax
	movq 8(%rsp), %rax
	movq %rbx, 0(%rax)
	movq %rbp, 8(%rax)
	movq %r12, 16(%rax)
	movq %r13, 24(%rax)
	movq %r14, 32(%rax)
	movq %r15, 40(%rax)
	movq %rdi, 48(%rax)
	movq %rsi, 56(%rax)
	movq %rdx, 64(%rax)
	movq %r8, 72(%rax)
	movq %r9, 80(%rax)
	movq %r10, 88(%rax)
	movq %rcx, 104(%rax)
	movq %r11, 112(%rax)
	leaq .Lafter_syscall(%rip), %rcx
	movq %rcx, 120(%rax)
	leaq 8(%rsp), %rcx
	movq %rcx, 136(%rax)
	popq %rcx
	movq %rcx, 96(%rax)
	popq %rsi
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret
	.size sg_regs_roundtrip, . - sg_regs_roundtrip

	.globl sg_xmm_roundtrip
	.type sg_xmm_roundtrip, @function
sg_xmm_roundtrip:
	movdqu 0(%rdi), %xmm0
	movdqu 16(%rdi), %xmm1
	movdqu 32(%rdi), %xmm2
	movdqu 48(%rdi), %xmm3
	movdqu 64(%rdi), %xmm4
	movdqu 80(%rdi), %xmm5
	movdqu 96(%rdi), %xmm6
	movdqu 112(%rdi), %xmm7
	movdqu 128(%rdi), %xmm8
	movdqu 144(%rdi), %xmm9
	movdqu 160(%rdi), %xmm10
	movdqu 176(%rdi), %xmm11
	movdqu 192(%rdi), %xmm12
	movdqu 208(%rdi), %xmm13
	movdqu 224(%rdi), %xmm14
	movdqu 240(%rdi), %xmm15
	movq %rsi, %r8
	movl $110, %eax
	syscall
	movdqu %xmm0, 0(%r8)
	movdqu %xmm1, 16(%r8)
	movdqu %xmm2, 32(%r8)
	movdqu %xmm3, 48(%r8)
	movdqu %xmm4, 64(%r8)
	movdqu %xmm5, 80(%r8)
	movdqu %xmm6, 96(%r8)
	movdqu %xmm7, 112(%r8)
	movdqu %xmm8, 128(%r8)
	movdqu %xmm9, 144(%r8)
	movdqu %xmm10, 160(%r8)
	movdqu %xmm11, 176(%r8)
	movdqu %xmm12, 192(%r8)
	movdqu %xmm13, 208(%r8)
	movdqu %xmm14, 224(%r8)
	movdqu %xmm15, 240(%r8)
	ret
	.size sg_xmm_roundtrip, . - sg_xmm_roundtrip

	.section .note.GNU-stack, "", @progbits
