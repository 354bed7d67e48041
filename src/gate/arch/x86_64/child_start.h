/* Layout of ChildStart, the block the gate writes before a clone whose child
 * starts on a stack of its own (CLONE_VM children: at the top of their fresh
 * gate stack; copies of the process given a new stack: on the parent's gate
 * stack, of which the child has a copy), read by sysgate_gate_clone_child (asm)
 * to give the child the program's registers. Shared by gate_entry.S and C++
 * (process.cc static_asserts every offset), so plain #defines only. */
#ifndef SYSGATE_GATE_ARCH_X86_64_CHILD_START_H_
#define SYSGATE_GATE_ARCH_X86_64_CHILD_START_H_

#define CHILD_START_R8 0
#define CHILD_START_R9 8
#define CHILD_START_R10 16
#define CHILD_START_R11 24
#define CHILD_START_R12 32
#define CHILD_START_R13 40
#define CHILD_START_R14 48
#define CHILD_START_R15 56
#define CHILD_START_RDI 64
#define CHILD_START_RSI 72
#define CHILD_START_RBP 80
#define CHILD_START_RBX 88
#define CHILD_START_RDX 96
#define CHILD_START_RSP 104
#define CHILD_START_RIP 112
#define CHILD_START_EFLAGS 120
#define CHILD_START_SIGMASK 128
#define CHILD_START_THREAD 136
#define CHILD_START_FLAGS 144
#define CHILD_START_SIZE 160 /* multiple of 16: the block starts 16-byte aligned */

#endif
