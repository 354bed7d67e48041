#include "bpf/disassembler.h"

#include <gtest/gtest.h>
#include <sys/syscall.h>

#include "test_support.h"

namespace sysgate::bpf {
namespace {

TEST(Disassembler, OneLinePerInstructionWithComments) {
  Program p{{
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kArchX86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 36),
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 3),
      BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 13),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  }};
  const std::string text = disassemble(p);
  const std::string want =
      "0000: ld   [4]                    ; arch\n"
      "0001: jeq  #0xc000003e, 3, 2      ; AUDIT_ARCH_X86_64\n"
      "0002: ret  #0x80000000            ; KILL_PROCESS\n"
      "0003: ld   [0]                    ; nr\n"
      "0004: jeq  #0x101, 5, 8           ; nr == openat\n"
      "0005: ld   [36]                   ; args[2] hi\n"
      "0006: and  #0x3\n"
      "0007: ja   9\n"
      "0008: ret  #0x5000d               ; ERRNO(";
  EXPECT_EQ(text.substr(0, want.size()), want) << text;
  EXPECT_NE(text.find("0009: ret  #0x7fff0000            ; ALLOW\n"), std::string::npos) << text;
}

TEST(Disassembler, SurvivesGarbage) {
  Program p{{
      {0xffff, 7, 9, 0x1234},
      BPF_JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 200, 100),  // targets outside the program
      BPF_STMT(BPF_RET | BPF_A, 0),
  }};
  const std::string text = disassemble(p);
  EXPECT_NE(text.find(".insn code=0xffff jt=7 jf=9 k=0x1234"), std::string::npos) << text;
  EXPECT_NE(text.find("jgt  x, 202, 102"), std::string::npos) << text;
  EXPECT_NE(text.find("ret  a"), std::string::npos) << text;
}

}  // namespace
}  // namespace sysgate::bpf
