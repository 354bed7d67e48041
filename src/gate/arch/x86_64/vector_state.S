/* Saving and restoring the program's vector and x87 state around code the gate
 * does not control: the interposer's hooks when they run from a rewritten
 * site's trampoline, where (unlike in the SIGSYS handler) the kernel has not
 * saved that state, and the program expects it intact across `syscall`.
 *
 *   void sysgate_vector_save(void* area, uint64_t features);     xsave64
 *   void sysgate_vector_restore(const void* area, uint64_t features);  xrstor64
 *
 * area: 64-byte aligned, as large as CPUID.(EAX=0DH,ECX=0):EBX says, with its
 * 64-byte XSAVE header zeroed before the save. features: the XCR0 bits to save.
 * The only functions of the gate allowed to name vector state
 * (check_freestanding.cmake exempts them by name). */
	.text
	.globl sysgate_vector_save
	.hidden sysgate_vector_save
	.type sysgate_vector_save, @function
	.p2align 4
sysgate_vector_save:
	movl %esi, %eax
	movq %rsi, %rdx
	shrq $32, %rdx
	xsave64 (%rdi)
	ret
	.size sysgate_vector_save, . - sysgate_vector_save

	.globl sysgate_vector_restore
	.hidden sysgate_vector_restore
	.type sysgate_vector_restore, @function
	.p2align 4
sysgate_vector_restore:
	movl %esi, %eax
	movq %rsi, %rdx
	shrq $32, %rdx
	xrstor64 (%rdi)
	ret
	.size sysgate_vector_restore, . - sysgate_vector_restore

	.section .note.GNU-stack, "", @progbits
