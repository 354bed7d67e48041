// compile_gated(): the filter a gated process runs under (trace mode).
//
//   GateRouting r{.trusted_code = {loader.text_begin, loader.text_end}, .loader_fd = 1000};
//   Result<bpf::Program> filter = compile_gated(policy, r);
//
// Every syscall made outside the loader's code (where the gate and its one
// syscall instruction live) is answered SECCOMP_RET_TRAP, so the gate sees it
// first and makes it again from its own instruction; from the loader's code the
// policy decides, exactly as it would for untrusted code (DESIGN invariant 3:
// the gate gains nothing the policy does not grant — untrusted code can jump to
// that instruction with any registers). rt_sigreturn is never trapped: the gate
// cannot emulate it, and restoring a frame only gives register control the
// program already has.
//
// The loader's fd (execveat of it is how a gated process execs) is protected:
// close(), dup2()/dup3() onto it fail with EBADF, close_range() over it with
// ENOSYS (libc then closes one fd at a time), and execveat(fd, "", ..,
// AT_EMPTY_PATH) of it is allowed whatever the policy says about exec (the gate
// only makes that call after the monitor approved and opened the program: see
// runner.cc) -- with "" by its address, kLoaderExecPath, in a page each image
// maps read-only from the loader file and seals (loader/exec_path.h; the two
// calls that do are allowed too): the kernel ignores the fd for an absolute
// path, so any other pointer could name any file.
//
// The trap itself is the compiler's gate mode (bpf::CompileOptions::trap_outside);
// the fd rules are leading rules of the policy. Pure: no syscalls, no globals.
#pragma once

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "bpf/program.h"
#include "policy/policy.h"

namespace sysgate::monitor {

struct GateRouting {
  struct Range {
    uint64_t begin = 0, end = 0;  // [begin, end): the loader's executable segment
  } trusted_code;
  int loader_fd = -1;             // protected fd of sysgate-exec; -1: none
};

// `policy` plus the protection of the loader fd and of `more` fds the gate needs
// across execs (the trace region): close/dup2/dup3 onto them fail with EBADF,
// close_range over them with ENOSYS; execveat of the loader fd is allowed.
policy::Policy with_loader_fd_rules(const policy::Policy& policy, int loader_fd, const std::vector<int>& more);

// Errors: those of bpf::compile (kTooLarge).
Result<bpf::Program> compile_gated(const policy::Policy& policy, const GateRouting& routing);

}  // namespace sysgate::monitor
