/* Syscall sites for the rewriting tests (rewrite_test.cc). Every function has
 * CFI, so the test binary's .eh_frame_hdr describes it (the rewriter only
 * rewrites sites inside a function it can decode from its start).
 *
 * Each sg_rw_* returns the raw kernel result (rax). */
#define SITE(name, nr)          \
	.globl name;                \
	.type name, @function;      \
name:;                          \
	.cfi_startproc;             \
	movl $nr, %eax;             \
	syscall;                    \
	ret;                        \
	.cfi_endproc;               \
	.size name, . - name

/* read_nocancel's shape: `xor %eax,%eax; syscall; cmp` at the entry. */
#define XOR_READ(name)          \
	.globl name;                \
	.type name, @function;      \
name:;                          \
	.cfi_startproc;             \
	xorl %eax, %eax;            \
	syscall;                    \
	cmpq $-4095, %rax;          \
	ret;                        \
	.cfi_endproc;               \
	.size name, . - name

	.text

/* Eight sites on one page (concurrent rewrites of one page). */
	.p2align 12
	.globl sg_rw_page_start
sg_rw_page_start:
SITE(sg_rw_multi_getppid, 110)
SITE(sg_rw_multi_getpid, 39)
SITE(sg_rw_multi_getuid, 102)
SITE(sg_rw_multi_getgid, 104)
SITE(sg_rw_multi_geteuid, 107)
SITE(sg_rw_multi_getegid, 108)
SITE(sg_rw_multi_getpgrp, 111)
SITE(sg_rw_multi_gettid, 186)

/* long sg_rw_read(int fd, void* buf, size_t n) */
SITE(sg_rw_read, 0)

/* long sg_rw_stcheck_read(int fd, void* buf, size_t n): glibc's read() entry
 * shape. With sg_rw_single == 0 it returns -1000 without a syscall (the taken
 * branch); else it reads. */
	.globl sg_rw_stcheck_read
	.type sg_rw_stcheck_read, @function
	.p2align 4
sg_rw_stcheck_read:
	.cfi_startproc
	cmpb $0, sg_rw_single(%rip)
	je 1f
	xorl %eax, %eax
	syscall
	ret
1:	movq $-1000, %rax
	ret
	.cfi_endproc
	.size sg_rw_stcheck_read, . - sg_rw_stcheck_read

/* long sg_rw_jump_into(int direct): direct != 0 jumps straight to the syscall
 * instruction (with eax set elsewhere), which must keep working (trap path)
 * after the site was rewritten. */
	.globl sg_rw_jump_into
	.type sg_rw_jump_into, @function
sg_rw_jump_into:
	.cfi_startproc
	testl %edi, %edi
	jnz 1f
	movl $110, %eax
	.globl sg_rw_jump_into_syscall
sg_rw_jump_into_syscall:
	syscall
	ret
1:	movl $110, %eax
	jmp sg_rw_jump_into_syscall
	.cfi_endproc
	.size sg_rw_jump_into, . - sg_rw_jump_into

/* long sg_rw_branch_into_mov(int x): a branch (never taken) targets the middle
 * of the mov: the rewriter must refuse the site. */
	.globl sg_rw_branch_into_mov
	.type sg_rw_branch_into_mov, @function
sg_rw_branch_into_mov:
	.cfi_startproc
	testl %edi, %edi
	jnz 3f
	.globl sg_rw_branch_into_mov_site
sg_rw_branch_into_mov_site:
	movl $110, %eax
	syscall
	ret
3:	jmp sg_rw_branch_into_mov_site + 1
	.cfi_endproc
	.size sg_rw_branch_into_mov, . - sg_rw_branch_into_mov

/* void sg_rw_regs(const uint64_t in[12], uint64_t out[20])
 * Loads rbx rbp r12 r13 r14 r15 rdi rsi rdx r8 r9 r10 from in[0..11], sets OF SF
 * ZF AF PF CF,
 * makes getppid from a rewritable site, stores those registers to out[0..11],
 * out[12] = rax, out[13] = rcx, out[14] = r11, out[15] = the address after
 * `syscall`, out[16] = rsp before, out[17] = rsp after, out[18] = rflags
 * before the syscall, out[19] = rflags after. */
	.globl sg_rw_regs
	.type sg_rw_regs, @function
sg_rw_regs:
	.cfi_startproc
	pushq %rbx
	.cfi_adjust_cfa_offset 8
	pushq %rbp
	.cfi_adjust_cfa_offset 8
	pushq %r12
	.cfi_adjust_cfa_offset 8
	pushq %r13
	.cfi_adjust_cfa_offset 8
	pushq %r14
	.cfi_adjust_cfa_offset 8
	pushq %r15
	.cfi_adjust_cfa_offset 8
	pushq %rsi
	.cfi_adjust_cfa_offset 8
	subq $8, %rsp
	.cfi_adjust_cfa_offset 8
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
	/* OF SF ZF AF PF CF all set: each must survive the trampoline's own
	 * compares (it saves them with seto/lahf and restores them before the
	 * syscall, whose return keeps them) */
	pushq $0x8d7
	popfq
	pushfq
	.cfi_adjust_cfa_offset 8
	popq %r11
	.cfi_adjust_cfa_offset -8
	movq %r11, (%rsp)
	movl $110, %eax
	syscall
.Lrw_after_syscall:
	pushfq
	.cfi_adjust_cfa_offset 8
	pushq %rax
	.cfi_adjust_cfa_offset 8
	movq 24(%rsp), %rax
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
	leaq .Lrw_after_syscall(%rip), %rcx
	movq %rcx, 120(%rax)
	leaq 16(%rsp), %rcx
	movq %rcx, 136(%rax)
	movq (%rsp), %rcx
	movq %rcx, 96(%rax)
	movq 8(%rsp), %rcx
	movq %rcx, 152(%rax)
	movq 16(%rsp), %rcx
	movq %rcx, 144(%rax)
	addq $32, %rsp
	.cfi_adjust_cfa_offset -32
	popq %r15
	.cfi_adjust_cfa_offset -8
	popq %r14
	.cfi_adjust_cfa_offset -8
	popq %r13
	.cfi_adjust_cfa_offset -8
	popq %r12
	.cfi_adjust_cfa_offset -8
	popq %rbp
	.cfi_adjust_cfa_offset -8
	popq %rbx
	.cfi_adjust_cfa_offset -8
	ret
	.cfi_endproc
	.size sg_rw_regs, . - sg_rw_regs

/* Sites whose 7 bytes cross a page boundary: the mov (sg_rw_cross_mov) or the
 * syscall (sg_rw_cross_syscall) straddles it. Both do getppid. */
	.p2align 12
	.skip 4096 - 64, 0xcc
	.globl sg_rw_cross_mov
	.type sg_rw_cross_mov, @function
sg_rw_cross_mov:
	.cfi_startproc
	.fill 61, 1, 0x90
	.globl sg_rw_cross_mov_site
sg_rw_cross_mov_site:
	movl $110, %eax
	syscall
	ret
	.cfi_endproc
	.size sg_rw_cross_mov, . - sg_rw_cross_mov

	.p2align 12
	.skip 4096 - 64, 0xcc
	.globl sg_rw_cross_syscall
	.type sg_rw_cross_syscall, @function
sg_rw_cross_syscall:
	.cfi_startproc
	.fill 58, 1, 0x90
	.globl sg_rw_cross_syscall_site
sg_rw_cross_syscall_site:
	movl $110, %eax
	syscall
	ret
	.cfi_endproc
	.size sg_rw_cross_syscall, . - sg_rw_cross_syscall
	.p2align 12

/* long sg_rw_mt_read(int fd, void* buf, size_t n, int direct): glibc's
 * multi-threaded read, `mov 0x8(%rsp),%edi; xor %eax,%eax; syscall` (the
 * displaced-xor shape). edi is wrong until the mov reloads the fd, so a
 * trampoline that skipped it would read from fd -1. direct != 0 branches
 * straight to the xor, the byte the punned jmp must leave as it was. */
	.globl sg_rw_mt_read
	.type sg_rw_mt_read, @function
	.p2align 4
sg_rw_mt_read:
	.cfi_startproc
	subq $0x28, %rsp
	.cfi_adjust_cfa_offset 0x28
	movl %edi, 0x8(%rsp)
	movl $-1, %edi
	testl %ecx, %ecx
	jnz 1f
	.globl sg_rw_mt_read_site
sg_rw_mt_read_site:
	movl 0x8(%rsp), %edi
2:	xorl %eax, %eax
	syscall
	addq $0x28, %rsp
	.cfi_adjust_cfa_offset -0x28
	ret
	.cfi_adjust_cfa_offset 0x28
1:	movl 0x8(%rsp), %edi
	jmp 2b
	.cfi_endproc
	.size sg_rw_mt_read, . - sg_rw_mt_read

/* long sg_rw_displaced_read(int fd, void* buf, size_t n): `mov $0,%eax;
 * mov 0x10(%rsp),%edi; syscall` (the mov-displaced shape), edi wrong until
 * the reload. */
	.globl sg_rw_displaced_read
	.type sg_rw_displaced_read, @function
	.p2align 4
sg_rw_displaced_read:
	.cfi_startproc
	subq $0x28, %rsp
	.cfi_adjust_cfa_offset 0x28
	movl %edi, 0x10(%rsp)
	movl $-1, %edi
	.globl sg_rw_displaced_read_site
sg_rw_displaced_read_site:
	movl $0, %eax
	movl 0x10(%rsp), %edi
	syscall
	addq $0x28, %rsp
	.cfi_adjust_cfa_offset -0x28
	ret
	.cfi_endproc
	.size sg_rw_displaced_read, . - sg_rw_displaced_read

/* long sg_rw_kill_toggled(pid_t pid, int sig): `mov $62,%eax; xorb $0x80,%sil;
 * syscall` (glibc's futex calls toggle FUTEX_PRIVATE_FLAG this way): kill(pid,
 * sig ^ 0x80). */
	.globl sg_rw_kill_toggled
	.type sg_rw_kill_toggled, @function
	.p2align 4
sg_rw_kill_toggled:
	.cfi_startproc
	.globl sg_rw_kill_toggled_site
sg_rw_kill_toggled_site:
	movl $62, %eax
	xorb $0x80, %sil
	syscall
	ret
	.cfi_endproc
	.size sg_rw_kill_toggled, . - sg_rw_kill_toggled

/* long sg_rw_syscall(long nr, a1, a2, a3, a4, a5, a6): glibc's syscall()
 * (the dynamic shape: the number in rax at run time, the sixth argument
 * loaded from the stack just before the syscall, a cmp of rax after it).
 * Returns the raw kernel result. */
	.globl sg_rw_syscall
	.type sg_rw_syscall, @function
	.p2align 4
sg_rw_syscall:
	.cfi_startproc
	movq %rdi, %rax
	movq %rsi, %rdi
	movq %rdx, %rsi
	movq %rcx, %rdx
	movq %r8, %r10
	movq %r9, %r8
	.globl sg_rw_syscall_site
sg_rw_syscall_site:
	movq 0x8(%rsp), %r9
	syscall
	cmpq $-4095, %rax
	ret
	.cfi_endproc
	.size sg_rw_syscall, . - sg_rw_syscall

/* long sg_rw_toggled_dynamic(long a0, long a1, long a2, long nr): glibc's
 * futex shape, the number loaded earlier: `mov %ecx,%eax; ...;
 * xorb $0x80,%sil; syscall; cmp $-4095,%rax` (displaced-dynamic). Makes call
 * nr(a0, a1 ^ 0x80, a2). */
	.globl sg_rw_toggled_dynamic
	.type sg_rw_toggled_dynamic, @function
	.p2align 4
sg_rw_toggled_dynamic:
	.cfi_startproc
	movl %ecx, %eax
	nop
	.globl sg_rw_toggled_dynamic_site
sg_rw_toggled_dynamic_site:
	xorb $0x80, %sil
	syscall
	cmpq $-4095, %rax
	ret
	.cfi_endproc
	.size sg_rw_toggled_dynamic, . - sg_rw_toggled_dynamic

/* long sg_rw_imm_read(int fd, void* buf, long ignored, long nr): `mov %ecx,%eax;
 * mov $8,%edx; syscall; cmp $-4095,%rax` (dynamic-imm): call nr(fd, buf, 8). */
	.globl sg_rw_imm_read
	.type sg_rw_imm_read, @function
	.p2align 4
sg_rw_imm_read:
	.cfi_startproc
	movl %ecx, %eax
	.globl sg_rw_imm_read_site
sg_rw_imm_read_site:
	movl $8, %edx
	syscall
	cmpq $-4095, %rax
	ret
	.cfi_endproc
	.size sg_rw_imm_read, . - sg_rw_imm_read

/* long sg_rw_padded_read(int fd, void* buf, size_t n): ld.so's read_nocancel,
 * `xor %eax,%eax; syscall; cmp $-4095,%rax` at a function's entry, after the
 * no-op padding that aligns it (the entry-padded shape). The function before
 * it is a lone ret. */
	.p2align 5
	.type sg_rw_before_padding, @function
sg_rw_before_padding:
	.cfi_startproc
	ret
	.cfi_endproc
	.size sg_rw_before_padding, . - sg_rw_before_padding
	.p2align 5
XOR_READ(sg_rw_padded_read)

/* long sg_rw_unpadded_read(int fd, void* buf, size_t n): the same entry right
 * after another function's last byte: no padding to hold the jmp. */
XOR_READ(sg_rw_unpadded_read)

/* long sg_rw_xor_r12(long a0, long a1, long a2, long nr): glibc's
 * condition-variable wake, `xor %r10d,%r10d; mov %r12d,%eax; syscall; cmp`
 * (the xor-r10-dynamic shape), with r10 = 12345 before it: a trampoline that
 * skipped the xor would pass 12345 as the fourth argument. */
	.globl sg_rw_xor_r12
	.type sg_rw_xor_r12, @function
	.p2align 4
sg_rw_xor_r12:
	.cfi_startproc
	pushq %r12
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r12, 0
	movl %ecx, %r12d
	movq $12345, %r10
	.globl sg_rw_xor_r12_site
sg_rw_xor_r12_site:
	xorl %r10d, %r10d
	movl %r12d, %eax
	syscall
	cmpq $-4095, %rax
	popq %r12
	.cfi_adjust_cfa_offset -8
	.cfi_restore %r12
	ret
	.cfi_endproc
	.size sg_rw_xor_r12, . - sg_rw_xor_r12

/* long sg_rw_xor_ecx(long a0, long a1, long a2, long nr): the same with the
 * number in ecx, a 2-byte mov. */
	.globl sg_rw_xor_ecx
	.type sg_rw_xor_ecx, @function
	.p2align 4
sg_rw_xor_ecx:
	.cfi_startproc
	movq $12345, %r10
	.globl sg_rw_xor_ecx_site
sg_rw_xor_ecx_site:
	xorl %r10d, %r10d
	movl %ecx, %eax
	syscall
	cmpq $-4095, %rax
	ret
	.cfi_endproc
	.size sg_rw_xor_ecx, . - sg_rw_xor_ecx

	.data
	.globl sg_rw_single
sg_rw_single:
	.byte 1

	.text
/* Sweeping (kGateSweepPages): the first trapped site of a page rewrites the
 * page's other sites, and those of the pages next to it, before their first
 * call; what is not a provable site keeps its bytes. */
	.p2align 12
	.globl sg_rw_sweep_page
sg_rw_sweep_page:
SITE(sg_rw_sweep_first, 110)
SITE(sg_rw_sweep_getpid, 39)
SITE(sg_rw_sweep_getuid, 102)

/* long sg_rw_sweep_hidden(): `mov $39,%eax; syscall` as the bytes of a movabs
 * immediate (b8 27 00 00 00 0f 05 90): no instruction starts there. Returns
 * the immediate. */
	.globl sg_rw_sweep_hidden
	.type sg_rw_sweep_hidden, @function
sg_rw_sweep_hidden:
	.cfi_startproc
	.byte 0x48
	.globl sg_rw_sweep_hidden_imm
sg_rw_sweep_hidden_imm:
	.byte 0xb8
	.quad 0x90050f00000027b8
	ret
	.cfi_endproc
	.size sg_rw_sweep_hidden, . - sg_rw_sweep_hidden

/* long sg_rw_sweep_branch(int x): as sg_rw_branch_into_mov, on the swept page. */
	.globl sg_rw_sweep_branch
	.type sg_rw_sweep_branch, @function
sg_rw_sweep_branch:
	.cfi_startproc
	testl %edi, %edi
	jnz 3f
	.globl sg_rw_sweep_branch_site
sg_rw_sweep_branch_site:
	movl $110, %eax
	syscall
	ret
3:	jmp sg_rw_sweep_branch_site + 1
	.cfi_endproc
	.size sg_rw_sweep_branch, . - sg_rw_sweep_branch

/* On the next page, and two pages on (not swept). */
	.p2align 12
	.globl sg_rw_sweep_next_page
sg_rw_sweep_next_page:
SITE(sg_rw_sweep_getgid, 104)
	.p2align 12
	.globl sg_rw_sweep_far_page
sg_rw_sweep_far_page:
SITE(sg_rw_sweep_geteuid, 107)
	.p2align 12

	.section .note.GNU-stack, "", @progbits
