// Human-readable listing of a seccomp-BPF program, one instruction per line,
// jump targets as absolute instruction numbers:
//   0000: ld   [4]                    ; arch
//   0001: jeq  #0xc000003e, 3, 2      ; AUDIT_ARCH_X86_64
//   0002: ret  #0x80000000            ; KILL_PROCESS
//   0003: ld   [0]                    ; nr
//   0004: jset #0x40000000, 5, 6      ; x32 syscall bit
//   0006: jge  #0xe8, 15, 7           ; nr >= epoll_wait
//   0026: ld   [36]                   ; args[2] hi
// Comments name seccomp_data fields, syscalls compared with nr (found by
// tracking which field the accumulator holds) and verdicts. Any program is
// accepted, invalid ones included (unknown opcodes print as `.insn`).
// Used by `sysgate check --dump` and golden tests. Pure; thread-safe.
#pragma once

#include <string>

#include "bpf/program.h"

namespace sysgate::bpf {

std::string disassemble(const Program& program);

}  // namespace sysgate::bpf
