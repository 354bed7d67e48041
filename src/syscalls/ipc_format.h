// The System V IPC calls' integer arguments as strace prints them: keys
// (IPC_PRIVATE or hex), the get calls' flags with their permission bits in
// octal, shmat's flags, and the ctl calls' commands and semctl's argument:
//
//   shmget(IPC_PRIVATE, 4096, IPC_CREAT|0600) = 3
//   shmat(3, NULL, SHM_RDONLY) = 0x7f5cfc46b000
//   shmctl(3, IPC_RMID, NULL) = 0
//   semctl(4, 0, SETVAL, 0x1) = 0
//   msgctl(5, 0x4d /* MSG_??? */, NULL) = -1 EINVAL (Invalid argument)
//
// (IPC_STAT's and the *_INFO commands' structs show as their address.) Pure.
#pragma once

#include <cstdint>
#include <string>

#include "syscalls/const_style.h"

namespace sysgate::syscalls {

// Appends argument index of shmget, shmat, shmctl, semget, semctl, msgget or
// msgctl when it is one of those; false, appending nothing, otherwise.
bool append_ipc_arg(std::string& out, int nr, int index, const uint64_t args[6], ConstStyle style);

}  // namespace sysgate::syscalls
