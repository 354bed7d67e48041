/* A static program that only calls exit_group(42): exec'd by the gate tests
 * (posix_spawn, execve) under the test filter, which lets exit_group(42) through
 * from any address -- the new image has no gate, so any trapped call would kill it. */
	.text
	.globl _start
_start:
	movl $231, %eax
	movl $42, %edi
	syscall
	ud2
	.section .note.GNU-stack, "", @progbits
