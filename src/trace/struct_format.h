// The structs a trace record carries (kPayloadStructIn/Out, chosen by the gate's
// src/gate/struct_payloads.cc), printed as strace prints them:
//
//   newfstatat(AT_FDCWD, "/dev/null", {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}, 0) = 0
//   rt_sigaction(SIGINT, {sa_handler=SIG_IGN, sa_mask=[], sa_flags=SA_RESTORER, sa_restorer=0x7f...}, NULL, 8) = 0
//   rt_sigprocmask(SIG_SETMASK, ~[RTMIN RT_1], [HUP USR2], 8) = 0
//   prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0
//   pipe2([3, 4], O_CLOEXEC) = 0
//   clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=1000}, NULL) = 0
//   connect(3, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT (...)
//   uname({sysname="Linux", nodename="vm", ...}) = 0
//   wait4(42, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 42
//   seccomp(SECCOMP_SET_MODE_FILTER, 0, {len=1, filter=0x7ffd...}) = 0   (trace/seccomp_format.h)
//
// nullopt when the record has no such struct (not copied, the call failed, a
// syscall or address family not decoded): the caller prints the address, as
// strace does for a struct it could not read.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "syscalls/call_format.h"
#include "trace/pid_names.h"
#include "trace/record.h"

namespace sysgate::trace {

// verbose: as strace -v prints it (the stat family: every field, when the
// record holds them all). task_names: strace -Y's names for the si_pid of a
// siginfo (waitid, rt_sigtimedwait); nullptr for none.
// consts: strace -X, the named constants and flags inside the struct as
// names, numbers or both (syscalls/const_style.h).
std::optional<std::string> struct_arg_text(const Record& record, int index, uint64_t addr,
                                           syscalls::StringStyle style = syscalls::StringStyle::kEscaped,
                                           bool verbose = false,
                                           syscalls::ConstStyle consts = syscalls::ConstStyle::kAbbrev);
// The same, appended to out: true having appended the struct, false having
// appended nothing (a syscalls::FormatOptions::struct_arg hook).
bool append_struct_arg(std::string& out, const Record& record, int index, uint64_t addr,
                       syscalls::StringStyle style = syscalls::StringStyle::kEscaped, bool verbose = false,
                       const TaskNames* task_names = nullptr,
                       syscalls::ConstStyle consts = syscalls::ConstStyle::kAbbrev);

// A socket address (AF_UNIX, AF_INET, AF_INET6) as strace prints it,
// {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")};
// false, appending nothing, for another family or too few bytes.
bool append_socket_address(std::string& out, std::string_view bytes,
                           syscalls::StringStyle style = syscalls::StringStyle::kEscaped,
                           syscalls::ConstStyle consts = syscalls::ConstStyle::kAbbrev);

// A count of clock ticks (clock_t: times, a child's si_utime) as strace prints
// it: "4 /* 0.04 s */" (USER_HZ, 100 ticks a second on x86-64), "0".
void append_clock_ticks(std::string& out, uint64_t ticks);

// A kernel signal set as strace prints it: "[INT TERM]", "~[RTMIN RT_1]" (the
// complement, when more than half the signals are in it), "[]"; -X raw
// "~[32 33]", verbose "[2 /* INT */ 15 /* TERM */]".
std::string format_sigset(uint64_t set, syscalls::ConstStyle style = syscalls::ConstStyle::kAbbrev);
void append_sigset(std::string& out, uint64_t set, syscalls::ConstStyle style = syscalls::ConstStyle::kAbbrev);

}  // namespace sysgate::trace
